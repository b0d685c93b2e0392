//! The one mapping from failures to HTTP: `{"error":{"code":"snake_case","message":"…"}}` with a stable code.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use diachi_domain::{CodeError, CoordError};
use diachi_geo::index::AreaError;

fn head_guard_limits() -> super::head_guard::Limits {
    super::head_guard::Limits::default()
}

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// The HTTP status of the answer.
    pub status: StatusCode,
    /// Stable, snake_case error code.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
    /// Seconds to wait before retrying, sent as `Retry-After` (429, 503).
    pub retry_after_s: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, snake_case error code (e.g. `invalid_coordinates`, `postcode_not_found`).
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl ApiError {
    /// An error answer with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), retry_after_s: None }
    }

    /// The same error, with `Retry-After: seconds`.
    #[must_use]
    pub fn with_retry_after(self, seconds: u64) -> Self {
        Self { retry_after_s: Some(seconds.max(1)), ..self }
    }

    /// The `error` member of the answer, for errors carried inside a 200 answer (batch lines).
    #[must_use]
    pub fn detail(&self) -> ErrorDetail {
        ErrorDetail { code: self.code.to_owned(), message: self.message.clone() }
    }

    /// 400 with this code and message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404 with this code and message.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 422 `outside_coverage`: the point is outside the coverage area or not near a ward.
    pub fn outside_coverage() -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "outside_coverage",
            "the point is outside Vietnam's coverage (lon 100..120, lat 4..24, or not within 2 km of a ward)",
        )
    }

    /// 503 `not_ready`: the index is still being built.
    pub fn not_ready() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "the index is still being built; retry shortly")
    }

    /// 429 `overloaded`: too much heavy work is in flight; the answer carries `Retry-After`. 429, not 503: the
    /// server is healthy and answers everything else; the client is asked to slow down its area queries.
    #[must_use]
    pub fn overloaded() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "overloaded",
            "the server is busy with other area queries; retry shortly",
        )
        .with_retry_after(1)
    }

    /// The web map's MapLibre files are not installed (`web/node_modules` is not committed).
    #[must_use]
    pub fn web_assets_missing(dir: &std::path::Path) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "web_assets_missing",
            format!(
                "the web map's MapLibre GL JS files are not installed in {}: run `npm ci --prefix web` \
                 (or set DIACHI_WEB_ASSETS to the folder holding maplibre-gl.js and maplibre-gl.css)",
                dir.display()
            ),
        )
    }

    /// 400 `invalid_glyph_range`: a glyphs range that is not one of `0-255`, `256-511`, … `65280-65535`.
    pub fn invalid_glyph_range(message: impl Into<String>) -> Self {
        Self::bad_request("invalid_glyph_range", message)
    }

    /// The JSON error for an answer actix-web made itself (an extractor or middleware of its own, a request head
    /// refused by the connection guard): a stable code from the status.
    #[must_use]
    pub fn from_status(status: StatusCode, message: impl Into<String>) -> Self {
        let code = match status.as_u16() {
            400 => "bad_request",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            405 => "method_not_allowed",
            406 => "not_acceptable",
            408 => "request_timeout",
            409 => "conflict",
            411 => "length_required",
            412 => "precondition_failed",
            413 => "body_too_large",
            414 => "uri_too_long",
            415 => "unsupported_media_type",
            417 => "expectation_failed",
            422 => "unprocessable_entity",
            429 => "rate_limited",
            431 => "headers_too_large",
            500 => "internal_error",
            501 => "not_implemented",
            503 => "unavailable",
            s if s < 500 => "client_error",
            _ => "server_error",
        };
        let message = message.into();
        let message =
            if message.trim().is_empty() { status.canonical_reason().unwrap_or("error").to_owned() } else { message };
        Self::new(status, code, message)
    }

    /// The answer to a request whose head the connection guard refused (`/_refused/{code}`).
    #[must_use]
    pub fn refused(code: &str) -> Self {
        use super::head_guard::Refusal;
        let (status, code, message) = match code {
            c if c == Refusal::UriTooLong.code() => (
                StatusCode::URI_TOO_LONG,
                Refusal::UriTooLong.code(),
                format!("the request target (path and query) is longer than {} bytes", head_guard_limits().uri),
            ),
            c if c == Refusal::HeadersTooLarge.code() => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                Refusal::HeadersTooLarge.code(),
                format!(
                    "the request head is larger than {} bytes or has more than 96 headers",
                    head_guard_limits().head
                ),
            ),
            c if c == Refusal::Timeout.code() => (
                StatusCode::REQUEST_TIMEOUT,
                Refusal::Timeout.code(),
                format!("the request head did not arrive within {} s", head_guard_limits().head_timeout.as_secs()),
            ),
            _ => (
                StatusCode::BAD_REQUEST,
                Refusal::Malformed.code(),
                "the request is not valid HTTP/1.1 (request line, header syntax, Host, Content-Length or \
                 Transfer-Encoding)"
                    .to_owned(),
            ),
        };
        Self::new(status, code, message)
    }

    /// 405 `method_not_allowed`: the endpoint answers GET only.
    #[must_use]
    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this endpoint only answers GET")
    }
}

