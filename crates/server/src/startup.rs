//! Builds every service and the application (listener, state, router), and runs it. `main` and the tests share this.
//!
//! The server binds and answers at once (`/health` 200, `/ready` 503); the services that take a while (the index,
//! the tile renderer, the resolver, the database) are built on a background thread and handed to the HTTP layer in
//! one step ([`AppState::set_ready`]). If that fails, [`Application::run_until_stopped`] stops the server and
//! returns the error: `diachi serve` exits non-zero.

use actix_http::{HttpService, KeepAlive, Protocol};
use actix_service::{ServiceFactoryExt, fn_service, map_config};
use actix_web::dev::{AppConfig, Server};
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, web};
use futures_util::future::{Either, select};
use std::net::TcpListener;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use crate::config::{Config, DEFAULT_TILE_CACHE_MB};
use crate::http::head_guard::{HeadGuard, Limits};
use crate::http::{AppState, AreaSettings, Services, Shared, compress, json_errors, metrics::Metrics, observe, router};
use diachi_auth::Keyring;
use diachi_db::Database;
use diachi_delivery::plans::{self, PlanStore};
use diachi_geo::geography::{Geography, LoadOptions, PostcodeTable};
use diachi_geo::index::{AreaLimits, NationalIndex};
use diachi_registry::{Registry, TextResolver};
use diachi_resolve::Resolver;
use diachi_tiles::files::FileSources;
use diachi_tiles::{TileId, TileRenderer, TileService};

/// A bound, not yet running server.
pub struct Application {
    /// The port it listens on (the one the OS chose for port 0).
    pub port: u16,
    /// Its state, shared by every worker.
    pub state: web::Data<AppState>,
    server: Server,
    /// The error of the background build, if it fails.
    failed: Option<mpsc::Receiver<anyhow::Error>>,
}

/// Generates the dataset and builds the index (the slow part of start-up).
pub fn build_index(config: &Config, postcodes: Option<PostcodeTable>) -> anyhow::Result<NationalIndex> {
    let t = Instant::now();
    let data = diachi_synth::build_dataset(config.households.0, config.seed, postcodes)?;
    let generated = t.elapsed();
    let index = NationalIndex::build(data);
    let s = index.stats();
    tracing::info!(
        addresses = s.addresses,
        post_offices = s.post_offices,
        bytes_per_address = format!("{:.1}", s.bytes_per_address),
        generate_ms = generated.as_millis() as u64,
        index_ms = s.build_ms,
        "index ready"
    );
    Ok(index)
}

/// Builds the tile renderer over an index, with a cache of `cache_mb` megabytes of compressed tiles.
#[must_use]
pub fn tile_service(index: Arc<NationalIndex>, cache_mb: u64) -> TileService {
    let t = Instant::now();
    let renderer = TileRenderer::new(index);
    tracing::info!(build_ms = t.elapsed().as_millis() as u64, cache_mb, "tile renderer ready");
    TileService::new(renderer, cache_mb * 1_000_000)
}

/// Builds the services over an index: the tile service (unless given), the resolver, the registry's places.
#[must_use]
pub fn services(
    index: Arc<NationalIndex>,
    tiles: Option<Arc<TileService>>,
    db: Option<Arc<Database>>,
    tile_cache_mb: u64,
) -> Services {
    let tiles = tiles.unwrap_or_else(|| Arc::new(tile_service(index.clone(), tile_cache_mb)));
    let t = Instant::now();
    let resolver = Arc::new(Resolver::build(&index));
    tracing::info!(build_ms = t.elapsed().as_millis() as u64, "address resolver ready");
    let places = Arc::new(TextResolver { index: index.clone(), resolver: resolver.clone() });
    Services { index, tiles, resolver, places, db }
}

/// The parts of the state known at start: keys, the registry (with a PII key), tile files, delivery limits.
pub fn shared(config: &Config) -> anyhow::Result<Shared> {
    let registry =
        if let Some(key) = config.pii_key.as_deref().filter(|k| !k.trim().is_empty()) {
            let pii = diachi_pii::Pii::from_base64(key)?;
            Some(Arc::new(Registry::new(pii, config.registration_ttl_days).with_identity_limits(
                config.identity_checks_per_citizen_per_day,
                config.identity_checks_per_key_per_day,
            )))
        } else {
            // the default start (no registry) is normal: said once, at info level
            tracing::info!("no pii_key set: the registry and identity endpoints answer 503 (see README, Registry)");
            None
        };
    let files = (!config.tiles_files.is_empty()).then(|| FileSources::open(&config.tiles_files)).transpose()?;
    check_admin_token(config)?;
    Ok(Shared {
        keyring: Arc::new(keyring(config)),
        registry,
        files: files.map(Arc::new),
        delivery: diachi_delivery::Settings {
            sync_max_shipments: config.delivery_sync_max_shipments,
            max_shipments: config.delivery_max_shipments,
            max_couriers: config.delivery_max_couriers,
            max_plan_size: config.delivery_max_plan_size,
            ..diachi_delivery::Settings::default()
        },
        plans: Arc::new(PlanStore::new(plan_limits(config))),
        area: AreaSettings {
            limits: AreaLimits { max_visited: config.area_max_visited, ..AreaLimits::default() },
            max_in_flight: config.area_max_in_flight,
        },
        public_url: config.public_url.clone(),
        trusted_proxies: config.trusted_proxies.0.clone(),
    })
}

