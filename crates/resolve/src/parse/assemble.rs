//! Stage 5: the answer from the best scored reading: its components, how sure each is, the other wards that fit
//! nearly as well, the address on today's map and the verdict.

use std::fmt::Write as _;

use super::Input;
use super::readings::Reading;
use super::score::Scored;
use super::street::StreetPart;
use crate::Resolver;
use crate::gazetteer::{Gazetteer, Unit, key_of};
use crate::verdict::{
    Candidate, Component, ComponentType, Confirmation, Granularity, NextAction, OldUnits, Resolution, ResolvedAddress,
    UnitName, Verdict,
};
use diachi_domain::HouseNumber;
use diachi_geo::dataset::{AddressView, alley_word};
use diachi_geo::geography::{Province, Ward};
use diachi_geo::index::NationalIndex;

/// Other wards reported as candidates, the best included.
const MAX_CANDIDATES: usize = 5;

/// The answer from the scored readings (`scored` best first; `tried` and `parts` as scored).
pub(super) fn assemble(
    r: &Resolver,
    ix: &NationalIndex,
    input: &Input,
    tried: &[Reading],
    parts: &[StreetPart],
    scored: &[Scored],
) -> Resolution {
    let Some(best) = scored.first() else { return nothing_named(input) };
    let ambiguous = best.ward.is_some()
        && scored.iter().find(|s| s.ward.is_some() && s.ward != best.ward).is_some_and(|s| best.score - s.score < 1.0);
    let b = Best::new(ix, input, best, &tried[best.reading], &parts[best.reading], ambiguous);
    let candidates = candidates(r, ix, tried, scored);
    let components = components(r, input, &b);
    let unresolved: Vec<String> = b.part.unknown.iter().map(|&i| input.tokens[i].text.clone()).collect();
    let location = location(ix, &b);
    Resolution {
        verdict: verdict(&b, &components, &unresolved, location),
        address: address(r, &b, location),
        components,
        candidates,
        unresolved_tokens: unresolved,
        truncated: input.truncated,
    }
}

/// The answer when no reading names anything.
fn nothing_named(input: &Input) -> Resolution {
    Resolution {
        verdict: Verdict {
            input_granularity: Granularity::Other,
            validation_granularity: Granularity::Other,
            geocode_granularity: Granularity::Other,
            address_complete: false,
            has_unconfirmed_components: !input.tokens.is_empty(),
            has_inferred_components: false,
            has_replaced_components: false,
            has_spell_corrected_components: false,
            ambiguous: false,
            possible_next_action: NextAction::Fix,
        },
        address: None,
        components: Vec::new(),
        candidates: Vec::new(),
        unresolved_tokens: input.tokens.iter().map(|t| t.text.clone()).collect(),
        truncated: input.truncated,
    }
}

/// The best scored reading and what it found, looked up.
struct Best<'a> {
    scored: &'a Scored,
    reading: &'a Reading,
    part: &'a StreetPart,
    ward: Option<&'a Ward>,
    province: Option<&'a Province>,
    /// The address found, if exactly one was.
    unique: Option<diachi_domain::AddressId>,
    view: Option<AddressView<'a>>,
    /// Several units of one building were found and no apartment was given.
    building: bool,
    /// The street as written.
    street_input: Option<String>,
    /// The street as in the register.
    street_name: Option<String>,
    /// Another ward scored nearly as well.
    ambiguous: bool,
    /// The house number and alley: as read, or the house `45/12` on the street when the register has that one.
    house: Option<HouseNumber>,
    alley: Option<u16>,
}

