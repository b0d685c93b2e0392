//! The real geography of Vietnam after the 2025 reform: 34 provinces, 3,321 wards, postal zones and the
//! old → new unit mapping, loaded from the embedded dataset and prepared for point queries.

mod polygon;
mod postal;
mod source;

pub use polygon::AreaIndex;
pub use postal::{PostcodeOrigin, PostcodeTable};
pub use source::MappingRow;

use geo::{Area, BoundingRect, Centroid, MultiPolygon, Rect};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use std::collections::HashMap;

use crate::bbox;
use diachi_domain::{LonLat, Postcode, ProvinceCode, WardCode, WardIdx, lonlat::haversine_m};

/// Errors of loading or preparing the geography.
#[derive(Debug, thiserror::Error)]
pub enum GeographyError {
    /// An embedded data file could not be read.
    #[error("embedded data {what} is unreadable: {message}")]
    Data {
        /// Which embedded file.
        what: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The postcode table is unusable.
    #[error("postcode table: {0}")]
    Postcodes(String),
}

/// The kind of a commune-level unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum WardKind {
    /// `phường` — urban ward
    #[serde(rename = "phường")]
    Phuong,
    /// `xã` — rural commune
    #[serde(rename = "xã")]
    Xa,
    /// `đặc khu` — special (island) zone
    #[serde(rename = "đặc khu")]
    DacKhu,
}

impl WardKind {
    fn parse(s: &str) -> Self {
        match s {
            "phường" => Self::Phuong,
            "đặc khu" => Self::DacKhu,
            _ => Self::Xa,
        }
    }

    /// The kind as an ASCII identifier (tiles, the database): `phuong`, `xa`, `dac_khu`.
    #[must_use]
    pub fn slug(self) -> &'static str {
        match self {
            Self::Phuong => "phuong",
            Self::Xa => "xa",
            Self::DacKhu => "dac_khu",
        }
    }

    /// The Vietnamese name of the kind, as written before a unit's name.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Phuong => "Phường",
            Self::Xa => "Xã",
            Self::DacKhu => "Đặc khu",
        }
    }
}

/// A province (the 34 units since 2025).
#[derive(Debug)]
pub struct Province {
    /// Its 2-digit code.
    pub code: ProvinceCode,
    /// Its Vietnamese name.
    pub name: String,
    /// Its English name.
    pub name_en: String,
    /// Its name without diacritics.
    pub name_ascii: String,
    /// `thành phố` or `tỉnh`
    pub kind: String,
    /// Its boundary.
    pub geometry: MultiPolygon<f64>,
    /// Bounding box of the boundary.
    pub bbox: Rect<f64>,
    /// Indexes into [`Geography::wards`], sorted by ward code.
    pub wards: Vec<WardIdx>,
    /// The 2-digit postcode prefixes of the old provinces merged into this one.
    pub postcode_prefixes: Vec<u8>,
}

/// A commune-level unit (ward, commune or special zone).
#[derive(Debug)]
pub struct Ward {
    /// Its 5-digit code.
    pub code: WardCode,
    /// Its name, without the kind (`Ba Đình`).
    pub name: String,
    /// Its name without diacritics.
    pub name_ascii: String,
    /// Ward, commune or special zone.
    pub kind: WardKind,
    /// Index into [`Geography::provinces`].
    pub province: u8,
    /// Its boundary.
    pub geometry: MultiPolygon<f64>,
    /// Edge index of the boundary, for point-in-polygon tests.
    pub area: AreaIndex,
    /// Area in km² (on the ellipsoid).
    pub area_km2: f64,
    /// A point inside the ward, for labels.
    pub label: LonLat,
    /// Its postcode.
    pub postcode: Postcode,
    /// The old (pre-2025) province most of this ward came from.
    pub old_province: Option<ProvinceCode>,
    /// The old district most of this ward came from.
    pub old_district: Option<String>,
}

impl Ward {
    /// `Phường Ba Đình`, `Xã Lũng Cú`, …
    #[must_use]
    pub fn full_name(&self) -> String {
        format!("{} {}", self.kind.label(), self.name)
    }
}

