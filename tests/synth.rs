#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Properties of the synthetic generator: determinism (any seed, any thread count, byte-stable writers), exact
//! counts, addresses inside their wards, distinct digital addresses, Vietnamese house numbering and the post-office
//! network.

use diachi_domain::{AddressId, GridCell, HouseNumber, LonLat, WardIdx};
use diachi_geo::dataset::output::{self, Format};
use diachi_geo::dataset::{AddressSet, PostOfficeKind, from_e7};
use diachi_geo::geography::{Geography, LoadOptions, WardKind};
use diachi_synth::{
    self as synth, GenerateOptions, apportion, generate_addresses, generate_post_offices, household_weight,
};
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

fn geo() -> &'static Geography {
    static G: OnceLock<Geography> = OnceLock::new();
    G.get_or_init(|| Geography::load(&LoadOptions::default()).expect("embedded data loads"))
}

fn generate(households: u64, seed: u64) -> AddressSet {
    generate_addresses(geo(), GenerateOptions { households, seed })
}

/// The large set most properties are checked on, generated once.
const BIG: u64 = 123_457;
const SEED: u64 = 2025;

fn big() -> &'static AddressSet {
    static S: OnceLock<AddressSet> = OnceLock::new();
    S.get_or_init(|| generate(BIG, SEED))
}

fn point(set: &AddressSet, id: u32) -> (f64, f64) {
    (from_e7(set.lon_e7[id as usize]), from_e7(set.lat_e7[id as usize]))
}

fn bytes(set: &AddressSet, format: Format) -> Vec<u8> {
    let mut out = Vec::new();
    output::write_addresses(&mut out, geo(), set, format).unwrap();
    out
}

#[test]
fn same_seed_same_set_and_bytes() {
    let (a, b) = (generate(20_000, 7), generate(20_000, 7));
    assert_eq!(a, b);
    for format in [Format::Csv, Format::Geojsonl] {
        let (x, y) = (bytes(&a, format), bytes(&b, format));
        assert_eq!(x, y, "{format:?}");
        let lines = std::str::from_utf8(&x).unwrap().lines().count();
        assert_eq!(lines, 20_000 + usize::from(format == Format::Csv), "{format:?}");
    }
    let (p, q) = (generate_post_offices(geo(), 7), generate_post_offices(geo(), 7));
    assert_eq!(p, q);
    for format in [Format::Csv, Format::Geojsonl] {
        let (mut x, mut y) = (Vec::new(), Vec::new());
        output::write_post_offices(&mut x, geo(), &p, format).unwrap();
        output::write_post_offices(&mut y, geo(), &q, format).unwrap();
        assert_eq!(x, y, "{format:?}");
    }
}

#[test]
fn different_seed_different_set() {
    let (a, b) = (generate(5_000, 7), generate(5_000, 8));
    assert_eq!(a.len(), b.len());
    assert_ne!(a, b);
    assert_ne!(a.lon_e7, b.lon_e7);
    assert_ne!(bytes(&a, Format::Csv), bytes(&b, Format::Csv));
    assert_ne!(generate_post_offices(geo(), 7), generate_post_offices(geo(), 8));
}

#[test]
fn thread_count_does_not_matter() {
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| (generate(30_000, 99), generate_post_offices(geo(), 99)))
    };
    let one = run(1);
    let two = run(2);
    assert_eq!(one.0, two.0);
    assert_eq!(one.1, two.1);
    let three = run(3);
    assert_eq!(one.0, three.0);
    assert_eq!(one.1, three.1);
    // and the global pool
    assert_eq!(one.0, generate(30_000, 99));
}

