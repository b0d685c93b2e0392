//! Stage 3: the street part of a reading, the words its names leave over, split into apartment, house number,
//! alley and street.

use super::Input;
use super::readings::Reading;
use super::{house_number, number};
use crate::gazetteer::edit_distance_within;
use crate::streets::street_key;
use crate::text::Token;
use diachi_domain::HouseNumber;

const APARTMENT: [&str; 5] = ["can", "canho", "phong", "apt", "ch"];
const HOUSE: [&str; 4] = ["so", "sn", "nha", "sonha"];
const ALLEY: [&str; 7] = ["ngo", "ngach", "hem", "kiet", "ng", "hxh", "kiot"];
const VILLAGE: [&str; 7] = ["thon", "ap", "ban", "buon", "xom", "to", "khu"];

/// The street part: what is left of the words once the units are taken out.
#[derive(Debug, Default, Clone)]
pub(super) struct StreetPart {
    pub apartment: Option<u16>,
    pub house: Option<HouseNumber>,
    pub alley: Option<u16>,
    /// `45/12` without an alley word is house 12 in alley 45, or the house numbered `45/12` on the street itself:
    /// that second reading (the register decides).
    pub slash: Option<HouseNumber>,
    /// Token indexes of the street name.
    pub street: Vec<usize>,
    /// Token indexes that fit nowhere.
    pub unknown: Vec<usize>,
}

/// The street part of `reading`: the words its names and their type words do not take.
pub(super) fn street_part_of(input: &Input, reading: &Reading) -> StreetPart {
    let mut used = vec![false; input.tokens.len()];
    for m in reading.matches() {
        used[m.from..m.end].iter_mut().for_each(|u| *u = true);
    }
    street_part(&input.tokens, input.text, &used)
}

/// Splits the words left over into apartment, house number, alley and street.
pub(super) fn street_part(tokens: &[Token], input: &str, used: &[bool]) -> StreetPart {
    let mut s = Splitter {
        tokens,
        input,
        idx: (0..tokens.len()).filter(|&i| !used[i]).collect(),
        part: StreetPart::default(),
        runs: Vec::new(),
        run: Vec::new(),
    };
    let mut k = 0;
    while k < s.idx.len() {
        k = s.step(k);
    }
    s.finish()
}

/// The words left over, read left to right: numbers with their kind taken out, the other words gathered in runs.
struct Splitter<'a> {
    tokens: &'a [Token],
    input: &'a str,
    /// Token indexes of the words left over.
    idx: Vec<usize>,
    part: StreetPart,
    /// Runs of words closed so far.
    runs: Vec<Vec<usize>>,
    run: Vec<usize>,
}

