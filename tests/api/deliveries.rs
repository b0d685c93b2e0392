//! Courier delivery planning: POST /v1/deliveries/plan, the plans made in the background and their GeoJSON, GPX
//! and CSV forms.

use diachi_domain::{AddressId, WardIdx};
use diachi_geo::index::NationalIndex;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::helpers::*;

const PLAN: &str = "/v1/deliveries/plan";
const NAMES: [&str; 5] = ["Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Hoàng Phúc", "Phạm Minh Khôi", "Đặng Thu Hà"];

/// The app over the shared index with smaller delivery limits (and the test token).
#[allow(clippy::unused_async)]
async fn spawn_small(max_shipments: usize, sync_max: usize) -> TestApp {
    let index = index();
    let keyring = test_keyring();
    let settings = diachi_delivery::Settings {
        max_shipments,
        sync_max_shipments: sync_max,
        ..diachi_delivery::Settings::default()
    };
    let app = app_with(diachi_server::http::Shared { delivery: settings, ..shared_with_keys(keyring) });
    let address = format!("http://127.0.0.1:{}", app.port);
    actix_web::rt::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { address, client, index }
}

impl TestApp {
    /// POST a plan request with the test token; status, headers and the body as JSON.
    async fn plan(&self, query: &str, body: &Value) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let res =
            self.authorized(self.client.post(self.url(&format!("{PLAN}{query}")))).json(body).send().await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        let text = res.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}, not JSON ({e}): {text:.300}"));
        (status, headers, json)
    }

    async fn get_authorized(&self, path: &str) -> reqwest::Response {
        self.authorized(self.client.get(self.url(path))).send().await.unwrap()
    }

    /// Polls a plan made in the background until it is done (or fails), within a deadline.
    async fn wait_done(&self, href: &str) -> Value {
        self.wait_done_within(href, Duration::from_mins(2)).await
    }

    async fn wait_done_within(&self, href: &str, limit: Duration) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let res = self.get_authorized(href).await;
            assert_eq!(res.status(), StatusCode::OK);
            let body: Value = res.json().await.unwrap();
            match body["status"].as_str().unwrap() {
                "done" => return body,
                "queued" | "running" => {}
                other => panic!("the plan is {other}: {body}"),
            }
            assert!(Instant::now() < deadline, "the plan is not done after {limit:?}: {body}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// Two post offices of one province (in different wards, a few km apart, each with addresses around it).
fn two_offices(ix: &NationalIndex) -> (u32, u32, Vec<AddressId>) {
    let geo = &ix.data.geography;
    let province = |w: WardIdx| geo.wards[usize::from(w)].province;
    let offices = &ix.data.post_offices;
    let hanoi = geo.wards[usize::from(geo.ward(diachi_domain::WardCode::parse("00004").unwrap()).unwrap().0)].province;
    let mut found = None;
    'outer: for a in offices.iter().filter(|o| province(o.ward) == hanoi) {
        for b in offices.iter().filter(|o| province(o.ward) == hanoi && o.ward != a.ward) {
            let d = a.location().unwrap().distance_m(b.location().unwrap());
            if (2_000.0..8_000.0).contains(&d) {
                found = Some((a, b));
                break 'outer;
            }
        }
    }
    let (a, b) = found.expect("two offices in Hà Nội 2 to 8 km apart");
    // addresses near each office, in the province
    let mut ids = Vec::new();
    for o in [a, b] {
        let near = ix.nearest_addresses(o.location().unwrap(), 60);
        ids.extend(
            near.iter()
                .filter(|h| ix.view(h.id).is_some_and(|v| province(v.ward_index) == hanoi))
                .map(|h| h.id)
                .take(15),
        );
    }
    (a.id, b.id, ids)
}

