#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss, clippy::cast_possible_wrap)]

//! Route quality on the academic VRPTW instances (Solomon 100 and Gehring–Homberger 200 customers) against their
//! best-known solutions: `scripts/bench-vrp.sh`, or `cargo bench --bench vrp_instances` with `VRP_DIR` naming the
//! folder of `solomon/` and `homberger_200/` (default `../shared/vrp`), `VRP_SET` (`solomon`, `homberger_200` or
//! both), `VRP_ITERATIONS` (default: the solver's budget for the size) and `VRP_SECONDS` (time cap, default 1).
//! Every solution is checked with `vrp::check` before it is counted.

use diachi_vrp::{self as vrp, Matrix, Options, Problem, solomon::Instance};
use std::time::{Duration, Instant};

fn env<T: std::str::FromStr>(k: &str) -> Option<T> {
    std::env::var(k).ok().and_then(|v| v.parse().ok())
}

fn main() {
    let dir = std::env::var("VRP_DIR").unwrap_or_else(|_| "../shared/vrp".into());
    let sets: Vec<String> = std::env::var("VRP_SET")
        .map_or_else(|_| vec!["solomon".into(), "homberger_200".into()], |s| s.split(',').map(String::from).collect());
    let seconds: f64 = env("VRP_SECONDS").unwrap_or(1.0);
    let seed: u64 = env("VRP_SEED").unwrap_or(1);
    let only: Option<String> = std::env::var("VRP_ONLY").ok();
    for set in sets {
        let folder = format!("{dir}/{set}");
        let Ok(best_known) = std::fs::read_to_string(format!("{folder}/best_known.csv")) else {
            eprintln!("{folder}/best_known.csv not found: set VRP_DIR");
            std::process::exit(2);
        };
        println!(
            "\n## {set}\n\n| instance | vehicles (best known) | distance (best known) | gap % | time ms | iterations |"
        );
        println!("|---|---|---|---|---|---|");
        let (mut gaps, mut extra, mut times, mut same_fleet_gaps) = (vec![], 0i64, vec![], vec![]);
        for line in best_known.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let (name, bk_veh, bk_dist): (&str, usize, f64) = (f[0], f[1].parse().unwrap(), f[2].parse().unwrap());
            if only.as_deref().is_some_and(|o| !name.eq_ignore_ascii_case(o)) {
                continue;
            }
            let path = [name.to_string(), name.to_lowercase(), name.to_uppercase()]
                .into_iter()
                .map(|n| format!("{folder}/{n}.txt"))
                .find(|p| std::path::Path::new(p).exists())
                .unwrap();
            let inst = Instance::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let started = Instant::now();
            let cost = Matrix::from_cost(&inst.cost());
            let problem = Problem { jobs: inst.jobs.clone(), vehicles: inst.vehicles(), cost: &cost };
            let options = Options {
                seed,
                iterations: env("VRP_ITERATIONS"),
                time_limit: Duration::from_secs_f64(seconds),
                minimize_vehicles: true,
            };
            let sol = vrp::solve(&problem, &options).unwrap();
            let ms = started.elapsed().as_secs_f64() * 1e3;
            // check and measure in double precision on the exact Euclidean cost
            let exact = inst.cost();
            let exact_problem = Problem { jobs: inst.jobs.clone(), vehicles: inst.vehicles(), cost: &exact };
            let sol = recompute(&exact_problem, sol);
            if let Err(e) = vrp::check(&exact_problem, &sol) {
                panic!("{name}: infeasible solution: {e}");
            }
            assert!(sol.unassigned.is_empty(), "{name}: {} customers left out", sol.unassigned.len());
            let gap = (sol.distance - bk_dist) / bk_dist * 100.0;
            gaps.push(gap);
            times.push(ms);
            extra += sol.routes.len() as i64 - bk_veh as i64;
            if sol.routes.len() == bk_veh {
                same_fleet_gaps.push(gap);
            }
            println!(
                "| {name} | {} ({bk_veh}) | {:.2} ({bk_dist:.2}) | {gap:+.2} | {ms:.0} | {} |",
                sol.routes.len(),
                sol.distance,
                sol.iterations
            );
        }
        let med = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            if v.is_empty() {
                f64::NAN
            } else if v.len() % 2 == 1 {
                v[v.len() / 2]
            } else {
                f64::midpoint(v[v.len() / 2 - 1], v[v.len() / 2])
            }
        };
        let n = gaps.len();
        let mean_gap = gaps.iter().sum::<f64>() / n as f64;
        let mean_ms = times.iter().sum::<f64>() / n as f64;
        let max_ms = times.iter().copied().fold(0.0, f64::max);
        let same = same_fleet_gaps.len();
        println!(
            "\n{set}: {n} instances, median gap {:+.2}% (mean {mean_gap:+.2}%), vehicles over best known: {extra} in all, \
             {same} instances with the best-known fleet (median gap there {:+.2}%); time mean {mean_ms:.0} ms, max {max_ms:.0} ms",
            med(&mut gaps),
            med(&mut same_fleet_gaps),
        );
    }
}

/// Recompute the schedule and distances of `sol`'s routes on `problem`'s cost (the solver ran on an f32 matrix).
fn recompute(problem: &Problem<'_>, mut sol: vrp::Solution) -> vrp::Solution {
    for r in &mut sol.routes {
        let v = &problem.vehicles[r.vehicle];
        let (mut clock, mut at, mut d) = (v.shift.start, v.depot, 0.0);
        r.departure = clock;
        for x in &mut r.visits {
            let job = &problem.jobs[x.job];
            x.arrival = clock + problem.cost.duration(0, at, job.location);
            x.start = x.arrival.max(job.window.start);
            x.departure = x.start + job.service;
            d += problem.cost.distance(0, at, job.location);
            clock = x.departure;
            at = job.location;
        }
        d += problem.cost.distance(0, at, v.depot);
        r.return_time = clock + problem.cost.duration(0, at, v.depot);
        r.duration = r.return_time - r.departure;
        r.distance = d;
    }
    sol.distance = sol.routes.iter().map(|r| r.distance).sum();
    sol
}
