//! Parsing of query parameters into domain types, with the API's error codes.

use serde::Deserialize;
use utoipa::IntoParams;

use super::ApiError;
use diachi_domain::LonLat;
use diachi_geo::bbox::Rect;
use diachi_geo::index::in_coverage;

/// Largest `k` for nearest queries.
pub const MAX_K: usize = 100;
/// Largest `limit` for list queries.
pub const MAX_LIMIT: usize = 1000;

/// A point given as `lat` and `lon` (WGS84 degrees).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PointQuery {
    /// Latitude, WGS84 degrees (the service covers 4..24 N)
    #[param(value_type = f64, required = true, minimum = -90.0, maximum = 90.0, example = 21.0285)]
    pub lat: Option<String>,
    /// Longitude, WGS84 degrees (the service covers 100..120 E)
    #[param(value_type = f64, required = true, minimum = -180.0, maximum = 180.0, example = 105.8542)]
    pub lon: Option<String>,
}

fn number(name: &str, v: Option<&str>) -> Result<f64, ApiError> {
    let v = v.ok_or_else(|| ApiError::bad_request("invalid_coordinates", format!("`{name}` is required")))?;
    v.trim()
        .parse::<f64>()
        .map_err(|_| ApiError::bad_request("invalid_coordinates", format!("`{name}` must be a number")))
}

impl PointQuery {
    /// A valid WGS84 point (any place on Earth).
    pub fn point(&self) -> Result<LonLat, ApiError> {
        let lat = number("lat", self.lat.as_deref())?;
        let lon = number("lon", self.lon.as_deref())?;
        Ok(LonLat::new(lon, lat)?)
    }

    /// A valid point inside the national coverage box.
    pub fn covered_point(&self) -> Result<LonLat, ApiError> {
        let p = self.point()?;
        if in_coverage(p) { Ok(p) } else { Err(ApiError::outside_coverage()) }
    }
}

/// Parses a count parameter (`k`, `limit`): a positive integer not above `max`.
pub fn count(name: &str, v: Option<&str>, default: usize, max: usize) -> Result<usize, ApiError> {
    let Some(v) = v else { return Ok(default) };
    let n: usize = v
        .trim()
        .parse()
        .map_err(|_| ApiError::bad_request("invalid_limit", format!("`{name}` must be a positive integer")))?;
    if n == 0 {
        return Err(ApiError::bad_request("invalid_limit", format!("`{name}` must be at least 1")));
    }
    if n > max {
        return Err(ApiError::bad_request("limit_too_large", format!("`{name}` must be at most {max}")));
    }
    Ok(n)
}

/// `minlon,minlat,maxlon,maxlat`.
pub fn bbox(v: &str) -> Result<Rect<f64>, ApiError> {
    let bad = |m: &str| ApiError::bad_request("invalid_bbox", format!("bbox must be minlon,minlat,maxlon,maxlat: {m}"));
    let parts: Vec<f64> =
        v.split(',').map(|s| s.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| bad("not numbers"))?;
    let [a, b, c, d] = parts[..] else { return Err(bad("need four numbers")) };
    if [a, b, c, d].iter().any(|x| !x.is_finite())
        || !(-180.0..=180.0).contains(&a)
        || !(-180.0..=180.0).contains(&c)
        || !(-90.0..=90.0).contains(&b)
        || !(-90.0..=90.0).contains(&d)
    {
        return Err(bad("out of WGS84 range"));
    }
    if a > c || b > d {
        return Err(bad("min must not exceed max"));
    }
    // its size is bounded with every other area's (`diachi_geo::index::AreaLimits`)
    Ok(Rect::new((a, b), (c, d)))
}

/// A radius in metres, `0 < r` (its bound is checked with every other area's, `diachi_geo::index::AreaLimits`).
pub fn radius(v: &str) -> Result<f64, ApiError> {
    let r: f64 =
        v.trim().parse().map_err(|_| ApiError::bad_request("invalid_radius", "`radius_m` must be a number"))?;
    if !r.is_finite() || r <= 0.0 {
        return Err(ApiError::bad_request("invalid_radius", "`radius_m` must be positive"));
    }
    Ok(r)
}

/// `true`/`false`/`1`/`0`.
pub fn flag(name: &str, v: Option<&str>) -> Result<bool, ApiError> {
    match v.map(str::trim) {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(_) => Err(ApiError::bad_request("invalid_parameter", format!("`{name}` must be true or false"))),
    }
}
