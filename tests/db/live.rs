//! The service on PostGIS: live updates seen by a second running instance, and the database killed and restarted
//! under the service.

use diachi_server::config::Config;
use diachi_server::startup::Application;
use reqwest::blocking::Client;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

use crate::{harness, import, rt};

const TOKEN: &str = "test-admin-token-0123456789abcdefghij";

struct Instance {
    base: String,
    http: Client,
}

/// Starts `serve --database-url` in-process on a free port and waits until it is ready.
fn serve(url: &str) -> Instance {
    let config = Config {
        bind: "127.0.0.1:0".into(),
        database_url: Some(url.to_owned()),
        admin_token: Some(TOKEN.into()),
        workers: 2,
        tile_cache_mb: 16,
        ..Config::default()
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app = Application::build(&config, None).unwrap();
            tx.send(app.port).unwrap();
            app.run_until_stopped().await.unwrap();
        });
    });
    let port = rx.recv().unwrap();
    let inst = Instance { base: format!("http://127.0.0.1:{port}"), http: Client::new() };
    inst.wait_for("the index to load", Duration::from_secs(60), |i| i.get("/ready").0 == 200);
    inst
}

impl Instance {
    fn get(&self, path: &str) -> (u16, Value) {
        let r = self.http.get(format!("{}{path}", self.base)).send().unwrap();
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(Value::Null))
    }

    fn get_bytes(&self, path: &str) -> (u16, Vec<u8>) {
        let r = self.http.get(format!("{}{path}", self.base)).header("accept-encoding", "identity").send().unwrap();
        (r.status().as_u16(), r.bytes().unwrap().to_vec())
    }

    fn send(&self, method: reqwest::Method, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().unwrap();
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(Value::Null))
    }

    /// Polls `cond` until it holds (panics after `within`); returns how long it took.
    fn wait_for(&self, what: &str, within: Duration, cond: impl Fn(&Self) -> bool) -> Duration {
        let t = Instant::now();
        loop {
            if cond(self) {
                return t.elapsed();
            }
            assert!(t.elapsed() < within, "timed out waiting for {what}");
            std::thread::yield_now();
        }
    }
}

impl Instance {
    /// Whether the instance's in-memory index has address `id` near (`lat`, `lon`): the nearest lookups never read
    /// the database (a lookup by id does, when one is configured).
    fn in_index(&self, id: u64, lat: f64, lon: f64) -> bool {
        let (_, near) = self.get(&format!("/v1/addresses/nearest?lat={lat}&lon={lon}&k=20"));
        near["results"].as_array().is_some_and(|r| r.iter().any(|a| a["id"].as_u64() == Some(id)))
    }
}

fn tile_of(lon: f64, lat: f64) -> String {
    let (x, y) = diachi_tiles::geom::world(lon, lat);
    let n = f64::from(1u32 << 14);
    format!("14/{}/{}", (x * n) as u64, (y * n) as u64)
}

fn tile_ids(bytes: Vec<u8>) -> Vec<u64> {
    if bytes.is_empty() {
        return vec![];
    }
    let r = mvt_reader::Reader::new(bytes).unwrap();
    let meta = r.get_layer_metadata().unwrap();
    let Some(m) = meta.iter().find(|m| m.name == "addresses") else { return vec![] };
    r.get_features(m.layer_index).unwrap().iter().filter_map(|f| f.id).collect()
}

