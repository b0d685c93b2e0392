//! Stage 4: the best readings tried on each new ward they can mean (an old ward split in 2025 can mean several),
//! scored by the street and house found there and by the caller's coordinates.

use super::Input;
use super::readings::{Reading, province_of};
use super::street::{StreetPart, street_tokens_keys};
use crate::Resolver;
use crate::gazetteer::Unit;
use crate::streets::StreetNumber;
use diachi_domain::LonLat;
use diachi_geo::index::NationalIndex;

/// What the official default among the new wards of a split old ward gets.
const DEFAULT_BONUS: f64 = 0.05;
/// Taken from a reading of a name as an old ward when the same words also name a ward of today and nothing else in the
/// text is of the old form (no district, no old province name): a name of today means today's ward.
const OLD_READING_OF_TODAYS_NAME: f64 = 0.5;

/// One reading evaluated on one new ward.
#[derive(Debug, Clone)]
pub(super) struct Scored {
    /// Index of the reading among those tried.
    pub reading: usize,
    pub ward: Option<u16>,
    pub province: Option<u8>,
    pub score: f64,
    /// The street found in the ward (street id, edits from what was written).
    pub street: Option<(u32, usize)>,
    /// The addresses found on it.
    pub ids: Vec<diachi_domain::AddressId>,
    /// They were found by the house number `45/12` on the street itself, not by house 12 in alley 45.
    pub slash: bool,
    /// Whether the caller's coordinates are in the ward (none without coordinates).
    pub hint_in_ward: Option<bool>,
}

/// Every tried reading (with its street part, `parts[i]` for `tried[i]`) on each new ward it can mean, best first.
pub(super) fn score(
    r: &Resolver,
    ix: &NationalIndex,
    input: &Input,
    tried: &[Reading],
    parts: &[StreetPart],
    hint: Option<LonLat>,
) -> Vec<Scored> {
    let geo = &ix.data.geography;
    let near = Near { given: hint.is_some(), ward: hint.and_then(|p| geo.ward_near(p, 50.0)).map(|(w, _)| w.get()) };
    let mut scored: Vec<Scored> = Vec::new();
    let todays: Vec<(usize, usize)> = tried
        .iter()
        .filter_map(|t| t.ward.as_ref())
        .filter(|m| matches!(m.unit, Unit::NewWard(_)) && !m.fuzzy)
        .map(|m| (m.start, m.end))
        .collect();
    // readings that leave the same words to the street share its keys
    let mut keys: Vec<(&[usize], Vec<String>)> = Vec::new();
    let which: Vec<usize> = parts
        .iter()
        .map(|part| {
            keys.iter().position(|(words, _)| *words == part.street.as_slice()).unwrap_or_else(|| {
                keys.push((&part.street, street_tokens_keys(&input.tokens, &part.street)));
                keys.len() - 1
            })
        })
        .collect();
    for (ri, ((reading, part), &k)) in tried.iter().zip(parts).zip(&which).enumerate() {
        let trial = Trial {
            index: ri,
            reading,
            penalty: if old_reading_of_todays_name(reading, &todays) { OLD_READING_OF_TODAYS_NAME } else { 0.0 },
            part,
            keys: &keys[k].1,
            weak: reading.matches().all(|m| m.fuzzy && m.prefix.is_none()),
        };
        let wards = new_wards(r, reading);
        if wards.is_empty() && !trial.weak {
            scored.push(Scored {
                reading: ri,
                ward: None,
                province: reading.matches().find_map(|m| province_of(r, ix, m.unit)),
                score: reading.score,
                street: None,
                ids: Vec::new(),
                slash: false,
                hint_in_ward: None,
            });
        }
        for (k, &w) in wards.iter().enumerate() {
            // the official default of a split ward
            let default = k == 0 && wards.len() > 1;
            scored.extend(on_ward(r, ix, &trial, w, default, near));
        }
    }
    scored.sort_by(|a, b| b.score.total_cmp(&a.score));
    scored
}

/// Whether a reading takes a name as an old ward that the same words name today, with nothing else of the old form.
fn old_reading_of_todays_name(reading: &Reading, todays: &[(usize, usize)]) -> bool {
    let Some(m) = reading.ward.as_ref().filter(|m| matches!(m.unit, Unit::OldWard(_))) else { return false };
    let old_province = reading.province.as_ref().is_some_and(|p| matches!(p.unit, Unit::Province { old: Some(_), .. }));
    reading.district.is_none() && !old_province && todays.contains(&(m.start, m.end))
}