/// Text for an address that the resolver places on it: the old form without diacritics when it can be had,
/// else today's form without diacritics.
fn text_for(ix: &NationalIndex, resolver: &diachi_resolve::Resolver, id: AddressId) -> Option<String> {
    let geo = &ix.data.geography;
    let v = ix.view(id)?;
    let forms = diachi_synth::forms::OldForms::new(geo);
    let mut texts = Vec::new();
    if let Some((pieces, row)) = forms.old_form(geo, &v, id.get())
        && row.is_divided != 1
    {
        texts.push(diachi_synth::noise::strip_marks(&diachi_synth::forms::join(&pieces)).to_lowercase());
    }
    texts.push(diachi_synth::noise::strip_marks(&v.formatted).to_lowercase());
    texts.into_iter().find(|t| resolver.resolve(ix, t, None).address.and_then(|a| a.address_id) == Some(id))
}

fn resolver() -> Arc<diachi_resolve::Resolver> {
    static R: std::sync::OnceLock<Arc<diachi_resolve::Resolver>> = std::sync::OnceLock::new();
    R.get_or_init(|| Arc::new(diachi_resolve::Resolver::build(&index()))).clone()
}

/// A request: shipments near two offices given as text, digital addresses and coordinates, with windows and names;
/// one too heavy for any courier and one whose address names nothing.
fn request(ix: &NationalIndex) -> (Value, HashMap<String, (AddressId, bool)>) {
    let (a, b, ids) = two_offices(ix);
    let r = resolver();
    let mut shipments = Vec::new();
    let mut expected = HashMap::new();
    for (k, &id) in ids.iter().enumerate() {
        let v = ix.view(id).unwrap();
        let sid = format!("S{k:03}");
        let mut s = match k % 3 {
            0 => match text_for(ix, &r, id) {
                Some(t) => json!({"id": sid, "address": t}),
                None => json!({"id": sid, "digital_address": v.digital_address}),
            },
            1 => json!({"id": sid, "digital_address": v.digital_address}),
            _ => json!({"id": sid, "lon": v.lon, "lat": v.lat}),
        };
        match k % 4 {
            0 => s["window"] = json!({"start": "08:00", "end": "12:00"}),
            1 => s["window"] = json!({"start": "13:30", "end": "17:00"}),
            _ => {}
        }
        if k % 5 == 0 {
            s["parcels"] = json!(3);
        }
        s["recipient"] = json!(NAMES[k % NAMES.len()]);
        expected.insert(sid, (id, k % 3 == 2));
        shipments.push(s);
    }
    shipments.push(json!({"id": "HEAVY", "digital_address": ix.view(ids[0]).unwrap().digital_address, "parcels": 500,
        "recipient": NAMES[0]}));
    shipments.push(json!({"id": "NOWHERE", "address": "xxxxxxxxxx yyyyyyyyyy zzzzzzzzzzz", "recipient": NAMES[1]}));
    let body = json!({
        "date": "2026-11-26",
        "seed": 42,
        "shipments": shipments,
        "post_offices": [
            {"id": a, "couriers": {"count": 2, "capacity": 20, "profile": "motorbike",
                "shift": {"start": "07:30", "end": "18:00"}}},
            {"id": b, "couriers": [
                {"count": 1, "capacity": 15, "profile": "walking", "shift": {"start": "08:00", "end": "17:30"}},
                {"count": 1, "capacity": 20, "profile": "motorbike", "shift": {"start": "07:30", "end": "18:00"}}]},
        ],
    });
    (body, expected)
}

/// The plan without the timings that vary between runs.
fn without_timings(mut plan: Value) -> Value {
    let s = plan["summary"].as_object_mut().unwrap();
    s.remove("solve_ms");
    s.remove("locate_ms");
    plan
}

