#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The real `diachi` binary: `generate` is byte-stable and writes well-formed CSV / GeoJSON lines, and
//! `import postcodes` writes the canonical table (or nothing at all when the table is malformed).

use diachi_domain::{DigitalAddress, LonLat};
use diachi_geo::geography::{Geography, LoadOptions};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn geo() -> &'static Geography {
    static G: OnceLock<Geography> = OnceLock::new();
    G.get_or_init(|| Geography::load(&LoadOptions::default()).expect("embedded data loads"))
}

fn diachi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_diachi")).args(args).env("RUST_LOG", "warn").output().expect("runs diachi")
}

/// Runs and expects success; returns stdout.
fn ok(args: &[&str]) -> Vec<u8> {
    let out = diachi(args);
    assert!(out.status.success(), "diachi {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// A fresh path in the temp directory, unique to this process and name (removed on drop).
struct TempPath(PathBuf);

impl TempPath {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("diachi-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&p);
        Self(p)
    }

    fn s(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn lines(b: &[u8]) -> Vec<&str> {
    std::str::from_utf8(b).unwrap().lines().collect()
}

const CSV_HEADER: &str =
    "id,house_number,alley,apartment,street,ward_code,ward,province_code,province,postcode,lon,lat,digital_address";

#[test]
fn generate_csv_is_byte_stable_and_seeded() {
    let args = ["generate", "--households", "3000", "--seed", "5", "--format", "csv"];
    let a = ok(&args);
    let b = ok(&args);
    assert_eq!(a, b);
    let rows = lines(&a);
    assert_eq!(rows.len(), 3001);
    assert_eq!(rows[0], CSV_HEADER);
    let c = ok(&["generate", "--households", "3000", "--seed", "6", "--format", "csv"]);
    assert_ne!(a, c);
    assert_eq!(lines(&c).len(), 3001);
    // --out writes the same bytes as standard output
    let out = TempPath::new("out.csv");
    let stdout = ok(&["generate", "--households", "3000", "--seed", "5", "--format", "csv", "--out", out.s()]);
    assert!(stdout.is_empty());
    assert_eq!(std::fs::read(&out.0).unwrap(), a);
    // every row parses, with consecutive ids and a digital address of its own point
    let mut rdr = csv::Reader::from_reader(a.as_slice());
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.unwrap();
        assert_eq!(rec.len(), 13);
        assert_eq!(rec[0].parse::<usize>().unwrap(), i);
        let p = LonLat::new(rec[10].parse().unwrap(), rec[11].parse().unwrap()).unwrap();
        let code = DigitalAddress::parse(&rec[12]).unwrap();
        assert_eq!(code.cell(), DigitalAddress::from_lonlat(p).unwrap().cell(), "row {i}");
    }
}

#[test]
fn generate_geojsonl_writes_point_features() {
    let offices = TempPath::new("offices.geojsonl");
    let out =
        ok(&["generate", "--households", "3000", "--seed", "5", "--format", "geojsonl", "--post-offices", offices.s()]);
    let bbox = diachi_geo::bbox::to_array(geo().bbox());
    let rows = lines(&out);
    assert_eq!(rows.len(), 3000);
    let (mut alleys, mut apartments, mut split_lots) = (0, 0, 0);
    for (i, line) in rows.iter().enumerate() {
        let f: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("line {i}: {e}: {line}"));
        assert_eq!(f["type"], "Feature");
        assert_eq!(f["geometry"]["type"], "Point");
        let c = f["geometry"]["coordinates"].as_array().unwrap();
        assert_eq!(c.len(), 2);
        let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        assert!((bbox[0]..=bbox[2]).contains(&lon) && (bbox[1]..=bbox[3]).contains(&lat), "line {i}: {lon},{lat}");
        let p = f["properties"].as_object().unwrap();
        assert_eq!(p["id"].as_u64(), Some(i as u64));
        let house = p["house_number"].as_str().unwrap();
        assert!(house.parse::<diachi_domain::HouseNumber>().is_ok(), "line {i}: house {house}");
        split_lots += usize::from(!house.bytes().all(|b| b.is_ascii_digit()));
        for key in ["street", "ward", "province"] {
            assert!(p[key].as_str().is_some_and(|s| !s.is_empty()), "line {i}: {key}");
        }
        for (key, digits) in [("ward_code", 5), ("province_code", 2), ("postcode", 5)] {
            let v = p[key].as_str().unwrap();
            assert!(v.len() == digits && v.bytes().all(|b| b.is_ascii_digit()), "line {i}: {key} {v}");
        }
        let ward = geo().ward(diachi_domain::WardCode::parse(p["ward_code"].as_str().unwrap()).unwrap()).unwrap().1;
        assert_eq!(p["ward"].as_str().unwrap(), ward.full_name());
        assert_eq!(p["postcode"].as_str().unwrap(), ward.postcode.as_str());
        let code = DigitalAddress::parse(p["digital_address"].as_str().unwrap()).unwrap();
        assert_eq!(code.cell(), DigitalAddress::from_lonlat(LonLat::new(lon, lat).unwrap()).unwrap().cell());
        if let Some(a) = p.get("alley") {
            assert!(a.as_str().is_some_and(|a| ["Ngõ ", "Hẻm ", "Kiệt "].iter().any(|w| a.starts_with(w))), "{a}");
            alleys += 1;
        }
        if let Some(a) = p.get("apartment") {
            assert!(a.as_u64().is_some_and(|a| a >= 1));
            apartments += 1;
        }
        let known = [
            "id",
            "house_number",
            "alley",
            "apartment",
            "street",
            "ward_code",
            "ward",
            "province_code",
            "province",
            "postcode",
            "digital_address",
        ];
        assert!(p.keys().all(|k| known.contains(&k.as_str())), "line {i}: {:?}", p.keys().collect::<Vec<_>>());
    }
    assert!(alleys > 0 && apartments > 0 && split_lots > 0, "{alleys} {apartments} {split_lots}");
    // the post offices, same format
    let text = std::fs::read_to_string(&offices.0).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), diachi_synth::POST_OFFICES);
    for line in rows {
        let f: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(f["geometry"]["type"], "Point");
        let kind = f["properties"]["kind"].as_str().unwrap();
        assert!(["provincial_hub", "post_office", "cultural_post_point", "service_point"].contains(&kind), "{kind}");
        assert!(f["properties"]["name"].as_str().is_some_and(|n| !n.is_empty()));
    }
}

