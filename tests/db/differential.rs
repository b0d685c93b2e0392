//! The in-memory index and tiles against PostGIS on the same data.

use diachi_db::tiles::{PgLayer, PgTiles};
use diachi_domain::LonLat;
use diachi_geo::index::NationalIndex;
use diachi_synth::rng::Rng;
use diachi_tiles::geom::{BUFFER, world};
use diachi_tiles::{Layer, Source, TileId, TileRenderer};
use mvt_reader::Reader;
use mvt_reader::feature::{Feature, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::{dataset, harness, import, rt};

/// Random points over the mainland and the sea around it (some outside every ward).
fn points(n: usize, seed: u64) -> Vec<LonLat> {
    let mut rng = Rng::new(seed, 1);
    (0..n).map(|_| LonLat::new(102.2 + rng.range(0.0, 7.3), 8.6 + rng.range(0.0, 14.8)).unwrap()).collect()
}

#[test]
fn nearest_and_point_in_polygon_agree_with_postgis() {
    let Some(pg) = harness::cluster() else { return };
    let ix = NationalIndex::build(dataset());
    let geo = &ix.data.geography;
    rt().block_on(async {
        import(&pg.url()).await;
        let c = diachi_db::connect(&pg.url()).await.unwrap();
        // KNN with `<->` on the sphere (geography), with PostGIS's exact spherical distance of each
        let knn = c
            .prepare(
                "SELECT id, ST_Distance(geom::geography, p, false) FROM addresses, \
                 (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography AS p) q \
                 ORDER BY geom::geography <-> p LIMIT $3",
            )
            .await
            .unwrap();
        let k = 8usize;
        for p in points(150, 11) {
            let ours = ix.nearest_addresses(p, k);
            let theirs = c.query(&knn, &[&p.lon(), &p.lat(), &((k + 8) as i64)]).await.unwrap();
            let theirs: BTreeMap<u32, f64> =
                theirs.iter().map(|r| (r.get::<_, i64>(0) as u32, r.get::<_, f64>(1))).collect();
            let mut their_sorted: Vec<f64> = theirs.values().copied().collect();
            their_sorted.sort_by(f64::total_cmp);
            assert_eq!(ours.len(), k);
            for (i, h) in ours.iter().enumerate() {
                let d = theirs
                    .get(&h.id.get())
                    .unwrap_or_else(|| panic!("{p:?}: our #{i} {} is not in PostGIS's top", h.id));
                assert!((d - h.distance_m).abs() < 0.01 + 1e-6 * d, "{p:?}: id {} at {} vs {d}", h.id, h.distance_m);
                // the i-th nearest is as near as PostGIS's i-th
                assert!(h.distance_m <= their_sorted[i] + 0.01 + 1e-6 * d, "{p:?}: #{i}");
            }
        }
        // point in polygon: the lowest-index ward whose polygon contains the point, as `ward_at` defines it
        let pip = c
            .prepare("SELECT min(idx) FROM wards WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))")
            .await
            .unwrap();
        let mut inside = 0;
        for p in points(1500, 12) {
            let theirs: Option<i32> = c.query_one(&pip, &[&p.lon(), &p.lat()]).await.unwrap().get(0);
            let ours = geo.ward_at(p);
            assert_eq!(ours.map(|w| i32::from(w.get())), theirs, "{p:?}");
            inside += usize::from(ours.is_some());
        }
        assert!(inside > 300, "only {inside} points fell in a ward");
    });
}

fn features(bytes: Option<Vec<u8>>, layer: &str) -> BTreeMap<u64, Feature> {
    let Some(bytes) = bytes else { return BTreeMap::new() };
    let r = Reader::new(bytes).expect("the tile parses");
    let meta = r.get_layer_metadata().expect("layer metadata");
    let Some(m) = meta.iter().find(|m| m.name == layer) else { return BTreeMap::new() };
    assert_eq!(m.extent, 4096);
    r.get_features(m.layer_index).expect("features").into_iter().map(|f| (f.id.expect("a feature id"), f)).collect()
}

fn text(f: &Feature, k: &str) -> Option<String> {
    match f.properties.as_ref()?.get(k)? {
        Value::String(s) => Some(s.clone()),
        Value::UInt(v) => Some(v.to_string()),
        Value::Int(v) | Value::SInt(v) => Some(v.to_string()),
        other => Some(format!("{other:?}")),
    }
}

fn point(f: &Feature) -> (f64, f64) {
    match &f.geometry {
        geo::Geometry::Point(p) => (f64::from(p.x()), f64::from(p.y())),
        geo::Geometry::MultiPoint(mp) if mp.0.len() == 1 => (f64::from(mp.0[0].x()), f64::from(mp.0[0].y())),
        other => panic!("not a point: {other:?}"),
    }
}

fn tile_at(p: LonLat, z: u8) -> TileId {
    let (x, y) = world(p.lon(), p.lat());
    let n = f64::from(1u32 << z);
    TileId::new(u32::from(z), (x * n) as u64, (y * n) as u64).unwrap()
}

#[test]
fn postgis_tiles_match_the_in_memory_tiles_feature_by_feature() {
    let Some(pg) = harness::cluster() else { return };
    let ix = Arc::new(NationalIndex::build(dataset()));
    let renderer = TileRenderer::new(ix.clone());
    rt().block_on(async {
        import(&pg.url()).await;
        let pool = diachi_db::pool(&pg.url(), 4).unwrap();
        let pg_tiles = PgTiles::new(pool, 1_000_000);
        let set = &ix.data.addresses;
        let mut compared = 0;
        for id in set.ids().step_by(797).take(25) {
            let t = tile_at(set.location(id).unwrap(), 14);
            let mem = features(renderer.render(Source::Layer(Layer::Addresses), t).unwrap(), "addresses");
            let pgf = features(pg_tiles.render(PgLayer::Addresses, t).await.unwrap(), "addresses");
            assert!(mem.contains_key(&u64::from(id.get())), "tile {t} lacks address {id}");
            // the same points, except that one within 2 px of the buffer's outer edge may fall on either side of it
            // (PostGIS clips before it rounds to the grid, the renderer after)
            let at_edge = |f: &Feature| {
                let (x, y) = point(f);
                [x, y].iter().any(|&v| (v + BUFFER).abs() <= 2.0 || (v - (4096.0 + BUFFER)).abs() <= 2.0)
            };
            let only_mem: Vec<u64> =
                mem.iter().filter(|(k, f)| !pgf.contains_key(k) && !at_edge(f)).map(|(k, _)| *k).collect();
            let only_pg: Vec<u64> =
                pgf.iter().filter(|(k, f)| !mem.contains_key(k) && !at_edge(f)).map(|(k, _)| *k).collect();
            assert!(
                only_mem.is_empty() && only_pg.is_empty(),
                "tile {t}: only in memory {only_mem:?}, only in PostGIS {only_pg:?} at {:?}",
                only_pg.iter().map(|k| point(&pgf[k])).collect::<Vec<_>>()
            );
            for (fid, m) in mem.iter().filter(|(k, _)| pgf.contains_key(k)) {
                let p = &pgf[fid];
                for k in ["id", "house", "unit", "street", "digital_address", "postcode"] {
                    assert_eq!(text(m, k), text(p, k), "tile {t} feature {fid} attribute {k}");
                }
                let (a, b) = (point(m), point(p));
                assert!((a.0 - b.0).abs() <= 1.0 && (a.1 - b.1).abs() <= 1.0, "tile {t} feature {fid}: {a:?} vs {b:?}");
                compared += 1;
            }
        }
        assert!(compared > 100, "only {compared} features compared");
        // zones: the same wards and postal zones, with the same attributes
        for (layer, pg_layer, keys) in [
            (Layer::Wards, PgLayer::Wards, &["code", "name", "kind", "province_code"][..]),
            (Layer::PostalZones, PgLayer::PostalZones, &["code", "province_code"][..]),
        ] {
            for p in [(105.8542, 21.0285), (106.70, 10.78), (108.22, 16.05)] {
                let t = tile_at(LonLat::new(p.0, p.1).unwrap(), 11);
                let mem = features(renderer.render(Source::Layer(layer), t).unwrap(), layer.name());
                let pgf = features(pg_tiles.render(pg_layer, t).await.unwrap(), layer.name());
                assert!(!mem.is_empty());
                assert_eq!(mem.keys().collect::<Vec<_>>(), pgf.keys().collect::<Vec<_>>(), "{} tile {t}", layer.name());
                for (fid, m) in &mem {
                    for k in keys {
                        assert_eq!(text(m, k), text(&pgf[fid], k), "{} tile {t} feature {fid} {k}", layer.name());
                    }
                }
            }
        }
    });
}
