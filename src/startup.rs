//! Builds the application (listener, state, router) and runs it. `main` and the tests share this.

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use std::net::TcpListener;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use crate::config::Config;
use crate::geography::PostcodeTable;
use crate::http::{AppState, metrics::Metrics, observe, router};
use crate::index::NationalIndex;

/// A bound, not yet running server.
pub struct Application {
    pub port: u16,
    pub state: web::Data<AppState>,
    server: Server,
}

/// Generates the dataset and builds the index (the slow part of start-up).
pub fn build_index(config: &Config, postcodes: Option<PostcodeTable>) -> anyhow::Result<NationalIndex> {
    let t = Instant::now();
    let data = crate::dataset::build(config.households.0, config.seed, postcodes)?;
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

impl Application {
    /// Binds the listener and starts building the index in the background; `/health` answers at once,
    /// `/ready` once the index is loaded.
    pub fn build(config: &Config, postcodes: Option<PostcodeTable>) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&config.bind)?;
        let state = web::Data::new(AppState { index: OnceLock::new(), metrics: Metrics::new()? });
        let bg_state = state.clone();
        let cfg = config.clone();
        std::thread::Builder::new().name("index-builder".into()).spawn(move || match build_index(&cfg, postcodes) {
            Ok(ix) => {
                bg_state.metrics.set_index(ix.stats());
                let _ = bg_state.index.set(Arc::new(ix));
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
        let listener = TcpListener::bind(bind)?;
        let state = web::Data::new(AppState { index: OnceLock::new(), metrics: Metrics::new()? });
        state.metrics.set_index(index.stats());
        let _ = state.index.set(index);
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
