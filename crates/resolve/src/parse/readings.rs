//! Stage 2: consistent (ward, district, province) readings of the names found, best first.

use super::Input;
use super::matches::Match;
use crate::Resolver;
use crate::gazetteer::{Level, Unit};
use diachi_geo::index::NationalIndex;

/// Candidates kept per level before readings are combined.
const PER_LEVEL: usize = 12;
/// Ward names kept before readings are combined.
const MAX_WARD_MATCHES: usize = 160;
/// Readings tried against the streets and addresses (a common ward name without its province has dozens).
const MAX_READINGS: usize = 64;
/// Readings this far below the best are not tried.
const MAX_BEHIND: f64 = 4.0;

/// A consistent choice of ward, district and province names.
#[derive(Debug, Clone, Copy)]
pub(super) struct Reading {
    pub ward: Option<Match>,
    pub district: Option<Match>,
    pub province: Option<Match>,
    pub score: f64,
}

impl Reading {
    pub fn matches(&self) -> impl Iterator<Item = &Match> {
        self.ward.iter().chain(self.district.iter()).chain(self.province.iter())
    }
}

/// Two matches in the same comma-separated part.
fn tokens_part_eq(a: &Match, b: &Match) -> bool {
    a.part == b.part
}

/// The province of today a unit is in.
pub(super) fn province_of(r: &Resolver, ix: &NationalIndex, unit: Unit) -> Option<u8> {
    let geo = &ix.data.geography;
    let g = &r.gazetteer;
    match unit {
        Unit::Province { new, .. } => Some(new),
        Unit::District(d) => g.districts.get(usize::from(d)).map(|d| d.new_province),
        Unit::NewWard(w) => geo.wards.get(usize::from(w)).map(|w| w.province),
        Unit::OldWard(o) => {
            g.old_wards.get(o as usize).and_then(|o| g.districts.get(usize::from(o.district))).map(|d| d.new_province)
        }
    }
}

/// Whether two units of the same province of today can be named in one address: where both are of the old form,
/// one inside the other.
fn nested(r: &Resolver, a: Unit, b: Unit) -> bool {
    let g = &r.gazetteer;
    match (a, b) {
        (Unit::OldWard(o), Unit::District(d)) | (Unit::District(d), Unit::OldWard(o)) => {
            g.old_wards.get(o as usize).is_some_and(|o| o.district == d)
        }
        (Unit::NewWard(w), Unit::District(d)) | (Unit::District(d), Unit::NewWard(w)) => {
            g.sources_of(w).iter().any(|&o| g.old_wards.get(o as usize).is_some_and(|o| o.district == d))
        }
        (Unit::District(d), Unit::Province { old: Some(op), .. })
        | (Unit::Province { old: Some(op), .. }, Unit::District(d)) => {
            g.districts.get(usize::from(d)).is_some_and(|d| d.old_province == op)
        }
        (Unit::OldWard(o), Unit::Province { old: Some(op), .. })
        | (Unit::Province { old: Some(op), .. }, Unit::OldWard(o)) => g
            .old_wards
            .get(o as usize)
            .and_then(|o| g.districts.get(usize::from(o.district)))
            .is_some_and(|d| d.old_province == op),
        _ => true,
    }
}

fn top(mut v: Vec<Match>, n: usize) -> Vec<Match> {
    v.sort_by(|a, b| b.score.total_cmp(&a.score));
    v.truncate(n);
    v
}

