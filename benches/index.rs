//! Speed of the national index's queries, each group with a baseline measured in the same run so that figures can
//! be read as ratios on a noisy machine.
//!
//! ```text
//! cargo bench --bench index -- --warm-up-time 1 --measurement-time 3 --sample-size 20
//! cargo bench --bench index -- nearest/1M      # one group only (the 10M set is then never built)
//! ```
//!
//! Groups:
//! - `nearest/1M`, `nearest/10M`: `NationalIndex::nearest_addresses` (k = 1 and 10, exact great-circle re-ranking)
//!   against the raw `rstar` nearest neighbour over the same `f32` points (no re-ranking) and a brute-force linear
//!   scan of 10,000 points. Queries are addresses jittered by up to ~100 m (deterministic).
//! - `ward_at`: point in polygon (`Geography::ward_at`) on random land points against a scan of every ward.
//! - `area/1M`: radius-500 m and ~1 km × 1 km bbox queries, `cell_counts` for H3 res 10 / 8 / 5 cells,
//!   `address_by_code`, `addresses_in_cell` for area codes of level 2 / 4 / 6 (0.8°, 0.032°, 0.00128° cells),
//!   `area_query` on the worst areas the API allows (a level-1 area code, stopped by the visit budget; the densest
//!   square degree; a 5 km radius and a resolution-5 H3 cell in Hà Nội), against the k = 1 nearest lookup on the same
//!   index.
//!
//! The sets are generated once per process (1M ≈ 2 s, 10M ≈ 15–20 s and ~1 GB) and only when a selected
//! benchmark needs them.

#![allow(clippy::expect_used)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use diachi_domain::lonlat::haversine_m;
use diachi_domain::{GridCell, LonLat};
use diachi_geo::dataset::from_e7;
use diachi_geo::index::{Area, AreaLimits, NationalIndex};
use diachi_server::config::DEFAULT_SEED;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Instant;

/// Queries per set; each iteration takes the next one (a working set of this many points, cycled).
const QUERIES: usize = 4096;
/// Points of the brute-force baseline.
const SCAN_POINTS: usize = 10_000;
/// cos(14°), the same plane as the index's R-tree.
const COS0: f64 = 0.970_295_726_275_996_5;

/// A deterministic xorshift64 stream.
struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

struct Fixture {
    index: NationalIndex,
    /// Query points near addresses (an address moved by up to ±0.001° ≈ 100 m on each axis).
    queries: Vec<LonLat>,
    /// The same points projected like the index's tree.
    queries_f32: Vec<[f32; 2]>,
    /// The raw `rstar` tree over the same `f32` points (baseline without exact re-ranking).
    raw: RTree<GeomWithData<[f32; 2], u32>>,
}

fn project(lon: f64, lat: f64) -> [f32; 2] {
    [(lon * COS0) as f32, lat as f32]
}

fn build(households: u64) -> Fixture {
    let t = Instant::now();
    let data = diachi_synth::build_dataset(households, DEFAULT_SEED, None).expect("embedded geography loads");
    let generated = t.elapsed();
    let index = NationalIndex::build(data);
    let set = &index.data.addresses;
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15 ^ households);
    let queries: Vec<LonLat> = (0..QUERIES)
        .map(|_| {
            let i = rng.below(set.len());
            let (lon, lat) = (from_e7(set.lon_e7[i]), from_e7(set.lat_e7[i]));
            LonLat::new(lon + (rng.unit() - 0.5) * 0.002, lat + (rng.unit() - 0.5) * 0.002).expect("near Vietnam")
        })
        .collect();
    let queries_f32 = queries.iter().map(|p| project(p.lon(), p.lat())).collect();
    let raw = RTree::bulk_load(
        (0..set.len())
            .map(|i| GeomWithData::new(project(from_e7(set.lon_e7[i]), from_e7(set.lat_e7[i])), i as u32))
            .collect(),
    );
    eprintln!(
        "fixture: {} addresses, generated in {:.1} s, index {} ms, {:.1} bytes/address",
        set.len(),
        generated.as_secs_f64(),
        index.stats().build_ms,
        index.stats().bytes_per_address
    );
    Fixture { index, queries, queries_f32, raw }
}

fn fixture_1m() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| build(1_000_000))
}

