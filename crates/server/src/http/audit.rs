//! The audit log of registry and identity requests: one row per request, whatever its outcome (refused keys,
//! bad input and rate limits included) — the key id, the action, the outcome (`ok` or the error code), the status,
//! the time and the request id; never the request's body.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use crate::http::auth::{Caller, Rejection};
use crate::http::{ApiError, AppState, RequestId};
use diachi_db::registry::AuditEntry;

/// The action of a route, as logged.
fn action(method: &str, pattern: &str) -> &'static str {
    match (method, pattern) {
        ("POST", "/v1/registrations") => "registration.create",
        ("GET" | "HEAD", "/v1/registrations/{id}") => "registration.read",
        ("POST", "/v1/registrations/{id}/verify") => "registration.verify",
        ("POST", "/v1/registrations/{id}/revoke") => "registration.revoke",
        ("POST", "/v1/identity/verify-address") => "identity.verify_address",
        _ => "other",
    }
}

/// Writes the audit row after the handler answered. Without a database nothing is written (the registry
/// endpoints then answer 503 anyway); a failed write is logged (without personal data) and the answer still sent.
pub async fn audit(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let res = next.call(req).await?;
    let Some(db) = state.as_ref().and_then(|s| s.database()) else { return Ok(res) };
    let request = res.request();
    let pattern = request.match_pattern().unwrap_or_default();
    let act = action(request.method().as_str(), &pattern);
    let registration_id = request.match_info().get("id").and_then(|s| uuid::Uuid::parse_str(s.trim()).ok());
    let outcome: &str = match res.response().error() {
        None => "ok",
        Some(e) => e
            .as_error::<ApiError>()
            .map(|a| a.code)
            .or_else(|| e.as_error::<Rejection>().map(|r| r.error.code))
            .unwrap_or("error"),
    };
    let (request_id, key_id) = {
        let ext = request.extensions();
        (ext.get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default(), ext.get::<Caller>().map(|c| c.0.clone()))
    };
    let entry = AuditEntry {
        request_id: &request_id,
        key_id: key_id.as_deref(),
        action: act,
        outcome,
        status: i32::from(res.status().as_u16()),
        registration_id,
    };
    if let Err(e) = diachi_db::registry::audit(&db.pool, &entry).await {
        tracing::error!(error = %e, action = act, request_id = %request_id, "writing the audit log failed");
    }
    Ok(res)
}
