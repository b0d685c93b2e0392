//! The search: slack induction by string removals (SISR) under simulated annealing, with a fleet-minimisation
//! phase (Christiaens & Vanden Berghe, "Slack induction by string removals for vehicle routing problems",
//! Transportation Science 54(2), 2020).
//!
//! A solution is a set of routes, each a vehicle and its jobs in order, with two caches per position: the earliest
//! service start (forward) and the latest service start that keeps the rest of the route on time (backward). An
//! insertion is then checked in O(1): capacity, the job's window, and the successor's latest start.
//!
//! One iteration removes a few strings of consecutive jobs from routes near a random job (ruin) and puts every
//! removed job back at its cheapest feasible position, skipping each position with a small probability (recreate,
//! with "blinks"). The result replaces the current solution under the annealing rule. Two chains with different
//! seeds run side by side (one when the thread pool has a single thread); the better result wins, ties to the first,
//! so the answer depends on the seed, the iteration budget and whether the pool has more than one thread, as long as
//! the time limit does not cut the search short.
//!
//! When vehicles come first, the fleet minimisation takes at most [`FLEET_SHARE`] of the time limit (and 30 % of the
//! iterations); the annealing over distance cools over whatever time is left, so a search stopped by the clock still
//! ends cold. The second chain first anneals over distance for [`PRE_SHARE`] of the time, then minimises the fleet.

#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]

use super::{Job, Options, Problem, Route, Solution, Unassigned, Visit, VrpError};
use crate::rng::Rng;
use std::time::Instant;

/// Tolerance on times and loads compared in floating point.
const EPS: f64 = 1e-7;
/// Mean number of jobs removed per iteration (c̄ in the paper).
const MEAN_REMOVED: f64 = 10.0;
/// Longest string removed (L^max).
const MAX_STRING: f64 = 10.0;
/// Probability of skipping an insertion position (β).
const BLINK: f64 = 0.01;
/// Nearest jobs kept per job, for the ruin's neighbourhood and the candidate routes of an insertion.
const NEIGHBOURS: usize = 100;
/// Jobs left out that one annealing iteration tries to put back, at most.
const RETRY_UNASSIGNED: usize = 32;
/// Share of the time limit the fleet minimisation may take at most; the annealing over distance gets the rest.
/// Tuned on 12 Gehring–Homberger 200 and 6 of 600 instances (one thread): 0.2, 0.25 and 0.6 did no better (a
/// vehicle more or less in all, median gaps within the noise of one seed).
const FLEET_SHARE: f64 = 0.4;
/// When vehicles come first, the second chain anneals over distance for this share of the time (and of the
/// iterations) before it minimises the fleet: the fleet minimisation's own search ignores distance, and on few long
/// routes (clustered C2) the annealing after it does not repair what it leaves, while annealing first reaches the same
/// fleet with the best-known distance. The first chain minimises the fleet first, which removes more routes on the
/// tight type-1 instances. 0.3 tuned on 12 Gehring–Homberger 200 and 6 of 600 instances (0.15 did worse). Measured there with
/// two threads against both chains minimising the fleet first: median gap +1.38 % / +0.40 % against +2.40 % /
/// +0.66 %, but 146 / 218 vehicles against 144 / 219 (one seed): a mixed result, kept for the clustered C2 instances.
/// On one thread only the first chain runs.
const PRE_SHARE: f64 = 0.3;
/// Above this many jobs an insertion looks at the routes that hold one of the job's nearest jobs, then at a new
/// route, and only then at every route.
const FOCUS_ABOVE: usize = 400;

/// Route `problem`.
///
/// # Errors
/// A job or vehicle names a location or profile the travel cost does not have, or a window is malformed.
pub fn solve(problem: &Problem<'_>, options: &Options) -> Result<Solution, VrpError> {
    let ctx = Ctx::new(problem, options)?;
    let started = Instant::now();
    let budget = options.iterations.unwrap_or_else(|| default_iterations(problem.jobs.len()));
    let run = |chain: u64| Chain::new(&ctx, options.seed, chain, budget, started).run();
    // two chains side by side, or one when the pool has a single thread (two would share its time)
    let (a, b) = if problem.jobs.len() < 2 || rayon::current_num_threads() < 2 {
        (run(0), None)
    } else {
        rayon_join(|| run(0), || Some(run(1)))
    };
    let mut best = a;
    if let Some(b) = b
        && b.key(&ctx) < best.key(&ctx)
    {
        best = b;
    }
    let iterations = best.iterations;
    Ok(ctx.finish(&best, iterations))
}

/// Ruin-and-recreate iterations by problem size when the caller does not say.
#[must_use]
pub fn default_iterations(jobs: usize) -> u64 {
    match jobs {
        0..=1 => 0,
        n => (n as u64 * 30).clamp(3_000, 20_000),
    }
}

