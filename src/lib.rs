//! diachi — Vietnam's national digital-address layer.

pub mod auth;
pub mod config;
pub mod dataset;
pub mod db;
pub mod delivery;
pub mod domain;
pub mod fonts;
pub mod geography;
pub mod http;
pub mod index;
pub mod pii;
pub mod registry;
pub mod resolve;
pub mod startup;
pub mod synth;
pub mod telemetry;
pub mod tiles;
pub mod vrp;
