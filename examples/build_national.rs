//! Builds the dataset and the index at a given scale without serving, and prints how long each step took and how
//! much memory it used. Used by `scripts/bench-national.sh`.
//!
//! ```text
//! cargo run --release --example build_national -- [HOUSEHOLDS|full] [SEED] [LOOKUPS]
//! ```
//!
//! After the build it runs LOOKUPS (default 200,000) nearest-address queries (k = 1, then k = 10) on one thread,
//! at points near addresses (deterministic), and reports them per second of wall time and per second of the
//! thread's own CPU time (`/proc/thread-self/schedstat`), which other processes on a shared machine do not inflate.
//!
//! Prints one `key=value` line per figure (easy to grep) and a JSON line with all of them.

use std::time::Instant;

use diachi_geo::geography::{Geography, LoadOptions};
use diachi_geo::index::NationalIndex;
use diachi_server::config::{DEFAULT_SEED, Households};

/// A `kB` field of `/proc/self/status` (`VmHWM` = peak resident set, `VmRSS` = current), in bytes.
fn status_kb(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// CPU time of the calling thread, in seconds (first field of `/proc/thread-self/schedstat`, nanoseconds).
fn thread_cpu_s() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()))
        .map_or(f64::NAN, |ns| ns as f64 / 1e9)
}

/// `n` deterministic points near addresses (an address moved by up to ±0.001° on each axis).
fn query_points(set: &diachi_geo::dataset::AddressSet, n: usize) -> Vec<diachi_domain::LonLat> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let unit = |v: u64| (v >> 11) as f64 / (1u64 << 53) as f64;
    (0..n)
        .filter_map(|_| {
            let i = (next() % set.len().max(1) as u64) as usize;
            let lon = diachi_geo::dataset::from_e7(set.lon_e7[i]) + (unit(next()) - 0.5) * 0.002;
            let lat = diachi_geo::dataset::from_e7(set.lat_e7[i]) + (unit(next()) - 0.5) * 0.002;
            diachi_domain::LonLat::new(lon, lat).ok()
        })
        .collect()
}

/// Runs `f` over the points; returns (lookups per wall second, lookups per CPU second of this thread).
fn lookups_per_s(points: &[diachi_domain::LonLat], mut f: impl FnMut(diachi_domain::LonLat) -> usize) -> (f64, f64) {
    let (t, c) = (Instant::now(), thread_cpu_s());
    let mut sink = 0usize;
    for &p in points {
        sink = sink.wrapping_add(f(p));
    }
    std::hint::black_box(sink);
    let n = points.len() as f64;
    (n / t.elapsed().as_secs_f64(), n / (thread_cpu_s() - c))
}

fn gib(b: u64) -> f64 {
    b as f64 / f64::from(1u32 << 30)
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let households: Households =
        args.next().as_deref().unwrap_or("full").parse().map_err(|e: String| anyhow::anyhow!(e))?;
    let seed: u64 = args.next().map_or(Ok(DEFAULT_SEED), |s| s.parse())?;
    let lookups: usize = args.next().map_or(Ok(200_000), |s| s.parse())?;
    let threads = rayon::current_num_threads();

    let t0 = Instant::now();
    let geography = Geography::load(&LoadOptions::default())?;
    let geo_s = t0.elapsed().as_secs_f64();
    let rss_geo = status_kb("VmRSS:").unwrap_or(0);

    let t1 = Instant::now();
    let (addresses, post_offices) = rayon::join(
        || {
            diachi_synth::generate_addresses(
                &geography,
                diachi_synth::GenerateOptions { households: households.0, seed },
            )
        },
        || diachi_synth::generate_post_offices(&geography, seed),
    );
    let gen_s = t1.elapsed().as_secs_f64();
    let n = addresses.len();
    let hwm_after_gen = status_kb("VmHWM:").unwrap_or(0);

    let t2 = Instant::now();
    let index = NationalIndex::build(diachi_geo::dataset::Dataset { geography, addresses, post_offices });
    let index_s = t2.elapsed().as_secs_f64();
    let total_s = t0.elapsed().as_secs_f64();
    let stats = index.stats();

    // touch the index once so that nothing above is optimised away
    let probe = diachi_domain::LonLat::new(105.8342, 21.0278)?;
    let nearest = index.nearest_addresses(probe, 1).first().map_or(f64::NAN, |h| h.distance_m);

    let rss = status_kb("VmRSS:").unwrap_or(0);
    let hwm = status_kb("VmHWM:").unwrap_or(0);

    let points = query_points(&index.data.addresses, lookups);
    let _warm = lookups_per_s(&points[..points.len().min(10_000)], |p| index.nearest_addresses(p, 1).len());
    let (k1_wall, k1_cpu) = lookups_per_s(&points, |p| index.nearest_addresses(p, 1).len());
    let (k10_wall, k10_cpu) = lookups_per_s(&points, |p| index.nearest_addresses(p, 10).len());
    let figures = serde_json::json!({
        "households": households.0,
        "seed": seed,
        "rayon_threads": threads,
        "addresses": n,
        "post_offices": stats.post_offices,
        "geography_load_s": geo_s,
        "generate_s": gen_s,
        "generate_addresses_per_s": n as f64 / gen_s,
        "index_s": index_s,
        "index_build_ms_reported": stats.build_ms,
        "total_s": total_s,
        "address_bytes": stats.address_bytes,
        "bytes_per_address": stats.bytes_per_address,
        "h3_fine_cells": stats.h3_fine_cells,
        "h3_coarse_cells": stats.h3_coarse_cells,
        "rss_after_geography_bytes": rss_geo,
        "peak_rss_after_generate_bytes": hwm_after_gen,
        "rss_bytes": rss,
        "peak_rss_bytes": hwm,
        "peak_rss_per_address": hwm as f64 / n.max(1) as f64,
        "probe_nearest_m": nearest,
        "lookups": points.len(),
        "nearest_k1_per_s_wall": k1_wall,
        "nearest_k1_per_cpu_s": k1_cpu,
        "nearest_k10_per_s_wall": k10_wall,
        "nearest_k10_per_cpu_s": k10_cpu,
    });
    println!("households={}", households.0);
    println!("addresses={n}");
    println!("rayon_threads={threads}");
    println!("geography_load_s={geo_s:.2}");
    println!("generate_s={gen_s:.2}");
    println!("generate_addresses_per_s={:.0}", n as f64 / gen_s);
    println!("index_s={index_s:.2}");
    println!("total_s={total_s:.2}");
    println!("bytes_per_address={:.1}", stats.bytes_per_address);
    println!("rss_gib={:.2}", gib(rss));
    println!("peak_rss_gib={:.2}", gib(hwm));
    println!("peak_rss_bytes_per_address={:.0}", hwm as f64 / n.max(1) as f64);
    println!("nearest_k1_per_s_wall={k1_wall:.0}");
    println!("nearest_k1_per_cpu_s={k1_cpu:.0}");
    println!("nearest_k10_per_s_wall={k10_wall:.0}");
    println!("nearest_k10_per_cpu_s={k10_cpu:.0}");
    println!("json={figures}");
    Ok(())
}