// The error answers as documented in the OpenAPI document, one type per status, listed in each route's
// `#[utoipa::path(responses(...))]` next to the success answer.

/// 400: a parameter is malformed or out of range.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 400,
    description = "A parameter is malformed or out of range \
        (`invalid_coordinates`, `invalid_limit`, `invalid_query`, …)"
)]
pub struct BadRequest(#[allow(dead_code)] ErrorBody);

/// 404: the thing named in the path does not exist.
#[derive(utoipa::IntoResponses)]
#[response(status = 404, description = "No such resource (`postcode_not_found`, `ward_not_found`, …)")]
pub struct NotFound(#[allow(dead_code)] ErrorBody);

/// 422: a well-formed point outside the national coverage.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 422,
    description = "`outside_coverage`: the point is outside Vietnam's coverage \
        (lon 100..120, lat 4..24, or more than 2 km from any ward)"
)]
pub struct OutsideCoverage(#[allow(dead_code)] ErrorBody);

/// 503: the index is still being built.
#[derive(utoipa::IntoResponses)]
#[response(status = 503, description = "`not_ready`: the index is still being built; retry shortly")]
pub struct NotReady(#[allow(dead_code)] ErrorBody);

/// 503 while the index is being built, or 429 when too many area queries are in flight.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // documents the answers (OpenAPI); never constructed
pub enum Busy {
    /// 503 `not_ready`.
    #[response(status = 503, description = "`not_ready`: the index is still being built; retry shortly")]
    NotReady(ErrorBody),
    /// 429 `overloaded`.
    #[response(
        status = 429,
        description = "`overloaded`: too many area queries are being computed right now; retry after `Retry-After`",
        headers(("Retry-After" = u32, description = "Seconds to wait before retrying"))
    )]
    Overloaded(ErrorBody),
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        if let Some(s) = self.retry_after_s {
            res.insert_header((actix_web::http::header::RETRY_AFTER, s));
        }
        res.json(ErrorBody { error: ErrorDetail { code: self.code.to_owned(), message: self.message.clone() } })
    }
}

impl From<CoordError> for ApiError {
    fn from(e: CoordError) -> Self {
        Self::bad_request("invalid_coordinates", e.to_string())
    }
}

impl From<AreaError> for ApiError {
    fn from(e: AreaError) -> Self {
        let code = match e {
            AreaError::BboxTooLarge { .. } => "bbox_too_large",
            AreaError::RadiusTooLarge { .. } => "radius_too_large",
            AreaError::CellTooLarge { .. } => "cell_too_large",
        };
        Self::bad_request(code, e.to_string())
    }
}

impl From<CodeError> for ApiError {
    fn from(e: CodeError) -> Self {
        match e {
            CodeError::InvalidCheckCharacter { .. } => Self::bad_request("invalid_check_character", e.to_string()),
            CodeError::OutsideCoverage { .. } => Self::outside_coverage(),
            _ => Self::bad_request("invalid_digital_address", e.to_string()),
        }
    }
}

