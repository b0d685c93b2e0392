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
    area_visited: IntCounterVec,
    area_stopped: IntCounterVec,
    area_in_flight: IntGauge,
    h3_rollups: IntGauge,
    log_dropped: IntGauge,
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
        let area_visited = IntCounterVec::new(
            Opts::new("area_addresses_visited_total", "addresses looked at by area queries, by kind of area"),
            &["query"],
        )?;
        let area_stopped = IntCounterVec::new(
            Opts::new("area_queries_stopped_total", "area queries stopped at the visit budget (count a lower bound)"),
            &["query"],
        )?;
        let area_in_flight = gauge("area_queries_in_flight", "area queries and H3 roll-ups being computed")?;
        let h3_rollups = gauge("h3_rollup_cache_entries", "counts of H3 cells of resolution 0-5 kept in memory")?;
        let log_dropped =
            gauge("log_lines_dropped", "log lines dropped since start because the log writer fell behind")?;
        for c in
            [&addresses, &post_offices, &wards, &index_bytes, &build_ms, &area_in_flight, &h3_rollups, &log_dropped]
                .into_iter()
                .chain(tiles.iter())
        {
            registry.register(Box::new(c.clone()))?;
        }
        for c in [&requests, &area_visited, &area_stopped] {
            registry.register(Box::new(c.clone()))?;
        }
        registry.register(Box::new(latency.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            addresses,
            post_offices,
            wards,
            index_bytes,
            build_ms,
            tiles,
            area_visited,
            area_stopped,
            area_in_flight,
            h3_rollups,
            log_dropped,
        })
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

    /// Counts the work of one area query of kind `query` (`bbox`, `radius`, `digital_cell`, `h3_cell`).
    pub fn area_query(&self, query: &str, visited: usize, exact: bool) {
        self.area_visited.with_label_values(&[query]).inc_by(visited as u64);
        if !exact {
            self.area_stopped.with_label_values(&[query]).inc();
        }
    }

    pub fn set_area_in_flight(&self, n: usize) {
        self.area_in_flight.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    pub fn set_h3_rollups(&self, n: usize) {
        self.h3_rollups.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    pub fn set_log_dropped(&self, n: usize) {
        self.log_dropped.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    #[must_use]
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}
