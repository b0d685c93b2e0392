use actix_web::{HttpResponse, web};
use utoipa::OpenApi;

use crate::http::dto::{DatabaseStatus, Health, Ready};
use crate::http::{ApiDoc, AppState};

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health", tag = "system",
    responses((status = 200, description = "The process is up", body = Health)))]
pub async fn health() -> web::Json<Health> {
    web::Json(Health { status: "ok".into() })
}

/// Readiness: the index is loaded (503 until then).
#[utoipa::path(get, path = "/ready", tag = "system",
    responses(
        (status = 200, description = "The index is loaded", body = Ready),
        (status = 503, description = "The index is still being built", body = Ready)
    ))]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    match state.ready().map(|s| &s.index) {
        Some(ix) => HttpResponse::Ok().json(Ready {
            ready: true,
            addresses: Some(ix.stats().addresses),
            post_offices: Some(ix.stats().post_offices),
            bytes_per_address: Some((ix.stats().bytes_per_address * 10.0).round() / 10.0),
            database: state.database().map(|db| {
                use std::sync::atomic::Ordering::Relaxed;
                DatabaseStatus {
                    postgis: db.postgis_version.clone(),
                    feed_connected: db.feed.connected.load(Relaxed),
                    applied_change: db.feed.applied.load(Relaxed),
                    live_changes: ix.overlay().len(),
                    reconnects: db.feed.reconnects.load(Relaxed),
                }
            }),
        }),
        None => HttpResponse::ServiceUnavailable().json(Ready {
            ready: false,
            addresses: None,
            post_offices: None,
            bytes_per_address: None,
            database: None,
        }),
    }
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", tag = "system",
    responses((status = 200, description = "Prometheus text exposition format 0.0.4", content_type = "text/plain",
        body = String)))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    if let Some(s) = state.ready() {
        state.metrics.set_tiles(&s.tiles.stats());
        state.metrics.set_h3_rollups(s.index.h3_rollups_kept());
    }
    state.metrics.set_area_in_flight(state.heavy.in_flight());
    state.metrics.set_log_dropped(crate::telemetry::dropped_log_lines());
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(state.metrics.render())
}

/// This OpenAPI 3 document.
#[utoipa::path(get, path = "/openapi.json", tag = "system",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json",
        body = Object)))]
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
