use actix_web::web;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::http::dto::{self, DigitalAddressInfo, Encoded};
use crate::http::error::{BadRequest, Busy, NotFound, OutsideCoverage};
use crate::http::heavy::{Listed, list_area};
use crate::http::params::{MAX_LIMIT, PointQuery, count};
use crate::http::routes::postcodes::SNAP_M;
use crate::http::{ApiError, AppState};
use diachi_domain::{DigitalAddress, GridCell, digital_address::FULL_LEVEL};
use diachi_geo::index::Area;

#[derive(Deserialize, IntoParams)]
pub struct EncodeQuery {
    /// Code length in data characters, 1 (4° cells) to 9 (1 m cells, the default)
    #[param(value_type = u8, required = false, minimum = 1, maximum = 9)]
    level: Option<String>,
}

/// The digital address of a point (its grid cell; no unit).
#[utoipa::path(get, path = "/v1/digital-addresses/encode", tag = "digital addresses", params(PointQuery, EncodeQuery),
    responses((status = 200, description = "The point's cell and code", body = Encoded), BadRequest, OutsideCoverage))]
pub async fn encode(q: web::Query<PointQuery>, e: web::Query<EncodeQuery>) -> Result<web::Json<Encoded>, ApiError> {
    let p = q.covered_point()?;
    let level = match e.level.as_deref() {
        None => FULL_LEVEL,
        Some(s) => s
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|l| (1..=FULL_LEVEL).contains(l))
            .ok_or_else(|| ApiError::bad_request("invalid_level", "`level` must be an integer from 1 to 9"))?,
    };
    let cell = GridCell::from_lonlat(p, level)?;
    Ok(web::Json(Encoded { code: cell.to_string(), level, center: cell.center().into(), bbox: cell.bounds() }))
}

#[derive(Deserialize, IntoParams)]
pub struct LimitQuery {
    /// At most this many delivery points (default 100, at most 1000)
    #[param(value_type = usize, required = false, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

/// A digital address (full code, with or without unit) or an area code (shorter prefix): the cell, its ward,
/// province and postcode, and the delivery points registered in it.
#[utoipa::path(get, path = "/v1/digital-addresses/{code}", tag = "digital addresses",
    params(("code" = String, Path,
        description = "e.g. `V98-FE4-RYEW`, `v98fe4ryew.2` or an area code such as `V98-FE`: 2 to 10 code symbols \
            (the last one a check character), optional separators (`-`, `_`, space) and an optional `.unit`",
        pattern = r"^[-_ ]*([2-9ACDEFHJKMNPRTVWXYacdefhjkmnprtvwxy][-_ ]*){2,10}(\.[0-9]{1,5})?$",
        max_length = 64, example = "V98-F6P-FJY6"), LimitQuery),
    responses(
        (status = 200, description = "The cell and its delivery points", body = DigitalAddressInfo),
        BadRequest, NotFound, Busy))]
pub async fn digital_address(
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<LimitQuery>,
) -> Result<web::Json<DigitalAddressInfo>, ApiError> {
    let ix = state.index()?;
    let limit = count("limit", q.limit.as_deref(), 100, MAX_LIMIT)?;
    // a full code may carry a unit; a shorter one is an area code
    let (cell, unit) = match DigitalAddress::parse(&path) {
        Ok(d) => (d.cell(), Some(d.unit())),
        Err(diachi_domain::CodeError::IncompleteCode { .. }) => (GridCell::parse(&path)?, None),
        Err(e) => return Err(e.into()),
    };
    let geo = &ix.data.geography;
    let listed = match unit {
        // the bare code (unit 1) names the cell's first point; `.N` exactly that point
        Some(u) if path.contains('.') => {
            let id = ix.address_by_code(DigitalAddress::new(cell, u)?).ok_or_else(|| {
                ApiError::not_found("delivery_point_not_found", format!("no delivery point {u} in this cell"))
            })?;
            let results: Vec<dto::Address> = ix.view(id).map(|v| dto::Address::new(geo, v, None)).into_iter().collect();
            Listed { results, count: 1, exact: true, truncated: false }
        }
        _ => list_area(&state, Area::DigitalCell(cell), limit).await?,
    };
    let center = cell.center();
    let ward = geo.ward_near(center, SNAP_M).map(|(w, _)| &geo.wards[usize::from(w)]);
    Ok(web::Json(DigitalAddressInfo {
        code: match unit {
            Some(u) if path.contains('.') => DigitalAddress::new(cell, u)?.to_string(),
            _ => cell.to_string(),
        },
        level: cell.level(),
        // a full code names a delivery point (unit 1 when bare) only where there is one; an area code none
        unit: unit.filter(|_| listed.count > 0),
        center: center.into(),
        bbox: cell.bounds(),
        ward: ward.map(Into::into),
        province: ward.map(|w| geo.province_of(w).into()),
        postcode: ward.map(|w| w.postcode.to_string()),
        origin: ward.map(|_| dto::postcode_origin(geo)),
        delivery_points: listed.results,
        delivery_point_count: listed.count,
        delivery_point_count_exact: listed.exact,
        truncated: listed.truncated,
    }))
}
