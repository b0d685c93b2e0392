//! Courier delivery planning (scope `delivery:plan`): a day's shipments in, the couriers' routes out — at once for
//! small batches, else in the background (202 and a plan to poll). Plans live in memory only, for an hour, and only
//! the key that asked sees them. Formats: the plan as JSON or GeoJSON; per courier a GPX route and a CSV manifest.
//!
//! Request bodies are never logged (they carry recipients' names, masked as soon as they are read).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

use crate::http::auth::{Forbidden, NoKey, RateLimited, Scoped, scope};
use crate::http::error::{BadRequest, ErrorBody, ErrorDetail, NotFound, UnsupportedBody};
use crate::http::{ApiError, AppState};
use diachi_delivery::plans::{PlanId, PlanStore, Progress, Slot, State};
use diachi_delivery::{self as delivery, Plan, PlanRequest, output};

/// How to answer with a plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanFormat {
    /// The plan (`application/json`).
    #[default]
    Json,
    /// A FeatureCollection of routes, stops and post offices (`application/geo+json`).
    Geojson,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PlanQuery {
    /// `json` (default) or `geojson`; for a plan made in the background, give it when fetching the plan.
    #[param(inline)]
    format: Option<PlanFormat>,
    /// Make the plan in the background even if it is small (as does `Prefer: respond-async`).
    #[serde(rename = "async")]
    asynchronous: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct FormatQuery {
    /// `json` (default) or `geojson` (a plan that is done; else 409 `plan_not_ready`).
    #[param(inline)]
    format: Option<PlanFormat>,
}

/// A plan accepted to be made in the background.
#[derive(Serialize, ToSchema)]
pub struct PlanAccepted {
    pub id: String,
    /// `queued`
    pub status: String,
    /// Where to poll: `/v1/deliveries/plans/{id}`.
    pub href: String,
}

/// A plan made in the background.
#[derive(ToSchema)]
#[allow(dead_code)] // the document's shape; the answer is written from borrowed parts (`StatusOut`)
pub struct PlanStatus {
    pub id: String,
    /// `queued`, `running`, `done` or `failed`
    pub status: String,
    /// Share done, 0 to 1.
    pub progress: Option<f64>,
    /// When `done`.
    pub plan: Option<Plan>,
    /// When `failed`.
    pub error: Option<ErrorDetail>,
}

#[derive(Serialize)]
struct StatusOut<'a> {
    id: &'a str,
    status: &'static str,
    progress: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    plan: Option<&'a Plan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorDetail>,
}

/// 413: the body or the batch is too large.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 413,
    description = "`body_too_large`: the body is over the limit (48 MiB); `too_many_shipments`: over 500,000 \
        shipments; `too_many_couriers`: over 10,000 couriers; `plan_too_large`: over 1,000,000,000 shipments × \
        couriers (the defaults)"
)]
pub struct TooLarge(#[allow(dead_code)] ErrorBody);

/// 409: the plan is not done yet.
#[derive(utoipa::IntoResponses)]
#[response(status = 409, description = "`plan_not_ready`: the plan is still queued or running, or failed")]
pub struct NotDone(#[allow(dead_code)] ErrorBody);

/// 503: the planner is busy or the index is not built.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 503,
    description = "`planner_busy`: as many plans as the service allows are being made or kept, all keys together \
        (retry after `Retry-After` seconds); `not_ready`: the index is still being built",
    headers(("Retry-After" = u64, description = "seconds to wait (`planner_busy`)"))
)]
pub struct Busy(#[allow(dead_code)] ErrorBody);

/// 429: over the key's rate limit or its quota of plans.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 429,
    description = "`rate_limited`: over the key's rate limit; `plan_quota_exceeded`: the key has as many plans \
        being made (2 by default, answered at once or in the background) or kept (16, each kept an hour after it \
        is done) as its quota; retry after `Retry-After` seconds",
    headers(("Retry-After" = u64, description = "seconds to wait"))
)]
pub struct OverQuota(#[allow(dead_code)] ErrorBody);

fn overloaded() -> ApiError {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "overloaded", "try again")
}