#[test]
fn a_live_update_is_seen_by_a_second_instance_in_lookups_and_tiles() {
    let Some(pg) = harness::cluster() else { return };
    rt().block_on(import(&pg.url()));
    let (a, b) = (serve(&pg.url()), serve(&pg.url()));
    // a spot in Hoàn Kiếm; B has the tiles there cached before the change
    let (lat, lon) = (21.02851, 105.85423);
    let tile = tile_of(lon, lat);
    let before = tile_ids(b.get_bytes(&format!("/tiles/vietnam/{tile}")).1);
    let pg_before = tile_ids(b.get_bytes(&format!("/tiles/pg_addresses/{tile}")).1);

    // writes need the admin token
    // a house number as Vietnam writes it (issue 20)
    let body = json!({"lat": lat, "lon": lon, "house_number": "99b/2", "street": "Phố Tràng Tiền", "apartment": 3});
    assert_eq!(a.send(reqwest::Method::POST, "/v1/addresses", None, Some(body.clone())).0, 401);
    assert_eq!(a.send(reqwest::Method::POST, "/v1/addresses", Some("wrong"), Some(body.clone())).0, 403);
    let (status, created) = a.send(reqwest::Method::POST, "/v1/addresses", Some(TOKEN), Some(body));
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_u64().unwrap();
    assert_eq!(created["street"], "Phố Tràng Tiền");
    assert_eq!(created["apartment"], 3);
    assert_eq!(created["house_number"], "99B/2");
    assert!(created["formatted"].as_str().unwrap().contains("Số 99B/2"), "{created}");
    let code = created["digital_address"].as_str().unwrap().to_owned();

    // B sees it: by id, by digital address, as the nearest address, and in both kinds of tiles
    let took = b.wait_for("the new address on B", Duration::from_secs(10), |b| b.in_index(id, lat, lon));
    assert_eq!(b.get(&format!("/v1/addresses/{id}")).1["house_number"], "99B/2", "read back from PostGIS");
    eprintln!("a new address was visible on the second instance after {took:?}");
    let (s, found) = b.get(&format!("/v1/digital-addresses/{code}"));
    assert_eq!(s, 200, "{found}");
    let (_, near) = b.get(&format!("/v1/addresses/nearest?lat={lat}&lon={lon}&k=1"));
    assert_eq!(near["results"][0]["id"].as_u64(), Some(id), "{near}");
    let after = tile_ids(b.get_bytes(&format!("/tiles/vietnam/{tile}")).1);
    assert!(after.contains(&id) && !before.contains(&id), "the cached tile was dropped and re-rendered");
    assert_eq!(after.len(), before.len() + 1);
    let pg_after = tile_ids(b.get_bytes(&format!("/tiles/pg_addresses/{tile}")).1);
    assert!(pg_after.contains(&id) && pg_after.len() == pg_before.len() + 1);

    // a move: the digital address follows the location
    let (s, moved) = a.send(
        reqwest::Method::PATCH,
        &format!("/v1/addresses/{id}"),
        Some(TOKEN),
        Some(json!({"lat": 21.0301, "lon": 105.8520, "house_number": 100})),
    );
    assert_eq!(s, 200, "{moved}");
    assert_ne!(moved["digital_address"].as_str(), Some(code.as_str()));
    // an integer is still read as a bare number; answers give it as text
    assert_eq!(b.get(&format!("/v1/addresses/{id}")).1["house_number"], "100", "the record, read at once");
    b.wait_for("the move on B", Duration::from_secs(10), |b| {
        b.get("/v1/addresses/nearest?lat=21.0301&lon=105.8520&k=1").1["results"][0]["house_number"] == "100"
    });
    let (_, near) = b.get("/v1/addresses/nearest?lat=21.0301&lon=105.8520&k=1");
    assert_eq!(near["results"][0]["id"].as_u64(), Some(id), "{near}");
    assert!(near["results"][0]["distance_m"].as_f64().unwrap() < 0.01);
    let (_, old_spot) = b.get(&format!("/v1/addresses/nearest?lat={lat}&lon={lon}&k=100"));
    for r in old_spot["results"].as_array().unwrap() {
        // wherever it ranks from the old spot, it is at its new place (~280 m away)
        if r["id"].as_u64() == Some(id) {
            assert!(r["distance_m"].as_f64().unwrap() > 250.0, "{r}");
        }
    }

    // a delete
    assert_eq!(a.send(reqwest::Method::DELETE, &format!("/v1/addresses/{id}"), Some(TOKEN), None).0, 204);
    assert_eq!(a.send(reqwest::Method::DELETE, &format!("/v1/addresses/{id}"), Some(TOKEN), None).0, 404);
    assert_eq!(b.get(&format!("/v1/addresses/{id}")).0, 404);
    b.wait_for("the delete on B", Duration::from_secs(10), |b| !b.in_index(id, 21.0301, 105.8520));
    // an address of the import, changed and deleted, disappears from lookups too
    let (_, a17) = b.get("/v1/addresses/17");
    let (lat17, lon17) = (a17["lat"].as_f64().unwrap(), a17["lon"].as_f64().unwrap());
    assert!(b.in_index(17, lat17, lon17));
    let (s, _) = a.send(reqwest::Method::DELETE, "/v1/addresses/17", Some(TOKEN), None);
    assert_eq!(s, 204);
    assert_eq!(b.get("/v1/addresses/17").0, 404);
    b.wait_for("the deletion of 17 on B", Duration::from_secs(10), |b| !b.in_index(17, lat17, lon17));
}

