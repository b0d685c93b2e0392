#![allow(clippy::unwrap_used, clippy::expect_used, clippy::float_cmp)]
//! `diachi tiles export` and tile files as sources: a small area of Hà Nội exported to PMTiles and MBTiles, read
//! back with the `pmtiles` crate's own reader and with plain SQL, compared tile by tile with the renderer; exports
//! are byte-stable; an exported file served over HTTP; the command line.

use diachi_geo::index::NationalIndex;
use diachi_server::startup::Application;
use diachi_tiles::export::{Bbox, ExportOptions, ExportSummary, Format, TileRange, export};
use diachi_tiles::files::{FileSourceError, FileSources};
use diachi_tiles::{Source, TileError, TileId, TileRenderer};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

const HOUSEHOLDS: u64 = 20_000;
const SEED: u64 = 7;
/// 0.3° × 0.3° around central Hà Nội.
const HANOI: Bbox = Bbox([105.7, 20.9, 106.0, 21.2]);
const MAXZOOM: u8 = 12;

fn index() -> Arc<NationalIndex> {
    static INDEX: OnceLock<Arc<NationalIndex>> = OnceLock::new();
    INDEX
        .get_or_init(|| Arc::new(NationalIndex::build(diachi_synth::build_dataset(HOUSEHOLDS, SEED, None).unwrap())))
        .clone()
}

fn renderer() -> &'static TileRenderer {
    static R: OnceLock<TileRenderer> = OnceLock::new();
    R.get_or_init(|| TileRenderer::new(index()))
}

fn options() -> ExportOptions {
    ExportOptions { source: Source::Vietnam, minzoom: 0, maxzoom: MAXZOOM, bbox: HANOI, progress: false }
}

/// Every tile of the range with the renderer's bytes (uncompressed MVT), `None` for the empty ones.
fn expected() -> &'static BTreeMap<TileId, Option<Vec<u8>>> {
    static E: OnceLock<BTreeMap<TileId, Option<Vec<u8>>>> = OnceLock::new();
    E.get_or_init(|| {
        options()
            .ranges()
            .iter()
            .flat_map(|r| r.iter().collect::<Vec<_>>())
            .map(|t| (t, renderer().render(Source::Vietnam, t).unwrap()))
            .collect()
    })
}

fn non_empty() -> BTreeSet<TileId> {
    expected().iter().filter(|(_, b)| b.is_some()).map(|(t, _)| *t).collect()
}

fn gunzip(gz: &[u8]) -> Vec<u8> {
    assert_eq!(&gz[..2], &[0x1f, 0x8b], "gzip magic");
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gz).read_to_end(&mut out).unwrap();
    out
}

/// A fresh directory in the temp directory, unique to this process and name (removed on drop).
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("diachi-export-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn export_to(path: &Path) -> ExportSummary {
    export(renderer(), &options(), path).unwrap()
}

/// The summary agrees with the renderer: every tile of the range rendered, the non-empty ones written.
fn check_summary(s: &ExportSummary) {
    let ranges = options().ranges();
    assert_eq!(s.zooms.len(), usize::from(MAXZOOM) + 1);
    assert_eq!(s.tiles_rendered(), ranges.iter().map(TileRange::len).sum::<u64>());
    assert_eq!(s.tiles_written(), non_empty().len() as u64);
    assert_eq!(s.empty_skipped(), expected().len() as u64 - non_empty().len() as u64);
    for z in &s.zooms {
        assert_eq!(z.written, non_empty().iter().filter(|t| t.z == z.z).count() as u64, "z{}", z.z);
    }
    assert_eq!(s.file_bytes, std::fs::metadata(&s.path).unwrap().len());
    assert!(s.tiles_written() > 20, "{s}");
}

