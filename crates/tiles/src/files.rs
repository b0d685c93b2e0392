//! Tile sources read from files: PMTiles (the `pmtiles` crate's reader) and MBTiles (SQLite via `rusqlite`), opened
//! at start (`serve --tiles-file NAME=PATH`) and served by name beside the in-memory sources. Knows nothing of HTTP:
//! the tile handler asks [`FileSources::tile`] when a name is not a built-in source.
//!
//! The PMTiles reader is the crate's async one over a backend of our own that reads with `pread` (no memory map, so
//! a file replaced or truncated underneath gives an error rather than a crash): every future it makes is ready at
//! once, so it is polled a single time, without a runtime, and never waits.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use super::export::Format;
use super::{CachedTile, Source, TileError, TileId};

/// Errors of opening a tile file.
#[derive(Debug, thiserror::Error)]
pub enum FileSourceError {
    /// A source name that is not 1 to 64 of `[A-Za-z0-9_-]`.
    #[error("tile source name {0:?}: use letters, digits, `_` and `-` (at most 64)")]
    InvalidName(String),
    /// A name taken by a built-in source.
    #[error("tile source name {0:?} is a built-in source")]
    BuiltIn(String),
    /// The file cannot be opened or read.
    #[error("{}: {message}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// A source name: 1 to 64 of `[A-Za-z0-9_-]` (it is a URL path segment and a key of `/catalog`).
pub fn check_name(name: &str) -> Result<(), FileSourceError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok { Ok(()) } else { Err(FileSourceError::InvalidName(name.to_owned())) }
}

/// What a tile file says of itself.
#[derive(Debug, Clone)]
pub struct FileInfo {
    /// PMTiles or MBTiles.
    pub format: Format,
    /// Lowest zoom of the file.
    pub minzoom: u8,
    /// Highest zoom of the file.
    pub maxzoom: u8,
    /// `[west, south, east, north]`
    pub bounds: [f64; 4],
    /// `[lon, lat, zoom]`
    pub center: [f64; 3],
    /// The file's metadata object (name, description, attribution, `vector_layers`, …).
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

impl FileInfo {
    fn text(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).and_then(serde_json::Value::as_str)
    }

    /// The ids of the file's `vector_layers`.
    #[must_use]
    pub fn layer_ids(&self) -> Vec<&str> {
        self.metadata
            .get("vector_layers")
            .and_then(serde_json::Value::as_array)
            .map(|a| a.iter().filter_map(|l| l.get("id").and_then(serde_json::Value::as_str)).collect())
            .unwrap_or_default()
    }

    /// The metadata's description, or a generic one.
    #[must_use]
    pub fn description(&self) -> &str {
        self.text("description").unwrap_or("vector tiles from a file")
    }
}

/// The named tile files of a server.
#[derive(Default)]
pub struct FileSources {
    sources: BTreeMap<String, FileSource>,
}

struct FileSource {
    info: FileInfo,
    reader: Reader,
}

enum Reader {
    PmTiles { reader: Box<pmtiles::AsyncPmTilesReader<PreadBackend, pmtiles::HashMapCache>>, gzip: bool },
    MbTiles(MbTiles),
}

impl FileSources {
    /// Opens every file (format by extension) and reads its header and metadata; fails on the first bad one.
    pub fn open(files: &BTreeMap<String, PathBuf>) -> Result<Self, FileSourceError> {
        let mut sources = BTreeMap::new();
        for (name, path) in files {
            check_name(name)?;
            if name.parse::<Source>().is_ok() {
                return Err(FileSourceError::BuiltIn(name.clone()));
            }
            let open_err = |message: String| FileSourceError::Open { path: path.clone(), message };
            let format = Format::from_path(path).map_err(|e| open_err(e.to_string()))?;
            let source = match format {
                Format::PmTiles => open_pmtiles(path),
                Format::MbTiles => open_mbtiles(path),
            }
            .map_err(open_err)?;
            tracing::info!(
                name = %name, path = %path.display(), format = format.name(), minzoom = source.info.minzoom,
                maxzoom = source.info.maxzoom, "tile file opened"
            );
            sources.insert(name.clone(), source);
        }
        Ok(Self { sources })
    }

