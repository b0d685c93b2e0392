//! Uncached tile rendering at any scale: `cargo run --release --example tile_bench -- [HOUSEHOLDS|full] [TILES]`.
//!
//! Builds the national set and index as `serve` does, then for each zoom renders up to TILES distinct tiles
//! (the tiles of random addresses, deterministic) once each through `TileService::render` — render + gzip, what an
//! uncached HTTP request costs before the network — and prints p50 / p99 / max milliseconds, tiles per second on one
//! thread, and sizes. The first tile of each zoom is rendered before timing (it simplifies that zoom's polygons).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diachi_geo::index::NationalIndex;
use diachi_tiles::geom::world;
use diachi_tiles::{Source, TileId, TileRenderer, TileService};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let households: diachi_server::config::Households =
        args.next().unwrap_or_else(|| "1000000".into()).parse().map_err(anyhow::Error::msg)?;
    let per_zoom: usize = args.next().map_or(Ok(500), |s| s.parse())?;
    let t = Instant::now();
    let data = diachi_synth::build_dataset(households.0, diachi_server::config::DEFAULT_SEED, None)?;
    let index = Arc::new(NationalIndex::build(data));
    println!("households={} index_s={:.1}", index.data.addresses.len(), t.elapsed().as_secs_f64());
    let t = Instant::now();
    let service = TileService::new(TileRenderer::new(index.clone()), 0);
    println!("renderer_s={:.2}", t.elapsed().as_secs_f64());
    let set = &index.data.addresses;
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    println!("| zoom | tiles | p50 ms | p99 ms | max ms | tiles/s (1 thread) | mean KB (gzip) | max KB (gzip) |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for z in [0u8, 4, 6, 8, 10, 12, 13, 14] {
        let n = f64::from(1u32 << z);
        let mut tiles = BTreeSet::new();
        for _ in 0..per_zoom * 20 {
            if tiles.len() >= per_zoom {
                break;
            }
            let p = set.location(diachi_domain::AddressId::new((next() % set.len() as u64) as u32)).unwrap();
            let (x, y) = world(p.lon(), p.lat());
            tiles.insert(TileId::new(u32::from(z), (x * n) as u64, (y * n) as u64).unwrap());
        }
        let tiles: Vec<TileId> = tiles.into_iter().collect();
        let _ = service.render(Source::Vietnam, tiles[0])?;
        let mut ms = Vec::with_capacity(tiles.len());
        let mut bytes = Vec::with_capacity(tiles.len());
        let all = Instant::now();
        for &t in &tiles {
            let s = Instant::now();
            let tile = service.render(Source::Vietnam, t)?;
            ms.push(s.elapsed().as_secs_f64() * 1e3);
            bytes.push(tile.gzip.map_or(0, |g| g.len()));
        }
        let secs = all.elapsed().as_secs_f64();
        ms.sort_by(f64::total_cmp);
        let q = |f: f64| ms[((ms.len() as f64 * f) as usize).min(ms.len() - 1)];
        println!(
            "| {z} | {} | {:.2} | {:.2} | {:.2} | {:.0} | {:.1} | {:.1} |",
            ms.len(),
            q(0.5),
            q(0.99),
            ms[ms.len() - 1],
            ms.len() as f64 / secs,
            bytes.iter().sum::<usize>() as f64 / bytes.len() as f64 / 1e3,
            *bytes.iter().max().unwrap_or(&0) as f64 / 1e3
        );
    }
    Ok(())
}