#[test]
fn bad_writes_get_clear_errors() {
    let Some(pg) = harness::cluster() else { return };
    rt().block_on(import(&pg.url()));
    let a = serve(&pg.url());
    let geo = diachi_geo::geography::Geography::load(&Default::default()).unwrap();
    let saigon_ward =
        geo.wards[usize::from(geo.ward_at(diachi_domain::LonLat::new(106.70, 10.78).unwrap()).unwrap())].code;
    let post = |body: Value| a.send(reqwest::Method::POST, "/v1/addresses", Some(TOKEN), Some(body));
    let cases = [
        (json!({"lat": 21.03, "lon": 105.85, "house_number": 0, "street": "X"}), 422, "invalid_house_number"),
        (json!({"lat": 21.03, "lon": 105.85, "house_number": 70_000, "street": "X"}), 422, "invalid_house_number"),
        (json!({"lat": 21.03, "lon": 105.85, "house_number": "12 bis", "street": "X"}), 422, "invalid_house_number"),
        (json!({"lat": 21.03, "lon": 105.85, "house_number": "38B/2048", "street": "X"}), 422, "invalid_house_number"),
        (json!({"lat": 21.03, "lon": 105.85, "house_number": "", "street": "X"}), 422, "invalid_house_number"),
        (json!({"lat": 21.03, "lon": 105.85, "house_number": 1, "street": "X", "alley": -1}), 422, "invalid_number"),
        (json!({"lat": 21.03, "lon": 105.85, "house_number": 1, "street": "  "}), 422, "invalid_street"),
        (
            json!({"lat": 21.03, "lon": 105.85, "house_number": 1, "street": "X", "ward_code": saigon_ward.as_str()}),
            422,
            "ward_mismatch",
        ),
        (
            json!({"lat": 21.03, "lon": 105.85, "house_number": 1, "street": "X", "ward_code": "99999"}),
            422,
            "unknown_ward",
        ),
        (json!({"lat": 91, "lon": 105.85, "house_number": 1, "street": "X"}), 400, "invalid_coordinates"),
        (json!({"lat": 30.0, "lon": 105.85, "house_number": 1, "street": "X"}), 422, "outside_coverage"),
        (json!({"lat": 21.03, "lon": 105.85, "house_number": 1, "street": "X", "colour": "red"}), 400, "invalid_body"),
        (json!({"lat": 21.03}), 400, "invalid_body"),
    ];
    for (body, status, code) in cases {
        let (s, e) = post(body.clone());
        assert_eq!((s, e["error"]["code"].as_str()), (status, Some(code)), "{body}: {e}");
    }
    let (s, e) =
        a.send(reqwest::Method::PATCH, "/v1/addresses/999999999", Some(TOKEN), Some(json!({"house_number": 2})));
    assert_eq!((s, e["error"]["code"].as_str()), (404, Some("address_not_found")));
    let (s, e) = a.send(reqwest::Method::PATCH, "/v1/addresses/5", Some(TOKEN), Some(json!({"lat": 21.0})));
    assert_eq!((s, e["error"]["code"].as_str()), (400, Some("invalid_body")));
    let (s, e) = a.send(reqwest::Method::PUT, "/v1/addresses/5", Some(TOKEN), None);
    assert_eq!((s, e["error"]["code"].as_str()), (405, Some("method_not_allowed")));
}

#[test]
fn the_database_killed_and_restarted_under_the_service() {
    let Some(pg) = harness::cluster() else { return };
    rt().block_on(import(&pg.url()));
    let a = serve(&pg.url());
    let (lat, lon) = (10.7769, 106.7009);
    let far_tile = tile_of(108.2208, 16.0471);
    pg.kill();

    // lookups answer from memory; database-backed endpoints answer 503 with a JSON error
    let (s, near) = a.get(&format!("/v1/addresses/nearest?lat={lat}&lon={lon}&k=3"));
    assert_eq!(s, 200, "{near}");
    assert_eq!(near["results"].as_array().unwrap().len(), 3);
    assert_eq!(a.get(&format!("/tiles/vietnam/{far_tile}")).0, 200);
    let body = json!({"lat": lat, "lon": lon, "house_number": 5, "street": "Đường Đồng Khởi"});
    let (s, e) = a.send(reqwest::Method::POST, "/v1/addresses", Some(TOKEN), Some(body.clone()));
    assert_eq!((s, e["error"]["code"].as_str()), (503, Some("database_unavailable")), "{e}");
    let (s, e) = a.get(&format!("/tiles/pg_addresses/{far_tile}"));
    assert_eq!((s, e["error"]["code"].as_str()), (503, Some("database_unavailable")), "{e}");

    // back: writes work again without a restart of the service, and the change feed reconnected by itself
    pg.restart();
    let took = a.wait_for("writes to work again", Duration::from_secs(30), |a| {
        a.send(reqwest::Method::POST, "/v1/addresses", Some(TOKEN), Some(body.clone())).0 == 201
    });
    eprintln!("writes answered again {took:?} after the database restarted");
    let (_, created) = a.send(reqwest::Method::POST, "/v1/addresses", Some(TOKEN), Some(body));
    let id = created["id"].as_u64().unwrap();
    a.wait_for("the feed to deliver the write", Duration::from_secs(30), |a| a.in_index(id, lat, lon));
    let (_, ready) = a.get("/ready");
    assert_eq!(ready["database"]["feed_connected"], true, "{ready}");
    assert!(ready["database"]["reconnects"].as_i64().unwrap() >= 1, "{ready}");
    // (`applied_change` may lag: a crash makes PostgreSQL's sequence skip numbers, and the feed waits a while for
    // such a gap to fill before moving its mark past it; the changes themselves are applied at once)
    assert!(ready["database"]["live_changes"].as_u64().unwrap() >= 2, "{ready}");
    let (s, bytes) = a.get_bytes(&format!("/tiles/pg_addresses/{}", tile_of(lon, lat)));
    assert_eq!(s, 200);
    assert!(tile_ids(bytes).contains(&id));
}