fn rayon_join<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B + Send) -> (A, B) {
    rayon::join(a, b)
}

/// A kind of vehicle: vehicles that differ in nothing else are interchangeable.
struct VehicleType {
    profile: usize,
    capacity: u32,
    depot: usize,
    start: f64,
    end: f64,
    vehicles: Vec<usize>,
}

/// What every chain shares: the problem, vehicle types, neighbour lists.
struct Ctx<'a> {
    jobs: &'a [Job],
    cost: &'a dyn super::TravelCost,
    types: Vec<VehicleType>,
    neighbours: Vec<Vec<u32>>,
    /// Cost of leaving a job out: above any route's distance.
    penalty: f64,
    minimize_vehicles: bool,
    /// The cost is the same both ways (lets an insertion reuse a leg).
    symmetric: bool,
    time_limit: std::time::Duration,
    /// Initial annealing temperature (final is 1 % of it): 40 × the mean distance to the nearest job. Tuned on 12
    /// Gehring–Homberger 200 instances at 2 s and 6 of 600 at 8 s (one thread), where 40× and 80× beat 5×, 15× and
    /// 150× (median gap +2.1 % / +0.1 % against +3.6 % / +0.8 % at 15×); a start scaled by the mean leg of the
    /// solution instead (5×, 15×, 40×) did no better. On 12 Solomon instances at 1 s it is on a par with 15× (median
    /// +0.21 % against +0.01 %, within the noise of one seed), 15× having been tuned there at 50,000 iterations.
    t0: f64,
    /// Fewest routes any solution can have (total demand over the largest capacity).
    min_routes: usize,
}

impl<'a> Ctx<'a> {
    fn new(p: &'a Problem<'a>, options: &Options) -> Result<Self, VrpError> {
        let (n_loc, n_prof) = (p.cost.locations(), p.cost.profiles());
        for (i, j) in p.jobs.iter().enumerate() {
            if j.location >= n_loc {
                return Err(VrpError::BadLocation(i, j.location, n_loc));
            }
            if j.window.start.is_nan() || j.window.end.is_nan() || j.window.end < j.window.start {
                return Err(VrpError::BadWindow(i));
            }
        }
        let mut types: Vec<VehicleType> = Vec::new();
        for (i, v) in p.vehicles.iter().enumerate() {
            if v.profile >= n_prof {
                return Err(VrpError::BadProfile(i, v.profile, n_prof));
            }
            if v.depot >= n_loc {
                return Err(VrpError::BadLocation(i, v.depot, n_loc));
            }
            let same = |t: &VehicleType| {
                t.profile == v.profile
                    && t.capacity == v.capacity
                    && t.depot == v.depot
                    && t.start.to_bits() == v.shift.start.to_bits()
                    && t.end.to_bits() == v.shift.end.to_bits()
            };
            match types.iter_mut().find(|t| same(t)) {
                Some(t) => t.vehicles.push(i),
                None => types.push(VehicleType {
                    profile: v.profile,
                    capacity: v.capacity,
                    depot: v.depot,
                    start: v.shift.start,
                    end: v.shift.end,
                    vehicles: vec![i],
                }),
            }
        }
        let profile = types.first().map_or(0, |t| t.profile);
        let neighbours = neighbour_lists(&p.jobs, p.cost, profile);
        // scale of the annealing: the mean distance to the nearest job
        let nearest: f64 = neighbours
            .iter()
            .enumerate()
            .filter_map(|(j, ns)| {
                ns.first().map(|&k| p.cost.distance(profile, p.jobs[j].location, p.jobs[k as usize].location))
            })
            .sum::<f64>()
            / p.jobs.len().max(1) as f64;
        let far = types
            .iter()
            .flat_map(|t| p.jobs.iter().map(|j| p.cost.distance(t.profile, t.depot, j.location) * 2.0))
            .fold(0.0_f64, f64::max);
        let max_cap = types.iter().map(|t| t.capacity).max().unwrap_or(0);
        let demand: u64 = p.jobs.iter().map(|j| u64::from(j.demand)).sum();
        let min_routes = if max_cap == 0 { 0 } else { demand.div_ceil(u64::from(max_cap)) as usize };
        Ok(Self {
            jobs: &p.jobs,
            cost: p.cost,
            types,
            neighbours,
            penalty: (far + 1.0) * 1e3,
            minimize_vehicles: options.minimize_vehicles,
            symmetric: p.cost.symmetric(),
            time_limit: options.time_limit,
            t0: (nearest * 40.0).max(1e-6),
            min_routes,
        })
    }

    fn dist(&self, profile: usize, a: usize, b: usize) -> f64 {
        self.cost.distance(profile, a, b)
    }