/// Reads the body up to `limit` bytes (a 413 beyond), as JSON only (415 otherwise).
async fn read_body(req: &HttpRequest, mut payload: web::Payload, limit: usize) -> Result<web::Bytes, ApiError> {
    let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if mime != "application/json" {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        ));
    }
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body is larger than {} MiB", limit >> 20),
        )
    };
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("invalid_body", e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn render(plan: &Plan, format: PlanFormat) -> HttpResponse {
    match format {
        PlanFormat::Json => HttpResponse::Ok().json(plan),
        PlanFormat::Geojson => HttpResponse::Ok().content_type("application/geo+json").json(output::geojson(plan)),
    }
}

fn plan_not_found() -> ApiError {
    ApiError::not_found("plan_not_found", "no such plan (or it expired, or another key made it)")
}

/// Plans a day's deliveries. Each address is placed (text in any form, a digital address or coordinates), each
/// shipment given to the nearest listed post office of its ward (else of its province), and each office's
/// shipments split among its couriers by capacity and shift and put in order. Every shipment is either on a route
/// or in `unassigned` with a reason. Batches up to 2,000 shipments are answered at once (200) unless `async=true`
/// or `Prefer: respond-async`; bigger ones get 202 with the plan's URL to poll. Each plan being made takes one of
/// the key's running slots, answered at once or not (2 per key, 4 in all by default), and each plan made in the
/// background counts against the key's plans kept (16) until it expires: over the key's quota 429
/// `plan_quota_exceeded`, over the service's limits 503 `planner_busy`, both with `Retry-After`; no plan of
/// another key is ever dropped to make room.
#[utoipa::path(post, path = "/v1/deliveries/plan", tag = "deliveries", request_body = PlanRequest,
    params(PlanQuery),
    security(("api_key" = ["delivery:plan"])),
    responses(
        (status = 200, description = "The plan (`format=geojson`: a FeatureCollection)",
            content((Plan = "application/json"), (Object = "application/geo+json"))),
        (status = 202, description = "Accepted: poll `href` (also in `Location`)", body = PlanAccepted,
            headers(("Location" = String, description = "the plan's URL"))),
        BadRequest, NoKey, Forbidden, OverQuota, TooLarge, UnsupportedBody, Busy))]
pub async fn plan_deliveries(
    key: Scoped<scope::DeliveryPlan>,
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<PlanQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let settings = state.delivery_settings().clone();
    let body = read_body(&req, payload, settings.max_body_bytes).await?;
    let (ix, resolver) = super::validate::resolver(&state).await?;
    // the key's running slot, held from reading the request to the plan made (at once or in the background)
    let slot = state.plans.begin(&key.0.key_id)?;
    let (ix2, limits) = (ix.clone(), settings.clone());
    let (batch, slot) = web::block(move || -> Result<(delivery::Batch, Slot), ApiError> {
        let request: PlanRequest =
            serde_json::from_slice(&body).map_err(|e| ApiError::bad_request("invalid_body", e.to_string()))?;
        let batch = request.check(&limits)?;
        delivery::plan::check_offices(&ix2, &batch)?;
        Ok((batch, slot))
    })
    .await
    .map_err(|_| overloaded())??;

    let work = Work { ix, resolver, batch, settings, slot };
    if wants_background(&req, &query, &work) {
        return plan_in_background(&state, work);
    }
    let plan = web::block(move || {
        let plan = delivery::plan(&work.ix, &work.resolver, &work.batch, &work.settings, &|_| {});
        drop(work.slot);
        plan
    })
    .await
    .map_err(|_| overloaded())??;
    Ok(render(&plan, query.format.unwrap_or_default()))
}

/// A checked plan request, what it is made with, and the running slot it holds.
struct Work {
    ix: Arc<diachi_geo::index::NationalIndex>,
    resolver: Arc<diachi_resolve::Resolver>,
    batch: delivery::Batch,
    settings: delivery::Settings,
    slot: Slot,
}

/// `?async=true`, `Prefer: respond-async`, or more shipments than are answered at once.
fn wants_background(req: &HttpRequest, query: &PlanQuery, work: &Work) -> bool {
    let prefer_async = req
        .headers()
        .get_all("prefer")
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|p| p.trim().eq_ignore_ascii_case("respond-async")));
    query.asynchronous.unwrap_or(false) || prefer_async || work.batch.shipments.len() > work.settings.sync_max_shipments
}

/// Queues the plan (within the key's quota of kept plans) and makes it on a thread of its own: 202 + `Location`.
fn plan_in_background(state: &AppState, work: Work) -> Result<HttpResponse, ApiError> {
    let store = state.plans.clone();
    let (id, progress) = store.queue(&work.slot)?;
    let job = id.clone();
    let spawned =
        std::thread::Builder::new().name("delivery-plan".into()).spawn(move || run_plan(&store, &job, work, &progress));
    if spawned.is_err() {
        state.plans.set(&id, State::Failed("the planner could not start".into()));
        return Err(overloaded());
    }
    let href = format!("/v1/deliveries/plans/{}", id.as_str());
    let mut res = HttpResponse::Accepted().json(PlanAccepted {
        id: id.as_str().to_owned(),
        status: "queued".into(),
        href: href.clone(),
    });
    if let Ok(v) = HeaderValue::from_str(&href) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// Makes a queued plan and stores the outcome; its running slot is freed once it is stored.
fn run_plan(store: &PlanStore, job: &PlanId, work: Work, progress: &Progress) {
    store.set(job, State::Running);
    let started = std::time::Instant::now();
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        delivery::plan(&work.ix, &work.resolver, &work.batch, &work.settings, &|share| progress.set(share))
    }));
    let outcome = match run {
        Ok(Ok(plan)) => State::Done(Arc::new(plan)),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "a delivery plan failed");
            State::Failed(e.to_string())
        }
        Err(_) => {
            tracing::error!("a delivery plan panicked");
            State::Failed("the planner failed".into())
        }
    };
    tracing::info!(
        shipments = work.batch.shipments.len(),
        ms = started.elapsed().as_millis() as u64,
        status = outcome.name(),
        "delivery plan made"
    );
    store.set(job, outcome);
    drop(work.slot);
}