fn fixture_10m() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| build(10_000_000))
}

/// The brute-force baseline: the nearest of `pts` by haversine, a plain linear scan.
fn scan_nearest(pts: &[(f64, f64)], q: LonLat) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (i, &(x, y)) in pts.iter().enumerate() {
        let d = haversine_m(q.lon(), q.lat(), x, y);
        if d < best.1 {
            best = (i, d);
        }
    }
    best
}

fn bench_nearest(c: &mut Criterion, label: &str, fixture: fn() -> &'static Fixture) {
    let mut g = c.benchmark_group(format!("nearest/{label}"));
    g.throughput(Throughput::Elements(1));
    for k in [1, 10] {
        g.bench_function(format!("index_k{k}"), |b| {
            let f = fixture();
            let mut i = 0usize;
            b.iter(|| {
                i = (i + 1) % QUERIES;
                f.index.nearest_addresses(black_box(f.queries[i]), k)
            });
        });
    }
    g.bench_function("baseline_rstar_raw_k1", |b| {
        let f = fixture();
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) % QUERIES;
            f.raw.nearest_neighbor(black_box(f.queries_f32[i])).map(|e| e.data)
        });
    });
    g.bench_function("baseline_rstar_raw_k10", |b| {
        let f = fixture();
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) % QUERIES;
            f.raw.nearest_neighbor_iter(black_box(f.queries_f32[i])).take(10).map(|e| e.data).last()
        });
    });
    g.bench_function(BenchmarkId::new("baseline_linear_scan", SCAN_POINTS), |b| {
        let f = fixture();
        let set = &f.index.data.addresses;
        let pts: Vec<(f64, f64)> =
            (0..SCAN_POINTS.min(set.len())).map(|i| (from_e7(set.lon_e7[i]), from_e7(set.lat_e7[i]))).collect();
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) % QUERIES;
            scan_nearest(&pts, black_box(f.queries[i]))
        });
    });
    g.finish();
}

fn nearest_1m(c: &mut Criterion) {
    bench_nearest(c, "1M", fixture_1m);
}

fn nearest_10m(c: &mut Criterion) {
    bench_nearest(c, "10M", fixture_10m);
}

fn ward_at(c: &mut Criterion) {
    let geo = &fixture_geo();
    // random points over the national bbox, kept when on land (inside a ward)
    let bb = diachi_geo::bbox::to_array(geo.bbox());
    let mut rng = XorShift(0x5EED_0000_0000_0001);
    let mut pts = Vec::with_capacity(QUERIES);
    let mut tried = 0usize;
    while pts.len() < QUERIES && tried < 1_000_000 {
        tried += 1;
        let (x, y) = (bb[0] + rng.unit() * (bb[2] - bb[0]), bb[1] + rng.unit() * (bb[3] - bb[1]));
        if let Ok(p) = LonLat::new(x, y)
            && geo.ward_at(p).is_some()
        {
            pts.push(p);
        }
    }
    let mut sea = Vec::with_capacity(QUERIES);
    while sea.len() < QUERIES {
        let (x, y) = (bb[0] + rng.unit() * (bb[2] - bb[0]), bb[1] + rng.unit() * (bb[3] - bb[1]));
        if let Ok(p) = LonLat::new(x, y) {
            sea.push(p);
        }
    }
    eprintln!("ward_at: {} land points out of {tried} drawn in the bbox {bb:?}", pts.len());

    let mut g = c.benchmark_group("ward_at");
    g.throughput(Throughput::Elements(1));
    g.bench_function("rtree_land", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) % pts.len();
            geo.ward_at(black_box(pts[i]))
        });
    });
    g.bench_function("rtree_uniform_bbox", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) % sea.len();
            geo.ward_at(black_box(sea[i]))
        });
    });
    // baseline: every ward in turn (bbox check, then the exact test), lowest index wins as in `ward_at`
    g.bench_function("baseline_scan_all_wards_land", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) % pts.len();
            let p = black_box(pts[i]);
            geo.wards.iter().position(|w| w.area.contains(p.lon(), p.lat()))
        });
    });
    g.finish();
}