    fn time(&self, profile: usize, a: usize, b: usize) -> f64 {
        self.cost.duration(profile, a, b)
    }

    /// Location of position `i` on a route of type `t` holding `jobs` (0 and `len + 1` are the depot).
    fn loc(&self, t: &VehicleType, jobs: &[u32], i: usize) -> usize {
        if i == 0 || i > jobs.len() { t.depot } else { self.jobs[jobs[i - 1] as usize].location }
    }

    /// Turn a chain's routes into the answer.
    fn finish(&self, s: &Sol, iterations: u64) -> Solution {
        let mut routes = Vec::with_capacity(s.routes.len());
        let mut used: Vec<usize> = vec![0; self.types.len()];
        for r in &s.routes {
            let t = &self.types[r.vtype];
            let vehicle = t.vehicles[used[r.vtype]];
            used[r.vtype] += 1;
            let mut visits = Vec::with_capacity(r.jobs.len());
            let mut prev = t.depot;
            let first = r.jobs.first().map_or(t.start, |&j| {
                let job = &self.jobs[j as usize];
                // leave as late as the first stop allows, so nobody waits at the first door
                (r.earliest[1] - self.time(t.profile, t.depot, job.location)).max(t.start)
            });
            let mut clock = first;
            let mut load = r.load;
            let mut distance = 0.0;
            for &j in &r.jobs {
                let job = &self.jobs[j as usize];
                let arrival = clock + self.time(t.profile, prev, job.location);
                let start = arrival.max(job.window.start);
                distance += self.dist(t.profile, prev, job.location);
                visits.push(Visit {
                    job: j as usize,
                    arrival,
                    start,
                    departure: start + job.service,
                    load_before: load,
                });
                load = load.saturating_sub(u64::from(job.demand));
                clock = start + job.service;
                prev = job.location;
            }
            let return_time = clock + self.time(t.profile, prev, t.depot);
            distance += self.dist(t.profile, prev, t.depot);
            routes.push(Route {
                vehicle,
                visits,
                departure: first,
                return_time,
                distance,
                duration: return_time - first,
                load: r.load,
            });
        }
        routes.sort_by_key(|r| r.vehicle);
        let mut unassigned: Vec<(usize, Unassigned)> =
            s.unassigned.iter().map(|&j| (j as usize, self.why_unassigned(j as usize))).collect();
        unassigned.sort_unstable_by_key(|u| u.0);
        Solution {
            distance: routes.iter().map(|r| r.distance).sum(),
            duration: routes.iter().map(|r| r.duration).sum(),
            routes,
            unassigned,
            iterations,
        }
    }

    fn why_unassigned(&self, j: usize) -> Unassigned {
        let job = &self.jobs[j];
        if self.types.iter().all(|t| t.capacity < job.demand) {
            return Unassigned::OverCapacity;
        }
        let alone = self.types.iter().any(|t| {
            let arrival = t.start + self.time(t.profile, t.depot, job.location);
            let start = arrival.max(job.window.start);
            t.capacity >= job.demand
                && start <= job.window.end + EPS
                && start + job.service + self.time(t.profile, job.location, t.depot) <= t.end + EPS
        });
        if alone { Unassigned::NoRoom } else { Unassigned::Unreachable }
    }
}

/// For each job, its nearest jobs (at most [`NEIGHBOURS`]), nearest first, ties by index.
fn neighbour_lists(jobs: &[Job], cost: &dyn super::TravelCost, profile: usize) -> Vec<Vec<u32>> {
    use rayon::prelude::*;
    let n = jobs.len();
    let k = NEIGHBOURS.min(n.saturating_sub(1));
    (0..n)
        .into_par_iter()
        .map(|a| {
            let mut d: Vec<(f64, u32)> = (0..n)
                .filter(|&b| b != a)
                .map(|b| (cost.distance(profile, jobs[a].location, jobs[b].location), b as u32))
                .collect();
            let cmp = |x: &(f64, u32), y: &(f64, u32)| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1));
            if k < d.len() && k > 0 {
                d.select_nth_unstable_by(k - 1, cmp);
                d.truncate(k);
            }
            d.sort_unstable_by(cmp);
            d.into_iter().map(|(_, b)| b).collect()
        })
        .collect()
}

/// One route with its schedule caches.
#[derive(Debug, Default)]
struct R {
    vtype: usize,
    jobs: Vec<u32>,
    /// Earliest service start per position (0 = leaving the depot, `len + 1` = back at it).
    earliest: Vec<f64>,
    /// Latest service start per position that keeps every later position on time.
    latest: Vec<f64>,
    /// Distance from each position to the next (`len + 1` legs).
    edge: Vec<f64>,
    /// Travel time from each position to the next.
    leg_time: Vec<f64>,
    /// Parcels on board (u64: a sum of u32 demands cannot wrap).
    load: u64,
    dist: f64,
}

