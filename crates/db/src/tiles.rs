//! Tile sources rendered by PostGIS (`ST_AsMVT`), beside the in-memory ones, so that both can be compared: the same
//! layer names and attributes, SQL in `sql/tiles/`. Cached like the in-memory tiles and dropped by the change feed.

use deadpool_postgres::Pool;

use super::DbError;
use diachi_tiles::cache::TileCache;
use diachi_tiles::{CachedTile, Layer, TileError, TileId};

/// A layer served from PostGIS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PgLayer {
    /// Addresses.
    Addresses,
    /// Ward boundaries.
    Wards,
    /// Postal zone boundaries.
    PostalZones,
}

impl PgLayer {
    /// Every layer.
    pub const ALL: [PgLayer; 3] = [PgLayer::Addresses, PgLayer::Wards, PgLayer::PostalZones];

    /// The source's name: `pg_` and the layer's.
    #[must_use]
    pub fn source_name(self) -> &'static str {
        match self {
            PgLayer::Addresses => "pg_addresses",
            PgLayer::Wards => "pg_wards",
            PgLayer::PostalZones => "pg_postal_zones",
        }
    }

    /// The in-memory layer with the same content.
    #[must_use]
    pub fn layer(self) -> Layer {
        match self {
            PgLayer::Addresses => Layer::Addresses,
            PgLayer::Wards => Layer::Wards,
            PgLayer::PostalZones => Layer::PostalZones,
        }
    }

    /// The layer named `name` (see [`PgLayer::source_name`]).
    #[must_use]
    pub fn from_source_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.source_name() == name)
    }

    fn sql(self) -> &'static str {
        match self {
            PgLayer::Addresses => include_str!("../sql/tiles/addresses.sql"),
            PgLayer::Wards => include_str!("../sql/tiles/wards.sql"),
            PgLayer::PostalZones => include_str!("../sql/tiles/postal_zones.sql"),
        }
    }
}

/// Errors of a PostGIS tile.
#[derive(Debug, thiserror::Error)]
pub enum PgTileError {
    /// The tile cannot be encoded.
    #[error(transparent)]
    Tile(#[from] TileError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The PostGIS tile sources with their cache.
pub struct PgTiles {
    pool: Pool,
    cache: TileCache<(PgLayer, TileId)>,
}

impl PgTiles {
    /// Sources over `pool` with an empty cache of up to `capacity_bytes`.
    #[must_use]
    pub fn new(pool: Pool, capacity_bytes: u64) -> Self {
        let cache = TileCache::new(capacity_bytes);
        Self { pool, cache }
    }

    /// The MVT bytes of a tile as PostGIS renders it (`None`: empty), without the cache.
    pub async fn render(&self, layer: PgLayer, tile: TileId) -> Result<Option<Vec<u8>>, PgTileError> {
        let (min, max) = layer.layer().zooms();
        if tile.z > max {
            return Err(TileError::ZoomOutOfRange { z: tile.z, max }.into());
        }
        if tile.z < min {
            return Ok(None);
        }
        let client = self.pool.get().await.map_err(DbError::from)?;
        let stmt = client.prepare_cached(layer.sql()).await.map_err(DbError::from)?;
        let (z, x, y) = (i32::from(tile.z), tile.x as i32, tile.y as i32);
        let row = client.query_one(&stmt, &[&z, &x, &y]).await.map_err(DbError::from)?;
        let bytes: Option<Vec<u8>> = row.try_get(0).map_err(DbError::from)?;
        Ok(bytes.filter(|b| !b.is_empty()))
    }

    /// The tile, from the cache or rendered by PostGIS (then cached).
    pub async fn get(&self, layer: PgLayer, tile: TileId) -> Result<CachedTile, PgTileError> {
        if let Some(t) = self.cache.get(&(layer, tile)) {
            return Ok(t);
        }
        let bytes = self.render(layer, tile).await?;
        let t = CachedTile::from_mvt(bytes.as_deref()).map_err(TileError::Io)?;
        self.cache.insert((layer, tile), t.clone());
        Ok(t)
    }

    /// The tile with its uncompressed bytes kept in the cache (clients that do not accept gzip).
    pub fn with_raw(&self, layer: PgLayer, tile: TileId, t: &CachedTile) -> std::io::Result<CachedTile> {
        self.cache.with_raw((layer, tile), t)
    }

    /// Drops cached tiles at these positions.
    pub fn invalidate(&self, tiles: &[TileId]) {
        for l in PgLayer::ALL {
            for &t in tiles {
                self.cache.invalidate(&(l, t));
            }
        }
    }
}
