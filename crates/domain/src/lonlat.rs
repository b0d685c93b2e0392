//! WGS84 coordinates that cannot hold a bad value.

use serde::Serialize;
use std::fmt;

/// Mean Earth radius in metres (IUGG), used for great-circle distances.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Why a pair of numbers is not a WGS84 coordinate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoordError {
    /// Latitude or longitude is NaN or infinite.
    #[error("latitude and longitude must be finite numbers")]
    NotFinite,
    /// The latitude, outside -90..=90.
    #[error("latitude {0} is outside -90..=90")]
    LatOutOfRange(f64),
    /// The longitude, outside -180..=180.
    #[error("longitude {0} is outside -180..=180")]
    LonOutOfRange(f64),
}

/// A WGS84 longitude/latitude pair in degrees. The only constructor checks the ranges.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LonLat {
    lon: f64,
    lat: f64,
}

impl LonLat {
    /// Checks that both numbers are finite and inside the WGS84 ranges.
    pub fn new(lon: f64, lat: f64) -> Result<Self, CoordError> {
        if !lon.is_finite() || !lat.is_finite() {
            return Err(CoordError::NotFinite);
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(CoordError::LatOutOfRange(lat));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(CoordError::LonOutOfRange(lon));
        }
        Ok(Self { lon, lat })
    }

    /// Longitude in degrees, -180..=180.
    #[must_use]
    pub fn lon(self) -> f64 {
        self.lon
    }

    /// Latitude in degrees, -90..=90.
    #[must_use]
    pub fn lat(self) -> f64 {
        self.lat
    }

    /// Great-circle (haversine) distance in metres.
    #[must_use]
    pub fn distance_m(self, other: LonLat) -> f64 {
        haversine_m(self.lon, self.lat, other.lon, other.lat)
    }
}

impl fmt::Display for LonLat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6},{:.6}", self.lat, self.lon)
    }
}

/// Haversine distance in metres between two lon/lat points given in degrees.
#[must_use]
pub fn haversine_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp * 0.5).sin().powi(2) + p1.cos() * p2.cos() * (dl * 0.5).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_values() {
        assert_eq!(LonLat::new(f64::NAN, 1.0), Err(CoordError::NotFinite));
        assert_eq!(LonLat::new(1.0, 91.0), Err(CoordError::LatOutOfRange(91.0)));
        assert_eq!(LonLat::new(-180.5, 0.0), Err(CoordError::LonOutOfRange(-180.5)));
        assert!(LonLat::new(105.85, 21.03).is_ok());
    }

    #[test]
    fn hanoi_to_hcmc_is_about_1140_km() {
        let d = haversine_m(105.8342, 21.0278, 106.6297, 10.8231);
        assert!((1_130_000.0..1_150_000.0).contains(&d), "{d}");
    }
}