/// The new wards a reading's ward can mean: itself, or those an old ward went to (the official default first).
fn new_wards(r: &Resolver, reading: &Reading) -> Vec<u16> {
    match reading.ward.map(|m| m.unit) {
        Some(Unit::NewWard(w)) => vec![w],
        Some(Unit::OldWard(o)) => r.gazetteer.old_wards.get(o as usize).map(|o| o.targets.clone()).unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The caller's coordinates, if given, as the ward they are in.
#[derive(Debug, Clone, Copy)]
struct Near {
    given: bool,
    ward: Option<u16>,
}

impl Near {
    /// Whether the coordinates are in ward `w` (none without coordinates).
    fn in_ward(self, w: u16) -> Option<bool> {
        self.given.then_some(self.ward == Some(w))
    }
}

/// One reading being tried.
struct Trial<'a> {
    index: usize,
    reading: &'a Reading,
    /// Taken from the reading's score on every ward.
    penalty: f64,
    part: &'a StreetPart,
    /// The street's keys to look up, in order.
    keys: &'a [String],
    /// Its one name is misspelt and without its type word: it counts only backed by a street or the coordinates.
    weak: bool,
}

/// The trial on new ward `w` (`default`: the official default of the old ward split between several); none when a
/// weak reading finds no backing there.
fn on_ward(r: &Resolver, ix: &NationalIndex, t: &Trial, w: u16, default: bool, near: Near) -> Option<Scored> {
    let mut score = t.reading.score - t.penalty;
    // the official default of a split old ward, only between its own new wards: less than what today's name spelt
    // the same as the old one gets (a ward of today named in today's form is that ward)
    if default {
        score += DEFAULT_BONUS;
    }
    let (street, ids, specificity, slash) = find_street(r, ix, w, t.keys, t.part);
    if let Some((_, dist)) = street {
        // a street name that many wards have says little about which ward this is
        score += (1.5 - 0.3 * dist as f64) * specificity;
    }
    if !ids.is_empty() {
        score += 3.0;
    }
    let hint_in_ward = near.in_ward(w);
    if t.weak && street.is_none() && hint_in_ward != Some(true) {
        return None;
    }
    match hint_in_ward {
        Some(true) => score += 2.5,
        Some(false) => score -= 1.5,
        None => {}
    }
    Some(Scored {
        reading: t.index,
        ward: Some(w),
        province: Some(ix.data.geography.wards[usize::from(w)].province),
        score,
        street,
        ids,
        slash,
        hint_in_ward,
    })
}

/// The street of ward `w` the keys name (the first key that names one) and the addresses on it with the part's
/// numbers: the first street with such an address, else the first street found; with the specificity of the key
/// that found it (`Streets::specificity`), and whether the house was found by the part's slash reading.
fn find_street(
    r: &Resolver,
    ix: &NationalIndex,
    w: u16,
    keys: &[String],
    part: &StreetPart,
) -> (Option<(u32, usize)>, Vec<diachi_domain::AddressId>, f64, bool) {
    let mut street = None;
    let mut ids = Vec::new();
    let mut specificity = 1.0;
    let mut slash = false;
    let apartment = part.apartment.unwrap_or(0);
    let numbers = [
        part.house.map(|house| (StreetNumber { house, alley: part.alley.unwrap_or(0), apartment }, false)),
        part.slash.map(|house| (StreetNumber { house, alley: 0, apartment }, true)),
    ];
    for key in keys {
        if street.is_some() {
            break;
        }
        for (sid, dist) in r.streets.find(w, key) {
            if street.is_none() {
                street = Some((sid, dist));
                specificity = r.streets.specificity(key);
            }
            let found = numbers.iter().flatten().find_map(|&(n, by_slash)| {
                let found = r.streets.addresses(ix, w, sid, n);
                (!found.is_empty()).then_some((found, by_slash))
            });
            if let Some((found, by_slash)) = found {
                street = Some((sid, dist));
                (ids, slash) = (found, by_slash);
                break;
            }
        }
    }
    (street, ids, specificity, slash)
}
