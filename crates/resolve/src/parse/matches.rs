//! Stage 1: every administrative name in the words. Each run of up to [`MAX_NAME_WORDS`] words of one part is
//! looked up among all names, old and new, exactly and (if nothing is exact) one edit away, and scored.

use super::readings::province_of;
use super::{Input, number};
use crate::Resolver;
use crate::gazetteer::{Entry, FUZZY_MIN_LEN, Gazetteer, Level, PREFIXES, Unit, UnitKind};
use crate::text::Token;
use diachi_geo::index::NationalIndex;

/// Longest administrative name, in words.
const MAX_NAME_WORDS: usize = 5;

/// Words that say the name after them is a street's or a village's, not a unit's: `đường`, `phố`, `Đ.`, `hẻm`,
/// `kiệt`, `ngõ`, `ngách`, `thôn`, `ấp`, `xóm`, `buôn`. (`tổ` and `bản` are left out: they end unit names too, as in
/// `Ba Tơ`.)
const STREET_WORDS: [&str; 12] =
    ["duong", "pho", "d", "dg", "hem", "kiet", "ngo", "ngach", "thon", "ap", "xom", "buon"];

/// One administrative name found in the input.
#[derive(Debug, Clone, Copy)]
pub(super) struct Match {
    /// Words `start..end` are the name; `from..start` its type word.
    pub from: usize,
    pub start: usize,
    pub end: usize,
    pub unit: Unit,
    pub prefix: Option<UnitKind>,
    pub part: u16,
    pub score: f64,
    pub fuzzy: bool,
}

impl Match {
    pub fn overlaps(&self, o: &Match) -> bool {
        self.from < o.end && o.from < self.end
    }
}

/// Where a name is looked for: words `i..=j`, after the type word `prefix` (its kind and first word), if any.
#[derive(Debug, Clone, Copy)]
struct Span {
    i: usize,
    j: usize,
    prefix: Option<(UnitKind, usize)>,
    /// A dash separates word `i` from the word before it.
    dash_before: bool,
}

/// The type word that ends right before word `i`, in the same part: its kind and first word.
fn prefix_before(tokens: &[Token], i: usize) -> Option<(UnitKind, usize)> {
    for (seq, kind) in PREFIXES {
        let n = seq.len();
        if i >= n
            && tokens[i - n..i].iter().zip(seq.iter()).all(|(t, s)| t.text == *s)
            && tokens[i - n..i].iter().all(|t| t.part == tokens[i].part)
        {
            return Some((*kind, i - n));
        }
    }
    None
}

/// The bare name of a unit, with its diacritics (`Đông Thạnh`).
fn bare_name<'a>(r: &'a Resolver, ix: &'a NationalIndex, unit: Unit) -> &'a str {
    let g = &r.gazetteer;
    let geo = &ix.data.geography;
    let split = |s: &'a str| Gazetteer::split_name(s).1;
    match unit {
        Unit::Province { new, old: None } => geo.provinces.get(usize::from(new)).map_or("", |p| p.name.as_str()),
        Unit::Province { old: Some(op), .. } => g.old_provinces.get(usize::from(op)).map_or("", |p| split(&p.name)),
        Unit::District(d) => g.districts.get(usize::from(d)).map_or("", |d| split(&d.name)),
        Unit::NewWard(w) => geo.wards.get(usize::from(w)).map_or("", |w| w.name.as_str()),
        Unit::OldWard(o) => g.old_wards.get(o as usize).map_or("", |o| split(&o.name)),
    }
}

/// Every name found in the input, scored, in the order of the words.
pub(super) fn find_matches(r: &Resolver, ix: &NationalIndex, input: &Input) -> Vec<Match> {
    let tokens = &input.tokens;
    let n = tokens.len();
    let mut out = Vec::with_capacity(64);
    let mut found = Vec::new();
    // spans looked up one edit away only if they are in the ward's place: four-letter ones, and those that name a
    // unit exactly (which the province written may rule out)
    let mut later: Vec<Span> = Vec::new();
    let mut key = String::with_capacity(32);
    for i in 0..n {
        let prefix = prefix_before(tokens, i);
        let dash_before = i > 0 && input.text.get(tokens[i - 1].end..tokens[i].start).is_some_and(|g| g.contains('-'));
        key.clear();
        for j in i..n.min(i + MAX_NAME_WORDS) {
            if tokens[j].part != tokens[i].part {
                break;
            }
            push_key(&mut key, &tokens[j], j == i);
            let span = Span { i, j, prefix, dash_before };
            names_of(r, tokens, &key, span, &mut found);
            prefer_written(r, ix, input, i, j, &mut found);
            match fuzzy_allowed(tokens, &key, span) {
                Fuzzy::Now if found.is_empty() => lookup_fuzzy(r, tokens, &key, span, &mut found),
                Fuzzy::Now | Fuzzy::InWardPlace => later.push(span),
                Fuzzy::No => {}
            }
            out.append(&mut found);
        }
    }
    in_ward_place(r, ix, tokens, &later, &mut out);
    out
}

