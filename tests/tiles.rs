#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Vector tiles decoded by an independent MVT decoder (`mvt-reader`) and checked against the index: layers per zoom,
//! attributes and coordinates of addresses, polygons against point-in-polygon, the archipelagos, tile size limits,
//! determinism, and the density counts.

use diachi_domain::AddressId;
use diachi_geo::index::NationalIndex;
use diachi_tiles::geom::{EXTENT, TileFrame, tile_bounds, world};
use diachi_tiles::{Layer, MAX_TILE_BYTES, Source, TileError, TileId, TileRenderer};
use geo::{Contains, Geometry, Point};
use mvt_reader::Reader;
use mvt_reader::feature::Value;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};

const HOUSEHOLDS: u64 = 60_000;

fn renderer() -> &'static TileRenderer {
    static R: OnceLock<TileRenderer> = OnceLock::new();
    R.get_or_init(|| {
        let data = diachi_synth::build_dataset(HOUSEHOLDS, 3, None).expect("dataset builds");
        TileRenderer::new(Arc::new(NationalIndex::build(data)))
    })
}

fn ix() -> &'static NationalIndex {
    renderer().index()
}

/// The tile containing a point.
fn tile_at(lon: f64, lat: f64, z: u8) -> TileId {
    let (x, y) = world(lon, lat);
    let n = f64::from(1u32 << z);
    TileId::new(u32::from(z), (x * n) as u64, (y * n) as u64).unwrap()
}

struct Decoded {
    layers: HashMap<String, Vec<mvt_reader::feature::Feature>>,
    extents: Vec<u32>,
}

fn decode(bytes: Vec<u8>) -> Decoded {
    let r = Reader::new(bytes).expect("the tile parses");
    let meta = r.get_layer_metadata().expect("layer metadata");
    let mut layers = HashMap::new();
    let mut extents = Vec::new();
    for m in meta {
        assert_eq!(m.version, 2, "MVT version 2");
        extents.push(m.extent);
        let features = r.get_features(m.layer_index).expect("features decode");
        assert_eq!(features.len(), m.feature_count);
        assert!(!features.is_empty(), "layer {} is empty: empty layers are not written", m.name);
        assert!(layers.insert(m.name.clone(), features).is_none(), "duplicate layer {}", m.name);
    }
    Decoded { layers, extents }
}

fn render(source: Source, t: TileId) -> Decoded {
    decode(renderer().render(source, t).unwrap().expect("a non-empty tile"))
}

fn prop<'a>(f: &'a mvt_reader::feature::Feature, k: &str) -> Option<&'a Value> {
    f.properties.as_ref()?.get(k)
}

fn prop_str(f: &mvt_reader::feature::Feature, k: &str) -> String {
    match prop(f, k) {
        Some(Value::String(s)) => s.clone(),
        other => panic!("{k}: {other:?}"),
    }
}

fn prop_u64(f: &mvt_reader::feature::Feature, k: &str) -> u64 {
    match prop(f, k) {
        Some(Value::UInt(v)) => *v,
        Some(Value::Int(v) | Value::SInt(v)) => u64::try_from(*v).unwrap(),
        other => panic!("{k}: {other:?}"),
    }
}

/// Tile pixel coordinates of a longitude/latitude.
fn px(t: TileId, lon: f64, lat: f64) -> (f64, f64) {
    TileFrame::new(t.z, t.x, t.y).px(world(lon, lat))
}

fn layer_names(d: &Decoded) -> BTreeSet<&str> {
    d.layers.keys().map(String::as_str).collect()
}

