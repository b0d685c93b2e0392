//! Courier delivery planning for ID-card shipments (issue 7): a day's batch of shipments in; each address placed on
//! the map, each shipment given to a post office, split among its couriers by capacity and shift, each courier's
//! stops ordered by the solver ([`diachi_vrp`]); the plan out as JSON, GeoJSON, GPX and CSV manifests
//! ([`output`]).
//!
//! - [`request`]: the request and its checked form (newtypes; stable error codes).
//! - [`locate`]: text / digital address / coordinates → a point and the address as it is today (in parallel).
//! - [`assign`]: the post office of each shipment (its ward's nearest listed office, else its province's).
//! - [`travel`]: great-circle travel costs per profile, the seam for a road network.
//! - [`plan`]: one routing problem per post office, solved in parallel; the plan.
//! - [`plans`]: plans made in the background, kept in memory for a while, visible to the key that asked.
//!
//! Personal data: a recipient's name is masked when the request is checked ([`mask`]) and the full name dropped;
//! plans hold only the mask and live only in memory (nothing at rest, gone after their TTL or a restart). Nothing
//! here logs a request, a name or an address; the types that carry a name have no `Debug` that prints it whole.

pub mod assign;
mod locate;
mod mask;
pub mod output;
pub mod plan;
pub mod plans;
pub mod request;
mod travel;

use serde::Serialize;
use std::time::Duration;
use utoipa::ToSchema;

pub use plan::{Plan, plan};
pub use request::{Batch, PlanRequest, Profile};

/// Why a shipment is not on any route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The text names no place.
    AddressNotFound,
    /// The text fits several places (see `candidates`).
    AmbiguousAddress,
    /// Only the street or ward was found, not the house.
    ImpreciseAddress,
    /// The digital address is malformed.
    InvalidDigitalAddress,
    /// The point is outside Vietnam.
    OutsideCoverage,
    /// No listed post office in the shipment's ward or province.
    NoPostOffice,
    /// More parcels than any courier of its office carries.
    OverCapacity,
    /// No courier can reach it within its window and be back within the shift.
    Unreachable,
    /// It would fit alone, but not with the rest: not enough couriers or shift time.
    NoRoom,
}

impl From<diachi_vrp::Unassigned> for Reason {
    fn from(u: diachi_vrp::Unassigned) -> Self {
        match u {
            diachi_vrp::Unassigned::OverCapacity => Reason::OverCapacity,
            diachi_vrp::Unassigned::Unreachable => Reason::Unreachable,
            diachi_vrp::Unassigned::NoRoom => Reason::NoRoom,
        }
    }
}

/// Failures of planning as a whole (a shipment that cannot be delivered is not one: it is reported in the plan).
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The request is malformed; `code` is a stable snake_case code (`duplicate_shipment_id`, `empty_plan`, …).
    #[error("{message}")]
    Invalid {
        /// The stable error code.
        code: &'static str,
        /// What is wrong, in words.
        message: String,
    },
    /// More shipments than a plan takes.
    #[error("a plan has at most {max} shipments, this one has {got}")]
    TooManyShipments {
        /// Most shipments a plan takes.
        max: usize,
        /// Shipments in the request.
        got: usize,
    },
    /// More couriers, all offices together, than a plan takes.
    #[error("a plan has at most {max} couriers, this one has {got}")]
    TooManyCouriers {
        /// Most couriers a plan takes.
        max: u64,
        /// Couriers in the request.
        got: u64,
    },
    /// Shipments × couriers over the bound of one plan (the work of the search grows with both).
    #[error("a plan has at most {max} shipments × couriers, this one has {shipments} × {couriers}")]
    PlanTooLarge {
        /// Most shipments × couriers a plan takes.
        max: u64,
        /// Shipments in the request.
        shipments: u64,
        /// Couriers in the request.
        couriers: u64,
    },
    /// A listed post office is not in the index.
    #[error("post office {0} is not in the index")]
    UnknownPostOffice(u32),
    /// The solver refused the problem built.
    #[error("the solver refused a problem: {0}")]
    Solver(#[from] diachi_vrp::VrpError),
}

/// Limits and budgets of planning.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Shipments of one plan at most.
    pub max_shipments: usize,
    /// Couriers of one plan at most, all its offices together (each office has at most 16 fleets and 1,000
    /// couriers).
    pub max_couriers: u64,
    /// Shipments × couriers of one plan at most: each insertion of the search tries every courier's route, so the
    /// work of a plan grows with the product.
    pub max_plan_size: u64,
    /// Plans up to this many shipments are answered at once; bigger ones are made in the background.
    pub sync_max_shipments: usize,
    /// Wall-time cap of the solver per post office.
    pub time_limit: Duration,
    /// Wall time of the whole routing phase, shared among the offices by their shipments (each gets at least a
    /// second, at most `time_limit`). Small offices end on their iteration budget long before their share, so only
    /// big plans feel it (and are then not bit-for-bit reproducible: their search stops on time).
    pub solve_budget: Duration,
    /// Post offices with up to this many stops get a precomputed distance matrix.
    pub matrix_max_locations: usize,
    /// Bytes of a request body at most (100,000 shipments take about 20 MB).
    pub max_body_bytes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_shipments: 500_000,
            max_couriers: 10_000,
            max_plan_size: 1_000_000_000,
            sync_max_shipments: 2_000,
            time_limit: Duration::from_mins(1),
            solve_budget: Duration::from_mins(5),
            matrix_max_locations: 1_500,
            max_body_bytes: 48 << 20,
        }
    }
}