fn check_vector_layers(layers: &serde_json::Value) {
    let ids: Vec<&str> = layers.as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
    // the layers of the map with features at z0–12 (addresses start at z14)
    for id in ["country", "provinces", "wards", "postal_zones", "labels", "post_offices", "density"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(!ids.contains(&"addresses"), "{ids:?}");
    for l in layers.as_array().unwrap() {
        assert!(l["fields"].is_object() && l["maxzoom"].as_u64().unwrap() <= u64::from(MAXZOOM), "{l}");
    }
}

#[actix_web::test]
async fn pmtiles_export_holds_the_renderers_tiles() {
    let dir = TempDir::new("pm");
    let path = dir.path("hanoi.pmtiles");
    let summary = export_to(&path);
    check_summary(&summary);
    assert_eq!(summary.format, Format::PmTiles);

    // read back with the crate's own reader and backend (memory-mapped), not ours
    let backend = pmtiles::MmapBackend::try_from(&path).await.unwrap();
    let reader = pmtiles::AsyncPmTilesReader::try_from_source(backend).await.unwrap();
    let h = reader.get_header();
    assert_eq!(h.tile_type, pmtiles::TileType::Mvt);
    assert_eq!(h.tile_compression, pmtiles::Compression::Gzip);
    assert_eq!((h.min_zoom, h.max_zoom), (0, MAXZOOM));
    assert!(h.clustered());
    assert_eq!(h.n_addressed_tiles().map(u64::from), Some(non_empty().len() as u64));
    let got = [h.min_longitude, h.min_latitude, h.max_longitude, h.max_latitude];
    for (g, w) in got.iter().zip(HANOI.0) {
        assert!((g - w).abs() < 1e-6, "bounds {got:?}");
    }
    for (t, want) in expected() {
        let tile = reader.get_tile(pmtiles::TileCoord::new(t.z, t.x, t.y).unwrap()).await.unwrap();
        match (tile, want) {
            (Some(gz), Some(mvt)) => assert_eq!(&gunzip(&gz), mvt, "tile {t}"),
            (None, None) => {}
            (got, _) => panic!("tile {t}: stored {:?} bytes, renderer empty: {}", got.map(|b| b.len()), want.is_none()),
        }
    }
    // tiles outside the range are not there
    for (z, x, y) in [(13, 6500, 3600), (5, 0, 0), (12, 0, 0)] {
        assert!(reader.get_tile(pmtiles::TileCoord::new(z, x, y).unwrap()).await.unwrap().is_none());
    }
    let meta: serde_json::Value = serde_json::from_str(&reader.get_metadata().await.unwrap()).unwrap();
    assert_eq!(meta["format"], "pbf");
    assert_eq!(meta["minzoom"], 0);
    assert_eq!(meta["maxzoom"], MAXZOOM);
    assert_eq!(meta["bounds"], serde_json::json!(HANOI.0));
    check_vector_layers(&meta["vector_layers"]);
}

#[test]
fn mbtiles_export_holds_the_renderers_tiles() {
    let dir = TempDir::new("mb");
    let path = dir.path("hanoi.mbtiles");
    let summary = export_to(&path);
    check_summary(&summary);
    assert_eq!(summary.format, Format::MbTiles);
    assert!(!dir.path("hanoi.mbtiles-journal").exists());

    // plain SQL over the MBTiles 1.3 schema
    let db = rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let app_id: i64 = db.query_row("PRAGMA application_id", (), |r| r.get(0)).unwrap();
    assert_eq!(app_id, 0x4d50_4258, "MBTiles application id");
    let count: i64 = db.query_row("SELECT count(*) FROM tiles", (), |r| r.get(0)).unwrap();
    assert_eq!(count, non_empty().len() as i64);
    let mut st = db.prepare("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles").unwrap();
    let rows: Vec<(u8, u32, u32, Vec<u8>)> =
        st.query_map((), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(Result::unwrap).collect();
    let mut seen = BTreeSet::new();
    for (z, x, tms_row, gz) in rows {
        // MBTiles rows count from the south (TMS)
        let t = TileId { z, x, y: (1u32 << z) - 1 - tms_row };
        let want = expected().get(&t).unwrap_or_else(|| panic!("tile {t} is outside the range"));
        assert_eq!(Some(gunzip(&gz)), *want, "tile {t}");
        seen.insert(t);
    }
    assert_eq!(seen, non_empty());
    let meta: BTreeMap<String, String> = db
        .prepare("SELECT name, value FROM metadata")
        .unwrap()
        .query_map((), |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(meta["format"], "pbf");
    assert_eq!(meta["minzoom"], "0");
    assert_eq!(meta["maxzoom"], MAXZOOM.to_string());
    let bounds: Vec<f64> = meta["bounds"].split(',').map(|v| v.parse().unwrap()).collect();
    assert_eq!(bounds, HANOI.0);
    assert!(meta["name"].contains("vietnam"));
    let json: serde_json::Value = serde_json::from_str(&meta["json"]).unwrap();
    check_vector_layers(&json["vector_layers"]);

    // and through the server's reader: the same tiles, gzip
    let files = FileSources::open(&BTreeMap::from([("hn".to_owned(), path.clone())])).unwrap();
    let info = files.info("hn").unwrap();
    assert_eq!((info.minzoom, info.maxzoom, info.bounds), (0, MAXZOOM, HANOI.0));
    for (t, want) in expected().iter().step_by(3) {
        assert_eq!(files.get("hn", *t).unwrap().map(|g| gunzip(&g)), *want, "tile {t}");
    }
}

#[test]
fn exports_are_byte_stable_whatever_the_threads() {
    let dir = TempDir::new("det");
    for ext in ["pmtiles", "mbtiles"] {
        let a = dir.path(&format!("a.{ext}"));
        let b = dir.path(&format!("b.{ext}"));
        let c = dir.path(&format!("c.{ext}"));
        export_to(&a);
        export_to(&b);
        // one thread renders in another order in time than two: the file must not change
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        pool.install(|| export_to(&c));
        let (a, b, c) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap(), std::fs::read(c).unwrap());
        assert!(a.len() > 10_000, "{ext}: {} bytes", a.len());
        assert!(a == b, "{ext}: two exports differ");
        assert!(a == c, "{ext}: one thread and many give different files");
    }
    // no temporary file left behind
    let left: Vec<_> = std::fs::read_dir(&dir.0).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 6, "{left:?}");
}

#[test]
fn a_failed_export_leaves_no_file() {
    let dir = TempDir::new("fail");
    let out = dir.path("x.pmtiles");
    let too_deep = ExportOptions { maxzoom: 17, ..options() };
    assert!(matches!(
        export(renderer(), &too_deep, &out),
        Err(diachi_tiles::export::ExportError::Tile(TileError::ZoomOutOfRange { z: 17, max: 16 }))
    ));
    assert!(export(renderer(), &options(), &dir.path("x.geojson")).is_err());
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 0);
}