impl Clone for R {
    fn clone(&self) -> Self {
        let mut r = Self::default();
        r.clone_from(self);
        r
    }
    fn clone_from(&mut self, o: &Self) {
        self.vtype = o.vtype;
        self.jobs.clone_from(&o.jobs);
        self.earliest.clone_from(&o.earliest);
        self.latest.clone_from(&o.latest);
        self.edge.clone_from(&o.edge);
        self.leg_time.clone_from(&o.leg_time);
        self.load = o.load;
        self.dist = o.dist;
    }
}

impl R {
    /// Recompute the caches after the jobs changed.
    fn update(&mut self, ctx: &Ctx<'_>) {
        let t = &ctx.types[self.vtype];
        let k = self.jobs.len();
        self.edge.clear();
        self.leg_time.clear();
        let (mut load, mut prev) = (0_u64, t.depot);
        for i in 0..=k {
            let next = if i < k { ctx.jobs[self.jobs[i] as usize].location } else { t.depot };
            self.edge.push(ctx.dist(t.profile, prev, next));
            self.leg_time.push(ctx.time(t.profile, prev, next));
            if i < k {
                load += u64::from(ctx.jobs[self.jobs[i] as usize].demand);
            }
            prev = next;
        }
        self.load = load;
        self.schedule(ctx, 0);
    }

    /// Put job `j` at index `pos` of the jobs and update the caches: two legs looked up, the schedule redone from
    /// the stored legs.
    fn insert(&mut self, ctx: &Ctx<'_>, pos: usize, j: u32) {
        let t = &ctx.types[self.vtype];
        let u = ctx.jobs[j as usize].location;
        let prev = ctx.loc(t, &self.jobs, pos);
        let next = ctx.loc(t, &self.jobs, pos + 1);
        self.jobs.insert(pos, j);
        self.edge[pos] = ctx.dist(t.profile, prev, u);
        self.edge.insert(pos + 1, ctx.dist(t.profile, u, next));
        self.leg_time[pos] = ctx.time(t.profile, prev, u);
        self.leg_time.insert(pos + 1, ctx.time(t.profile, u, next));
        self.load += u64::from(ctx.jobs[j as usize].demand);
        self.schedule(ctx, pos);
    }

    /// Earliest starts from position `from` on (those before are unchanged), every latest start, and the distance,
    /// from the stored legs.
    fn schedule(&mut self, ctx: &Ctx<'_>, from: usize) {
        let t = &ctx.types[self.vtype];
        let k = self.jobs.len();
        self.earliest.resize(k + 2, 0.0);
        self.latest.resize(k + 2, 0.0);
        self.earliest[0] = t.start;
        let service = |i: usize| if i == 0 || i > k { 0.0 } else { ctx.jobs[self.jobs[i - 1] as usize].service };
        for i in from.max(1)..=k + 1 {
            let arrive = self.earliest[i - 1] + service(i - 1) + self.leg_time[i - 1];
            self.earliest[i] =
                if i <= k { arrive.max(ctx.jobs[self.jobs[i - 1] as usize].window.start) } else { arrive };
        }
        self.latest[k + 1] = t.end;
        for i in (1..=k).rev() {
            let job = &ctx.jobs[self.jobs[i - 1] as usize];
            self.latest[i] = job.window.end.min(self.latest[i + 1] - self.leg_time[i] - job.service);
        }
        self.latest[0] = t.end.min(self.latest[1] - self.leg_time[0]);
        self.dist = self.edge.iter().sum();
    }
}

/// A solution in the making.
#[derive(Debug, Default)]
struct Sol {
    routes: Vec<R>,
    unassigned: Vec<u32>,
    /// Route of each job (`u32::MAX` when out).
    route_of: Vec<u32>,
    /// Vehicles in use per type.
    used: Vec<usize>,
    iterations: u64,
}

impl Clone for Sol {
    fn clone(&self) -> Self {
        let mut s = Self::default();
        s.clone_from(self);
        s
    }
    fn clone_from(&mut self, o: &Self) {
        self.routes.clone_from(&o.routes);
        self.unassigned.clone_from(&o.unassigned);
        self.route_of.clone_from(&o.route_of);
        self.used.clone_from(&o.used);
        self.iterations = o.iterations;
    }
}

impl Sol {
    fn cost(&self, ctx: &Ctx<'_>) -> f64 {
        self.routes.iter().map(|r| r.dist).sum::<f64>() + ctx.penalty * self.unassigned.len() as f64
    }

