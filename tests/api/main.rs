//! The HTTP API, tested through the real server (zero2prod style): one module per resource.
// Exact float comparisons are meant: numbers round-trip exactly through JSON.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::float_cmp)]

mod addresses;
mod admin;
mod deliveries;
mod digital_addresses;
mod errors;
mod fonts;
mod h3;
mod helpers;
mod keys;
mod post_offices;
mod postcodes;
mod request_id;
mod reverse;
mod system;
mod tiles;
mod validate;