/// The wards sharing one postcode.
#[derive(Debug)]
pub struct PostalZone {
    /// The postcode.
    pub code: Postcode,
    /// Index into [`Geography::provinces`].
    pub province: u8,
    /// Indexes into [`Geography::wards`].
    pub wards: Vec<WardIdx>,
    /// Bounding box of the wards.
    pub bbox: Rect<f64>,
    /// Area-weighted centroid of the wards.
    pub centroid: LonLat,
}

type WardBox = GeomWithData<Rectangle<[f64; 2]>, u16>;

/// Everything about the administrative and postal map, immutable after loading.
#[derive(Debug)]
pub struct Geography {
    /// The provinces.
    pub provinces: Vec<Province>,
    /// The wards, sorted by code; a [`WardIdx`] indexes this.
    pub wards: Vec<Ward>,
    /// The postal zones.
    pub zones: Vec<PostalZone>,
    /// The old → new administrative mapping.
    pub mapping: Vec<MappingRow>,
    /// Where the ward postcodes came from.
    pub postcode_origin: PostcodeOrigin,
    ward_by_code: HashMap<WardCode, WardIdx>,
    province_by_code: HashMap<ProvinceCode, u8>,
    zone_by_code: HashMap<Postcode, u32>,
    ward_boxes: RTree<WardBox>,
}

/// How the geography is loaded.
#[derive(Debug, Default, Clone)]
pub struct LoadOptions {
    /// An official ward → postcode table that replaces the generated codes.
    pub postcodes: Option<PostcodeTable>,
}

/// The index of the `i`-th ward (there are fewer than 65,536).
fn ward_idx(i: usize) -> WardIdx {
    WardIdx::new(i as u16)
}

fn bbox_of(mp: &MultiPolygon<f64>) -> Rect<f64> {
    mp.bounding_rect().unwrap_or_else(bbox::zero)
}