/// 401 / 403: the admin token is missing or wrong.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 401,
    description = "`unauthorized`: no `Authorization: Bearer <admin token>` header (403 `forbidden`: a wrong token)"
)]
pub struct Unauthorized(#[allow(dead_code)] ErrorBody);

/// 415 / 413: the body is not JSON, or too large.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 415,
    description = "`unsupported_media_type`: the body is not sent as application/json (413 `body_too_large`: over 64 KiB)"
)]
pub struct UnsupportedBody(#[allow(dead_code)] ErrorBody);

/// 409: a concurrent write took the digital-address unit, five times over.
#[derive(utoipa::IntoResponses)]
#[response(status = 409, description = "`conflict`: concurrent writes in the same 1 m cell; retry")]
pub struct Conflict(#[allow(dead_code)] ErrorBody);

/// 422: the address breaks a rule.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 422,
    description = "The address is not acceptable (`invalid_street`, `invalid_house_number`, `outside_coverage`, \
        `outside_wards`, `unknown_ward`, `ward_mismatch`, …)"
)]
pub struct Unprocessable(#[allow(dead_code)] ErrorBody);

/// 503: the database is unreachable (or not configured).
#[derive(utoipa::IntoResponses)]
#[response(
    status = 503,
    description = "`database_unavailable`: the database cannot be reached right now (lookups keep answering from \
        memory); `database_not_configured`: this server runs without a database; `not_ready`"
)]
pub struct DatabaseUnavailable(#[allow(dead_code)] ErrorBody);

impl ApiError {
    /// 503 `database_unavailable`: the database cannot be reached.
    #[must_use]
    pub fn database_unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "the database cannot be reached right now; lookups keep answering from memory; retry shortly",
        )
    }

    /// 503 `audit_unavailable`: the audit row of a registry or identity request could not be written, so the
    /// answer is withheld.
    #[must_use]
    pub fn audit_unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "audit_unavailable",
            "the audit log cannot be written right now, so no answer is given; retry shortly",
        )
        .with_retry_after(1)
    }

    /// 503 `database_not_configured`: the server runs without a database.
    #[must_use]
    pub fn database_not_configured() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_not_configured",
            "this server runs on the embedded dataset without a database (start it with --database-url)",
        )
    }
}

impl From<diachi_db::DbError> for ApiError {
    fn from(e: diachi_db::DbError) -> Self {
        if e.is_unavailable() {
            return Self::database_unavailable();
        }
        tracing::error!(error = %e, "database error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "database_error", "the database failed to answer the request")
    }
}

impl From<diachi_db::addresses::WriteError> for ApiError {
    fn from(e: diachi_db::addresses::WriteError) -> Self {
        use diachi_db::addresses::WriteError as W;
        match e {
            W::Invalid { code: "conflict", message } => Self::new(StatusCode::CONFLICT, "conflict", message),
            W::Invalid { code, message } => Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message),
            W::NotFound(id) => Self::not_found("address_not_found", format!("no address {id}")),
            W::Db(e) => e.into(),
        }
    }
}

impl From<diachi_db::tiles::PgTileError> for ApiError {
    fn from(e: diachi_db::tiles::PgTileError) -> Self {
        match e {
            diachi_db::tiles::PgTileError::Tile(t) => t.into(),
            diachi_db::tiles::PgTileError::Db(d) => d.into(),
        }
    }
}

impl From<diachi_delivery::DeliveryError> for ApiError {
    fn from(e: diachi_delivery::DeliveryError) -> Self {
        use diachi_delivery::DeliveryError as D;
        match e {
            D::Invalid { code, message } => Self::bad_request(code, message),
            D::TooManyShipments { .. } => Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_many_shipments", e.to_string()),
            D::TooManyCouriers { .. } => Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_many_couriers", e.to_string()),
            D::PlanTooLarge { .. } => Self::new(StatusCode::PAYLOAD_TOO_LARGE, "plan_too_large", e.to_string()),
            D::UnknownPostOffice(_) => Self::bad_request("unknown_post_office", e.to_string()),
            D::Solver(_) => {
                tracing::error!(error = %e, "the solver refused a delivery problem");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "solver_error", "the routing failed")
            }
        }
    }
}

impl From<diachi_delivery::plans::QueueError> for ApiError {
    /// The key's own quota: 429 `plan_quota_exceeded`; the service's limit, shared by every key: 503
    /// `planner_busy`; both with `Retry-After`.
    fn from(e: diachi_delivery::plans::QueueError) -> Self {
        let (status, code) = if e.is_quota() {
            (StatusCode::TOO_MANY_REQUESTS, "plan_quota_exceeded")
        } else {
            (StatusCode::SERVICE_UNAVAILABLE, "planner_busy")
        };
        Self::new(status, code, e.to_string()).with_retry_after(e.retry_after_s())
    }
}