    /// Whether no file is open.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// The names of the sources, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.sources.keys().map(String::as_str)
    }

    /// Whether a source has this name.
    #[must_use]
    pub fn contains(&self, name: &str) -> bool {
        self.sources.contains_key(name)
    }

    /// What the file of this name says of itself.
    #[must_use]
    pub fn info(&self, name: &str) -> Option<&FileInfo> {
        self.sources.get(name).map(|s| &s.info)
    }

    /// A tile's gzip-compressed MVT bytes; `None` when the file has no such tile (below its minzoom, outside its
    /// bounds or empty there). Beyond the file's maxzoom: [`TileError::ZoomOutOfRange`]. Reads the file (call it off
    /// the async workers).
    pub fn get(&self, name: &str, t: TileId) -> Result<Option<Vec<u8>>, TileError> {
        let src = self.sources.get(name).ok_or_else(|| TileError::UnknownSource(name.to_owned()))?;
        if t.z > src.info.maxzoom {
            return Err(TileError::ZoomOutOfRange { z: t.z, max: src.info.maxzoom });
        }
        if t.z < src.info.minzoom {
            return Ok(None);
        }
        let bytes = match &src.reader {
            Reader::PmTiles { reader, gzip: stored_gzip } => {
                let coord = pmtiles::TileCoord::new(t.z, t.x, t.y).map_err(io_err)?;
                let tile = now(reader.get_tile(coord))?.map_err(io_err)?;
                match tile {
                    Some(b) if *stored_gzip => Some(b.to_vec()),
                    Some(b) => Some(gzip(&b)?),
                    None => None,
                }
            }
            Reader::MbTiles(m) => m.get(t)?,
        };
        Ok(bytes.filter(|b| !b.is_empty()))
    }

    /// [`get`](Self::get) with an ETag, as the tile handler sends it.
    pub fn tile(&self, name: &str, t: TileId) -> Result<CachedTile, TileError> {
        let gzip = self.get(name, t)?;
        let hash = gzip.as_deref().map_or(0, xxhash_rust::xxh3::xxh3_64);
        Ok(CachedTile { gzip: gzip.map(Arc::from), etag: Arc::from(format!("\"{hash:016x}\"")), raw: None })
    }

    /// TileJSON 3.0.0 of a source, its tiles at `tiles_url` (a `{z}/{x}/{y}` template).
    #[must_use]
    pub fn tilejson(&self, name: &str, tiles_url: &str) -> Option<serde_json::Value> {
        let info = self.info(name)?;
        let mut doc = serde_json::json!({
            "tilejson": "3.0.0",
            "name": info.text("name").unwrap_or(name),
            "description": info.description(),
            "scheme": "xyz",
            "tiles": [tiles_url],
            "minzoom": info.minzoom,
            "maxzoom": info.maxzoom,
            "bounds": info.bounds,
            "center": info.center,
            "vector_layers": info.metadata.get("vector_layers").cloned().unwrap_or_else(|| serde_json::json!([])),
        });
        for key in ["version", "attribution"] {
            if let Some(v) = info.text(key) {
                doc[key] = v.into();
            }
        }
        Some(doc)
    }
}

fn io_err(e: impl std::error::Error + Send + Sync + 'static) -> TileError {
    TileError::Io(std::io::Error::other(e))
}

fn gzip(b: &[u8]) -> Result<Vec<u8>, TileError> {
    Ok(super::gzip(b, flate2::Compression::fast())?)
}

/// Polls a future that cannot wait (see the module's doc) once.
fn now<F: Future>(f: F) -> Result<F::Output, TileError> {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => Ok(v),
        Poll::Pending => Err(TileError::Io(std::io::Error::other("the PMTiles reader waited on I/O"))),
    }
}

/// Reads a file with positioned reads, synchronously (every future is ready when made).
struct PreadBackend(File);

impl pmtiles::AsyncBackend for PreadBackend {
    fn read(
        &self,
        offset: u64,
        length: usize,
    ) -> impl Future<Output = pmtiles::PmtResult<pmtiles::BackendResponse>> + Send {
        let mut buf = vec![0u8; length];
        let mut got = 0;
        let res = loop {
            match self.0.read_at(&mut buf[got..], offset + got as u64) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    got += n;
                    if got == length {
                        break Ok(());
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        buf.truncate(got);
        std::future::ready(res.map(|()| pmtiles::BackendResponse::new(bytes::Bytes::from(buf))).map_err(Into::into))
    }
}

fn open_pmtiles(path: &Path) -> Result<FileSource, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let reader =
        now(pmtiles::AsyncPmTilesReader::try_from_cached_source(PreadBackend(file), pmtiles::HashMapCache::default()))
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("not a PMTiles v3 archive: {e}"))?;
    let h = reader.get_header();
    if h.tile_type != pmtiles::TileType::Mvt {
        return Err(format!("holds {:?} tiles, not vector tiles (MVT)", h.tile_type));
    }
    let gzip = match h.tile_compression {
        pmtiles::Compression::Gzip => true,
        pmtiles::Compression::None => false,
        other => return Err(format!("tiles compressed with {other:?}: only gzip or none is served")),
    };
    let metadata = match now(reader.get_metadata()).map_err(|e| e.to_string())? {
        Ok(s) => serde_json::from_str(&s).map_err(|e| format!("metadata is not a JSON object: {e}"))?,
        Err(_) => serde_json::Map::new(), // an archive may have no metadata
    };
    let info = FileInfo {
        format: Format::PmTiles,
        minzoom: h.min_zoom,
        maxzoom: h.max_zoom,
        bounds: [h.min_longitude, h.min_latitude, h.max_longitude, h.max_latitude],
        center: [h.center_longitude, h.center_latitude, f64::from(h.center_zoom)],
        metadata,
    };
    Ok(FileSource { info, reader: Reader::PmTiles { reader: Box::new(reader), gzip } })
}