/// Checks the rules every plan keeps, against its request.
fn check_plan(req: &Value, plan: &Value) {
    let shipments: HashMap<&str, &Value> =
        req["shipments"].as_array().unwrap().iter().map(|s| (s["id"].as_str().unwrap(), s)).collect();
    let fleets: HashMap<u64, Vec<&Value>> = req["post_offices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let c = &o["couriers"];
            let list = if c.is_array() { c.as_array().unwrap().iter().collect() } else { vec![c] };
            (o["id"].as_u64().unwrap(), list)
        })
        .collect();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for o in plan["post_offices"].as_array().unwrap() {
        let fleet = &fleets[&o["id"].as_u64().unwrap()];
        for c in o["couriers"].as_array().unwrap() {
            // the courier's fleet: couriers are numbered through the fleets in order
            let n = c["index"].as_u64().unwrap();
            let mut left = n;
            let f = fleet
                .iter()
                .find(|f| {
                    let count = f["count"].as_u64().unwrap();
                    if left <= count {
                        true
                    } else {
                        left -= count;
                        false
                    }
                })
                .unwrap();
            assert_eq!(c["courier"], format!("{}-{n}", o["id"]));
            assert_eq!(c["capacity"], f["capacity"]);
            let stops = c["stops"].as_array().unwrap();
            assert!(!stops.is_empty());
            let load: u64 = stops.iter().map(|s| s["parcels"].as_u64().unwrap()).sum();
            assert_eq!(c["parcels"].as_u64().unwrap(), load);
            assert!(load <= f["capacity"].as_u64().unwrap(), "{c}");
            let shift_start = format!("{}:00", f["shift"]["start"].as_str().unwrap());
            let shift_end = format!("{}:00", f["shift"]["end"].as_str().unwrap());
            assert!(c["departure"].as_str().unwrap() >= shift_start.as_str(), "{c}");
            assert!(c["return"].as_str().unwrap() <= shift_end.as_str(), "{c}");
            for (k, s) in stops.iter().enumerate() {
                assert_eq!(s["sequence"], k + 1);
                let id = s["shipment"].as_str().unwrap();
                *seen.entry(id.to_owned()).or_default() += 1;
                let given = shipments[id];
                assert_eq!(s["parcels"], given["parcels"].as_u64().unwrap_or(1));
                let (arr, start) = (s["arrival"].as_str().unwrap(), s["service_start"].as_str().unwrap());
                assert!(arr <= start && start <= s["departure"].as_str().unwrap(), "{s}");
                if let Some(w) = given.get("window") {
                    let ws = format!("{}:00", w["start"].as_str().unwrap());
                    let we = format!("{}:00", w["end"].as_str().unwrap());
                    assert!(ws.as_str() <= start && start <= we.as_str(), "{s} outside {w}");
                }
                if given.get("recipient").is_some() {
                    assert!(s["recipient"].as_str().unwrap().ends_with('*'), "{s}");
                }
                assert!(!s["address"].as_str().unwrap().is_empty());
            }
        }
    }
    for u in plan["unassigned"].as_array().unwrap() {
        *seen.entry(u["shipment"].as_str().unwrap().to_owned()).or_default() += 1;
        assert!(!u["message"].as_str().unwrap().is_empty());
    }
    let all: BTreeMap<String, usize> = shipments.keys().map(|k| ((*k).to_owned(), 1)).collect();
    assert_eq!(seen, all, "every shipment exactly once, on a route or unassigned");
    let s = &plan["summary"];
    assert_eq!(s["shipments"], shipments.len());
    assert_eq!(s["routed"].as_u64().unwrap() + s["unassigned"].as_u64().unwrap(), shipments.len() as u64);
}

fn reason_of<'a>(plan: &'a Value, id: &str) -> Option<&'a str> {
    plan["unassigned"].as_array().unwrap().iter().find(|u| u["shipment"] == id).and_then(|u| u["reason"].as_str())
}

