use std::sync::{Arc, OnceLock};

use crate::forms::{OldForms, join, new_form};
use crate::noise::strip_marks;
use diachi_domain::{AddressId, LonLat};
use diachi_geo::index::NationalIndex;
use diachi_resolve::*;

fn fixture() -> &'static (Arc<NationalIndex>, Resolver) {
    static F: OnceLock<(Arc<NationalIndex>, Resolver)> = OnceLock::new();
    F.get_or_init(|| {
        let data = crate::build_dataset(20_000, 7, None).expect("the embedded geography loads");
        let ix = Arc::new(NationalIndex::build(data));
        let r = Resolver::build(&ix);
        (ix, r)
    })
}

fn ids(step: usize) -> impl Iterator<Item = AddressId> {
    let (ix, _) = fixture();
    ix.data.addresses.ids().step_by(step)
}

#[test]
fn every_formatted_address_resolves_to_itself() {
    let (ix, r) = fixture();
    let mut n = 0;
    for id in ids(97) {
        let v = ix.view(id).expect("generated ids exist");
        let res = r.resolve(ix, &v.formatted, None);
        let a = res.address.as_ref().expect("an address");
        assert_eq!(a.ward.code, v.ward_code, "{}", v.formatted);
        assert_eq!(a.address_id, Some(id), "{}: {res:?}", v.formatted);
        assert_eq!(a.digital_address.as_deref(), Some(v.digital_address.as_str()));
        assert!(res.verdict.address_complete, "{}: {:?}", v.formatted, res.verdict);
        assert_eq!(res.verdict.possible_next_action, NextAction::Accept, "{}", v.formatted);
        n += 1;
    }
    assert!(n > 150);
}

#[test]
fn without_diacritics_lower_case_and_abbreviated() {
    let (ix, r) = fixture();
    for id in ids(211) {
        let v = ix.view(id).expect("generated ids exist");
        let text = strip_marks(&v.formatted)
            .to_lowercase()
            .replace("phuong ", "p.")
            .replace("thanh pho ", "tp ")
            .replace("tinh ", "");
        let res = r.resolve(ix, &text, None);
        let a = res.address.as_ref().expect("an address");
        assert_eq!(a.ward.code, v.ward_code, "{text}");
        assert_eq!(a.address_id, Some(id), "{text}");
    }
}

#[test]
fn old_form_is_replaced_by_todays_ward() {
    let (ix, r) = fixture();
    let geo = &ix.data.geography;
    let forms = OldForms::new(geo);
    let (mut checked, mut split) = (0, 0);
    for id in ids(53) {
        let v = ix.view(id).expect("generated ids exist");
        let Some((pieces, row)) = forms.old_form(geo, &v, id.get()) else { continue };
        let text = join(&pieces);
        let res = r.resolve(ix, &text, None);
        let a = res.address.as_ref().expect("an address");
        assert!(res.verdict.has_replaced_components, "{text}");
        if a.ward.code != v.ward_code {
            // the same street and house number in more than one of the wards a split old ward went to: a tie
            assert!(row.is_divided == 1 && res.verdict.ambiguous, "{text}: {:?}", res.candidates);
            assert!(res.candidates.iter().any(|c| c.ward.code == v.ward_code), "{text}");
            continue;
        }
        assert_eq!(a.address_id, Some(id), "{text}");
        let old = a.old_units.as_ref().expect("old units reported");
        assert_eq!(old.ward.as_ref().map(|w| w.code.as_str()), Some(row.old_ward_code.as_str()), "{text}");
        assert!(res.components.iter().any(|c| c.kind == ComponentType::District && c.replaced));
        checked += 1;
        split += usize::from(row.is_divided == 1);
    }
    assert!(checked > 300 && split > 10, "{checked} {split}");
}

/// An old ward split between new wards, with no street to tell: the coordinates decide; without them, every new
/// ward is a candidate.
#[test]
fn split_old_ward_decided_by_coordinates_else_candidates() {
    let (ix, r) = fixture();
    let geo = &ix.data.geography;
    let g = &r.gazetteer;
    let o = g
        .old_wards
        .iter()
        .find(|o| o.targets.len() >= 2 && o.name.starts_with("Phường"))
        .expect("some old ward was split");
    let district = &g.districts[usize::from(o.district)];
    let province = &g.old_provinces[usize::from(district.old_province)];
    let text = format!("{}, {}, {}", o.name, district.name, province.name);
    let res = r.resolve(ix, &text, None);
    assert!(res.verdict.ambiguous, "{text}");
    let codes: Vec<&str> = res.candidates.iter().map(|c| c.ward.code.as_str()).collect();
    for &t in &o.targets {
        assert!(codes.contains(&geo.wards[usize::from(t)].code.as_str()), "{text}: {codes:?}");
    }
    assert_ne!(res.verdict.possible_next_action, NextAction::Accept);
    for &t in &o.targets {
        let w = &geo.wards[usize::from(t)];
        let res = r.resolve(ix, &text, Some(w.label));
        assert_eq!(res.address.as_ref().map(|a| a.ward.code.as_str()), Some(w.code.as_str()), "{text}");
    }
}

