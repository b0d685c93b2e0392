//! Export of a source's tiles over a zoom range and a box to a PMTiles or MBTiles file (`diachi tiles export`).
//!
//! Tiles are rendered in parallel (rayon) but written in one fixed order — by zoom, then along the PMTiles Hilbert
//! curve — so the same dataset, range and box give the same file, byte for byte. Empty tiles are not stored. Tiles
//! are stored as gzip-compressed MVT, as both formats expect for vector tiles. The formats themselves are written
//! by the `pmtiles` crate and, for MBTiles 1.3 (an SQLite database), by `rusqlite` with SQLite compiled in.

use flate2::Compression;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use super::geom::{MAX_LAT, world};
use super::{BOUNDS, Layer, Source, TileError, TileId, TileRenderer};

/// Tiles rendered between two writes (and per SQLite transaction).
const CHUNK: usize = 1024;
/// Where the map opens when the box holds it: Hà Nội.
const HANOI: (f64, f64) = (105.85, 21.03);
/// The MBTiles 1.3 `application_id` ("MPBX").
const MBTILES_APPLICATION_ID: i32 = 0x4d50_4258;
/// The attribution written into the files (as in the server's TileJSON).
pub const ATTRIBUTION: &str = "diachi; boundaries: Vietnam administrative units 2025 (see data/LICENSES.md); \
                               addresses, post offices and streets are synthetic (streets generated from the \
                               addresses' layout, not surveyed)";

/// Errors of an export.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Bad options or a bad file name.
    #[error("{0}")]
    Invalid(String),
    /// A tile could not be rendered.
    #[error(transparent)]
    Tile(#[from] TileError),
    /// Writing failed.
    #[error("writing the file failed: {0}")]
    Io(#[from] std::io::Error),
    /// The PMTiles writer failed.
    #[error("writing the PMTiles file failed: {0}")]
    PmTiles(#[from] pmtiles::PmtError),
    /// The MBTiles (SQLite) writer failed.
    #[error("writing the MBTiles file failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// A tile file format, chosen by the file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// PMTiles v3, one file with a directory.
    PmTiles,
    /// MBTiles, an SQLite database.
    MbTiles,
}

impl Format {
    /// `.pmtiles` or `.mbtiles` (any case).
    pub fn from_path(path: &Path) -> Result<Self, ExportError> {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("pmtiles") => Ok(Self::PmTiles),
            Some("mbtiles") => Ok(Self::MbTiles),
            _ => {
                Err(ExportError::Invalid(format!("{}: the file name must end in .pmtiles or .mbtiles", path.display())))
            }
        }
    }

    /// The format's name, `pmtiles` or `mbtiles`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::PmTiles => "pmtiles",
            Self::MbTiles => "mbtiles",
        }
    }
}

/// A longitude/latitude box `[west, south, east, north]`, parsed from `minlon,minlat,maxlon,maxlat`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bbox(pub [f64; 4]);

impl Bbox {
    /// Checks the box: finite, west < east, south < north, within Web Mercator (no crossing of the antimeridian).
    pub fn check(self) -> Result<Self, ExportError> {
        let [w, s, e, n] = self.0;
        let ok = self.0.iter().all(|v| v.is_finite())
            && (-180.0..=180.0).contains(&w)
            && (-180.0..=180.0).contains(&e)
            && (-MAX_LAT..=MAX_LAT).contains(&s)
            && (-MAX_LAT..=MAX_LAT).contains(&n)
            && w < e
            && s < n;
        if ok {
            Ok(self)
        } else {
            Err(ExportError::Invalid(format!(
                "bbox {w},{s},{e},{n}: need minlon < maxlon in [-180, 180] and minlat < maxlat in [-{MAX_LAT:.2}, {MAX_LAT:.2}]"
            )))
        }
    }
}

impl Default for Bbox {
    fn default() -> Self {
        Self(BOUNDS)
    }
}

impl FromStr for Bbox {
    type Err = ExportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let v: Vec<f64> = s
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|e| ExportError::Invalid(format!("bbox {s:?}: {e}")))?;
        let b: [f64; 4] = v
            .try_into()
            .map_err(|_| ExportError::Invalid(format!("bbox {s:?}: need four numbers minlon,minlat,maxlon,maxlat")))?;
        Bbox(b).check()
    }
}

/// The tiles of one zoom that cover a box: columns `x0..=x1`, rows `y0..=y1` (XYZ, y from the north).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileRange {
    /// Zoom.
    pub z: u8,
    /// First column.
    pub x0: u32,
    /// Last column.
    pub x1: u32,
    /// First row (northmost).
    pub y0: u32,
    /// Last row.
    pub y1: u32,
}