#[test]
fn exactly_n_addresses_apportioned_by_ward() {
    let g = geo();
    let weights: Vec<f64> = g.wards.iter().map(household_weight).collect();
    for n in [0u64, 1, 999, 20_000, BIG] {
        let set = if n == BIG { big().clone() } else { generate(n, SEED) };
        assert_eq!(set.len() as u64, n);
        for col in [set.lat_e7.len(), set.ward.len(), set.street.len(), set.house.len(), set.alley.len()] {
            assert_eq!(col, set.len());
        }
        assert_eq!((set.apartment.len(), set.da_unit.len()), (set.len(), set.len()));
        let mut per_ward = vec![0u64; g.wards.len()];
        for &w in &set.ward {
            per_ward[usize::from(w)] += 1;
        }
        assert_eq!(per_ward, apportion(&weights, n), "n = {n}");
        // wards are concatenated in code order
        assert!(set.ward.windows(2).all(|w| w[0] <= w[1]), "n = {n}");
    }
}

#[test]
fn urban_wards_are_denser_than_rural_communes() {
    let g = geo();
    let set = big();
    let mut sum: HashMap<WardKind, (u64, u64)> = HashMap::new();
    let mut per_ward = vec![0u64; g.wards.len()];
    for &w in &set.ward {
        per_ward[usize::from(w)] += 1;
    }
    for (w, n) in g.wards.iter().zip(per_ward) {
        let e = sum.entry(w.kind).or_default();
        e.0 += n;
        e.1 += 1;
    }
    let mean = |k: WardKind| sum[&k].0 as f64 / sum[&k].1 as f64;
    assert!(mean(WardKind::Phuong) > 1.3 * mean(WardKind::Xa), "{sum:?}");
}

#[test]
fn every_address_is_inside_its_ward() {
    use geo::Contains;
    let g = geo();
    let set = big();
    let mut outside = Vec::new();
    let mut overlaps = 0;
    for id in 0..set.len() as u32 {
        let (x, y) = point(set, id);
        let wi = set.ward[id as usize];
        let ward = &g.wards[usize::from(wi)];
        if !ward.area.contains(x, y) {
            outside.push(format!("{id} ({x},{y}) not in {} {}", ward.code, ward.name));
            continue;
        }
        let at = g.ward_at(LonLat::new(x, y).unwrap());
        if at != Some(WardIdx::new(wi)) {
            // wards overlap in a few tiny places: the ward found must contain the point too
            let other = at.expect("inside its own ward, so inside some ward");
            assert!(g.wards[usize::from(other)].area.contains(x, y), "{id}");
            overlaps += 1;
        }
    }
    assert!(
        outside.is_empty(),
        "{} addresses outside their ward: {:?}",
        outside.len(),
        &outside[..outside.len().min(10)]
    );
    assert!(overlaps < 50, "{overlaps}");
    // the exact polygon test of `geo` agrees on a sample
    for id in (0..set.len() as u32).step_by(41) {
        let (x, y) = point(set, id);
        let ward = &g.wards[usize::from(set.ward[id as usize])];
        assert!(ward.geometry.contains(&geo::Point::new(x, y)), "{id} ({x},{y}) {}", ward.code);
    }
}

#[test]
fn digital_addresses_are_distinct_and_units_count_up() {
    let set = big();
    let mut seen = HashSet::with_capacity(set.len());
    let mut by_cell: HashMap<GridCell, Vec<u32>> = HashMap::new();
    for id in 0..set.len() as u32 {
        let code = set.digital_address(AddressId::new(id)).unwrap();
        assert!(seen.insert(code), "{code} twice (id {id})");
        by_cell.entry(code.cell()).or_default().push(id);
    }
    let (mut shared, mut buildings) = (0, 0);
    for (cell, ids) in &by_cell {
        // ids were pushed in id order; their units are 1, 2, …, n
        let units: Vec<u16> = ids.iter().map(|&i| set.da_unit[i as usize]).collect();
        let want: Vec<u16> = (1..=ids.len() as u16).collect();
        assert_eq!(units, want, "{cell}");
        if ids.len() > 1 {
            shared += 1;
            buildings += usize::from(ids.iter().any(|&i| set.apartment[i as usize] != 0));
        }
    }
    assert!(shared > 100 && buildings > 100, "{shared} {buildings}");
    // the units of one apartment building share its point, hence its cell
    let mut apartments: HashMap<(u16, u32, u16, HouseNumber), (i32, i32)> = HashMap::new();
    for i in (0..set.len()).filter(|&i| set.apartment[i] != 0) {
        let key = (set.ward[i], set.street[i], set.alley[i], set.house[i]);
        let p = *apartments.entry(key).or_insert((set.lon_e7[i], set.lat_e7[i]));
        assert_eq!(p, (set.lon_e7[i], set.lat_e7[i]), "id {i}");
    }
    // a set smaller than the country holds a sample of each big building's flats, numbered by floor as in the full set
    assert!(set.apartment.iter().any(|&a| a >= 101), "flats of big apartment buildings exist");
    assert!(set.da_unit.iter().any(|&u| u >= 4), "the flats of a building share its cell");
}