#[test]
fn generate_writes_post_offices_as_csv() {
    let offices = TempPath::new("offices.csv");
    let out = ok(&["generate", "--households", "200", "--seed", "5", "--post-offices", offices.s()]);
    assert_eq!(lines(&out).len(), 201);
    let text = std::fs::read_to_string(&offices.0).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "id,name,kind,ward_code,province_code,lon,lat");
    assert_eq!(rows.len(), diachi_synth::POST_OFFICES + 1);
    assert_eq!(rows.iter().filter(|r| r.contains(",provincial_hub,")).count(), 34);
}

/// Two wards that get at least two of 2,000 households (the heaviest ones).
fn two_busy_wards() -> [(String, u16); 2] {
    let g = geo();
    let weights: Vec<f64> = g.wards.iter().map(diachi_synth::household_weight).collect();
    let counts = diachi_synth::apportion(&weights, 2_000);
    let mut order: Vec<usize> = (0..g.wards.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(counts[i]));
    let pick = |i: usize| (g.wards[i].code.as_str().to_owned(), i as u16);
    assert!(counts[order[1]] >= 2);
    // one from the north, one from the south, if possible
    let j = order.iter().position(|&i| g.province_of(&g.wards[i]).code != g.province_of(&g.wards[order[0]]).code);
    [pick(order[0]), pick(order[j.unwrap_or(1)])]
}