/// The geography alone (the index fixtures carry one too, but the ward benchmark should not need 1M addresses).
fn fixture_geo() -> &'static diachi_geo::geography::Geography {
    static G: OnceLock<diachi_geo::geography::Geography> = OnceLock::new();
    G.get_or_init(|| {
        diachi_geo::geography::Geography::load(&diachi_geo::geography::LoadOptions::default()).expect("loads")
    })
}

fn area_1m(c: &mut Criterion) {
    let mut g = c.benchmark_group("area/1M");
    g.throughput(Throughput::Elements(1));
    g.bench_function("radius_500m", |b| {
        let f = fixture_1m();
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) % QUERIES;
            f.index.addresses_within(black_box(f.queries[i]), 500.0).len()
        });
    });
    g.bench_function("bbox_0.01deg", |b| {
        let f = fixture_1m();
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) % QUERIES;
            let p = black_box(f.queries[i]);
            let b = [p.lon() - 0.005, p.lat() - 0.005, p.lon() + 0.005, p.lat() + 0.005];
            f.index.addresses_in_bbox(diachi_geo::bbox::from_array(b)).len()
        });
    });
    for res in [10u8, 8, 5] {
        g.bench_function(BenchmarkId::new("cell_counts_res", res), |b| {
            let f = fixture_1m();
            let r = h3o::Resolution::try_from(res).expect("valid resolution");
            let cells: Vec<h3o::CellIndex> = f
                .queries
                .iter()
                .filter_map(|p| h3o::LatLng::new(p.lat(), p.lon()).ok().map(|ll| ll.to_cell(r)))
                .collect();
            let mut i = 0usize;
            b.iter(|| {
                i = (i + 1) % cells.len();
                f.index.cell_counts(black_box(cells[i]))
            });
        });
    }
    g.bench_function("address_by_code", |b| {
        let f = fixture_1m();
        let set = &f.index.data.addresses;
        let mut rng = XorShift(0xC0DE);
        let codes: Vec<_> = (0..QUERIES)
            .filter_map(|_| set.digital_address(diachi_domain::AddressId::new(rng.below(set.len()) as u32)))
            .collect();
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) % codes.len();
            f.index.address_by_code(black_box(codes[i]))
        });
    });
    // what `/v1/digital-addresses/{area code}` does before applying its `limit`: every id of the cell
    for level in [2u8, 4, 6] {
        g.bench_function(BenchmarkId::new("addresses_in_cell_level", level), |b| {
            let f = fixture_1m();
            let cells: Vec<GridCell> =
                f.queries.iter().take(256).filter_map(|&p| GridCell::from_lonlat(p, level).ok()).collect();
            let mut i = 0usize;
            b.iter(|| {
                i = (i + 1) % cells.len();
                f.index.addresses_in_cell(black_box(cells[i])).len()
            });
        });
    }
    // the worst queries the API allows, as it runs them (`area_query`, default limits, limit 100): a level-1 area
    // code over the north (4° × 4°, more addresses than the visit budget at 1M: it stops there), the densest square
    // degree (around Hà Nội), a 5 km radius and a resolution-5 H3 cell in the centre of Hà Nội
    let hanoi = LonLat::new(105.85, 21.03).expect("a point");
    let worst = [
        ("level_1_code", Area::DigitalCell(GridCell::from_lonlat(hanoi, 1).expect("a cell"))),
        ("bbox_1deg2", Area::Bbox(diachi_geo::bbox::from_array([105.25, 20.25, 106.25, 21.25]))),
        ("radius_5km", Area::Radius { center: hanoi, radius_m: 5_000.0 }),
        ("h3_res5", Area::H3Cell(h3o::LatLng::new(21.03, 105.85).expect("a point").to_cell(h3o::Resolution::Five))),
    ];
    for (name, area) in worst {
        g.bench_function(BenchmarkId::new("area_query_worst", name), |b| {
            let f = fixture_1m();
            b.iter(|| f.index.area_query(black_box(&area), 100, &AreaLimits::default()).map(|found| found.count));
        });
    }
    // baseline for the group: the k = 1 lookup on the same index
    g.bench_function("baseline_nearest_k1", |b| {
        let f = fixture_1m();
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) % QUERIES;
            f.index.nearest_addresses(black_box(f.queries[i]), 1)
        });
    });
    g.finish();
}

criterion_group!(benches, nearest_1m, area_1m, ward_at, nearest_10m);
criterion_main!(benches);
