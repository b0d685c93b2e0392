//! The diachi HTTP service: configuration ([`config`]), start-up that builds every service ([`startup`]), the
//! router with thin handlers and one error mapping ([`http`]), and logging ([`telemetry`]).

pub mod config;
pub mod http;
pub mod startup;
pub mod telemetry;
