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
    let mut out = Vec::new();
    // spans that name a unit exactly, with their keys
    let mut named: Vec<(Span, String)> = Vec::new();
    let mut key = String::with_capacity(32);
    for i in 0..n {
        let prefix = prefix_before(tokens, i);
        key.clear();
        for j in i..n.min(i + MAX_NAME_WORDS) {
            if tokens[j].part != tokens[i].part {
                break;
            }
            if j == i && tokens[j].is_number() {
                key.push_str(tokens[j].text.trim_start_matches('0'));
                if key.is_empty() {
                    key.push('0');
                }
            } else {
                key.push_str(&tokens[j].text);
            }
            let span = Span { i, j, prefix };
            let mut found = names_of(r, tokens, &key, span);
            prefer_written(r, ix, input, i, j, &mut found);
            if !found.is_empty() && fuzzy_allowed(tokens, &key, span) {
                named.push((span, key.clone()));
            }
            out.append(&mut found);
        }
    }
    beside_written_province(r, ix, tokens, &named, &mut out);
    out
}

/// Names one edit from words that name a unit exactly, looked up only when the province written exactly rules every
/// such unit out (`Sơn Hả, Bắc Ninh`: `Sơn Hải` of Bắc Ninh, not `Sơn Hà` of another province): the province named
/// is the arbiter.
fn beside_written_province(
    r: &Resolver,
    ix: &NationalIndex,
    tokens: &[Token],
    named: &[(Span, String)],
    out: &mut Vec<Match>,
) {
    let written: Vec<u8> = out
        .iter()
        .filter(|m| !m.fuzzy && m.unit.level() == Level::Province)
        .filter_map(|m| province_of(r, ix, m.unit))
        .collect();
    if written.is_empty() {
        return;
    }
    for (span, key) in named {
        let here = |m: &Match| m.start == span.i && m.end == span.j + 1 && !m.fuzzy;
        let fits =
            out.iter().filter(|m| here(m)).any(|m| province_of(r, ix, m.unit).is_some_and(|p| written.contains(&p)));
        if fits {
            continue;
        }
        r.gazetteer.lookup_fuzzy(key, |_, es| {
            for e in es {
                if let Some(mut m) = match_on(tokens, key, *span, e, true)
                    && province_of(r, ix, m.unit).is_some_and(|p| written.contains(&p))
                {
                    m.score -= BESIDE_EXACT_PENALTY;
                    out.push(m);
                }
            }
        });
    }
}

/// A single word is looked up one edit away from this many letters.
const FUZZY_ONE_WORD_MIN_LEN: usize = 5;

/// How much a name right after the type word of another level counts less than one without a type word.
const FOREIGN_PREFIX_PENALTY: f64 = 0.5;

/// How much a type word of streets or villages right before a name counts against its being a unit.
const STREET_WORD_PENALTY: f64 = 1.5;

/// A name one edit away when the words also name a unit exactly counts this much less (it matters only where the
/// province written rules the exact one out: `Sơn Hả` for `Sơn Hải` beside a `Sơn Hà` of another province).
const BESIDE_EXACT_PENALTY: f64 = 0.4;

/// Whether the words `span` (keyed `key`) may be a misspelt name: not a number, long enough, at most four words.
/// `Móng Cái 2` misspelt is still found; four letters are enough when they are two words or follow a type word
/// (`tâ ân`, `x. bn ho`), not alone.
fn fuzzy_allowed(tokens: &[Token], key: &str, span: Span) -> bool {
    let letters = key.bytes().filter(u8::is_ascii_alphabetic).count();
    let short_ok = letters >= FUZZY_MIN_LEN && (span.j > span.i || span.prefix.is_some());
    !tokens[span.i].is_number() && (letters >= FUZZY_ONE_WORD_MIN_LEN || short_ok) && span.j - span.i < 4
}

/// The names keyed `key` on words `span`: exact, else (when allowed) one edit away.
fn names_of(r: &Resolver, tokens: &[Token], key: &str, span: Span) -> Vec<Match> {
    let mut found: Vec<Match> = Vec::new();
    let entries = r.gazetteer.lookup(key);
    found.extend(entries.iter().filter_map(|e| match_on(tokens, key, span, e, false)));
    if entries.is_empty() && fuzzy_allowed(tokens, key, span) {
        r.gazetteer.lookup_fuzzy(key, |_, es| {
            found.extend(es.iter().filter_map(|e| match_on(tokens, key, span, e, true)));
        });
    }
    found
}

/// The name `e` on words `span`, scored; none when its type word (written or missing) rules it out.
fn match_on(tokens: &[Token], key: &str, span: Span, e: &Entry, fuzzy: bool) -> Option<Match> {
    let Span { i, j, mut prefix } = span;
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
            // right after a house or alley number, a name is more likely the street's
            if number(&tokens[i - 1]).is_some() {
                score -= 1.0;
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
        let written = written.to_lowercase();
        for m in found.iter_mut().filter(|m| !m.fuzzy) {
            if bare_name(r, ix, m.unit).to_lowercase() == written {
                m.score += 0.05;
            }
        }
    }
}