    /// Order of preference between final answers: fewer left out, then (when minimising vehicles) fewer routes,
    /// then less distance.
    fn key(&self, ctx: &Ctx<'_>) -> (usize, usize, u64) {
        let routes = if ctx.minimize_vehicles { self.routes.len() } else { 0 };
        (self.unassigned.len(), routes, (self.cost(ctx) * 1e6) as u64)
    }

    fn reindex(&mut self, from: usize) {
        for (ri, r) in self.routes.iter().enumerate().skip(from) {
            for &j in &r.jobs {
                self.route_of[j as usize] = ri as u32;
            }
        }
    }

    /// Drop emptied routes and give their vehicles back.
    fn drop_empty(&mut self) {
        if self.routes.iter().all(|r| !r.jobs.is_empty()) {
            return;
        }
        let used = &mut self.used;
        self.routes.retain(|r| {
            if r.jobs.is_empty() {
                used[r.vtype] -= 1;
                false
            } else {
                true
            }
        });
        self.reindex(0);
    }
}

/// One annealing chain.
struct Chain<'c, 'a> {
    ctx: &'c Ctx<'a>,
    rng: Rng,
    budget: u64,
    started: Instant,
    /// How often each job was left out during fleet minimisation.
    absences: Vec<u32>,
    removed: Vec<u32>,
    /// Index of the chain: odd chains anneal before they minimise the fleet.
    index: u64,
    /// Scratch of `recreate`: per route, the stamp of the last insertion that had it as a candidate.
    seen_for: Vec<u64>,
    stamp: u64,
}

impl<'c, 'a> Chain<'c, 'a> {
    fn new(ctx: &'c Ctx<'a>, seed: u64, chain: u64, budget: u64, started: Instant) -> Self {
        Self {
            ctx,
            rng: Rng::new(seed, 0x5157_0000 + chain),
            budget,
            started,
            absences: vec![0; ctx.jobs.len()],
            removed: Vec::new(),
            seen_for: Vec::new(),
            stamp: 0,
            index: chain,
        }
    }

    fn run(mut self) -> Sol {
        let ctx = self.ctx;
        let n = ctx.jobs.len();
        let mut s = Sol { route_of: vec![u32::MAX; n], used: vec![0; ctx.types.len()], ..Sol::default() };
        let mut all: Vec<u32> = (0..n as u32).collect();
        self.sort_removed(&mut all, 1);
        self.recreate(&mut s, &all, true);
        let limit = ctx.time_limit;
        let pre = if ctx.minimize_vehicles && self.index % 2 == 1 { PRE_SHARE } else { 0.0 };
        let (pre_budget, fleet_budget) =
            if ctx.minimize_vehicles { ((self.budget as f64 * pre) as u64, self.budget * 3 / 10) } else { (0, 0) };
        let mut done = 0;
        if pre_budget > 0 {
            s = self.anneal(s, pre_budget, limit.mul_f64(pre));
            done += s.iterations;
        }
        if fleet_budget > 0 {
            let until = limit.mul_f64(pre + FLEET_SHARE);
            done += self.minimise_fleet(&mut s, fleet_budget, until);
        }
        let mut best = self.anneal(s, self.budget.saturating_sub(pre_budget + fleet_budget), limit);
        best.iterations += done;
        best
    }

    /// Remove routes one at a time and try to fit their jobs elsewhere, guided by how often each job was left out.
    fn minimise_fleet(&mut self, s: &mut Sol, budget: u64, until: std::time::Duration) -> u64 {
        let ctx = self.ctx;
        let out_of_time = |c: &Self| c.started.elapsed() >= until;
        let mut it = 0;
        while it < budget && !out_of_time(self) && s.unassigned.is_empty() && s.routes.len() > ctx.min_routes.max(1) {
            // take out the route with the fewest jobs (ties at random)
            let mut star = s.clone();
            let fewest = star.routes.iter().map(|r| r.jobs.len()).min().unwrap_or(0);
            let ties: Vec<usize> = (0..star.routes.len()).filter(|&i| star.routes[i].jobs.len() == fewest).collect();
            let gone = ties[self.rng.below(ties.len() as u32) as usize];
            let r = star.routes.remove(gone);
            star.used[r.vtype] -= 1;
            for &j in &r.jobs {
                star.route_of[j as usize] = u32::MAX;
                star.unassigned.push(j);
            }
            star.reindex(gone);
            let mut cand = star.clone();
            while it < budget && !star.unassigned.is_empty() {
                if it % 64 == 0 && out_of_time(self) {
                    break;
                }
                it += 1;
                cand.clone_from(&star);
                self.ruin(&mut cand);
                let mut todo = std::mem::take(&mut self.removed);
                todo.append(&mut cand.unassigned);
                self.sort_by_absence(&mut todo);
                self.recreate(&mut cand, &todo, false);
                self.removed = todo;
                let sum = |x: &Sol| x.unassigned.iter().map(|&j| u64::from(self.absences[j as usize])).sum::<u64>();
                if cand.unassigned.len() < star.unassigned.len() || sum(&cand) < sum(&star) {
                    std::mem::swap(&mut star, &mut cand);
                }
                for &j in &star.unassigned {
                    self.absences[j as usize] += 1;
                }
            }
            if star.unassigned.is_empty() {
                *s = star;
            } else {
                break;
            }
        }
        it
    }

