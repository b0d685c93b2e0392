//! Solve one Solomon / Gehring–Homberger instance with `vrp::solve` and print its routes, or check routes from
//! another solver with `vrp::check` (used by `scripts/bench-vrp.sh`).
//!
//! ```text
//! cargo run --release -p diachi-vrp --example solomon -- INSTANCE.txt [--seconds 2] [--threads 2] [--seed 1]
//!     [--iterations N] [--matrix] [--distance-only]
//! cargo run --release -p diachi-vrp --example solomon -- INSTANCE.txt --check ROUTES.txt
//! ```
//!
//! Routes are printed as `Route #k: c1 c2 …` with the file's customer numbers (the depot, 0, left out), after a
//! comment line with the vehicles, distance, iterations, threads and wall time. The wall time counts everything after
//! reading the file: the travel-cost table, the search and writing the answer. Without `--iterations` the search
//! runs until the time limit. It solves on the exact Euclidean distances tabulated in double precision (`--direct`:
//! computed at each use instead; `--matrix`: `vrp::Matrix`, the f32 table the criterion benches use). Every answer is checked with `vrp::check` on the exact cost; the verdict is the last
//! comment line (`# vrp::check: ok` or `# vrp::check: FAIL …`), and a failure exits with status 1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use diachi_vrp::{self as vrp, Matrix, Options, Problem, Route, Solution, TravelCost, Visit, solomon::Instance};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let has = |name: &str| args.iter().any(|a| a == name);
    let Some(path) = args.first() else {
        eprintln!(
            "usage: solomon INSTANCE.txt [--seconds S] [--threads N] [--seed K] [--iterations N] [--matrix] [--distance-only] | INSTANCE.txt --check ROUTES.txt"
        );
        std::process::exit(2);
    };
    let inst = Instance::parse(&std::fs::read_to_string(path).expect("read instance")).expect("parse instance");
    let exact = inst.cost();
    let exact_problem = Problem { jobs: inst.jobs.clone(), vehicles: inst.vehicles(), cost: &exact };
    if let Some(routes) = flag("--check") {
        let text = std::fs::read_to_string(routes).expect("read routes");
        let sol = from_routes(&exact_problem, &text);
        report(&exact_problem, &sol);
        return;
    }
    let seconds: f64 = flag("--seconds").map_or(2.0, |s| s.parse().expect("--seconds"));
    let threads: usize = flag("--threads").map_or(2, |s| s.parse().expect("--threads"));
    let seed: u64 = flag("--seed").map_or(1, |s| s.parse().expect("--seed"));
    let iterations: Option<u64> = flag("--iterations").map(|s| s.parse().expect("--iterations"));
    let options = Options {
        seed,
        iterations: Some(iterations.unwrap_or(u64::MAX / 4)),
        time_limit: Duration::from_secs_f64(seconds),
        minimize_vehicles: !has("--distance-only"),
    };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
    let started = Instant::now();
    let sol = pool.install(|| {
        if has("--matrix") {
            let m = Matrix::from_cost(&exact);
            let p = Problem { jobs: inst.jobs.clone(), vehicles: inst.vehicles(), cost: &m };
            vrp::solve(&p, &options).expect("solve")
        } else if has("--direct") {
            vrp::solve(&exact_problem, &options).expect("solve")
        } else {
            let table = Table::new(&inst.points);
            let p = Problem { jobs: inst.jobs.clone(), vehicles: inst.vehicles(), cost: &table };
            vrp::solve(&p, &options).expect("solve")
        }
    });
    let ms = started.elapsed().as_secs_f64() * 1e3;
    // the schedule again on the exact cost (the f32 table, when used, rounds)
    let iterations = sol.iterations;
    let mut sol = from_routes(&exact_problem, &routes_text(&exact_problem, &sol));
    sol.iterations = iterations;
    println!(
        "# diachi {}: vehicles {} distance {:.4} iterations {} threads {threads} wall {ms:.0} ms unassigned {}",
        inst.name,
        sol.routes.len(),
        sol.distance,
        sol.iterations,
        sol.unassigned.len()
    );
    print!("{}", routes_text(&exact_problem, &sol));
    report(&exact_problem, &sol);
}

