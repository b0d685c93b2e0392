#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The embedded real geography: counts, postal zones and point-in-polygon against a brute-force scan.

use diachi_domain::{LonLat, Postcode, WardIdx};
use diachi_geo::geography::{Geography, LoadOptions, PostcodeOrigin, PostcodeTable};
use std::collections::HashSet;
use std::sync::OnceLock;

fn geo() -> &'static Geography {
    static G: OnceLock<Geography> = OnceLock::new();
    G.get_or_init(|| Geography::load(&LoadOptions::default()).expect("embedded data loads"))
}

#[test]
fn has_the_reformed_map() {
    let g = geo();
    assert_eq!(g.provinces.len(), 34);
    assert_eq!(g.wards.len(), 3321);
    assert_eq!(g.mapping.len(), 10_602);
    assert_eq!(g.postcode_origin, PostcodeOrigin::Generated);
    // Hoàng Sa (Đà Nẵng) and Trường Sa (Khánh Hòa) are there with their own polygons
    let hs = g.ward(diachi_domain::WardCode::parse("20333").unwrap()).unwrap().1;
    assert_eq!((hs.name.as_str(), g.province_of(hs).code.as_str()), ("Hoàng Sa", "48"));
    let ts = g.ward(diachi_domain::WardCode::parse("22736").unwrap()).unwrap().1;
    assert_eq!((ts.name.as_str(), g.province_of(ts).code.as_str()), ("Trường Sa", "56"));
    assert!(ts.area.parts().len() > 100);
}

#[test]
fn every_ward_has_one_postcode_with_its_provinces_prefix() {
    let g = geo();
    let mut seen = HashSet::new();
    for w in &g.wards {
        let p = g.province_of(w);
        assert!(
            p.postcode_prefixes.contains(&w.postcode.prefix()),
            "{} {} {:?}",
            w.code,
            w.postcode,
            p.postcode_prefixes
        );
        // generated codes are one per ward
        assert!(seen.insert(w.postcode), "duplicate {}", w.postcode);
        let zone = g.zone(w.postcode).unwrap();
        assert_eq!(zone.wards.len(), 1);
        assert!(zone.bbox.min().x <= w.label.lon() && w.label.lon() <= zone.bbox.max().x);
    }
    assert_eq!(g.zones.len(), 3321);
    // deterministic: loading twice gives the same codes
    let again = Geography::load(&LoadOptions::default()).unwrap();
    assert!(again.wards.iter().zip(&g.wards).all(|(a, b)| a.postcode == b.postcode));
}

#[test]
fn official_table_replaces_generated_codes() {
    let table = PostcodeTable::read_csv("ward_code,postcode\n00004,11111\n00008,11111\n".as_bytes()).unwrap();
    let g = Geography::load(&LoadOptions { postcodes: Some(table) }).unwrap();
    assert_eq!(g.postcode_origin, PostcodeOrigin::Imported { wards: 2 });
    let zone = g.zone(Postcode::parse("11111").unwrap()).unwrap();
    assert_eq!(zone.wards.len(), 2);
    let bad = PostcodeTable::read_csv("ward_code,postcode\n99999,11111\n".as_bytes()).unwrap();
    assert!(Geography::load(&LoadOptions { postcodes: Some(bad) }).is_err());
}

#[test]
fn point_in_polygon_agrees_with_a_brute_force_scan() {
    use geo::Contains;
    let g = geo();
    // label points are inside their own ward
    for (i, w) in g.wards.iter().enumerate() {
        assert_eq!(g.ward_at(w.label), Some(WardIdx::new(i as u16)), "{} {}", w.code, w.name);
    }
    // random points across the country: the index agrees with testing every ward polygon
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut inside = 0;
    for _ in 0..3000 {
        let p = LonLat::new(102.1 + next() * 7.5, 8.3 + next() * 15.2).unwrap();
        let brute = g
            .wards
            .iter()
            .position(|w| w.geometry.contains(&geo::Point::new(p.lon(), p.lat())))
            .map(|i| WardIdx::new(i as u16));
        let got = g.ward_at(p);
        if brute.is_some() {
            inside += 1;
        }
        // overlaps of < 0.001 km² exist between 5 pairs; both answers must then contain the point
        if got != brute {
            let (gw, bw) = (got.unwrap(), brute.unwrap());
            assert!(g.wards[usize::from(gw)].geometry.contains(&geo::Point::new(p.lon(), p.lat())), "{p} {bw}");
        }
    }
    assert!(inside > 600, "{inside}");
}

#[test]
fn points_just_off_the_coast_snap_to_the_nearest_ward() {
    let g = geo();
    // in the sea, 300 m off Mỹ Khê beach (Đà Nẵng)
    let p = LonLat::new(108.2525, 16.06).unwrap();
    if g.ward_at(p).is_none() {
        let (w, d) = g.ward_near(p, 2_000.0).unwrap();
        assert!(d > 0.0 && d < 2_000.0);
        assert_eq!(g.province_of(&g.wards[usize::from(w)]).code.as_str(), "48");
    }
    // far out at sea there is nothing within 2 km
    assert!(g.ward_near(LonLat::new(110.5, 12.0).unwrap(), 2_000.0).is_none());
}