    /// Simulated annealing over ruin and recreate; returns the best solution seen.
    fn anneal(&mut self, mut current: Sol, budget: u64, until: std::time::Duration) -> Sol {
        let ctx = self.ctx;
        let allow_new = !ctx.minimize_vehicles || !current.unassigned.is_empty();
        let mut best = current.clone();
        let mut cand = current.clone();
        let (mut cur_cost, mut best_key) = (current.cost(ctx), best.key(ctx));
        let (t0, tf) = (ctx.t0, ctx.t0 / 100.0);
        let limit = until.as_secs_f64();
        // the cooling runs over the time left when the annealing starts
        let from = self.started.elapsed().as_secs_f64();
        let span = (limit - from).max(1e-9);
        let mut progress = 0.0_f64;
        for it in 0..budget {
            progress = progress.max(it as f64 / budget as f64);
            if it % 64 == 0 {
                let elapsed = self.started.elapsed().as_secs_f64();
                if elapsed >= limit {
                    break;
                }
                progress = progress.max((elapsed - from) / span);
            }
            let temp = t0 * (tf / t0).powf(progress);
            cand.clone_from(&current);
            self.ruin(&mut cand);
            let mut todo = std::mem::take(&mut self.removed);
            self.retry_some(&mut todo, &mut cand.unassigned);
            let order = self.rng.below(11);
            self.sort_removed(&mut todo, order);
            self.recreate(&mut cand, &todo, allow_new);
            self.removed = todo;
            if !allow_new && !cand.unassigned.is_empty() {
                self.repair(&mut cand);
            }
            let c = cand.cost(ctx);
            if c < cur_cost - temp * self.rng.f64().max(1e-300).ln() {
                std::mem::swap(&mut current, &mut cand);
                cur_cost = c;
                let k = current.key(ctx);
                if k < best_key {
                    best.clone_from(&current);
                    best_key = k;
                }
            }
            best.iterations = it + 1;
        }
        best
    }

    /// With the fleet fixed, a candidate that left jobs out would be thrown away (on a few long routes, nearly half of
    /// them are): it gets one more chance. Strings are removed from the routes around the first job left out, which
    /// goes back first, then the strings. Tuned on Gehring–Homberger 200 (four seeds) and 600 (one), at a fixed
    /// iteration budget on one thread: the worst instance fell in all five runs (+10.1/12.0/12.8/18.0 % →
    /// +8.1/10.8/11.1/9.4 % on 200, +6.7 → +5.6 % on 600), other instances even (128 better, 115 worse).
    fn repair(&mut self, s: &mut Sol) {
        self.removed.clear();
        let Some(&first) = s.unassigned.first() else { return };
        let Some((ks, ls_max)) = self.strings(s) else { return };
        self.ruin_around(s, first, ks, ls_max);
        let mut todo = std::mem::take(&mut s.unassigned);
        let mut removed = std::mem::take(&mut self.removed);
        let order = self.rng.below(11);
        self.sort_removed(&mut removed, order);
        todo.append(&mut removed);
        self.recreate(s, &todo, false);
        self.removed = todo;
    }

    /// Add the jobs left out to the ones to put back: all of them, or a random [`RETRY_UNASSIGNED`] when there are
    /// more (a batch bigger than its couriers can carry would otherwise spend each iteration on hopeless jobs).
    fn retry_some(&mut self, todo: &mut Vec<u32>, unassigned: &mut Vec<u32>) {
        if unassigned.len() <= RETRY_UNASSIGNED {
            todo.append(unassigned);
            return;
        }
        for i in 0..RETRY_UNASSIGNED {
            let k = i + self.rng.below((unassigned.len() - i) as u32) as usize;
            unassigned.swap(i, k);
        }
        todo.extend(unassigned.drain(..RETRY_UNASSIGNED));
    }

    /// Remove strings of jobs from routes near a random job (SISR's ruin); the removed jobs go to `self.removed`.
    fn ruin(&mut self, s: &mut Sol) {
        self.removed.clear();
        let Some((ks, ls_max)) = self.strings(s) else { return };
        // a random routed job as the seed
        let seed = loop {
            let j = self.rng.below(s.route_of.len() as u32);
            if s.route_of[j as usize] != u32::MAX {
                break j;
            }
        };
        self.ruin_around(s, seed, ks, ls_max);
    }

