use actix_web::web;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::http::dto::{self, OldUnit, ProvinceList, ProvinceWards, WardInfo};
use crate::http::error::{BadRequest, NotFound, NotReady};
use crate::http::params::flag;
use crate::http::{ApiError, AppState};
use diachi_domain::{ProvinceCode, WardCode};

/// The 34 provinces and centrally-run cities.
#[utoipa::path(get, path = "/v1/admin/provinces", tag = "admin units",
    responses((status = 200, description = "The provinces", body = ProvinceList), NotReady))]
pub async fn provinces(state: web::Data<AppState>) -> Result<web::Json<ProvinceList>, ApiError> {
    let ix = state.index()?;
    Ok(web::Json(ProvinceList { provinces: ix.data.geography.provinces.iter().map(Into::into).collect() }))
}

/// The wards of a province.
#[utoipa::path(get, path = "/v1/admin/provinces/{code}/wards", tag = "admin units",
    params(("code" = String, Path, description = "2-digit province code", pattern = "^[0-9]{2}$", example = "01")),
    responses(
        (status = 200, description = "The province and its wards", body = ProvinceWards),
        BadRequest, NotFound, NotReady))]
pub async fn province_wards(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<ProvinceWards>, ApiError> {
    let ix = state.index()?;
    let code = ProvinceCode::parse(&path).map_err(|e| ApiError::bad_request("invalid_province_code", e.to_string()))?;
    let geo = &ix.data.geography;
    let p =
        geo.province(code).ok_or_else(|| ApiError::not_found("province_not_found", format!("no province {code}")))?;
    Ok(web::Json(ProvinceWards {
        province: p.into(),
        wards: p.wards.iter().map(|&w| (&geo.wards[usize::from(w)]).into()).collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct GeometryQuery {
    /// Add the ward's GeoJSON MultiPolygon
    #[param(value_type = bool, required = false)]
    geometry: Option<String>,
}

/// One ward (commune / ward / special zone), with the pre-2025 units it was formed from.
#[utoipa::path(get, path = "/v1/admin/wards/{code}", tag = "admin units",
    params(("code" = String, Path, description = "5-digit ward code", pattern = "^[0-9]{5}$", example = "00070"),
        GeometryQuery),
    responses((status = 200, description = "The ward", body = WardInfo), BadRequest, NotFound, NotReady))]
pub async fn ward(
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<GeometryQuery>,
) -> Result<web::Json<WardInfo>, ApiError> {
    let ix = state.index()?;
    let code = WardCode::parse(&path).map_err(|e| ApiError::bad_request("invalid_ward_code", e.to_string()))?;
    let geo = &ix.data.geography;
    let (_, w) = geo.ward(code).ok_or_else(|| ApiError::not_found("ward_not_found", format!("no ward {code}")))?;
    let with_geometry = flag("geometry", q.geometry.as_deref())?;
    Ok(web::Json(WardInfo {
        code: w.code.to_string(),
        name: w.name.clone(),
        full_name: w.full_name(),
        kind: w.kind.label().to_lowercase(),
        province: geo.province_of(w).into(),
        postcode: w.postcode.to_string(),
        area_km2: (w.area_km2 * 100.0).round() / 100.0,
        label: w.label.into(),
        bbox: dto::bbox_array(w.area.bbox()),
        old_units: geo
            .mapping
            .iter()
            .filter(|r| r.new_ward_code == w.code.as_str())
            .map(|r| OldUnit {
                province: r.old_province_name.clone(),
                district: r.old_district_name.clone(),
                ward: r.old_ward_name.clone(),
                divided: r.is_divided == 1,
            })
            .collect(),
        geometry: with_geometry.then(|| serde_json::to_value(geojson::Geometry::from(&w.geometry)).unwrap_or_default()),
    }))
}