/// The consistent readings of the matches worth trying (each level named at most once, names not overlapping), best
/// first: at most [`MAX_READINGS`], none more than [`MAX_BEHIND`] below the best.
pub(super) fn readings(r: &Resolver, ix: &NationalIndex, input: &Input, matches: &[Match]) -> Vec<Reading> {
    let of = |l: Level, n| top(matches.iter().filter(|m| m.unit.level() == l).copied().collect(), n);
    // common ward names (`Tân Lập`, `Phường 1`) match dozens of wards: keep them all, the district and province
    // decide
    let (wards, districts, provinces) =
        (of(Level::Ward, MAX_WARD_MATCHES), of(Level::District, PER_LEVEL), of(Level::Province, PER_LEVEL));
    let structure = Structure::new(input, &provinces);
    let cands = |v: &[Match]| candidates(r, ix, v);
    let (wo, dopt, po) = (cands(&wards), cands(&districts), cands(&provinces));
    let long = long_names(r, ix, input, matches);
    let tails: Vec<bool> = wo.iter().map(|(w, _)| w.as_ref().is_some_and(|w| is_tail(r, ix, &long, w))).collect();
    // which ward and which district go with each province (the inner loop's tests, made once per pair)
    let with_p = |v: &[Candidate]| v.iter().flat_map(|x| po.iter().map(|p| fits(r, x, p))).collect::<Vec<_>>();
    let (wp, dp) = (with_p(&wo), with_p(&dopt));
    // (score, ward, district, province) by index: a few bytes each, as there can be thousands
    let mut all: Vec<(f64, [u16; 3])> = Vec::new();
    for (wi, (w, wp)) in wo.iter().zip(wp.chunks(po.len())).enumerate() {
        for (di, (d, dp)) in dopt.iter().zip(dp.chunks(po.len())).enumerate() {
            if !fits(r, w, d) {
                continue;
            }
            let (w, d) = (w.0, d.0);
            for (pi, ((p, _), (&wp, &dp))) in po.iter().zip(wp.iter().zip(dp)).enumerate() {
                if (w.is_none() && d.is_none() && p.is_none()) || !wp || !dp {
                    continue;
                }
                let mut score = reading_score(w, d, *p) - structure.penalty(w.as_ref(), d.as_ref(), p.as_ref());
                if tails[wi] {
                    score -= TAIL_PENALTY;
                }
                all.push((score, [wi, di, pi].map(|i| i as u16)));
            }
        }
    }
    let best = all.iter().map(|a| a.0).fold(f64::NEG_INFINITY, f64::max);
    all.retain(|a| a.0 >= best - MAX_BEHIND);
    all.sort_by(|a, b| b.0.total_cmp(&a.0));
    all.truncate(MAX_READINGS);
    let at = |v: &[Candidate], i: u16| v.get(usize::from(i)).and_then(|c| c.0);
    all.iter()
        .map(|&(score, [w, d, p])| Reading { ward: at(&wo, w), district: at(&dopt, d), province: at(&po, p), score })
        .collect()
}

/// A name for one level (or none) and its province of today.
type Candidate = (Option<Match>, Option<u8>);

/// The matches `v`, each with its province (looked up once), and the choice of naming none.
fn candidates(r: &Resolver, ix: &NationalIndex, v: &[Match]) -> Vec<Candidate> {
    v.iter().map(|m| (Some(*m), province_of(r, ix, m.unit))).chain(std::iter::once((None, None))).collect()
}

/// Whether two candidates can be named in one address: not overlapping, in the same province of today and, where
/// both are of the old form, one inside the other.
fn fits(r: &Resolver, (x, px): &Candidate, (y, py): &Candidate) -> bool {
    x.as_ref().zip(y.as_ref()).is_none_or(|(x, y)| px == py && !x.overlaps(y) && nested(r, x.unit, y.unit))
}

/// The score of a consistent reading: its names' scores, the ward's counted more, less for the doubtful forms.
fn reading_score(w: Option<Match>, d: Option<Match>, p: Option<Match>) -> f64 {
    let mut score: f64 = [w, d, p].iter().flatten().map(|m| m.score).sum();
    score += w.map_or(0.0, |w| 0.6 * w.score);
    // one name, misspelt, without its type word: weak (it must be backed by its street or coordinates)
    if [w, d, p].iter().flatten().all(|m| m.fuzzy && m.prefix.is_none()) {
        score -= 1.0;
    }
    // `Phường 2 Bảo Lộc` is one ward's name, not ward `2` of district `Bảo Lộc`
    if let (Some(w), Some(d)) = (&w, &d)
        && d.prefix.is_none()
        && d.start == w.end
        && tokens_part_eq(w, d)
    {
        score -= 1.0;
    }
    // a new ward with an old district is a mixed form: possible, less likely (an old province name with a new
    // ward is not marked down)
    if matches!(w.map(|w| w.unit), Some(Unit::NewWard(_))) && d.is_some() {
        score -= 0.5;
    }
    score
}

/// Words that may follow the province without being part of the address's units.
const COUNTRY_WORDS: [&str; 4] = ["viet", "nam", "vietnam", "vn"];
/// How much each word left over on the wrong side of the ward counts against a reading.
const MISPLACED_WORD_PENALTY: f64 = 0.9;
/// At most this many misplaced words are counted.
const MAX_MISPLACED: usize = 4;
/// How much a reading that leaves out the province written exactly counts less.
const PROVINCE_LEFT_OUT_PENALTY: f64 = 1.5;
/// How much a ward name that is the tail of a longer ward name of the same province counts against a reading.
const TAIL_PENALTY: f64 = 1.2;