impl<'a> Best<'a> {
    fn new(
        ix: &'a NationalIndex,
        input: &Input,
        scored: &'a Scored,
        reading: &'a Reading,
        part: &'a StreetPart,
        ambiguous: bool,
    ) -> Self {
        let geo = &ix.data.geography;
        let unique = (scored.ids.len() == 1).then(|| scored.ids[0]);
        Best {
            scored,
            reading,
            part,
            ward: scored.ward.map(|w| &geo.wards[usize::from(w)]),
            province: scored.province.and_then(|p| geo.provinces.get(usize::from(p))),
            unique,
            view: unique.and_then(|id| ix.view(id)),
            building: !scored.ids.is_empty() && part.apartment.is_none() && scored.ids.len() > 1,
            street_input: part.street.first().zip(part.street.last()).and_then(|(&a, &b)| original(input, a, b + 1)),
            street_name: scored
                .street
                .and_then(|(sid, _)| ix.data.addresses.street_names.get(sid as usize))
                .map(ToString::to_string),
            ambiguous,
            house: if scored.slash { part.slash } else { part.house },
            alley: if scored.slash { None } else { part.alley },
        }
    }

    /// Addresses were found with the numbers given.
    fn found(&self) -> bool {
        !self.scored.ids.is_empty()
    }
}

/// Other wards that fit nearly as well (none when only the best does).
fn candidates(r: &Resolver, ix: &NationalIndex, tried: &[Reading], scored: &[Scored]) -> Vec<Candidate> {
    let geo = &ix.data.geography;
    let best = &scored[0];
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut seen: Vec<u16> = Vec::new();
    for s in scored {
        let Some(w) = s.ward else { continue };
        if seen.contains(&w) || candidates.len() >= MAX_CANDIDATES {
            continue;
        }
        seen.push(w);
        let ward = &geo.wards[usize::from(w)];
        let province = geo.province_of(ward);
        candidates.push(Candidate {
            ward: UnitName { code: ward.code.as_str().to_owned(), name: ward.full_name() },
            province: UnitName { code: province.code.as_str().to_owned(), name: province.name.clone() },
            postcode: ward.postcode.as_str().to_owned(),
            score: (s.score * 100.0).round() / 100.0,
            reason: reason(r, tried, s, best).to_owned(),
            address_id: (s.ids.len() == 1).then(|| s.ids[0]),
        });
    }
    if candidates.len() <= 1 {
        candidates.clear();
    }
    candidates
}

/// Why candidate `s` is one.
fn reason(r: &Resolver, tried: &[Reading], s: &Scored, best: &Scored) -> &'static str {
    let split = matches!(tried[s.reading].ward.map(|m| m.unit), Some(Unit::OldWard(o)) if r.gazetteer.old_wards.get(o as usize).is_some_and(|o| o.targets.len() > 1));
    if s.ward == best.ward {
        "best"
    } else if split && s.reading == best.reading {
        "old_ward_split"
    } else if tried[s.reading].ward.map(|m| m.start) == tried[best.reading].ward.map(|m| m.start) {
        "same_name_elsewhere"
    } else {
        "other_reading"
    }
}