/// The quotas of the delivery plan store the configuration names.
fn plan_limits(config: &Config) -> plans::Limits {
    plans::Limits {
        ttl: Duration::from_secs(config.delivery_plan_ttl_s),
        max_plans: config.delivery_max_plans,
        max_plans_per_key: config.delivery_max_plans_per_key,
        max_running: config.delivery_max_running,
        max_running_per_key: config.delivery_max_running_per_key,
    }
}

/// Refuses an admin token shorter than [`diachi_auth::MIN_ADMIN_TOKEN_CHARS`] (without printing it).
fn check_admin_token(config: &Config) -> anyhow::Result<()> {
    if let Some(token) = config.admin_token.as_deref().filter(|t| !t.is_empty()) {
        let chars = token.chars().count();
        anyhow::ensure!(
            chars >= diachi_auth::MIN_ADMIN_TOKEN_CHARS,
            "admin_token (DIACHI_ADMIN_TOKEN) is {chars} characters long; it must have at least {} \
             (make one with `diachi keys admin-token`)",
            diachi_auth::MIN_ADMIN_TOKEN_CHARS
        );
    }
    Ok(())
}

/// The keys the configuration names: its admin token, its keys file, its default limit, cache time and lookup
/// limits.
fn keyring(config: &Config) -> Keyring {
    Keyring::new(
        config.admin_token.clone(),
        config.keys_file.clone(),
        config.rate_limit,
        Duration::from_secs(config.key_cache_ttl_s),
    )
    .with_lookup_limits(diachi_auth::LookupLimits {
        per_peer_per_minute: config.key_lookups_per_peer_per_minute,
        per_minute: config.key_lookups_per_minute,
    })
}

/// The state of a test or benchmark server: no admin token, no key file, no registry, the default limits.
#[must_use]
pub fn default_shared() -> Shared {
    Shared {
        keyring: Arc::new(keyring(&Config::default())),
        registry: None,
        files: None,
        delivery: diachi_delivery::Settings::default(),
        area: AreaSettings::default(),
        plans: Arc::new(PlanStore::default()),
        public_url: None,
        trusted_proxies: Vec::new(),
    }
}

/// Loads the index from the database (`serve --database-url`), then starts the change feed that keeps it current and
/// drops the tiles that changes touch.
pub fn load_from_database(config: &Config, url: &str, postcodes: Option<PostcodeTable>) -> anyhow::Result<Services> {
    let t = Instant::now();
    let geography = Geography::load(&LoadOptions { postcodes })?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let start = rt.block_on(diachi_db::open(url, geography, config.db_pool_size, config.tile_cache_mb * 1_000_000))?;
    let loaded_ms = t.elapsed().as_millis() as u64;
    let last_change = start.loaded.last_change;
    let index = Arc::new(NationalIndex::build(start.loaded.data));
    let s = index.stats();
    tracing::info!(
        addresses = s.addresses,
        post_offices = s.post_offices,
        postgis = %start.database.postgis_version,
        load_ms = loaded_ms,
        index_ms = s.build_ms,
        last_change,
        "index loaded from the database"
    );
    let db = Arc::new(start.database);
    let services = services(index.clone(), None, Some(db.clone()), config.tile_cache_mb);
    let (feed_db, feed_tiles) = (db.clone(), services.tiles.clone());
    let on_change: diachi_db::feed::OnChange = Arc::new(move |points| {
        let around: Vec<TileId> = points.iter().flat_map(|p| TileId::around(p.lon(), p.lat(), 14)).collect();
        feed_tiles.invalidate(&around);
        feed_db.tiles.invalidate(&around);
    });
    diachi_db::feed::spawn(url.to_owned(), index, last_change, on_change, db.feed.clone())?;
    Ok(services)
}

/// Makes every zoom band of the tiles (low zooms first), so that map clients do not wait for one on their first tile
/// of a zoom: run in the background once the server is ready. A tile of a band being made waits for that band only.
fn prepare_tiles(tiles: &TileService) {
    let t = Instant::now();
    tiles.renderer().prepare();
    tracing::info!(prepare_ms = t.elapsed().as_millis() as u64, "tile zoom bands prepared");
}

/// Builds the services as the configuration says: from the database, or on the generated dataset.
fn build_services(config: &Config, postcodes: Option<PostcodeTable>) -> anyhow::Result<Services> {
    match &config.database_url {
        Some(url) => load_from_database(config, url, postcodes),
        None => {
            let index = Arc::new(build_index(config, postcodes)?);
            Ok(services(index, None, None, config.tile_cache_mb))
        }
    }
}