impl Geography {
    /// Loads the embedded dataset.
    pub fn load(options: &LoadOptions) -> Result<Self, GeographyError> {
        let ((wards_fc, provinces_fc), (centroids, (mapping, prefixes))) = rayon::join(
            || {
                rayon::join(
                    || source::geojson::<source::WardProps>(source::WARDS_GZ, "wards.geojson.gz"),
                    || source::geojson::<source::ProvinceProps>(source::PROVINCES_GZ, "provinces.geojson.gz"),
                )
            },
            || {
                let centroids = source::gunzip(source::CENTROIDS_GZ, "ward_centroids.csv.gz")
                    .and_then(|raw| source::csv_rows::<source::CentroidRow>(&raw, "ward_centroids.csv.gz"));
                let mapping = source::gunzip(source::MAPPING_GZ, "admin_mapping.csv.gz")
                    .and_then(|raw| source::csv_rows::<MappingRow>(&raw, "admin_mapping.csv.gz"));
                let prefixes = source::csv_rows::<source::PrefixRow>(source::PREFIXES_CSV, "postcode_prefixes.csv");
                (centroids, (mapping, prefixes))
            },
        );
        let (wards_fc, provinces_fc, centroids, mapping, prefixes) =
            (wards_fc?, provinces_fc?, centroids?, mapping?, prefixes?);
        let bad = |what: &'static str, message: String| GeographyError::Data { what, message };

        let mut provinces: Vec<Province> = provinces_fc
            .features
            .into_iter()
            .map(|f| {
                let code =
                    ProvinceCode::parse(&f.properties.code).map_err(|e| bad("provinces.geojson.gz", e.to_string()))?;
                let geometry = f.geometry.into_multipolygon();
                Ok(Province {
                    code,
                    name: f.properties.name,
                    name_en: f.properties.name_en,
                    name_ascii: f.properties.name_ascii,
                    kind: f.properties.kind,
                    bbox: bbox_of(&geometry),
                    geometry,
                    wards: Vec::new(),
                    postcode_prefixes: Vec::new(),
                })
            })
            .collect::<Result<_, GeographyError>>()?;
        provinces.sort_by_key(|p| p.code);
        let province_by_code: HashMap<ProvinceCode, u8> =
            provinces.iter().enumerate().map(|(i, p)| (p.code, i as u8)).collect();
        for row in &prefixes {
            let code =
                ProvinceCode::parse(&row.new_province_code).map_err(|e| bad("postcode_prefixes.csv", e.to_string()))?;
            let (lo, hi) = postal::parse_range(&row.old_postcode_range)
                .ok_or_else(|| bad("postcode_prefixes.csv", format!("bad range {}", row.old_postcode_range)))?;
            if let Some(&p) = province_by_code.get(&code) {
                let list = &mut provinces[usize::from(p)].postcode_prefixes;
                list.extend((lo / 1000..=hi / 1000).map(|x| x as u8));
                list.sort_unstable();
                list.dedup();
            }
        }

        let label_by_code: HashMap<String, (f64, f64)> =
            centroids.into_iter().map(|c| (c.code, (c.lon, c.lat))).collect();
        let mut wards: Vec<Ward> = wards_fc
            .features
            .into_par_iter()
            .map(|f| {
                let p = f.properties;
                let code = WardCode::parse(&p.code).map_err(|e| bad("wards.geojson.gz", e.to_string()))?;
                let province = ProvinceCode::parse(&p.province_code)
                    .ok()
                    .and_then(|c| province_by_code.get(&c).copied())
                    .ok_or_else(|| bad("wards.geojson.gz", format!("ward {code}: unknown province")))?;
                let geometry = f.geometry.into_multipolygon();
                let area = AreaIndex::new(&geometry);
                let area_km2 = geo::ChamberlainDuquetteArea::chamberlain_duquette_unsigned_area(&geometry) / 1e6;
                let label = label_by_code
                    .get(&p.code)
                    .and_then(|&(lon, lat)| LonLat::new(lon, lat).ok())
                    .or_else(|| geometry.centroid().and_then(|c| LonLat::new(c.x(), c.y()).ok()))
                    .ok_or_else(|| bad("wards.geojson.gz", format!("ward {code}: no label point")))?;
                Ok(Ward {
                    code,
                    name: p.name,
                    name_ascii: p.name_ascii,
                    kind: WardKind::parse(&p.kind),
                    province,
                    geometry,
                    area,
                    area_km2,
                    label,
                    postcode: Postcode::from_u32(0).ok_or_else(|| bad("postcode", String::new()))?,
                    old_province: None,
                    old_district: None,
                })
            })
            .collect::<Result<_, GeographyError>>()?;
        wards.sort_by_key(|w| w.code);
        let ward_by_code: HashMap<_, _> = wards.iter().enumerate().map(|(i, w)| (w.code, ward_idx(i))).collect();
        for (i, w) in wards.iter().enumerate() {
            provinces[usize::from(w.province)].wards.push(ward_idx(i));
        }

        let postcode_origin =
            postal::assign(&mut wards, &provinces, &ward_by_code, &mapping, &prefixes, options.postcodes.as_ref())?;

        let mut zone_map: HashMap<Postcode, Vec<WardIdx>> = HashMap::new();
        for (i, w) in wards.iter().enumerate() {
            zone_map.entry(w.postcode).or_default().push(ward_idx(i));
        }
        let mut zones: Vec<PostalZone> = zone_map
            .into_iter()
            .map(|(code, members)| {
                let bbox = bbox::union_all(members.iter().map(|&i| wards[usize::from(i)].area.bbox()));
                let centroid = zone_centroid(&wards, &members);
                PostalZone { code, province: wards[usize::from(members[0])].province, wards: members, bbox, centroid }
            })
            .collect();
        zones.sort_by_key(|z| z.code);
        let zone_by_code = zones.iter().enumerate().map(|(i, z)| (z.code, i as u32)).collect();

        let boxes = wards
            .iter()
            .enumerate()
            .flat_map(|(i, w)| {
                w.area.parts().iter().map(move |(b, _)| {
                    GeomWithData::new(Rectangle::from_corners(b.min().into(), b.max().into()), i as u16)
                })
            })
            .collect();

        Ok(Self {
            provinces,
            wards,
            zones,
            mapping,
            postcode_origin,
            ward_by_code,
            province_by_code,
            zone_by_code,
            ward_boxes: RTree::bulk_load(boxes),
        })
    }

