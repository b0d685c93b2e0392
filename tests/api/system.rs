//! `/health`, `/ready`, `/metrics`, `/openapi.json` and start-up readiness.

use crate::helpers::*;
use diachi_server::config::{Config, Households};
use diachi_server::startup::Application;
use reqwest::StatusCode;
use std::time::{Duration, Instant};

#[actix_web::test]
async fn health_is_ok() {
    let app = spawn_app().await;
    let res = app.get("/health").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"status": "ok"}));
}

#[actix_web::test]
async fn ready_reports_the_index_sizes() {
    let app = spawn_app().await;
    let body = app.ok("/ready").await;
    let s = app.index.stats();
    assert_eq!(body["ready"], true);
    assert_eq!(body["addresses"], s.addresses);
    assert_eq!(body["addresses"], app.index.data.addresses.len());
    assert_eq!(body["post_offices"], app.index.data.post_offices.len());
    let bpa = f(&body["bytes_per_address"]);
    assert!((bpa - s.bytes_per_address).abs() <= 0.05 + 1e-9, "{bpa} vs {}", s.bytes_per_address);
}

/// The value of the one sample of `name` whose labels include all of `labels`.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .find(|l| labels.iter().all(|lab| l.contains(lab)))
        .and_then(|l| l.rsplit(' ').next())
        .map(|v| v.parse().unwrap())
}

