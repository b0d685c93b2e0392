//! Vehicle routing: capacities, time windows and shift limits (the CVRPTW with a heterogeneous fleet).
//!
//! Knows nothing of geography or HTTP: locations are indices into a [`TravelCost`], times are seconds
//! (or instance units for the academic benchmarks). `delivery` builds one [`Problem`] per post office.
//!
//! The method is ruin and recreate with string removals (SISR, Christiaens & Vanden Berghe 2020) under
//! simulated annealing, seeded construction by cheapest insertion, and a route-elimination phase that
//! tries to empty the shortest route. It is deterministic for a seed and an iteration budget.

mod cost;
mod solver;
pub mod solomon;

pub use cost::{Euclidean, Matrix, TravelCost};
pub use solver::solve;

use serde::Serialize;
use std::time::Duration;

/// A time window `[start, end]`: service must start within it (arriving early means waiting).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub start: f64,
    pub end: f64,
}

impl Window {
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
    pub window: Window,
}

/// One courier (vehicle) with its shift.
#[derive(Debug, Clone, PartialEq)]
pub struct Vehicle {
    /// Travel profile index into the [`TravelCost`] (walking, motorbike, van …).
    pub profile: usize,
    pub capacity: u32,
    /// Start and end location (the post office).
    pub depot: usize,
    /// Leave the depot no earlier than `shift.start`, be back no later than `shift.end`.
    pub shift: Window,
}

/// What to route.
pub struct Problem<'a> {
    pub jobs: Vec<Job>,
    pub vehicles: Vec<Vehicle>,
    pub cost: &'a dyn TravelCost,
}

/// How hard to search. A plan is reproducible for a seed as long as `time_limit` is not what stops it.
#[derive(Debug, Clone)]
pub struct Options {
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
    pub job: usize,
    /// Arrival at the stop.
    pub arrival: f64,
    /// Service start (≥ arrival, inside the window).
    pub start: f64,
    pub departure: f64,
    /// Load on board after leaving the previous stop.
    pub load_before: u32,
}

/// One vehicle's route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    pub vehicle: usize,
    pub visits: Vec<Visit>,
    /// Leaves the depot.
    pub departure: f64,
    /// Back at the depot.
    pub return_time: f64,
    pub distance: f64,
    pub duration: f64,
    pub load: u32,
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
    pub routes: Vec<Route>,
    pub unassigned: Vec<(usize, Unassigned)>,
    pub distance: f64,
    pub duration: f64,
    pub iterations: u64,
}

/// A problem the solver refuses.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum VrpError {
    #[error("job {0} names location {1}, outside the travel cost's {2} locations")]
    BadLocation(usize, usize, usize),
    #[error("vehicle {0} names profile {1}, the travel cost has {2}")]
    BadProfile(usize, usize, usize),
    #[error("job {0}: time window ends before it starts or is not a number")]
    BadWindow(usize),
}