#[test]
fn layers_appear_at_their_zooms() {
    let hanoi = (105.8542, 21.0285);
    let expect = [
        (0, vec!["country", "density", "provinces"]),
        (5, vec!["country", "density", "labels", "provinces"]),
        (8, vec!["country", "density", "labels", "provinces", "wards"]),
        (10, vec!["country", "density", "labels", "post_offices", "postal_zones", "provinces", "wards"]),
        (12, vec!["country", "density", "labels", "post_offices", "postal_zones", "provinces", "wards"]),
        (13, vec!["country", "density", "labels", "post_offices", "postal_zones", "provinces", "streets", "wards"]),
        (14, vec!["addresses", "country", "labels", "post_offices", "postal_zones", "provinces", "streets", "wards"]),
    ];
    for (z, want) in expect {
        let d = render(Source::Vietnam, tile_at(hanoi.0, hanoi.1, z));
        assert_eq!(layer_names(&d), want.into_iter().collect(), "z{z}");
        assert!(d.extents.iter().all(|&e| e == EXTENT));
    }
    // one layer per single-layer source
    let d = render(Source::Layer(Layer::Provinces), tile_at(hanoi.0, hanoi.1, 6));
    assert_eq!(layer_names(&d), ["provinces"].into_iter().collect());
}

#[test]
fn addresses_match_the_index_one_by_one() {
    let ix = ix();
    let set = &ix.data.addresses;
    // the tiles of a few addresses spread over the set
    let mut checked = 0;
    for id in set.ids().step_by(3001).take(30) {
        let p = set.location(id).unwrap();
        let t = tile_at(p.lon(), p.lat(), 14);
        let d = render(Source::Layer(Layer::Addresses), t);
        let feats = &d.layers["addresses"];
        let mut seen = BTreeSet::new();
        for f in feats {
            let fid = prop_u64(f, "id") as u32;
            assert_eq!(f.id, Some(u64::from(fid)));
            let v = set.view(&ix.data.geography, AddressId::new(fid)).unwrap();
            assert_eq!(prop_str(f, "street"), v.street);
            assert_eq!(prop_str(f, "postcode"), v.postcode);
            assert_eq!(prop_str(f, "digital_address"), v.digital_address);
            assert!(prop_str(f, "house").starts_with(&v.house_number.to_string()));
            let pt = match &f.geometry {
                Geometry::Point(p) => *p,
                Geometry::MultiPoint(mp) if mp.0.len() == 1 => mp.0[0],
                other => panic!("addresses are single points: {other:?}"),
            };
            let (x, y) = px(t, v.lon, v.lat);
            assert!((f64::from(pt.x()) - x).abs() <= 0.5 && (f64::from(pt.y()) - y).abs() <= 0.5, "{fid} position");
            seen.insert(fid);
        }
        // every address of the tile proper (not only the buffer) is there
        let b = tile_bounds(t.z, t.x, t.y);
        let mut want = BTreeSet::new();
        ix.for_each_address_in_bbox(b, |i, _, _| {
            want.insert(i.get());
        });
        assert!(
            want.is_subset(&seen),
            "tile {t}: {} of {} addresses missing",
            want.difference(&seen).count(),
            want.len()
        );
        assert!(seen.contains(&id.get()));
        checked += want.len();
    }
    assert!(checked > 100, "checked {checked} addresses");
}

#[test]
fn ward_polygons_contain_their_label_points_and_match_point_in_polygon() {
    let geo = &ix().data.geography;
    let mut checked = 0;
    for w in geo.wards.iter().step_by(97) {
        let t = tile_at(w.label.lon(), w.label.lat(), 11);
        let d = render(Source::Layer(Layer::Wards), t);
        let (x, y) = px(t, w.label.lon(), w.label.lat());
        let here = Point::new(x as f32, y as f32);
        let holders: Vec<String> = d.layers["wards"]
            .iter()
            .filter(|f| match &f.geometry {
                Geometry::Polygon(p) => p.contains(&here),
                Geometry::MultiPolygon(mp) => mp.contains(&here),
                other => panic!("wards are polygons: {other:?}"),
            })
            .map(|f| prop_str(f, "code"))
            .collect();
        // the label point is inside its ward, and the index agrees on which ward that is
        let by_index = geo.ward_at(w.label).map(|i| geo.wards[usize::from(i)].code.as_str().to_owned());
        assert_eq!(by_index.as_deref(), Some(w.code.as_str()));
        assert!(holders.contains(&w.code.as_str().to_owned()), "{}: label point in {holders:?}", w.code.as_str());
        checked += 1;
    }
    assert!(checked > 30);
}

