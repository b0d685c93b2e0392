//! Vehicle routing: capacities, time windows and shift limits (the CVRPTW with a heterogeneous fleet).
//!
//! Knows nothing of geography or HTTP: locations are indices into a [`TravelCost`], times are seconds
//! (or instance units for the academic benchmarks). `delivery` builds one [`Problem`] per post office.
//!
//! The method is ruin and recreate with string removals (SISR, Christiaens & Vanden Berghe 2020) under
//! simulated annealing, seeded construction by cheapest insertion, and a route-elimination phase that
//! tries to empty the shortest route. It is deterministic for a seed and an iteration budget.

mod cost;
mod rng;
pub mod solomon;
mod solver;

pub use cost::{Euclidean, Matrix, TravelCost};
pub use solver::solve;

use serde::Serialize;
use std::time::Duration;

/// A time window `[start, end]`: service must start within it (arriving early means waiting).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Earliest time.
    pub start: f64,
    /// Latest time (may be infinite).
    pub end: f64,
}

impl Window {
    /// No constraint: from 0 to infinity.
    pub const ALWAYS: Self = Self { start: 0.0, end: f64::INFINITY };
}

/// A stop to visit once.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Index of the location in the [`TravelCost`].
    pub location: usize,
    /// Parcels (capacity units) it takes.
    pub demand: u32,
    /// Service time at the stop.
    pub service: f64,
    /// When service may start.
    pub window: Window,
}

/// One courier (vehicle) with its shift.
#[derive(Debug, Clone, PartialEq)]
pub struct Vehicle {
    /// Travel profile index into the [`TravelCost`] (walking, motorbike, van …).
    pub profile: usize,
    /// Parcels (capacity units) it carries at most.
    pub capacity: u32,
    /// Start and end location (the post office).
    pub depot: usize,
    /// Leave the depot no earlier than `shift.start`, be back no later than `shift.end`.
    pub shift: Window,
}

/// What to route.
pub struct Problem<'a> {
    /// The stops.
    pub jobs: Vec<Job>,
    /// The fleet.
    pub vehicles: Vec<Vehicle>,
    /// Distances and travel times between locations, per profile.
    pub cost: &'a dyn TravelCost,
}

/// How hard to search. The cooling follows whichever of the iteration count and the elapsed share of `time_limit` is
/// further along, so a plan is reproducible for a seed as long as the search runs its iterations faster than
/// `iterations / time_limit` (it does by far at the defaults: ~25 µs an iteration at 200 stops, 1 s or more of limit).
#[derive(Debug, Clone)]
pub struct Options {
    /// Seed of the random search.
    pub seed: u64,
    /// Ruin-and-recreate iterations; `None` picks a budget from the problem's size.
    pub iterations: Option<u64>,
    /// Safety cap on the wall time.
    pub time_limit: Duration,
    /// Minimise the number of routes first, then distance (the academic objective); otherwise routes only
    /// carry a fixed cost.
    pub minimize_vehicles: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self { seed: 1, iterations: None, time_limit: Duration::from_secs(30), minimize_vehicles: true }
    }
}

/// A visit on a route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Visit {
    /// Index of the job in [`Problem::jobs`].
    pub job: usize,
    /// Arrival at the stop.
    pub arrival: f64,
    /// Service start (≥ arrival, inside the window).
    pub start: f64,
    /// Service end (start + service time).
    pub departure: f64,
    /// Load on board after leaving the previous stop (u64: a sum of u32 demands cannot wrap).
    pub load_before: u64,
}

/// One vehicle's route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    /// Index of the vehicle in [`Problem::vehicles`].
    pub vehicle: usize,
    /// The stops in order.
    pub visits: Vec<Visit>,
    /// Leaves the depot.
    pub departure: f64,
    /// Back at the depot.
    pub return_time: f64,
    /// Travel distance from depot back to depot.
    pub distance: f64,
    /// Time from departure to return.
    pub duration: f64,
    /// Parcels loaded at the depot (u64: a sum of u32 demands cannot wrap).
    pub load: u64,
}

