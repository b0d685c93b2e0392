//! The resolution itself: administrative names found in the words, consistent readings ranked, the rest parsed as
//! a street address and looked up.

use std::fmt::Write as _;

use super::gazetteer::{FUZZY_MIN_LEN, Level, PREFIXES, Unit, UnitKind};
use super::streets::{HouseNumber, street_key};
use super::text::{Token, tokenize};
use super::verdict::{
    Candidate, Component, ComponentType, Confirmation, Granularity, NextAction, OldUnits, Resolution, ResolvedAddress,
    UnitName, Verdict,
};
use super::{MAX_INPUT_BYTES, Resolver};
use diachi_domain::{DigitalAddress, LonLat};
use diachi_geo::dataset::alley_word;
use diachi_geo::index::NationalIndex;

/// Longest administrative name, in words.
const MAX_NAME_WORDS: usize = 5;
/// Candidates kept per level before readings are combined.
const PER_LEVEL: usize = 12;
/// Readings tried against the streets and addresses (a common ward name without its province has dozens).
const MAX_READINGS: usize = 64;
/// Ward names kept before readings are combined.
const MAX_WARD_MATCHES: usize = 160;

/// One administrative name found in the input.
#[derive(Debug, Clone, Copy)]
struct Match {
    /// Words `start..end` are the name; `from..start` its type word.
    from: usize,
    start: usize,
    end: usize,
    unit: Unit,
    prefix: Option<UnitKind>,
    part: u16,
    score: f64,
    fuzzy: bool,
}

impl Match {
    fn overlaps(&self, o: &Match) -> bool {
        self.from < o.end && o.from < self.end
    }
}

/// Two matches in the same comma-separated part.
fn tokens_part_eq(a: &Match, b: &Match) -> bool {
    a.part == b.part
}

/// A consistent choice of ward, district and province names.
#[derive(Debug, Clone, Copy)]
struct Reading {
    ward: Option<Match>,
    district: Option<Match>,
    province: Option<Match>,
    score: f64,
}

impl Reading {
    fn matches(&self) -> impl Iterator<Item = &Match> {
        self.ward.iter().chain(self.district.iter()).chain(self.province.iter())
    }
}

/// The street part: what is left of the words once the units are taken out.
#[derive(Debug, Default, Clone)]
struct StreetPart {
    apartment: Option<u16>,
    house: Option<u16>,
    alley: Option<u16>,
    /// Token indexes of the street name.
    street: Vec<usize>,
    /// Token indexes that fit nowhere.
    unknown: Vec<usize>,
}

/// One reading evaluated on one new ward.
#[derive(Debug, Clone)]
struct Scored {
    reading: usize,
    ward: Option<u16>,
    province: Option<u8>,
    score: f64,
    street: Option<(u32, usize)>,
    ids: Vec<diachi_domain::AddressId>,
    hint_in_ward: Option<bool>,
}

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

fn number(t: &Token) -> Option<u16> {
    let digits: &str = &t.text[..t.text.bytes().take_while(u8::is_ascii_digit).count()];
    if digits.is_empty() || digits.len() > 5 {
        return None;
    }
    digits.parse().ok()
}

/// The bare name of a unit, with its diacritics (`Đông Thạnh`).
fn bare_name<'a>(r: &'a Resolver, ix: &'a NationalIndex, unit: Unit) -> &'a str {
    let g = &r.gazetteer;
    let geo = &ix.data.geography;
    let split = |s: &'a str| super::gazetteer::Gazetteer::split_name(s).1;
    match unit {
        Unit::Province { new, old: None } => geo.provinces.get(usize::from(new)).map_or("", |p| p.name.as_str()),
        Unit::Province { old: Some(op), .. } => g.old_provinces.get(usize::from(op)).map_or("", |p| split(&p.name)),
        Unit::District(d) => g.districts.get(usize::from(d)).map_or("", |d| split(&d.name)),
        Unit::NewWard(w) => geo.wards.get(usize::from(w)).map_or("", |w| w.name.as_str()),
        Unit::OldWard(o) => g.old_wards.get(o as usize).map_or("", |o| split(&o.name)),
    }
}

