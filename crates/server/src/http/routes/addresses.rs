use actix_web::web;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::http::dto::{self, Address, AddressList, PostOfficeList};
use crate::http::error::{BadRequest, Busy, NotFound, NotReady, OutsideCoverage};
use crate::http::heavy::list_area;
use crate::http::params::{self, MAX_K, MAX_LIMIT, PointQuery, count};
use crate::http::{ApiError, AppState};
use diachi_domain::AddressId;
use diachi_geo::index::{Area, NationalIndex};

fn address_dto(ix: &NationalIndex, id: AddressId, distance_m: Option<f64>) -> Option<Address> {
    let geo = &ix.data.geography;
    ix.view(id).map(|v| Address::new(geo, v, distance_m))
}

/// One address by id.
#[utoipa::path(get, path = "/v1/addresses/{id}", tag = "addresses",
    params(("id" = i64, Path, description = "address id", minimum = 0, maximum = 4_294_967_295_i64, example = 17)),
    responses((status = 200, description = "The address", body = Address), BadRequest, NotFound, NotReady))]
pub async fn address(state: web::Data<AppState>, path: web::Path<String>) -> Result<web::Json<Address>, ApiError> {
    let ix = state.index()?;
    let id = path
        .trim()
        .parse()
        .map(AddressId::new)
        .map_err(|_| ApiError::bad_request("invalid_address_id", "an address id is a non-negative integer"))?;
    let not_found = || ApiError::not_found("address_not_found", format!("no address {id}"));
    // with a database, it is the record: a write is seen at once by whoever made it (the in-memory index follows
    // through the change feed); while the database is down, the index answers
    if let Some(db) = state.database() {
        let geo = &ix.data.geography;
        match diachi_db::addresses::get(&db.pool, geo, id).await {
            Ok(Some(r)) => {
                return diachi_geo::dataset::AddressView::new(geo, id, r.as_ref())
                    .map(|v| web::Json(Address::new(geo, v, None)))
                    .ok_or_else(not_found);
            }
            Ok(None) => return Err(not_found()),
            Err(e) => tracing::warn!(error = %e, "address by id: the database did not answer; reading the index"),
        }
    }
    address_dto(ix, id, None).map(web::Json).ok_or_else(not_found)
}

#[derive(Deserialize, IntoParams)]
pub struct KQuery {
    /// How many (default 10, at most 100)
    #[param(value_type = usize, required = false, minimum = 1, maximum = 100)]
    k: Option<String>,
}

/// The k nearest addresses of a point, nearest first.
#[utoipa::path(get, path = "/v1/addresses/nearest", tag = "addresses", params(PointQuery, KQuery),
    responses(
        (status = 200, description = "The nearest addresses", body = AddressList),
        BadRequest, OutsideCoverage, NotReady))]
pub async fn nearest_addresses(
    state: web::Data<AppState>,
    q: web::Query<PointQuery>,
    k: web::Query<KQuery>,
) -> Result<web::Json<AddressList>, ApiError> {
    let ix = state.index()?;
    let p = q.covered_point()?;
    let k = count("k", k.k.as_deref(), 10, MAX_K)?;
    let results: Vec<Address> =
        ix.nearest_addresses(p, k).into_iter().filter_map(|h| address_dto(ix, h.id, Some(h.distance_m))).collect();
    Ok(web::Json(AddressList { count: results.len(), results, count_exact: true, truncated: false }))
}

#[derive(Deserialize, IntoParams)]
pub struct AreaQuery {
    /// `minlon,minlat,maxlon,maxlat` (at most 1 square degree); or give lat, lon and radius_m
    #[param(value_type = String, required = false, pattern = r"^-?[0-9]+(\.[0-9]+)?(,-?[0-9]+(\.[0-9]+)?){3}$",
        example = "105.84,21.02,105.86,21.04")]
    bbox: Option<String>,
    /// Latitude of the centre, with radius_m
    #[param(value_type = f64, required = false, minimum = -90.0, maximum = 90.0)]
    lat: Option<String>,
    /// Longitude of the centre, with radius_m
    #[param(value_type = f64, required = false, minimum = -180.0, maximum = 180.0)]
    lon: Option<String>,
    /// Radius in metres (at most 5000)
    #[param(value_type = f64, required = false, exclusive_minimum = 0.0, maximum = 5000.0)]
    radius_m: Option<String>,
    /// At most this many results (default 100, at most 1000)
    #[param(value_type = usize, required = false, minimum = 1, maximum = 1000)]
    limit: Option<String>,
}

/// Addresses in a bounding box (in id order) or within a radius of a point (nearest first).
#[utoipa::path(get, path = "/v1/addresses", tag = "addresses", params(AreaQuery),
    responses(
        (status = 200, description = "The addresses in the area", body = AddressList),
        BadRequest, OutsideCoverage, Busy))]
pub async fn addresses(
    state: web::Data<AppState>,
    q: web::Query<AreaQuery>,
) -> Result<web::Json<AddressList>, ApiError> {
    state.index()?;
    let limit = count("limit", q.limit.as_deref(), 100, MAX_LIMIT)?;
    let area = match (&q.bbox, &q.radius_m) {
        (Some(b), None) => Area::Bbox(params::bbox(b)?),
        (None, Some(r)) => {
            let radius_m = params::radius(r)?;
            let center = PointQuery { lat: q.lat.clone(), lon: q.lon.clone() }.covered_point()?;
            Area::Radius { center, radius_m }
        }
        _ => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "give either bbox=minlon,minlat,maxlon,maxlat or lat, lon and radius_m",
            ));
        }
    };
    let l = list_area(&state, area, limit).await?;
    Ok(web::Json(AddressList { results: l.results, count: l.count, count_exact: l.exact, truncated: l.truncated }))
}

/// The k nearest post offices and service points of a point.
#[utoipa::path(get, path = "/v1/post-offices/nearest", tag = "post offices", params(PointQuery, KQuery),
    responses(
        (status = 200, description = "The nearest post offices", body = PostOfficeList),
        BadRequest, OutsideCoverage, NotReady))]
pub async fn nearest_post_offices(
    state: web::Data<AppState>,
    q: web::Query<PointQuery>,
    k: web::Query<KQuery>,
) -> Result<web::Json<PostOfficeList>, ApiError> {
    let ix = state.index()?;
    let p = q.covered_point()?;
    let k = count("k", k.k.as_deref(), 10, MAX_K)?;
    let geo = &ix.data.geography;
    let results = ix
        .nearest_post_offices(p, k)
        .into_iter()
        .filter_map(|h| {
            ix.data.post_offices.get(h.id as usize).map(|o| dto::PostOfficeDto::new(geo, o, Some(h.distance_m)))
        })
        .collect();
    Ok(web::Json(PostOfficeList { results }))
}