#[test]
fn the_archipelagos_are_on_the_map() {
    // Hoàng Sa (Paracel Islands, Đà Nẵng) and Trường Sa (Spratly Islands, Khánh Hòa)
    for (name, lon, lat, province) in [("Hoàng Sa", 112.0, 16.5, "Đà Nẵng"), ("Trường Sa", 114.0, 10.0, "Khánh Ho")]
    {
        let geo = &ix().data.geography;
        let covering: Vec<TileId> = (0..4u64)
            .flat_map(|dx| (0..4u64).map(move |dy| (dx, dy)))
            .filter_map(|(dx, dy)| {
                let c = tile_at(lon, lat, 6);
                TileId::new(6, u64::from(c.x) + dx - 1, u64::from(c.y) + dy - 1).ok()
            })
            .collect();
        let provinces: BTreeSet<String> = covering
            .into_iter()
            .filter_map(|t| renderer().render(Source::Vietnam, t).unwrap())
            .flat_map(|b| {
                let d = decode(b);
                assert!(d.layers.contains_key("country"), "{name}: land in the country layer");
                d.layers.get("provinces").map(|fs| fs.iter().map(|f| prop_str(f, "name")).collect::<Vec<_>>())
            })
            .flatten()
            .collect();
        assert!(provinces.iter().any(|p| p.contains(province)), "{name}: {provinces:?}");
        assert!(geo.provinces.iter().any(|p| p.name.contains(province)));
    }
}

#[test]
fn every_tile_of_the_country_fits_the_size_limit_down_to_z8() {
    let mut rendered = 0;
    let mut largest = 0;
    for z in 0..=8u8 {
        let a = tile_at(102.0, 23.5, z);
        let b = tile_at(118.0, 6.5, z);
        for x in a.x..=b.x {
            for y in a.y..=b.y {
                let t = TileId::new(u32::from(z), u64::from(x), u64::from(y)).unwrap();
                if let Some(bytes) = renderer().render(Source::Vietnam, t).unwrap() {
                    largest = largest.max(bytes.len());
                    assert!(bytes.len() <= MAX_TILE_BYTES, "{t}: {} bytes", bytes.len());
                    rendered += 1;
                }
            }
        }
    }
    assert!(rendered > 100, "{rendered} tiles");
    assert!(largest > 10_000, "largest {largest}");
}

#[test]
fn empty_and_out_of_range_tiles() {
    // the open Pacific at z10: nothing
    assert!(renderer().render(Source::Vietnam, tile_at(-150.0, 0.0, 10)).unwrap().is_none());
    assert!(renderer().render(Source::Layer(Layer::Addresses), tile_at(105.85, 21.03, 10)).unwrap().is_none());
    assert!(matches!(
        renderer().render(Source::Vietnam, tile_at(105.85, 21.03, 17)),
        Err(TileError::ZoomOutOfRange { z: 17, max: 16 })
    ));
    assert!(matches!(TileId::new(3, 8, 0), Err(TileError::InvalidTile(_))));
    assert!(matches!(TileId::new(23, 0, 0), Err(TileError::InvalidTile(_))));
    assert!(matches!("roads".parse::<Source>(), Err(TileError::UnknownSource(_))));
}

#[test]
fn tiles_are_deterministic() {
    for (z, lon, lat) in [(3, 106.0, 16.0), (9, 106.7, 10.78), (14, 105.85, 21.03)] {
        let t = tile_at(lon, lat, z);
        assert_eq!(renderer().render(Source::Vietnam, t).unwrap(), renderer().render(Source::Vietnam, t).unwrap());
    }
}

#[test]
fn density_counts_every_address_once_at_z0() {
    let d = render(Source::Layer(Layer::Density), TileId::new(0, 0, 0).unwrap());
    let total: u64 = d.layers["density"].iter().map(|f| prop_u64(f, "count")).sum();
    assert_eq!(total, ix().data.addresses.len() as u64);
    assert!(
        d.layers["density"]
            .iter()
            .all(|f| prop_u64(f, "res") == 3 && matches!(f.geometry, Geometry::Polygon(_) | Geometry::MultiPolygon(_)))
    );
}

