//! JSON shapes of the API (documented in the OpenAPI document) and their construction from the index.

use serde::Serialize;
use utoipa::ToSchema;

use diachi_domain::LonLat;
use diachi_geo::bbox::Rect;
use diachi_geo::dataset::{AddressView, PostOffice};
use diachi_geo::geography::{Geography, Province, Ward};

/// A box as JSON writes it: `[min_lon, min_lat, max_lon, max_lat]`.
#[must_use]
pub fn bbox_array(r: Rect<f64>) -> [f64; 4] {
    diachi_geo::bbox::to_array(r)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

impl From<LonLat> for Point {
    fn from(p: LonLat) -> Self {
        Self { lat: p.lat(), lon: p.lon() }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProvinceRef {
    /// 2-digit GSO code
    pub code: String,
    pub name: String,
}

impl From<&Province> for ProvinceRef {
    fn from(p: &Province) -> Self {
        Self { code: p.code.to_string(), name: p.name.clone() }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WardRef {
    /// 5-digit GSO code
    pub code: String,
    /// Short name, e.g. `Ba Đình`
    pub name: String,
    /// Name with its kind, e.g. `Phường Ba Đình`
    pub full_name: String,
    /// `phường`, `xã` or `đặc khu`
    pub kind: String,
}

impl From<&Ward> for WardRef {
    fn from(w: &Ward) -> Self {
        Self {
            code: w.code.to_string(),
            name: w.name.clone(),
            full_name: w.full_name(),
            kind: w.kind.label().to_lowercase(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Address {
    pub id: u32,
    /// As written on the door: `12`, `12A`, `38B/2`
    #[schema(example = "12A")]
    pub house_number: String,
    /// `Ngõ 45`, `Hẻm 12`, `Kiệt 7` when the house is in an alley
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alley: Option<String>,
    /// Unit number in a multi-unit building
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apartment: Option<u16>,
    pub street: String,
    pub ward: WardRef,
    pub province: ProvinceRef,
    pub postcode: String,
    pub lat: f64,
    pub lon: f64,
    pub digital_address: String,
    /// The whole address on one line, in Vietnamese order
    pub formatted: String,
    /// `generated`: the address comes from the synthetic national set (no real household register is public; see
    /// the README, "What is real and what is generated")
    pub origin: &'static str,
    /// Great-circle distance from the query point, for proximity queries
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
}

impl Address {
    #[must_use]
    pub fn new(geo: &Geography, v: AddressView<'_>, distance_m: Option<f64>) -> Self {
        let ward = &geo.wards[usize::from(v.ward_index)];
        Self {
            id: v.id.get(),
            house_number: v.house_number.to_string(),
            alley: v.alley,
            apartment: v.apartment,
            street: v.street,
            ward: ward.into(),
            province: ProvinceRef { code: v.province_code.into(), name: v.province.into() },
            postcode: v.postcode.into(),
            lat: v.lat,
            lon: v.lon,
            digital_address: v.digital_address,
            formatted: v.formatted,
            origin: "generated",
            distance_m: distance_m.map(|d| (d * 100.0).round() / 100.0),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostOfficeDto {
    pub id: u32,
    pub name: String,
    /// `provincial_hub`, `post_office`, `cultural_post_point` or `service_point`
    pub kind: String,
    pub ward: WardRef,
    pub province: ProvinceRef,
    pub postcode: String,
    pub lat: f64,
    pub lon: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
}

impl PostOfficeDto {
    #[must_use]
    pub fn new(geo: &Geography, o: &PostOffice, distance_m: Option<f64>) -> Self {
        let w = &geo.wards[usize::from(o.ward)];
        let (lat, lon) = o.location().map_or((0.0, 0.0), |p| (p.lat(), p.lon()));
        Self {
            id: o.id,
            name: o.name.clone(),
            kind: serde_json::to_value(o.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
            ward: w.into(),
            province: geo.province_of(w).into(),
            postcode: w.postcode.to_string(),
            lat,
            lon,
            distance_m: distance_m.map(|d| (d * 100.0).round() / 100.0),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddressList {
    pub results: Vec<Address>,
    /// Number of matches before `limit` was applied
    pub count: usize,
    /// Whether `count` counts every match. `false` when the area holds more addresses than one query may look at
    /// (the server's `area_max_visited`, 200,000 by default): the query stopped there, `count` is a lower bound, and
    /// the list holds the first (in its order) of the addresses counted
    pub count_exact: bool,
    /// Whether the list leaves out matches (more than `limit`, or `count_exact` is false)
    pub truncated: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostOfficeList {
    pub results: Vec<PostOfficeDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostalZone {
    pub code: String,
    pub province: ProvinceRef,
    pub wards: Vec<WardRef>,
    pub centroid: Point,
    /// `[min_lon, min_lat, max_lon, max_lat]`
    pub bbox: [f64; 4],
    /// `generated` until an official table is imported, then `imported`
    pub origin: String,
    /// GeoJSON MultiPolygon of the zone, with `?geometry=true`
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub geometry: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct H3Ref {
    /// H3 cell at resolution 10 (~0.015 km²)
    pub cell: String,
    pub resolution: u8,
    /// H3 cell at resolution 6 (~36 km²)
    pub coarse_cell: String,
    pub coarse_resolution: u8,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Reverse {
    pub lat: f64,
    pub lon: f64,
    pub province: ProvinceRef,
    pub ward: WardRef,
    pub postcode: String,
    /// Where the postcode comes from: `generated` until an official table is imported, then `imported`
    pub origin: String,
    /// `inside` the ward polygon, or `nearest` ward border within 2 km (coasts, sliver gaps)
    pub ward_match: String,
    pub ward_distance_m: f64,
    pub h3: H3Ref,
    /// Digital address of the point's 1 m cell
    pub digital_address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nearest_address: Option<Address>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Encoded {
    pub code: String,
    pub level: u8,
    pub center: Point,
    pub bbox: [f64; 4],
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DigitalAddressInfo {
    /// Canonical form of the code
    pub code: String,
    pub level: u8,
    /// The delivery point's unit within the cell (1 = the bare code) when the code is a full code naming one;
    /// absent for an area code and for a full code whose cell holds no delivery point
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<u16>,
    pub center: Point,
    pub bbox: [f64; 4],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ward: Option<WardRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province: Option<ProvinceRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    /// Where the postcode comes from: `generated` until an official table is imported, then `imported`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Delivery points registered in the cell (for a code with a unit: that one point)
    pub delivery_points: Vec<Address>,
    pub delivery_point_count: usize,
    /// Whether `delivery_point_count` counts every match. `false` when the area holds more addresses than one query may look at
    /// (the server's `area_max_visited`, 200,000 by default): the query stopped there, `delivery_point_count` is a lower bound, and
    /// the list holds the first (in its order) of the addresses counted
    pub delivery_point_count_exact: bool,
    /// Whether the list leaves out delivery points (more than `limit`, or the count is a lower bound)
    pub truncated: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct H3Info {
    pub cell: String,
    pub resolution: u8,
    pub center: Point,
    pub area_km2: f64,
    pub addresses: u64,
    pub post_offices: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct H3Addresses {
    pub cell: String,
    pub results: Vec<Address>,
    pub count: usize,
    /// Whether `count` counts every match. `false` when the area holds more addresses than one query may look at
    /// (the server's `area_max_visited`, 200,000 by default): the query stopped there, `count` is a lower bound, and
    /// the list holds the first (in its order) of the addresses counted
    pub count_exact: bool,
    /// Whether the list leaves out addresses (more than `limit`, or `count_exact` is false)
    pub truncated: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProvinceInfo {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// `thành phố` or `tỉnh`
    pub kind: String,
    pub ward_count: usize,
    /// 2-digit postcode prefixes of the old provinces merged into it
    pub postcode_prefixes: Vec<String>,
    pub bbox: [f64; 4],
}

impl From<&Province> for ProvinceInfo {
    fn from(p: &Province) -> Self {
        Self {
            code: p.code.to_string(),
            name: p.name.clone(),
            name_en: p.name_en.clone(),
            kind: p.kind.clone(),
            ward_count: p.wards.len(),
            postcode_prefixes: p.postcode_prefixes.iter().map(|x| format!("{x:02}")).collect(),
            bbox: bbox_array(p.bbox),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProvinceList {
    pub provinces: Vec<ProvinceInfo>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WardSummary {
    pub code: String,
    pub name: String,
    pub full_name: String,
    pub kind: String,
    pub postcode: String,
    pub label: Point,
}

impl From<&Ward> for WardSummary {
    fn from(w: &Ward) -> Self {
        let r = WardRef::from(w);
        Self {
            code: r.code,
            name: r.name,
            full_name: r.full_name,
            kind: r.kind,
            postcode: w.postcode.to_string(),
            label: w.label.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProvinceWards {
    pub province: ProvinceRef,
    pub wards: Vec<WardSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OldUnit {
    pub province: String,
    pub district: String,
    pub ward: String,
    /// Whether the old ward was split between several new wards
    pub divided: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WardInfo {
    pub code: String,
    pub name: String,
    pub full_name: String,
    pub kind: String,
    pub province: ProvinceRef,
    pub postcode: String,
    pub area_km2: f64,
    pub label: Point,
    pub bbox: [f64; 4],
    /// Pre-2025 units merged (wholly or partly) into this ward
    pub old_units: Vec<OldUnit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub geometry: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    pub ready: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addresses: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_offices: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_per_address: Option<f64>,
    /// The database and its change feed, when the service runs on PostGIS
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabaseStatus>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DatabaseStatus {
    /// The PostGIS version found at start
    pub postgis: String,
    /// Whether the change feed is connected (lookups answer from memory either way)
    pub feed_connected: bool,
    /// Every address change up to this number is applied to the in-memory index
    pub applied_change: i64,
    /// Addresses changed since the index was loaded (kept in the live overlay)
    pub live_changes: usize,
    /// Reconnections of the change feed so far
    pub reconnects: i64,
}

/// Where the postcodes come from: `generated` (the project's own table) until an official one is imported.
#[must_use]
pub fn postcode_origin(geo: &Geography) -> String {
    match geo.postcode_origin {
        diachi_geo::geography::PostcodeOrigin::Generated => "generated".into(),
        diachi_geo::geography::PostcodeOrigin::Imported { .. } => "imported".into(),
    }
}
