//! Speed of the address resolver on the committed labelled set (messy text, old and new forms), with baselines
//! measured in the same run so that figures read as ratios on a noisy machine.
//!
//! ```text
//! cargo bench --bench resolve -- --warm-up-time 1 --measurement-time 3 --sample-size 20
//! ```
//!
//! Group `resolve/1M` (the default `serve` set, 1,000,000 households), one address per iteration, cycling through
//! the 10,000 lines of `testdata/addresses-noisy.jsonl`:
//! - `resolve`: `Resolver::resolve` (everything: names, readings, street and house lookup, verdict);
//! - `tokenize` (baseline): folding and splitting the same text only, the floor of any parser;
//! - `clean`: `resolve` on the same addresses written correctly (`AddressView::formatted`).
//!
//! Throughput is reported in addresses per second (`Throughput::Elements(1)`), on one thread.

#![allow(clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use diachi_domain::LonLat;
use diachi_geo::index::NationalIndex;
use diachi_resolve::Resolver;
use diachi_synth::eval::Labelled;
use std::hint::black_box;

const SET: &str = include_str!("../testdata/addresses-noisy.jsonl");
/// The held-out set of another generator (`testdata/heldout/README.md`): text only, streets not in the register.
const HELDOUT: &str = include_str!("../testdata/heldout/heldout.jsonl");

fn bench(c: &mut Criterion) {
    let data = diachi_synth::build_dataset(1_000_000, 2025, None).expect("the embedded geography loads");
    let ix = NationalIndex::build(data);
    let resolver = Resolver::build(&ix);
    let lines: Vec<Labelled> = SET.lines().map(|l| serde_json::from_str(l).expect("a labelled line")).collect();
    let hints: Vec<Option<LonLat>> =
        lines.iter().map(|l| l.lat.zip(l.lon).and_then(|(lat, lon)| LonLat::new(lon, lat).ok())).collect();
    let clean: Vec<String> = lines
        .iter()
        .map(|l| l.expected.address_id.and_then(|id| ix.view(id)).expect("labelled ids exist").formatted)
        .collect();

    let mut g = c.benchmark_group("resolve/1M");
    g.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    g.bench_function("tokenize", |b| {
        b.iter(|| {
            i = (i + 1) % lines.len();
            black_box(diachi_resolve::text::tokenize(black_box(&lines[i].input)))
        });
    });
    g.bench_function("resolve", |b| {
        b.iter(|| {
            i = (i + 1) % lines.len();
            black_box(resolver.resolve(&ix, black_box(&lines[i].input), hints[i]))
        });
    });
    let heldout: Vec<Labelled> = HELDOUT.lines().map(|l| serde_json::from_str(l).expect("a labelled line")).collect();
    g.bench_function("resolve_heldout", |b| {
        b.iter(|| {
            i = (i + 1) % heldout.len();
            black_box(resolver.resolve(&ix, black_box(&heldout[i].input), None))
        });
    });
    g.bench_function("clean", |b| {
        b.iter(|| {
            i = (i + 1) % clean.len();
            black_box(resolver.resolve(&ix, black_box(&clean[i]), None))
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