impl TileRange {
    /// The tiles that a box touches at a zoom (a box edge on a tile edge does not take the tile beyond it).
    #[must_use]
    pub fn covering(bbox: Bbox, z: u8) -> Self {
        let [w, s, e, n] = bbox.0;
        let size = f64::from(1u32 << z);
        let last = (1u32 << z) - 1;
        let (wx, ny) = world(w, n);
        let (ex, sy) = world(e, s);
        let lo = |v: f64| ((v * size).floor().max(0.0) as u32).min(last);
        let hi = |v: f64, lo: u32| (((v * size).ceil() - 1.0).max(0.0) as u32).clamp(lo, last);
        let (x0, y0) = (lo(wx), lo(ny));
        Self { z, x0, x1: hi(ex, x0), y0, y1: hi(sy, y0) }
    }

    /// Number of tiles.
    #[must_use]
    pub fn len(&self) -> u64 {
        u64::from(self.x1 - self.x0 + 1) * u64::from(self.y1 - self.y0 + 1)
    }

    /// Never: a range holds at least the tile of the box's corner.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The tiles, row by row from the north.
    pub fn iter(&self) -> impl Iterator<Item = TileId> + '_ {
        (self.y0..=self.y1).flat_map(move |y| (self.x0..=self.x1).map(move |x| TileId { z: self.z, x, y }))
    }

    /// The tiles in the order they are written: along the PMTiles Hilbert curve (ascending tile id).
    #[must_use]
    pub fn in_write_order(&self) -> Vec<TileId> {
        // (`TileCoord::new` does not fail here: z ≤ 22 and x, y < 2^z by construction)
        let hilbert =
            |t: &TileId| pmtiles::TileCoord::new(t.z, t.x, t.y).map_or(u64::MAX, |c| pmtiles::TileId::from(c).value());
        let mut v: Vec<(u64, TileId)> = self.iter().map(|t| (hilbert(&t), t)).collect();
        v.sort_unstable_by_key(|p| p.0);
        v.into_iter().map(|p| p.1).collect()
    }
}

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The source to export.
    pub source: Source,
    /// Lowest zoom written.
    pub minzoom: u8,
    /// Highest zoom written.
    pub maxzoom: u8,
    /// The area to cover.
    pub bbox: Bbox,
    /// Draw a progress bar on standard error (when it is a terminal).
    pub progress: bool,
}

impl ExportOptions {
    /// The whole source over its zooms and the national bounds.
    #[must_use]
    pub fn new(source: Source) -> Self {
        Self { source, minzoom: source.minzoom(), maxzoom: source.maxzoom(), bbox: Bbox::default(), progress: false }
    }

    /// Rejects a bad box, minzoom above maxzoom, or maxzoom above the source's.
    pub fn check(&self) -> Result<(), ExportError> {
        self.bbox.check()?;
        if self.minzoom > self.maxzoom {
            return Err(ExportError::Invalid(format!("minzoom {} is above maxzoom {}", self.minzoom, self.maxzoom)));
        }
        if self.maxzoom > self.source.maxzoom() {
            return Err(TileError::ZoomOutOfRange { z: self.maxzoom, max: self.source.maxzoom() }.into());
        }
        Ok(())
    }

    /// The tile ranges, one per zoom, lowest zoom first.
    #[must_use]
    pub fn ranges(&self) -> Vec<TileRange> {
        (self.minzoom..=self.maxzoom).map(|z| TileRange::covering(self.bbox, z)).collect()
    }

    /// Where a map of the export opens: Hà Nội if the box holds it, else the box's middle; zoom 5 within the range.
    #[must_use]
    pub fn center(&self) -> [f64; 3] {
        let [w, s, e, n] = self.bbox.0;
        let (lon, lat) = if (w..=e).contains(&HANOI.0) && (s..=n).contains(&HANOI.1) {
            HANOI
        } else {
            (f64::midpoint(w, e), f64::midpoint(s, n))
        };
        [lon, lat, f64::from(5u8.clamp(self.minzoom, self.maxzoom))]
    }