impl Application {
    /// Binds the listener and builds the services in the background; `/health` answers at once, `/ready` once
    /// every service is built.
    pub fn build(config: &Config, postcodes: Option<PostcodeTable>) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&config.bind)?;
        let bound = listener.local_addr()?;
        let state = web::Data::new(AppState::new(shared(config)?, Metrics::new()?, bound));
        if config.public_url.is_none() && bound.ip().is_unspecified() {
            tracing::warn!(
                public_url = %state.origin.url,
                "listening on every address without public_url: absolute URLs (style, TileJSON, catalog) name the \
                 loopback address; set public_url to the URL clients use"
            );
        }
        let (tx, failed) = mpsc::channel();
        let (bg_state, cfg) = (state.clone(), config.clone());
        std::thread::Builder::new().name("services".into()).spawn(move || match build_services(&cfg, postcodes) {
            Ok(services) => {
                let tiles = services.tiles.clone();
                bg_state.set_ready(services);
                tracing::info!("ready: open {}/ for the map", bg_state.origin.url);
                prepare_tiles(&tiles);
            }
            Err(e) => {
                tracing::error!(error = %e, "building the services failed");
                let _ = tx.send(e);
            }
        })?;
        let mut app = Self::with_state(listener, state, config.workers)?;
        app.failed = Some(failed);
        Ok(app)
    }

    /// Serves an index that is already built (tests, benchmarks), with the default state.
    pub fn with_index(bind: &str, index: Arc<NationalIndex>) -> anyhow::Result<Self> {
        Self::with_services(bind, index, None)
    }

    /// Serves an index and, when given, a tile service that is already built (tests share one), with the default
    /// state.
    pub fn with_services(
        bind: &str,
        index: Arc<NationalIndex>,
        tiles: Option<Arc<TileService>>,
    ) -> anyhow::Result<Self> {
        Self::serve(bind, default_shared(), services(index, tiles, None, DEFAULT_TILE_CACHE_MB))
    }

    /// Serves services that are already built, with the given state (tests that need keys, a registry, limits).
    pub fn serve(bind: &str, shared: Shared, services: Services) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(bind)?;
        let state = web::Data::new(AppState::new(shared, Metrics::new()?, listener.local_addr()?));
        state.set_ready(services);
        Self::with_state(listener, state, 0)
    }

    /// The server: actix-web's application over actix-http's HTTP/1 service, as `HttpServer::listen` builds it
    /// (same keep-alive and disconnect timeouts), except that each connection's bytes go through [`HeadGuard`]
    /// first, so that requests refused while their head is read get the JSON error shape too (actix-http would
    /// answer them itself with an empty body). The guard times request heads out (408), so actix-http's own request
    /// timeout is off.
    fn with_state(listener: TcpListener, state: web::Data<AppState>, workers: usize) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let st = state.clone();
        let mut builder = Server::build();
        if workers > 0 {
            builder = builder.workers(workers);
        }
        let shutdown = builder.graceful_shutdown_signal();
        let limits = Limits::default();
        let server = builder
            .listen("diachi", listener, move || {
                let app = App::new()
                    .app_data(st.clone())
                    .wrap(from_fn(compress::mark_small))
                    .wrap(Compress::default())
                    .wrap(from_fn(compress::unmark))
                    .wrap(from_fn(json_errors))
                    .wrap(from_fn(observe))
                    .configure(router);
                let signal = shutdown.clone();
                let http = HttpService::build()
                    .graceful_shutdown_signal(move || {
                        let signal = signal.clone();
                        async move { signal.notified().await }
                    })
                    .keep_alive(KeepAlive::default())
                    .client_request_timeout(Duration::ZERO)
                    .client_disconnect_timeout(Duration::from_secs(1))
                    .finish(map_config(
                        actix_service::IntoServiceFactory::into_factory(app)
                            .map_err(|e: actix_web::Error| e.error_response()),
                        |()| AppConfig::default(),
                    ));
                fn_service(move |io: tokio::net::TcpStream| async move {
                    let peer = io.peer_addr().ok();
                    Ok::<_, actix_http::error::DispatchError>((HeadGuard::new(io, limits), Protocol::Http1, peer))
                })
                .and_then(http)
            })?
            .run();
        tracing::info!(port, "listening");
        Ok(Self { port, state, server, failed: None })
    }

    /// Runs until stopped (Ctrl-C / SIGTERM stop it gracefully), or until the background build fails: then the
    /// server stops and the build's error is returned.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Some(failed) = self.failed else { return Ok(self.server.await?) };
        let handle = self.server.handle();
        // the sender is dropped when the build succeeds: the watch then ends with an error and the server runs on
        let watch = actix_web::rt::task::spawn_blocking(move || failed.recv());
        match select(self.server, watch).await {
            Either::Left((res, _)) => Ok(res?),
            Either::Right((Ok(Ok(error)), _)) => {
                handle.stop(false).await;
                Err(error)
            }
            Either::Right((_, server)) => Ok(server.await?),
        }
    }
}

/// Runs `diachi serve`.
pub fn run(config: Config, postcodes: Option<PostcodeTable>) -> anyhow::Result<()> {
    actix_web::rt::System::new()
        .block_on(async move { Application::build(&config, postcodes)?.run_until_stopped().await })
}
