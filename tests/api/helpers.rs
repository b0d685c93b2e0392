//! The test harness: one index per test binary, one real server per test.

use diachi_geo::index::NationalIndex;
use diachi_server::startup::Application;
use reqwest::StatusCode;
use serde_json::Value;
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

/// Households of the test dataset (about as many addresses).
pub const HOUSEHOLDS: u64 = 20_000;
/// The admin token of the test app: the `admin` scope only (as every admin token).
pub const TEST_TOKEN: &str = "test-admin-token-with-the-admin-scope-only";
/// An API key of the test app with every scope but `admin` (what `authorized()` sends).
pub const TEST_KEY: &str = "dck_testkey0_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";
/// Seed of the test dataset.
pub const SEED: u64 = 7;

/// The index shared by every test of this binary, built on first use.
pub fn index() -> Arc<NationalIndex> {
    static INDEX: OnceLock<Arc<NationalIndex>> = OnceLock::new();
    INDEX
        .get_or_init(|| {
            let data = diachi_synth::build_dataset(HOUSEHOLDS, SEED, None).expect("the embedded geography loads");
            Arc::new(NationalIndex::build(data))
        })
        .clone()
}

/// The tile service shared by every test of this binary (its cache too), built on first use.
pub fn tiles() -> Arc<diachi_tiles::TileService> {
    static TILES: OnceLock<Arc<diachi_tiles::TileService>> = OnceLock::new();
    TILES.get_or_init(|| Arc::new(diachi_server::startup::tile_service(index(), 64))).clone()
}

/// The resolver shared by every test of this binary, built on first use.
pub fn resolver() -> Arc<diachi_resolve::Resolver> {
    static RESOLVER: OnceLock<Arc<diachi_resolve::Resolver>> = OnceLock::new();
    RESOLVER.get_or_init(|| Arc::new(diachi_resolve::Resolver::build(&index()))).clone()
}

/// The services over the shared index, tile service and resolver.
pub fn services() -> diachi_server::http::Services {
    diachi_server::http::Services {
        index: index(),
        tiles: tiles(),
        resolver: resolver(),
        places: Arc::new(diachi_registry::TextResolver { index: index(), resolver: resolver() }),
        db: None,
    }
}

/// A server over the shared services with the given state (keys, registry, limits), not yet running.
pub fn app_with(shared: diachi_server::http::Shared) -> Application {
    Application::serve("127.0.0.1:0", shared, services()).expect("the app binds")
}

/// The default state with these keys.
pub fn shared_with_keys(keyring: diachi_auth::Keyring) -> diachi_server::http::Shared {
    diachi_server::http::Shared { keyring: Arc::new(keyring), ..diachi_server::startup::default_shared() }
}

/// The keys of the test app: [`TEST_TOKEN`] and [`TEST_KEY`], with a limit high enough never to be met.
pub fn test_keyring() -> diachi_auth::Keyring {
    let key = diachi_auth::ApiKey::parse(TEST_KEY).expect("the test key is well-formed");
    let scopes = diachi_auth::Scope::ALL.into_iter().filter(|s| *s != diachi_auth::Scope::Admin).collect();
    let record = diachi_auth::KeyRecord::new(&key, "test".into(), scopes, None, diachi_auth::now_rfc3339());
    diachi_auth::Keyring::new(Some(TEST_TOKEN.into()), None, 1_000_000, std::time::Duration::ZERO).with_keys([record])
}

/// A running server and a client for it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    pub client: reqwest::Client,
    pub index: Arc<NationalIndex>,
}

/// Starts the real application on a random port, serving the shared index, on the test's runtime.
/// `async` so that it can only be called on the test's (actix) runtime, which `rt::spawn` needs.
#[allow(clippy::unused_async)]
pub async fn spawn_app() -> TestApp {
    let index = index();
    let app = app_with(shared_with_keys(test_keyring()));
    let address = format!("http://127.0.0.1:{}", app.port);
    actix_web::rt::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a client");
    TestApp { address, client, index }
}

impl TestApp {
    /// The request with the test key (every scope but `admin`).
    pub fn authorized(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        req.bearer_auth(TEST_KEY)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// GET `path` (with its query string).
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("the request is sent")
    }

    /// GET `path` and read the body as JSON (panics if it is not JSON).
    pub async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        let res = self.get(path).await;
        let status = res.status();
        let text = res.text().await.expect("a body");
        let json =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path}: {status}, not JSON ({e}): {text:.300}"));
        (status, json)
    }

    /// GET `path`, expecting 200 and a JSON body.
    pub async fn ok(&self, path: &str) -> Value {
        let (status, json) = self.get_json(path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {json}");
        json
    }

    /// GET `path`, expecting the error `{"error":{"code":code,"message":…}}` with `status`.
    pub async fn error(&self, path: &str, status: u16, code: &str) -> Value {
        let (got, json) = self.get_json(path).await;
        assert_error(&json, code, path);
        assert_eq!(got.as_u16(), status, "GET {path}: {json}");
        json
    }
}

