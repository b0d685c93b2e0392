//! Every polygon of every polygon layer is valid (OGC, by GEOS through PostGIS) once decoded by an independent MVT
//! decoder: every tile z0–z10 over the national bounds and a seeded sample at z11–z14 (issue 17). PostGIS's own
//! `ST_AsMVTGeom` of the same tiles, from the same polygons, is counted beside as the reference rate.

use diachi_geo::index::NationalIndex;
use diachi_synth::rng::Rng;
use diachi_tiles::geom::world;
use diachi_tiles::{BOUNDS, Layer, Source, TileId, TileRenderer};
use geo::{Geometry, LineString, Polygon};
use mvt_reader::Reader;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use crate::{dataset, harness, import, rt};

/// The layers drawn with polygons.
const LAYERS: [Layer; 5] = [Layer::Country, Layer::Provinces, Layer::Wards, Layer::PostalZones, Layer::Density];
/// Every tile up to this zoom is walked; above, a sample.
const FULL_TO: u8 = 10;
/// Sampled tiles per zoom from z11 to z14.
const SAMPLE: usize = 60;

/// The tiles of zoom `z` over the national bounds.
fn tiles_over_bounds(z: u8) -> Vec<TileId> {
    let n = f64::from(1u32 << z);
    let (x0, y0) = world(BOUNDS[0], BOUNDS[3]);
    let (x1, y1) = world(BOUNDS[2], BOUNDS[1]);
    let span = |a: f64, b: f64| (a * n).floor() as u64..=((b * n).floor() as u64).min((1u64 << z) - 1);
    span(x0, x1).flat_map(|x| span(y0, y1).map(move |y| TileId::new(u32::from(z), x, y).unwrap())).collect()
}

