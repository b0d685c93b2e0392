//! Unknown paths, wrong methods, and hostile input on every route: always a JSON answer, never a 5xx.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use std::io::{Read, Write};

#[actix_web::test]
async fn unknown_paths_are_json_404s() {
    let app = spawn_app().await;
    for p in [
        "/nope",
        "/v1",
        "/v1/",
        "/v2/reverse",
        "/v1/reverse/extra",
        "/health/",
        "/v1/h3/8a415cb4ac6ffff/nope",
        "/v1/digital-addresses/",
        "/V1/REVERSE",
    ] {
        app.error(p, 404, "not_found").await;
    }
}

#[actix_web::test]
async fn other_methods_get_a_json_405() {
    let app = spawn_app().await;
    for route in router_paths() {
        // the address resources are also written (admin only: 401 without a token)
        let (writes, allow): (&[Method], &str) = match &*route {
            "/v1/addresses" => (&[Method::POST], "GET, HEAD, POST"),
            "/v1/addresses/{id}" => (&[Method::PATCH, Method::DELETE], "GET, HEAD, PATCH, DELETE"),
            // validation: POST only, with a key (401 without)
            "/v1/addresses/validate" | "/v1/addresses/validate/batch" | "/v1/deliveries/plan" => {
                (&[Method::POST], "POST")
            }
            _ => (&[], "GET, HEAD"),
        };
        let path = route.replace("{code}", "01").replace("{id}", "0").replace("{cell}", "8a415cb4ac6ffff");
        for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
            let res = app
                .client
                .request(method.clone(), app.url(&path))
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = res.status();
            if writes.contains(&method) {
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
                let body: serde_json::Value = res.json().await.unwrap();
                assert_error(&body, "unauthorized", &format!("{method} {path}"));
                continue;
            }
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert_eq!(res.headers()["allow"], allow, "{method} {path}");
            assert!(res.headers().contains_key("x-request-id"));
            let body: serde_json::Value = res.json().await.unwrap_or_else(|e| panic!("{method} {path}: not JSON: {e}"));
            assert_error(&body, "method_not_allowed", &format!("{method} {path}"));
        }
    }
}

/// Inputs that have broken parsers elsewhere.
fn hostile() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        " ",
        "\0",
        "\u{1}\u{7}\u{1b}[31m\r\n\t",
        "%00",
        "%FF",
        "%",
        "'; DROP TABLE addresses; --",
        "1 OR 1=1",
        "\" OR \"\"=\"",
        "<script>alert(1)</script>",
        "../../../etc/passwd",
        "..%2F..%2Fetc",
        "${jndi:ldap://x/a}",
        "{{7*7}}",
        "😀🇻🇳",
        "Hà Nội",
        "\u{202e}gnp.exe",
        "\u{feff}21",
        "１２３４５",
        "٢١",
        "NaN",
        "-inf",
        "1e309",
        "-0",
        "0x1F",
        "18446744073709551616",
        "-9223372036854775809",
        "1,2,3,4,5,6,7,8",
        "a=b&c=d",
        "?#",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    v.push("A".repeat(5_000));
    v.push("9".repeat(400));
    v.push("é".repeat(500));
    v
}

/// A valid value for each path parameter, by route.
fn fill(route: &str, value: &str) -> String {
    route.replace("{code}", value).replace("{id}", value).replace("{cell}", value)
}

fn valid_path(route: &str) -> String {
    let v = if route.starts_with("/v1/postcodes") {
        "10000"
    } else if route.starts_with("/v1/digital-addresses") {
        "V98-FE4-RYEW"
    } else if route.starts_with("/v1/addresses") {
        "0"
    } else if route.starts_with("/v1/h3") {
        "8a415cb4ac6ffff"
    } else if route.starts_with("/v1/admin/provinces") {
        "01"
    } else {
        "00004"
    };
    fill(route, v)
}

const QUERY_PARAMS: [(&str, &str); 8] = [
    ("lat", "21.0378"),
    ("lon", "105.8342"),
    ("k", "5"),
    ("limit", "5"),
    ("radius_m", "100"),
    ("level", "9"),
    ("geometry", "true"),
    ("bbox", "105.8,21,105.9,21.1"),
];

/// `url?name=value&…`, every name and value percent-encoded.
fn with_query(url: &str, params: &[(&str, &str)]) -> String {
    let q: Vec<String> = params.iter().map(|(n, v)| format!("{}={}", enc(n), enc(v))).collect();
    format!("{url}?{}", q.join("&"))
}

