//! PostGIS as the system of record: connection pool, migrations, bulk import, streaming load of the in-memory index,
//! address writes, the change feed that keeps running instances up to date, and tile sources rendered by PostGIS.
//! SQL lives in `migrations/` and `sql/db/`, `sql/tiles/`; nothing here knows about HTTP.

pub mod addresses;
mod copy;
pub mod feed;
pub mod import;
pub mod keys;
pub mod load;
pub mod migrate;
pub mod registry;
pub mod tiles;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use std::time::Duration;
use tokio_postgres::NoTls;

/// How long a request waits for a connection (or a new connection to be made) before answering 503.
pub const POOL_TIMEOUT: Duration = Duration::from_secs(2);
/// The oldest PostGIS diachi runs on (`ST_TileEnvelope` arrived in 3.0).
pub const MIN_POSTGIS: (u32, u32) = (3, 0);
/// The channel of the address change feed (see `migrations/V1__schema.sql`).
pub const CHANNEL: &str = "diachi_addresses";

/// Errors of the database layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database URL cannot be parsed.
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    /// The server cannot be reached, or the connection broke.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A query failed.
    #[error("database error: {0}")]
    Query(#[from] tokio_postgres::Error),
    /// The PostGIS extension is missing.
    #[error("PostGIS is not installed in this database (CREATE EXTENSION postgis, or run `diachi db migrate`)")]
    NoPostgis,
    /// PostGIS is older than [`MIN_POSTGIS`].
    #[error("PostGIS {found} is too old: diachi needs {}.{} or newer", MIN_POSTGIS.0, MIN_POSTGIS.1)]
    OldPostgis {
        /// The version installed.
        found: String,
    },
    /// The schema is not at this build's migration.
    #[error("the database schema is at migration {found:?}, this diachi needs {wanted}: run `diachi db migrate`")]
    NotMigrated {
        /// The schema's migration; `None` if never migrated.
        found: Option<i32>,
        /// The migration this build needs.
        wanted: i32,
    },
    /// Migrating the schema failed.
    #[error("migration failed: {0}")]
    Migration(#[from] refinery::Error),
    /// A row holds a value this build cannot read.
    #[error("bad data in the database: {0}")]
    BadData(String),
    /// Reading or writing a file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl DbError {
    /// Whether the error means the server is gone (as opposed to a bad query or bad data).
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Unavailable(_) => true,
            Self::Query(e) => e.is_closed() || e.as_db_error().is_none(),
            _ => false,
        }
    }
}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => Self::Query(e),
            other => Self::Unavailable(other.to_string()),
        }
    }
}

/// Parses a `postgres://` URL (or key=value string), with a connect timeout.
pub fn parse_url(url: &str) -> Result<tokio_postgres::Config, DbError> {
    let mut cfg: tokio_postgres::Config =
        url.parse().map_err(|e: tokio_postgres::Error| DbError::InvalidUrl(e.to_string()))?;
    if cfg.get_connect_timeout().is_none() {
        cfg.connect_timeout(POOL_TIMEOUT);
    }
    if cfg.get_application_name().is_none() {
        cfg.application_name("diachi");
    }
    Ok(cfg)
}

/// A pool of connections; connections are checked out per request and made again after the server comes back.
pub fn pool(url: &str, max_size: usize) -> Result<Pool, DbError> {
    let mgr = Manager::from_config(parse_url(url)?, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    Pool::builder(mgr)
        .max_size(max_size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(POOL_TIMEOUT))
        .create_timeout(Some(POOL_TIMEOUT))
        .recycle_timeout(Some(POOL_TIMEOUT))
        .build()
        .map_err(|e| DbError::InvalidUrl(e.to_string()))
}

/// One connection outside the pool (commands, the index load, the change feed); its driver runs on the current
/// tokio runtime.
pub async fn connect(url: &str) -> Result<tokio_postgres::Client, DbError> {
    let (client, conn) = parse_url(url)?.connect(NoTls).await.map_err(|e| DbError::Unavailable(e.to_string()))?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::warn!(error = %e, "database connection closed");
        }
    });
    Ok(client)
}

/// The PostGIS library version, checked against [`MIN_POSTGIS`].
pub async fn check_postgis(client: &tokio_postgres::Client) -> Result<String, DbError> {
    let row = client.query_opt(include_str!("../sql/db/postgis_version.sql"), &[]).await?;
    let version: String = row.and_then(|r| r.get::<_, Option<String>>(0)).ok_or(DbError::NoPostgis)?;
    let mut parts = version.split(|c: char| !c.is_ascii_digit()).filter_map(|p| p.parse::<u32>().ok());
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if found < MIN_POSTGIS {
        return Err(DbError::OldPostgis { found: version });
    }
    Ok(version)
}

/// The index of the ward with this code in diachi's geography (codes in the database must be known to it).
pub fn ward_index(geo: &diachi_geo::geography::Geography, code: &str) -> Result<diachi_domain::WardIdx, DbError> {
    diachi_domain::WardCode::parse(code)
        .ok()
        .and_then(|c| geo.ward(c))
        .map(|(i, _)| i)
        .ok_or_else(|| DbError::BadData(format!("ward {code:?} is not in this diachi's geography")))
}

/// A running service's link to its database: the pool for requests, the PostGIS tile sources and the change feed's
/// state.
pub struct Database {
    /// The connection pool.
    pub pool: Pool,
    /// The PostGIS tile sources.
    pub tiles: tiles::PgTiles,
    /// The change feed's state.
    pub feed: std::sync::Arc<feed::FeedStatus>,
    /// PostGIS's version, as it reports it.
    pub postgis_version: String,
}

/// What `serve --database-url` loads at start.
pub struct Startup {
    /// The link to the database.
    pub database: Database,
    /// The dataset read from it.
    pub loaded: load::Loaded,
}

/// Connects, checks PostGIS and the schema, and streams the dataset out (on the current tokio runtime).
pub async fn open(
    url: &str,
    geography: diachi_geo::geography::Geography,
    pool_size: usize,
    tile_cache_bytes: u64,
) -> Result<Startup, DbError> {
    let mut client = connect(url).await?;
    let postgis_version = check_postgis(&client).await?;
    migrate::check(&mut client).await?;
    let loaded = load::load(&mut client, geography).await?;
    let pool = pool(url, pool_size)?;
    Ok(Startup {
        database: Database {
            tiles: tiles::PgTiles::new(pool.clone(), tile_cache_bytes),
            pool,
            feed: std::sync::Arc::default(),
            postgis_version,
        },
        loaded,
    })
}
