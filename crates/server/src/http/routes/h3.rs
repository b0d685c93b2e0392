use actix_web::web;
use h3o::{CellIndex, LatLng};

use crate::http::dto::{self, H3Addresses, H3Info};
use crate::http::error::{BadRequest, NotReady};
use crate::http::params::{MAX_LIMIT, count};
use crate::http::routes::digital::LimitQuery;
use crate::http::{ApiError, AppState};

fn parse_cell(s: &str) -> Result<CellIndex, ApiError> {
    s.trim().parse::<CellIndex>().map_err(|_| {
        ApiError::bad_request("invalid_h3_cell", "not an H3 cell index (15 hex digits, e.g. 8a65b56628e7fff)")
    })
}

/// Address and post-office counts of an H3 cell (any resolution).
#[utoipa::path(get, path = "/v1/h3/{cell}", tag = "h3",
    params(("cell" = String, Path, description = "H3 cell index (hex)", pattern = "^[0-9a-fA-F]{15,16}$",
        example = "8a415cb4e517fff")),
    responses((status = 200, description = "The cell's counts", body = H3Info), BadRequest, NotReady))]
pub async fn h3_cell(state: web::Data<AppState>, path: web::Path<String>) -> Result<web::Json<H3Info>, ApiError> {
    let ix = state.index()?;
    let cell = parse_cell(&path)?;
    let c = ix.cell_counts(cell);
    let center = LatLng::from(cell);
    Ok(web::Json(H3Info {
        cell: cell.to_string(),
        resolution: u8::from(cell.resolution()),
        center: dto::Point { lat: center.lat(), lon: center.lng() },
        area_km2: cell.area_km2(),
        addresses: c.addresses,
        post_offices: c.post_offices,
    }))
}

/// Addresses inside an H3 cell, in id order.
#[utoipa::path(get, path = "/v1/h3/{cell}/addresses", tag = "h3",
    params(("cell" = String, Path, description = "H3 cell index (hex), resolution 5 or finer",
        pattern = "^[0-9a-fA-F]{15,16}$", example = "86415cb4fffffff"), LimitQuery),
    responses((status = 200, description = "The addresses in the cell", body = H3Addresses), BadRequest, NotReady))]
pub async fn h3_addresses(
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<LimitQuery>,
) -> Result<web::Json<H3Addresses>, ApiError> {
    let ix = state.index()?;
    let cell = parse_cell(&path)?;
    if u8::from(cell.resolution()) < 5 {
        return Err(ApiError::bad_request("cell_too_large", "list addresses of cells of resolution 5 or finer"));
    }
    let limit = count("limit", q.limit.as_deref(), 100, MAX_LIMIT)?;
    let ids = ix.addresses_in_h3_cell(cell);
    let geo = &ix.data.geography;
    let results =
        ids.iter().take(limit).filter_map(|&id| ix.view(id).map(|v| dto::Address::new(geo, v, None))).collect();
    Ok(web::Json(H3Addresses { cell: cell.to_string(), results, count: ids.len(), truncated: ids.len() > limit }))
}