    /// The ward with this code, with its index.
    #[must_use]
    pub fn ward(&self, code: WardCode) -> Option<(WardIdx, &Ward)> {
        self.ward_by_code.get(&code).map(|&i| (i, &self.wards[usize::from(i)]))
    }

    /// The ward at index `i` (of this geography: an index from another one may be out of range).
    #[must_use]
    pub fn ward_by_index(&self, i: WardIdx) -> Option<&Ward> {
        self.wards.get(usize::from(i))
    }

    /// The province with this code.
    #[must_use]
    pub fn province(&self, code: ProvinceCode) -> Option<&Province> {
        self.province_by_code.get(&code).map(|&i| &self.provinces[usize::from(i)])
    }

    /// The postal zone with this postcode.
    #[must_use]
    pub fn zone(&self, code: Postcode) -> Option<&PostalZone> {
        self.zone_by_code.get(&code).map(|&i| &self.zones[i as usize])
    }

    /// The province a ward belongs to.
    #[must_use]
    pub fn province_of(&self, ward: &Ward) -> &Province {
        &self.provinces[usize::from(ward.province)]
    }

    /// The ward whose polygon contains the point (R-tree over part boxes, then the exact test).
    #[must_use]
    pub fn ward_at(&self, p: LonLat) -> Option<WardIdx> {
        let (x, y) = (p.lon(), p.lat());
        self.ward_boxes
            .locate_all_at_point([x, y])
            .map(|b| b.data)
            .filter(|&i| self.wards[usize::from(i)].area.contains(x, y))
            .min()
            .map(WardIdx::new)
    }

    /// The ward containing the point or, failing that, the ward whose border is nearest within `max_m` metres
    /// (coasts and sliver gaps of the simplified borders). Returns the ward and the distance (0 when inside).
    #[must_use]
    pub fn ward_near(&self, p: LonLat, max_m: f64) -> Option<(WardIdx, f64)> {
        if let Some(w) = self.ward_at(p) {
            return Some((w, 0.0));
        }
        // one degree of latitude is ~111 km; a degree of longitude is never longer
        let max_deg = max_m / 110_000.0;
        let (x, y) = (p.lon(), p.lat());
        let cands = self.ward_boxes.locate_within_distance([x, y], max_deg * max_deg);
        let mut best: Option<(u16, f64)> = None;
        for b in cands {
            let w = &self.wards[usize::from(b.data)];
            if let Some(q) = w.area.nearest_boundary_point(x, y) {
                let d = haversine_m(x, y, q[0], q[1]);
                if d <= max_m && best.is_none_or(|(bi, bd)| d.total_cmp(&bd).then(b.data.cmp(&bi)).is_lt()) {
                    best = Some((b.data, d));
                }
            }
        }
        best.map(|(w, d)| (WardIdx::new(w), d))
    }

    /// Wards whose boxes intersect the given bbox, in index order.
    pub fn wards_in_bbox(&self, bbox: Rect<f64>) -> impl Iterator<Item = WardIdx> + '_ {
        let env = AABB::from_corners(bbox.min().into(), bbox.max().into());
        let mut seen: Vec<u16> = self.ward_boxes.locate_in_envelope_intersecting(env).map(|b| b.data).collect();
        seen.sort_unstable();
        seen.dedup();
        seen.into_iter().map(WardIdx::new)
    }

    /// The whole territory's bounding box.
    #[must_use]
    pub fn bbox(&self) -> Rect<f64> {
        bbox::union_all(self.provinces.iter().map(|p| p.bbox))
    }
}

fn zone_centroid(wards: &[Ward], members: &[WardIdx]) -> LonLat {
    let (mut sx, mut sy, mut sa) = (0.0, 0.0, 0.0);
    for &i in members {
        let w = &wards[usize::from(i)];
        if let Some(c) = w.geometry.centroid() {
            let a = w.geometry.unsigned_area();
            sx += c.x() * a;
            sy += c.y() * a;
            sa += a;
        }
    }
    if sa > 0.0
        && let Ok(p) = LonLat::new(sx / sa, sy / sa)
    {
        return p;
    }
    wards[usize::from(members[0])].label
}