async fn check(app: &TestApp, what: &str, req: reqwest::RequestBuilder) {
    let res = req.send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
    let status = res.status();
    assert!(status.as_u16() < 500, "{what}: {status}");
    assert!(res.headers().contains_key("x-request-id"), "{what}: no x-request-id");
    let ct = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let text = res.text().await.unwrap();
    if what.starts_with("/metrics") && status.is_success() {
        assert!(ct.starts_with("text/plain"), "{what}: {status} {ct} {text}");
        return;
    }
    assert!(ct.starts_with("application/json"), "{what}: {status} {ct}");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: not JSON: {e}"));
    if !status.is_success() {
        assert_error(&json, json["error"]["code"].as_str().unwrap_or("?"), what);
    }
    let _ = app;
}

#[actix_web::test]
async fn hostile_input_on_every_route_never_gives_a_5xx() {
    let app = spawn_app().await;
    let inputs = hostile();
    for route in router_paths() {
        for h in &inputs {
            // in the path (raw `%…` sequences are sent as they are, everything else percent-encoded)
            if route.contains('{') {
                let seg = if h.starts_with('%') { h.clone() } else { enc(h) };
                let path = fill(route, &seg);
                check(&app, &path, app.client.get(app.url(&path))).await;
            }
            // in each query parameter, the others valid; then in all of them
            let base = valid_path(route);
            for (name, _) in QUERY_PARAMS {
                let mut q: Vec<(&str, &str)> = QUERY_PARAMS.iter().copied().filter(|(n, _)| *n != "bbox").collect();
                if name == "bbox" {
                    q = vec![("limit", "5")];
                }
                q.retain(|(n, _)| *n != name);
                q.push((name, h));
                let what = format!("{base} ?{name}={h:.40}");
                check(&app, &what, app.client.get(with_query(&app.url(&base), &q))).await;
            }
            let all: Vec<(&str, &str)> = QUERY_PARAMS.iter().map(|(n, _)| (*n, h.as_str())).collect();
            check(&app, &format!("{base} ?*={h:.40}"), app.client.get(with_query(&app.url(&base), &all))).await;
        }
        // malformed query strings
        for q in ["lat=%FF&lon=%FE", "lat=%&lon=%zz", "lat=1&lat=2&lon=105", "=&&=&lat", "lat[]=1&lon[]=2"] {
            let url = format!("{}?{q}", app.url(&valid_path(route)));
            check(&app, &format!("{route}?{q}"), app.client.get(url)).await;
        }
        // hostile headers
        let req = app
            .client
            .get(app.url(&valid_path(route)))
            .header("accept", reqwest::header::HeaderValue::from_bytes(b"text/\xff\xfe").unwrap())
            .header("accept-encoding", "x-bogus;q=2, ;;,")
            .header("x-forwarded-for", "'; DROP TABLE x; --")
            .header("content-type", "application/json")
            .body("{\"lat\": 1e999");
        check(&app, &format!("{route} with headers"), req).await;
    }
}

#[actix_web::test]
async fn invalid_utf8_in_a_path_or_query_is_a_400() {
    let app = spawn_app().await;
    for (path, codes) in [
        ("/v1/postcodes/%FF%FE", ["invalid_postcode", "invalid_path"]),
        ("/v1/reverse?lat=%FF&lon=105", ["invalid_coordinates", "invalid_query"]),
        ("/v1/digital-addresses/V98%FF", ["invalid_digital_address", "invalid_path"]),
    ] {
        let (status, body) = app.get_json(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        let code = body["error"]["code"].as_str().unwrap();
        assert!(codes.contains(&code), "{path}: {body}");
        assert_error(&body, code, path);
    }
}

#[actix_web::test]
async fn a_one_megabyte_path_is_refused_by_the_http_layer_without_a_5xx() {
    let app = spawn_app().await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    // reqwest will not even build such a URL, so write the request by hand
    let head = actix_web::rt::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        let req = format!(
            "GET /v1/digital-addresses/{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "A".repeat(1 << 20)
        );
        let _ = s.write_all(req.as_bytes()); // the server may close before reading it all
        let mut got = Vec::new();
        let _ = s.read_to_end(&mut got); // to the server's close (or a reset once the answer is in)
        String::from_utf8_lossy(&got).into_owned()
    })
    .await
    .unwrap();
    // the connection guard refuses it before actix-http parses it, with the JSON error (tests/security.rs, finding 6)
    let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{head:.200}"));
    assert_eq!(status, 414, "{head:.200}");
    assert!(head.contains("uri_too_long"), "{head:.200}");
    // the server is still fine
    assert_eq!(app.get("/health").await.status(), StatusCode::OK);
}

#[actix_web::test]
async fn errors_are_json_with_the_stable_shape() {
    let app = spawn_app().await;
    let res = app.get("/v1/reverse?lat=abc&lon=1").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body.as_object().unwrap().len(), 1);
    assert_error(&body, "invalid_coordinates", "reverse");
}
