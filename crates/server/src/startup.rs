//! Builds the application (listener, state, router) and runs it. `main` and the tests share this.

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use crate::config::Config;
use crate::http::{AppState, metrics::Metrics, observe, router};
use diachi_geo::geography::PostcodeTable;
use diachi_geo::index::NationalIndex;
use diachi_tiles::files::FileSources;
use diachi_tiles::{TileRenderer, TileService};

/// A bound, not yet running server.
pub struct Application {
    pub port: u16,
    pub state: web::Data<AppState>,
    server: Server,
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

/// Loads the index from the database (`serve --database-url`), then starts the change feed that keeps it current and
/// drops the tiles that changes touch. Sets the database, the index and the tile service in `state`.
pub fn load_from_database(
    config: &Config,
    url: &str,
    postcodes: Option<PostcodeTable>,
    state: &web::Data<AppState>,
) -> anyhow::Result<()> {
    let t = Instant::now();
    let geography = diachi_geo::geography::Geography::load(&diachi_geo::geography::LoadOptions { postcodes })?;
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
    state.metrics.set_index(s);
    let db = Arc::new(start.database);
    let tiles = Arc::new(tile_service(index.clone(), config.tile_cache_mb));
    let (feed_db, feed_tiles) = (db.clone(), tiles.clone());
    let on_change: diachi_db::feed::OnChange = Arc::new(move |points| {
        let around: Vec<diachi_tiles::TileId> =
            points.iter().flat_map(|p| diachi_tiles::TileId::around(p.lon(), p.lat(), 14)).collect();
        feed_tiles.invalidate(&around);
        feed_db.tiles.invalidate(&around);
    });
    diachi_db::feed::spawn(url.to_owned(), index.clone(), last_change, on_change, db.feed.clone())?;
    let _ = state.db.set(db);
    let _ = state.tiles.set(tiles);
    let _ = state.index.set(index.clone());
    build_resolver(state, &index);
    Ok(())
}

/// Builds the address resolver over the index (unless a request already made it build on first use).
fn build_resolver(state: &AppState, index: &NationalIndex) {
    let t = Instant::now();
    let _ = state.resolver.get_or_init(|| Arc::new(diachi_resolve::Resolver::build(index)));
    tracing::info!(build_ms = t.elapsed().as_millis() as u64, "address resolver ready");
}

impl Application {
    /// Binds the listener and starts building the index in the background; `/health` answers at once,
    /// `/ready` once the index is loaded.
    pub fn build(config: &Config, postcodes: Option<PostcodeTable>) -> anyhow::Result<Self> {
        let files = FileSources::open(&config.tiles_files)?;
        let listener = TcpListener::bind(&config.bind)?;
        let state = web::Data::new(AppState::new(Metrics::new()?));
        let _ = state.files.set(Arc::new(files));
        if let Some(token) = config.admin_token.clone().filter(|t| !t.is_empty()) {
            let _ = state.admin_token.set(token);
        }
        set_security(config, &state)?;
        let _ = state.delivery.set(diachi_delivery::Settings {
            sync_max_shipments: config.delivery_sync_max_shipments,
            max_shipments: config.delivery_max_shipments,
            ..diachi_delivery::Settings::default()
        });
        let bg_state = state.clone();
        let tile_cache = config.tile_cache_mb;
        let cfg = config.clone();
        if let Some(url) = config.database_url.clone() {
            std::thread::Builder::new().name("index-loader".into()).spawn(move || {
                if let Err(e) = load_from_database(&cfg, &url, postcodes, &bg_state) {
                    tracing::error!(error = %e, "loading the index from the database failed");
                    std::process::exit(1);
                }
            })?;
            return Self::with_state(listener, state, config.workers);
        }
        std::thread::Builder::new().name("index-builder".into()).spawn(move || match build_index(&cfg, postcodes) {
            Ok(ix) => {
                bg_state.metrics.set_index(ix.stats());
                let ix = Arc::new(ix);
                let _ = bg_state.index.set(ix.clone());
                let _ = bg_state.tiles.get_or_init(|| Arc::new(tile_service(ix.clone(), tile_cache)));
                build_resolver(&bg_state, &ix);
            }
            Err(e) => {
                tracing::error!(error = %e, "building the index failed");
                std::process::exit(1);
            }
        })?;
        Self::with_state(listener, state, config.workers)
    }

    /// Serves an index that is already built (tests, benchmarks).
    pub fn with_index(bind: &str, index: Arc<NationalIndex>) -> anyhow::Result<Self> {
        Self::with_services(bind, index, None)
    }

    /// Serves an index and, when given, a tile service that is already built (tests share one); without it, the
    /// tile service is built on the first tile request.
    pub fn with_services(
        bind: &str,
        index: Arc<NationalIndex>,
        tiles: Option<Arc<TileService>>,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(bind)?;
        let state = web::Data::new(AppState::new(Metrics::new()?));
        state.metrics.set_index(index.stats());
        let _ = state.index.set(index);
        if let Some(t) = tiles {
            let _ = state.tiles.set(t);
        }
        Self::with_state(listener, state, 0)
    }

    fn with_state(listener: TcpListener, state: web::Data<AppState>, workers: usize) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let st = state.clone();
        let mut server = HttpServer::new(move || {
            App::new().app_data(st.clone()).wrap(Compress::default()).wrap(from_fn(observe)).configure(router)
        })
        .listen(listener)?;
        if workers > 0 {
            server = server.workers(workers);
        }
        tracing::info!(port, "listening");
        Ok(Self { port, state, server: server.run() })
    }

    /// Runs until stopped (Ctrl-C / SIGTERM stop it gracefully).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Runs `diachi serve`.
pub fn run(config: Config, postcodes: Option<PostcodeTable>) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(&config, postcodes)?;
        app.run_until_stopped().await?;
        Ok(())
    })
}

/// The API keys and, with a PII key, the registry.
pub fn set_security(config: &Config, state: &AppState) -> anyhow::Result<()> {
    let _ = state.keyring.set(Arc::new(diachi_auth::Keyring::new(
        config.admin_token.clone(),
        config.keys_file.clone(),
        config.rate_limit,
        std::time::Duration::from_secs(config.key_cache_ttl_s),
    )));
    if let Some(key) = config.pii_key.as_deref().filter(|k| !k.trim().is_empty()) {
        let pii = diachi_pii::Pii::from_base64(key)?;
        let _ = state.registry.set(Arc::new(diachi_registry::Registry::new(pii, config.registration_ttl_days)));
    } else {
        tracing::warn!("no pii_key: the registry and identity endpoints answer 503");
    }
    Ok(())
}
