//! The audit log of registry and identity requests: one row per request, whatever its outcome (refused keys,
//! bad input and rate limits included) — the key id, the action, the outcome (`ok` or the error code), the status,
//! the time and the request id, and for identity checks the level asked and the keyed hash of the citizen ID (never
//! the ID); never the request's body.
//!
//! The row is written before the answer leaves: when it cannot be written, the answer is withheld and replaced by
//! 503 `audit_unavailable` (what the handler did, e.g. a registration stored, stays done; its answer is not given).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};

use crate::http::auth::{Caller, Rejection};
use crate::http::{ApiError, AppState, RequestId};
use diachi_db::registry::AuditEntry;

/// What an identity check adds to its audit row, put in the request's extensions by the handler.
#[derive(Debug, Clone, Copy)]
pub struct IdentityAudit {
    /// The level asked at.
    pub level: &'static str,
    /// The keyed hash of the citizen ID asked about, once the ID was read.
    pub subject: Option<[u8; 32]>,
}

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

/// Writes the audit row once the handler answered, and only then lets the answer go; a failed write answers 503
/// `audit_unavailable` instead (logged without personal data). Without a database nothing is written (the registry
/// endpoints then answer 503 anyway).
pub async fn audit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let res = next.call(req).await?.map_into_boxed_body();
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
    let (request_id, key_id, identity) = {
        let ext = request.extensions();
        (
            ext.get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default(),
            ext.get::<Caller>().map(|c| c.0.clone()),
            ext.get::<IdentityAudit>().copied(),
        )
    };
    let subject = identity.and_then(|i| i.subject);
    let entry = AuditEntry {
        request_id: &request_id,
        key_id: key_id.as_deref(),
        action: act,
        outcome,
        status: i32::from(res.status().as_u16()),
        registration_id,
        subject_hash: subject.as_ref().map(<[u8; 32]>::as_slice),
        identity_level: identity.map(|i| i.level),
    };
    match diachi_db::registry::audit(&db.pool, &entry).await {
        Ok(()) => Ok(res),
        Err(e) => {
            tracing::error!(error = %e, action = act, request_id = %request_id, "writing the audit log failed; answer withheld");
            let (request, _withheld) = res.into_parts();
            Ok(ServiceResponse::new(request, ApiError::audit_unavailable().error_response()))
        }
    }
}