    /// The TileJSON-like metadata of the file: name, format, bounds, center, zooms and the `vector_layers` that have
    /// features within the zoom range (their zooms clamped to it).
    #[must_use]
    pub fn metadata(&self) -> serde_json::Value {
        let layers: Vec<serde_json::Value> = self
            .source
            .layers()
            .into_iter()
            .filter(|l| {
                let (lo, hi) = l.zooms();
                lo <= self.maxzoom && hi >= self.minzoom
            })
            .map(|l: Layer| {
                let (lo, hi) = l.zooms();
                let mut v = l.vector_layer();
                v["minzoom"] = lo.max(self.minzoom).into();
                v["maxzoom"] = hi.min(self.maxzoom).into();
                v
            })
            .collect();
        serde_json::json!({
            "name": format!("diachi {}", self.source.name()),
            "description": self.source.description(),
            "version": env!("CARGO_PKG_VERSION"),
            "attribution": ATTRIBUTION,
            "type": "overlay",
            "format": "pbf",
            "scheme": "xyz",
            "bounds": self.bbox.0,
            "center": self.center(),
            "minzoom": self.minzoom,
            "maxzoom": self.maxzoom,
            "generator": concat!("diachi ", env!("CARGO_PKG_VERSION")),
            "vector_layers": layers,
        })
    }
}

/// Figures of one zoom of an export.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZoomSummary {
    /// Zoom.
    pub z: u8,
    /// Tiles rendered (the range).
    pub tiles: u64,
    /// Non-empty tiles stored.
    pub written: u64,
    /// Gzip bytes of the stored tiles.
    pub bytes: u64,
    /// Wall time of the zoom, in seconds.
    pub seconds: f64,
}

impl ZoomSummary {
    /// Empty tiles, not stored.
    #[must_use]
    pub fn empty(&self) -> u64 {
        self.tiles - self.written
    }

    /// Tiles rendered per second.
    #[must_use]
    pub fn rate(&self) -> f64 {
        if self.seconds > 0.0 { self.tiles as f64 / self.seconds } else { 0.0 }
    }
}

/// Figures of an export.
#[derive(Debug, Clone)]
pub struct ExportSummary {
    /// The file written.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// Figures per zoom, lowest first.
    pub zooms: Vec<ZoomSummary>,
    /// Size of the file written.
    pub file_bytes: u64,
    /// Wall time of the whole export, in seconds.
    pub seconds: f64,
}

impl ExportSummary {
    /// Non-empty tiles stored, all zooms.
    #[must_use]
    pub fn tiles_written(&self) -> u64 {
        self.zooms.iter().map(|z| z.written).sum()
    }

    /// Empty tiles skipped, all zooms.
    #[must_use]
    pub fn empty_skipped(&self) -> u64 {
        self.zooms.iter().map(ZoomSummary::empty).sum()
    }

    /// Tiles rendered, all zooms.
    #[must_use]
    pub fn tiles_rendered(&self) -> u64 {
        self.zooms.iter().map(|z| z.tiles).sum()
    }
}

impl fmt::Display for ExportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "wrote {} ({}): {} tiles, {} empty skipped, {:.1} MB, in {:.1} s ({:.0} tiles/s rendered)",
            self.path.display(),
            self.format.name(),
            self.tiles_written(),
            self.empty_skipped(),
            self.file_bytes as f64 / 1e6,
            self.seconds,
            if self.seconds > 0.0 { self.tiles_rendered() as f64 / self.seconds } else { 0.0 }
        )?;
        writeln!(
            f,
            "zoom {:>9} {:>9} {:>9} {:>12} {:>9} {:>9}",
            "tiles", "written", "empty", "bytes", "seconds", "tiles/s"
        )?;
        for z in &self.zooms {
            writeln!(
                f,
                "{:>4} {:>9} {:>9} {:>9} {:>12} {:>9.2} {:>9.0}",
                z.z,
                z.tiles,
                z.written,
                z.empty(),
                z.bytes,
                z.seconds,
                z.rate()
            )?;
        }
        Ok(())
    }
}

/// Where the tiles go.
trait Sink {
    /// Stores tiles (gzip MVT), in the order given.
    fn add(&mut self, tiles: &[(TileId, Vec<u8>)]) -> Result<(), ExportError>;
    fn finish(self: Box<Self>) -> Result<(), ExportError>;
}

struct PmTilesSink(pmtiles::PmTilesStreamWriter<File>);

impl PmTilesSink {
    fn create(path: &Path, opts: &ExportOptions) -> Result<Self, ExportError> {
        let [w, s, e, n] = opts.bbox.0;
        let [clon, clat, cz] = opts.center();
        let writer = pmtiles::PmTilesWriter::new(pmtiles::TileType::Mvt)
            .precompressed(pmtiles::Compression::Gzip)
            .internal_compression(pmtiles::Compression::Gzip)
            .min_zoom(opts.minzoom)
            .max_zoom(opts.maxzoom)
            .bounds(w, s, e, n)
            .center(clon, clat)
            .center_zoom(cz as u8)
            .metadata(opts.metadata().to_string())
            .create(File::create(path)?)?;
        Ok(Self(writer))
    }
}

