//! One test (or two) per stage, on today's and the old administrative names and a register of three hand-made
//! addresses in Hồ Chí Minh city: `12 Lê Lợi` in Phường Sài Gòn (where old Phường Bến Nghé went), `40 Hai Bà Trưng`
//! in Phường Tân Định (one of the two wards old Phường Đa Kao was split between; Sài Gòn is the official default)
//! and `40 Hai Bà Trưng` in Phường Sài Gòn, in alley 5.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;

use super::matches::{Match, find_matches, same_ignoring_case};
use super::readings::{Reading, readings};
use super::score::{Scored, score};
use super::street::{StreetPart, street_part, street_part_of};
use super::{Input, assemble, cut, shortcut};
use crate::gazetteer::{Unit, UnitKind};
use crate::verdict::{ComponentType, Confirmation, NextAction};
use crate::{MAX_INPUT_BYTES, Resolver};
use diachi_domain::AddressId;
use diachi_geo::dataset::{AddressSet, Dataset, to_e7};
use diachi_geo::geography::{Geography, LoadOptions};
use diachi_geo::index::NationalIndex;

fn ward_index(geo: &Geography, full_name: &str, province: &str) -> u16 {
    let i = geo
        .wards
        .iter()
        .position(|w| w.full_name() == full_name && geo.province_of(w).name == province)
        .expect("the ward exists");
    i as u16
}

fn fixture() -> &'static (NationalIndex, Resolver) {
    static F: OnceLock<(NationalIndex, Resolver)> = OnceLock::new();
    F.get_or_init(|| {
        let geography = Geography::load(&LoadOptions::default()).expect("the embedded geography loads");
        let sai_gon = ward_index(&geography, "Phường Sài Gòn", "Hồ Chí Minh");
        let tan_dinh = ward_index(&geography, "Phường Tân Định", "Hồ Chí Minh");
        let mut a =
            AddressSet { street_names: vec!["Lê Lợi".into(), "Hai Bà Trưng".into()], ..AddressSet::default() };
        let houses = [
            (sai_gon, 0, "12", 0),
            (tan_dinh, 1, "40", 0),
            (sai_gon, 1, "40", 5),
            (sai_gon, 0, "12A", 0),
            (sai_gon, 0, "38B/2", 0),
            (sai_gon, 0, "45/12", 0),
        ];
        for (k, (ward, street, house, alley)) in houses.into_iter().enumerate() {
            let at = geography.wards[usize::from(ward)].label;
            a.lon_e7.push(to_e7(at.lon()) + 1000 * k as i32);
            a.lat_e7.push(to_e7(at.lat()));
            a.ward.push(ward);
            a.street.push(street);
            a.house.push(house.parse().unwrap());
            a.alley.push(alley);
            a.apartment.push(0);
            a.da_unit.push(1);
        }
        let ix = NationalIndex::build(Dataset { geography, addresses: a, post_offices: Vec::new() });
        let r = Resolver::build(&ix);
        (ix, r)
    })
}

/// The full name of a unit as the gazetteer has it.
fn name_of(unit: Unit) -> String {
    let (ix, r) = fixture();
    let g = &r.gazetteer;
    match unit {
        Unit::Province { new, old: None } => ix.data.geography.provinces[usize::from(new)].name.clone(),
        Unit::Province { old: Some(op), .. } => g.old_provinces[usize::from(op)].name.clone(),
        Unit::District(d) => g.districts[usize::from(d)].name.clone(),
        Unit::NewWard(w) => ix.data.geography.wards[usize::from(w)].full_name(),
        Unit::OldWard(o) => g.old_wards[o as usize].name.clone(),
    }
}

fn names(m: Option<Match>) -> Option<String> {
    m.map(|m| name_of(m.unit))
}

/// The stages up to scoring.
fn stages(input: &Input) -> (Vec<Reading>, Vec<StreetPart>, Vec<Scored>) {
    let (ix, r) = fixture();
    let tried = readings(r, ix, input, &find_matches(r, ix, input));
    let parts: Vec<StreetPart> = tried.iter().map(|reading| street_part_of(input, reading)).collect();
    let scored = score(r, ix, input, &tried, &parts, None);
    (tried, parts, scored)
}

