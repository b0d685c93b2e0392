//! Configuration: defaults, then a TOML file (`diachi.toml` or `--config`), then `DIACHI_*` environment variables,
//! then command-line flags.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::http::origin::{IpNet, PublicUrl};
use diachi_synth::NATIONAL_HOUSEHOLDS;

/// The default size of the embedded dataset `serve` generates.
pub const DEFAULT_HOUSEHOLDS: u64 = 1_000_000;
/// The default seed of the embedded dataset.
pub const DEFAULT_SEED: u64 = 2025;
/// Megabytes of compressed tiles kept in memory by default.
pub const DEFAULT_TILE_CACHE_MB: u64 = 256;
/// Requests per minute of an API key without a limit of its own.
pub const DEFAULT_RATE_LIMIT: u32 = 600;
/// Seconds an API key read from the database is cached (a revocation takes effect within this time).
pub const DEFAULT_KEY_CACHE_TTL_S: u64 = 30;

/// A number of households: a count or `full` (the national figure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "HouseholdsRepr", into = "HouseholdsRepr")]
pub struct Households(pub u64);

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum HouseholdsRepr {
    N(u64),
    S(String),
}

impl TryFrom<HouseholdsRepr> for Households {
    type Error = String;
    fn try_from(r: HouseholdsRepr) -> Result<Self, String> {
        match r {
            HouseholdsRepr::N(n) => Ok(Self(n)),
            HouseholdsRepr::S(s) => s.parse(),
        }
    }
}

impl From<Households> for HouseholdsRepr {
    fn from(h: Households) -> Self {
        Self::N(h.0)
    }
}

impl std::str::FromStr for Households {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("full") {
            return Ok(Self(NATIONAL_HOUSEHOLDS));
        }
        t.replace('_', "")
            .parse::<u64>()
            .map_err(|_| format!("households must be a number or `full`, not {s:?}"))
            .and_then(|n| if n > 100_000_000 { Err("at most 100,000,000 households".into()) } else { Ok(Self(n)) })
    }
}

/// The proxies whose `Host` / `X-Forwarded-*` / `Forwarded` headers are followed: a list of addresses and networks,
/// in TOML as a list, in `DIACHI_TRUSTED_PROXIES` as a comma-separated string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ProxiesRepr", into = "Vec<IpNet>")]
pub struct TrustedProxies(pub Vec<IpNet>);

#[derive(Deserialize)]
#[serde(untagged)]
enum ProxiesRepr {
    List(Vec<String>),
    Text(String),
}

impl TryFrom<ProxiesRepr> for TrustedProxies {
    type Error = String;
    fn try_from(r: ProxiesRepr) -> Result<Self, String> {
        let items = match r {
            ProxiesRepr::List(v) => v,
            ProxiesRepr::Text(s) => s.split(',').map(str::to_owned).collect(),
        };
        items.iter().filter(|s| !s.trim().is_empty()).map(|s| s.parse()).collect::<Result<_, _>>().map(Self)
    }
}

impl From<TrustedProxies> for Vec<IpNet> {
    fn from(t: TrustedProxies) -> Self {
        t.0
    }
}

