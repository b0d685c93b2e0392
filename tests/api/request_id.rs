//! `x-request-id`: on every response, echoed when valid, replaced when not.

use crate::helpers::*;

fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok()
}

#[actix_web::test]
async fn every_response_carries_a_fresh_request_id() {
    let app = spawn_app().await;
    let mut seen = std::collections::HashSet::new();
    for p in [
        "/health",
        "/ready",
        "/metrics",
        "/openapi.json",
        "/nope",
        "/v1/reverse?lat=x",
        "/v1/admin/provinces",
        "/v1/addresses/0",
    ] {
        for _ in 0..2 {
            let res = app.get(p).await;
            let id =
                res.headers().get("x-request-id").unwrap_or_else(|| panic!("{p}: no x-request-id")).to_str().unwrap();
            assert!(is_uuid(id), "{p}: {id}");
            assert!(seen.insert(id.to_owned()), "{p}: request id {id} reused");
        }
    }
    let res = app.client.post(app.url("/v1/reverse")).send().await.unwrap();
    assert!(is_uuid(res.headers()["x-request-id"].to_str().unwrap()));
}

#[actix_web::test]
async fn a_valid_incoming_request_id_is_echoed() {
    let app = spawn_app().await;
    let max = "a".repeat(64);
    for id in ["abc", "trace-0123456789-ABCDEF", "3f2c1a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60", "X", max.as_str()] {
        for p in ["/health", "/v1/reverse?lat=1", "/nope"] {
            let res = app.client.get(app.url(p)).header("x-request-id", id).send().await.unwrap();
            assert_eq!(res.headers()["x-request-id"], id, "{p}");
            assert_eq!(res.headers().get_all("x-request-id").iter().count(), 1);
        }
    }
}

#[actix_web::test]
async fn an_invalid_incoming_request_id_is_replaced() {
    let app = spawn_app().await;
    let long = "a".repeat(65);
    for id in ["", " ", "has space", "a/b", "a_b", "a.b", "<script>", "id;drop", "ü", long.as_str()] {
        let req = app.client.get(app.url("/health"));
        let req = if id.is_ascii() {
            req.header("x-request-id", id)
        } else {
            req.header("x-request-id", reqwest::header::HeaderValue::from_bytes(id.as_bytes()).unwrap())
        };
        let res = req.send().await.unwrap();
        let got = res.headers()["x-request-id"].to_str().unwrap();
        assert_ne!(got, id.trim());
        assert!(is_uuid(got), "{id:?} → {got}");
    }
}