#[test]
fn imported_postcodes_reach_the_generated_rows() {
    let g = geo();
    let [(a, _), (b, _)] = two_busy_wards();
    let (lo, hi) = if a < b { (&a, &b) } else { (&b, &a) };
    let table = TempPath::new("official.csv");
    let out = TempPath::new("postcodes.official.csv");
    // an unsorted table with alternative column names, padding and a BOM
    std::fs::write(&table.0, format!("\u{feff}ma_xa,ma_buu_chinh\n{hi}, 70707\n {lo},10101\n")).unwrap();
    let said = ok(&["import", "postcodes", table.s(), "--out", out.s()]);
    assert!(String::from_utf8_lossy(&said).contains("imported 2 ward postcodes"), "{}", String::from_utf8_lossy(&said));
    let canonical = std::fs::read_to_string(&out.0).unwrap();
    let (code_lo, code_hi) = ("10101", "70707");
    assert_eq!(canonical, format!("ward_code,postcode\n{lo},{code_lo}\n{hi},{code_hi}\n"));

    let csv_out = ok(&["generate", "--postcodes-file", out.s(), "--households", "2000", "--seed", "3"]);
    let mut rdr = csv::Reader::from_reader(csv_out.as_slice());
    let (mut seen_lo, mut seen_hi, mut others) = (0, 0, 0);
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let (ward, postcode) = (&rec[5], &rec[9]);
        if ward == lo.as_str() {
            assert_eq!(postcode, code_lo);
            seen_lo += 1;
        } else if ward == hi.as_str() {
            assert_eq!(postcode, code_hi);
            seen_hi += 1;
        } else {
            // every other ward keeps its generated code
            let w = g.ward(diachi_domain::WardCode::parse(ward).unwrap()).unwrap().1;
            assert_eq!(postcode, w.postcode.as_str(), "{ward}");
            others += 1;
        }
    }
    assert!(seen_lo >= 2 && seen_hi >= 2 && others > 1_000, "{seen_lo} {seen_hi} {others}");
    // without the table the same wards carry their generated codes
    let plain = ok(&["generate", "--households", "2000", "--seed", "3"]);
    let mut rdr = csv::Reader::from_reader(plain.as_slice());
    for rec in rdr.records() {
        let rec = rec.unwrap();
        if &rec[5] == lo.as_str() {
            assert_ne!(&rec[9], code_lo);
        } else if &rec[5] == hi.as_str() {
            assert_ne!(&rec[9], code_hi);
        }
    }
}

fn assert_rejected(name: &str, table_text: &str, expect_in_message: &[&str]) {
    let table = TempPath::new(&format!("{name}.csv"));
    let out = TempPath::new(&format!("{name}.out.csv"));
    std::fs::write(&table.0, table_text).unwrap();
    let res = diachi(&["import", "postcodes", table.s(), "--out", out.s()]);
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(!res.status.success(), "{name}: accepted");
    for e in expect_in_message {
        assert!(stderr.contains(e), "{name}: message {stderr:?} does not mention {e:?}");
    }
    assert!(!Path::new(&out.0).exists(), "{name}: wrote {}", out.s());
}

#[test]
fn malformed_postcode_tables_are_rejected_and_nothing_is_written() {
    let [(a, _), _] = two_busy_wards();
    assert_rejected(
        "bad-ward",
        &format!("ward_code,postcode\n{a},10101\n0004,10102\n"),
        &["line 3", "ward code must be exactly 5 ASCII digits"],
    );
    assert_rejected(
        "short-postcode",
        &format!("ward_code,postcode\n{a},1010\n"),
        &["line 2", "postcode must be exactly 5 ASCII digits"],
    );
    assert_rejected(
        "unknown-ward",
        &format!("ward_code,postcode\n{a},10101\n99999,10102\n"),
        &["ward 99999 is not one of the 3,321 wards"],
    );
    assert_rejected("no-postcode-column", &format!("ward_code,zip\n{a},10101\n"), &["postcode"]);
    assert_rejected("empty", "ward_code,postcode\n", &["no rows"]);
    assert_rejected("conflict", &format!("ward_code,postcode\n{a},10101\n{a},10102\n"), &[a.as_str(), "10101"]);
    // a missing file is an error too
    let out = TempPath::new("missing.out.csv");
    let res = diachi(&["import", "postcodes", "/nonexistent/diachi-table.csv", "--out", out.s()]);
    assert!(!res.status.success());
    assert!(String::from_utf8_lossy(&res.stderr).contains("/nonexistent/diachi-table.csv"));
    assert!(!out.0.exists());
}

#[test]
fn bad_arguments_are_rejected() {
    for args in [
        &["generate", "--households", "lots"][..],
        &["generate", "--format", "xml"],
        &["generate", "--seed", "-1"],
        &["frobnicate"],
    ] {
        let res = diachi(args);
        assert!(!res.status.success(), "{args:?}");
        assert!(res.stdout.is_empty(), "{args:?}");
    }
}

/// `diachi serve` on a small set, on a free port, with the default log level and no `pii_key`: its log on a pipe.
fn serve_small() -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_diachi"))
        .args(["serve", "--households", "2000", "--bind", "127.0.0.1:0"])
        .env_remove("RUST_LOG")
        .env_remove("DIACHI_PII_KEY")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("runs diachi serve")
}