/// Settings of the service.
#[derive(Clone, Serialize, Deserialize)]
pub struct Config {
    /// Address to listen on.
    pub bind: String,
    /// The base of the absolute URLs the server writes (style, TileJSON, catalog): `http[s]://host[:port][/path]`,
    /// as clients reach it. Default: the bound address (`http://127.0.0.1:8080`; `0.0.0.0` stands for 127.0.0.1).
    pub public_url: Option<PublicUrl>,
    /// Addresses or networks (`10.0.0.0/8`) of reverse proxies whose `Host`, `X-Forwarded-Host`,
    /// `X-Forwarded-Proto` and `Forwarded` headers are followed (validated) for those URLs. Default: none.
    pub trusted_proxies: TrustedProxies,
    /// Households in the generated national set.
    pub households: Households,
    /// Seed of the generated set.
    pub seed: u64,
    /// An official ward → postcode table (as written by `diachi import postcodes`); when absent, codes are generated.
    pub postcodes_file: Option<PathBuf>,
    /// Worker threads of the HTTP server (0 = one per core).
    pub workers: usize,
    /// `text` or `json` logs.
    pub log_format: String,
    /// Megabytes of compressed vector tiles kept in memory.
    pub tile_cache_mb: u64,
    /// Tile files (PMTiles or MBTiles) served as sources, by name: `[tiles_files] vn = "tiles/vietnam.pmtiles"`.
    pub tiles_files: BTreeMap<String, PathBuf>,
    /// PostGIS as the system of record (`postgres://user@host:port/db`; also `DATABASE_URL`): the index is loaded
    /// from it instead of generated, and address writes go to it.
    pub database_url: Option<String>,
    /// Connections of the request pool.
    pub db_pool_size: usize,
    /// The bearer token of the admin endpoints (address writes); they answer 401/403 without it. Keep it out of
    /// the repository: set `DIACHI_ADMIN_TOKEN` or put it in a configuration file that is not committed.
    pub admin_token: Option<String>,
    /// API keys without a database (JSON lines, as `diachi keys create` writes them); read again when it changes.
    pub keys_file: Option<PathBuf>,
    /// Requests per minute of a key that has no limit of its own (0 = unlimited).
    pub rate_limit: u32,
    /// Seconds a key read from the database is cached; a revocation takes effect within this time (0 = no cache).
    pub key_cache_ttl_s: u64,
    /// Database lookups of key ids in no cache, per minute from one peer (an IPv4 address, an IPv6 /64); over it,
    /// 429 (0 = unlimited). Ids the database does not know are remembered for a minute.
    pub key_lookups_per_peer_per_minute: u32,
    /// Database lookups of key ids in no cache, per minute in all (per process; 0 = unlimited).
    pub key_lookups_per_minute: u32,
    /// The master key of personal data at rest: 32 bytes, base64 (`diachi keys pii-key`). Without it the registry
    /// and identity endpoints answer 503. Keep it out of the repository: set `DIACHI_PII_KEY`.
    pub pii_key: Option<String>,
    /// Days a pending registration's code stays valid.
    pub registration_ttl_days: u32,
    /// Identity checks of one citizen a day (UTC), all keys together (0 = unlimited).
    pub identity_checks_per_citizen_per_day: u32,
    /// Identity checks of one key a day (UTC) unless the key has its own quota (0 = unlimited).
    pub identity_checks_per_key_per_day: u32,
    /// Delivery plans up to this many shipments are answered at once; bigger ones are made in the background.
    pub delivery_sync_max_shipments: usize,
    /// Shipments of one delivery plan at most.
    pub delivery_max_shipments: usize,
    /// Most addresses one area query (bbox, radius, digital area code, H3 cell) looks at; past it the query stops
    /// and answers a count marked as a lower bound.
    pub area_max_visited: usize,
    /// Area queries (and H3 roll-ups) computed at once on the blocking pool (0 = one per core); past it they answer
    /// 429 `overloaded` with `Retry-After`.
    pub area_max_in_flight: usize,
    /// Couriers of one delivery plan at most, all its post offices together.
    pub delivery_max_couriers: u64,
    /// Shipments × couriers of one delivery plan at most (the work of the search grows with both).
    pub delivery_max_plan_size: u64,
    /// Seconds a finished delivery plan is kept.
    pub delivery_plan_ttl_s: u64,
    /// Delivery plans kept (queued, running or finished), all keys together: a second line behind the per-key quota.
    pub delivery_max_plans: usize,
    /// Delivery plans one key may keep; over it the key gets 429 `plan_quota_exceeded` (nothing is evicted).
    pub delivery_max_plans_per_key: usize,
    /// Delivery plans being made at once (answered at once or in the background), all keys together.
    pub delivery_max_running: usize,
    /// Delivery plans one key may have being made at once.
    pub delivery_max_running_per_key: usize,
}