#[test]
fn houses_are_numbered_along_their_streets() {
    let set = big();
    // (ward, street) → ids on the street itself (not in alleys), in id order
    let mut streets: HashMap<(u16, u32), Vec<u32>> = HashMap::new();
    for id in 0..set.len() as u32 {
        let i = id as usize;
        if set.alley[i] == 0 {
            streets.entry((set.ward[i], set.street[i])).or_default().push(id);
        }
    }
    let (mut checked, mut scattered) = (0, 0);
    for (key, ids) in &streets {
        let house = |id: u32| set.house[id as usize];
        // one side (odd) is laid out, then the other (even); only the fallback street of scattered houses mixes them
        let first_even = ids.iter().position(|&id| house(id).number() % 2 == 0).unwrap_or(ids.len());
        let is_scattered = ids[first_even..].iter().any(|&id| house(id).number() % 2 == 1);
        if is_scattered {
            scattered += 1;
            let hs: Vec<HouseNumber> = ids.iter().map(|&id| house(id)).collect();
            assert!(hs.windows(2).all(|w| w[0] < w[1]), "{key:?} {hs:?}");
            continue;
        }
        for parity in [1, 0] {
            // distinct buildings of this side, in id order
            // (`11A` follows 11 and comes before 13)
            let mut buildings: Vec<(HouseNumber, (f64, f64))> = Vec::new();
            for &id in ids.iter().filter(|&&id| house(id).number() % 2 == parity) {
                let p = point(set, id);
                match buildings.last() {
                    Some(&(h, q)) if h == house(id) => assert_eq!(p, q, "{key:?}: units of house {h} apart"),
                    Some(&(h, _)) => {
                        assert!(house(id) > h, "{key:?}: house {} after {h}", house(id));
                        buildings.push((house(id), p));
                    }
                    None => buildings.push((house(id), p)),
                }
            }
            // the numbers grow along the street: each next building is farther from the side's first one
            if let Some(&(_, p0)) = buildings.first() {
                let d: Vec<f64> =
                    buildings.iter().map(|&(_, p)| diachi_domain::lonlat::haversine_m(p0.0, p0.1, p.0, p.1)).collect();
                assert!(d.windows(2).all(|w| w[0] < w[1]), "{key:?} parity {parity}: {d:?}");
                checked += usize::from(buildings.len() > 2);
            }
        }
    }
    assert!(checked > 1_000, "{checked}");
    assert!(scattered * 20 < streets.len(), "{scattered} of {}", streets.len());
}

#[test]
fn some_city_lots_are_split_and_numbered_as_vietnam_writes_them() {
    let set = big();
    let on_street = (0..set.len()).filter(|&i| set.alley[i] == 0);
    let (mut lots, mut split, mut slashed) = (0usize, 0usize, 0usize);
    for i in on_street.filter(|&i| set.apartment[i] <= 1) {
        lots += 1;
        let h = set.house[i];
        split += usize::from(!h.is_plain());
        slashed += usize::from(h.sub() > 0);
    }
    // about 5 % of the urban lots (rural and alley houses are numbered plainly), some of them with a slash
    assert!(split * 100 > lots && split * 100 < lots * 6, "{split} of {lots}");
    assert!(slashed > 10 && slashed * 3 < split, "{slashed} with a slash, {split} split");
    // in alleys, houses are numbered 1, 2, 3…
    assert!((0..set.len()).filter(|&i| set.alley[i] != 0).all(|i| set.house[i].is_plain()));
}