fn find_matches(r: &Resolver, ix: &NationalIndex, input: &str, tokens: &[Token]) -> Vec<Match> {
    let n = tokens.len();
    let mut out = Vec::new();
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
            let mut found: Vec<Match> = Vec::new();
            let mut consider = |unit: Unit, kind: UnitKind, needs_prefix: bool, fuzzy: bool| {
                let level = unit.level();
                let pk = prefix.map(|p| p.0);
                if pk.is_some_and(|k| !k.is_level(level)) || (needs_prefix && pk.is_none()) {
                    return;
                }
                // a reading scores by how much of the input it explains, not by how many names it has
                let len = key.len().min(24) as f64;
                let mut score = if fuzzy { 0.6 } else { 1.0 } * (0.5 + 0.12 * len);
                // today's name over an old one spelt the same
                if matches!(unit, Unit::NewWard(_) | Unit::Province { old: None, .. }) {
                    score += 0.1;
                }
                if let Some(k) = pk {
                    score += if k == kind { 1.5 } else { 0.8 };
                } else {
                    if fuzzy && len < 7.0 {
                        score -= 0.5;
                    }
                    // right after a house or alley number, a name is more likely the street's
                    if i > 0 && tokens[i - 1].part == tokens[i].part && number(&tokens[i - 1]).is_some() {
                        score -= 1.0;
                    }
                }
                // units come after the street in Vietnamese order
                score += 0.6 * (j + 1) as f64 / n as f64;
                found.push(Match {
                    from: prefix.map_or(i, |p| p.1),
                    start: i,
                    end: j + 1,
                    unit,
                    prefix: pk,
                    part: tokens[i].part,
                    score,
                    fuzzy,
                });
            };
            let entries = r.gazetteer.lookup(&key);
            for e in entries {
                consider(e.unit, e.kind, e.needs_prefix, false);
            }
            // `Móng Cái 2` misspelt is still found; a number alone is never a misspelling
            let letters = key.bytes().filter(u8::is_ascii_alphabetic).count();
            let wordy = !tokens[i].is_number() && letters >= FUZZY_MIN_LEN;
            if entries.is_empty() && wordy && j - i < 4 {
                r.gazetteer.lookup_fuzzy(&key, |_, es| {
                    for e in es {
                        consider(e.unit, e.kind, e.needs_prefix, true);
                    }
                });
            }
            // names that differ only in their marks (`Đông Thành`, `Đông Thạnh`): the one written wins
            if found.len() > 1
                && let Some(written) = input.get(tokens[i].start..tokens[j].end)
            {
                let written = written.to_lowercase();
                for m in &mut found {
                    if bare_name(r, ix, m.unit).to_lowercase() == written {
                        m.score += 0.05;
                    }
                }
            }
            out.append(&mut found);
        }
    }
    out
}