#[actix_web::test]
async fn metrics_count_requests_by_route_pattern_and_expose_index_sizes() {
    let app = spawn_app().await;
    let ward = &app.index.data.geography.wards[100];
    for _ in 0..3 {
        app.ok("/health").await;
    }
    let code = ward.postcode.to_string();
    app.ok(&format!("/v1/postcodes/{code}")).await;
    app.ok(&format!("/v1/postcodes/{code}")).await;
    app.error("/v1/reverse?lat=91&lon=105", 400, "invalid_coordinates").await;

    let res = app.get("/metrics").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = res.text().await.unwrap();

    let req = "diachi_http_requests_total";
    assert_eq!(sample(&text, req, &[r#"route="/health""#, r#"method="GET""#, r#"status="200""#]), Some(3.0));
    assert_eq!(sample(&text, req, &[r#"route="/v1/postcodes/{code}""#, r#"status="200""#]), Some(2.0));
    assert_eq!(sample(&text, req, &[r#"route="/v1/reverse""#, r#"status="400""#]), Some(1.0));
    // the pattern, never the concrete postcode
    assert!(!text.contains(&code), "a path parameter leaked into the metrics");
    let hist = "diachi_http_request_duration_seconds_count";
    assert_eq!(sample(&text, hist, &[r#"route="/health""#]), Some(3.0));

    let s = app.index.stats();
    assert_eq!(sample(&text, "diachi_index_addresses", &[]), Some(s.addresses as f64));
    assert_eq!(sample(&text, "diachi_index_addresses", &[]), Some(app.index.data.addresses.len() as f64));
    assert_eq!(sample(&text, "diachi_index_post_offices", &[]), Some(app.index.data.post_offices.len() as f64));
    assert_eq!(sample(&text, "diachi_index_wards", &[]), Some(app.index.data.geography.wards.len() as f64));
    // about one address per household
    let n = sample(&text, "diachi_index_addresses", &[]).unwrap();
    assert!((n - HOUSEHOLDS as f64).abs() <= HOUSEHOLDS as f64 * 0.1, "{n} addresses for {HOUSEHOLDS} households");
}

#[actix_web::test]
async fn metrics_of_two_apps_are_independent() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    a.ok("/health").await;
    let text = b.get("/metrics").await.text().await.unwrap();
    assert_eq!(sample(&text, "diachi_http_requests_total", &[r#"route="/health""#]), None);
}

#[actix_web::test]
async fn openapi_documents_every_route_of_the_router() {
    let app = spawn_app().await;
    let doc = app.ok("/openapi.json").await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
    assert_eq!(doc["info"]["title"], "diachi");
    let paths = doc["paths"].as_object().unwrap();
    for route in router_paths() {
        let item = paths.get(route).unwrap_or_else(|| panic!("{route} is not in the OpenAPI document"));
        let method =
            if route.starts_with("/v1/addresses/validate") || route == "/v1/deliveries/plan" { "post" } else { "get" };
        assert!(item.get(method).is_some(), "{route} has no {method} operation");
    }
    // and every documented path is served (the router matches it instead of falling through to `not_found`)
    for path in paths.keys() {
        let concrete = path.replace("{code}", "x").replace("{id}", "x").replace("{cell}", "x");
        let res = app.get(&concrete).await;
        if res.status() == StatusCode::NOT_FOUND {
            let body: serde_json::Value = res.json().await.unwrap();
            assert_ne!(body["error"]["code"], "not_found", "{path} is documented but not routed");
        }
    }
    for route in registry_paths() {
        let item = paths.get(route).unwrap_or_else(|| panic!("{route} is not in the OpenAPI document"));
        assert!(item.get("post").is_some() || item.get("get").is_some(), "{route} has no operation");
    }
    assert_eq!(paths.len(), router_paths().len() + registry_paths().len());
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
}

#[actix_web::test]
async fn a_fresh_server_is_alive_at_once_and_ready_once_the_index_is_built() {
    let config = Config { bind: "127.0.0.1:0".into(), households: Households(1_000), workers: 1, ..Config::default() };
    let app = Application::build(&config, None).unwrap();
    let base = format!("http://127.0.0.1:{}", app.port);
    actix_web::rt::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();

    let res = client.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // poll /ready until it says yes, within a deadline; until then it must say 503 and not ready
    let deadline = Instant::now() + Duration::from_mins(1);
    let mut saw_not_ready = false;
    let body = loop {
        let res = client.get(format!("{base}/ready")).send().await.unwrap();
        let status = res.status();
        let body: serde_json::Value = res.json().await.unwrap();
        if status == StatusCode::OK {
            break body;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body, serde_json::json!({"ready": false}));
        if !saw_not_ready {
            saw_not_ready = true;
            // index-backed endpoints say `not_ready` meanwhile (or answer, if the index just landed)
            let res = client.get(format!("{base}/v1/admin/provinces")).send().await.unwrap();
            let status = res.status();
            let body: serde_json::Value = res.json().await.unwrap();
            if status != StatusCode::OK {
                assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
                assert_error(&body, "not_ready", "provinces before ready");
            }
        }
        assert!(Instant::now() < deadline, "/ready still 503 after 60 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(body["ready"], true);
    assert!(body["addresses"].as_u64().unwrap() > 0);
    assert!(body["post_offices"].as_u64().unwrap() > 0);
    // and now the index-backed endpoints answer
    let res = client.get(format!("{base}/v1/admin/provinces")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[actix_web::test]
async fn small_answers_go_out_plain_and_large_ones_compressed() {
    let app = spawn_app().await;
    let get = |path: &str| app.client.get(app.url(path)).header("accept-encoding", "gzip, br").send();
    // a reverse lookup arrives in one round trip anyway: not compressed, with its length, and no leftover mark
    let res = get("/v1/reverse?lat=21.0285&lon=105.8542").await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("content-encoding").is_none(), "{:?}", res.headers());
    let len: u64 = res.headers()["content-length"].to_str().unwrap().parse().unwrap();
    assert!(len < diachi_server::http::compress::COMPRESS_MIN_BYTES, "{len}");
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["ward"]["code"].is_string(), "{body}");
    // nor is a list of 5 addresses (~2 KB)
    let res = get("/v1/addresses/nearest?lat=21.0285&lon=105.8542&k=5").await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("content-encoding").is_none(), "{:?}", res.headers());
    // an error answer too
    let res = get("/v1/reverse?lat=91&lon=105").await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("content-encoding").is_none(), "{:?}", res.headers());
    // the OpenAPI document is large: compressed for a client that accepts it, plain for one that does not
    let res = get("/openapi.json").await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("content-encoding").is_some_and(|v| v == "gzip" || v == "br"), "{:?}", res.headers());
    let res = app.client.get(app.url("/openapi.json")).send().await.unwrap();
    assert!(res.headers().get("content-encoding").is_none());
    assert!(res.bytes().await.unwrap().len() as u64 > diachi_server::http::compress::COMPRESS_MIN_BYTES);
}