impl Sink for PmTilesSink {
    fn add(&mut self, tiles: &[(TileId, Vec<u8>)]) -> Result<(), ExportError> {
        for (t, gz) in tiles {
            self.0.add_tile(pmtiles::TileCoord::new(t.z, t.x, t.y)?, gz)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), ExportError> {
        Ok(self.0.finalize()?)
    }
}

/// MBTiles 1.3: `metadata` (name, value) and `tiles` (TMS rows: y from the south) tables.
struct MbTilesSink(rusqlite::Connection);

impl MbTilesSink {
    fn create(path: &Path, opts: &ExportOptions) -> Result<Self, ExportError> {
        let conn = rusqlite::Connection::open(path)?;
        // a new file written once: no journal to keep, nothing to sync until the end (the file is renamed into
        // place only when complete)
        conn.execute_batch(&format!(
            "PRAGMA application_id = {MBTILES_APPLICATION_ID};
             PRAGMA journal_mode = OFF;
             PRAGMA synchronous = OFF;
             CREATE TABLE metadata (name TEXT NOT NULL, value TEXT);
             CREATE UNIQUE INDEX name ON metadata (name);
             CREATE TABLE tiles (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL,
                                 tile_row INTEGER NOT NULL, tile_data BLOB NOT NULL);
             CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);"
        ))?;
        let meta = opts.metadata();
        let [w, s, e, n] = opts.bbox.0;
        let [clon, clat, cz] = opts.center();
        let json = serde_json::json!({ "vector_layers": meta["vector_layers"] });
        let rows: Vec<(&str, String)> = vec![
            ("name", meta["name"].as_str().unwrap_or_default().to_owned()),
            ("format", "pbf".into()),
            ("bounds", format!("{w},{s},{e},{n}")),
            ("center", format!("{clon},{clat},{cz}")),
            ("minzoom", opts.minzoom.to_string()),
            ("maxzoom", opts.maxzoom.to_string()),
            ("attribution", ATTRIBUTION.into()),
            ("description", opts.source.description().into()),
            ("type", "overlay".into()),
            ("version", env!("CARGO_PKG_VERSION").into()),
            ("generator", concat!("diachi ", env!("CARGO_PKG_VERSION")).into()),
            ("json", json.to_string()),
        ];
        for (k, v) in rows {
            conn.execute("INSERT INTO metadata (name, value) VALUES (?1, ?2)", (k, v))?;
        }
        Ok(Self(conn))
    }
}

impl Sink for MbTilesSink {
    fn add(&mut self, tiles: &[(TileId, Vec<u8>)]) -> Result<(), ExportError> {
        let tx = self.0.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (t, gz) in tiles {
                let tms_row = (1u32 << t.z) - 1 - t.y;
                insert.execute((t.z, t.x, tms_row, gz))?;
            }
        }
        Ok(tx.commit()?)
    }

    fn finish(self: Box<Self>) -> Result<(), ExportError> {
        self.0.close().map_err(|(_, e)| e)?;
        Ok(())
    }
}

/// Renders one tile and compresses it (gzip, default level; no timestamp, so the bytes are reproducible).
fn render_gzip(renderer: &TileRenderer, source: Source, t: TileId) -> Result<Option<Vec<u8>>, ExportError> {
    let Some(mvt) = renderer.render(source, t)? else { return Ok(None) };
    Ok(Some(super::gzip(&mvt, Compression::default())?))
}

fn progress_bar(total: u64, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} z{msg:>2} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} tiles, {per_sec}, ETA {eta}",
    ) {
        pb.set_style(style);
    }
    pb
}

