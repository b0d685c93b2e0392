//! diachi — Vietnam's national digital-address layer.

pub mod config;
pub mod dataset;
pub mod db;
pub mod domain;
pub mod fonts;
pub mod geography;
pub mod http;
pub mod index;
pub mod resolve;
pub mod startup;
pub mod synth;
pub mod telemetry;
pub mod tiles;