/// Why a job is not on any route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unassigned {
    /// More parcels than any vehicle carries.
    OverCapacity,
    /// No vehicle can reach it within its window and get back within its shift.
    Unreachable,
    /// It would fit alone, but not with the rest: not enough couriers or shift time.
    NoRoom,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Solution {
    /// The routes, ordered by vehicle; vehicles left unused have none.
    pub routes: Vec<Route>,
    /// Jobs on no route, by job index, with the reason.
    pub unassigned: Vec<(usize, Unassigned)>,
    /// Sum of the routes' distances.
    pub distance: f64,
    /// Sum of the routes' durations.
    pub duration: f64,
    /// Ruin-and-recreate iterations run.
    pub iterations: u64,
}

/// A problem the solver refuses.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum VrpError {
    /// Job index, its location, and the number of locations.
    #[error("job {0} names location {1}, outside the travel cost's {2} locations")]
    BadLocation(usize, usize, usize),
    /// Vehicle index, its profile, and the number of profiles.
    #[error("vehicle {0} names profile {1}, the travel cost has {2}")]
    BadProfile(usize, usize, usize),
    /// Job index.
    #[error("job {0}: time window ends before it starts or is not a number")]
    BadWindow(usize),
}

/// Check a solution against its problem independently of the solver: every job exactly once (routed or
/// unassigned), each vehicle at most once, loads within capacity, every service start within its window, travel
/// times respected, every vehicle back by the end of its shift, and the reported distances.
///
/// # Errors
/// The first violation found, in words.
pub fn check(problem: &Problem<'_>, solution: &Solution) -> Result<(), String> {
    const TOL: f64 = 1e-6;
    let mut seen = vec![0u32; problem.jobs.len()];
    let mut vehicles = vec![false; problem.vehicles.len()];
    for (j, _) in &solution.unassigned {
        *seen.get_mut(*j).ok_or(format!("unassigned job {j} does not exist"))? += 1;
    }
    for r in &solution.routes {
        let v = problem.vehicles.get(r.vehicle).ok_or(format!("vehicle {} does not exist", r.vehicle))?;
        if std::mem::replace(&mut vehicles[r.vehicle], true) {
            return Err(format!("vehicle {} has two routes", r.vehicle));
        }
        if r.departure + TOL < v.shift.start {
            return Err(format!("vehicle {} leaves at {} before its shift {}", r.vehicle, r.departure, v.shift.start));
        }
        let load: u64 = r.visits.iter().filter_map(|x| problem.jobs.get(x.job)).map(|j| u64::from(j.demand)).sum();
        if load > u64::from(v.capacity) || load != r.load {
            return Err(format!("vehicle {} carries {load} (reported {}), capacity {}", r.vehicle, r.load, v.capacity));
        }
        let (mut clock, mut at, mut distance) = (r.departure, v.depot, 0.0);
        for x in &r.visits {
            let job = problem.jobs.get(x.job).ok_or(format!("job {} does not exist", x.job))?;
            seen[x.job] += 1;
            let earliest = clock + problem.cost.duration(v.profile, at, job.location);
            if x.start + TOL < earliest || x.start + TOL < job.window.start || x.start > job.window.end + TOL {
                return Err(format!(
                    "job {} starts at {} (arrives {earliest}, window {}–{})",
                    x.job, x.start, job.window.start, job.window.end
                ));
            }
            distance += problem.cost.distance(v.profile, at, job.location);
            clock = x.start + job.service;
            at = job.location;
        }
        let back = clock + problem.cost.duration(v.profile, at, v.depot);
        distance += problem.cost.distance(v.profile, at, v.depot);
        if back > v.shift.end + TOL || (back - r.return_time).abs() > TOL {
            return Err(format!(
                "vehicle {} back at {back} (reported {}), shift ends {}",
                r.vehicle, r.return_time, v.shift.end
            ));
        }
        if (distance - r.distance).abs() > TOL * distance.max(1.0) {
            return Err(format!("vehicle {} drives {distance}, reported {}", r.vehicle, r.distance));
        }
    }
    if let Some(j) = seen.iter().position(|&c| c != 1) {
        return Err(format!("job {j} appears {} times", seen[j]));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
