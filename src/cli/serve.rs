//! `diachi serve`: the HTTP API and the web map.

use serde::Serialize;
use std::path::PathBuf;

use super::{DatasetArgs, load_config, read_postcodes};

/// The flags of `serve` (each overrides the configuration file when given).
#[derive(clap::Args, Serialize)]
pub struct ServeArgs {
    /// Configuration file (TOML); `diachi.toml` is read when present.
    #[arg(long)]
    #[serde(skip)]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    bind: Option<String>,
    /// The base of the absolute URLs the server writes (style, TileJSON, catalog), as clients reach it:
    /// `http[s]://host[:port][/path]` [default: the bound address].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    public_url: Option<String>,
    /// An address or network (`10.0.0.0/8`) of a reverse proxy whose `Host` / `X-Forwarded-*` / `Forwarded` headers
    /// are followed for those URLs (repeatable) [default: none].
    #[arg(long = "trusted-proxy", value_name = "IP[/PREFIX]")]
    #[serde(rename = "trusted_proxies", skip_serializing_if = "Vec::is_empty")]
    trusted_proxy: Vec<String>,
    #[command(flatten)]
    #[serde(flatten)]
    dataset: DatasetArgs,
    /// HTTP worker threads (0 = one per core).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    workers: Option<usize>,
    /// Megabytes of compressed vector tiles kept in memory [default: 256].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    tile_cache_mb: Option<u64>,
    /// Load the index from PostGIS (postgres://…; default: the `DATABASE_URL` variable) and take address writes;
    /// without it, the embedded dataset is generated.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    database_url: Option<String>,
    /// Serve a PMTiles or MBTiles file as the tile source NAME (repeatable), e.g. `vn=tiles/vietnam.pmtiles`.
    #[arg(long = "tiles-file", value_name = "NAME=PATH", value_parser = diachi_server::config::parse_tiles_file)]
    #[serde(rename = "tiles_files", skip_serializing_if = "Vec::is_empty", serialize_with = "as_map")]
    tiles_file: Vec<(String, PathBuf)>,
    #[command(flatten)]
    #[serde(flatten)]
    delivery: DeliveryFlags,
}

/// The limits of delivery planning, as flags (each overrides the configuration when given).
#[derive(clap::Args, Serialize)]
struct DeliveryFlags {
    /// Delivery plans up to this many shipments are answered at once [default: 2000].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_sync_max_shipments: Option<usize>,
    /// Shipments of one delivery plan at most [default: 500000].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_max_shipments: Option<usize>,
    /// Couriers of one delivery plan at most, all its post offices together [default: 10000].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_max_couriers: Option<u64>,
    /// Shipments × couriers of one delivery plan at most [default: 1000000000].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_max_plan_size: Option<u64>,
    /// Seconds a finished delivery plan is kept [default: 3600].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_plan_ttl_s: Option<u64>,
    /// Delivery plans kept, all keys together [default: 64].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_max_plans: Option<usize>,
    /// Delivery plans one key may keep [default: 16].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_max_plans_per_key: Option<usize>,
    /// Delivery plans being made at once, all keys together [default: 4].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_max_running: Option<usize>,
    /// Delivery plans one key may have being made at once [default: 2].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_max_running_per_key: Option<usize>,
}

/// `--tiles-file` pairs as the `tiles_files` table of the configuration.
fn as_map<S: serde::Serializer>(pairs: &[(String, PathBuf)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(pairs.iter().map(|(k, v)| (k, v)))
}

pub fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let config = load_config(args.config.as_deref(), args)?;
    let _log = diachi_server::telemetry::init(&config.log_format);
    let postcodes = read_postcodes(config.postcodes_file.as_deref())?;
    diachi_server::startup::run(config, postcodes)
}
