//! Live updates of addresses (admin only): written to PostGIS, then seen by every instance through the change feed.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::http::auth::{Forbidden, RateLimited, Scoped, scope};
use crate::http::dto::Address;
use crate::http::error::{
    BadRequest, Conflict, DatabaseUnavailable, NotFound, Unauthorized, Unprocessable, UnsupportedBody,
};
use crate::http::{ApiError, AppState};
use diachi_db::addresses::{self as writes, AddressInput, AddressPatch};
use diachi_domain::{AddressId, HouseNumber, LonLat, WardCode};

/// Address writes need a key with scope `admin` (or the configuration's `admin_token`), checked before the body
/// is read: 401 without a key, 403 with a wrong one or one without the scope, 429 over its rate limit.
pub type Admin = Scoped<scope::Admin>;

/// A new address.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAddress {
    #[schema(minimum = 4.0, maximum = 24.0, example = 21.0285)]
    pub lat: f64,
    #[schema(minimum = 100.0, maximum = 120.0, example = 105.8542)]
    pub lon: f64,
    /// As written on the door: a number from 1 to 65535, then optionally one letter and a slash with a number from
    /// 1 to 2047 (`12`, `12A`, `110b`, `38B/2`); a JSON integer is read as a bare number
    #[schema(value_type = String, example = "12A", pattern = r"^[0-9]{1,5}[A-Za-z]?(/[0-9]{1,4})?$")]
    pub house_number: HouseField,
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
    #[schema(value_type = Option<String>, example = "38B/2", pattern = r"^[0-9]{1,5}[A-Za-z]?(/[0-9]{1,4})?$")]
    pub house_number: Option<HouseField>,
    pub street: Option<String>,
    pub alley: Option<i64>,
    pub apartment: Option<i64>,
    pub ward_code: Option<String>,
}

/// A house number as a client sends it: text (`"12A"`) or, from older clients, an integer.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum HouseField {
    Int(i64),
    Text(String),
}

impl HouseField {
    /// The house number, or 422 `invalid_house_number` saying what one looks like.
    fn parse(&self) -> Result<HouseNumber, ApiError> {
        let parsed = match self {
            Self::Int(v) => HouseNumber::from_int(*v),
            Self::Text(t) => HouseNumber::parse(t),
        };
        parsed.map_err(|e| {
            ApiError::new(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, "invalid_house_number", e.to_string())
        })
    }
}

fn small(field: &'static str, v: i64, min: i64) -> Result<u16, ApiError> {
    u16::try_from(v).ok().filter(|&n| i64::from(n) >= min).ok_or_else(|| {
        ApiError::new(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_number",
            format!("{field} must be {min} to 65535"),
        )
    })
}

fn ward(code: Option<&str>) -> Result<Option<WardCode>, ApiError> {
    code.map(|c| WardCode::parse(c.trim()).map_err(|e| ApiError::bad_request("invalid_ward_code", e.to_string())))
        .transpose()
}

fn address_path(path: &str) -> Result<AddressId, ApiError> {
    path.trim()
        .parse()
        .map(AddressId::new)
        .map_err(|_| ApiError::bad_request("invalid_address_id", "an address id is a non-negative integer"))
}

fn created(state: &AppState, id: AddressId, r: &diachi_geo::dataset::AddressRecord) -> Result<Address, ApiError> {
    let geo = &state.index()?.data.geography;
    let view = diachi_geo::dataset::AddressView::new(geo, id, r.as_ref())
        .ok_or_else(|| ApiError::new(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR, "internal", "bad record"))?;
    Ok(Address::new(geo, view, None))
}

/// Adds an address (admin). Every instance serves it, in lookups and tiles, within about a second.
#[utoipa::path(post, path = "/v1/addresses", tag = "addresses", request_body = NewAddress,
    security(("admin_token" = [])),
    responses(
        (status = 201, description = "Created; `Location` names it", body = Address),
        BadRequest, Unauthorized, Forbidden, RateLimited, Conflict, UnsupportedBody, Unprocessable, DatabaseUnavailable))]
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
        house: b.house_number.parse()?,
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
        BadRequest, Unauthorized, Forbidden, RateLimited, NotFound, Conflict, UnsupportedBody, Unprocessable, DatabaseUnavailable))]
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
        house: b.house_number.as_ref().map(HouseField::parse).transpose()?,
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
        BadRequest, Unauthorized, Forbidden, RateLimited, NotFound, DatabaseUnavailable))]
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
