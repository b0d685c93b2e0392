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

// 6 (bounds helper): area queries and H3 cache

/// The sum of the samples of a Prometheus counter or gauge whose line starts with `prefix` (name and labels); `None`
/// when the server exposes no such metric.
async fn metric_sum(app: &helpers::TestApp, prefix: &str) -> Option<f64> {
    let text = app.get("/metrics").await.text().await.unwrap();
    let values: Vec<f64> = text
        .lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse().ok()))
        .collect();
    (!values.is_empty()).then(|| values.iter().sum())
}

/// A test app whose configuration file (TOML, read like `diachi serve --config`) holds `toml`. `async` so that it can
/// only be called on the test's (actix) runtime, which `rt::spawn` needs.
#[allow(clippy::unused_async)]
async fn app_with_config(toml: &str) -> helpers::TestApp {
    let path = std::env::temp_dir().join(format!("diachi-security-{}.toml", std::process::id()));
    std::fs::write(&path, toml).unwrap();
    let config = diachi_server::config::Config::load(Some(&path), &std::collections::BTreeMap::<String, String>::new())
        .expect("the configuration loads");
    let _ = std::fs::remove_file(&path);
    let app = helpers::app_with(diachi_server::startup::shared(&config).expect("the state builds"));
    let address = format!("http://127.0.0.1:{}", app.port);
    actix_web::rt::spawn(app.run_until_stopped());
    helpers::TestApp { address, client: reqwest::Client::new(), index: helpers::index() }
}

/// Hà Nội's centre.
const HANOI: (f64, f64) = (105.85, 21.03);
/// The visit budget of the capped test app: far fewer addresses than any of the areas below holds.
const TEST_MAX_VISITED: u64 = 50;

/// The area queries of the API over central Hà Nội: a 1 square-degree bbox, a 5 km radius, a level-2 area code
/// (0.8°), a resolution-5 H3 cell; each with the name of its `query` label in the visit counter.
fn hanoi_area_queries() -> Vec<(&'static str, String)> {
    let (lon, lat) = HANOI;
    let code = diachi_domain::GridCell::from_lonlat(diachi_domain::LonLat::new(lon, lat).unwrap(), 2).unwrap();
    let h3 = h3o::LatLng::new(lat, lon).unwrap().to_cell(h3o::Resolution::Five);
    vec![
        ("bbox", format!("/v1/addresses?bbox={},{},{},{}&limit=10", lon - 0.5, lat - 0.5, lon + 0.5, lat + 0.5)),
        ("radius", format!("/v1/addresses?lat={lat}&lon={lon}&radius_m=5000&limit=10")),
        ("digital_cell", format!("/v1/digital-addresses/{code}?limit=10")),
        ("h3_cell", format!("/v1/h3/{h3}/addresses?limit=10")),
    ]
}

/// Finding 6: a digital area code skipped every bound — `GET /v1/digital-addresses/VP?limit=1` (a level-1 code,
/// 4° × 4° = 16 square degrees) looked at every address of the cell, whatever `limit`. Now it stops at the visit
/// budget (`area_max_visited`): the count says it is a lower bound, and the work counted stays within the budget.
#[actix_web::test]
async fn finding_6_a_level_1_area_code_stops_at_the_visit_budget() {
    let app = app_with_config(&format!("area_max_visited = {TEST_MAX_VISITED}")).await;
    let d = app.ok("/v1/digital-addresses/VP?limit=1").await;
    assert_eq!(d["level"], 1, "{d}");
    let count = d["delivery_point_count"].as_u64().unwrap();
    assert!(count <= TEST_MAX_VISITED, "counted {count} delivery points with a budget of {TEST_MAX_VISITED}");
    assert_eq!(d["delivery_point_count_exact"], false, "{d}");
    assert_eq!((d["truncated"].as_bool(), d["delivery_points"].as_array().map(Vec::len)), (Some(true), Some(1)));
    let visited = metric_sum(&app, "diachi_area_addresses_visited_total").await;
    assert!(
        visited.is_some_and(|v| v > 0.0 && v <= TEST_MAX_VISITED as f64),
        "addresses visited: {visited:?} (budget {TEST_MAX_VISITED})"
    );
}