/// Renders every tile of the options' ranges and writes the non-empty ones to `out` (format by its extension).
/// The file appears only when complete: it is written next to `out` under a temporary name and renamed.
pub fn export(renderer: &TileRenderer, opts: &ExportOptions, out: &Path) -> Result<ExportSummary, ExportError> {
    opts.check()?;
    let format = Format::from_path(out)?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp_name = out.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".partial-{}", std::process::id()));
    let tmp = out.with_file_name(tmp_name);
    let _ = std::fs::remove_file(&tmp);
    let result = write(renderer, opts, format, &tmp);
    match result {
        Ok((zooms, seconds)) => {
            std::fs::rename(&tmp, out)?;
            let file_bytes = std::fs::metadata(out)?.len();
            Ok(ExportSummary { path: out.to_owned(), format, zooms, file_bytes, seconds })
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn write(
    renderer: &TileRenderer,
    opts: &ExportOptions,
    format: Format,
    path: &Path,
) -> Result<(Vec<ZoomSummary>, f64), ExportError> {
    let start = Instant::now();
    let mut sink: Box<dyn Sink> = match format {
        Format::PmTiles => Box::new(PmTilesSink::create(path, opts)?),
        Format::MbTiles => Box::new(MbTilesSink::create(path, opts)?),
    };
    let ranges = opts.ranges();
    let pb = progress_bar(ranges.iter().map(TileRange::len).sum(), opts.progress);
    let mut zooms = Vec::with_capacity(ranges.len());
    for range in &ranges {
        pb.set_message(range.z.to_string());
        let t = Instant::now();
        let mut zs = ZoomSummary { z: range.z, tiles: range.len(), ..ZoomSummary::default() };
        for chunk in range.in_write_order().chunks(CHUNK) {
            let rendered: Vec<Option<(TileId, Vec<u8>)>> = chunk
                .par_iter()
                .map(|&id| {
                    let r = render_gzip(renderer, opts.source, id).map(|gz| gz.map(|g| (id, g)));
                    pb.inc(1);
                    r
                })
                .collect::<Result<_, _>>()?;
            let tiles: Vec<(TileId, Vec<u8>)> = rendered.into_iter().flatten().collect();
            zs.written += tiles.len() as u64;
            zs.bytes += tiles.iter().map(|(_, g)| g.len() as u64).sum::<u64>();
            sink.add(&tiles)?;
        }
        zs.seconds = t.elapsed().as_secs_f64();
        zooms.push(zs);
    }
    sink.finish()?;
    pb.finish_and_clear();
    Ok((zooms, start.elapsed().as_secs_f64()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbox_parses_and_checks() {
        assert_eq!("105.7,20.9,106.0,21.2".parse::<Bbox>().unwrap(), Bbox([105.7, 20.9, 106.0, 21.2]));
        for bad in ["1,2,3", "a,b,c,d", "106,20,105,21", "105,21,106,20", "-190,0,0,1", "0,-89,1,0", "1,2,3,4,5"] {
            assert!(bad.parse::<Bbox>().is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges_cover_the_box_and_no_more() {
        let world = Bbox([-180.0, -MAX_LAT, 180.0, MAX_LAT]);
        for z in 0..6 {
            let r = TileRange::covering(world, z);
            assert_eq!(r.len(), 1u64 << (2 * z), "z{z}");
        }
        // a box on tile edges at z1 (the prime meridian and the equator) takes one tile
        let r = TileRange::covering(Bbox([0.0, -MAX_LAT, 180.0, 0.0]), 1);
        assert_eq!((r.x0, r.x1, r.y0, r.y1), (1, 1, 1, 1));
        // a small box in Hà Nội at z14: the one tile of the point, x = ⌊(105.8342 + 180) / 360 · 2^14⌋ = 13008
        let r = TileRange::covering(Bbox([105.8342, 21.0378, 105.8343, 21.0379]), 14);
        assert_eq!((r.x0, r.x1, r.y0, r.y1), (13008, 13008, 7212, 7212));
        let order = TileRange::covering(Bbox(BOUNDS), 6).in_write_order();
        assert_eq!(order.len() as u64, TileRange::covering(Bbox(BOUNDS), 6).len());
    }

    #[test]
    fn format_by_extension() {
        assert_eq!(Format::from_path(Path::new("a/b.pmtiles")).unwrap(), Format::PmTiles);
        assert_eq!(Format::from_path(Path::new("b.MBTiles")).unwrap(), Format::MbTiles);
        assert!(Format::from_path(Path::new("b.mvt")).is_err());
        assert!(Format::from_path(Path::new("pmtiles")).is_err());
    }

    #[test]
    fn options_are_checked() {
        let mut o = ExportOptions::new(Source::Vietnam);
        assert!(o.check().is_ok());
        o.maxzoom = 17;
        assert!(o.check().is_err());
        o.maxzoom = 3;
        o.minzoom = 4;
        assert!(o.check().is_err());
        let m = ExportOptions { minzoom: 0, maxzoom: 12, ..ExportOptions::new(Source::Vietnam) }.metadata();
        let ids: Vec<&str> = m["vector_layers"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
        assert!(!ids.contains(&"addresses") && ids.contains(&"wards"), "{ids:?}");
        assert_eq!(m["center"], serde_json::json!([105.85, 21.03, 5.0]));
    }
}