fn words(input: &Input, idx: &[usize]) -> Vec<String> {
    idx.iter().map(|&i| input.tokens[i].text.clone()).collect()
}

#[test]
fn the_input_is_cut_on_a_character_boundary() {
    let long = "ắ".repeat(400);
    assert_eq!(cut(&long).len(), MAX_INPUT_BYTES / 3 * 3);
    assert!(Input::new(&long).truncated);
    assert!(!Input::new("12 Lê Lợi").truncated);
    assert_eq!(cut("12 Lê Lợi"), "12 Lê Lợi");
}

#[test]
fn a_digital_address_alone_is_answered_from_the_register() {
    let (ix, _) = fixture();
    let code = ix.data.addresses.digital_address(AddressId::new(1)).expect("a located address").to_string();
    let res = shortcut::by_digital_address(ix, &format!("  {code} ")).expect("found");
    let a = res.address.expect("an address");
    assert_eq!((a.address_id, a.ward.name.as_str()), (Some(AddressId::new(1)), "Phường Tân Định"));
    assert!(shortcut::by_digital_address(ix, "12 Lê Lợi").is_none());
}

#[test]
fn matches_finds_the_ward_district_and_province_names_with_their_type_words() {
    let (ix, r) = fixture();
    let input = Input::new("p ben nghe q1 tp hcm");
    let found = find_matches(r, ix, &input);
    let has = |name: &str, kind: UnitKind, from: usize, start: usize, end: usize| {
        found.iter().any(|m| {
            name_of(m.unit) == name && m.prefix == Some(kind) && (m.from, m.start, m.end) == (from, start, end)
        })
    };
    // words: p ben nghe q 1 tp hcm
    assert!(has("Phường Bến Nghé", UnitKind::Phuong, 0, 1, 3), "{found:#?}");
    assert!(has("Quận 1", UnitKind::Quan, 3, 4, 5), "{found:#?}");
    assert!(has("Hồ Chí Minh", UnitKind::ThanhPho, 5, 6, 7), "{found:#?}");
    // `ben nghe q` is one letter from `Bến Nghé` too: found, but marked misspelt
    assert!(found.iter().any(|m| (m.start, m.end, m.fuzzy) == (1, 4, true) && name_of(m.unit) == "Phường Bến Nghé"));
}

#[test]
fn readings_rank_the_consistent_combination_first_and_never_mix_provinces() {
    let (ix, r) = fixture();
    let input = Input::new("p ben nghe q1 tp hcm");
    let all = readings(r, ix, &input, &find_matches(r, ix, &input));
    let best = all[0];
    assert_eq!(names(best.ward).as_deref(), Some("Phường Bến Nghé"));
    assert_eq!(names(best.district).as_deref(), Some("Quận 1"));
    assert_eq!(names(best.province).as_deref(), Some("Hồ Chí Minh"));
    assert!(all.windows(2).all(|w| w[0].score >= w[1].score));

    let input = Input::new("p ben nghe q1 ha noi");
    let all = readings(r, ix, &input, &find_matches(r, ix, &input));
    assert!(!all.is_empty());
    assert!(
        !all.iter()
            .any(|x| names(x.ward).as_deref() == Some("Phường Bến Nghé")
                && names(x.province).as_deref() == Some("Hà Nội")),
        "Bến Nghé is not in Hà Nội"
    );
}