#[test]
fn tile_files_are_checked_when_opened() {
    let dir = TempDir::new("open");
    let open = |name: &str, path: PathBuf| FileSources::open(&BTreeMap::from([(name.to_owned(), path)]));
    assert!(matches!(open("vietnam", dir.path("a.pmtiles")), Err(FileSourceError::BuiltIn(_))));
    assert!(matches!(open("wards", dir.path("a.pmtiles")), Err(FileSourceError::BuiltIn(_))));
    assert!(matches!(open("a/b", dir.path("a.pmtiles")), Err(FileSourceError::InvalidName(_))));
    assert!(matches!(open("a.json", dir.path("a.pmtiles")), Err(FileSourceError::InvalidName(_))));
    assert!(matches!(open("hn", dir.path("missing.pmtiles")), Err(FileSourceError::Open { .. })));
    assert!(matches!(open("hn", dir.path("missing.mbtiles")), Err(FileSourceError::Open { .. })));
    std::fs::write(dir.path("junk.pmtiles"), b"not a pmtiles archive, just some bytes").unwrap();
    std::fs::write(dir.path("junk.mbtiles"), b"not an sqlite database, just some bytes").unwrap();
    std::fs::write(dir.path("junk.txt"), b"").unwrap();
    for f in ["junk.pmtiles", "junk.mbtiles", "junk.txt"] {
        let e = open("hn", dir.path(f)).err().unwrap_or_else(|| panic!("{f} opened"));
        assert!(matches!(e, FileSourceError::Open { .. }), "{f}: {e}");
    }
    assert!(open("hn", dir.path("junk.mbtiles")).is_err());
    // an empty set is fine
    assert!(FileSources::open(&BTreeMap::new()).unwrap().is_empty());
}