#[actix_web::test]
async fn a_plan_routes_every_shipment_or_says_why() {
    let app = spawn_app().await;
    let (req, expected) = request(&app.index);
    let (status, _, plan) = app.plan("", &req).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    check_plan(&req, &plan);
    assert_eq!(reason_of(&plan, "HEAVY"), Some("over_capacity"), "{}", plan["unassigned"]);
    assert_eq!(reason_of(&plan, "NOWHERE"), Some("address_not_found"), "{}", plan["unassigned"]);
    // everything else fits: a few dozen stops near their offices, four couriers, a day's shift
    assert_eq!(plan["summary"]["unassigned"], 2, "{}", plan["unassigned"]);
    assert_eq!(plan["date"], "2026-11-26");
    // each stop is at its address, with today's address text
    for o in plan["post_offices"].as_array().unwrap() {
        for c in o["couriers"].as_array().unwrap() {
            for s in c["stops"].as_array().unwrap() {
                let (id, by_point) = expected[s["shipment"].as_str().unwrap()];
                let v = app.index.view(id).unwrap();
                assert!(haversine(f(&s["lon"]), f(&s["lat"]), v.lon, v.lat) < 1.0);
                assert_eq!(s["postcode"], v.postcode);
                if !by_point {
                    // (a point may be shared by the flats of a building: its address is one of them)
                    assert_eq!(s["address"], v.formatted.as_str(), "{s}");
                    assert_eq!(s["digital_address"], v.digital_address.as_str());
                }
            }
        }
    }
    // the same seed, the same plan
    let (_, _, again) = app.plan("", &req).await;
    assert_eq!(without_timings(again), without_timings(plan.clone()));
    // no name in full anywhere
    let text = plan.to_string();
    for name in NAMES {
        assert!(!text.contains(name), "{name} in the plan");
    }
    assert!(text.contains("\"N. V. A*\""), "masked names in the plan");
}

