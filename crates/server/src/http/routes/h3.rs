use actix_web::web;
use h3o::{CellIndex, LatLng};

use crate::http::dto::{self, H3Addresses, H3Info};
use crate::http::error::{BadRequest, Busy};
use crate::http::heavy::list_area;
use crate::http::params::{MAX_LIMIT, count};
use crate::http::routes::digital::LimitQuery;
use crate::http::{ApiError, AppState};
use diachi_geo::index::Area;

fn parse_cell(s: &str) -> Result<CellIndex, ApiError> {
    s.trim().parse::<CellIndex>().map_err(|_| {
        ApiError::bad_request("invalid_h3_cell", "not an H3 cell index (15 hex digits, e.g. 8a65b56628e7fff)")
    })
}

/// Address and post-office counts of an H3 cell (any resolution).
#[utoipa::path(get, path = "/v1/h3/{cell}", tag = "h3",
    params(("cell" = String, Path, description = "H3 cell index (hex)", pattern = "^[0-9a-fA-F]{15,16}$",
        example = "8a415cb4e517fff")),
    responses((status = 200, description = "The cell's counts", body = H3Info), BadRequest, Busy))]
pub async fn h3_cell(state: web::Data<AppState>, path: web::Path<String>) -> Result<web::Json<H3Info>, ApiError> {
    let ix = state.services()?.index.clone();
    let cell = parse_cell(&path)?;
    // stored resolutions and kept roll-ups are answered here; scans and new roll-ups go through the gate
    let c = if ix.cell_counts_are_at_hand(cell) {
        ix.cell_counts(cell)
    } else {
        state.heavy.run(move || ix.cell_counts(cell)).await?
    };
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
    responses((status = 200, description = "The addresses in the cell", body = H3Addresses), BadRequest, Busy))]
pub async fn h3_addresses(
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<LimitQuery>,
) -> Result<web::Json<H3Addresses>, ApiError> {
    state.index()?;
    let cell = parse_cell(&path)?;
    let area = Area::H3Cell(cell);
    // the resolution first (`cell_too_large`), then the limit
    area.check(state.area_limits())?;
    let limit = count("limit", q.limit.as_deref(), 100, MAX_LIMIT)?;
    let l = list_area(&state, area, limit).await?;
    Ok(web::Json(H3Addresses {
        cell: cell.to_string(),
        results: l.results,
        count: l.count,
        count_exact: l.exact,
        truncated: l.truncated,
    }))
}
