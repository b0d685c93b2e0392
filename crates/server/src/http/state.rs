//! What the handlers serve from. Start-up builds every service and hands them over: the parts known at start
//! ([`Shared`]) when the server binds, the parts that take a while ([`Services`]) once, when they are all built.

use std::sync::{Arc, OnceLock};

use diachi_auth::Keyring;
use diachi_db::Database;
use diachi_delivery::plans::PlanStore;
use diachi_geo::index::{AreaLimits, NationalIndex};
use diachi_registry::{AddressResolver, Registry};
use diachi_resolve::Resolver;
use diachi_tiles::TileService;
use diachi_tiles::files::FileSources;

use super::ApiError;
use super::heavy::Heavy;
use super::metrics::Metrics;
use super::origin::{IpNet, PublicOrigin, PublicUrl};

/// The services built over the index, all at once: while they are not set, index-backed endpoints answer 503
/// `not_ready` and `/ready` answers 503.
pub struct Services {
    /// The national index (addresses, post offices, the geography).
    pub index: Arc<NationalIndex>,
    /// The tile renderer and its cache.
    pub tiles: Arc<TileService>,
    /// The address resolver.
    pub resolver: Arc<Resolver>,
    /// Turns address text into a place, for the registry and identity checks.
    pub places: Arc<dyn AddressResolver>,
    /// The database (`serve --database-url`); none on the embedded dataset.
    pub db: Option<Arc<Database>>,
}

/// The parts of the state known when the server binds.
pub struct Shared {
    /// API keys, scopes and rate limits.
    pub keyring: Arc<Keyring>,
    /// The registry (needs a PII key); none = registry and identity endpoints answer 503 `pii_key_not_configured`.
    pub registry: Option<Arc<Registry>>,
    /// Tile sources read from files (`serve --tiles-file`).
    pub files: Option<Arc<FileSources>>,
    /// Limits of delivery planning.
    pub delivery: diachi_delivery::Settings,
    /// Delivery plans made in the background and the planner's running slots, with their per-key quotas.
    pub plans: Arc<PlanStore>,
    /// The base of the absolute URLs the server writes; none = the bound address.
    pub public_url: Option<PublicUrl>,
    /// The proxies whose `Host` / `X-Forwarded-*` / `Forwarded` headers are followed for those URLs.
    pub trusted_proxies: Vec<IpNet>,
    /// Bounds of area queries: their shapes, the addresses each may look at, how many run at once.
    pub area: AreaSettings,
}

/// Bounds of area queries (bbox, radius, digital area codes, H3 cells and roll-ups).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AreaSettings {
    /// The shapes allowed and the addresses one query may look at.
    pub limits: AreaLimits,
    /// Queries computed at once on the blocking pool; past it, 429 `overloaded` (0 = one per core).
    pub max_in_flight: usize,
}

/// Shared state of every worker.
pub struct AppState {
    ready: OnceLock<Services>,
    /// The parts known at start.
    pub shared: Shared,
    /// Request counters and latencies.
    pub(crate) metrics: Metrics,
    /// Delivery plans made in the background (in memory only) and the planner's running slots (`Shared::plans`).
    pub plans: Arc<PlanStore>,
    /// Where area queries run: the blocking pool, a bounded number at a time.
    pub(crate) heavy: Heavy,
    /// The base of the absolute URLs of the answers.
    pub origin: PublicOrigin,
}

impl AppState {
    /// A state whose services are not built yet, for a server bound at `bound` (the public URL when none is
    /// configured).
    #[must_use]
    pub(crate) fn new(shared: Shared, metrics: Metrics, bound: std::net::SocketAddr) -> Self {
        let heavy = Heavy::new(match shared.area.max_in_flight {
            0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            n => n,
        });
        let origin = PublicOrigin {
            url: shared.public_url.clone().unwrap_or_else(|| PublicUrl::of_socket(bound)),
            trusted_proxies: shared.trusted_proxies.clone(),
        };
        let plans = shared.plans.clone();
        Self { ready: OnceLock::new(), shared, metrics, plans, heavy, origin }
    }

    /// Hands over the services; the server is ready from now on. Only the first call counts (it says whether it was
    /// the first).
    pub fn set_ready(&self, services: Services) -> bool {
        self.metrics.set_index(services.index.stats());
        self.ready.set(services).is_ok()
    }

    /// The services, once built.
    #[must_use]
    pub fn ready(&self) -> Option<&Services> {
        self.ready.get()
    }

    /// The services, or 503 `not_ready`.
    pub fn services(&self) -> Result<&Services, ApiError> {
        self.ready.get().ok_or_else(ApiError::not_ready)
    }

    /// The index, or 503 `not_ready`.
    pub fn index(&self) -> Result<&NationalIndex, ApiError> {
        self.services().map(|s| s.index.as_ref())
    }

    /// The tile service, or 503 `not_ready`.
    pub fn tiles(&self) -> Result<Arc<TileService>, ApiError> {
        self.services().map(|s| s.tiles.clone())
    }

    /// The address resolver, or 503 `not_ready`.
    pub fn resolver(&self) -> Result<&Arc<Resolver>, ApiError> {
        self.services().map(|s| &s.resolver)
    }

    /// Turns an address (a digital address or free text) into a place, for the registry and identity checks.
    pub fn address_resolver(&self) -> Result<Arc<dyn AddressResolver>, ApiError> {
        self.services().map(|s| s.places.clone())
    }

    /// The database once loaded; none on the embedded dataset or while loading.
    #[must_use]
    pub fn database(&self) -> Option<&Arc<Database>> {
        self.ready.get().and_then(|s| s.db.as_ref())
    }

    /// The database, or 503 `database_not_configured` (no `--database-url`) / `not_ready` (still loading).
    pub fn db(&self) -> Result<&Database, ApiError> {
        let services = self.services()?;
        services.db.as_deref().ok_or_else(ApiError::database_not_configured)
    }

    /// The keys of this service.
    #[must_use]
    pub fn keyring(&self) -> &Keyring {
        &self.shared.keyring
    }

    /// The registry, or 503 `pii_key_not_configured`.
    pub fn registry(&self) -> Result<&Registry, ApiError> {
        self.shared.registry.as_deref().ok_or_else(ApiError::pii_key_not_configured)
    }

    /// The bounds of area queries.
    #[must_use]
    pub fn area_limits(&self) -> &AreaLimits {
        &self.shared.area.limits
    }

    /// The limits of delivery planning.
    #[must_use]
    pub fn delivery_settings(&self) -> &diachi_delivery::Settings {
        &self.shared.delivery
    }
}