    /// How many strings to remove and their longest length (none when no job is routed).
    fn strings(&mut self, s: &Sol) -> Option<(usize, f64)> {
        let routed = s.route_of.len() - s.unassigned.len();
        if routed == 0 || s.routes.is_empty() {
            return None;
        }
        let avg = routed as f64 / s.routes.len() as f64;
        let ls_max = MAX_STRING.min(avg);
        let ks_max = 4.0 * MEAN_REMOVED / (1.0 + ls_max) - 1.0;
        Some(((self.rng.range(1.0, ks_max + 1.0) as usize).max(1), ls_max))
    }

    /// Remove a string from each of `ks` routes: the route of `seed` (if routed) and those of its nearest jobs.
    fn ruin_around(&mut self, s: &mut Sol, seed: u32, ks: usize, ls_max: f64) {
        let mut ruined: Vec<u32> = Vec::with_capacity(ks);
        let ctx = self.ctx;
        for &c in std::iter::once(&seed).chain(ctx.neighbours[seed as usize].iter()) {
            if ruined.len() >= ks {
                break;
            }
            let ri = s.route_of[c as usize];
            if ri == u32::MAX || ruined.contains(&ri) {
                continue;
            }
            ruined.push(ri);
            let route = &mut s.routes[ri as usize];
            let len = route.jobs.len();
            let Some(pos) = route.jobs.iter().position(|&j| j == c) else { continue };
            let l_max = ls_max.min(len as f64);
            let l = (self.rng.range(1.0, l_max + 1.0) as usize).clamp(1, len);
            if l == len || self.rng.chance(0.5) {
                // a string of l jobs that contains c
                let lo = pos.saturating_sub(l - 1);
                let hi = pos.min(len - l);
                let from = lo + self.rng.below((hi - lo + 1) as u32) as usize;
                self.removed.extend(route.jobs.drain(from..from + l));
            } else {
                // a split string: l + m jobs containing c, of which m in the middle stay
                let mut m = 1;
                while l + m < len && self.rng.chance(0.5) {
                    m += 1;
                }
                let span = l + m;
                let lo = pos.saturating_sub(span - 1);
                let hi = pos.min(len - span);
                let from = lo + self.rng.below((hi - lo + 1) as u32) as usize;
                let keep_at = from + self.rng.below(l as u32 + 1) as usize;
                let mut kept = Vec::with_capacity(len - l);
                for (i, &j) in route.jobs.iter().enumerate() {
                    if i >= from && i < from + span && !(i >= keep_at && i < keep_at + m) {
                        self.removed.push(j);
                    } else {
                        kept.push(j);
                    }
                }
                route.jobs = kept;
            }
            route.update(ctx);
        }
        for &j in &self.removed {
            s.route_of[j as usize] = u32::MAX;
        }
        s.drop_empty();
    }

    /// Order the jobs to put back (SISR: random 4, largest demand 4, farthest 2, closest 1, out of 11).
    fn sort_removed(&mut self, jobs: &mut [u32], pick: u32) {
        let ctx = self.ctx;
        let t = ctx.types.first();
        let depot_dist = |j: u32| t.map_or(0.0, |t| ctx.dist(t.profile, t.depot, ctx.jobs[j as usize].location));
        match pick {
            0..=3 => {
                for i in (1..jobs.len()).rev() {
                    let k = self.rng.below(i as u32 + 1) as usize;
                    jobs.swap(i, k);
                }
            }
            4..=7 => jobs.sort_by_key(|&j| std::cmp::Reverse(ctx.jobs[j as usize].demand)),
            8..=9 => jobs.sort_by(|&a, &b| depot_dist(b).total_cmp(&depot_dist(a))),
            _ => jobs.sort_by(|&a, &b| depot_dist(a).total_cmp(&depot_dist(b))),
        }
    }

    fn sort_by_absence(&mut self, jobs: &mut [u32]) {
        let ab = &self.absences;
        jobs.sort_by_key(|&j| std::cmp::Reverse(ab[j as usize]));
    }

