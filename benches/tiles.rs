//! Tile encoding speed per zoom on the 1M set, uncached (render + gzip, as an uncached request costs), with the
//! cached path of `TileService::get` as the baseline of the same run.
//!
//! ```text
//! cargo bench --bench tiles -- --warm-up-time 1 --measurement-time 3 --sample-size 20
//! ```
//! National-scale figures (p50 / p99 per zoom) come from `examples/tile_bench.rs`.

#![allow(clippy::expect_used)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use diachi_geo::index::NationalIndex;
use diachi_tiles::geom::world;
use diachi_tiles::{Source, TileId, TileRenderer, TileService};
use std::collections::BTreeSet;
use std::hint::black_box;
use std::sync::Arc;

const TILES_PER_ZOOM: usize = 64;

fn tiles_of_addresses(index: &NationalIndex, z: u8, n: usize) -> Vec<TileId> {
    let set = &index.data.addresses;
    let scale = f64::from(1u32 << z);
    let mut out = BTreeSet::new();
    let mut i = 0u64;
    while out.len() < n && i < 100 * n as u64 {
        let id = diachi_domain::AddressId::new(((i * 2_654_435_761) % set.len() as u64) as u32);
        i += 1;
        let p = set.location(id).expect("a location");
        let (x, y) = world(p.lon(), p.lat());
        out.insert(TileId::new(u32::from(z), (x * scale) as u64, (y * scale) as u64).expect("a valid tile"));
    }
    out.into_iter().collect()
}

fn bench(c: &mut Criterion) {
    let data =
        diachi_synth::build_dataset(1_000_000, diachi_server::config::DEFAULT_SEED, None).expect("the set builds");
    let index = Arc::new(NationalIndex::build(data));
    let service = TileService::new(TileRenderer::new(index.clone()), 512_000_000);
    let mut g = c.benchmark_group("tiles/1M");
    for z in [4u8, 6, 8, 10, 12, 14] {
        let tiles = tiles_of_addresses(&index, z, TILES_PER_ZOOM);
        // simplify the zoom's polygons before timing
        let _ = service.render(Source::Vietnam, tiles[0]);
        g.throughput(Throughput::Elements(1));
        let mut k = 0;
        g.bench_function(BenchmarkId::new("render_gzip", z), |b| {
            b.iter(|| {
                k = (k + 1) % tiles.len();
                black_box(service.render(Source::Vietnam, tiles[k]).expect("renders"))
            });
        });
        for &t in &tiles {
            let _ = service.get(Source::Vietnam, t);
        }
        g.bench_function(BenchmarkId::new("baseline_cached", z), |b| {
            b.iter(|| {
                k = (k + 1) % tiles.len();
                black_box(service.get(Source::Vietnam, tiles[k]).expect("cached"))
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
