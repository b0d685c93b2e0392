//! The HTTP layer: thin handlers over the index, one error mapping, request logging and metrics.

mod audit;
pub mod auth;
mod dto;
pub mod error;
pub mod metrics;
mod openapi;
mod params;
mod routes;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

pub use error::ApiError;
pub use openapi::ApiDoc;

use diachi_geo::index::NationalIndex;
use diachi_tiles::TileService;
use diachi_tiles::files::FileSources;

/// Shared state of every worker.
pub struct AppState {
    /// Set once the index is built; until then index-backed endpoints answer 503 `not_ready`.
    pub index: OnceLock<Arc<NationalIndex>>,
    /// Set once the tile renderer is built over the index (a second or two after it).
    pub tiles: OnceLock<Arc<TileService>>,
    /// Tile sources read from files (`serve --tiles-file`), set at start; none when unset.
    pub files: OnceLock<Arc<FileSources>>,
    /// The database (`serve --database-url`), set once the index is loaded from it; none on the embedded dataset.
    pub db: OnceLock<Arc<diachi_db::Database>>,
    /// The admin endpoints' bearer token (from the configuration); unset = admin endpoints refuse everyone.
    pub admin_token: OnceLock<String>,
    /// The address resolver, built in the background after the index (or on first use).
    pub resolver: OnceLock<Arc<diachi_resolve::Resolver>>,
    /// API keys, scopes and rate limits; set at start (else: the admin token only, the default limit).
    pub keyring: OnceLock<Arc<diachi_auth::Keyring>>,
    /// The registry (needs a PII key); unset = registry and identity endpoints answer 503 `pii_key_not_configured`.
    pub registry: OnceLock<Arc<diachi_registry::Registry>>,
    /// Turns address text into a place for the registry; unset = the address resolver over the index.
    pub address_resolver: OnceLock<Arc<dyn diachi_registry::AddressResolver>>,
    pub metrics: metrics::Metrics,
    /// Delivery plans made in the background (in memory only).
    pub plans: Arc<diachi_delivery::jobs::PlanStore>,
    /// Limits of delivery planning; unset = the defaults.
    pub delivery: OnceLock<diachi_delivery::Settings>,
}

impl AppState {
    pub fn index(&self) -> Result<&NationalIndex, ApiError> {
        self.index.get().map(AsRef::as_ref).ok_or_else(ApiError::not_ready)
    }

    /// The tile service; built on first use if the background builder has not finished it yet (this blocks for
    /// about a second, so call it off the async workers).
    pub fn tiles(&self) -> Result<Arc<TileService>, ApiError> {
        if let Some(t) = self.tiles.get() {
            return Ok(t.clone());
        }
        let ix = self.index.get().ok_or_else(ApiError::not_ready)?;
        Ok(self
            .tiles
            .get_or_init(|| Arc::new(crate::startup::tile_service(ix.clone(), crate::config::DEFAULT_TILE_CACHE_MB)))
            .clone())
    }

    /// The database, or 503 `database_not_configured` (no `--database-url`) / `not_ready` (still loading).
    pub fn db(&self) -> Result<&diachi_db::Database, ApiError> {
        if let Some(db) = self.db.get() {
            return Ok(db);
        }
        if self.index.get().is_some() { Err(ApiError::database_not_configured()) } else { Err(ApiError::not_ready()) }
    }

    /// The address resolver; built on first use if the background builder has not finished it (this blocks for
    /// a second or so per ten million addresses, so call it off the async workers).
    pub fn resolver(&self) -> Result<&Arc<diachi_resolve::Resolver>, ApiError> {
        if let Some(r) = self.resolver.get() {
            return Ok(r);
        }
        let ix = self.index()?;
        Ok(self.resolver.get_or_init(|| Arc::new(diachi_resolve::Resolver::build(ix))))
    }

    /// The limits of delivery planning.
    pub fn delivery_settings(&self) -> &diachi_delivery::Settings {
        self.delivery.get_or_init(diachi_delivery::Settings::default)
    }

    /// A state with nothing loaded yet.
    pub fn new(metrics: metrics::Metrics) -> Self {
        Self {
            index: OnceLock::new(),
            tiles: OnceLock::new(),
            files: OnceLock::new(),
            db: OnceLock::new(),
            keyring: OnceLock::new(),
            registry: OnceLock::new(),
            address_resolver: OnceLock::new(),
            resolver: OnceLock::new(),
            admin_token: OnceLock::new(),
            metrics,
            plans: Arc::new(diachi_delivery::jobs::PlanStore::default()),
            delivery: OnceLock::new(),
        }
    }
}

/// Every route of the API. Used by `startup` for the real server and by the tests.
pub fn router(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::QueryConfig::default().error_handler(|e, _| ApiError::bad_request("invalid_query", e.to_string()).into()),
    )
    .app_data(web::JsonConfig::default().limit(64 * 1024).error_handler(|e, _| {
        use actix_web::error::JsonPayloadError as J;
        match e {
            J::ContentType => ApiError::new(
                actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ),
            J::Overflow { .. } | J::OverflowKnownLength { .. } => ApiError::new(
                actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "the body is larger than 64 KiB",
            ),
            other => ApiError::bad_request("invalid_body", other.to_string()),
        }
        .into()
    }))
    .app_data(
        web::PathConfig::default().error_handler(|e, _| ApiError::bad_request("invalid_path", e.to_string()).into()),
    )
    .configure(routes::configure)
    .default_service(web::to(|| async {
        Err::<actix_web::HttpResponse, _>(ApiError::not_found("not_found", "no such endpoint; see /openapi.json"))
    }));
}

/// The id of a request (from `X-Request-Id`, or a new UUID), in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

/// Logs one line per request (request id, method, route pattern, status, latency — never the query string or body,
/// which may carry personal data) and records metrics.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let start = Instant::now();
    let id = request_id(&req);
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().to_string();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let mut res = next.call(req).await?;
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".into());
    let status = res.status().as_u16();
    let secs = start.elapsed().as_secs_f64();
    if let Some(state) = state {
        state.metrics.observe(&route, &method, status, secs);
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID.clone(), v);
    }
    tracing::info!(request_id = %id, method = %method, route = %route, status, latency_us = (secs * 1e6) as u64, "request");
    Ok(res)
}

/// The keys and the registry of the service.
impl AppState {
    /// The keys of this service.
    pub fn keyring(&self) -> &diachi_auth::Keyring {
        self.keyring.get_or_init(|| {
            Arc::new(diachi_auth::Keyring::new(
                self.admin_token.get().cloned(),
                None,
                crate::config::DEFAULT_RATE_LIMIT,
                std::time::Duration::from_secs(crate::config::DEFAULT_KEY_CACHE_TTL_S),
            ))
        })
    }

    /// The registry, or 503 `pii_key_not_configured`.
    pub fn registry(&self) -> Result<&diachi_registry::Registry, ApiError> {
        self.registry.get().map(AsRef::as_ref).ok_or_else(ApiError::pii_key_not_configured)
    }

    /// Turns an address (a digital address or free text) into a place, for the registry and identity checks.
    pub fn address_resolver(&self) -> Result<Arc<dyn diachi_registry::AddressResolver>, ApiError> {
        if let Some(r) = self.address_resolver.get() {
            return Ok(r.clone());
        }
        let index = self.index.get().ok_or_else(ApiError::not_ready)?.clone();
        let resolver = self.resolver()?.clone();
        Ok(self.address_resolver.get_or_init(|| Arc::new(diachi_registry::TextResolver { index, resolver })).clone())
    }
}
