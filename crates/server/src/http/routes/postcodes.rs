use actix_web::web;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::http::dto::{self, PostalZone, Reverse};
use crate::http::error::{BadRequest, NotFound, NotReady, OutsideCoverage};
use crate::http::params::{PointQuery, flag};
use crate::http::{ApiError, AppState};
use diachi_domain::{LonLat, Postcode, WardIdx};
use diachi_geo::geography::Geography;
use diachi_geo::index::{H3_COARSE, H3_FINE, NationalIndex};

/// How far from a ward border a point may be (at sea or in a sliver gap) and still be given that ward.
pub const SNAP_M: f64 = 2_000.0;

#[derive(Deserialize, IntoParams)]
pub struct ZoneQuery {
    /// Add the zone's GeoJSON MultiPolygon
    #[param(value_type = bool, required = false)]
    geometry: Option<String>,
}

fn zone_dto(geo: &Geography, zone: &diachi_geo::geography::PostalZone, geometry: bool) -> PostalZone {
    let geometry = geometry.then(|| {
        let polys: Vec<geo::Polygon<f64>> =
            zone.wards.iter().flat_map(|&w| geo.wards[usize::from(w)].geometry.0.iter().cloned()).collect();
        serde_json::to_value(geojson::Geometry::from(&geo::MultiPolygon(polys))).unwrap_or_default()
    });
    PostalZone {
        code: zone.code.to_string(),
        province: (&geo.provinces[usize::from(zone.province)]).into(),
        wards: zone.wards.iter().map(|&w| (&geo.wards[usize::from(w)]).into()).collect(),
        centroid: zone.centroid.into(),
        bbox: dto::bbox_array(zone.bbox),
        origin: dto::postcode_origin(geo),
        geometry,
    }
}

/// A postal zone by its 5-digit code.
#[utoipa::path(get, path = "/v1/postcodes/{code}", tag = "postcodes",
    params(("code" = String, Path, description = "5-digit postcode", pattern = "^[0-9]{5}$", example = "10166"),
        ZoneQuery),
    responses((status = 200, description = "The postal zone", body = PostalZone), BadRequest, NotFound, NotReady))]
pub async fn postcode(
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<ZoneQuery>,
) -> Result<web::Json<PostalZone>, ApiError> {
    let ix = state.index()?;
    let code = Postcode::parse(&path).map_err(|e| ApiError::bad_request("invalid_postcode", e.to_string()))?;
    let geo = &ix.data.geography;
    let zone =
        geo.zone(code).ok_or_else(|| ApiError::not_found("postcode_not_found", format!("no postal zone {code}")))?;
    Ok(web::Json(zone_dto(geo, zone, flag("geometry", q.geometry.as_deref())?)))
}

/// The ward containing the point or, at sea / in a sliver gap, the nearest one within 2 km.
fn ward_for(ix: &NationalIndex, p: LonLat) -> Result<(WardIdx, f64), ApiError> {
    ix.data.geography.ward_near(p, SNAP_M).ok_or_else(ApiError::outside_coverage)
}

/// The postal zone containing a point.
#[utoipa::path(get, path = "/v1/postcodes", tag = "postcodes", params(PointQuery, ZoneQuery),
    responses(
        (status = 200, description = "The postal zone", body = PostalZone),
        BadRequest, NotFound, OutsideCoverage, NotReady))]
pub async fn postcode_at(
    state: web::Data<AppState>,
    q: web::Query<PointQuery>,
    z: web::Query<ZoneQuery>,
) -> Result<web::Json<PostalZone>, ApiError> {
    let ix = state.index()?;
    let p = q.covered_point()?;
    let (w, _) = ward_for(ix, p)?;
    let geo = &ix.data.geography;
    let zone = geo
        .zone(geo.wards[usize::from(w)].postcode)
        .ok_or_else(|| ApiError::not_found("postcode_not_found", "no postal zone"))?;
    Ok(web::Json(zone_dto(geo, zone, flag("geometry", z.geometry.as_deref())?)))
}

/// Reverse geocoding: province, ward, postcode, H3 cells, digital address and the nearest address of a point.
#[utoipa::path(get, path = "/v1/reverse", tag = "lookup", params(PointQuery),
    responses(
        (status = 200, description = "What is at the point", body = Reverse),
        BadRequest, OutsideCoverage, NotReady))]
pub async fn reverse(state: web::Data<AppState>, q: web::Query<PointQuery>) -> Result<web::Json<Reverse>, ApiError> {
    let ix = state.index()?;
    let p = q.covered_point()?;
    let (w, d) = ward_for(ix, p)?;
    let geo = &ix.data.geography;
    let ward = &geo.wards[usize::from(w)];
    let (fine, coarse) = NationalIndex::h3_cells(p).ok_or_else(ApiError::outside_coverage)?;
    let nearest = ix
        .nearest_addresses(p, 1)
        .into_iter()
        .next()
        .and_then(|h| ix.view(h.id).map(|v| dto::Address::new(geo, v, Some(h.distance_m))));
    Ok(web::Json(Reverse {
        lat: p.lat(),
        lon: p.lon(),
        province: geo.province_of(ward).into(),
        ward: ward.into(),
        postcode: ward.postcode.to_string(),
        origin: dto::postcode_origin(geo),
        ward_match: if d == 0.0 { "inside" } else { "nearest" }.into(),
        ward_distance_m: (d * 10.0).round() / 10.0,
        h3: dto::H3Ref {
            cell: fine.to_string(),
            resolution: u8::from(H3_FINE),
            coarse_cell: coarse.to_string(),
            coarse_resolution: u8::from(H3_COARSE),
        },
        digital_address: diachi_domain::DigitalAddress::from_lonlat(p)?.to_string(),
        nearest_address: nearest,
    }))
}