#[test]
fn typos_are_corrected_and_said_so() {
    let (ix, r) = fixture();
    let geo = &ix.data.geography;
    let mut n = 0;
    for id in ids(97) {
        let v = ix.view(id).expect("generated ids exist");
        let ward = &geo.wards[usize::from(v.ward_index)];
        let name = strip_marks(&ward.name);
        if name.len() < 7 || name.contains(' ') && name.split(' ').any(|w| w.len() < 2) {
            continue;
        }
        // swap two letters in the middle of the ward's name
        let mut chars: Vec<char> = name.chars().collect();
        let i = chars.len() / 2;
        if chars[i] == chars[i - 1] || chars[i] == ' ' || chars[i - 1] == ' ' {
            continue;
        }
        chars.swap(i - 1, i);
        let typo: String = chars.into_iter().collect();
        let mut pieces = new_form(geo, &v);
        let wp = pieces.iter_mut().find(|p| p.part == crate::forms::Part::Ward).expect("a ward part");
        wp.name = typo;
        let text = join(&pieces);
        let res = r.resolve(ix, &text, None);
        assert_eq!(res.address.as_ref().map(|a| a.ward.code.as_str()), Some(v.ward_code), "{text}");
        let wc = res.components.iter().find(|c| c.kind == ComponentType::Ward).expect("a ward");
        assert!(wc.spell_corrected, "{text}");
        assert!(res.verdict.has_spell_corrected_components);
        n += 1;
    }
    assert!(n > 30, "{n}");
}

#[test]
fn province_missing_is_inferred() {
    let (ix, r) = fixture();
    let v = ix.view(AddressId::new(1234)).expect("id exists");
    let pieces = new_form(&ix.data.geography, &v);
    let text = join(&pieces[..pieces.len() - 1]);
    let res = r.resolve(ix, &text, None);
    assert_eq!(res.address.as_ref().map(|a| a.ward.code.as_str()), Some(v.ward_code), "{text}");
    let p = res.components.iter().find(|c| c.kind == ComponentType::Province).expect("province");
    assert!(p.inferred);
}

#[test]
fn nonsense_gets_a_verdict_not_an_error() {
    let (ix, r) = fixture();
    for text in ["", "   ", "xyzzy plugh", "'; DROP TABLE addresses; --", "😀😀😀", "北京市朝阳区", "\u{0}\u{7}"]
    {
        let res = r.resolve(ix, text, None);
        assert_eq!(res.verdict.validation_granularity, Granularity::Other, "{text:?}");
        assert_eq!(res.verdict.possible_next_action, NextAction::Fix);
        assert!(res.address.is_none());
    }
    let huge = "Phường Bến Nghé ".repeat(70_000);
    let res = r.resolve(ix, &huge, None);
    assert!(res.truncated);
}

#[test]
fn a_digital_address_alone_resolves() {
    let (ix, r) = fixture();
    let v = ix.view(AddressId::new(99)).expect("id exists");
    let res = r.resolve(ix, &v.digital_address, None);
    assert_eq!(res.address.as_ref().and_then(|a| a.address_id), Some(AddressId::new(99)));
}

#[test]
fn coordinates_in_another_ward_are_suspicious() {
    let (ix, r) = fixture();
    let geo = &ix.data.geography;
    let v = ix.view(AddressId::new(4321)).expect("id exists");
    let other = geo
        .wards
        .iter()
        .find(|w| w.code.as_str() != v.ward_code && w.province != geo.wards[usize::from(v.ward_index)].province)
        .expect("another ward");
    let res = r.resolve(ix, &v.formatted, Some(other.label));
    assert_eq!(res.verdict.possible_next_action, NextAction::Fix, "{:?}", res.verdict);
    assert!(res.components.iter().any(|c| c.confirmation == Confirmation::UnconfirmedAndSuspicious));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
    #[test]
    fn never_panics(s in "\\PC{0,200}", lat in -90.0f64..90.0, lon in -180.0f64..180.0) {
        let (ix, r) = fixture();
        let hint = LonLat::new(lon, lat).ok();
        let _ = r.resolve(ix, &s, hint);
    }
}
