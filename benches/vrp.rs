//! Solve time and memory of the courier router by number of stops (`cargo bench --bench vrp`): one post office in the
//! middle of a 10 × 10 km district (100, 200 stops) or a 40 × 40 km area (400, 1,000 and 2,000 stops), motorbike couriers
//! (capacity 60 parcels, 8-hour shift, 22 km/h, 2-minute stops), a third of the stops with a 2-hour window.
//! The solver runs with its default iteration budget, as the API does. Baseline in the same run: the construction
//! alone (one iteration of cheapest insertion) on the same problem.
//!
//! Memory per size: the bench runs itself once per size as a child process that builds the problem, solves it and
//! prints its peak resident set (`VmHWM`), and once more stopping before the solve (the baseline: the process, the
//! problem and its distance table); the difference is the search's own peak. The table (`vrp::Matrix`, f32 tables of
//! (stops + 1)², up to 1,500 stops) is printed on its own.
#![allow(clippy::unwrap_used, clippy::cast_precision_loss, clippy::cast_possible_truncation)]

use criterion::{BenchmarkId, Criterion, criterion_group};
use diachi_synth::rng::Rng;
use diachi_vrp::{self as vrp, Job, Matrix, Options, Problem, TravelCost, Vehicle, Window};
use std::time::Duration;

/// Planar metres, motorbike speed.
struct Planar(Vec<[f64; 2]>);

impl TravelCost for Planar {
    fn locations(&self) -> usize {
        self.0.len()
    }
    fn profiles(&self) -> usize {
        1
    }
    fn distance(&self, _: usize, a: usize, b: usize) -> f64 {
        (self.0[a][0] - self.0[b][0]).hypot(self.0[a][1] - self.0[b][1]) * 1.35
    }
    fn duration(&self, p: usize, a: usize, b: usize) -> f64 {
        self.distance(p, a, b) / (22.0 / 3.6)
    }
    fn symmetric(&self) -> bool {
        true
    }
}

fn problem(n: usize) -> (Planar, Vec<Job>, Vec<Vehicle>) {
    let side = if n <= 200 { 10_000.0 } else { 40_000.0 };
    let mut rng = Rng::new(7, n as u64);
    let mut pts = vec![[side / 2.0, side / 2.0]];
    let mut jobs = Vec::with_capacity(n);
    for i in 0..n {
        pts.push([rng.range(0.0, side), rng.range(0.0, side)]);
        let window = if i % 3 == 0 {
            let start = 8.0 * 3600.0 + f64::from(rng.below(6)) * 3600.0;
            Window { start, end: start + 7200.0 }
        } else {
            Window::ALWAYS
        };
        jobs.push(Job { location: i + 1, demand: 1, service: 120.0, window });
    }
    let couriers = (n / 40).max(3);
    let vehicles = (0..couriers)
        .map(|_| Vehicle {
            profile: 0,
            capacity: 60,
            depot: 0,
            shift: Window { start: 7.5 * 3600.0, end: 15.5 * 3600.0 },
        })
        .collect();
    (Planar(pts), jobs, vehicles)
}

/// Peak resident bytes of this process so far (0 where there is no procfs).
fn peak_resident() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:")?.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

const CHILD: &str = "DIACHI_VRP_BENCH_MEMORY";

/// In a child process: build the problem of `n` stops (with `solve`, also solve it) and print the peak resident bytes.
fn child(spec: &str) {
    let (n, solve) = spec.split_once(':').unwrap();
    let n: usize = n.parse().unwrap();
    let (planar, jobs, vehicles) = problem(n);
    let matrix = (n <= 1_500).then(|| Matrix::from_cost(&planar));
    let cost: &dyn TravelCost = matrix.as_ref().map_or(&planar as &dyn TravelCost, |m| m);
    let p = Problem { jobs, vehicles, cost };
    if solve == "solve" {
        std::hint::black_box(vrp::solve(&p, &options()).unwrap());
    }
    println!("{}", peak_resident());
}

/// Peak resident bytes of a child process doing `spec`.
fn child_peak(n: usize, what: &str) -> u64 {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env(CHILD, format!("{n}:{what}"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0)
}

/// The planner's options: its default iteration budget by size, every courier may go out.
fn options() -> Options {
    Options { seed: 1, iterations: None, time_limit: Duration::from_mins(2), minimize_vehicles: false }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("vrp");
    g.sample_size(10).measurement_time(Duration::from_secs(20)).warm_up_time(Duration::from_secs(1));
    for n in [100, 200, 400, 1_000, 2_000] {
        let (planar, jobs, vehicles) = problem(n);
        let matrix = (n <= 1_500).then(|| Matrix::from_cost(&planar));
        let cost: &dyn TravelCost = matrix.as_ref().map_or(&planar as &dyn TravelCost, |m| m);
        let p = Problem { jobs, vehicles, cost };
        let opts = options();
        let (base, solved) = (child_peak(n, "build"), child_peak(n, "solve"));
        let t = std::time::Instant::now();
        let s = vrp::solve(&p, &opts).unwrap();
        let ms = t.elapsed().as_secs_f64() * 1e3;
        vrp::check(&p, &s).unwrap();
        let built = vrp::solve(&p, &Options { iterations: Some(1), ..opts.clone() }).unwrap();
        eprintln!(
            "vrp n={n}: {ms:.0} ms; peak memory {:.1} MB, of which the search {:.1} MB, the distance table {:.1} MB; \
             {} routes, {:.1} km, {} unassigned, {} iterations; construction alone {} routes {:.1} km",
            solved as f64 / 1e6,
            solved.saturating_sub(base) as f64 / 1e6,
            matrix.as_ref().map_or(0.0, |_| (2 * (n + 1) * (n + 1) * 4) as f64 / 1e6),
            s.routes.len(),
            s.distance / 1e3,
            s.unassigned.len(),
            s.iterations,
            built.routes.len(),
            built.distance / 1e3
        );
        if n <= 1_000 {
            for it in [1_000, 2_000, 4_000, 8_000, 16_000, 32_000] {
                let t = std::time::Instant::now();
                let s = vrp::solve(&p, &Options { iterations: Some(it), ..opts.clone() }).unwrap();
                eprintln!(
                    "vrp n={n} budget {it}: {:.0} ms, {} routes, {:.1} km",
                    t.elapsed().as_secs_f64() * 1e3,
                    s.routes.len(),
                    s.distance / 1e3
                );
            }
        }
        g.bench_with_input(BenchmarkId::new("construction", n), &n, |b, _| {
            b.iter(|| vrp::solve(&p, &Options { iterations: Some(1), ..opts.clone() }).unwrap());
        });
        g.bench_with_input(BenchmarkId::new("solve", n), &n, |b, _| b.iter(|| vrp::solve(&p, &opts).unwrap()));
    }
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
