//! Vector tiles (MVT 2.1) of the national map, rendered from the in-memory index, and a bounded cache of encoded
//! tiles. Knows nothing of HTTP: the handlers in `http/routes/tiles.rs` only parse, call [`TileService::get`] and
//! set headers.

pub mod cache;
pub mod export;
pub mod files;
pub mod geom;
mod render;
pub mod streets;

pub use cache::{CachedTile, TileCacheStats, TileService};
pub use render::{MAX_TILE_BYTES, TileRenderer};

use std::fmt;
use std::str::FromStr;

/// Highest zoom of the national map's own tiles (streets, alleys and delivery points need z15–z16).
pub const DETAIL_MAXZOOM: u8 = 16;

/// Highest zoom of any tile URL (tiles beyond a source's own `maxzoom` are 404; beyond this, 400).
pub const MAX_ZOOM: u8 = 22;

/// A tile address `z/x/y` (XYZ scheme, y from the north) that is valid for its zoom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    /// Zoom, 0 to [`MAX_ZOOM`].
    pub z: u8,
    /// Column, from the west, below 2^z.
    pub x: u32,
    /// Row, from the north, below 2^z.
    pub y: u32,
}

impl TileId {
    /// Checks the zoom against [`MAX_ZOOM`] and `x`, `y` against 2^z.
    pub fn new(z: u32, x: u64, y: u64) -> Result<Self, TileError> {
        if z > u32::from(MAX_ZOOM) {
            return Err(TileError::InvalidTile(format!("zoom {z} is above {MAX_ZOOM}")));
        }
        let n = 1u64 << z;
        if x >= n || y >= n {
            return Err(TileError::InvalidTile(format!("x and y must be below 2^{z} = {n} at zoom {z}")));
        }
        Ok(Self { z: z as u8, x: x as u32, y: y as u32 })
    }
}

impl TileId {
    /// The tiles at zooms `0..=maxzoom` whose area, widened by a quarter of a tile, holds the point: the tiles whose
    /// content (features and their buffers) a change at the point can touch.
    #[must_use]
    pub fn around(lon: f64, lat: f64, maxzoom: u8) -> Vec<TileId> {
        let (wx, wy) = geom::world(lon, lat);
        let mut out = Vec::new();
        for z in 0..=maxzoom.min(MAX_ZOOM) {
            let n = 1u64 << z;
            let span = |w: f64| {
                let t = w * n as f64;
                let lo = (t - 0.25).floor().max(0.0) as u64;
                let hi = ((t + 0.25).floor() as u64).min(n - 1);
                lo..=hi
            };
            for x in span(wx) {
                for y in span(wy) {
                    out.push(TileId { z, x: x as u32, y: y as u32 });
                }
            }
        }
        out
    }
}

impl fmt::Display for TileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

/// The layers of the national map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// Land of Việt Nam.
    Country,
    /// Province boundaries.
    Provinces,
    /// Ward (commune-level) boundaries.
    Wards,
    /// Postal zone boundaries.
    PostalZones,
    /// Label points of provinces and wards.
    Labels,
    /// Post offices and service points.
    PostOffices,
    /// Street and alley lines (generated from the synthetic address layout).
    Streets,
    /// Delivery points.
    Addresses,
    /// H3 hexagons with address counts.
    Density,
}

impl Layer {
    /// Drawing order (bottom first) of the `vietnam` source.
    pub const ALL: [Layer; 9] = [
        Layer::Country,
        Layer::Density,
        Layer::Provinces,
        Layer::PostalZones,
        Layer::Wards,
        Layer::Streets,
        Layer::PostOffices,
        Layer::Addresses,
        Layer::Labels,
    ];