/// A `GET` of `path` on its own connection (`Connection: close`), the whole answer as text; an error after 20 s.
fn http_get(port: &str, path: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(format!("127.0.0.1:{port}"))?;
    conn.set_read_timeout(Some(std::time::Duration::from_secs(20)))?;
    conn.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes())?;
    let mut answer = String::new();
    conn.read_to_string(&mut answer)?;
    Ok(answer)
}

/// The first run as a user sees it: `serve` with its output redirected logs plain text (no colour codes), says once
/// at info level that the registry is off without a `pii_key`, and ends its start-up with the map's URL.
#[test]
fn serve_logs_plain_text_and_the_maps_url_when_ready() {
    use std::io::{BufRead, BufReader};
    let mut child = serve_small();
    let stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    let mut ready = None;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.split("ready: open ").nth(1) {
            ready = Some(rest.to_owned());
        }
        seen.push(line);
        if ready.is_some() || seen.len() > 200 {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let log = seen.join("\n");
    let ready = ready.unwrap_or_else(|| panic!("no `ready: open …` line:\n{log}"));
    assert!(ready.starts_with("http://127.0.0.1:") && ready.ends_with("/ for the map"), "{ready}");
    let port = seen.iter().find_map(|l| l.split("listening port=").nth(1)).expect("a listening line");
    assert!(ready.contains(&format!(":{}/", port.trim())), "{ready} vs port {port}");
    assert!(!log.contains('\u{1b}'), "colour codes in a redirected log:\n{log}");
    let pii: Vec<&String> = seen.iter().filter(|l| l.contains("pii_key")).collect();
    assert_eq!(pii.len(), 1, "{log}");
    assert!(pii[0].contains(" INFO "), "{}", pii[0]);
    assert!(!log.contains(" WARN "), "a default start warns:\n{log}");
}

/// Issue 19: the tiles' zoom bands are made in the background once the server is ready (no map client waits for
/// one), and `/metrics` counts the log lines dropped by the non-blocking log writer.
#[test]
fn serve_prepares_the_tiles_zoom_bands_after_ready_and_counts_dropped_log_lines() {
    use std::io::{BufRead, BufReader};
    let mut child = serve_small();
    let stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    let (mut ready_at, mut prepared_at) = (None, None);
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if line.contains("ready: open ") {
            ready_at = Some(seen.len());
        }
        if line.contains("tile zoom bands prepared prepare_ms=") {
            prepared_at = Some(seen.len());
        }
        seen.push(line);
        if prepared_at.is_some() || seen.len() > 200 {
            break;
        }
    }
    let log = seen.join("\n");
    let port = seen.iter().find_map(|l| l.split("listening port=").nth(1)).expect("a listening line").trim().to_owned();
    let answer = http_get(&port, "/metrics").unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let (ready_at, prepared_at) = (ready_at.expect(&log), prepared_at.expect(&log));
    assert!(ready_at < prepared_at, "the bands are made after ready, not before:\n{log}");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.lines().any(|l| l == "diachi_log_lines_dropped 0"), "{answer}");
}

/// Issue 19: the request log never holds up a request. A server whose stderr is a pipe nobody reads (a stuck log
/// collector) fills the pipe's buffer after a few hundred lines; with a blocking writer every worker then waits on
/// it forever. Here the lines queue in the log thread and the server keeps answering.
#[test]
fn a_log_nobody_reads_does_not_stop_the_server() {
    use std::io::{BufRead, BufReader};
    let mut child = serve_small();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut port = None;
    let mut line = String::new();
    while port.is_none() && stderr.read_line(&mut line).unwrap() > 0 {
        port = line.split("listening port=").nth(1).map(|p| p.trim().to_owned());
        line.clear();
    }
    let port = port.expect("a listening line");
    // from here on nobody reads the log: 3,000 request lines are far more than a pipe holds (64 KiB)
    let mut answered = 0;
    for _ in 0..3_000 {
        if !http_get(&port, "/health").is_ok_and(|a| a.starts_with("HTTP/1.1 200")) {
            break;
        }
        answered += 1;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    drop(stderr);
    assert_eq!(answered, 3_000, "the server stopped answering after {answered} requests: its log blocks it");
}
