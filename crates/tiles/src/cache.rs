//! The tile service: a renderer plus a bounded in-memory cache of encoded tiles, stored gzip-compressed (what most
//! clients accept as is) with an ETag each.

use flate2::Compression;
use flate2::read::GzDecoder;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Source, TileError, TileId, TileRenderer};

/// One tile as cached: gzip bytes (none for an empty tile) and a strong validator.
#[derive(Debug, Clone)]
pub struct CachedTile {
    /// The gzip-compressed MVT; `None` for an empty tile.
    pub gzip: Option<Arc<[u8]>>,
    /// The ETag, quoted: xxh3 of the gzip bytes in hex.
    pub etag: Arc<str>,
    /// The uncompressed bytes, kept once a client that does not accept gzip asked for the tile.
    pub raw: Option<Arc<[u8]>>,
}

impl CachedTile {
    /// A tile from its MVT bytes (`None` or empty = an empty tile): gzip-compressed, with an xxh3 ETag.
    pub fn from_mvt(bytes: Option<&[u8]>) -> std::io::Result<Self> {
        let gzip = match bytes.filter(|b| !b.is_empty()) {
            Some(b) => Some(Arc::from(super::gzip(b, Compression::fast())?)),
            None => None,
        };
        let hash = gzip.as_deref().map_or(0, xxhash_rust::xxh3::xxh3_64);
        Ok(Self { gzip, etag: Arc::from(format!("\"{hash:016x}\"")), raw: None })
    }

    /// The same tile with its uncompressed bytes kept (see [`TileService::with_raw`]).
    pub fn with_raw(&self) -> std::io::Result<Self> {
        let raw = self.mvt()?;
        Ok(Self { raw: Some(Arc::from(raw)), ..self.clone() })
    }

    /// Bytes the tile holds (the cache's weight).
    #[must_use]
    pub fn weight(&self) -> u32 {
        let n = self.gzip.as_ref().map_or(0, |g| g.len()) + self.raw.as_ref().map_or(0, |r| r.len()) + self.etag.len();
        u32::try_from(n + 64).unwrap_or(u32::MAX)
    }

    /// The tile's MVT bytes, decompressed (for clients that do not accept gzip); empty for an empty tile.
    pub fn mvt(&self) -> std::io::Result<Vec<u8>> {
        if let Some(raw) = &self.raw {
            return Ok(raw.to_vec());
        }
        let mut out = Vec::new();
        if let Some(gz) = &self.gzip {
            GzDecoder::new(&gz[..]).read_to_end(&mut out)?;
        }
        Ok(out)
    }
}

/// A bounded cache of encoded tiles under any key, weighed by the bytes each holds (least recently used out).
/// The in-memory sources and the PostGIS sources each keep one.
pub struct TileCache<K> {
    cache: moka::sync::Cache<K, CachedTile>,
}

impl<K: std::hash::Hash + Eq + Send + Sync + 'static> TileCache<K> {
    /// An empty cache holding up to `capacity_bytes`.
    #[must_use]
    pub fn new(capacity_bytes: u64) -> Self {
        let cache =
            moka::sync::Cache::builder().max_capacity(capacity_bytes).weigher(|_, t: &CachedTile| t.weight()).build();
        Self { cache }
    }

    /// The tile under `key`, if cached.
    #[must_use]
    pub fn get(&self, key: &K) -> Option<CachedTile> {
        self.cache.get(key)
    }

    /// Caches a tile under `key`.
    pub fn insert(&self, key: K, tile: CachedTile) {
        self.cache.insert(key, tile);
    }

    /// A cached tile with its uncompressed bytes added and cached that way, for clients that do not accept gzip:
    /// they are decompressed once, not on every request.
    pub fn with_raw(&self, key: K, t: &CachedTile) -> std::io::Result<CachedTile> {
        let full = t.with_raw()?;
        self.cache.insert(key, full.clone());
        Ok(full)
    }

    /// Drops the tile under `key`.
    pub fn invalidate(&self, key: &K) {
        self.cache.invalidate(key);
    }

    /// Drops every tile.
    pub fn clear(&self) {
        self.cache.invalidate_all();
    }

    /// Entries and bytes held.
    #[must_use]
    pub fn size(&self) -> (u64, u64) {
        self.cache.run_pending_tasks();
        (self.cache.entry_count(), self.cache.weighted_size())
    }
}

/// Renders tiles on demand and keeps them, up to `capacity_bytes` of compressed tiles (least recently used out).
pub struct TileService {
    renderer: TileRenderer,
    cache: TileCache<(Source, TileId)>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Counters of the tile cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileCacheStats {
    /// Tiles cached.
    pub entries: u64,
    /// Bytes cached.
    pub bytes: u64,
    /// Requests answered from the cache.
    pub hits: u64,
    /// Requests that had to render.
    pub misses: u64,
}

impl TileService {
    /// A service over `renderer` with an empty cache of up to `capacity_bytes`.
    #[must_use]
    pub fn new(renderer: TileRenderer, capacity_bytes: u64) -> Self {
        let cache = TileCache::new(capacity_bytes);
        Self { renderer, cache, hits: AtomicU64::new(0), misses: AtomicU64::new(0) }
    }

    /// The renderer.
    #[must_use]
    pub fn renderer(&self) -> &TileRenderer {
        &self.renderer
    }

    /// The tile if it is cached (counted as a hit), without rendering: the cheap path, fine on an async worker.
    pub fn cached(&self, source: Source, tile: TileId) -> Option<CachedTile> {
        let t = self.cache.get(&(source, tile))?;
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(t)
    }

    /// A cached tile with its uncompressed bytes added and cached that way, for clients that do not accept gzip:
    /// they are decompressed once, not on every request.
    pub fn with_raw(&self, source: Source, tile: TileId, t: &CachedTile) -> std::io::Result<CachedTile> {
        self.cache.with_raw((source, tile), t)
    }

    /// The tile, from the cache or freshly rendered (then cached).
    pub fn get(&self, source: Source, tile: TileId) -> Result<CachedTile, TileError> {
        if let Some(t) = self.cache.get(&(source, tile)) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(t);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let t = self.render(source, tile)?;
        self.cache.insert((source, tile), t.clone());
        Ok(t)
    }

    /// Renders and compresses without touching the cache.
    pub fn render(&self, source: Source, tile: TileId) -> Result<CachedTile, TileError> {
        let bytes = self.renderer.render(source, tile)?;
        Ok(CachedTile::from_mvt(bytes.as_deref())?)
    }

    /// Tiles and bytes currently cached, hits and misses so far.
    #[must_use]
    pub fn stats(&self) -> TileCacheStats {
        let (entries, bytes) = self.cache.size();
        TileCacheStats {
            entries,
            bytes,
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    /// Drops the cached tiles of every source at these positions (after addresses there changed).
    pub fn invalidate(&self, tiles: &[TileId]) {
        for s in Source::all() {
            for &t in tiles {
                self.cache.invalidate(&(s, t));
            }
        }
    }

    /// Drops every cached tile.
    pub fn clear(&self) {
        self.cache.clear();
    }
}