/// What the structure of a Vietnamese address says against a reading, precomputed over the words and the ward names
/// found: the street comes before the units and the ward is the last name before the district and province (or,
/// written the other way round, the first after them), so words left over between the ward and the province, or
/// after the province, mean the ward was read in the street's place (`27 Lý Thường Kiệt, Tân Định, TP HCM`: not Lý
/// Thường Kiệt); and a name is read whole (`Nam Đông Hà`, not its tail `Đông Hà`).
struct Structure {
    /// `words[i]`: how many of the first `i` words could be a street's (not numbers, not the country).
    words: Vec<usize>,
    /// The provinces named exactly, by their words.
    provinces: Vec<(usize, usize)>,
}

impl Structure {
    fn new(input: &Input, provinces: &[Match]) -> Self {
        let mut words = Vec::with_capacity(input.tokens.len() + 1);
        words.push(0);
        for t in &input.tokens {
            let counts = !t.text.bytes().any(|b| b.is_ascii_digit()) && !COUNTRY_WORDS.contains(&t.text.as_str());
            words.push(words.last().copied().unwrap_or(0) + usize::from(counts));
        }
        let provinces = provinces.iter().filter(|m| !m.fuzzy).map(|m| (m.from, m.end)).collect();
        Structure { words, provinces }
    }

    /// Words that could be a street's among words `range`.
    fn count(&self, from: usize, to: usize) -> usize {
        let at = |i: usize| self.words.get(i).copied().unwrap_or_else(|| self.words.last().copied().unwrap_or(0));
        at(to).saturating_sub(at(from))
    }

    /// The penalty of ward `w` with district `d` and province `p`, none without a ward.
    fn penalty(&self, w: Option<&Match>, d: Option<&Match>, p: Option<&Match>) -> f64 {
        let Some(w) = w else { return 0.0 };
        // the province written is the arbiter: a reading that leaves it out (its ward is in another province)
        // contradicts it, unless its own names, spelt right, take the province's words
        let unwritten = p.is_none()
            && self
                .provinces
                .iter()
                .any(|&(from, end)| [Some(w), d].iter().flatten().all(|m| m.fuzzy || end <= m.from || m.end <= from));
        let contradicted = if unwritten { PROVINCE_LEFT_OUT_PENALTY } else { 0.0 };
        let Some(anchor) = p.or(d) else { return contradicted };
        let (from, to) = if anchor.from >= w.end { (w.end, self.words.len() - 1) } else { (0, w.from) };
        let mut misplaced = self.count(from, to);
        for m in [d, p].into_iter().flatten() {
            if m.from >= from && m.end <= to {
                misplaced = misplaced.saturating_sub(self.count(m.from, m.end));
            }
        }
        contradicted + MISPLACED_WORD_PENALTY * misplaced.min(MAX_MISPLACED) as f64
    }
}

/// Whether match `m` is the whole of its comma-separated part.
fn whole_part(input: &Input, m: &Match) -> bool {
    let t = &input.tokens;
    (m.from == 0 || t[m.from - 1].part != m.part) && t.get(m.end).is_none_or(|next| next.part != m.part)
}

/// Ward names that a shorter one ending on the same word is the tail of: spelt right, or (misspelt) making up the
/// whole of their part (`Bc Đông Hưng,`); as (first word, end, province).
fn long_names(r: &Resolver, ix: &NationalIndex, input: &Input, matches: &[Match]) -> Vec<(usize, usize, Option<u8>)> {
    matches
        .iter()
        .filter(|m| m.unit.level() == Level::Ward && m.end - m.start > 1 && (!m.fuzzy || whole_part(input, m)))
        .map(|m| (m.start, m.end, province_of(r, ix, m.unit)))
        .collect()
}

/// Whether ward name `w` is the tail of one of the `long` names of its province.
fn is_tail(r: &Resolver, ix: &NationalIndex, long: &[(usize, usize, Option<u8>)], w: &Match) -> bool {
    w.prefix.is_none()
        && long.iter().any(|&(start, end, _)| end == w.end && start < w.start)
        && long.iter().any(|&(start, end, p)| end == w.end && start < w.start && p == province_of(r, ix, w.unit))
}
