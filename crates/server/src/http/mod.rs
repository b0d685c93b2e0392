//! The HTTP layer: thin handlers over the index, one error mapping, request logging and metrics.

mod audit;
mod auth;
pub mod compress;
mod dto;
mod error;
pub mod head_guard;
mod heavy;
pub(crate) mod metrics;
mod openapi;
pub mod origin;
mod params;
mod routes;
mod state;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use std::time::Instant;

pub use error::ApiError;
pub use openapi::ApiDoc;

pub use state::{AppState, AreaSettings, Services, Shared};

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
    // the stand-in of a request whose head the connection guard refused (any method; not in the OpenAPI document)
    .service(
        web::resource(format!("{}{{code}}", head_guard::REFUSED_PREFIX))
            .to(|code: web::Path<String>| async move { Err::<actix_web::HttpResponse, _>(ApiError::refused(&code)) }),
    )
    .default_service(web::to(|| async {
        Err::<actix_web::HttpResponse, _>(ApiError::not_found("not_found", "no such endpoint; see /openapi.json"))
    }));
}

/// Every error answer in the API's JSON shape: an answer of status 400 or more that is not JSON was made by
/// actix-web itself (an extractor without an error handler of ours, the compression middleware's 406, …); it is
/// replaced by `{"error":{"code","message"}}` with a code from its status ([`ApiError::from_status`]) and its
/// headers kept (`Allow`, `Vary`, …). Errors that reach here unanswered get the same.
pub async fn json_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // The request is not cloned up front: actix reuses a request only when it holds the one reference to it.
    let res = match next.call(req).await {
        Ok(res) => res,
        Err(e) => {
            let answer = e.error_response();
            if is_json(answer.headers()) {
                return Err(e);
            }
            let json = ApiError::from_status(answer.status(), e.to_string()).error_response();
            return Err(actix_web::error::InternalError::from_response(e.to_string(), json).into());
        }
    };
    let status = res.status();
    if status.as_u16() < 400 || is_json(res.headers()) {
        return Ok(res.map_into_left_body());
    }
    let message = res.response().error().map(ToString::to_string).unwrap_or_default();
    let (request, answer) = res.into_parts();
    let mut json = ApiError::from_status(status, message).error_response();
    for (name, value) in answer.headers() {
        if ![header::CONTENT_TYPE, header::CONTENT_LENGTH, header::CONTENT_ENCODING, header::TRANSFER_ENCODING]
            .contains(name)
        {
            json.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(request, json).map_into_right_body())
}

fn is_json(headers: &header::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("application/json"))
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