/// The exact Euclidean distances tabulated in double precision (travel time = distance): the same numbers as
/// [`diachi_vrp::Euclidean`], looked up instead of computed.
struct Table {
    n: usize,
    d: Vec<f64>,
}

impl Table {
    fn new(points: &[[f64; 2]]) -> Self {
        let n = points.len();
        let d = (0..n * n)
            .map(|k| {
                let (p, q) = (points[k / n], points[k % n]);
                (p[0] - q[0]).hypot(p[1] - q[1])
            })
            .collect();
        Self { n, d }
    }
}

impl TravelCost for Table {
    fn locations(&self) -> usize {
        self.n
    }
    fn profiles(&self) -> usize {
        1
    }
    fn distance(&self, _: usize, a: usize, b: usize) -> f64 {
        self.d[a * self.n + b]
    }
    fn duration(&self, _: usize, a: usize, b: usize) -> f64 {
        self.d[a * self.n + b]
    }
    fn symmetric(&self) -> bool {
        true
    }
}

fn routes_text(p: &Problem<'_>, sol: &Solution) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for (k, r) in sol.routes.iter().filter(|r| !r.visits.is_empty()).enumerate() {
        let stops: Vec<String> = r.visits.iter().map(|v| p.jobs[v.job].location.to_string()).collect();
        writeln!(out, "Route #{}: {}", k + 1, stops.join(" ")).unwrap();
    }
    out
}

fn report(p: &Problem<'_>, sol: &Solution) {
    match vrp::check(p, sol) {
        Ok(()) if sol.unassigned.is_empty() => println!("# vrp::check: ok"),
        Ok(()) => {
            println!("# vrp::check: FAIL {} customers unassigned", sol.unassigned.len());
            std::process::exit(1);
        }
        Err(e) => {
            println!("# vrp::check: FAIL {e}");
            std::process::exit(1);
        }
    }
}

/// A `Solution` from `Route #k: …` lines (customer numbers = locations), scheduled as early as possible from the
/// start of each shift; customers on no route are reported unassigned.
fn from_routes(p: &Problem<'_>, text: &str) -> Solution {
    let job_at: std::collections::HashMap<usize, usize> =
        p.jobs.iter().enumerate().map(|(j, job)| (job.location, j)).collect();
    let mut routes = Vec::new();
    let mut on_route = vec![false; p.jobs.len()];
    for line in text.lines().filter(|l| l.to_ascii_lowercase().starts_with("route")) {
        let stops: Vec<usize> = line
            .split_once(':')
            .map_or("", |x| x.1)
            .split_whitespace()
            .map(|s| s.parse().expect("customer number"))
            .collect();
        if stops.is_empty() {
            continue;
        }
        let vehicle = routes.len();
        let v = &p.vehicles[vehicle.min(p.vehicles.len() - 1)];
        let (mut clock, mut at, mut distance, mut load) = (v.shift.start, v.depot, 0.0, 0_u64);
        let mut visits = Vec::new();
        for s in stops {
            let j = job_at.get(&s).copied().unwrap_or(usize::MAX);
            let Some(job) = p.jobs.get(j) else {
                println!("# vrp::check: FAIL no customer {s}");
                std::process::exit(1);
            };
            on_route[j] = true;
            let arrival = clock + p.cost.duration(v.profile, at, job.location);
            let start = arrival.max(job.window.start);
            distance += p.cost.distance(v.profile, at, job.location);
            load += u64::from(job.demand);
            visits.push(Visit { job: j, arrival, start, departure: start + job.service, load_before: 0 });
            clock = start + job.service;
            at = job.location;
        }
        distance += p.cost.distance(v.profile, at, v.depot);
        let return_time = clock + p.cost.duration(v.profile, at, v.depot);
        for x in &mut visits {
            x.load_before = load;
        }
        routes.push(Route {
            vehicle,
            visits,
            departure: v.shift.start,
            return_time,
            distance,
            duration: return_time - v.shift.start,
            load,
        });
    }
    let unassigned = (0..p.jobs.len()).filter(|&j| !on_route[j]).map(|j| (j, vrp::Unassigned::NoRoom)).collect();
    Solution {
        distance: routes.iter().map(|r| r.distance).sum(),
        duration: routes.iter().map(|r| r.duration).sum(),
        routes,
        unassigned,
        iterations: 0,
    }
}