/// Adds word `t` to `key` (`first`: the name's first word, where a number loses its leading zeros).
fn push_key(key: &mut String, t: &Token, first: bool) {
    if first && t.is_number() {
        let before = key.len();
        key.push_str(t.text.trim_start_matches('0'));
        if key.len() == before {
            key.push('0');
        }
    } else {
        key.push_str(&t.text);
    }
}

/// The names one edit from `key` on words `span`, added to `found`.
fn lookup_fuzzy(r: &Resolver, tokens: &[Token], key: &str, span: Span, found: &mut Vec<Match>) {
    r.gazetteer.lookup_fuzzy(key, |_, es| {
        found.extend(es.iter().filter_map(|e| match_on(tokens, key, span, e, true)));
    });
}

/// Names one edit away on the `spans` that are in the ward's place: last in their part, or right before a district
/// or province named exactly. Four-letter words are looked up there only (`Nm Mạ, Lai Châu`); so are words that
/// name a unit exactly when the province written rules every such unit out (`Sơn Hà, An Giang`: `Sơn Hải` of An
/// Giang, not `Sơn Hà` of Quảng Ngãi), where only names of that province are kept: the province named is the
/// arbiter.
fn in_ward_place(r: &Resolver, ix: &NationalIndex, tokens: &[Token], spans: &[Span], out: &mut Vec<Match>) {
    if spans.is_empty() {
        return;
    }
    let exact_units = |m: &&Match| !m.fuzzy && m.unit.level() != Level::Ward;
    let unit_starts: Vec<usize> = out.iter().filter(exact_units).map(|m| m.from).collect();
    let written: Vec<u8> = out
        .iter()
        .filter(|m| !m.fuzzy && m.unit.level() == Level::Province)
        .filter_map(|m| province_of(r, ix, m.unit))
        .collect();
    let mut key = String::with_capacity(32);
    let mut found = Vec::new();
    for span in spans {
        let next = span.j + 1;
        let last = tokens.get(next).is_none_or(|t| t.part != tokens[span.j].part);
        if !last && !unit_starts.contains(&next) {
            continue;
        }
        let here = |m: &Match| m.start == span.i && m.end == next && !m.fuzzy;
        let exact: Vec<Option<u8>> = out.iter().filter(|m| here(m)).map(|m| province_of(r, ix, m.unit)).collect();
        if !exact.is_empty() && (written.is_empty() || exact.iter().flatten().any(|p| written.contains(p))) {
            continue;
        }
        key.clear();
        for (k, t) in tokens[span.i..=span.j].iter().enumerate() {
            push_key(&mut key, t, k == 0);
        }
        found.clear();
        lookup_fuzzy(r, tokens, &key, *span, &mut found);
        if !exact.is_empty() {
            found.retain(|m| province_of(r, ix, m.unit).is_some_and(|p| written.contains(&p)));
            for m in &mut found {
                m.score -= BESIDE_EXACT_PENALTY;
            }
        }
        out.append(&mut found);
    }
}

/// How much a name right after a house or alley number counts less.
const AFTER_NUMBER_PENALTY: f64 = 0.6;

/// A single word is looked up one edit away from this many letters.
const FUZZY_ONE_WORD_MIN_LEN: usize = 5;

/// How much a name right after the type word of another level counts less than one without a type word.
const FOREIGN_PREFIX_PENALTY: f64 = 0.5;

/// How much a type word of streets or villages right before a name counts against its being a unit.
const STREET_WORD_PENALTY: f64 = 1.5;

/// A name one edit away when the words also name a unit exactly counts this much less (it matters only where the
/// province written rules the exact one out: `Sơn Hả` for `Sơn Hải` beside a `Sơn Hà` of another province).
const BESIDE_EXACT_PENALTY: f64 = 0.4;

/// When the words of a span are looked up one edit away.
enum Fuzzy {
    /// Never: a number, too short, too many words.
    No,
    /// At once (when nothing is named exactly; else only in the ward's place).
    Now,
    /// Only in the ward's place: four letters written as two words or after a type word (`tâ ân`, `x. bn ho`).
    InWardPlace,
}