#[actix_web::test]
async fn a_plan_made_in_the_background_and_its_formats() {
    let app = spawn_app().await;
    let (req, _) = request(&app.index);
    let (status, headers, accepted) = app.plan("?async=true", &req).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let href = accepted["href"].as_str().unwrap();
    let id = accepted["id"].as_str().unwrap();
    assert_eq!(accepted["status"], "queued");
    assert_eq!(href, format!("/v1/deliveries/plans/{id}"));
    assert_eq!(headers["location"], href);
    assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    let done = app.wait_done(href).await;
    assert_eq!(done["id"], id);
    assert_eq!(done["progress"], 1.0);
    let plan = done["plan"].clone();
    check_plan(&req, &plan);
    // the same plan as answered at once
    let (_, _, sync) = app.plan("", &req).await;
    assert_eq!(without_timings(sync), without_timings(plan.clone()));
    // Prefer: respond-async works as ?async=true
    let res = app
        .authorized(app.client.post(app.url(PLAN)))
        .header("prefer", "respond-async, wait=10")
        .json(&req)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);

    // GeoJSON: a route and its stops per courier, a point per post office
    let res = app.get_authorized(&format!("{href}?format=geojson")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/geo+json"));
    let geo: Value = res.json().await.unwrap();
    assert_eq!(geo["type"], "FeatureCollection");
    let features = geo["features"].as_array().unwrap();
    let kind = |k: &str| features.iter().filter(|f| f["properties"]["kind"] == k).collect::<Vec<_>>();
    let couriers: Vec<&Value> =
        plan["post_offices"].as_array().unwrap().iter().flat_map(|o| o["couriers"].as_array().unwrap()).collect();
    assert!(!couriers.is_empty());
    assert_eq!(kind("post_office").len(), 2);
    assert_eq!(kind("route").len(), couriers.len());
    assert_eq!(kind("stop").len() as u64, plan["summary"]["routed"].as_u64().unwrap());
    let colours: HashSet<&str> = kind("route").iter().map(|f| f["properties"]["color"].as_str().unwrap()).collect();
    assert_eq!(colours.len(), couriers.len(), "a colour per courier");
    for r in kind("route") {
        assert_eq!(r["geometry"]["type"], "LineString");
        let c = couriers.iter().find(|c| c["courier"] == r["properties"]["courier"]).unwrap();
        let line = r["geometry"]["coordinates"].as_array().unwrap();
        assert_eq!(line.len(), c["stops"].as_array().unwrap().len() + 2);
        assert_eq!(line.first(), line.last(), "from the office back to it");
        assert_eq!(r["properties"]["stops"], c["stops"].as_array().unwrap().len());
    }
    for s in kind("stop") {
        assert_eq!(s["geometry"]["type"], "Point");
        assert!(s["properties"]["sequence"].as_u64().unwrap() >= 1);
        assert_eq!(s["properties"]["arrival"].as_str().unwrap().len(), 5);
    }

    // per courier: a GPX route and a CSV manifest
    let mut outputs = vec![plan.to_string(), geo.to_string()];
    for c in &couriers {
        let name = c["courier"].as_str().unwrap();
        let stops = c["stops"].as_array().unwrap();
        let res = app.get_authorized(&format!("{href}/couriers/{name}/route.gpx")).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "application/gpx+xml");
        let gpx = res.text().await.unwrap();
        let doc = roxmltree::Document::parse(&gpx).unwrap_or_else(|e| panic!("GPX is not XML ({e}): {gpx:.500}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "gpx");
        assert_eq!(root.attribute("version"), Some("1.1"));
        let rtepts: Vec<_> = doc.descendants().filter(|n| n.tag_name().name() == "rtept").collect();
        assert_eq!(rtepts.len(), stops.len() + 2);
        for (k, s) in stops.iter().enumerate() {
            let p = rtepts[k + 1];
            assert!((p.attribute("lat").unwrap().parse::<f64>().unwrap() - f(&s["lat"])).abs() < 1e-9);
            let name = p.children().find(|n| n.tag_name().name() == "name").unwrap().text().unwrap();
            assert_eq!(name, format!("{} {}", k + 1, s["shipment"].as_str().unwrap()));
            let desc = p.children().find(|n| n.tag_name().name() == "desc").unwrap().text().unwrap();
            assert_eq!(desc, s["address"].as_str().unwrap());
        }
        outputs.push(gpx);

        let res = app.get_authorized(&format!("{href}/couriers/{name}/manifest.csv")).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
        let csv = res.text().await.unwrap();
        let mut lines = csv.split("\r\n");
        assert_eq!(lines.next(), Some("sequence,shipment,recipient,address,digital_address,postcode,arrival,parcels"));
        let mut rd = csv::Reader::from_reader(csv.as_bytes());
        let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), stops.len());
        for (row, s) in rows.iter().zip(stops) {
            assert_eq!(&row[0], s["sequence"].to_string());
            assert_eq!(&row[1], s["shipment"].as_str().unwrap());
            assert!(row[2].ends_with('*') && row[2].len() < 20, "masked: {}", &row[2]);
            assert_eq!(&row[3], s["address"].as_str().unwrap());
        }
        outputs.push(csv);
    }
    for out in &outputs {
        for name in NAMES {
            assert!(!out.contains(name), "{name} in an output");
            // nor its given name
            let given = name.rsplit(' ').next().unwrap();
            assert!(!out.contains(&format!(" {given}*")), "{given}");
        }
    }

    // unknown plans and couriers
    let zeros = "0".repeat(32);
    for path in [
        format!("/v1/deliveries/plans/{zeros}"),
        "/v1/deliveries/plans/nope".into(),
        format!("/v1/deliveries/plans/{zeros}/couriers/1-1/route.gpx"),
    ] {
        let res = app.get_authorized(&path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert_error(&res.json().await.unwrap(), "plan_not_found", &path);
    }
    let res = app.get_authorized(&format!("{href}/couriers/999-9/manifest.csv")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_error(&res.json().await.unwrap(), "courier_not_found", "courier");
}

#[actix_web::test]
async fn bad_requests_are_clear_errors() {
    let app = spawn_small(5, 3).await;
    let ix = &app.index;
    let office = ix.data.post_offices[0].id;
    let v = ix.view(AddressId::new(0)).unwrap();
    let fleet = json!({"count": 1, "capacity": 10, "profile": "van", "shift": {"start": "08:00", "end": "17:00"}});
    let offices = json!([{"id": office, "couriers": fleet}]);
    let ship = |id: &str| json!({"id": id, "digital_address": v.digital_address});
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({"shipments": [], "post_offices": offices}), 400, "empty_plan"),
        (json!({"shipments": [ship("a")], "post_offices": []}), 400, "empty_plan"),
        (json!({"shipments": [ship("a"), ship("a")], "post_offices": offices}), 400, "duplicate_shipment_id"),
        (json!({"shipments": [ship("")], "post_offices": offices}), 400, "invalid_shipment_id"),
        (json!({"shipments": [ship(&"x".repeat(65))], "post_offices": offices}), 400, "invalid_shipment_id"),
        (
            json!({"shipments": [ship("a")], "post_offices": [{"id": 4_000_000_000u32, "couriers": fleet}]}),
            400,
            "unknown_post_office",
        ),
        (
            json!({"shipments": [ship("a")], "post_offices": [{"id": office, "couriers": fleet}, {"id": office,
            "couriers": fleet}]}),
            400,
            "duplicate_post_office",
        ),
        (
            json!({"shipments": [{"id": "a", "address": "x", "lon": 105.8, "lat": 21.0}], "post_offices": offices}),
            400,
            "invalid_location",
        ),
        (json!({"shipments": [{"id": "a"}], "post_offices": offices}), 400, "invalid_location"),
        (json!({"shipments": [{"id": "a", "lon": 105.8}], "post_offices": offices}), 400, "invalid_location"),
        (
            json!({"shipments": [{"id": "a", "lon": 200.0, "lat": 21.0}], "post_offices": offices}),
            400,
            "invalid_coordinates",
        ),
        (
            json!({"shipments": [{"id": "a", "lon": 105.8, "lat": 21.0, "window": {"start": "25:00", "end": "26:00"}}],
            "post_offices": offices}),
            400,
            "invalid_window",
        ),
        (
            json!({"shipments": [{"id": "a", "lon": 105.8, "lat": 21.0, "window": {"start": "12:00", "end": "11:00"}}],
            "post_offices": offices}),
            400,
            "invalid_window",
        ),
        (
            json!({"shipments": [{"id": "a", "lon": 105.8, "lat": 21.0, "parcels": 0}], "post_offices": offices}),
            400,
            "invalid_parcels",
        ),
        (
            json!({"shipments": [ship("a")], "post_offices": [{"id": office, "couriers": {"count": 0, "capacity": 1,
            "profile": "van", "shift": {"start": "08:00", "end": "17:00"}}}]}),
            400,
            "invalid_fleet",
        ),
        (
            json!({"shipments": [ship("a")], "post_offices": [{"id": office, "couriers": {"count": 1, "capacity": 1,
            "profile": "van", "shift": {"start": "18:00", "end": "17:00"}}}]}),
            400,
            "invalid_shift",
        ),
        (
            json!({"shipments": [ship("a")], "post_offices": [{"id": office, "couriers": {"count": 1, "capacity": 1,
            "profile": "bicycle", "shift": {"start": "08:00", "end": "17:00"}}}]}),
            400,
            "invalid_body",
        ),
        (json!({"shipments": [ship("a")], "post_offices": offices, "date": "26/11/2026"}), 400, "invalid_date"),
        (json!({"shipments": [ship("a")], "post_offices": offices, "extra": 1}), 400, "invalid_body"),
        (
            json!({"shipments": (0..6).map(|i| ship(&i.to_string())).collect::<Vec<_>>(), "post_offices": offices}),
            413,
            "too_many_shipments",
        ),
    ];
    for (body, status, code) in cases {
        let (got, _, json) = app.plan("", &body).await;
        assert_eq!(got.as_u16(), status, "{code}: {json}");
        assert_error(&json, code, code);
    }
    let res = app
        .authorized(app.client.post(app.url(PLAN)))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_error(&res.json().await.unwrap(), "invalid_body", "not JSON");
    let res = app.authorized(app.client.post(app.url(PLAN))).body("{}").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_error(&res.json().await.unwrap(), "unsupported_media_type", "no content type");
    let res = app.get_authorized(&format!("{PLAN}?format=xml")).await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    // a batch over the threshold is made in the background
    let four = json!({"shipments": (0..4).map(|i| ship(&i.to_string())).collect::<Vec<_>>(), "post_offices": offices});
    let (status, _, accepted) = app.plan("", &four).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let done = app.wait_done(accepted["href"].as_str().unwrap()).await;
    check_plan(&four, &done["plan"]);
    // a plan not done yet has no GeoJSON: covered by the 409 `plan_not_ready` path; a plan of three is answered at
    // once, also as GeoJSON
    let three = json!({"shipments": (0..3).map(|i| ship(&i.to_string())).collect::<Vec<_>>(), "post_offices": offices});
    let res =
        app.authorized(app.client.post(app.url(&format!("{PLAN}?format=geojson")))).json(&three).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/geo+json"));
    let geo: Value = res.json().await.unwrap();
    assert_eq!(geo["type"], "FeatureCollection");
}