#[test]
fn textual_addresses_are_unique_within_a_ward() {
    let set = big();
    let mut seen: HashSet<(u16, u32, u16, HouseNumber, u16)> = HashSet::with_capacity(set.len());
    for i in 0..set.len() {
        let key = (set.ward[i], set.street[i], set.alley[i], set.house[i], set.apartment[i]);
        assert!(seen.insert(key), "id {i}: {key:?} twice");
    }
    // street names are interned: one entry per distinct name
    let names: HashSet<&str> = set.street_names.iter().map(AsRef::as_ref).collect();
    assert_eq!(names.len(), set.street_names.len());
    assert!(set.alley.iter().any(|&a| a != 0) && set.apartment.iter().any(|&a| a != 0));
}

#[test]
fn post_offices_cover_every_ward_and_province() {
    let g = geo();
    let offices = generate_post_offices(g, SEED);
    assert!(g.wards.len() <= synth::POST_OFFICES);
    assert_eq!(offices.len(), synth::POST_OFFICES);
    let mut per_ward = vec![0usize; g.wards.len()];
    let mut hubs = vec![0usize; g.provinces.len()];
    for (i, o) in offices.iter().enumerate() {
        assert_eq!(o.id as usize, i);
        let w = &g.wards[usize::from(o.ward)];
        per_ward[usize::from(o.ward)] += 1;
        assert!(w.area.contains(from_e7(o.lon_e7), from_e7(o.lat_e7)), "{} {} not in {}", o.id, o.name, w.code);
        if o.kind == PostOfficeKind::ProvincialHub {
            hubs[usize::from(w.province)] += 1;
        }
        assert!(!o.name.is_empty());
    }
    assert!(per_ward.iter().all(|&n| n >= 1));
    assert!(hubs.iter().all(|&n| n == 1), "{hubs:?}");
    assert!(offices.iter().any(|o| o.kind == PostOfficeKind::CulturalPostPoint));
    assert!(offices.iter().any(|o| o.kind == PostOfficeKind::ServicePoint));
    // offices are listed ward by ward
    assert!(offices.windows(2).all(|w| w[0].ward <= w[1].ward));
}

#[test]
fn post_offices_do_not_depend_on_the_number_of_households() {
    let small = diachi_synth::build_dataset(1_000, 31, None).unwrap();
    let large = diachi_synth::build_dataset(50_000, 31, None).unwrap();
    assert_eq!((small.addresses.len(), large.addresses.len()), (1_000, 50_000));
    assert_eq!(small.post_offices, large.post_offices);
    assert_eq!(small.post_offices, generate_post_offices(geo(), 31));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn apportion_sums_to_the_total_and_stays_within_one_of_the_quota(
        weights in prop::collection::vec(prop_oneof![Just(0.0), 0.0..1.0f64, 0.0..1e4f64], 1..300),
        bump in 0usize..300,
        total in prop_oneof![0u64..10, 0u64..100_000, 0u64..1_000_000_000],
    ) {
        let mut weights = weights;
        // at least one positive weight
        let k = bump % weights.len();
        weights[k] += 0.5;
        let shares = apportion(&weights, total);
        prop_assert_eq!(shares.len(), weights.len());
        prop_assert_eq!(shares.iter().sum::<u64>(), total);
        let sum: f64 = weights.iter().sum();
        for (w, &s) in weights.iter().zip(&shares) {
            let quota = w / sum * total as f64;
            prop_assert!((s as f64 - quota).abs() <= 1.0 + 1e-6, "share {} quota {}", s, quota);
            if *w == 0.0 {
                prop_assert_eq!(s, 0);
            }
        }
        // deterministic
        prop_assert_eq!(apportion(&weights, total), shares);
    }
}