impl Default for Config {
    fn default() -> Self {
        let plans = diachi_delivery::plans::Limits::default();
        Self {
            bind: "127.0.0.1:8080".into(),
            public_url: None,
            trusted_proxies: TrustedProxies::default(),
            households: Households(DEFAULT_HOUSEHOLDS),
            seed: DEFAULT_SEED,
            postcodes_file: None,
            workers: 0,
            log_format: "text".into(),
            tile_cache_mb: DEFAULT_TILE_CACHE_MB,
            tiles_files: BTreeMap::new(),
            database_url: None,
            db_pool_size: 16,
            admin_token: None,
            keys_file: None,
            rate_limit: DEFAULT_RATE_LIMIT,
            key_cache_ttl_s: DEFAULT_KEY_CACHE_TTL_S,
            key_lookups_per_peer_per_minute: diachi_auth::LookupLimits::default().per_peer_per_minute,
            key_lookups_per_minute: diachi_auth::LookupLimits::default().per_minute,
            pii_key: None,
            registration_ttl_days: diachi_registry::DEFAULT_TTL_DAYS,
            identity_checks_per_citizen_per_day: diachi_registry::DEFAULT_CHECKS_PER_CITIZEN_PER_DAY,
            identity_checks_per_key_per_day: diachi_registry::DEFAULT_CHECKS_PER_KEY_PER_DAY,
            delivery_sync_max_shipments: diachi_delivery::Settings::default().sync_max_shipments,
            delivery_max_shipments: diachi_delivery::Settings::default().max_shipments,
            area_max_visited: diachi_geo::index::AreaLimits::DEFAULT_MAX_VISITED,
            area_max_in_flight: 0,
            delivery_max_couriers: diachi_delivery::Settings::default().max_couriers,
            delivery_max_plan_size: diachi_delivery::Settings::default().max_plan_size,
            delivery_plan_ttl_s: plans.ttl.as_secs(),
            delivery_max_plans: plans.max_plans,
            delivery_max_plans_per_key: plans.max_plans_per_key,
            delivery_max_running: plans.max_running,
            delivery_max_running_per_key: plans.max_running_per_key,
        }
    }
}

/// Secrets (the admin token, a password in the database URL) are not printed.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = self.database_url.as_deref().map(|u| match (u.find("://"), u.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}://…@{}", &u[..s], &u[at + 1..]),
            _ => "…".to_owned(),
        });
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("public_url", &self.public_url.as_ref().map(ToString::to_string))
            .field("trusted_proxies", &self.trusted_proxies.0.iter().map(ToString::to_string).collect::<Vec<_>>())
            .field("households", &self.households)
            .field("seed", &self.seed)
            .field("postcodes_file", &self.postcodes_file)
            .field("workers", &self.workers)
            .field("log_format", &self.log_format)
            .field("tile_cache_mb", &self.tile_cache_mb)
            .field("tiles_files", &self.tiles_files)
            .field("database_url", &url)
            .field("db_pool_size", &self.db_pool_size)
            .field("admin_token", &self.admin_token.as_ref().map(|_| "…"))
            .field("keys_file", &self.keys_file)
            .field("rate_limit", &self.rate_limit)
            .field("key_cache_ttl_s", &self.key_cache_ttl_s)
            .field("key_lookups_per_peer_per_minute", &self.key_lookups_per_peer_per_minute)
            .field("key_lookups_per_minute", &self.key_lookups_per_minute)
            .field("pii_key", &self.pii_key.as_ref().map(|_| "…"))
            .field("registration_ttl_days", &self.registration_ttl_days)
            .field("identity_checks_per_citizen_per_day", &self.identity_checks_per_citizen_per_day)
            .field("identity_checks_per_key_per_day", &self.identity_checks_per_key_per_day)
            .field("delivery_sync_max_shipments", &self.delivery_sync_max_shipments)
            .field("delivery_max_shipments", &self.delivery_max_shipments)
            .field("area_max_visited", &self.area_max_visited)
            .field("area_max_in_flight", &self.area_max_in_flight)
            .field("delivery_max_couriers", &self.delivery_max_couriers)
            .field("delivery_max_plan_size", &self.delivery_max_plan_size)
            .field("delivery_plan_ttl_s", &self.delivery_plan_ttl_s)
            .field("delivery_max_plans", &self.delivery_max_plans)
            .field("delivery_max_plans_per_key", &self.delivery_max_plans_per_key)
            .field("delivery_max_running", &self.delivery_max_running)
            .field("delivery_max_running_per_key", &self.delivery_max_running_per_key)
            .finish()
    }
}

