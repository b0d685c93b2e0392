//! The one mapping from failures to HTTP: `{"error":{"code":"snake_case","message":"…"}}` with a stable code.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{CodeError, CoordError};

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, snake_case error code (e.g. `invalid_coordinates`, `postcode_not_found`).
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn outside_coverage() -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "outside_coverage",
            "the point is outside Vietnam's coverage (lon 100..120, lat 4..24, or not within 2 km of a ward)",
        )
    }

    pub fn not_ready() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "the index is still being built; retry shortly")
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status)
            .json(ErrorBody { error: ErrorDetail { code: self.code.to_owned(), message: self.message.clone() } })
    }
}

impl From<CoordError> for ApiError {
    fn from(e: CoordError) -> Self {
        Self::bad_request("invalid_coordinates", e.to_string())
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

/// Turns extractor failures (bad query strings, paths) into the JSON error shape.
pub fn extractor_error(code: &'static str) -> impl Fn(String) -> actix_web::Error + Clone {
    move |msg| ApiError::bad_request(code, msg).into()
}