/// A seeded sample of `SAMPLE` tiles at zoom `z`: around ward label points (where the boundaries are), jittered.
fn sample(ix: &NationalIndex, z: u8, seed: u64) -> Vec<TileId> {
    let wards = &ix.data.geography.wards;
    let mut rng = Rng::new(seed, u64::from(z));
    let mut out: Vec<TileId> = (0..SAMPLE)
        .map(|_| {
            let w = &wards[rng.below(wards.len() as u32) as usize];
            let (x, y) = world(w.label.lon() + rng.range(-0.05, 0.05), w.label.lat() + rng.range(-0.05, 0.05));
            let n = f64::from(1u32 << z);
            TileId::new(u32::from(z), (x * n) as u64, (y * n) as u64).unwrap()
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// One decoded feature: where it comes from and its geometry as WKT.
struct Decoded {
    layer: Layer,
    tile: TileId,
    wkt: String,
    /// Polygons whose exterior is not clockwise on screen (mvt-reader takes a counter-clockwise ring for a hole).
    misoriented: usize,
    /// A ring of fewer than three points (which PostGIS cannot even parse).
    degenerate: bool,
}

fn ring_wkt(out: &mut String, r: &LineString<f32>) {
    out.push('(');
    for (i, c) in r.coords().enumerate() {
        let sep = if i == 0 { "" } else { "," };
        let _ = write!(out, "{sep}{} {}", c.x, c.y);
    }
    out.push(')');
}

fn polygon_wkt(out: &mut String, p: &Polygon<f32>) {
    out.push('(');
    ring_wkt(out, p.exterior());
    for r in p.interiors() {
        out.push(',');
        ring_wkt(out, r);
    }
    out.push(')');
}

/// Twice the signed area, positive for clockwise rings on screen (y down).
fn area2(r: &LineString<f32>) -> f64 {
    r.lines().map(|l| f64::from(l.start.x) * f64::from(l.end.y) - f64::from(l.end.x) * f64::from(l.start.y)).sum()
}

/// The tile's features of `layer`, decoded by mvt-reader.
fn decode(bytes: Option<Vec<u8>>, layer: Layer, tile: TileId) -> Vec<Decoded> {
    let Some(bytes) = bytes else { return Vec::new() };
    let r = Reader::new(bytes).expect("the tile parses");
    let meta = r.get_layer_metadata().expect("layer metadata");
    let Some(m) = meta.iter().find(|m| m.name == layer.name()) else { return Vec::new() };
    let features = r.get_features(m.layer_index).expect("features decode");
    features
        .into_iter()
        .map(|f| {
            let polygons = match f.geometry {
                Geometry::Polygon(p) => vec![p],
                Geometry::MultiPolygon(mp) => mp.0,
                other => panic!("{} {tile}: not a polygon: {other:?}", layer.name()),
            };
            let mut wkt = String::from("MULTIPOLYGON(");
            for (i, p) in polygons.iter().enumerate() {
                if i > 0 {
                    wkt.push(',');
                }
                polygon_wkt(&mut wkt, p);
            }
            wkt.push(')');
            let misoriented = polygons.iter().filter(|p| area2(p.exterior()) <= 0.0).count();
            let short = |r: &LineString<f32>| r.0.len() < 4;
            let degenerate = polygons.iter().any(|p| short(p.exterior()) || p.interiors().iter().any(short));
            Decoded { layer, tile, wkt, misoriented, degenerate }
        })
        .collect()
}

/// Counts of one layer at one zoom.
#[derive(Default, Debug, Clone, Copy)]
struct Counts {
    features: u64,
    invalid_features: u64,
    polygons: u64,
    invalid_polygons: u64,
}

/// Validity by GEOS of a batch: per feature `(valid, reason, polygons, invalid polygons)`.
async fn check(c: &tokio_postgres::Client, wkts: &[&str]) -> Vec<(bool, String, i64, i64)> {
    let rows = c
        .query(
            "SELECT ST_IsValid(g), ST_IsValidReason(g), ST_NumGeometries(g)::int8, \
                    (SELECT count(*) FROM ST_Dump(g) d WHERE NOT ST_IsValid(d.geom)) \
             FROM (SELECT i, ST_GeomFromText(w) AS g FROM unnest($1::text[]) WITH ORDINALITY AS t(w, i)) s ORDER BY i",
            &[&wkts],
        )
        .await
        .unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect()
}

/// PostGIS's table of a layer, when it has one.
fn table(layer: Layer) -> Option<&'static str> {
    match layer {
        Layer::Provinces => Some("provinces"),
        Layer::Wards => Some("wards"),
        Layer::PostalZones => Some("postal_zones"),
        _ => None,
    }
}

/// PostGIS's own tiles of `layer` at zoom `z` for `tiles`: `(features, invalid features)` of `ST_AsMVTGeom`.
async fn reference(c: &tokio_postgres::Client, layer: Layer, z: u8, tiles: &[TileId]) -> Option<(i64, i64)> {
    let table = table(layer)?;
    let xs: Vec<i32> = tiles.iter().map(|t| t.x as i32).collect();
    let ys: Vec<i32> = tiles.iter().map(|t| t.y as i32).collect();
    let sql = format!(
        "SELECT count(g), count(g) FILTER (WHERE NOT ST_IsValid(g)) FROM unnest($2::int[], $3::int[]) AS t(x, y) \
         CROSS JOIN LATERAL (SELECT ST_AsMVTGeom(l.g3857, ST_TileEnvelope($1, t.x, t.y), 4096, 64, true) AS g \
           FROM {table}_3857 l \
           WHERE l.g3857 && ST_TileEnvelope($1, t.x, t.y, margin => 64.0 / 4096)) s"
    );
    let row = c.query_one(&sql, &[&i32::from(z), &xs, &ys]).await.unwrap();
    Some((row.get(0), row.get(1)))
}

#[test]
fn every_polygon_of_every_tile_is_valid_and_postgis_is_the_reference() {
    let Some(pg) = harness::cluster() else { return };
    let start = Instant::now();
    let ix = Arc::new(NationalIndex::build(dataset()));
    let renderer = TileRenderer::new(ix.clone());
    let mut zooms: Vec<(u8, Vec<TileId>)> = (0..=FULL_TO).map(|z| (z, tiles_over_bounds(z))).collect();
    zooms.extend((FULL_TO + 1..=14).map(|z| (z, sample(&ix, z, 17))));
    // each zoom's polygons are simplified on first use: not part of the rendering timed below
    for (z, tiles) in &zooms {
        for layer in LAYERS.into_iter().filter(|l| l.visible_at(*z)) {
            renderer.render(Source::Layer(layer), tiles[0]).unwrap();
        }
    }
    rt().block_on(async {
        import(&pg.url()).await;
        let c = diachi_db::connect(&pg.url()).await.unwrap();
        for t in ["provinces", "wards", "postal_zones"] {
            let sql = format!(
                "CREATE TABLE {t}_3857 AS SELECT ST_Transform(geom, 3857) AS g3857 FROM {t}; \
                 CREATE INDEX ON {t}_3857 USING gist (g3857)"
            );
            c.batch_execute(&sql).await.unwrap();
        }
        let mut counts: BTreeMap<(u8, &str), Counts> = BTreeMap::new();
        let mut refs: BTreeMap<(u8, &str), (i64, i64)> = BTreeMap::new();
        let mut failures: Vec<String> = Vec::new();
        let mut misoriented = 0;
        let mut tiles_walked = 0;
        let mut render_time = std::time::Duration::ZERO;
        for (z, tiles) in &zooms {
            tiles_walked += tiles.len();
            for layer in LAYERS.into_iter().filter(|l| l.visible_at(*z)) {
                let t0 = Instant::now();
                let rendered: Vec<_> =
                    tiles.iter().map(|&t| (t, renderer.render(Source::Layer(layer), t).unwrap())).collect();
                render_time += t0.elapsed();
                let decoded: Vec<Decoded> = rendered.into_iter().flat_map(|(t, b)| decode(b, layer, t)).collect();
                misoriented += decoded.iter().map(|d| d.misoriented).sum::<usize>();
                let e = counts.entry((*z, layer.name())).or_default();
                let (degenerate, decoded): (Vec<Decoded>, Vec<Decoded>) = decoded.into_iter().partition(|d| d.degenerate);
                for d in &degenerate {
                    e.features += 1;
                    e.invalid_features += 1;
                    e.invalid_polygons += 1;
                    if failures.len() < 12 {
                        failures.push(format!("{} {}: a ring of fewer than 3 points: {}", d.layer.name(), d.tile, d.wkt));
                    }
                }
                for batch in decoded.chunks(1000) {
                    let wkts: Vec<&str> = batch.iter().map(|d| d.wkt.as_str()).collect();
                    for (d, (valid, reason, n, bad)) in batch.iter().zip(check(&c, &wkts).await) {
                        e.features += 1;
                        e.polygons += n as u64;
                        e.invalid_polygons += bad as u64;
                        if !valid {
                            e.invalid_features += 1;
                            if failures.len() < 12 {
                                failures.push(format!("{} {}: {reason}", d.layer.name(), d.tile));
                            }
                        }
                    }
                }
                if let Some(r) = reference(&c, layer, *z, tiles).await {
                    refs.insert((*z, layer.name()), r);
                }
            }
        }
        report(&counts, &refs);
        let total = counts.values().fold(Counts::default(), |a, c| Counts {
            features: a.features + c.features,
            invalid_features: a.invalid_features + c.invalid_features,
            polygons: a.polygons + c.polygons,
            invalid_polygons: a.invalid_polygons + c.invalid_polygons,
        });
        let (rf, ri) = refs.values().fold((0, 0), |a, r| (a.0 + r.0, a.1 + r.1));
        eprintln!(
            "{tiles_walked} tiles in {:.1?} (rendering the polygon layers: {render_time:.2?}): diachi {} of {} features invalid ({} of {} polygons, {misoriented} \
             exteriors counter-clockwise); PostGIS ST_AsMVTGeom {ri} of {rf} features invalid",
            start.elapsed(),
            total.invalid_features,
            total.features,
            total.invalid_polygons,
            total.polygons
        );
        assert!(total.features > 5000, "only {} features walked", total.features);
        assert!(failures.is_empty() && total.invalid_polygons == 0, "invalid tile polygons: {failures:#?}");
        assert_eq!(misoriented, 0, "exterior rings must be clockwise on screen");
    });
}

/// Prints the counts per zoom and layer, PostGIS's beside where it has the layer.
fn report(counts: &BTreeMap<(u8, &str), Counts>, refs: &BTreeMap<(u8, &str), (i64, i64)>) {
    eprintln!("zoom layer         features invalid  polygons invalid | PostGIS features invalid");
    for (k, c) in counts {
        let r = refs.get(k).map_or(String::new(), |r| format!("{:>8} {:>7}", r.0, r.1));
        eprintln!(
            "z{:<3} {:<13} {:>8} {:>7} {:>9} {:>7} | {r}",
            k.0, k.1, c.features, c.invalid_features, c.polygons, c.invalid_polygons
        );
    }
}