/// A running server with the exported files as sources `hanoi` (PMTiles) and `hanoi_mb` (MBTiles).
struct Served {
    base: String,
    client: reqwest::Client,
    _dir: TempDir,
}

impl Served {
    async fn get(&self, path: &str, gzip: bool) -> reqwest::Response {
        let enc = if gzip { "gzip" } else { "identity" };
        self.client.get(format!("{}{path}", self.base)).header("Accept-Encoding", enc).send().await.unwrap()
    }

    async fn json(&self, path: &str) -> serde_json::Value {
        let res = self.get(path, false).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        res.json().await.unwrap()
    }
}

/// `async` so that it can only be called on the test's (actix) runtime, which `rt::spawn` needs.
#[allow(clippy::unused_async)]
async fn serve_exports() -> Served {
    let dir = TempDir::new("http");
    let (pm, mb) = (dir.path("hanoi.pmtiles"), dir.path("hanoi.mbtiles"));
    export_to(&pm);
    export_to(&mb);
    let files = FileSources::open(&BTreeMap::from([("hanoi".to_owned(), pm), ("hanoi_mb".to_owned(), mb)])).unwrap();
    let shared =
        diachi_server::http::Shared { files: Some(Arc::new(files)), ..diachi_server::startup::default_shared() };
    let index = index();
    let services = diachi_server::startup::services(index, None, None, 64);
    let app = Application::serve("127.0.0.1:0", shared, services).unwrap();
    let base = format!("http://127.0.0.1:{}", app.port);
    actix_web::rt::spawn(app.run_until_stopped());
    Served { base, client: reqwest::Client::new(), _dir: dir }
}

#[actix_web::test]
async fn an_exported_file_is_served_as_a_source() {
    let s = serve_exports().await;
    // the largest z12 tile of the area: it has everything of the map at that zoom
    let (t, mvt) = expected()
        .iter()
        .filter(|(t, _)| t.z == MAXZOOM)
        .filter_map(|(t, b)| Some((*t, b.as_ref()?)))
        .max_by_key(|(_, b)| b.len())
        .unwrap();
    let mut etags = Vec::new();
    for name in ["hanoi", "hanoi_mb"] {
        let path = format!("/tiles/{name}/{t}.mvt");
        let res = s.get(&path, true).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()[CONTENT_TYPE], "application/vnd.mapbox-vector-tile");
        assert_eq!(res.headers()[CONTENT_ENCODING], "gzip");
        let etag = res.headers()[ETAG].to_str().unwrap().to_owned();
        assert_eq!(&gunzip(&res.bytes().await.unwrap()), mvt, "{path}");
        // not accepting gzip: the MVT itself
        let res = s.get(&path, false).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_ne!(res.headers().get(CONTENT_ENCODING).map(|v| v.to_str().unwrap()), Some("gzip"));
        assert_eq!(&res.bytes().await.unwrap().to_vec(), mvt);
        // revalidation
        let res = s.client.get(format!("{}{path}", s.base)).header(IF_NONE_MATCH, &etag).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "{path}");
        etags.push(etag);

        // an empty tile within the zooms (outside the area) is 204; beyond the file's maxzoom, 404
        let res = s.get(&format!("/tiles/{name}/{MAXZOOM}/0/0.mvt"), true).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let res = s.get(&format!("/tiles/{name}/{}/{}/{}", MAXZOOM + 1, t.x * 2, t.y * 2), false).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let err: serde_json::Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "tile_out_of_range", "{err}");
        // a bad tile address is still 400
        let res = s.get(&format!("/tiles/{name}/3/8/0"), true).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);

        let tj = s.json(&format!("/tiles/{name}.json")).await;
        assert_eq!(tj["tilejson"], "3.0.0");
        assert_eq!(tj["tiles"][0], format!("{}/tiles/{name}/{{z}}/{{x}}/{{y}}.mvt", s.base));
        assert_eq!((tj["minzoom"].as_u64(), tj["maxzoom"].as_u64()), (Some(0), Some(u64::from(MAXZOOM))));
        let b: Vec<f64> = tj["bounds"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        assert!(b.iter().zip(HANOI.0).all(|(g, w)| (g - w).abs() < 1e-6), "{b:?}");
        check_vector_layers(&tj["vector_layers"]);
    }
    // the same gzip bytes in both files, so the same validator
    assert_eq!(etags[0], etags[1]);

    let catalog = s.json("/catalog").await;
    for name in ["hanoi", "hanoi_mb", "vietnam", "wards"] {
        assert!(catalog["tiles"][name].is_object(), "{name} missing from {catalog}");
    }
    assert_eq!(catalog["tiles"]["hanoi"]["tilejson"], format!("{}/tiles/hanoi.json", s.base));
    assert_eq!(catalog["tiles"]["hanoi"]["maxzoom"], MAXZOOM);
    assert!(catalog["tiles"]["hanoi"]["layers"].as_array().unwrap().contains(&"wards".into()));
    // unknown names stay 404
    for path in ["/tiles/hanoi2/1/1/0.mvt", "/tiles/hanoi2.json"] {
        let res = s.get(path, false).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        let err: serde_json::Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "source_not_found");
    }
}