/// The plan of the caller's key, done or not; 404 for an unknown or expired id, or another key's plan.
fn snapshot(state: &AppState, key: &str, id: &str) -> Result<(PlanId, delivery::plans::Snapshot), ApiError> {
    let id = PlanId::parse(id).ok_or_else(plan_not_found)?;
    let snap = state.plans.get(&id, key).ok_or_else(plan_not_found)?;
    Ok((id, snap))
}

fn done(snap: delivery::plans::Snapshot) -> Result<Arc<Plan>, ApiError> {
    match snap.state {
        State::Done(p) => Ok(p),
        other => Err(ApiError::new(
            StatusCode::CONFLICT,
            "plan_not_ready",
            format!("the plan is {}; poll it until it is done", other.name()),
        )),
    }
}

/// A plan made in the background: its status and progress, and the plan once done (`format=geojson`: the
/// FeatureCollection of a done plan).
#[utoipa::path(get, path = "/v1/deliveries/plans/{id}", tag = "deliveries",
    params(("id" = String, Path, description = "the plan's id (32 hex digits)"), FormatQuery),
    security(("api_key" = ["delivery:plan"])),
    responses(
        (status = 200, description = "The status (with the plan when done); `format=geojson`: the FeatureCollection",
            content((PlanStatus = "application/json"), (Object = "application/geo+json"))),
        BadRequest, NoKey, Forbidden, RateLimited, NotFound, NotDone))]
pub async fn delivery_plan(
    key: Scoped<scope::DeliveryPlan>,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<FormatQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, snap) = snapshot(&state, &key.0.key_id, &path)?;
    if query.format == Some(PlanFormat::Geojson) {
        let plan = done(snap)?;
        return Ok(render(&plan, PlanFormat::Geojson));
    }
    let (plan, error) = match &snap.state {
        State::Done(p) => (Some(p.clone()), None),
        State::Failed(m) => (None, Some(ErrorDetail { code: "plan_failed".into(), message: m.clone() })),
        _ => (None, None),
    };
    Ok(HttpResponse::Ok().json(StatusOut {
        id: id.as_str(),
        status: snap.state.name(),
        progress: snap.progress,
        plan: plan.as_deref(),
        error,
    }))
}

fn courier_of<'a>(
    plan: &'a Plan,
    courier: &str,
) -> Result<(&'a delivery::plan::OfficePlan, &'a delivery::plan::CourierRoute), ApiError> {
    plan.courier(courier).ok_or_else(|| {
        ApiError::not_found("courier_not_found", "the plan has no route for this courier (`<post office>-<n>`)")
    })
}

/// One courier's route as GPX 1.1 (a `<rte>`: the post office, the stops in order, the post office).
#[utoipa::path(get, path = "/v1/deliveries/plans/{id}/couriers/{courier}/route.gpx", tag = "deliveries",
    params(("id" = String, Path, description = "the plan's id"),
        ("courier" = String, Path, description = "`<post office id>-<n>`, as in the plan", example = "1042-1")),
    security(("api_key" = ["delivery:plan"])),
    responses((status = 200, description = "GPX 1.1", content_type = "application/gpx+xml", body = String),
        NoKey, Forbidden, RateLimited, NotFound, NotDone))]
pub async fn courier_gpx(
    key: Scoped<scope::DeliveryPlan>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, courier) = path.into_inner();
    let plan = done(snapshot(&state, &key.0.key_id, &id)?.1)?;
    let (office, route) = courier_of(&plan, &courier)?;
    Ok(HttpResponse::Ok().content_type("application/gpx+xml").body(output::gpx(office, route)))
}

/// One courier's manifest as CSV (RFC 4180): `sequence,shipment,recipient,address,digital_address,postcode,arrival,
/// parcels`, the recipient's name masked.
#[utoipa::path(get, path = "/v1/deliveries/plans/{id}/couriers/{courier}/manifest.csv", tag = "deliveries",
    params(("id" = String, Path, description = "the plan's id"),
        ("courier" = String, Path, description = "`<post office id>-<n>`, as in the plan", example = "1042-1")),
    security(("api_key" = ["delivery:plan"])),
    responses((status = 200, description = "CSV with a header line", content_type = "text/csv", body = String),
        NoKey, Forbidden, RateLimited, NotFound, NotDone))]
pub async fn courier_manifest(
    key: Scoped<scope::DeliveryPlan>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, courier) = path.into_inner();
    let plan = done(snapshot(&state, &key.0.key_id, &id)?.1)?;
    let (_, route) = courier_of(&plan, &courier)?;
    let csv = output::manifest_csv(route).map_err(|e| {
        tracing::error!(error = %e, "writing a manifest failed");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "the manifest could not be written")
    })?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}.csv\"", route.courier)))
        .body(csv))
}