/// Whether the words `span` (keyed `key`) may be a misspelt name: not a number, long enough (`Móng Cái 2` misspelt is
/// still found), at most four words.
fn fuzzy_allowed(tokens: &[Token], key: &str, span: Span) -> Fuzzy {
    if tokens[span.i].is_number() || span.j - span.i >= 4 {
        return Fuzzy::No;
    }
    let letters = key.bytes().filter(u8::is_ascii_alphabetic).count();
    if letters >= FUZZY_ONE_WORD_MIN_LEN {
        Fuzzy::Now
    } else if letters >= FUZZY_MIN_LEN && (span.j > span.i || span.prefix.is_some()) {
        Fuzzy::InWardPlace
    } else {
        Fuzzy::No
    }
}

/// The names keyed `key` on words `span`, exactly, in `found` (emptied first).
fn names_of(r: &Resolver, tokens: &[Token], key: &str, span: Span, found: &mut Vec<Match>) {
    found.clear();
    found.extend(r.gazetteer.lookup(key).iter().filter_map(|e| match_on(tokens, key, span, e, false)));
}

/// The name `e` on words `span`, scored; none when its type word (written or missing) rules it out.
fn match_on(tokens: &[Token], key: &str, span: Span, e: &Entry, fuzzy: bool) -> Option<Match> {
    let Span { i, j, mut prefix, .. } = span;
    let n = tokens.len();
    // a type word of another level may be the end of a street's name (`Lạc Long Quân Đa Kia`: not `Quận Đa Kia`):
    // the name is then read without it
    let mut foreign_prefix = false;
    if prefix.is_some_and(|(k, _)| !k.is_level(e.unit.level())) {
        prefix = None;
        foreign_prefix = true;
    }
    let pk = prefix.map(|p| p.0);
    if e.needs_prefix && pk.is_none() {
        return None;
    }
    // a reading scores by how much of the input it explains, not by how many names it has
    let len = key.len().min(24) as f64;
    let mut score = if fuzzy { 0.6 } else { 1.0 } * (0.5 + 0.12 * len);
    // today's name over an old one spelt the same
    if matches!(e.unit, Unit::NewWard(_) | Unit::Province { old: None, .. }) {
        score += 0.1;
    }
    if let Some(k) = pk {
        score += if k == e.kind { 1.5 } else { 0.8 };
    } else {
        if fuzzy && len < 7.0 {
            score -= 0.5;
        }
        if i > 0 && tokens[i - 1].part == tokens[i].part {
            // right after a house or alley number, a name is more likely the street's (unless a dash separates
            // them: `48 - Đồ Sơn - Hải Phòng`)
            if number(&tokens[i - 1]).is_some() && !span.dash_before {
                score -= AFTER_NUMBER_PENALTY;
            }
            // after `đường`, `hẻm`, `thôn`…, it is the street's or the village's
            if STREET_WORDS.contains(&tokens[i - 1].text.as_str()) {
                score -= STREET_WORD_PENALTY;
            }
        }
    }
    if foreign_prefix {
        score -= FOREIGN_PREFIX_PENALTY;
    }
    // units come after the street in Vietnamese order
    score += 0.6 * (j + 1) as f64 / n as f64;
    Some(Match {
        from: prefix.map_or(i, |p| p.1),
        start: i,
        end: j + 1,
        unit: e.unit,
        prefix: pk,
        part: tokens[i].part,
        score,
        fuzzy,
    })
}

/// Names that differ only in their marks (`Đông Thành`, `Đông Thạnh`): the one written wins.
fn prefer_written(r: &Resolver, ix: &NationalIndex, input: &Input, i: usize, j: usize, found: &mut [Match]) {
    if found.iter().filter(|m| !m.fuzzy).count() > 1
        && let Some(written) = input.text.get(input.tokens[i].start..input.tokens[j].end)
    {
        for m in found.iter_mut().filter(|m| !m.fuzzy) {
            if same_ignoring_case(bare_name(r, ix, m.unit), written) {
                m.score += 0.05;
            }
        }
    }
}

/// Whether `a` and `b` are the same in lower case, without building either: letters are lowered only where they
/// differ.
pub(super) fn same_ignoring_case(a: &str, b: &str) -> bool {
    let (mut x, mut y) = (a.chars(), b.chars());
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(c), Some(d)) if c == d => {}
            (Some(c), Some(d)) => {
                let (mut lc, mut ld) = (c.to_lowercase(), d.to_lowercase());
                if lc.len() != 1 || ld.len() != 1 {
                    // a letter lowered to several (`İ`): the strings as a whole
                    return a.chars().flat_map(char::to_lowercase).eq(b.chars().flat_map(char::to_lowercase));
                }
                if lc.next() != ld.next() {
                    return false;
                }
            }
            _ => return false,
        }
    }
}