fn diachi(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_diachi")).args(args).env("RUST_LOG", "warn").output().expect("runs diachi")
}

#[test]
fn the_command_exports_a_tiny_range() {
    let dir = TempDir::new("cli");
    let out = dir.path("tiny.pmtiles");
    let args = [
        "tiles",
        "export",
        "--households",
        "3000",
        "--seed",
        "5",
        "--minzoom",
        "0",
        "--maxzoom",
        "6",
        "--bbox",
        "105.7,20.9,106.0,21.2",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    let run = diachi(&args);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8(run.stdout).unwrap();
    // the summary: totals and one line per zoom
    assert!(stdout.starts_with(&format!("wrote {}", out.display())), "{stdout}");
    assert_eq!(stdout.lines().filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit())).count(), 7);
    let first = std::fs::read(&out).unwrap();
    assert_eq!(&first[..7], b"PMTiles");
    let files = FileSources::open(&BTreeMap::from([("t".to_owned(), out.clone())])).unwrap();
    assert_eq!(files.info("t").map(|i| (i.minzoom, i.maxzoom)), Some((0, 6)));
    // z0–6 over this box is one tile a zoom, none of them empty
    for z in 0..=6u8 {
        let r = TileRange::covering(HANOI, z);
        assert_eq!(r.len(), 1);
        assert!(files.get("t", TileId { z, x: r.x0, y: r.y0 }).unwrap().is_some(), "z{z}");
    }
    // again: the same bytes
    assert!(diachi(&args).status.success());
    assert!(std::fs::read(&out).unwrap() == first);

    // MBTiles by the extension
    let mb = dir.path("tiny.mbtiles");
    let mut mb_args = args;
    mb_args[13] = mb.to_str().unwrap();
    assert!(diachi(&mb_args).status.success());
    let db = rusqlite::Connection::open(&mb).unwrap();
    let n: i64 = db.query_row("SELECT count(*) FROM tiles", (), |r| r.get(0)).unwrap();
    assert_eq!(n, 7);

    // bad arguments fail before any work and write nothing
    for (i, bad) in [(13, dir.path("x.zip").to_str().unwrap().to_owned()), (11, "106,21,105,20".to_owned())] {
        let mut a = args.map(str::to_owned);
        a[i] = bad;
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let run = diachi(&a);
        assert!(!run.status.success(), "{a:?}");
        assert!(!String::from_utf8_lossy(&run.stderr).is_empty());
    }
    let run = diachi(&["tiles", "export", "--maxzoom", "17", "--out", dir.path("deep.pmtiles").to_str().unwrap()]);
    assert!(!run.status.success());
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 2);
}

#[test]
fn serve_refuses_a_bad_tiles_file_at_start() {
    let dir = TempDir::new("serve");
    for (arg, says) in [
        ("vietnam=x.pmtiles".to_owned(), "built-in"),
        (format!("hn={}", dir.path("missing.pmtiles").display()), "missing.pmtiles"),
        ("nonsense".to_owned(), "NAME=PATH"),
    ] {
        let run = diachi(&["serve", "--bind", "127.0.0.1:0", "--households", "1000", "--tiles-file", &arg]);
        assert!(!run.status.success(), "{arg}");
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(err.contains(says), "{arg}: {err}");
    }
}
