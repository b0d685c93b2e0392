//! The embedded real dataset (see `data/LICENSES.md`): parsed straight into typed rows.

use flate2::read::GzDecoder;
use serde::Deserialize;
use std::io::Read;

use super::GeographyError;

pub const WARDS_GZ: &[u8] = include_bytes!("../../../../data/wards.geojson.gz");
pub const PROVINCES_GZ: &[u8] = include_bytes!("../../../../data/provinces.geojson.gz");
pub const CENTROIDS_GZ: &[u8] = include_bytes!("../../../../data/ward_centroids.csv.gz");
pub const MAPPING_GZ: &[u8] = include_bytes!("../../../../data/admin_mapping.csv.gz");
pub const PREFIXES_CSV: &[u8] = include_bytes!("../../../../data/postcode_prefixes.csv");

#[derive(Debug, Deserialize)]
pub struct FeatureCollection<P> {
    pub features: Vec<Feature<P>>,
}

#[derive(Debug, Deserialize)]
pub struct Feature<P> {
    pub properties: P,
    pub geometry: Geometry,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", content = "coordinates")]
pub enum Geometry {
    Polygon(Vec<Vec<[f64; 2]>>),
    MultiPolygon(Vec<Vec<Vec<[f64; 2]>>>),
}

impl Geometry {
    #[must_use]
    pub fn into_multipolygon(self) -> geo::MultiPolygon<f64> {
        fn poly(rings: Vec<Vec<[f64; 2]>>) -> Option<geo::Polygon<f64>> {
            let mut rings = rings.into_iter().map(|r| {
                geo::LineString::from(r.into_iter().map(|[x, y]| geo::coord! { x: x, y: y }).collect::<Vec<_>>())
            });
            let exterior = rings.next()?;
            Some(geo::Polygon::new(exterior, rings.collect()))
        }
        match self {
            Geometry::Polygon(p) => geo::MultiPolygon(poly(p).into_iter().collect()),
            Geometry::MultiPolygon(ps) => geo::MultiPolygon(ps.into_iter().filter_map(poly).collect()),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct WardProps {
    pub code: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub province_code: String,
    pub name_ascii: String,
}

#[derive(Debug, Deserialize)]
pub struct ProvinceProps {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub name_ascii: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Deserialize)]
pub struct CentroidRow {
    pub code: String,
    pub lat: f64,
    pub lon: f64,
}

/// One row of the old → new administrative mapping.
#[derive(Debug, Clone, Deserialize)]
pub struct MappingRow {
    /// Old (pre-2025) province code.
    pub old_province_code: String,
    /// Old province name.
    pub old_province_name: String,
    /// Old district code.
    pub old_district_code: String,
    /// Old district name.
    pub old_district_name: String,
    /// Old ward code.
    pub old_ward_code: String,
    /// Old ward name.
    pub old_ward_name: String,
    /// New province code.
    pub new_province_code: String,
    /// New province name.
    pub new_province_name: String,
    /// New ward code.
    pub new_ward_code: String,
    /// New ward name.
    pub new_ward_name: String,
    /// 1 if the old ward was split among several new wards, else 0.
    pub is_divided: u8,
    /// 1 if this new ward is the default for the old ward, else 0.
    pub is_default_new_ward: u8,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PrefixRow {
    pub new_province_code: String,
    pub old_province_code: String,
    pub old_postcode_range: String,
}

pub fn gunzip(bytes: &[u8], what: &'static str) -> Result<Vec<u8>, GeographyError> {
    let mut out = Vec::with_capacity(bytes.len() * 4);
    GzDecoder::new(bytes).read_to_end(&mut out).map_err(|e| GeographyError::Data { what, message: e.to_string() })?;
    Ok(out)
}

pub fn geojson<P: for<'de> Deserialize<'de>>(
    gz: &[u8],
    what: &'static str,
) -> Result<FeatureCollection<P>, GeographyError> {
    let raw = gunzip(gz, what)?;
    serde_json::from_slice(&raw).map_err(|e| GeographyError::Data { what, message: e.to_string() })
}

pub fn csv_rows<R: for<'de> Deserialize<'de>>(bytes: &[u8], what: &'static str) -> Result<Vec<R>, GeographyError> {
    csv::Reader::from_reader(bytes)
        .deserialize()
        .collect::<Result<Vec<R>, _>>()
        .map_err(|e| GeographyError::Data { what, message: e.to_string() })
}