#[test]
fn the_street_part_separates_apartment_house_alley_street_and_the_rest() {
    let split = |text: &str| {
        let input = Input::new(text);
        let part = street_part(&input.tokens, input.text, &vec![false; input.tokens.len()]);
        let house = part.house.map(|h| h.to_string());
        (part.apartment, house, part.alley, words(&input, &part.street), words(&input, &part.unknown))
    };
    let s = |v: &[&str]| v.iter().map(|&w| w.to_owned()).collect::<Vec<_>>();
    let h = |v: &str| Some(v.to_owned());
    assert_eq!(split("căn hộ 5 số 12 ngõ 34 Lê Lợi"), (Some(5), h("12"), Some(34), s(&["le", "loi"]), s(&[])));
    // `45/12`: house 12 in alley 45; the words that are not the longest run are not understood
    assert_eq!(split("xyz, 45/12 Lê Lợi"), (None, h("12"), Some(45), s(&["le", "loi"]), s(&["xyz"])));
    // right after `đường` or a village word, a number is part of the name; of two runs as long, the first is the
    // street
    assert_eq!(split("7 Đường 19, Thôn 3"), (None, h("7"), None, s(&["duong", "19"]), s(&["thon", "3"])));
    // house numbers as Vietnam writes them: a letter, a slash after a letter
    assert_eq!(split("38B/2 Lê Lợi"), (None, h("38B/2"), None, s(&["le", "loi"]), s(&[])));
    assert_eq!(split("số 110b ngõ 4 Lê Lợi"), (None, h("110B"), Some(4), s(&["le", "loi"]), s(&[])));
    assert_eq!(split("sn 7a/3 Lê Lợi"), (None, h("7A/3"), None, s(&["le", "loi"]), s(&[])));
    assert_eq!(split("12c Lê Lợi"), (None, h("12C"), None, s(&["le", "loi"]), s(&[])));
}

/// The house number, alley component and address id found for `text`, and whether the house is confirmed.
fn house_found(text: &str) -> (Option<String>, Option<String>, Option<AddressId>, bool) {
    let (ix, r) = fixture();
    let res = r.resolve(ix, text, None);
    let c = |kind| res.components.iter().find(|c| c.kind == kind);
    let house = c(ComponentType::HouseNumber);
    (
        house.map(|c| c.text.clone()),
        c(ComponentType::Alley).map(|c| c.text.clone()),
        res.address.and_then(|a| a.address_id),
        house.is_some_and(|c| c.confirmation == Confirmation::Confirmed),
    )
}

#[test]
fn house_numbers_with_letters_and_slashes_find_their_house() {
    let (ix, _) = fixture();
    let id_of = |house: &str| {
        let set = &ix.data.addresses;
        (0..set.len()).find(|&i| set.house[i].to_string() == house).map(|i| AddressId::new(i as u32))
    };
    let h = |v: &str| Some(v.to_owned());
    assert_eq!(house_found("38B/2 Lê Lợi, Phường Sài Gòn, TP.HCM"), (h("38B/2"), None, id_of("38B/2"), true));
    assert_eq!(house_found("so 12a le loi sai gon ho chi minh"), (h("12A"), None, id_of("12A"), true));
    assert_eq!(house_found("12 Lê Lợi, Sài Gòn, Hồ Chí Minh"), (h("12"), None, id_of("12"), true));
    // `45/12` is house 12 in alley 45 or the house numbered `45/12`: the register has the second
    assert_eq!(house_found("45/12 Lê Lợi, P. Sài Gòn, TP HCM"), (h("45/12"), None, id_of("45/12"), true));
    // a number the register does not hold is kept as written, unconfirmed, and no house is invented
    assert_eq!(house_found("12C Lê Lợi, Sài Gòn, Hồ Chí Minh"), (h("12C"), None, None, false));
    assert_eq!(house_found("45/13 Lê Lợi, Sài Gòn, Hồ Chí Minh"), (h("13"), h("Hẻm 45"), None, false));
}

#[test]
fn the_street_part_of_a_reading_leaves_out_its_names() {
    let (ix, r) = fixture();
    let input = Input::new("12 le loi p ben nghe q1 tp hcm");
    let all = readings(r, ix, &input, &find_matches(r, ix, &input));
    let part = street_part_of(&input, &all[0]);
    assert_eq!(
        (part.house.map(|h| h.to_string()), words(&input, &part.street)),
        (Some("12".to_owned()), vec!["le".to_owned(), "loi".to_owned()])
    );
    assert!(part.unknown.is_empty(), "{part:?}");
}