/// The components, in the order of an address: apartment, house number, alley, street, ward, old district,
/// province.
fn components(r: &Resolver, input: &Input, b: &Best) -> Vec<Component> {
    let num_conf = if b.found() { Confirmation::Confirmed } else { Confirmation::UnconfirmedButPlausible };
    let number = |kind, text: String, n: String| Component {
        kind,
        text,
        input_text: Some(n),
        confirmation: num_conf,
        inferred: false,
        spell_corrected: false,
        replaced: false,
    };
    let province_code = b.province.map_or(0, |p| p.code.as_u32());
    [
        b.part.apartment.map(|a| number(ComponentType::Apartment, a.to_string(), a.to_string())),
        b.house.map(|h| number(ComponentType::HouseNumber, h.to_string(), h.to_string())),
        b.alley.map(|a| number(ComponentType::Alley, format!("{} {a}", alley_word(province_code)), a.to_string())),
        street_component(b),
        ward_component(r, input, b),
        b.reading.district.map(|d| Component {
            kind: ComponentType::District,
            text: String::new(),
            input_text: original(input, d.from, d.end),
            confirmation: Confirmation::Confirmed,
            inferred: false,
            spell_corrected: d.fuzzy,
            replaced: true,
        }),
        province_component(r, input, b),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn street_component(b: &Best) -> Option<Component> {
    if b.street_input.is_none() && b.street_name.is_none() {
        return None;
    }
    // a street not found in the register is plausible, with or without a ward
    let confirmation =
        if b.street_name.is_some() { Confirmation::Confirmed } else { Confirmation::UnconfirmedButPlausible };
    Some(Component {
        kind: ComponentType::Street,
        text: b.street_name.clone().or_else(|| b.street_input.clone()).unwrap_or_default(),
        input_text: b.street_input.clone(),
        confirmation,
        inferred: false,
        spell_corrected: b.scored.street.is_some_and(|(_, d)| d > 0),
        replaced: false,
    })
}

fn ward_component(r: &Resolver, input: &Input, b: &Best) -> Option<Component> {
    let w = b.ward?;
    let m = b.reading.ward;
    let replaced = match m.map(|m| m.unit) {
        Some(Unit::OldWard(o)) => r.gazetteer.old_wards.get(o as usize).is_some_and(|o| o.name != w.full_name()),
        _ => false,
    };
    let confirmation = if b.scored.hint_in_ward == Some(false) {
        Confirmation::UnconfirmedAndSuspicious
    } else if b.ambiguous {
        Confirmation::UnconfirmedButPlausible
    } else {
        Confirmation::Confirmed
    };
    Some(Component {
        kind: ComponentType::Ward,
        text: w.full_name(),
        input_text: m.and_then(|m| original(input, m.from, m.end)),
        confirmation,
        inferred: m.is_none(),
        spell_corrected: m.is_some_and(|m| m.fuzzy),
        replaced,
    })
}

fn province_component(r: &Resolver, input: &Input, b: &Best) -> Option<Component> {
    let p = b.province?;
    let m = b.reading.province;
    let replaced = match m.map(|m| m.unit) {
        Some(Unit::Province { old: Some(op), .. }) => r
            .gazetteer
            .old_provinces
            .get(usize::from(op))
            .is_some_and(|o| key_of(Gazetteer::split_name(&o.name).1) != key_of(&p.name)),
        _ => false,
    };
    let confirmation =
        if b.ambiguous && b.ward.is_none() { Confirmation::UnconfirmedButPlausible } else { Confirmation::Confirmed };
    Some(Component {
        kind: ComponentType::Province,
        text: p.name.clone(),
        input_text: m.and_then(|m| original(input, m.from, m.end)),
        confirmation,
        inferred: m.is_none(),
        spell_corrected: m.is_some_and(|m| m.fuzzy),
        replaced,
    })
}

/// How fine the input is.
fn input_granularity(part: &StreetPart, reading: &Reading) -> Granularity {
    if part.apartment.is_some() {
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
    }
}

/// How fine the answer is confirmed.
fn validation_granularity(b: &Best) -> Granularity {
    if b.unique.is_some() && b.part.apartment.is_some() {
        Granularity::SubPremise
    } else if b.found() {
        Granularity::Premise
    } else if b.scored.street.is_some() {
        Granularity::Route
    } else if b.ward.is_some() {
        Granularity::Ward
    } else if b.province.is_some() {
        Granularity::Province
    } else {
        Granularity::Other
    }
}

/// Where the answer is (lat, lon) and how fine that is: the address, else the ward's label point.
fn location(ix: &NationalIndex, b: &Best) -> Option<(f64, f64, Granularity)> {
    match (&b.view, b.scored.ids.first(), b.ward) {
        (Some(v), _, _) => {
            Some((v.lat, v.lon, if v.apartment.is_some() { Granularity::SubPremise } else { Granularity::Premise }))
        }
        (None, Some(&id), _) => {
            ix.with_address(id, |rec| rec.location()).flatten().map(|p| (p.lat(), p.lon(), Granularity::Premise))
        }
        (None, None, Some(w)) => Some((w.label.lat(), w.label.lon(), Granularity::Ward)),
        _ => None,
    }
}

fn verdict(
    b: &Best,
    components: &[Component],
    unresolved: &[String],
    location: Option<(f64, f64, Granularity)>,
) -> Verdict {
    let unconfirmed = components.iter().any(|c| c.confirmation != Confirmation::Confirmed);
    let has_inferred = components.iter().any(|c| c.inferred);
    let has_replaced = components.iter().any(|c| c.replaced);
    let has_corrected = components.iter().any(|c| c.spell_corrected);
    let suspicious = components.iter().any(|c| c.confirmation == Confirmation::UnconfirmedAndSuspicious);
    let address_complete =
        b.ward.is_some() && !b.ambiguous && !suspicious && unresolved.is_empty() && b.unique.is_some();
    let possible_next_action = if b.ward.is_none() || suspicious {
        NextAction::Fix
    } else if b.building {
        NextAction::ConfirmAddSubpremises
    } else if address_complete && !has_replaced && !has_corrected && !has_inferred_beyond_province(components) {
        NextAction::Accept
    } else {
        NextAction::Confirm
    };
    Verdict {
        input_granularity: input_granularity(b.part, b.reading),
        validation_granularity: validation_granularity(b),
        geocode_granularity: location.map_or(Granularity::Other, |l| l.2),
        address_complete,
        has_unconfirmed_components: unconfirmed || !unresolved.is_empty(),
        has_inferred_components: has_inferred,
        has_replaced_components: has_replaced,
        has_spell_corrected_components: has_corrected,
        ambiguous: b.ambiguous,
        possible_next_action,
    }
}

/// A province left out is filled in without doubt when the ward is known; anything else inferred needs a look.
fn has_inferred_beyond_province(components: &[Component]) -> bool {
    components.iter().any(|c| c.inferred && c.kind != ComponentType::Province)
}

/// The address on today's map (none without a province).
fn address(r: &Resolver, b: &Best, location: Option<(f64, f64, Granularity)>) -> Option<ResolvedAddress> {
    let p = b.province?;
    let ward = b.ward;
    Some(ResolvedAddress {
        formatted: b.view.as_ref().map_or_else(|| formatted(b, p), |v| v.formatted.clone()),
        ward: ward.map_or_else(
            || UnitName { code: String::new(), name: String::new() },
            |w| UnitName { code: w.code.as_str().to_owned(), name: w.full_name() },
        ),
        province: UnitName { code: p.code.as_str().to_owned(), name: p.name.clone() },
        postcode: ward.map_or_else(String::new, |w| w.postcode.as_str().to_owned()),
        address_id: b.unique,
        digital_address: b.view.as_ref().map(|v| v.digital_address.clone()),
        lat: location.map(|l| l.0),
        lon: location.map(|l| l.1),
        units: b.building.then_some(b.scored.ids.len()),
        old_units: old_units(r, b.reading),
    })
}

/// The address on one line, from what was read, when no single address was found.
fn formatted(b: &Best, p: &Province) -> String {
    let mut f = String::new();
    if let Some(a) = b.part.apartment {
        let _ = write!(f, "Căn {a}, ");
    }
    if let Some(h) = b.house {
        let _ = write!(f, "Số {h}, ");
    }
    if let Some(a) = b.alley {
        let _ = write!(f, "{} {a}, ", alley_word(p.code.as_u32()));
    }
    if let Some(s) = b.street_name.as_ref().or(b.street_input.as_ref()) {
        let _ = write!(f, "{s}, ");
    }
    if let Some(w) = b.ward {
        let _ = write!(f, "{}, ", w.full_name());
    }
    f.push_str(&p.name);
    f
}

/// The input as written for words `from..to`.
fn original(input: &Input, from: usize, to: usize) -> Option<String> {
    if from >= to {
        return None;
    }
    input.text.get(input.tokens[from].start..input.tokens[to - 1].end).map(str::to_owned)
}

/// The pre-2025 units the input named, when it named an old ward or district.
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