impl<'a> Splitter<'a> {
    /// The `k`-th word left over.
    fn word(&self, k: usize) -> Option<&'a str> {
        self.idx.get(k).map(|&i| self.tokens[i].text.as_str())
    }

    /// The number that the `k`-th word left over is.
    fn number(&self, k: usize) -> Option<u16> {
        self.idx.get(k).and_then(|&i| number(&self.tokens[i]))
    }

    fn close(&mut self) {
        if !self.run.is_empty() {
            self.runs.push(std::mem::take(&mut self.run));
        }
    }

    /// The run so far ends in `đường`: a number or `số` right after it is part of the street's name (`Đường 19`).
    fn after_street_word(&self) -> bool {
        self.run.last().is_some_and(|&p| matches!(self.tokens[p].text.as_str(), "duong" | "d"))
    }

    /// Reads the `k`-th word left over (and what it takes with it); returns the next word to read.
    fn step(&mut self, k: usize) -> usize {
        let word = self.word(k).unwrap_or_default();
        if APARTMENT.contains(&word) && self.part.apartment.is_none() {
            // `căn hộ 12`: `hộ` is passed over, even when no number follows
            let at = k + usize::from(word == "can" && self.word(k + 1) == Some("ho"));
            if let Some(v) = self.number(at + 1) {
                self.part.apartment = Some(v);
                self.close();
                return at + 2;
            }
            // an apartment word is no house, alley or number word: it joins the run
            self.push_word(k);
            return at + 1;
        }
        if let Some(next) = self.house(k).or_else(|| self.alley(k)).or_else(|| self.number_word(k)) {
            return next;
        }
        self.push_word(k);
        k + 1
    }

    /// `số 12`, `số nhà 12`, `sn 12`, `số 38B/2`: the first house number.
    fn house(&mut self, k: usize) -> Option<usize> {
        let word = self.word(k)?;
        if !HOUSE.contains(&word) || self.after_street_word() {
            return None;
        }
        let skip = usize::from(self.word(k + 1).is_some_and(|n| n != word && HOUSE.contains(&n)));
        let (v, used) = self.house_at(k + 1 + skip)?;
        if self.part.house.is_some() {
            return None;
        }
        self.part.house = Some(v);
        self.close();
        Some(k + 1 + skip + used)
    }

    /// The house number the `k`-th word left over starts (`12`, `12A`, or `38B/2` over two words) and how many words
    /// it takes.
    fn house_at(&self, k: usize) -> Option<(HouseNumber, usize)> {
        let t = &self.tokens[*self.idx.get(k)?];
        let v = house_number(t).or_else(|| HouseNumber::new(number(t)?))?;
        let sub = self.after_slash(k).filter(|u| u.is_number()).and_then(number);
        match sub.and_then(|sub| HouseNumber::with_parts(v.number(), v.letter().map(|c| c as u8), sub)) {
            Some(h) => Some((h, 2)),
            None => Some((v, 1)),
        }
    }

    /// The word right after the `k`-th word left over when a slash stands between them (`2` of `38B/2`).
    fn after_slash(&self, k: usize) -> Option<&'a Token> {
        let (&i, &j) = (self.idx.get(k)?, self.idx.get(k + 1)?);
        let (t, u) = (&self.tokens[i], &self.tokens[j]);
        self.input.get(t.end..u.start).is_some_and(|g| g.trim() == "/").then_some(u)
    }

    /// `ngõ 45`, `hẻm 12`: the first alley number.
    fn alley(&mut self, k: usize) -> Option<usize> {
        let word = self.word(k)?;
        let v = self.number(k + 1)?;
        if !ALLEY.contains(&word) || self.part.alley.is_some() {
            return None;
        }
        self.part.alley = Some(v);
        self.close();
        Some(k + 2)
    }

    /// A number alone: part of a street or village name, an alley and house, the house, or not understood.
    fn number_word(&mut self, k: usize) -> Option<usize> {
        let (tokens, i) = (self.tokens, self.idx[k]);
        let t = &tokens[i];
        let v = number(t)?;
        if self.after_street_word() || self.run.last().is_some_and(|&p| VILLAGE.contains(&tokens[p].text.as_str())) {
            self.run.push(i);
            return Some(k + 1);
        }
        // `45/12 Lê Lợi`: house 12 in alley 45 (or the house `45/12`); `38B/2 Lê Lợi`: the house `38B/2`
        if let Some(u) = self.after_slash(k).filter(|u| number(u).is_some()) {
            let letter = house_number(t).and_then(HouseNumber::letter);
            if letter.is_none() && self.part.alley.is_none() {
                self.part.alley = Some(v);
                self.part.house = house_number(u).or_else(|| HouseNumber::new(number(u)?));
                self.part.slash = u.is_number().then(|| HouseNumber::with_parts(v, None, number(u)?)).flatten();
                self.close();
                return Some(k + 2);
            }
            if letter.is_some() && self.part.house.is_none() {
                self.part.house = self.house_at(k).map(|(h, _)| h);
                self.close();
                return Some(k + 2);
            }
        }
        if self.part.house.is_none() {
            self.part.house = house_number(t).or_else(|| HouseNumber::new(v));
            self.close();
        } else {
            self.close();
            self.part.unknown.push(i);
        }
        Some(k + 1)
    }

    /// A word of a name: it joins the run (a new one if it is in another part).
    fn push_word(&mut self, k: usize) {
        let i = self.idx[k];
        if self.run.last().is_some_and(|&p| self.tokens[p].part != self.tokens[i].part) {
            self.close();
        }
        self.run.push(i);
    }

    fn finish(mut self) -> StreetPart {
        self.close();
        // the street is the longest run of words; the others are not understood
        let runs = self.runs;
        let mut s = self.part;
        let best = runs.iter().enumerate().max_by_key(|(i, r)| (r.len(), std::cmp::Reverse(*i))).map(|(i, _)| i);
        for (i, r) in runs.into_iter().enumerate() {
            if Some(i) == best {
                s.street = r;
            } else {
                s.unknown.extend(r);
            }
        }
        s
    }
}

/// The street's keys from its words, to try in order: as written, then without a misspelt leading `đường`/`phố`
/// (`Duonng`, `Đườmg`).
pub(super) fn street_tokens_keys(tokens: &[Token], street: &[usize]) -> Vec<String> {
    let words: Vec<&str> = street.iter().map(|&i| tokens[i].text.as_str()).collect();
    let mut keys = vec![street_key(&words.concat())];
    if let Some(&w) = words.first()
        && words.len() > 1
        && (matches!(w, "d" | "dg")
            || (w.len() >= 3
                && (edit_distance_within(w, "duong", 1).is_some() || edit_distance_within(w, "pho", 1).is_some())))
    {
        keys.push(street_key(&words[1..].concat()));
    }
    keys.retain(|k| !k.is_empty());
    keys
}