#[test]
fn scoring_lets_the_house_found_decide_between_the_wards_of_a_split_old_ward() {
    let (ix, _) = fixture();
    let geo = &ix.data.geography;
    let (tried, _, scored) = stages(&Input::new("40 hai ba trung, p da kao, q1, tp hcm"));
    let best = &scored[0];
    assert_eq!(names(tried[best.reading].ward).as_deref(), Some("Phường Đa Kao"));
    assert_eq!(best.ward.map(|w| geo.wards[usize::from(w)].full_name()).as_deref(), Some("Phường Tân Định"));
    assert_eq!((best.ids.as_slice(), best.street.map(|s| s.1)), (&[AddressId::new(1)][..], Some(0)));
    // the official default, Sài Gòn, has the street but not the house on it
    let default = scored.iter().find(|s| s.reading == best.reading && s.ward != best.ward).expect("the other ward");
    assert!(default.street.is_some() && default.ids.is_empty() && default.score < best.score);
    assert!(scored.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn assembly_reports_the_address_on_todays_map_and_what_was_replaced() {
    let (ix, r) = fixture();
    let input = Input::new("12 le loi, p ben nghe, q1, tp hcm");
    let (tried, parts, scored) = stages(&input);
    let res = assemble::assemble(r, ix, &input, &tried, &parts, &scored);
    let a = res.address.as_ref().expect("an address");
    assert_eq!((a.address_id, a.ward.name.as_str()), (Some(AddressId::new(0)), "Phường Sài Gòn"));
    assert_eq!(a.old_units.as_ref().and_then(|o| o.ward.as_ref()).map(|w| w.name.as_str()), Some("Phường Bến Nghé"));
    let c = |kind| res.components.iter().find(|c| c.kind == kind).expect("the component");
    assert_eq!((c(ComponentType::HouseNumber).text.as_str(), c(ComponentType::Street).text.as_str()), ("12", "Lê Lợi"));
    assert_eq!(c(ComponentType::Street).confirmation, Confirmation::Confirmed);
    assert_eq!(c(ComponentType::Ward).input_text.as_deref(), Some("p ben nghe"));
    assert!(c(ComponentType::Ward).replaced && c(ComponentType::District).replaced);
    assert!(res.verdict.address_complete && res.verdict.has_replaced_components);
    assert_eq!(res.verdict.possible_next_action, NextAction::Confirm);
}

#[test]
fn assembly_without_any_reading_says_nothing_was_named() {
    let (ix, r) = fixture();
    let input = Input::new("xyz qwv");
    let (tried, parts, scored) = stages(&input);
    assert!(scored.is_empty());
    let res = assemble::assemble(r, ix, &input, &tried, &parts, &scored);
    assert!(res.address.is_none() && res.components.is_empty());
    assert_eq!(res.unresolved_tokens, ["xyz", "qwv"]);
    assert_eq!(res.verdict.possible_next_action, NextAction::Fix);
}

/// The ward and province `text` resolves to, by name.
fn ward_of(text: &str) -> (String, String) {
    let (ix, r) = fixture();
    let res = r.resolve(ix, text, None);
    let a = res.address.expect("an address");
    (a.ward.name, a.province.name)
}

fn expect(ward: &str, province: &str) -> (String, String) {
    (ward.to_owned(), province.to_owned())
}

#[test]
fn a_street_named_like_a_ward_is_not_the_ward_the_text_names_in_its_place() {
    // Bến Thành is a ward of Hồ Chí Minh too: the ward is the name last before the province
    let tan_dinh = expect("Phường Tân Định", "Hồ Chí Minh");
    assert_eq!(ward_of("88 Bến Thành, Tân Định, TP Hồ Chí Minh"), tan_dinh);
    assert_eq!(ward_of("88 ben thanh tan dinh ho chi minh"), tan_dinh);
    // the type word says which is the street
    assert_eq!(ward_of("5 đường Tân Định, Bến Thành, Hồ Chí Minh"), expect("Phường Bến Thành", "Hồ Chí Minh"));
    // a street ending in `Quân` is no `Quận` before the ward
    assert_eq!(ward_of("15 Lạc Long Quân Tân Định Hồ Chí Minh"), tan_dinh);
}

#[test]
fn house_numbers_with_letters_and_slashes_are_numbers_not_names() {
    let ben_thanh = expect("Phường Bến Thành", "Hồ Chí Minh");
    assert_eq!(ward_of("38B/2 Tôn Thất Đạm, Bến Thành, TP.HCM"), ben_thanh);
    assert_eq!(ward_of("K12/5 Nguyễn Trãi - Bến Thành - Hồ Chí Minh"), ben_thanh);
    assert_eq!(ward_of("Hẻm 45/12 Cô Bắc, P. Bến Thành, HCMC"), ben_thanh);
    assert_eq!(ward_of("110b ngõ 4 ngách 7 Bến Thành Hồ Chí Minh"), ben_thanh);
}

#[test]
fn the_province_written_decides_between_names_one_letter_apart() {
    // `Sơn Hà` is a ward of Quảng Ngãi; in An Giang it can only be Sơn Hải
    assert_eq!(ward_of("ấp 3, xã Sơn Hà, tỉnh An Giang"), expect("Xã Sơn Hải", "An Giang"));
    // short names: a letter dropped, or doubled
    assert_eq!(ward_of("số 3, Nm Mạ, Lai Châu"), expect("Xã Nậm Mạ", "Lai Châu"));
    assert_eq!(ward_of("bản Nà Khum, x. Paa Ủ, Lai Châu"), expect("Xã Pa Ủ", "Lai Châu"));
}

#[test]
fn a_name_is_read_whole_and_the_last_words_are_the_province() {
    assert_eq!(ward_of("Số 8, Nam Đông Hà, Tỉnh Quảng Trị"), expect("Phường Nam Đông Hà", "Quảng Trị"));
    assert_eq!(ward_of("so 17b pho hai ba trung ben thanh ho chi minh"), expect("Phường Bến Thành", "Hồ Chí Minh"));
}

#[test]
fn todays_ward_with_the_old_province_is_found() {
    assert_eq!(ward_of("27 Hùng Vương, Bàn Thạch, Quảng Nam"), expect("Phường Bàn Thạch", "Đà Nẵng"));
}

#[test]
fn a_name_of_today_means_todays_ward_unless_the_text_is_of_the_old_form() {
    let (ix, _) = fixture();
    let geo = &ix.data.geography;
    // `Chương Dương` is a commune of Hà Nội today, and was also a ward of old Hoàn Kiếm (now in Phường Hồng Hà)
    let (tried, _, scored) = stages(&Input::new("so 85, duong le loi, chuong duong, tp ha noi"));
    let ward = |s: &Scored| s.ward.map(|w| geo.wards[usize::from(w)].full_name());
    assert_eq!(ward(&scored[0]).as_deref(), Some("Xã Chương Dương"));
    let old = scored
        .iter()
        .find(|s| matches!(tried[s.reading].ward.map(|m| m.unit), Some(Unit::OldWard(_))))
        .expect("the old reading is tried");
    assert!(old.score < scored[0].score, "{} vs {}", scored[0].score, old.score);
    // with its old district the same words are the old ward
    assert_eq!(ward_of("so 85, duong le loi, p chuong duong, q hoan kiem, tp ha noi").0, "Phường Hồng Hà");
}

#[test]
fn names_are_compared_in_lower_case_as_whole_strings_would_be() {
    let words =
        ["Đông Thạnh", "đông thạnh", "ĐÔNG THẠNH", "Đông Thành", "đông thanh", "İa Kha", "i̇a kha", "Ia Kha", "", "Đ"];
    for a in words {
        for b in words {
            assert_eq!(same_ignoring_case(a, b), a.to_lowercase() == b.to_lowercase(), "{a:?} {b:?}");
        }
    }
}