/// An MBTiles file: read-only SQLite connections, one per concurrent reader (kept for reuse).
struct MbTiles {
    path: PathBuf,
    idle: Mutex<Vec<rusqlite::Connection>>,
}

impl MbTiles {
    fn connect(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
        use rusqlite::OpenFlags as F;
        rusqlite::Connection::open_with_flags(path, F::SQLITE_OPEN_READ_ONLY | F::SQLITE_OPEN_NO_MUTEX)
    }

    fn get(&self, t: TileId) -> Result<Option<Vec<u8>>, TileError> {
        let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
        let conn = match idle {
            Some(c) => c,
            None => Self::connect(&self.path).map_err(io_err)?,
        };
        let tms_row = (1u32 << t.z) - 1 - t.y;
        let row: rusqlite::Result<Option<Vec<u8>>> = conn
            .prepare_cached("SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3")
            .and_then(|mut st| {
                let mut rows = st.query((t.z, t.x, tms_row))?;
                rows.next()?.map(|r| r.get::<_, Vec<u8>>(0)).transpose()
            });
        if let Ok(mut v) = self.idle.lock() {
            v.push(conn);
        }
        match row.map_err(io_err)? {
            // tiles are gzip MVT by convention; store-as-is writers may leave them raw
            Some(b) if b.starts_with(&[0x1f, 0x8b]) => Ok(Some(b)),
            Some(b) if b.is_empty() => Ok(None),
            Some(b) => Ok(Some(gzip(&b)?)),
            None => Ok(None),
        }
    }
}

fn open_mbtiles(path: &Path) -> Result<FileSource, String> {
    if !path.is_file() {
        return Err("no such file".into());
    }
    let conn = MbTiles::connect(path).map_err(|e| e.to_string())?;
    let mut rows: BTreeMap<String, String> = BTreeMap::new();
    {
        let mut st =
            conn.prepare("SELECT name, value FROM metadata").map_err(|e| format!("not an MBTiles file: {e}"))?;
        let it = st
            .query_map((), |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?.unwrap_or_default())))
            .map_err(|e| e.to_string())?;
        for r in it {
            let (k, v) = r.map_err(|e| e.to_string())?;
            rows.insert(k, v);
        }
    }
    if let Some(f) = rows.get("format").filter(|f| f.as_str() != "pbf") {
        return Err(format!("holds {f} tiles, not vector tiles (pbf)"));
    }
    let zooms: (Option<u8>, Option<u8>) = conn
        .query_row("SELECT min(zoom_level), max(zoom_level) FROM tiles", (), |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(|e| format!("not an MBTiles file: {e}"))?;
    let minzoom = rows.get("minzoom").and_then(|v| v.parse().ok()).or(zooms.0).unwrap_or(0);
    let maxzoom = rows.get("maxzoom").and_then(|v| v.parse().ok()).or(zooms.1).unwrap_or(minzoom);
    let numbers = |key: &str| -> Option<Vec<f64>> {
        rows.get(key)?.split(',').map(|p| p.trim().parse().ok()).collect::<Option<Vec<f64>>>()
    };
    let bounds = numbers("bounds").and_then(|v| <[f64; 4]>::try_from(v).ok()).unwrap_or([
        -180.0,
        -85.051_129,
        180.0,
        85.051_129,
    ]);
    let center = numbers("center").and_then(|v| <[f64; 3]>::try_from(v).ok()).unwrap_or([
        f64::midpoint(bounds[0], bounds[2]),
        f64::midpoint(bounds[1], bounds[3]),
        f64::from(minzoom),
    ]);
    let mut metadata = serde_json::Map::new();
    if let Some(Ok(serde_json::Value::Object(m))) = rows.get("json").map(|j| serde_json::from_str(j)) {
        metadata.extend(m);
    }
    for (k, v) in &rows {
        if !matches!(k.as_str(), "json" | "bounds" | "center" | "minzoom" | "maxzoom") {
            metadata.insert(k.clone(), v.clone().into());
        }
    }
    let info = FileInfo { format: Format::MbTiles, minzoom, maxzoom, bounds, center, metadata };
    Ok(FileSource { info, reader: Reader::MbTiles(MbTiles { path: path.to_owned(), idle: Mutex::new(vec![conn]) }) })
}
