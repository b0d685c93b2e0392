//! Request logging: one line per request with id, method, route pattern, status and latency, and no personal data
//! (no query-string values, no path parameters). Its own binary because it installs a global subscriber: the
//! server's workers run on their own threads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diachi_geo::index::NationalIndex;
use diachi_server::startup::Application;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// The request lines carrying this request id.
fn lines_of(log: &str, id: &str) -> Vec<String> {
    let field = format!("request_id={id}");
    log.lines().filter(|l| l.split(' ').any(|f| f == field)).map(str::to_owned).collect()
}

/// The line without its latency field (whose digits could look like anything).
fn without_latency(line: &str) -> String {
    line.split(' ').filter(|f| !f.starts_with("latency_us=")).collect::<Vec<_>>().join(" ")
}

#[actix_web::test]
async fn one_line_per_request_without_personal_data() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let data = diachi_synth::build_dataset(2_000, 11, None).unwrap();
    let index = Arc::new(NationalIndex::build(data));
    let app = Application::with_index("127.0.0.1:0", index.clone()).unwrap();
    let base = format!("http://127.0.0.1:{}", app.port);
    actix_web::rt::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();

    let set = &index.data.addresses;
    let id = (set.len() / 2) as u32;
    let lat = diachi_geo::dataset::from_e7(set.lat_e7[id as usize]);
    let lon = diachi_geo::dataset::from_e7(set.lon_e7[id as usize]);
    let code = set.digital_address(diachi_domain::AddressId::new(id)).unwrap().to_string();
    let ward = &index.data.geography.wards[usize::from(set.ward[id as usize])];
    let postcode = ward.postcode.to_string();
    let ward_code = ward.code.to_string();

    // (request id, path, route pattern, status, secrets that must not be logged)
    let cases: Vec<(&str, String, &str, u16, Vec<String>)> = vec![
        (
            "log-reverse",
            format!("/v1/reverse?lat={lat}&lon={lon}"),
            "/v1/reverse",
            200,
            vec![lat.to_string(), lon.to_string()],
        ),
        (
            "log-bad-coords",
            "/v1/reverse?lat=12.3456789&lon=secretvalue".into(),
            "/v1/reverse",
            400,
            vec!["12.3456789".into(), "secretvalue".into()],
        ),
        ("log-address", format!("/v1/addresses/{id}"), "/v1/addresses/{id}", 200, vec![format!("/v1/addresses/{id}")]),
        (
            "log-digital",
            format!("/v1/digital-addresses/{code}"),
            "/v1/digital-addresses/{code}",
            200,
            vec![code.clone(), code.replace('-', "")],
        ),
        (
            "log-postcode",
            format!("/v1/postcodes/{postcode}"),
            "/v1/postcodes/{code}",
            200,
            vec![format!("/v1/postcodes/{postcode}")],
        ),
        (
            "log-ward",
            format!("/v1/admin/wards/{ward_code}"),
            "/v1/admin/wards/{code}",
            200,
            vec![format!("/wards/{ward_code}")],
        ),
        (
            "log-radius",
            format!("/v1/addresses?lat={lat}&lon={lon}&radius_m=123.456"),
            "/v1/addresses",
            200,
            vec![lat.to_string(), "123.456".into()],
        ),
        (
            "log-unknown",
            "/v1/private/Nguyen-Van-A".into(),
            "unmatched",
            404,
            vec!["Nguyen-Van-A".into(), "private".into()],
        ),
        ("log-post", "/v1/reverse?lat=21.999111".into(), "/v1/reverse", 405, vec!["21.999111".into()]),
    ];
    for (rid, path, _, status, _) in &cases {
        let req = if rid.ends_with("post") {
            client.post(format!("{base}{path}"))
        } else {
            client.get(format!("{base}{path}"))
        };
        let res = req.header("x-request-id", *rid).send().await.unwrap();
        assert_eq!(res.status().as_u16(), *status, "{path}");
        res.bytes().await.unwrap();
    }

    let log = buffer.text();
    for (rid, path, route, status, secrets) in &cases {
        let lines = lines_of(&log, rid);
        assert_eq!(lines.len(), 1, "{rid}: expected one line, got {lines:#?}");
        let line = &lines[0];
        let method = if rid.ends_with("post") { "POST" } else { "GET" };
        for field in [format!("method={method}"), format!("route={route}"), format!("status={status}")] {
            assert!(line.contains(&field), "{rid}: no {field} in {line}");
        }
        let latency = line.split(' ').find_map(|f| f.strip_prefix("latency_us=")).unwrap_or_else(|| panic!("{line}"));
        latency.parse::<u64>().unwrap();
        assert!(line.contains(" INFO "), "{line}");
        let rest = without_latency(line);
        for s in secrets {
            assert!(!rest.contains(s.as_str()), "{rid}: {s:?} logged in {line}");
        }
        assert!(!line.contains('?'), "a query string was logged: {line}");
        if path.contains('?') {
            let query = path.split('?').nth(1).unwrap();
            assert!(!line.contains(query), "{line}");
        }
    }
    // and nowhere else in the log either
    for (_, _, _, _, secrets) in &cases {
        for s in secrets {
            let leaked: Vec<&str> = log.lines().filter(|l| without_latency(l).contains(s.as_str())).collect();
            assert!(leaked.is_empty(), "{s:?} logged: {leaked:#?}");
        }
    }
    // a request without an id gets a generated one in its line
    let before = log.lines().count();
    client.get(format!("{base}/health")).send().await.unwrap();
    let log = buffer.text();
    let new: Vec<&str> = log.lines().skip(before).filter(|l| l.contains("route=/health")).collect();
    assert_eq!(new.len(), 1, "{new:#?}");
    let rid = new[0].split(' ').find_map(|f| f.strip_prefix("request_id=")).unwrap();
    assert!(uuid::Uuid::parse_str(rid).is_ok(), "{}", new[0]);
}