impl Config {
    /// Layers the file (if any), the environment and the flags that were given over the defaults.
    pub fn load(file: Option<&std::path::Path>, overrides: &impl Serialize) -> Result<Self, Box<figment::Error>> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        fig = match file {
            Some(f) => fig.merge(Toml::file_exact(f)),
            None => fig.merge(Toml::file("diachi.toml")),
        };
        fig.merge(Env::raw().only(&["DATABASE_URL"]).map(|_| "database_url".into()))
            .merge(Env::prefixed("DIACHI_"))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(Box::new)
    }
}

/// `NAME=PATH` of `serve --tiles-file`.
pub fn parse_tiles_file(s: &str) -> Result<(String, PathBuf), String> {
    let (name, path) = s.split_once('=').ok_or_else(|| format!("{s:?}: expected NAME=PATH"))?;
    diachi_tiles::files::check_name(name).map_err(|e| e.to_string())?;
    if path.is_empty() {
        return Err(format!("{s:?}: no path"));
    }
    Ok((name.to_owned(), PathBuf::from(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let c = Config {
            database_url: Some("postgres://diachi:hunter2@db.example:5432/vn".into()),
            admin_token: Some("s3cret-token".into()),
            pii_key: Some("cGlpLWtleS1zZWNyZXQ=".into()),
            ..Config::default()
        };
        let d = format!("{c:?}");
        assert!(!d.contains("hunter2") && !d.contains("s3cret-token") && !d.contains("cGlpLWtleS1zZWNyZXQ"), "{d}");
        assert!(d.contains("db.example:5432/vn"), "{d}");
    }

    #[test]
    fn households_parse() {
        assert_eq!("full".parse::<Households>(), Ok(Households(NATIONAL_HOUSEHOLDS)));
        assert_eq!("1_000".parse::<Households>(), Ok(Households(1000)));
        assert!("-1".parse::<Households>().is_err());
        assert!("1e9".parse::<Households>().is_err());
    }

    #[test]
    fn delivery_quotas_are_settings() {
        #[derive(Serialize)]
        struct Flags {
            delivery_max_running_per_key: usize,
            delivery_max_couriers: u64,
        }
        let c = Config::load(None, &Flags { delivery_max_running_per_key: 1, delivery_max_couriers: 50 }).unwrap();
        assert_eq!((c.delivery_max_running_per_key, c.delivery_max_couriers), (1, 50));
        let d = Config::default();
        assert_eq!((d.delivery_max_plans, d.delivery_max_plans_per_key, d.delivery_max_running), (64, 16, 4));
        assert_eq!((d.delivery_plan_ttl_s, d.delivery_max_plan_size), (3600, 1_000_000_000));
    }

    #[test]
    fn flags_override_defaults() {
        #[derive(Serialize)]
        struct Flags {
            bind: &'static str,
        }
        let c = Config::load(None, &Flags { bind: "127.0.0.1:0" }).unwrap();
        assert_eq!(c.bind, "127.0.0.1:0");
        assert_eq!(c.seed, DEFAULT_SEED);
        assert_eq!((c.public_url, c.trusted_proxies), (None, TrustedProxies::default()));
    }

    #[test]
    fn public_url_and_trusted_proxies_load_as_lists_or_text() {
        let load = |toml: &str| {
            Figment::from(Serialized::defaults(Config::default()))
                .merge(Toml::string(toml))
                .extract::<Config>()
                .map_err(|e| e.to_string())
        };
        let c = load("public_url = \"https://maps.example.vn/\"\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]").unwrap();
        assert_eq!(c.public_url.map(|u| u.to_string()).as_deref(), Some("https://maps.example.vn"));
        let nets: Vec<String> = c.trusted_proxies.0.iter().map(ToString::to_string).collect();
        assert_eq!(nets, ["10.0.0.0/8", "::1/128"]);
        // as `DIACHI_TRUSTED_PROXIES=127.0.0.1,192.168.0.0/16` gives it: one string
        let c = load("trusted_proxies = \"127.0.0.1, 192.168.0.0/16,\"").unwrap();
        assert_eq!(c.trusted_proxies.0.len(), 2);
        // a bad value stops the start with the reason
        let e = load(r#"public_url = 'http://x.test/","glyphs":"https://evil.example'"#).unwrap_err();
        assert!(e.contains("public_url must be"), "{e}");
        let e = load("trusted_proxies = [\"10.0.0.0/33\"]").unwrap_err();
        assert!(e.contains("trusted proxy"), "{e}");
    }
}
