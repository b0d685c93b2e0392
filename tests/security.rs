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

/// What the delivery findings' tests share: a server whose keys (scope `delivery:plan` only) are tenants.
mod planners {
    use reqwest::StatusCode;
    use reqwest::header::HeaderMap;
    use serde_json::{Value, json};
    use std::time::{Duration, Instant};

    use super::helpers::{app_with, assert_error, index, shared_with_keys};

    pub const PLAN: &str = "/v1/deliveries/plan";

    /// A running server and the tokens of its tenants (keys with scope `delivery:plan`).
    pub struct Planners {
        pub base: String,
        pub client: reqwest::Client,
        /// `(token, key id)` per tenant.
        pub keys: Vec<(String, String)>,
    }

    /// A keys file with `n` keys of scope `delivery:plan` (and nothing else): the keyring and each key.
    pub fn planner_keys(n: usize) -> (diachi_auth::Keyring, Vec<(String, String)>) {
        let dir = std::env::temp_dir().join(format!("diachi-security-planners-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("keys.jsonl");
        let keys = (0..n)
            .map(|i| {
                let key = diachi_auth::ApiKey::generate().unwrap();
                let record = diachi_auth::KeyRecord::new(
                    &key,
                    format!("tenant-{i}"),
                    vec![diachi_auth::Scope::DeliveryPlan],
                    None,
                    diachi_auth::now_rfc3339(),
                );
                diachi_auth::keyring::add_to_keys_file(&file, record).unwrap();
                (key.reveal(), key.id().to_string())
            })
            .collect();
        (diachi_auth::Keyring::new(None, Some(file), 0, Duration::ZERO), keys)
    }

    /// A server with `n` tenants and the default limits.
    #[allow(clippy::unused_async)]
    pub async fn spawn(n: usize) -> Planners {
        let (keyring, keys) = planner_keys(n);
        start(shared_with_keys(keyring), keys)
    }

    /// A server over `shared`, whose keyring holds `keys`.
    pub fn start(shared: diachi_server::http::Shared, keys: Vec<(String, String)>) -> Planners {
        let app = app_with(shared);
        let base = format!("http://127.0.0.1:{}", app.port);
        actix_web::rt::spawn(app.run_until_stopped());
        Planners { base, client: reqwest::Client::new(), keys }
    }

    /// The fleet of `count` vans carrying `capacity` parcels each.
    pub fn fleet(count: u64, capacity: u64) -> Value {
        json!({"count": count, "capacity": capacity, "profile": "van", "shift": {"start": "08:00", "end": "17:00"}})
    }

    /// `n` shipments of `parcels` at post office `k` of the index (routed to it when it is listed).
    pub fn shipments_at(k: usize, n: usize, parcels: u64) -> Vec<Value> {
        let o = &index().data.post_offices[k];
        let (lon, lat) = (diachi_geo::dataset::from_e7(o.lon_e7), diachi_geo::dataset::from_e7(o.lat_e7));
        (0..n).map(|i| json!({"id": format!("S{i}"), "lon": lon, "lat": lat, "parcels": parcels})).collect()
    }

    /// A request of `shipments` to post office `k` of the index with these `couriers`.
    pub fn request(k: usize, shipments: Vec<Value>, couriers: &Value) -> Value {
        json!({"shipments": shipments, "post_offices": [{"id": index().data.post_offices[k].id, "couriers": couriers}]})
    }

    /// The id of post office `k` of the index.
    pub fn office(k: usize) -> u32 {
        index().data.post_offices[k].id
    }

    /// Status, headers and JSON body of an answer (panics if the body is not JSON).
    pub async fn read(res: reqwest::Response) -> (StatusCode, HeaderMap, Value) {
        let (status, headers) = (res.status(), res.headers().clone());
        let text = res.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}, not JSON ({e}): {text:.300}"));
        (status, headers, json)
    }

    /// Asserts an error answer: its status, its JSON shape and code, and `Retry-After` (whole seconds) when asked.
    pub fn assert_refused(got: &(StatusCode, HeaderMap, Value), status: u16, code: &str, retry_after: bool) {
        let (s, headers, json) = got;
        assert_eq!(s.as_u16(), status, "{code}: {json}");
        assert_error(json, code, code);
        if retry_after {
            let v = headers.get("retry-after").unwrap_or_else(|| panic!("{code}: no Retry-After"));
            let secs: u64 = v.to_str().unwrap().parse().unwrap_or_else(|_| panic!("Retry-After {v:?}"));
            assert!(secs >= 1, "Retry-After {secs}");
        }
    }

    impl Planners {
        /// POST a plan request as tenant `who`.
        pub async fn plan(&self, who: usize, query: &str, body: &Value) -> (StatusCode, HeaderMap, Value) {
            let url = format!("{}{PLAN}{query}", self.base);
            read(self.client.post(url).bearer_auth(&self.keys[who].0).json(body).send().await.unwrap()).await
        }

        /// GET `path` as tenant `who`.
        pub async fn get(&self, who: usize, path: &str) -> (StatusCode, HeaderMap, Value) {
            let url = format!("{}{path}", self.base);
            read(self.client.get(url).bearer_auth(&self.keys[who].0).send().await.unwrap()).await
        }

        /// Polls tenant `who`'s plan until it is done, within a minute.
        pub async fn wait_done(&self, who: usize, href: &str) -> Value {
            let deadline = Instant::now() + Duration::from_mins(1);
            loop {
                let (status, _, body) = self.get(who, href).await;
                assert_eq!(status, StatusCode::OK, "{body}");
                match body["status"].as_str().unwrap() {
                    "done" => return body,
                    "queued" | "running" => {}
                    other => panic!("the plan is {other}: {body}"),
                }
                assert!(Instant::now() < deadline, "the plan is not done after a minute: {body}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

mod finding1 {
    use serde_json::{Value, json};
    use std::sync::Arc;

    use super::helpers::shared_with_keys;
    use super::planners::{assert_refused, fleet, office, planner_keys, request, shipments_at, spawn, start};
    use diachi_delivery::plans::PlanStore;

    /// Finding 1: an office lists at most 16 fleets. 10,000 fleets of one courier each (cheap to plan before the
    /// fix: 200) are refused with a JSON 400; the same body with 1,000 couriers per fleet asked ~1 GB per MB of body.
    #[actix_web::test]
    async fn finding1_an_office_lists_a_bounded_number_of_fleets() {
        let app = spawn(1).await;
        let many: Vec<Value> = (0..10_000).map(|_| fleet(1, 10)).collect();
        let got = app.plan(0, "", &request(0, shipments_at(0, 1, 1), &json!(many))).await;
        assert_refused(&got, 400, "too_many_fleets", false);
        let got = app.plan(0, "", &request(0, shipments_at(0, 1, 1), &json!(many[..17]))).await;
        assert_refused(&got, 400, "too_many_fleets", false);
        let (status, _, plan) = app.plan(0, "", &request(0, shipments_at(0, 1, 1), &json!(many[..16]))).await;
        assert_eq!(status, 200, "16 fleets: {plan}");
        assert_eq!(plan["summary"]["couriers_available"], 16);
    }

    /// Finding 1: the couriers of a plan are bounded in total (10,000 by default), whatever the number of offices:
    /// 11 offices of 1,000 couriers each (accepted before the fix) get a JSON 413; an office of more than 1,000
    /// couriers (in fleets of at most 1,000) a JSON 400.
    #[actix_web::test]
    async fn finding1_the_couriers_of_a_plan_are_bounded() {
        let app = spawn(1).await;
        let offices: Vec<Value> = (0..11).map(|k| json!({"id": office(k), "couriers": fleet(1_000, 10)})).collect();
        let body = json!({"shipments": shipments_at(0, 1, 1), "post_offices": offices});
        assert_refused(&app.plan(0, "", &body).await, 413, "too_many_couriers", false);
        let big = json!([fleet(1_000, 10), fleet(1, 10)]);
        assert_refused(&app.plan(0, "", &request(0, shipments_at(0, 1, 1), &big)).await, 400, "invalid_fleet", false);
    }

    /// Finding 1: a plan's size is bounded by shipments × couriers, not only by bytes (`delivery_max_plan_size`):
    /// 2 shipments × 1,000 couriers are over a bound of 1,000, 1 × 1,000 is not.
    #[actix_web::test]
    async fn finding1_shipments_times_couriers_is_bounded() {
        let (keyring, keys) = planner_keys(1);
        let delivery = diachi_delivery::Settings { max_plan_size: 1_000, ..diachi_delivery::Settings::default() };
        let app = start(diachi_server::http::Shared { delivery, ..shared_with_keys(keyring) }, keys);
        let got = app.plan(0, "", &request(0, shipments_at(0, 2, 1), &fleet(1_000, 10))).await;
        assert_refused(&got, 413, "plan_too_large", false);
        let (status, _, plan) = app.plan(0, "", &request(0, shipments_at(0, 1, 1), &fleet(1_000, 10))).await;
        assert_eq!(status, 200, "{plan}");
    }

    /// Finding 1: plans answered at once take the same running slots as plans made in the background, per key and
    /// in all (before the fix they had no limit at all). With key A's two slots taken (held here through the plan
    /// store the server runs on), A gets 429 `plan_quota_exceeded` with `Retry-After`, at once or in the
    /// background, while key B still plans; with every slot taken, B gets 503 `planner_busy` with `Retry-After`;
    /// once they are free, A plans again.
    #[actix_web::test]
    async fn finding1_plans_answered_at_once_share_the_planner_budget() {
        let (keyring, keys) = planner_keys(2);
        let store = Arc::new(PlanStore::default());
        let app = start(diachi_server::http::Shared { plans: store.clone(), ..shared_with_keys(keyring) }, keys);
        let body = request(0, shipments_at(0, 1, 1), &fleet(1, 10));
        let held_by_a: Vec<_> = (0..2).map(|_| store.begin(&app.keys[0].1).unwrap()).collect();
        assert_refused(&app.plan(0, "", &body).await, 429, "plan_quota_exceeded", true);
        assert_refused(&app.plan(0, "?async=true", &body).await, 429, "plan_quota_exceeded", true);
        let (status, _, plan) = app.plan(1, "", &body).await;
        assert_eq!(status, 200, "B is not starved by A: {plan}");
        let others: Vec<_> = (0..2).map(|i| store.begin(&format!("other-{i}")).unwrap()).collect();
        assert_refused(&app.plan(1, "", &body).await, 503, "planner_busy", true);
        drop((held_by_a, others));
        let (status, _, plan) = app.plan(0, "", &body).await;
        assert_eq!(status, 200, "{plan}");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Finding 2: one tenant evicts another's plans (one global plan store)
// ---------------------------------------------------------------------------------------------------------------

mod finding2 {
    use reqwest::StatusCode;

    use super::planners::{assert_refused, fleet, request, shipments_at, spawn};

    /// Finding 2: key B's flood of 70 background plans neither evicts nor reads key A's plan: B gets 202 up to its
    /// quota, then 429 `plan_quota_exceeded` with `Retry-After` (never a 503 meant for everyone), and A's plan is
    /// still there, done. Before the fix all 70 were accepted and A's plan answered 404.
    #[actix_web::test]
    async fn finding2_a_key_cannot_evict_another_keys_plans() {
        let app = spawn(2).await;
        let body = request(0, shipments_at(0, 2, 1), &fleet(1, 10));
        let (status, _, accepted) = app.plan(0, "?async=true", &body).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
        let href = accepted["href"].as_str().unwrap().to_owned();
        app.wait_done(0, &href).await;

        let (mut accepted, mut refused) = (0, 0);
        for _ in 0..70 {
            let got = app.plan(1, "?async=true", &body).await;
            match got.0 {
                StatusCode::ACCEPTED => accepted += 1,
                _ => {
                    assert_refused(&got, 429, "plan_quota_exceeded", true);
                    refused += 1;
                }
            }
        }
        assert!(refused > 0 && accepted > 0, "B: {accepted} accepted, {refused} refused");
        assert!(accepted <= 16, "B holds {accepted} plans, over the default quota of 16");

        let (status, _, plan) = app.get(0, &href).await;
        assert_eq!(status, StatusCode::OK, "A's plan after B's flood: {plan}");
        assert_eq!(plan["status"], "done");
        let (status, _, _) = app.get(1, &href).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "B reads A's plan");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Finding 3: u32 load overflow (capacity, parcels)
// ---------------------------------------------------------------------------------------------------------------

mod finding3 {
    use serde_json::Value;

    use super::planners::{assert_refused, fleet, request, shipments_at, spawn};

    /// Most parcels a courier carries and a shipment has (`maximum` in the schema).
    const MAX_LOAD: u64 = 100_000;

    /// Finding 3: `capacity` and `parcels` have a maximum, refused with a JSON 400 beyond it (before the fix,
    /// `capacity: 4294967295` and two shipments of `parcels: 4294967295` gave one courier both, and
    /// `parcels_routed: 4294967294`); at the maximum, one courier never carries more than its capacity.
    #[actix_web::test]
    async fn finding3_loads_are_bounded_and_do_not_wrap() {
        let app = spawn(1).await;
        let max = u64::from(u32::MAX);
        let got = app.plan(0, "", &request(0, shipments_at(0, 2, max), &fleet(1, max))).await;
        assert_refused(&got, 400, "invalid_fleet", false);
        let got = app.plan(0, "", &request(0, shipments_at(0, 2, MAX_LOAD + 1), &fleet(1, MAX_LOAD))).await;
        assert_refused(&got, 400, "invalid_parcels", false);
        let got = app.plan(0, "", &request(0, shipments_at(0, 2, 1), &fleet(1, MAX_LOAD + 1))).await;
        assert_refused(&got, 400, "invalid_fleet", false);

        let (status, _, plan) = app.plan(0, "", &request(0, shipments_at(0, 2, MAX_LOAD), &fleet(1, MAX_LOAD))).await;
        assert_eq!(status, 200, "{plan}");
        assert_eq!(plan["summary"]["routed"], 1, "{plan}");
        assert_eq!(plan["summary"]["parcels_routed"], MAX_LOAD, "{plan}");
        assert_eq!(plan["unassigned"][0]["reason"], "no_room", "{plan}");
        for c in plan["post_offices"].as_array().unwrap().iter().flat_map(|o| o["couriers"].as_array().unwrap()) {
            assert!(c["parcels"].as_u64().unwrap() <= c["capacity"].as_u64().unwrap(), "{c}");
        }
    }

    /// Finding 3: the OpenAPI document states the bounds, so that a client (and schemathesis) knows them.
    #[actix_web::test]
    async fn finding3_the_schema_states_the_load_bounds() {
        let app = spawn(1).await;
        let doc: Value =
            app.client.get(format!("{}/openapi.json", app.base)).send().await.unwrap().json().await.unwrap();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["FleetInput"]["properties"]["capacity"]["maximum"], MAX_LOAD, "{}", schemas["FleetInput"]);
        let parcels = &schemas["ShipmentInput"]["properties"]["parcels"];
        assert_eq!(parcels["maximum"], MAX_LOAD, "{parcels}");
    }
}

/// A running app with this public URL and these trusted proxies (and the test token).
async fn spawn_with_origin(public_url: Option<&str>, trusted: &[&str]) -> helpers::TestApp {
    let keyring =
        diachi_auth::Keyring::new(Some(helpers::TEST_TOKEN.into()), None, 1_000_000, std::time::Duration::ZERO);
    let shared = diachi_server::http::Shared {
        public_url: public_url.map(|u| u.parse().unwrap()),
        trusted_proxies: trusted.iter().map(|t| t.parse().unwrap()).collect(),
        ..helpers::shared_with_keys(keyring)
    };
    let app = helpers::app_with(shared);
    let address = format!("http://127.0.0.1:{}", app.port);
    actix_web::rt::spawn(app.run_until_stopped());
    helpers::TestApp { address, client: reqwest::Client::new(), index: helpers::index() }
}

/// `Vary` of the style, a TileJSON and the catalog fetched with these headers.
async fn varies(app: &helpers::TestApp, headers: &[(&str, &str)]) -> Vec<String> {
    let mut out = Vec::new();
    for path in ["/styles/diachi.json", "/tiles/vietnam.json", "/catalog"] {
        let mut req = app.client.get(app.url(path));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let res = req.send().await.unwrap();
        let vary: Vec<String> =
            res.headers().get_all("vary").iter().map(|v| v.to_str().unwrap().to_ascii_lowercase()).collect();
        out.push(vary.join(", "));
    }
    out
}

/// Finding 4: the configured `public_url` is the base of every URL, whatever the request says; with no proxy
/// trusted these answers depend on no request header, so they carry no `Vary` on the forwarding headers.
#[actix_web::test]
async fn finding4_the_configured_public_url_is_the_base_of_every_url() {
    let app = spawn_with_origin(Some("https://maps.example.vn/diachi/"), &[]).await;
    for headers in [vec![], vec![("host", "evil.example"), ("x-forwarded-host", "evil.example")]] {
        for url in document_urls(&app, &headers).await {
            assert!(url.starts_with("https://maps.example.vn/diachi/"), "{headers:?}: {url}");
        }
        for vary in varies(&app, &headers).await {
            assert!(!vary.contains("forwarded") && !vary.contains("host"), "{vary}");
        }
    }
}

/// Finding 4: from a trusted proxy (127.0.0.1 here) `X-Forwarded-Host` / `-Proto`, `Forwarded` and `Host` are
/// followed — only when they hold a plain `host[:port]` and `http`/`https`, else the configured URL stands — and
/// the answers say `Vary` on them.
#[actix_web::test]
async fn finding4_a_trusted_proxy_is_followed_but_validated_and_answers_vary() {
    let app = spawn_with_origin(Some("https://maps.example.vn"), &["127.0.0.1"]).await;
    for (headers, base) in [
        (
            vec![("x-forwarded-host", "tiles.example.vn:8443"), ("x-forwarded-proto", "https")],
            "https://tiles.example.vn:8443",
        ),
        (vec![("forwarded", "for=192.0.2.1;host=b.example.vn;proto=http")], "http://b.example.vn"),
        (vec![("host", "h.example.vn")], "https://h.example.vn"),
        (
            vec![("x-forwarded-host", r#"x.test/","glyphs":"https://evil.example/{fontstack}/{range}.pbf","zz":""#)],
            "https://maps.example.vn",
        ),
        (vec![("x-forwarded-host", "evil.example/x"), ("x-forwarded-proto", "javascript")], "https://maps.example.vn"),
        (vec![("forwarded", "host=\"evil.example:1/\";proto=gopher")], "https://maps.example.vn"),
    ] {
        for url in document_urls(&app, &headers).await {
            assert!(url.starts_with(&format!("{base}/")), "{headers:?}: {url}");
        }
        for vary in varies(&app, &headers).await {
            for h in ["host", "x-forwarded-host", "x-forwarded-proto", "forwarded"] {
                assert!(vary.split(',').any(|v| v.trim() == h), "{headers:?}: Vary {vary} lacks {h}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Finding 4: Host header injection and cache poisoning (style, TileJSON, catalog)
// ---------------------------------------------------------------------------------------------------------------

/// Every URL a MapLibre style carries: `glyphs`, `sprite` (one or several) and each source's `url`, `tiles` and
/// `data` (when a URL).
fn style_urls(style: &serde_json::Value) -> Vec<String> {
    let mut urls: Vec<String> = Vec::new();
    let mut push = |v: &serde_json::Value| {
        if let Some(s) = v.as_str() {
            urls.push(s.to_owned());
        }
    };
    push(&style["glyphs"]);
    push(&style["sprite"]);
    for s in style["sprite"].as_array().into_iter().flatten() {
        push(&s["url"]);
    }
    for src in style["sources"].as_object().into_iter().flat_map(|m| m.values()) {
        push(&src["url"]);
        if src["data"].as_str().is_some() {
            push(&src["data"]);
        }
        for t in src["tiles"].as_array().into_iter().flatten() {
            push(t);
        }
    }
    urls
}

/// The style, a TileJSON and the catalog fetched with these extra headers: every URL they hold.
async fn document_urls(app: &helpers::TestApp, headers: &[(&str, &str)]) -> Vec<String> {
    let mut urls = Vec::new();
    for path in ["/styles/diachi.json", "/tiles/vietnam.json", "/catalog"] {
        let mut req = app.client.get(app.url(path));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200, "{path} with {headers:?}");
        let text = res.text().await.unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{path} with {headers:?}: not JSON ({e}): {text:.300}"));
        match path {
            "/styles/diachi.json" => urls.extend(style_urls(&doc)),
            "/tiles/vietnam.json" => {
                urls.extend(doc["tiles"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_owned()))
            }
            _ => {
                urls.push(doc["styles"]["diachi"]["path"].as_str().unwrap().to_owned());
                urls.push(doc["fonts"]["glyphs"].as_str().unwrap().to_owned());
                for t in doc["tiles"].as_object().unwrap().values() {
                    urls.push(t["tilejson"].as_str().unwrap().to_owned());
                }
            }
        }
    }
    assert!(urls.len() > 10, "{urls:?}");
    urls
}

/// Finding 4: a `Host` header that closes the JSON string and adds its own `glyphs` gets nowhere: the style parses as
/// JSON and every URL in it (glyphs, sprite, sources) starts with the public URL — by default the bound address.
#[actix_web::test]
async fn finding4_an_injected_host_header_does_not_reach_the_style() {
    let app = helpers::spawn_app().await;
    let evil = r#"x.test/","glyphs":"https://evil.example/{fontstack}/{range}.pbf","zz":""#;
    let res = app.client.get(app.url("/styles/diachi.json")).header("host", evil).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let style: serde_json::Value = serde_json::from_str(&text).expect("the style is JSON");
    assert!(!text.contains("evil.example") && !text.contains("x.test"), "{text:.400}");
    let urls = style_urls(&style);
    assert!(urls.len() >= 2, "{urls:?}");
    for url in urls {
        assert!(url.starts_with(&format!("{}/", app.address)), "{url}");
    }
    assert_eq!(style["glyphs"], format!("{}/fonts/{{fontstack}}/{{range}}.pbf", app.address));
}

/// Finding 4: `Host`, `X-Forwarded-Host`, `X-Forwarded-Proto` and `Forwarded` from a client that is not a configured
/// proxy (none is by default) change no URL of the style, the TileJSON or the catalog — so these answers depend on
/// no request header, and a shared cache cannot be poisoned through them.
#[actix_web::test]
async fn finding4_forwarded_headers_from_an_untrusted_client_are_ignored() {
    let app = helpers::spawn_app().await;
    let plain = document_urls(&app, &[]).await;
    for headers in [
        vec![("x-forwarded-host", "evil.example"), ("x-forwarded-proto", "https")],
        vec![("forwarded", "for=1.2.3.4;host=evil.example;proto=https")],
        vec![("host", "evil.example:8443")],
        vec![("host", "evil.example"), ("x-forwarded-host", "evil.example:1"), ("forwarded", "host=evil.example")],
    ] {
        let urls = document_urls(&app, &headers).await;
        assert_eq!(urls, plain, "{headers:?}");
        for url in &urls {
            assert!(url.starts_with(&format!("{}/", app.address)), "{headers:?}: {url}");
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Finding 5: identity as a location oracle; registrations open to any key; the admin token's scopes
// ---------------------------------------------------------------------------------------------------------------

/// What the database-backed tests of findings 5, 6 and 7 share: a throwaway cluster holding the test set, the real
/// server on it (`serve --database-url`, in-process), keys made with the real `diachi keys create`, and addresses
/// for each match level around one home.
mod registry_support {
    use diachi_domain::{AddressId, DigitalAddress};
    use diachi_geo::index::NationalIndex;
    use diachi_server::config::Config;
    use diachi_server::startup::Application;
    use reqwest::blocking::Client;
    use serde_json::{Value, json};
    use std::time::{Duration, Instant};

    use crate::harness;

    /// A PII key for the tests only (never a real deployment's).
    pub const PII_KEY: &str = "dGVzdC1vbmx5LXBpaS1rZXktMzItYnl0ZXMtbG9uZyE=";
    /// The admin token of these servers (long enough to be accepted).
    pub const ADMIN: &str = "security-test-admin-token-0123456789abcdefghij";
    const HOUSEHOLDS: u64 = 20_000;
    const SEED: u64 = 7;

    pub fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    }

    pub fn dataset() -> diachi_geo::dataset::Dataset {
        diachi_synth::build_dataset(HOUSEHOLDS, SEED, None).unwrap()
    }

    /// A cluster with the test set imported, or `None` when this machine has no PostGIS (outside CI).
    pub fn cluster() -> Option<harness::PgCluster> {
        let pg = harness::cluster()?;
        rt().block_on(async {
            let mut c = diachi_db::connect(&pg.url()).await.unwrap();
            diachi_db::import::import(&mut c, dataset(), false).await.unwrap();
        });
        Some(pg)
    }

    /// Runs SQL on the cluster (test set-up only).
    pub fn sql(url: &str, sql: &str) {
        rt().block_on(async {
            let c = diachi_db::connect(url).await.unwrap();
            c.batch_execute(sql).await.unwrap();
        });
    }

    /// Counts rows of a query returning one bigint.
    pub fn count(url: &str, sql: &str) -> i64 {
        rt().block_on(async {
            let c = diachi_db::connect(url).await.unwrap();
            c.query_one(sql, &[]).await.unwrap().get(0)
        })
    }

    pub struct Server {
        pub base: String,
        pub http: Client,
    }

    impl Server {
        pub fn send(
            &self,
            method: reqwest::Method,
            path: &str,
            key: Option<&str>,
            body: Option<Value>,
        ) -> (u16, Value) {
            let (st, _, v) = self.send_full(method, path, key, body);
            (st, v)
        }

        pub fn send_full(
            &self,
            method: reqwest::Method,
            path: &str,
            key: Option<&str>,
            body: Option<Value>,
        ) -> (u16, reqwest::header::HeaderMap, Value) {
            let mut req = self.http.request(method, format!("{}{path}", self.base));
            if let Some(k) = key {
                req = req.bearer_auth(k);
            }
            if let Some(b) = body {
                req = req.json(&b);
            }
            let r = req.send().unwrap();
            let (status, headers) = (r.status().as_u16(), r.headers().clone());
            (status, headers, r.json().unwrap_or(Value::Null))
        }

        pub fn post(&self, path: &str, key: &str, body: Value) -> (u16, Value) {
            self.send(reqwest::Method::POST, path, Some(key), Some(body))
        }

        pub fn get(&self, path: &str, key: &str) -> (u16, Value) {
            self.send(reqwest::Method::GET, path, Some(key), None)
        }

        /// `POST /v1/identity/verify-address` with `body`.
        pub fn identity(&self, key: &str, body: Value) -> (u16, Value) {
            self.post("/v1/identity/verify-address", key, body)
        }

        /// Registers `citizen` at `address` with `key`: (id, code).
        pub fn register(&self, key: &str, citizen: &str, address: &str) -> (String, String) {
            let (st, body) = self.post(
                "/v1/registrations",
                key,
                json!({"citizen_id": citizen, "name": "Nguyễn Thị Hồng Nhung", "phone": "0912345678",
                    "address": address}),
            );
            assert_eq!(st, 201, "{body}");
            (body["id"].as_str().unwrap().to_owned(), body["verification_code"].as_str().unwrap().to_owned())
        }

        /// Verifies registration `id` with its code at post office `office`, with `key`.
        pub fn verify(&self, key: &str, id: &str, code: &str, office: u32) -> (u16, Value) {
            self.post(&format!("/v1/registrations/{id}/verify"), key, json!({"code": code, "post_office_id": office}))
        }

        fn wait_ready(&self) {
            let t = Instant::now();
            while self.http.get(format!("{}/ready", self.base)).send().map(|r| r.status().as_u16()).ok() != Some(200) {
                assert!(t.elapsed() < Duration::from_mins(2), "the server did not get ready");
                std::thread::sleep(Duration::from_millis(50)); // polling interval, not synchronisation
            }
        }
    }

    /// `serve --database-url` in-process with a PII key; the other settings as `config` leaves them.
    pub fn serve_with(url: &str, config: Config) -> Server {
        let config = Config {
            bind: "127.0.0.1:0".into(),
            database_url: Some(url.to_owned()),
            admin_token: Some(ADMIN.into()),
            pii_key: Some(PII_KEY.into()),
            workers: 2,
            tile_cache_mb: 16,
            ..config
        };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let app = Application::build(&config, None).unwrap();
                tx.send(app.port).unwrap();
                app.run_until_stopped().await.unwrap();
            });
        });
        let s = Server { base: format!("http://127.0.0.1:{}", rx.recv().unwrap()), http: Client::new() };
        s.wait_ready();
        s
    }

    /// The server with the default settings (a key cache of 30 s, the default limits).
    pub fn serve(url: &str) -> Server {
        serve_with(url, Config::default())
    }

    /// `diachi keys create --database-url URL ARGS…`: the key it prints.
    pub fn key(url: &str, args: &[&str]) -> String {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_diachi"))
            .args(["keys", "create", "--name", "security-test", "--database-url", url])
            .args(args)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        assert!(out.status.success(), "diachi keys create {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// Addresses for each match level around one home, and post offices in and out of its province.
    pub struct Places {
        pub home: String,
        pub other_unit: String,
        pub same_ward: String,
        pub same_province: String,
        pub elsewhere: String,
        pub office_here: u32,
    }

    pub fn places() -> Places {
        let ix = NationalIndex::build(dataset());
        let a = &ix.data.addresses;
        let geo = &ix.data.geography;
        let code = |id: AddressId| a.digital_address(id).unwrap();
        let ward = |id: AddressId| a.record(id).unwrap().ward;
        let province = |id: AddressId| geo.wards[usize::from(ward(id))].province;
        let second = a.ids().find(|&id| a.record(id).unwrap().da_unit == 2).unwrap();
        let home_code = DigitalAddress::new(code(second).cell(), 1).unwrap();
        let home = ix.address_by_code(home_code).unwrap();
        let house = |id: AddressId| {
            let r = a.record(id).unwrap();
            (r.ward, r.street.to_owned(), r.alley, r.house)
        };
        let same_ward = a
            .ids()
            .find(|&id| ward(id) == ward(home) && code(id).cell() != home_code.cell() && house(id) != house(home))
            .unwrap();
        let same_province = a.ids().find(|&id| province(id) == province(home) && ward(id) != ward(home)).unwrap();
        let elsewhere = a.ids().find(|&id| province(id) != province(home)).unwrap();
        let office_here =
            ix.data.post_offices.iter().find(|p| geo.wards[usize::from(p.ward)].province == province(home)).unwrap().id;
        Places {
            home: home_code.to_string(),
            other_unit: code(second).to_string(),
            same_ward: code(same_ward).to_string(),
            same_province: code(same_province).to_string(),
            elsewhere: code(elsewhere).to_string(),
            office_here,
        }
    }

    /// The error code of an answer.
    pub fn code(v: &Value) -> Option<&str> {
        v["error"]["code"].as_str()
    }
}

/// Finding 5: the identity check answers one question — does this citizen live at this address at the level the key
/// is entitled to (`exact` unless `keys create --identity-level` says otherwise) — with yes or no and nothing else;
/// asking at a looser level than the key's is refused (403 `level_not_allowed`).
#[test]
fn finding5_identity_answers_yes_or_no_at_the_keys_level_only() {
    use registry_support::{code, key, places, serve};
    use serde_json::json;
    let Some(pg) = registry_support::cluster() else { return };
    let (url, p) = (pg.url(), places());
    let s = serve(&url);
    let reg = key(&url, &["--scope", "registry:write"]);
    let idv = key(&url, &["--scope", "identity:verify"]);
    // two residents of the same home (each check below stays within a citizen's daily limit)
    let (citizen, other) = ("001190012345", "002095000123");
    for c in [citizen, other] {
        let (id, vcode) = s.register(&reg, c, &p.home);
        assert_eq!(s.verify(&reg, &id, &vcode, p.office_here).0, 200);
    }

    let ask_about = |c: &str, k: &str, address: &str, level: Option<&str>| {
        let mut body = json!({"citizen_id": c, "address": address});
        if let Some(l) = level {
            body["level"] = json!(l);
        }
        s.identity(k, body)
    };
    let ask = |k: &str, address: &str, level: Option<&str>| ask_about(citizen, k, address, level);
    // a key without an entitlement of its own asks at `exact`: no ladder of levels in the answer
    let yes = json!({"match": true, "level": "exact"});
    let no = json!({"match": false, "level": "exact"});
    assert_eq!(ask(&idv, &p.home, None), (200, yes.clone()));
    assert_eq!(ask(&idv, &p.home, Some("exact")), (200, yes));
    for other in [&p.other_unit, &p.same_ward, &p.same_province, &p.elsewhere, "not an address at all"] {
        assert_eq!(ask(&idv, other, None), (200, no.clone()), "{other}");
    }
    let (st, e) = s.identity(&idv, json!({"citizen_id": "079305000001", "address": p.home}));
    assert_eq!((st, e), (200, no), "an unknown citizen reads the same");
    // looser than the key's level: refused, before anything is compared
    for looser in ["building", "ward", "province"] {
        let (st, e) = ask(&idv, &p.home, Some(looser));
        assert_eq!((st, code(&e)), (403, Some("level_not_allowed")), "{looser}: {e}");
    }
    let (st, e) = ask(&idv, &p.home, Some("street"));
    assert_eq!(st, 400, "{e}");

    // a key entitled to `ward`: yes when the ward agrees, and it may ask more strictly
    let ward = key(&url, &["--scope", "identity:verify", "--identity-level", "ward"]);
    let ask = |k: &str, address: &str, level: Option<&str>| ask_about(other, k, address, level);
    for (address, want) in
        [(&p.home, true), (&p.other_unit, true), (&p.same_ward, true), (&p.same_province, false), (&p.elsewhere, false)]
    {
        assert_eq!(ask(&ward, address, None), (200, json!({"match": want, "level": "ward"})), "{address}");
    }
    assert_eq!(ask(&ward, &p.other_unit, Some("building")), (200, json!({"match": true, "level": "building"})));
    assert_eq!(ask(&ward, &p.same_ward, Some("building")), (200, json!({"match": false, "level": "building"})));
    let (st, e) = ask(&ward, &p.home, Some("province"));
    assert_eq!((st, code(&e)), (403, Some("level_not_allowed")), "{e}");
    // the keys list shows each key's level
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_diachi"))
        .args(["keys", "list", "--database-url", &url])
        .output()
        .unwrap();
    let listed = String::from_utf8(out.stdout).unwrap();
    assert!(listed.lines().any(|l| l.starts_with(&ward[4..12]) && l.contains("ward")), "{listed}");
}

/// Finding 5: a pending (unverified) registration does not answer the identity check; only once verified.
#[test]
fn finding5_pending_registrations_do_not_answer() {
    use registry_support::{key, places, serve};
    use serde_json::json;
    let Some(pg) = registry_support::cluster() else { return };
    let (url, p) = (pg.url(), places());
    let s = serve(&url);
    let reg = key(&url, &["--scope", "registry:write"]);
    let idv = key(&url, &["--scope", "identity:verify"]);
    let citizen = "036200000777";
    let (id, vcode) = s.register(&reg, citizen, &p.home);
    let (st, m) = s.identity(&idv, json!({"citizen_id": citizen, "address": p.home}));
    assert_eq!(st, 200, "{m}");
    assert_eq!(m["match"], false, "a pending registration is no proof of residence: {m}");
    assert_eq!(s.verify(&reg, &id, &vcode, p.office_here).0, 200);
    let (st, m) = s.identity(&idv, json!({"citizen_id": citizen, "address": p.home}));
    assert_eq!((st, &m["match"]), (200, &json!(true)), "{m}");
}

/// Finding 5: identity checks are limited per citizen across all keys (10 a day) and per key (a daily quota, set by
/// `keys create --identity-daily-quota`); refused checks answer 429 with `Retry-After`; every check is audited with
/// the key and a keyed hash of the citizen (never the citizen ID itself).
#[test]
fn finding5_identity_checks_are_limited_per_citizen_and_per_key_and_audited() {
    use registry_support::{code, count, key, places, serve};
    use serde_json::json;
    let Some(pg) = registry_support::cluster() else { return };
    let (url, p) = (pg.url(), places());
    let s = serve(&url);
    let (a, b) = (key(&url, &["--scope", "identity:verify"]), key(&url, &["--scope", "identity:verify"]));
    let victim = "001190012345";
    let body = |citizen: &str| json!({"citizen_id": citizen, "address": p.home});
    // ten checks of one citizen a day, whichever keys ask
    for i in 0..10 {
        let k = if i % 2 == 0 { &a } else { &b };
        let (st, e) = s.identity(k, body(victim));
        assert_eq!(st, 200, "check {i}: {e}");
    }
    for k in [&a, &b] {
        let (st, h, e) = s.send_full(reqwest::Method::POST, "/v1/identity/verify-address", Some(k), Some(body(victim)));
        assert_eq!((st, code(&e)), (429, Some("identity_check_limit")), "{e}");
        let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=86_400).contains(&retry), "{retry}");
        assert!(e.get("match").is_none(), "{e}");
    }
    // another citizen is not affected
    assert_eq!(s.identity(&a, body("079305000001")).0, 200);

    // a key's daily quota
    let small = key(&url, &["--scope", "identity:verify", "--identity-daily-quota", "3"]);
    for citizen in ["001190000001", "001190000002", "001190000003"] {
        assert_eq!(s.identity(&small, body(citizen)).0, 200);
    }
    let (st, h, e) =
        s.send_full(reqwest::Method::POST, "/v1/identity/verify-address", Some(&small), Some(body("001190000004")));
    assert_eq!((st, code(&e)), (429, Some("identity_quota_exceeded")), "{e}");
    assert!(h.contains_key("retry-after"));

    // every check in the audit log: the key, the level asked, a keyed hash of the citizen, never the ID
    let checks = count(&url, "SELECT count(*) FROM audit_log WHERE action = 'identity.verify_address'");
    assert_eq!(checks, 10 + 2 + 1 + 3 + 1);
    let hashed = count(
        &url,
        "SELECT count(*) FROM audit_log WHERE action = 'identity.verify_address' AND length(subject_hash) = 32 \
         AND identity_level = 'exact' AND key_id IS NOT NULL",
    );
    assert_eq!(hashed, checks, "each check names its key, level and subject");
    let victims = count(
        &url,
        "SELECT count(DISTINCT subject_hash) FROM audit_log WHERE action = 'identity.verify_address' \
         AND outcome = 'identity_check_limit'",
    );
    assert_eq!(victims, 1);
    let leaked = count(&url, &format!("SELECT count(*) FROM audit_log a WHERE a::text LIKE '%{victim}%'"));
    assert_eq!(leaked, 0);
}

/// Finding 5: a registration can be read, verified and revoked only by the key that created it (another
/// `registry:write` key gets 404, as for an unknown id), or by a key with the `registry:admin` scope.
#[test]
fn finding5_registrations_belong_to_the_key_that_made_them() {
    use registry_support::{code, key, places, serve};
    use serde_json::json;
    let Some(pg) = registry_support::cluster() else { return };
    let (url, p) = (pg.url(), places());
    let s = serve(&url);
    let (mine, theirs) = (key(&url, &["--scope", "registry:write"]), key(&url, &["--scope", "registry:write"]));
    let (id, vcode) = s.register(&mine, "001190012345", &p.home);
    let path = format!("/v1/registrations/{id}");
    let (st, e) = s.get(&path, &theirs);
    assert_eq!((st, code(&e)), (404, Some("registration_not_found")), "read: {e}");
    let (st, e) = s.verify(&theirs, &id, &vcode, p.office_here);
    assert_eq!((st, code(&e)), (404, Some("registration_not_found")), "verify: {e}");
    let (st, e) = s.post(&format!("{path}/revoke"), &theirs, json!({}));
    assert_eq!((st, code(&e)), (404, Some("registration_not_found")), "revoke: {e}");
    // untouched by the other key: still pending, every attempt left
    let (st, r) = s.get(&path, &mine);
    assert_eq!((st, r["status"].as_str(), r["attempts_left"].as_i64()), (200, Some("pending"), Some(5)), "{r}");
    assert_eq!(s.verify(&mine, &id, &vcode, p.office_here).0, 200);

    // `registry:admin` reaches every registration; it is a scope of its own
    let admin = key(&url, &["--scope", "registry:admin"]);
    let (st, r) = s.get(&path, &admin);
    assert_eq!((st, r["status"].as_str()), (200, Some("verified")), "{r}");
    let (st, r) = s.post(&format!("{path}/revoke"), &admin, json!({}));
    assert_eq!((st, r["status"].as_str()), (200, Some("revoked")), "{r}");
    let (st, e) = s.get(&path, &theirs);
    assert_eq!((st, code(&e)), (404, Some("registration_not_found")), "{e}");
}

/// Finding 5: the admin token carries the `admin` scope only (no identity, registry, validation or delivery), and
/// is rate limited like a key (the service's `rate_limit`).
#[actix_web::test]
async fn finding5_the_admin_token_has_only_the_admin_scope_and_a_rate_limit() {
    use serde_json::json;
    const TOKEN: &str = "finding5-admin-token-0123456789abcdefghijkl";
    let keyring = diachi_auth::Keyring::new(Some(TOKEN.into()), None, 5, std::time::Duration::ZERO);
    let app = helpers::app_with(helpers::shared_with_keys(keyring));
    let base = format!("http://127.0.0.1:{}", app.port);
    actix_web::rt::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let send = |method: reqwest::Method, path: &str, body: serde_json::Value| {
        client.request(method, format!("{base}{path}")).bearer_auth(TOKEN).json(&body).send()
    };
    for (path, body) in [
        ("/v1/identity/verify-address", json!({"citizen_id": "001190012345", "address": "V98-F6P-FJY6"})),
        (
            "/v1/registrations",
            json!({"citizen_id": "001190012345", "name": "A", "phone": "0912345678", "address": "x"}),
        ),
        ("/v1/addresses/validate", json!({"address": "so 1 pho hue ha noi"})),
        ("/v1/deliveries/plan", json!({"shipments": [], "post_offices": []})),
    ] {
        let res = send(reqwest::Method::POST, path, body).await.unwrap();
        let status = res.status().as_u16();
        let e: serde_json::Value = res.json().await.unwrap();
        assert_eq!(status, 403, "{path}: {e}");
        helpers::assert_error(&e, "forbidden", path);
    }
    // the admin scope itself, within the service's limit of 5 a minute (no database here: 503 once let through)
    for i in 0..5 {
        let res = send(reqwest::Method::DELETE, "/v1/addresses/1", json!({})).await.unwrap();
        assert_eq!(res.status().as_u16(), 503, "request {i}");
    }
    let res = send(reqwest::Method::DELETE, "/v1/addresses/1", json!({})).await.unwrap();
    assert_eq!(res.status().as_u16(), 429);
    assert!(res.headers().contains_key("retry-after"));
    helpers::assert_error(&res.json().await.unwrap(), "rate_limited", "the admin token's limit");
}

// ---------------------------------------------------------------------------------------------------------------
// Finding 6: unbounded public work (digital area codes, H3 cache, NDJSON blank lines, long URIs, unknown key ids)
// ---------------------------------------------------------------------------------------------------------------

// 6 (urls helper): batch, URI, headers

/// An answer read off the wire: status, head (lower-cased), body.
struct Raw {
    status: u16,
    head: String,
    body: String,
}

impl Raw {
    /// The body as the API's error shape with this code and status.
    fn assert_json_error(&self, status: u16, code: &str, what: &str) {
        assert_eq!(self.status, status, "{what}: {:.300}{:.300}", self.head, self.body);
        assert!(self.head.contains("content-type: application/json"), "{what}: {}", self.head);
        let json: serde_json::Value = serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("{what}: {status}, not JSON ({e}): {:.300}", self.body));
        helpers::assert_error(&json, code, what);
    }
}

/// Sends `request` as is on a new connection and reads the answer until the server closes it. The request is
/// written from a thread of its own: the server may answer (and close) before it has read it all.
async fn raw_exchange(app: &helpers::TestApp, request: Vec<u8>) -> Raw {
    use std::io::{Read, Write};
    let addr = app.address.trim_start_matches("http://").to_owned();
    actix_web::rt::task::spawn_blocking(move || {
        let stream = std::net::TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
        let mut w = stream.try_clone().unwrap();
        let writer = std::thread::spawn(move || {
            let _ = w.write_all(&request);
        });
        let (mut r, mut got, mut chunk) = (&stream, Vec::new(), vec![0u8; 64 * 1024]);
        while let Ok(n) = r.read(&mut chunk) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&chunk[..n]);
        }
        let _ = stream.shutdown(std::net::Shutdown::Both);
        let _ = writer.join();
        let text = String::from_utf8_lossy(&got).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        Raw { status, head: head.to_ascii_lowercase(), body: body.to_owned() }
    })
    .await
    .unwrap()
}

/// `GET path` with these header lines, closing the connection after the answer.
fn get_request(path: &str, headers: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{headers}Connection: close\r\n\r\n").into_bytes()
}

/// Finding 6: a 100 KB URI (past what actix-http parses: it answered 400 with an empty body) and a 10 KB one are
/// 414 `uri_too_long` in the API's JSON error shape; the server goes on answering.
#[actix_web::test]
async fn finding6_a_long_uri_is_a_json_414() {
    let app = helpers::spawn_app().await;
    for len in [100_000, 10_000] {
        let raw = raw_exchange(&app, get_request(&format!("/v1/digital-addresses/{}", "A".repeat(len)), "")).await;
        raw.assert_json_error(414, "uri_too_long", &format!("{len} B path"));
        let raw =
            raw_exchange(&app, get_request(&format!("/v1/reverse?lat=21&lon=105&x={}", "9".repeat(len)), "")).await;
        raw.assert_json_error(414, "uri_too_long", &format!("{len} B query"));
    }
    assert_eq!(app.get("/health").await.status(), 200);
}

/// Finding 6: request heads too large — one 200 KB header (actix-http answered 431 with an empty body), one of
/// 40 KB, or 120 headers — are 431 `headers_too_large` in the JSON error shape.
#[actix_web::test]
async fn finding6_a_huge_head_is_a_json_431() {
    let app = helpers::spawn_app().await;
    let many: String = (0..120).map(|i| format!("X-H{i}: {i}\r\n")).collect();
    for (what, headers) in [
        ("200 KB header", format!("X-Big: {}\r\n", "b".repeat(200_000))),
        ("40 KB header", format!("X-Big: {}\r\n", "b".repeat(40_000))),
        ("120 headers", many),
    ] {
        let raw = raw_exchange(&app, get_request("/health", &headers)).await;
        raw.assert_json_error(431, "headers_too_large", what);
    }
    assert_eq!(app.get("/health").await.status(), 200);
}

/// Finding 6: requests actix-http refuses while parsing (bad request line, bad framing headers, HTTP/1.1 without
/// `Host`) are 400 `malformed_request` in the JSON error shape, not an empty 400.
#[actix_web::test]
async fn finding6_malformed_requests_are_json_400s() {
    let app = helpers::spawn_app().await;
    for (what, req) in [
        ("bad version", "GET /health HTTP/9.9\r\nHost: x\r\n\r\n"),
        ("bad method", "G(T /health HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("no host", "GET /health HTTP/1.1\r\nConnection: close\r\n\r\n"),
        (
            "two lengths",
            "POST /v1/addresses/validate HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{",
        ),
        ("signed length", "POST /v1/addresses/validate HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\n{"),
        (
            "length and chunked",
            "POST /v1/addresses/validate HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        ),
        ("bad header", "GET /health HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n"),
    ] {
        let raw = raw_exchange(&app, req.as_bytes().to_vec()).await;
        raw.assert_json_error(400, "malformed_request", what);
    }
    assert_eq!(app.get("/health").await.status(), 200);
}

/// Finding 6: errors actix-web makes itself inside the application are the JSON error shape too — 406 from the
/// compression middleware when no encoding is acceptable, 404 and 405 (already JSON), on GET and HEAD alike.
#[actix_web::test]
async fn finding6_actix_web_own_errors_are_json() {
    let app = helpers::spawn_app().await;
    let raw = raw_exchange(&app, get_request("/health", "Accept-Encoding: identity;q=0, *;q=0\r\n")).await;
    raw.assert_json_error(406, "not_acceptable", "no acceptable encoding");
    let raw = raw_exchange(&app, get_request("/nope", "")).await;
    raw.assert_json_error(404, "not_found", "unknown path");
    let raw = raw_exchange(&app, b"DELETE /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec()).await;
    raw.assert_json_error(405, "method_not_allowed", "DELETE /health");
}

/// An NDJSON batch request of `body`, with the test app's key.
fn batch_request(body: &[u8], extra_headers: &str) -> Vec<u8> {
    let mut req = format!(
        "POST /v1/addresses/validate/batch HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/x-ndjson\r\n{extra_headers}Connection: close\r\n\r\n",
        helpers::TEST_KEY
    )
    .into_bytes();
    req.extend_from_slice(body);
    req
}

/// Finding 6: blank lines count: a batch of 4 MB of newlines (the server used to read all of it, then answer
/// `empty_batch`) is refused as soon as it passes the line limit, with 413 `batch_too_large` in the JSON error shape.
#[actix_web::test]
async fn finding6_a_batch_of_blank_lines_is_refused_early() {
    let app = helpers::spawn_app().await;
    let blank = vec![b'\n'; 4 << 20];
    let raw = raw_exchange(&app, batch_request(&blank, &format!("Content-Length: {}\r\n", blank.len()))).await;
    raw.assert_json_error(413, "batch_too_large", "4 MB of newlines");
    // the same sent chunked (no length announced)
    let mut chunked = Vec::new();
    for part in blank.chunks(64 * 1024) {
        chunked.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        chunked.extend_from_slice(part);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let raw = raw_exchange(&app, batch_request(&chunked, "Transfer-Encoding: chunked\r\n")).await;
    raw.assert_json_error(413, "batch_too_large", "4 MB of newlines, chunked");
    assert_eq!(app.get("/health").await.status(), 200);
}

/// Finding 6: a batch that announces more bytes than a batch may hold is refused at once (413 `batch_too_large`,
/// JSON), before its body is read; one that streams past the byte limit is cut there with a `batch_too_large` line.
#[actix_web::test]
async fn finding6_a_batch_is_bounded_by_bytes() {
    let app = helpers::spawn_app().await;
    // 20 MB announced, 1 KB sent: the answer must come without the rest
    let raw = raw_exchange(&app, batch_request(&[b' '; 1024], "Content-Length: 20000000\r\n")).await;
    raw.assert_json_error(413, "batch_too_large", "20 MB announced");
    // 1,200 lines of 15,000 bytes each (18 MB) streamed: every line is answered (as `invalid_line`) up to the limit
    let line = format!("{}\n", "x".repeat(15_000));
    let mut chunked = Vec::new();
    for _ in 0..1_200 {
        chunked.extend_from_slice(format!("{:x}\r\n", line.len()).as_bytes());
        chunked.extend_from_slice(line.as_bytes());
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let raw = raw_exchange(&app, batch_request(&chunked, "Transfer-Encoding: chunked\r\n")).await;
    assert_eq!(raw.status, 200, "{}", raw.head);
    let body: String = if raw.head.contains("transfer-encoding: chunked") { dechunk(&raw.body) } else { raw.body };
    let lines: Vec<serde_json::Value> = body.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let last = lines.last().unwrap();
    assert_eq!(last["error"]["code"], "batch_too_large", "{last}");
    assert!(lines.len() < 1_200, "{}", lines.len());
    assert!(lines[..lines.len() - 1].iter().all(|l| l["error"]["code"] == "invalid_line"));
}

/// The body of a chunked answer.
fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

// 6 (identity helper): unknown key ids

/// Finding 6: well-formed but unknown key ids do not each cost a database query: looked-up misses are remembered
/// (a bounded negative cache), and lookups of ids not in any cache are rate limited per peer (429 `rate_limited`)
/// before the database is asked; known keys keep working from the cache.
#[test]
fn finding6_unknown_key_ids_do_not_each_cost_a_database_query() {
    use registry_support::{code, key, serve};
    use serde_json::json;
    let Some(pg) = registry_support::cluster() else { return };
    let url = pg.url();
    let s = serve(&url);
    let good = key(&url, &["--scope", "address:validate"]);
    let body = json!({"address": "so 1 pho hue hai ba trung ha noi"});
    assert_eq!(s.post("/v1/addresses/validate", &good, body.clone()).0, 200, "the known key, now cached");
    let unknown = |i: usize| format!("dck_zz{i:06}_{}", "A".repeat(43));
    let (mut refused, mut limited) = (0, 0);
    for i in 0..300 {
        let (st, e) = s.post("/v1/addresses/validate", &unknown(i), body.clone());
        match (st, code(&e)) {
            (403, Some("invalid_key")) => refused += 1,
            (429, Some("rate_limited")) => limited += 1,
            other => panic!("unknown id {i}: {other:?} {e}"),
        }
    }
    assert!(limited > 0 && refused <= 100, "{refused} looked up, {limited} limited: a flood reaches the database");
    // an id looked up once is remembered: asking again costs nothing and is not limited
    for _ in 0..200 {
        let (st, e) = s.post("/v1/addresses/validate", &unknown(0), body.clone());
        assert_eq!((st, code(&e)), (403, Some("invalid_key")), "{e}");
    }
    // the known key still answers
    assert_eq!(s.post("/v1/addresses/validate", &good, body).0, 200);
}

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
const TEST_MAX_VISITED: u64 = 80;

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

/// Finding 7: an admin token shorter than 32 characters is refused at start with an error that says so (a short
/// token can be guessed; its length was also visible through the comparison).
#[test]
fn finding7_a_short_admin_token_is_refused_at_start() {
    use diachi_server::config::Config;
    for short in ["x", "hunter2", &"a".repeat(31)] {
        let config = Config { admin_token: Some(short.to_owned()), ..Config::default() };
        let Err(e) = diachi_server::startup::shared(&config) else { panic!("a {}-character token", short.len()) };
        let msg = format!("{e:#}");
        assert!(msg.contains("admin_token") && msg.contains("32"), "{msg}");
        assert!(!msg.contains(short) || short.len() < 3, "the error does not print the token: {msg}");
    }
    for ok in [None, Some("a".repeat(32)), Some("k".repeat(200))] {
        let config = Config { admin_token: ok, ..Config::default() };
        assert!(diachi_server::startup::shared(&config).is_ok());
    }
}

/// Finding 7: a post office number is parsed, not cast: numbers past the database's integer range (which wrapped
/// to negative ones) and negative numbers answer 400 `invalid_post_office_id`, and use no attempt.
#[test]
fn finding7_a_post_office_number_out_of_range_is_bad_input() {
    use registry_support::{code, key, places, serve};
    let Some(pg) = registry_support::cluster() else { return };
    let (url, p) = (pg.url(), places());
    let s = serve(&url);
    let reg = key(&url, &["--scope", "registry:write"]);
    let (id, vcode) = s.register(&reg, "001190012345", &p.home);
    for office in [4_294_967_295_i64, 2_147_483_648, 4_294_967_296, -1] {
        let (st, e) = s.post(
            &format!("/v1/registrations/{id}/verify"),
            &reg,
            serde_json::json!({"code": vcode, "post_office_id": office}),
        );
        assert_eq!((st, code(&e)), (400, Some("invalid_post_office_id")), "{office}: {e}");
    }
    let (_, r) = s.get(&format!("/v1/registrations/{id}"), &reg);
    assert_eq!((r["status"].as_str(), r["attempts_left"].as_i64()), (Some("pending"), Some(5)), "{r}");
    assert_eq!(s.verify(&reg, &id, &vcode, p.office_here).0, 200);
}

/// Finding 7: the audit row of a registry or identity request is written before the answer is released; when it
/// cannot be written the answer is 503 `audit_unavailable` with no result in it.
#[test]
fn finding7_a_failed_audit_write_withholds_the_answer() {
    use registry_support::{code, key, places, serve, sql};
    use serde_json::json;
    let Some(pg) = registry_support::cluster() else { return };
    let (url, p) = (pg.url(), places());
    let s = serve(&url);
    let reg = key(&url, &["--scope", "registry:write"]);
    let idv = key(&url, &["--scope", "identity:verify"]);
    let citizen = "001190012345";
    let (id, vcode) = s.register(&reg, citizen, &p.home);
    assert_eq!(s.verify(&reg, &id, &vcode, p.office_here).0, 200);
    let check = json!({"citizen_id": citizen, "address": p.home});
    assert_eq!(s.identity(&idv, check.clone()).0, 200);

    sql(
        &url,
        "CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit down'; END $$;
         CREATE TRIGGER audit_down BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_down();",
    );
    let (st, e) = s.identity(&idv, check.clone());
    assert_eq!((st, code(&e)), (503, Some("audit_unavailable")), "{e}");
    assert!(e.get("match").is_none(), "{e}");
    let (st, e) = s.post(
        "/v1/registrations",
        &reg,
        json!({"citizen_id": "036200000777", "name": "Lê Văn Tám", "phone": "0912345678", "address": p.home}),
    );
    assert_eq!((st, code(&e)), (503, Some("audit_unavailable")), "{e}");
    assert!(!e.to_string().contains("verification_code"), "{e}");
    let (st, e) = s.get(&format!("/v1/registrations/{id}"), &reg);
    assert_eq!((st, code(&e)), (503, Some("audit_unavailable")), "{e}");
    assert!(e.get("status").is_none(), "{e}");

    sql(&url, "DROP TRIGGER audit_down ON audit_log");
    assert_eq!(s.identity(&idv, check).0, 200);
}