#[test]
fn province_labels_carry_diacritics() {
    let d = render(Source::Layer(Layer::Labels), tile_at(105.85, 21.03, 5));
    let names: Vec<String> = d.layers["labels"].iter().map(|f| prop_str(f, "name")).collect();
    assert!(names.iter().any(|n| n.contains("Hà Nội")), "{names:?}");
}

// ---- streets (issue 17) ----

/// Central Hà Nội (Hoàn Kiếm) and central Hồ Chí Minh City (hẻm): where the streets are checked.
const CITIES: [(f64, f64); 2] = [(105.8542, 21.0285), (106.7009, 10.7769)];

/// The two city centres and the places of addresses spread over the country (towns and villages).
fn places() -> Vec<(f64, f64)> {
    let set = &ix().data.addresses;
    let spread = set.ids().step_by(4001).take(15).map(|id| set.location(id).unwrap()).map(|p| (p.lon(), p.lat()));
    CITIES.into_iter().chain(spread).collect()
}

/// The lines of a decoded feature, in tile pixels.
fn lines_of(f: &mvt_reader::feature::Feature) -> Vec<Vec<(f64, f64)>> {
    let conv = |ls: &geo::LineString<f32>| ls.0.iter().map(|c| (f64::from(c.x), f64::from(c.y))).collect();
    match &f.geometry {
        Geometry::LineString(ls) => vec![conv(ls)],
        Geometry::MultiLineString(mls) => mls.0.iter().map(conv).collect(),
        other => panic!("streets are lines: {other:?}"),
    }
}

/// Distance from a point to a polyline (pixels).
fn distance_to(p: (f64, f64), line: &[(f64, f64)]) -> f64 {
    line.windows(2)
        .map(|w| {
            let (a, b) = (w[0], w[1]);
            let (dx, dy) = (b.0 - a.0, b.1 - a.1);
            let len2 = dx * dx + dy * dy;
            let t = if len2 == 0.0 { 0.0 } else { (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0) };
            (p.0 - a.0 - t * dx).hypot(p.1 - a.1 - t * dy)
        })
        .fold(f64::INFINITY, f64::min)
}

/// Metres per tile pixel at a latitude and zoom.
fn metres_per_px(lat: f64, z: u8) -> f64 {
    40_075_016.686 * lat.to_radians().cos() / f64::from(1u32 << z) / f64::from(EXTENT)
}

/// The streets of the 3×3 tiles around a point.
fn streets_around(lon: f64, lat: f64, z: u8) -> Vec<(TileId, Vec<mvt_reader::feature::Feature>)> {
    let c = tile_at(lon, lat, z);
    let mut out = Vec::new();
    for dx in 0..3u64 {
        for dy in 0..3u64 {
            let t = TileId::new(u32::from(z), u64::from(c.x) + dx - 1, u64::from(c.y) + dy - 1).unwrap();
            if let Some(b) = renderer().render(Source::Layer(Layer::Streets), t).unwrap() {
                out.push((t, decode(b).layers.remove("streets").unwrap_or_default()));
            }
        }
    }
    out
}

#[test]
fn streets_appear_from_z13_and_alleys_from_z15() {
    for (lon, lat) in CITIES {
        for z in [10u8, 12] {
            assert!(renderer().render(Source::Layer(Layer::Streets), tile_at(lon, lat, z)).unwrap().is_none(), "z{z}");
            let d = render(Source::Vietnam, tile_at(lon, lat, z));
            assert!(!d.layers.contains_key("streets"), "z{z}");
        }
        for z in [13u8, 14] {
            let kinds: BTreeSet<String> =
                streets_around(lon, lat, z).iter().flat_map(|(_, fs)| fs.iter().map(|f| prop_str(f, "kind"))).collect();
            assert_eq!(kinds, ["street".to_owned()].into(), "z{z} at {lon},{lat}");
        }
    }
    // alleys: none below z15 anywhere, some from z15
    let mut alleys = [0usize; 17];
    for (lon, lat) in places() {
        for z in 13..=16u8 {
            let n = streets_around(lon, lat, z)
                .iter()
                .flat_map(|(_, fs)| fs.iter().filter(|f| prop_str(f, "kind") == "alley"))
                .count();
            alleys[usize::from(z)] += n;
        }
    }
    assert_eq!(alleys[13] + alleys[14], 0);
    assert!(alleys[15] > 0 && alleys[16] > 0, "{alleys:?}");
}