fn cli(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_diachi")).args(args).output().unwrap();
    assert!(out.status.success(), "diachi {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn key(file: &Path, scope: &str) -> String {
    cli(&["keys", "create", "--keys-file", file.to_str().unwrap(), "--name", "delivery-test", "--scope", scope])
}

#[actix_web::test]
async fn only_keys_with_the_scope_plan_and_see_their_own_plans() {
    let dir = std::env::temp_dir().join(format!("diachi-api-deliveries-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("keys.jsonl");
    let planner = key(&file, "delivery:plan");
    let other_planner = key(&file, "delivery:plan");
    let validator = key(&file, "address:validate");
    let keyring = diachi_auth::Keyring::new(None, Some(file.clone()), 0, Duration::ZERO);
    let app = app_with(shared_with_keys(keyring));
    let base = format!("http://127.0.0.1:{}", app.port);
    actix_web::rt::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let ix = index();
    let body = json!({
        "shipments": [{"id": "a", "digital_address": ix.view(AddressId::new(0)).unwrap().digital_address}],
        "post_offices": [{"id": ix.data.post_offices[0].id, "couriers": {"count": 1, "capacity": 5, "profile": "van",
            "shift": {"start": "08:00", "end": "17:00"}}}],
    });
    let post = |k: Option<&str>| {
        let mut r = client.post(format!("{base}{PLAN}?async=true")).json(&body);
        if let Some(k) = k {
            r = r.bearer_auth(k);
        }
        r.send()
    };
    let res = post(None).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_error(&res.json().await.unwrap(), "unauthorized", "no key");
    let res = post(Some(&validator)).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_error(&res.json().await.unwrap(), "forbidden", "no scope");
    let res = post(Some(&planner)).await.unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let accepted: Value = res.json().await.unwrap();
    let url = format!("{base}{}", accepted["href"].as_str().unwrap());
    let get = |k: Option<&str>| {
        let mut r = client.get(&url);
        if let Some(k) = k {
            r = r.bearer_auth(k);
        }
        r.send()
    };
    assert_eq!(get(None).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(get(Some(&validator)).await.unwrap().status(), StatusCode::FORBIDDEN);
    let res = get(Some(&other_planner)).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "another key's plan");
    assert_error(&res.json().await.unwrap(), "plan_not_found", "another key");
    assert_eq!(get(Some(&planner)).await.unwrap().status(), StatusCode::OK);
    let _ = std::fs::remove_dir_all(&dir);
}
