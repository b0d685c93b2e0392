//! Prometheus metrics: requests, latencies, index sizes and the tile cache.

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder};

use diachi_geo::index::IndexStats;
use diachi_tiles::TileCacheStats;

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    addresses: IntGauge,
    post_offices: IntGauge,
    wards: IntGauge,
    index_bytes: IntGauge,
    build_ms: IntGauge,
    tiles: [IntGauge; 4],
}

impl Metrics {
    /// Registers every metric in a fresh registry (one per app, so tests do not share counters).
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("diachi".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by route, method and status"),
            &["route", "method", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency by route").buckets(vec![
                0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
            ]),
            &["route"],
        )?;
        let gauge = |name: &str, help: &str| IntGauge::new(name, help);
        let addresses = gauge("index_addresses", "addresses in the index")?;
        let post_offices = gauge("index_post_offices", "post offices in the index")?;
        let wards = gauge("index_wards", "wards in the index")?;
        let index_bytes = gauge("index_address_bytes", "bytes of address columns and R-tree")?;
        let build_ms = gauge("index_build_milliseconds", "time to build the index")?;
        let tiles = [
            gauge("tile_cache_entries", "encoded tiles in the cache")?,
            gauge("tile_cache_bytes", "bytes of compressed tiles in the cache")?,
            gauge("tile_cache_hits", "tile requests answered from the cache since start")?,
            gauge("tile_cache_misses", "tiles rendered since start")?,
        ];
        for c in [&addresses, &post_offices, &wards, &index_bytes, &build_ms].into_iter().chain(tiles.iter()) {
            registry.register(Box::new(c.clone()))?;
        }
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        Ok(Self { registry, requests, latency, addresses, post_offices, wards, index_bytes, build_ms, tiles })
    }

    pub fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests.with_label_values(&[route, method, &status.to_string()]).inc();
        self.latency.with_label_values(&[route]).observe(seconds);
    }

    pub fn set_index(&self, s: &IndexStats) {
        self.addresses.set(s.addresses as i64);
        self.post_offices.set(s.post_offices as i64);
        self.wards.set(s.wards as i64);
        self.index_bytes.set(s.address_bytes as i64);
        self.build_ms.set(s.build_ms as i64);
    }

    pub fn set_tiles(&self, s: &TileCacheStats) {
        for (g, v) in self.tiles.iter().zip([s.entries, s.bytes, s.hits, s.misses]) {
            g.set(i64::try_from(v).unwrap_or(i64::MAX));
        }
    }

    #[must_use]
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}