    /// Put each job back at its cheapest feasible position (blinking); open a route when none fits and `allow_new`.
    fn recreate(&mut self, s: &mut Sol, todo: &[u32], allow_new: bool) {
        let ctx = self.ctx;
        let focus = ctx.jobs.len() > FOCUS_ABOVE;
        let mut candidates: Vec<u32> = Vec::new();
        // per route, the stamp of the insertion it was last a candidate for: a set without clearing
        let mut seen_for = std::mem::take(&mut self.seen_for);
        for &j in todo {
            let job = &ctx.jobs[j as usize];
            let mut best: Option<(f64, usize, usize)> = None;
            if focus {
                candidates.clear();
                self.stamp += 1;
                if seen_for.len() < s.routes.len() {
                    seen_for.resize(s.routes.len(), 0);
                }
                for &k in &ctx.neighbours[j as usize] {
                    let r = s.route_of[k as usize];
                    if r != u32::MAX && seen_for[r as usize] != self.stamp {
                        seen_for[r as usize] = self.stamp;
                        candidates.push(r);
                    }
                }
                for &ri in &candidates {
                    self.best_in_route(&s.routes[ri as usize], ri as usize, job, &mut best);
                }
            }
            // a large problem opens a route before it searches every route
            let fresh = if best.is_none() && allow_new { self.best_new_route(s, job) } else { None };
            if best.is_none() && (fresh.is_none() || !focus) {
                for (ri, r) in s.routes.iter().enumerate() {
                    if !(focus && seen_for.get(ri).is_some_and(|&m| m == self.stamp)) {
                        self.best_in_route(r, ri, job, &mut best);
                    }
                }
            }
            if let Some((_, ri, pos)) = best {
                s.routes[ri].insert(ctx, pos, j);
                s.route_of[j as usize] = ri as u32;
            } else if let Some((_, vtype)) = fresh {
                let mut r = R { vtype, jobs: vec![j], ..R::default() };
                r.update(ctx);
                s.used[vtype] += 1;
                s.route_of[j as usize] = s.routes.len() as u32;
                s.routes.push(r);
            } else {
                s.unassigned.push(j);
            }
        }
        self.seen_for = seen_for;
    }

    /// The cheapest feasible insertion of `job` into route `r` (index `ri`), if cheaper than `best`.
    fn best_in_route(&mut self, r: &R, ri: usize, job: &Job, best: &mut Option<(f64, usize, usize)>) {
        let ctx = self.ctx;
        let t = &ctx.types[r.vtype];
        if r.load + u64::from(job.demand) > u64::from(t.capacity) {
            return;
        }
        let (k, p, u) = (r.jobs.len(), t.profile, job.location);
        let mut prev_loc = t.depot;
        let mut prev_service = 0.0;
        // legs into the job, looked up when needed; on a symmetric cost the leg out of it at one position is the
        // leg into it at the next
        let (mut d_in, mut t_in, mut have_in) = (0.0, 0.0, false);
        for i in 0..=k {
            if i > 0 {
                prev_loc = ctx.loc(t, &r.jobs, i);
                prev_service = ctx.jobs[r.jobs[i - 1] as usize].service;
            }
            if r.earliest[i] + prev_service > job.window.end + EPS {
                break; // later positions only arrive later
            }
            // service starts once the window opens: a successor due too early rules the position out before any
            // leg is looked up (travel times are not negative)
            if job.window.start + job.service > r.latest[i + 1] + EPS {
                have_in = false;
                continue;
            }
            if !have_in {
                (d_in, t_in) = (ctx.dist(p, prev_loc, u), ctx.time(p, prev_loc, u));
            }
            let arrival = r.earliest[i] + prev_service + t_in;
            if arrival > job.window.end + EPS {
                break;
            }
            let next_loc = ctx.loc(t, &r.jobs, i + 1);
            let (d_out, t_out) = (ctx.dist(p, u, next_loc), ctx.time(p, u, next_loc));
            if !self.rng.chance(BLINK) {
                let start = arrival.max(job.window.start);
                if start + job.service + t_out <= r.latest[i + 1] + EPS {
                    let delta = d_in + d_out - r.edge[i];
                    if best.is_none_or(|b| delta < b.0) {
                        *best = Some((delta, ri, i));
                    }
                }
            }
            (d_in, t_in, have_in) = (d_out, t_out, ctx.symmetric);
        }
    }

    /// The cheapest vehicle type with a vehicle left that can serve `job` alone.
    fn best_new_route(&self, s: &Sol, job: &Job) -> Option<(f64, usize)> {
        let ctx = self.ctx;
        let mut best: Option<(f64, usize)> = None;
        for (ti, t) in ctx.types.iter().enumerate() {
            if s.used[ti] >= t.vehicles.len() || t.capacity < job.demand {
                continue;
            }
            let start = (t.start + ctx.time(t.profile, t.depot, job.location)).max(job.window.start);
            if start > job.window.end + EPS
                || start + job.service + ctx.time(t.profile, job.location, t.depot) > t.end + EPS
            {
                continue;
            }
            let c = ctx.dist(t.profile, t.depot, job.location) + ctx.dist(t.profile, job.location, t.depot);
            if best.is_none_or(|b| c < b.0) {
                best = Some((c, ti));
            }
        }
        best
    }
}
