//! Speed of building the data: loading the embedded geography, generating the synthetic address set, building the
//! index.
//!
//! ```text
//! cargo bench --bench generate -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Each group runs 10 samples of one iteration (these are seconds-long operations). The throughput of
//! `generate_addresses` is in addresses per second; the goal is ≥ 1M/s on this 2-core machine. The baseline of
//! `build/1M` is a plain sort of the 1M (lon, lat) pairs, the cheapest structure one could build over the same data.

#![allow(clippy::expect_used)]

use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use diachi_geo::geography::{Geography, LoadOptions};
use diachi_geo::index::NationalIndex;
use diachi_server::config::DEFAULT_SEED;
use diachi_synth::{GenerateOptions, generate_addresses, generate_post_offices};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn geography() -> Geography {
    Geography::load(&LoadOptions::default()).expect("embedded geography loads")
}

fn bench_geography(c: &mut Criterion) {
    let mut g = c.benchmark_group("geography");
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    g.bench_function("load", |b| b.iter(geography));
    g.finish();
}

fn bench_generate(c: &mut Criterion) {
    let geo = geography();
    let mut g = c.benchmark_group("generate");
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    for households in [100_000u64, 1_000_000] {
        g.throughput(Throughput::Elements(households));
        g.bench_function(format!("addresses_{}k", households / 1000), |b| {
            b.iter(|| {
                generate_addresses(&geo, GenerateOptions { households: black_box(households), seed: DEFAULT_SEED })
            });
        });
    }
    g.throughput(Throughput::Elements(diachi_synth::POST_OFFICES as u64));
    g.bench_function("post_offices", |b| b.iter(|| generate_post_offices(&geo, black_box(DEFAULT_SEED))));
    g.finish();
}

fn bench_build(c: &mut Criterion) {
    let households = 1_000_000u64;
    let mut data = Some(diachi_synth::build_dataset(households, DEFAULT_SEED, None).expect("dataset builds"));
    let n = data.as_ref().map_or(0, |d| d.addresses.len());
    let mut g = c.benchmark_group("build/1M");
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("national_index", |b| {
        // the index takes the dataset by value and hands it back in `data`: time only `build`, reuse the dataset
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let d = data.take().expect("dataset is handed back");
                let t = Instant::now();
                let ix = NationalIndex::build(d);
                total += t.elapsed();
                data = Some(ix.data);
            }
            total
        });
    });
    let pairs: Vec<(i32, i32)> = {
        let set = &data.as_ref().expect("dataset").addresses;
        set.lon_e7.iter().copied().zip(set.lat_e7.iter().copied()).collect()
    };
    g.bench_function("baseline_sort_points", |b| {
        b.iter_batched(|| pairs.clone(), |mut v| v.sort_unstable(), BatchSize::LargeInput);
    });
    g.finish();
}

criterion_group!(benches, bench_geography, bench_generate, bench_build);
criterion_main!(benches);