fn province_of(r: &Resolver, ix: &NationalIndex, unit: Unit) -> Option<u8> {
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

fn compatible(r: &Resolver, ix: &NationalIndex, a: Unit, b: Unit) -> bool {
    let g = &r.gazetteer;
    if province_of(r, ix, a) != province_of(r, ix, b) {
        return false;
    }
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

fn readings(r: &Resolver, ix: &NationalIndex, matches: &[Match]) -> Vec<Reading> {
    let of = |l: Level, n| top(matches.iter().filter(|m| m.unit.level() == l).copied().collect(), n);
    // common ward names (`Tân Lập`, `Phường 1`) match dozens of wards: keep them all, the district and province
    // decide
    let (wards, districts, provinces) =
        (of(Level::Ward, MAX_WARD_MATCHES), of(Level::District, PER_LEVEL), of(Level::Province, PER_LEVEL));
    let mut out = Vec::new();
    let opt = |v: &[Match]| v.iter().copied().map(Some).chain(std::iter::once(None)).collect::<Vec<_>>();
    let (wo, dopt, po) = (opt(&wards), opt(&districts), opt(&provinces));
    for &w in &wo {
        for &d in &dopt {
            if let (Some(w), Some(d)) = (&w, &d)
                && (w.overlaps(d) || !compatible(r, ix, w.unit, d.unit))
            {
                continue;
            }
            for &p in &po {
                if w.is_none() && d.is_none() && p.is_none() {
                    continue;
                }
                let clash = |x: &Option<Match>| {
                    x.as_ref().zip(p.as_ref()).is_some_and(|(x, p)| x.overlaps(p) || !compatible(r, ix, x.unit, p.unit))
                };
                if clash(&w) || clash(&d) {
                    continue;
                }
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
                // a new ward with an old district is a mixed form: possible, less likely
                if matches!(w.map(|w| w.unit), Some(Unit::NewWard(_))) && d.is_some() {
                    score -= 0.5;
                }
                // an old province name that is no longer a province, with a new ward: mixed
                out.push(Reading { ward: w, district: d, province: p, score });
            }
        }
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    out
}

/// Splits the words left over into apartment, house number, alley and street.
fn street_part(tokens: &[Token], input: &str, used: &[bool]) -> StreetPart {
    const APARTMENT: [&str; 5] = ["can", "canho", "phong", "apt", "ch"];
    const HOUSE: [&str; 4] = ["so", "sn", "nha", "sonha"];
    const ALLEY: [&str; 7] = ["ngo", "ngach", "hem", "kiet", "ng", "hxh", "kiot"];
    const VILLAGE: [&str; 7] = ["thon", "ap", "ban", "buon", "xom", "to", "khu"];
    let mut s = StreetPart::default();
    let idx: Vec<usize> = (0..tokens.len()).filter(|&i| !used[i]).collect();
    let mut k = 0;
    let mut runs: Vec<Vec<usize>> = Vec::new();
    let mut run: Vec<usize> = Vec::new();
    let close = |run: &mut Vec<usize>, runs: &mut Vec<Vec<usize>>| {
        if !run.is_empty() {
            runs.push(std::mem::take(run));
        }
    };
    while k < idx.len() {
        let i = idx[k];
        let t = &tokens[i];
        let next = idx.get(k + 1).map(|&j| (j, &tokens[j]));
        let next_num = next.and_then(|(j, n)| number(n).map(|v| (j, v)));
        let word = t.text.as_str();
        let after_street_word = run.last().is_some_and(|&p| matches!(tokens[p].text.as_str(), "duong" | "d"));
        if APARTMENT.contains(&word) && s.apartment.is_none() {
            if word == "can" && next.is_some_and(|(_, n)| n.text == "ho") {
                k += 1;
            }
            if let Some((_, v)) = idx.get(k + 1).and_then(|&j| number(&tokens[j]).map(|v| (j, v))) {
                s.apartment = Some(v);
                close(&mut run, &mut runs);
                k += 2;
                continue;
            }
        }
        if HOUSE.contains(&word) && !after_street_word {
            let skip = usize::from(next.is_some_and(|(_, n)| n.text != word && HOUSE.contains(&n.text.as_str())));
            if let Some(v) = idx.get(k + 1 + skip).and_then(|&j| number(&tokens[j])) {
                if s.house.is_none() {
                    s.house = Some(v);
                    close(&mut run, &mut runs);
                    k += 2 + skip;
                    continue;
                }
            }
        }
        if ALLEY.contains(&word)
            && let Some((_, v)) = next_num
            && s.alley.is_none()
        {
            s.alley = Some(v);
            close(&mut run, &mut runs);
            k += 2;
            continue;
        }
        if let Some(v) = number(t) {
            if after_street_word || run.last().is_some_and(|&p| VILLAGE.contains(&tokens[p].text.as_str())) {
                run.push(i);
                k += 1;
                continue;
            }
            // `45/12 Lê Lợi`: house 12 in alley 45
            if let Some((j, w)) = next_num
                && input.get(t.end..tokens[j].start).is_some_and(|g| g.trim() == "/")
                && s.alley.is_none()
            {
                s.alley = Some(v);
                s.house = Some(w);
                close(&mut run, &mut runs);
                k += 2;
                continue;
            }
            if s.house.is_none() {
                s.house = Some(v);
                close(&mut run, &mut runs);
            } else {
                close(&mut run, &mut runs);
                s.unknown.push(i);
            }
            k += 1;
            continue;
        }
        if run.last().is_some_and(|&p| tokens[p].part != t.part) {
            close(&mut run, &mut runs);
        }
        run.push(i);
        k += 1;
    }
    close(&mut run, &mut runs);
    // the street is the longest run of words; the others are not understood
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

/// The street's keys from its words, to try in order: as written, then without a misspelt leading `đường`/`phố`
/// (`Duonng`, `Đườmg`).
fn street_tokens_keys(tokens: &[Token], street: &[usize]) -> Vec<String> {
    let words: Vec<&str> = street.iter().map(|&i| tokens[i].text.as_str()).collect();
    let mut keys = vec![street_key(&words.concat())];
    if let Some(&w) = words.first()
        && words.len() > 1
        && (matches!(w, "d" | "dg")
            || (w.len() >= 3
                && (super::gazetteer::edit_distance_within(w, "duong", 1).is_some()
                    || super::gazetteer::edit_distance_within(w, "pho", 1).is_some())))
    {
        keys.push(street_key(&words[1..].concat()));
    }
    keys.retain(|k| !k.is_empty());
    keys
}

fn original(input: &str, tokens: &[Token], from: usize, to: usize) -> Option<String> {
    if from >= to {
        return None;
    }
    input.get(tokens[from].start..tokens[to - 1].end).map(str::to_owned)
}

fn old_units(r: &Resolver, reading: &Reading) -> Option<OldUnits> {
    let g = &r.gazetteer;
    let ward = match reading.ward.map(|m| m.unit) {
        Some(Unit::OldWard(o)) => {
            g.old_wards.get(o as usize).map(|o| UnitName { code: o.code.clone(), name: o.name.clone() })
        }
        _ => None,
    };
    let district = match reading.district.map(|m| m.unit) {
        Some(Unit::District(d)) => {
            g.districts.get(usize::from(d)).map(|d| UnitName { code: d.code.clone(), name: d.name.clone() })
        }
        _ => None,
    };
    let province = match reading.province.map(|m| m.unit) {
        Some(Unit::Province { old: Some(op), .. }) => {
            g.old_provinces.get(usize::from(op)).map(|p| UnitName { code: p.code.clone(), name: p.name.clone() })
        }
        _ => None,
    };
    (ward.is_some()
        || district.is_some()
        || (province.is_some() && reading.ward.is_some_and(|w| matches!(w.unit, Unit::OldWard(_)))))
    .then_some(OldUnits { ward, district, province })
}

/// Resolves a digital address typed as the whole input.
fn by_digital_address(ix: &NationalIndex, input: &str) -> Option<Resolution> {
    let code = DigitalAddress::parse(input.trim()).ok()?;
    let id = ix.address_by_code(code)?;
    let v = ix.view(id)?;
    let geo = &ix.data.geography;
    let (_, ward) = diachi_domain::WardCode::parse(v.ward_code).ok().and_then(|c| geo.ward(c))?;
    let province = geo.province_of(ward);
    let component = |kind, text: String| Component {
        kind,
        text,
        input_text: None,
        confirmation: Confirmation::Confirmed,
        inferred: true,
        spell_corrected: false,
        replaced: false,
    };
    Some(Resolution {
        verdict: Verdict {
            input_granularity: Granularity::SubPremise,
            validation_granularity: Granularity::SubPremise,
            geocode_granularity: Granularity::SubPremise,
            address_complete: true,
            has_unconfirmed_components: false,
            has_inferred_components: true,
            has_replaced_components: false,
            has_spell_corrected_components: false,
            ambiguous: false,
            possible_next_action: NextAction::Accept,
        },
        components: vec![
            component(ComponentType::Street, v.street.clone()),
            component(ComponentType::Ward, ward.full_name()),
            component(ComponentType::Province, province.name.clone()),
        ],
        address: Some(ResolvedAddress {
            formatted: v.formatted.clone(),
            ward: UnitName { code: ward.code.as_str().to_owned(), name: ward.full_name() },
            province: UnitName { code: province.code.as_str().to_owned(), name: province.name.clone() },
            postcode: ward.postcode.as_str().to_owned(),
            address_id: Some(id),
            digital_address: Some(v.digital_address.clone()),
            lat: Some(v.lat),
            lon: Some(v.lon),
            units: None,
            old_units: None,
        }),
        candidates: Vec::new(),
        unresolved_tokens: Vec::new(),
        truncated: false,
    })
}

#[allow(clippy::too_many_lines)]
pub(super) fn resolve(r: &Resolver, ix: &NationalIndex, raw: &str, hint: Option<LonLat>) -> Resolution {
    let mut cut = raw.len().min(MAX_INPUT_BYTES);
    while !raw.is_char_boundary(cut) {
        cut -= 1;
    }
    let input = &raw[..cut];
    if let Some(res) = by_digital_address(ix, input) {
        return res;
    }
    let tokens = tokenize(input);
    let truncated = cut < raw.len() || tokens.len() >= super::text::MAX_TOKENS;
    let geo = &ix.data.geography;
    let matches = find_matches(r, ix, input, &tokens);
    let all = readings(r, ix, &matches);
    let hint_ward = hint.and_then(|p| geo.ward_near(p, 50.0)).map(|(w, _)| w.get());

    // Evaluate the best readings on each new ward they can mean.
    let best_score = all.first().map_or(0.0, |x| x.score);
    let mut scored: Vec<Scored> = Vec::new();
    let mut parts: Vec<StreetPart> = Vec::new();
    for (ri, reading) in all.iter().enumerate().take(MAX_READINGS) {
        if reading.score < best_score - 4.0 {
            break;
        }
        let weak = reading.matches().all(|m| m.fuzzy && m.prefix.is_none());
        let mut used = vec![false; tokens.len()];
        for m in reading.matches() {
            used[m.from..m.end].iter_mut().for_each(|u| *u = true);
        }
        let part = street_part(&tokens, input, &used);
        let keys = street_tokens_keys(&tokens, &part.street);
        let wards: Vec<u16> = match reading.ward.map(|m| m.unit) {
            Some(Unit::NewWard(w)) => vec![w],
            Some(Unit::OldWard(o)) => {
                r.gazetteer.old_wards.get(o as usize).map(|o| o.targets.clone()).unwrap_or_default()
            }
            _ => Vec::new(),
        };
        let province = reading.matches().find_map(|m| province_of(r, ix, m.unit));
        if wards.is_empty() && !weak {
            scored.push(Scored {
                reading: ri,
                ward: None,
                province,
                score: reading.score,
                street: None,
                ids: Vec::new(),
                hint_in_ward: None,
            });
        }
        for (k, &w) in wards.iter().enumerate() {
            let mut score = reading.score;
            if k == 0 && wards.len() > 1 {
                score += 0.2; // the official default of a split ward
            }
            let mut street = None;
            let mut ids = Vec::new();
            for key in &keys {
                if street.is_some() {
                    break;
                }
                for (sid, dist) in r.streets.find(w, key) {
                    if street.is_none() {
                        street = Some((sid, dist));
                    }
                    if let Some(house) = part.house {
                        let n = HouseNumber {
                            house,
                            alley: part.alley.unwrap_or(0),
                            apartment: part.apartment.unwrap_or(0),
                        };
                        let found = r.streets.addresses(ix, w, sid, n);
                        if !found.is_empty() {
                            street = Some((sid, dist));
                            ids = found;
                            break;
                        }
                    }
                }
            }
            if let Some((_, dist)) = street {
                score += 1.5 - 0.3 * dist as f64;
            }
            if !ids.is_empty() {
                score += 3.0;
            }
            let hint_in_ward = hint.map(|_| hint_ward == Some(w));
            if weak && street.is_none() && hint_in_ward != Some(true) {
                continue;
            }
            match hint_in_ward {
                Some(true) => score += 2.5,
                Some(false) => score -= 1.5,
                None => {}
            }
            scored.push(Scored {
                reading: ri,
                ward: Some(w),
                province: Some(geo.wards[usize::from(w)].province),
                score,
                street,
                ids,
                hint_in_ward,
            });
        }
        parts.push(part);
    }
    scored.sort_by(|a, b| b.score.total_cmp(&a.score));

    let unresolved_all = || tokens.iter().map(|t| t.text.clone()).collect::<Vec<_>>();
    let Some(best) = scored.first().cloned() else {
        return Resolution {
            verdict: Verdict {
                input_granularity: Granularity::Other,
                validation_granularity: Granularity::Other,
                geocode_granularity: Granularity::Other,
                address_complete: false,
                has_unconfirmed_components: !tokens.is_empty(),
                has_inferred_components: false,
                has_replaced_components: false,
                has_spell_corrected_components: false,
                ambiguous: false,
                possible_next_action: NextAction::Fix,
            },
            address: None,
            components: Vec::new(),
            candidates: Vec::new(),
            unresolved_tokens: unresolved_all(),
            truncated,
        };
    };
    let reading = all[best.reading];
    let part = &parts[best.reading];

    // Other wards that fit nearly as well.
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut seen: Vec<u16> = Vec::new();
    for s in &scored {
        let Some(w) = s.ward else { continue };
        if seen.contains(&w) || candidates.len() >= 5 {
            continue;
        }
        seen.push(w);
        let ward = &geo.wards[usize::from(w)];
        let province = geo.province_of(ward);
        let split = matches!(all[s.reading].ward.map(|m| m.unit), Some(Unit::OldWard(o)) if r.gazetteer.old_wards.get(o as usize).is_some_and(|o| o.targets.len() > 1));
        let reason = if Some(w) == best.ward {
            "best"
        } else if split && s.reading == best.reading {
            "old_ward_split"
        } else if all[s.reading].ward.map(|m| m.start) == reading.ward.map(|m| m.start) {
            "same_name_elsewhere"
        } else {
            "other_reading"
        };
        candidates.push(Candidate {
            ward: UnitName { code: ward.code.as_str().to_owned(), name: ward.full_name() },
            province: UnitName { code: province.code.as_str().to_owned(), name: province.name.clone() },
            postcode: ward.postcode.as_str().to_owned(),
            score: (s.score * 100.0).round() / 100.0,
            reason: reason.to_owned(),
            address_id: (s.ids.len() == 1).then(|| s.ids[0]),
        });
    }
    let runner_up = scored.iter().find(|s| s.ward.is_some() && s.ward != best.ward).map(|s| s.score);
    let ambiguous = best.ward.is_some() && runner_up.is_some_and(|s| best.score - s < 1.0);
    if candidates.len() <= 1 {
        candidates.clear();
    }

    // Components.
    let mut components = Vec::new();
    let mut unconfirmed = false;
    let ward = best.ward.map(|w| &geo.wards[usize::from(w)]);
    let province = best.province.and_then(|p| geo.provinces.get(usize::from(p)));
    let unique = (best.ids.len() == 1).then(|| best.ids[0]);
    let view = unique.and_then(|id| ix.view(id));
    let building = !best.ids.is_empty() && part.apartment.is_none() && best.ids.len() > 1;
    let mut push =
        |kind, text: String, input_text: Option<String>, confirmation, inferred, spell_corrected, replaced| {
            unconfirmed |= confirmation != Confirmation::Confirmed;
            components.push(Component { kind, text, input_text, confirmation, inferred, spell_corrected, replaced });
        };
    let found = !best.ids.is_empty();
    let num_conf = if found { Confirmation::Confirmed } else { Confirmation::UnconfirmedButPlausible };
    if let Some(a) = part.apartment {
        push(ComponentType::Apartment, a.to_string(), Some(a.to_string()), num_conf, false, false, false);
    }
    if let Some(h) = part.house {
        push(ComponentType::HouseNumber, h.to_string(), Some(h.to_string()), num_conf, false, false, false);
    }
    let province_code = province.map_or(0, |p| p.code.as_u32());
    if let Some(a) = part.alley {
        push(
            ComponentType::Alley,
            format!("{} {a}", alley_word(province_code)),
            Some(a.to_string()),
            num_conf,
            false,
            false,
            false,
        );
    }
    let street_input =
        part.street.first().zip(part.street.last()).and_then(|(&a, &b)| original(input, &tokens, a, b + 1));
    let street_name =
        best.street.and_then(|(sid, _)| ix.data.addresses.street_names.get(sid as usize)).map(|s| s.to_string());
    if street_input.is_some() || street_name.is_some() {
        let conf = match (&street_name, ward) {
            (Some(_), _) => Confirmation::Confirmed,
            (None, Some(_)) => Confirmation::UnconfirmedButPlausible,
            (None, None) => Confirmation::UnconfirmedButPlausible,
        };
        let corrected = best.street.is_some_and(|(_, d)| d > 0);
        let text = street_name.clone().or_else(|| street_input.clone()).unwrap_or_default();
        push(ComponentType::Street, text, street_input.clone(), conf, false, corrected, false);
    }
    if let Some(w) = ward {
        let m = reading.ward;
        let replaced = match m.map(|m| m.unit) {
            Some(Unit::OldWard(o)) => r.gazetteer.old_wards.get(o as usize).is_some_and(|o| o.name != w.full_name()),
            _ => false,
        };
        let conf = if best.hint_in_ward == Some(false) {
            Confirmation::UnconfirmedAndSuspicious
        } else if ambiguous {
            Confirmation::UnconfirmedButPlausible
        } else {
            Confirmation::Confirmed
        };
        push(
            ComponentType::Ward,
            w.full_name(),
            m.and_then(|m| original(input, &tokens, m.from, m.end)),
            conf,
            m.is_none(),
            m.is_some_and(|m| m.fuzzy),
            replaced,
        );
    }
    if let Some(d) = reading.district {
        push(
            ComponentType::District,
            String::new(),
            original(input, &tokens, d.from, d.end),
            Confirmation::Confirmed,
            false,
            d.fuzzy,
            true,
        );
    }
    if let Some(p) = province {
        let m = reading.province;
        let replaced = match m.map(|m| m.unit) {
            Some(Unit::Province { old: Some(op), .. }) => {
                r.gazetteer.old_provinces.get(usize::from(op)).is_some_and(|o| {
                    super::gazetteer::key_of(super::gazetteer::Gazetteer::split_name(&o.name).1)
                        != super::gazetteer::key_of(&p.name)
                })
            }
            _ => false,
        };
        let conf =
            if ambiguous && ward.is_none() { Confirmation::UnconfirmedButPlausible } else { Confirmation::Confirmed };
        push(
            ComponentType::Province,
            p.name.clone(),
            m.and_then(|m| original(input, &tokens, m.from, m.end)),
            conf,
            m.is_none(),
            m.is_some_and(|m| m.fuzzy),
            replaced,
        );
    }

    let unresolved: Vec<String> = part.unknown.iter().map(|&i| tokens[i].text.clone()).collect();
    let input_granularity = if part.apartment.is_some() {
        Granularity::SubPremise
    } else if part.house.is_some() {
        Granularity::Premise
    } else if !part.street.is_empty() {
        Granularity::Route
    } else if reading.ward.is_some() {
        Granularity::Ward
    } else if reading.district.is_some() {
        Granularity::District
    } else if reading.province.is_some() {
        Granularity::Province
    } else {
        Granularity::Other
    };
    let validation_granularity = if unique.is_some() && part.apartment.is_some() {
        Granularity::SubPremise
    } else if found {
        Granularity::Premise
    } else if best.street.is_some() {
        Granularity::Route
    } else if ward.is_some() {
        Granularity::Ward
    } else if province.is_some() {
        Granularity::Province
    } else {
        Granularity::Other
    };
    let location = match (&view, best.ids.first(), ward) {
        (Some(v), _, _) => {
            Some((v.lat, v.lon, if v.apartment.is_some() { Granularity::SubPremise } else { Granularity::Premise }))
        }
        (None, Some(&id), _) => {
            ix.with_address(id, |rec| rec.location()).flatten().map(|p| (p.lat(), p.lon(), Granularity::Premise))
        }
        (None, None, Some(w)) => Some((w.label.lat(), w.label.lon(), Granularity::Ward)),
        _ => None,
    };
    let has_inferred = components.iter().any(|c| c.inferred);
    let has_replaced = components.iter().any(|c| c.replaced);
    let has_corrected = components.iter().any(|c| c.spell_corrected);
    let suspicious = components.iter().any(|c| c.confirmation == Confirmation::UnconfirmedAndSuspicious);
    let address_complete = ward.is_some() && !ambiguous && !suspicious && unresolved.is_empty() && unique.is_some();
    let possible_next_action = if ward.is_none() || suspicious {
        NextAction::Fix
    } else if building {
        NextAction::ConfirmAddSubpremises
    } else if address_complete && !has_replaced && !has_corrected && !has_inferred_beyond_province(&components) {
        NextAction::Accept
    } else {
        NextAction::Confirm
    };

    let address = province.map(|p| {
        let formatted = match &view {
            Some(v) => v.formatted.clone(),
            None => {
                let mut f = String::new();
                if let Some(a) = part.apartment {
                    let _ = write!(f, "Căn {a}, ");
                }
                if let Some(h) = part.house {
                    let _ = write!(f, "Số {h}, ");
                }
                if let Some(a) = part.alley {
                    let _ = write!(f, "{} {a}, ", alley_word(p.code.as_u32()));
                }
                if let Some(s) = street_name.as_ref().or(street_input.as_ref()) {
                    let _ = write!(f, "{s}, ");
                }
                if let Some(w) = ward {
                    let _ = write!(f, "{}, ", w.full_name());
                }
                f.push_str(&p.name);
                f
            }
        };
        ResolvedAddress {
            formatted,
            ward: ward.map_or_else(
                || UnitName { code: String::new(), name: String::new() },
                |w| UnitName { code: w.code.as_str().to_owned(), name: w.full_name() },
            ),
            province: UnitName { code: p.code.as_str().to_owned(), name: p.name.clone() },
            postcode: ward.map_or_else(String::new, |w| w.postcode.as_str().to_owned()),
            address_id: unique,
            digital_address: view.as_ref().map(|v| v.digital_address.clone()),
            lat: location.map(|l| l.0),
            lon: location.map(|l| l.1),
            units: building.then_some(best.ids.len()),
            old_units: old_units(r, &reading),
        }
    });
    Resolution {
        verdict: Verdict {
            input_granularity,
            validation_granularity,
            geocode_granularity: location.map_or(Granularity::Other, |l| l.2),
            address_complete,
            has_unconfirmed_components: unconfirmed || !unresolved.is_empty(),
            has_inferred_components: has_inferred,
            has_replaced_components: has_replaced,
            has_spell_corrected_components: has_corrected,
            ambiguous,
            possible_next_action,
        },
        address,
        components,
        candidates,
        unresolved_tokens: unresolved,
        truncated,
    }
}

/// A province left out is filled in without doubt when the ward is known; anything else inferred needs a look.
fn has_inferred_beyond_province(components: &[Component]) -> bool {
    components.iter().any(|c| c.inferred && c.kind != ComponentType::Province)
}