/// Finding 6 ("bounded work everywhere"): every area query — bbox, radius, digital area code, H3 cell — looks at no
/// more addresses than the budget, says when its count is a lower bound, and still answers results inside the
/// area (a radius query's results stay the exact nearest ones).
#[actix_web::test]
async fn finding_6_every_area_query_is_bounded_by_addresses_visited() {
    let app = app_with_config(&format!("area_max_visited = {TEST_MAX_VISITED}")).await;
    let ix = &app.index;
    for (query, path) in hanoi_area_queries() {
        let r = app.ok(&path).await;
        let (count_field, exact_field, list) = if query == "digital_cell" {
            ("delivery_point_count", "delivery_point_count_exact", &r["delivery_points"])
        } else {
            ("count", "count_exact", &r["results"])
        };
        let count = r[count_field].as_u64().unwrap();
        assert!(count <= TEST_MAX_VISITED, "{path}: counted {count} with a budget of {TEST_MAX_VISITED}");
        assert_eq!(r[exact_field], false, "{path}: {exact_field}");
        assert_eq!(r["truncated"], true, "{path}");
        let list = list.as_array().unwrap();
        assert!(!list.is_empty() && list.len() <= 10, "{path}: {} results", list.len());
        let prefix = format!("diachi_area_addresses_visited_total{{query=\"{query}\"}}");
        let visited = metric_sum(&app, &prefix).await;
        assert!(
            visited.is_some_and(|v| v > 0.0 && v <= TEST_MAX_VISITED as f64),
            "{path}: addresses visited {visited:?} (budget {TEST_MAX_VISITED})"
        );
        if query == "radius" {
            // the nearest 10 within 5 km, exactly as a brute-force scan finds them
            let (lon, lat) = HANOI;
            let mut want: Vec<(f64, u32)> = helpers::all_addresses(ix)
                .map(|(id, x, y)| (helpers::haversine(lon, lat, x, y), id))
                .filter(|&(d, _)| d <= 5_000.0)
                .collect();
            want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let got: Vec<u64> = list.iter().map(|a| a["id"].as_u64().unwrap()).collect();
            let want: Vec<u64> = want.iter().take(10).map(|&(_, id)| u64::from(id)).collect();
            assert_eq!(got, want, "{path}");
        }
    }
}

/// Finding 6: the same queries on the default budget are answered in full, as before, and say their counts are
/// exact (the field that marks a capped count is always present).
#[actix_web::test]
async fn finding_6_area_queries_within_the_budget_are_exact() {
    let app = helpers::spawn_app().await;
    let ix = &app.index;
    for (query, path) in hanoi_area_queries() {
        let r = app.ok(&path).await;
        let (count, exact) = if query == "digital_cell" {
            (&r["delivery_point_count"], &r["delivery_point_count_exact"])
        } else {
            (&r["count"], &r["count_exact"])
        };
        assert_eq!(exact, true, "{path}: count {count}");
        assert!(count.as_u64().unwrap() > TEST_MAX_VISITED, "{path}: the area is too small to test the budget");
    }
    let (lon, lat) = HANOI;
    let r = app.ok(&hanoi_area_queries()[0].1).await;
    let want = helpers::all_addresses(ix).filter(|&(_, x, y)| (x - lon).abs() <= 0.5 && (y - lat).abs() <= 0.5).count();
    assert_eq!(r["count"], want);
}

/// Finding 6: the H3 roll-up cache kept the counts of any resolution 0–5 cell on Earth (~2.35M possible keys, each
/// asked once by anyone). Cells that cannot hold an address of the coverage are answered (zero) without being
/// cached; a cell over Vietnam is cached once.
#[actix_web::test]
async fn finding_6_h3_rollups_outside_coverage_are_not_cached() {
    use h3o::{LatLng, Resolution};
    let app = helpers::spawn_app().await;
    let far = [(48.86, 2.35), (0.0, 0.0), (-33.9, 151.2), (64.1, -21.9), (0.0, 179.99), (-89.9, 0.0), (89.9, 0.0)];
    for (lat, lon) in far {
        for res in 0..=5u8 {
            let cell = LatLng::new(lat, lon).unwrap().to_cell(Resolution::try_from(res).unwrap());
            let r = app.ok(&format!("/v1/h3/{cell}")).await;
            assert_eq!((r["addresses"].as_u64(), r["post_offices"].as_u64()), (Some(0), Some(0)), "{cell}");
        }
    }
    let entries = || metric_sum(&app, "diachi_h3_rollup_cache_entries");
    assert_eq!(entries().await, Some(0.0), "cells outside the coverage were cached");
    let (lon, lat) = HANOI;
    let hanoi = LatLng::new(lat, lon).unwrap().to_cell(Resolution::Five);
    let first = app.ok(&format!("/v1/h3/{hanoi}")).await;
    assert!(first["addresses"].as_u64().unwrap() > 0, "{first}");
    assert_eq!(app.ok(&format!("/v1/h3/{hanoi}")).await, first);
    assert_eq!(entries().await, Some(1.0));
}

// ---------------------------------------------------------------------------------------------------------------
// Finding 7: admin-token comparison and length, post office number wrap, failed audit writes
// ---------------------------------------------------------------------------------------------------------------