    /// The layer's id in tiles and URLs, e.g. `postal_zones`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Layer::Country => "country",
            Layer::Provinces => "provinces",
            Layer::Wards => "wards",
            Layer::PostalZones => "postal_zones",
            Layer::Labels => "labels",
            Layer::PostOffices => "post_offices",
            Layer::Streets => "streets",
            Layer::Addresses => "addresses",
            Layer::Density => "density",
        }
    }

    /// Zooms at which the layer has features: `(minzoom, maxzoom)`; beyond `maxzoom` clients overzoom. Every layer
    /// reaches [`DETAIL_MAXZOOM`], so that the whole map's tiles past z14 (where the streets are) still hold them.
    #[must_use]
    pub fn zooms(self) -> (u8, u8) {
        let min = match self {
            Layer::Country | Layer::Provinces | Layer::Density => 0,
            Layer::Wards => 8,
            Layer::PostalZones => 9,
            Layer::Labels => 3,
            Layer::PostOffices => 10,
            Layer::Streets => 13,
            Layer::Addresses => 14,
        };
        (min, DETAIL_MAXZOOM)
    }

    /// Whether the layer has features at zoom `z`.
    #[must_use]
    pub fn visible_at(self, z: u8) -> bool {
        let (lo, hi) = self.zooms();
        (lo..=hi).contains(&z)
    }

    /// One line on what the layer holds, with its fields.
    #[must_use]
    pub fn description(self) -> &'static str {
        match self {
            Layer::Country => "Land of Việt Nam, Hoàng Sa and Trường Sa included",
            Layer::Provinces => "The 34 provinces and cities (2025): code, name",
            Layer::Wards => "The 3,321 communes, wards and special zones (2025): code, name, kind, province_code",
            Layer::PostalZones => "Postal zones: code (5-digit postcode), province_code",
            Layer::Labels => "Label points of provinces (z3+) and wards (z9+): kind, name, code, rank",
            Layer::PostOffices => "Post offices and service points: id, name, kind",
            Layer::Streets => {
                "Streets (z13+) and alleys (ngõ, kiệt, hẻm; z15+) as lines: name, kind (street, alley), street (of an \
                 alley), origin (generated: drawn from the synthetic addresses' layout, not surveyed)"
            }
            Layer::Addresses => {
                "Delivery points (z14+): id, house, unit, street, digital_address, postcode; in tiles too dense for \
                 500 KB, one point per building with `units` and `house`, or none (see density)"
            }
            Layer::Density => {
                "H3 hexagons with address counts: h3, count, res (res 3 at z0 to res 8 at z13; res 10 in dense z14 tiles)"
            }
        }
    }

    fn fields(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Layer::Country => &[("name", "String")],
            Layer::Provinces => &[("code", "String"), ("name", "String")],
            Layer::Wards => &[("code", "String"), ("name", "String"), ("kind", "String"), ("province_code", "String")],
            Layer::PostalZones => &[("code", "String"), ("province_code", "String")],
            Layer::Labels => &[("kind", "String"), ("name", "String"), ("code", "String"), ("rank", "Number")],
            Layer::PostOffices => &[("id", "Number"), ("name", "String"), ("kind", "String")],
            Layer::Streets => &[("name", "String"), ("kind", "String"), ("street", "String"), ("origin", "String")],
            Layer::Addresses => &[
                ("id", "Number"),
                ("house", "String"),
                ("unit", "Number"),
                ("street", "String"),
                ("digital_address", "String"),
                ("postcode", "String"),
                ("units", "Number"),
            ],
            Layer::Density => &[("h3", "String"), ("count", "Number"), ("res", "Number")],
        }
    }

    /// The TileJSON `vector_layers` entry.
    #[must_use]
    pub fn vector_layer(self) -> serde_json::Value {
        let (minzoom, maxzoom) = self.zooms();
        let fields: serde_json::Map<String, serde_json::Value> =
            self.fields().iter().map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v))).collect();
        serde_json::json!({
            "id": self.name(), "description": self.description(), "minzoom": minzoom, "maxzoom": maxzoom,
            "fields": fields,
        })
    }
}

impl FromStr for Layer {
    type Err = TileError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Layer::ALL.into_iter().find(|l| l.name() == s).ok_or_else(|| TileError::UnknownSource(s.to_owned()))
    }
}

/// A tile source: the whole map or one layer of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// The whole map, every layer.
    Vietnam,
    /// One layer alone.
    Layer(Layer),
}

impl Source {
    /// Every source, the whole map first.
    #[must_use]
    pub fn all() -> Vec<Source> {
        std::iter::once(Source::Vietnam).chain(Layer::ALL.into_iter().map(Source::Layer)).collect()
    }

    /// The source's name in URLs.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Source::Vietnam => "vietnam",
            Source::Layer(l) => l.name(),
        }
    }

    /// The layers the source's tiles hold.
    #[must_use]
    pub fn layers(self) -> Vec<Layer> {
        match self {
            Source::Vietnam => Layer::ALL.to_vec(),
            Source::Layer(l) => vec![l],
        }
    }

    /// Lowest zoom of its layers.
    #[must_use]
    pub fn minzoom(self) -> u8 {
        self.layers().iter().map(|l| l.zooms().0).min().unwrap_or(0)
    }

    /// Highest zoom of its layers.
    #[must_use]
    pub fn maxzoom(self) -> u8 {
        self.layers().iter().map(|l| l.zooms().1).max().unwrap_or(DETAIL_MAXZOOM)
    }

    /// One line on what the source holds.
    #[must_use]
    pub fn description(self) -> &'static str {
        match self {
            Source::Vietnam => "The national map of Việt Nam: every layer, each at its zooms",
            Source::Layer(l) => l.description(),
        }
    }
}

impl FromStr for Source {
    type Err = TileError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "vietnam" { Ok(Source::Vietnam) } else { s.parse().map(Source::Layer) }
    }
}

/// Gzip-compresses tile bytes (no timestamp in the header, so the output is reproducible). Tiles are cached and
/// served with `Compression::fast()`; exports use the default level for smaller files.
pub fn gzip(bytes: &[u8], level: flate2::Compression) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 2), level);
    enc.write_all(bytes)?;
    enc.finish()
}

/// The national bounds of every source (Hoàng Sa and Trường Sa included): `[west, south, east, north]`.
pub const BOUNDS: [f64; 4] = [102.14, 6.5, 117.9, 23.4];

/// Errors of the tile layer.
#[derive(Debug, thiserror::Error)]
pub enum TileError {
    /// A tile address that does not exist.
    #[error("invalid tile: {0}")]
    InvalidTile(String),
    /// A zoom above the source's maximum.
    #[error("zoom {z} is beyond this source's maximum zoom {max}")]
    ZoomOutOfRange {
        /// The zoom asked for.
        z: u8,
        /// The source's maximum zoom.
        max: u8,
    },
    /// No source with this name.
    #[error("no tile source named {0:?}")]
    UnknownSource(String),
    /// The MVT encoder failed.
    #[error("encoding the tile failed: {0}")]
    Encode(#[from] mvt::Error),
    /// Gzip compression failed.
    #[error("compressing the tile failed: {0}")]
    Io(#[from] std::io::Error),
}