/// Asserts the stable error shape and code.
pub fn assert_error(json: &Value, code: &str, what: &str) {
    let err = json.get("error").unwrap_or_else(|| panic!("{what}: no `error` in {json}"));
    assert_eq!(err["code"], code, "{what}: {json}");
    let msg = err["message"].as_str().unwrap_or_else(|| panic!("{what}: no message in {json}"));
    assert!(!msg.is_empty(), "{what}: empty message");
    assert_eq!(err.as_object().map(serde_json::Map::len), Some(2), "{what}: extra fields in {json}");
}

/// Great-circle distance in metres (the crate's own formula).
pub fn haversine(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    diachi_domain::lonlat::haversine_m(lon1, lat1, lon2, lat2)
}

pub fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

pub fn bbox_of(v: &Value) -> [f64; 4] {
    let a = v.as_array().unwrap_or_else(|| panic!("not a bbox: {v}"));
    assert_eq!(a.len(), 4, "bbox {v}");
    [f(&a[0]), f(&a[1]), f(&a[2]), f(&a[3])]
}

pub fn in_bbox(b: [f64; 4], lon: f64, lat: f64) -> bool {
    b[0] <= lon && lon <= b[2] && b[1] <= lat && lat <= b[3]
}

/// Percent-encodes every byte outside the URL's unreserved set (for path segments and query values).
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `(lon, lat)` of an address, read from the index's columns.
pub fn addr_point(ix: &NationalIndex, id: u32) -> (f64, f64) {
    let set = &ix.data.addresses;
    (diachi_geo::dataset::from_e7(set.lon_e7[id as usize]), diachi_geo::dataset::from_e7(set.lat_e7[id as usize]))
}

/// Every address as `(id, lon, lat)`.
pub fn all_addresses(ix: &NationalIndex) -> impl Iterator<Item = (u32, f64, f64)> + '_ {
    (0..ix.data.addresses.len() as u32).map(|id| {
        let (lon, lat) = addr_point(ix, id);
        (id, lon, lat)
    })
}

/// A spread of wards: every 150th, plus Ba Đình (Hà Nội), Hoàng Sa and Trường Sa (islands).
pub fn sample_wards(ix: &NationalIndex) -> Vec<&diachi_geo::geography::Ward> {
    let geo = &ix.data.geography;
    let mut v: Vec<_> = geo.wards.iter().step_by(150).collect();
    for code in ["00004", "20333", "22736"] {
        let code = diachi_domain::WardCode::parse(code).unwrap();
        v.push(geo.ward(code).unwrap().1);
    }
    v
}

/// The route templates of the router, read from its source (`src/http/routes/mod.rs`).
pub fn router_paths() -> Vec<&'static str> {
    let src = include_str!("../../crates/server/src/http/routes/mod.rs");
    // the string literals starting with `/` in the body of `configure`
    let body = src.split("pub fn configure").nth(1).and_then(|s| s.split("\n}").next()).unwrap_or_default();
    let paths: Vec<&str> = body.split('"').skip(1).step_by(2).filter(|s| s.starts_with('/')).collect();
    assert!(paths.len() >= 18, "could not read the routes: {paths:?}");
    paths
}

/// The paths of `registry_routes` in src/http/routes/mod.rs (POST, with GET on a registration).
pub fn registry_paths() -> Vec<&'static str> {
    let src = include_str!("../../crates/server/src/http/routes/mod.rs");
    let body = src.split("fn registry_routes").nth(1).and_then(|s| s.split("\n}").next()).unwrap_or_default();
    let paths: Vec<&str> = body.split('"').skip(1).step_by(2).filter(|s| s.starts_with('/')).collect();
    assert!(paths.len() >= 5, "could not read the registry routes: {paths:?}");
    paths
}

/// Every number's bounding box in a GeoJSON coordinate tree, as `[min_lon, min_lat, max_lon, max_lat]`.
pub fn geojson_bbox(coords: &Value) -> [f64; 4] {
    fn walk(v: &Value, b: &mut [f64; 4]) {
        let a = v.as_array().unwrap();
        if a.first().is_some_and(Value::is_number) {
            let (x, y) = (f(&a[0]), f(&a[1]));
            *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
        } else {
            for c in a {
                walk(c, b);
            }
        }
    }
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    walk(coords, &mut b);
    b
}
