//! Live updates of addresses (admin only): written to PostGIS, then seen by every instance through the change feed.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::db::addresses::{self as writes, AddressInput, AddressPatch};
use crate::domain::{LonLat, WardCode};
use crate::http::dto::Address;
use crate::http::error::{
    BadRequest, Conflict, DatabaseUnavailable, NotFound, Unauthorized, Unprocessable, UnsupportedBody,
};
use crate::http::{ApiError, AppState};

/// Compares without an early exit, so the time taken does not tell how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

/// 401 without a bearer token, 403 with a wrong one (or when no admin token is configured).
pub fn require_admin(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                actix_web::http::StatusCode::UNAUTHORIZED,
                "unauthorized",
                "this endpoint needs `Authorization: Bearer <admin token>`",
            )
        })?;
    match state.admin_token.get() {
        Some(token) if constant_time_eq(given.as_bytes(), token.as_bytes()) => Ok(()),
        _ => {
            Err(ApiError::new(actix_web::http::StatusCode::FORBIDDEN, "forbidden", "the token is not the admin token"))
        }
    }
}

/// The admin check as an extractor, listed first so that it runs before the body is read: a request without the
/// token gets 401/403 whatever its body.
pub struct Admin;

impl actix_web::FromRequest for Admin {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let result = match req.app_data::<web::Data<AppState>>() {
            Some(state) => require_admin(req, state).map(|()| Admin),
            None => Err(ApiError::not_ready()),
        };
        std::future::ready(result)
    }
}

/// A new address.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAddress {
    #[schema(minimum = 4.0, maximum = 24.0, example = 21.0285)]
    pub lat: f64,
    #[schema(minimum = 100.0, maximum = 120.0, example = 105.8542)]
    pub lon: f64,
    #[schema(minimum = 1, maximum = 65535, example = 12)]
    pub house_number: i64,
    #[schema(example = "Phố Hàng Bài", min_length = 1, max_length = 200, pattern = r"\S")]
    pub street: String,
    /// The alley's number (`Ngõ 45` → 45); 0 or absent = on the street itself
    #[serde(default)]
    #[schema(minimum = 0, maximum = 65535)]
    pub alley: Option<i64>,
    /// Unit in a multi-unit building; 0 or absent = none
    #[serde(default)]
    #[schema(minimum = 0, maximum = 65535)]
    pub apartment: Option<i64>,
    /// 5-digit ward code; found from the location when absent, checked against it when given
    #[serde(default)]
    #[schema(example = "00070")]
    pub ward_code: Option<String>,
}

/// Changes to an address: any of the fields (`lat` and `lon` together).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressChanges {
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub house_number: Option<i64>,
    pub street: Option<String>,
    pub alley: Option<i64>,
    pub apartment: Option<i64>,
    pub ward_code: Option<String>,
}

fn small(field: &'static str, v: i64, min: i64) -> Result<u16, ApiError> {
    u16::try_from(v).ok().filter(|&n| i64::from(n) >= min).ok_or_else(|| {
        ApiError::new(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            if field == "house_number" { "invalid_house_number" } else { "invalid_number" },
            format!("{field} must be {min} to 65535"),
        )
    })
}

fn ward(code: Option<&str>) -> Result<Option<WardCode>, ApiError> {
    code.map(|c| WardCode::parse(c.trim()).map_err(|e| ApiError::bad_request("invalid_ward_code", e.to_string())))
        .transpose()
}

fn address_path(path: &str) -> Result<u32, ApiError> {
    path.trim()
        .parse()
        .map_err(|_| ApiError::bad_request("invalid_address_id", "an address id is a non-negative integer"))
}

fn created(state: &AppState, id: u32, r: &crate::dataset::AddressRecord) -> Result<Address, ApiError> {
    let geo = &state.index()?.data.geography;
    let view = crate::dataset::AddressView::new(geo, id, r.as_ref())
        .ok_or_else(|| ApiError::new(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR, "internal", "bad record"))?;
    Ok(Address::new(geo, view, None))
}

/// Adds an address (admin). Every instance serves it, in lookups and tiles, within about a second.
#[utoipa::path(post, path = "/v1/addresses", tag = "addresses", request_body = NewAddress,
    security(("admin_token" = [])),
    responses(
        (status = 201, description = "Created; `Location` names it", body = Address),
        BadRequest, Unauthorized, Conflict, UnsupportedBody, Unprocessable, DatabaseUnavailable))]
pub async fn create_address(
    _admin: Admin,
    state: web::Data<AppState>,
    body: web::Json<NewAddress>,
) -> Result<HttpResponse, ApiError> {
    let db = state.db()?;
    let b = body.into_inner();
    let input = AddressInput {
        location: LonLat::new(b.lon, b.lat)?,
        ward: ward(b.ward_code.as_deref())?,
        street: b.street,
        house: small("house_number", b.house_number, 1)?,
        alley: small("alley", b.alley.unwrap_or(0), 0)?,
        apartment: small("apartment", b.apartment.unwrap_or(0), 0)?,
    };
    let geo = &state.index()?.data.geography;
    let (id, record) = writes::insert(&db.pool, geo, &input).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/addresses/{id}")))
        .json(created(&state, id, &record)?))
}

/// Changes an address (admin). The digital address changes only when it moves out of its 1 m cell.
#[utoipa::path(patch, path = "/v1/addresses/{id}", tag = "addresses", request_body = AddressChanges,
    params(("id" = i64, Path, description = "address id", minimum = 0, maximum = 4_294_967_295_i64)),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "The address as changed", body = Address),
        BadRequest, Unauthorized, NotFound, Conflict, UnsupportedBody, Unprocessable, DatabaseUnavailable))]
pub async fn update_address(
    _admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<AddressChanges>,
) -> Result<HttpResponse, ApiError> {
    let db = state.db()?;
    let id = address_path(&path)?;
    let b = body.into_inner();
    let location = match (b.lat, b.lon) {
        (Some(lat), Some(lon)) => Some(LonLat::new(lon, lat)?),
        (None, None) => None,
        _ => return Err(ApiError::bad_request("invalid_body", "give lat and lon together")),
    };
    let patch = AddressPatch {
        location,
        ward: ward(b.ward_code.as_deref())?,
        street: b.street,
        house: b.house_number.map(|h| small("house_number", h, 1)).transpose()?,
        alley: b.alley.map(|a| small("alley", a, 0)).transpose()?,
        apartment: b.apartment.map(|a| small("apartment", a, 0)).transpose()?,
    };
    let geo = &state.index()?.data.geography;
    let record = writes::update(&db.pool, geo, id, &patch).await?;
    Ok(HttpResponse::Ok().json(created(&state, id, &record)?))
}

/// Deletes an address (admin).
#[utoipa::path(delete, path = "/v1/addresses/{id}", tag = "addresses",
    params(("id" = i64, Path, description = "address id", minimum = 0, maximum = 4_294_967_295_i64)),
    security(("admin_token" = [])),
    responses(
        (status = 204, description = "Deleted"),
        BadRequest, Unauthorized, NotFound, DatabaseUnavailable))]
pub async fn delete_address(
    _admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let db = state.db()?;
    let id = address_path(&path)?;
    writes::delete(&db.pool, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
