//! Speed of the digital-address codec: encoding a point, parsing a code.
//!
//! Run with `cargo bench --bench digital_address`.

use criterion::{Criterion, criterion_group, criterion_main};
use diachi_domain::{DigitalAddress, GridCell, LonLat};
use std::hint::black_box;

/// Deterministic points spread over the coverage box (lon 100–120, lat 4–24).
fn points(n: usize) -> Vec<LonLat> {
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    let mut unit = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        // The top 32 bits, scaled to [0, 1).
        f64::from((state >> 32) as u32) / 4_294_967_296.0
    };
    (0..n).filter_map(|_| LonLat::new(100.0 + 20.0 * unit(), 4.0 + 20.0 * unit()).ok()).collect()
}

fn bench_codec(c: &mut Criterion) {
    let pts = points(1024);
    let codes: Vec<String> = pts
        .iter()
        .filter_map(|&p| DigitalAddress::from_lonlat(p).ok())
        .enumerate()
        .map(|(i, a)| {
            // A mix of canonical, lowercase and unit-suffixed inputs.
            let unit = u16::try_from(2 + i % 300).unwrap_or(2);
            let a = if i % 4 == 0 { a.with_unit(unit).unwrap_or(a) } else { a };
            let text = a.to_string();
            if i % 3 == 0 { text.to_lowercase() } else { text }
        })
        .collect();

    let mut i = 0usize;
    c.bench_function("encode", |b| {
        b.iter(|| {
            i = (i + 1) % pts.len();
            GridCell::from_lonlat(black_box(pts[i]), 9).map(|cell| cell.to_string())
        });
    });

    let mut i = 0usize;
    c.bench_function("encode_cell_only", |b| {
        b.iter(|| {
            i = (i + 1) % pts.len();
            GridCell::from_lonlat(black_box(pts[i]), 9)
        });
    });

    let mut i = 0usize;
    c.bench_function("parse_and_decode", |b| {
        b.iter(|| {
            i = (i + 1) % codes.len();
            DigitalAddress::parse(black_box(&codes[i])).map(|a| a.cell().center())
        });
    });
}

criterion_group!(benches, bench_codec);
criterion_main!(benches);