#[test]
fn street_names_are_in_the_register_and_marked_generated() {
    let set = &ix().data.addresses;
    let register: BTreeSet<&str> = set.street_names.iter().map(|s| &**s).collect();
    let mut checked = 0;
    for (lon, lat) in places() {
        for (_, fs) in streets_around(lon, lat, 15) {
            for f in fs {
                let name = prop_str(&f, "name");
                assert!(!name.trim().is_empty());
                assert_eq!(prop_str(&f, "origin"), "generated");
                match prop_str(&f, "kind").as_str() {
                    "street" => assert!(register.contains(name.as_str()), "{name}"),
                    "alley" => {
                        let street = prop_str(&f, "street");
                        assert!(register.contains(street.as_str()), "{street}");
                        let (word, rest) = name.split_once(' ').unwrap();
                        assert!(["Ngõ", "Kiệt", "Hẻm"].contains(&word), "{name}");
                        let (number, of) = rest.split_once(' ').unwrap();
                        assert_eq!(of, street);
                        number.parse::<u16>().unwrap();
                    }
                    other => panic!("kind {other}"),
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 30, "{checked} lines");
}

#[test]
fn addresses_lie_on_their_street_lines_at_z16() {
    let ix = ix();
    let (set, geo) = (&ix.data.addresses, &ix.data.geography);
    let (mut on_line, mut total, mut in_alleys) = (0usize, 0usize, 0usize);
    for (lon, lat) in places() {
        for (t, fs) in streets_around(lon, lat, 16) {
            let mut by_name: HashMap<String, Vec<Vec<(f64, f64)>>> = HashMap::new();
            for f in &fs {
                by_name.entry(prop_str(f, "name")).or_default().extend(lines_of(f));
            }
            let m_px = metres_per_px(lat, t.z);
            ix.for_each_address_in_bbox(tile_bounds(t.z, t.x, t.y), |id, _, _| {
                let r = set.record(id).unwrap();
                let ward = &geo.wards[usize::from(r.ward)];
                let name = if r.alley == 0 {
                    r.street.to_owned()
                } else {
                    let word = diachi_geo::dataset::alley_word(geo.province_of(ward).code.as_u32());
                    format!("{word} {} {}", r.alley, r.street)
                };
                total += 1;
                let Some(lines) = by_name.get(&name) else { return };
                let p = px(t, diachi_geo::dataset::from_e7(r.lon_e7), diachi_geo::dataset::from_e7(r.lat_e7));
                let d = lines.iter().map(|l| distance_to(p, l)).fold(f64::INFINITY, f64::min) * m_px;
                // houses face the street from its sides (the generator's half-width); alley houses are on the alley
                let want = if r.alley == 0 { diachi_tiles::streets::side_offset_m(ward.kind) } else { 0.0 };
                assert!((d - want).abs() <= 1.0, "{name} {}: {d:.2} m from its line, not {want} m", r.house);
                on_line += 1;
                in_alleys += usize::from(r.alley != 0);
            });
        }
    }
    eprintln!("{on_line} of {total} addresses on their lines, {in_alleys} in alleys");
    assert!(total > 200 && in_alleys > 20, "{total} addresses, {in_alleys} on alley lines");
    // the few without a line are the scattered houses of wards too small for a street
    assert!(on_line * 10 >= total * 9, "{on_line} of {total} addresses on a line");
}

#[test]
fn a_central_z13_tile_stays_small() {
    let t = tile_at(105.8542, 21.0285, 13);
    let bytes = renderer().render(Source::Vietnam, t).unwrap().unwrap();
    assert!(bytes.len() < MAX_TILE_BYTES / 4, "{t}: {} bytes", bytes.len());
}
