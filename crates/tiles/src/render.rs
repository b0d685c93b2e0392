//! Renders one tile of a source from the in-memory index: pre-simplified polygons per zoom band, points from the
//! index's spatial queries, H3 density aggregates.

use geo::{Area, InteriorPoint, MultiPolygon};
use h3o::{CellIndex, LatLng, Resolution};
use mvt::{GeomEncoder, GeomType, Tile};
use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use super::geom::{BUFFER, EXTENT, Ring, TileFrame, WorldPolygons, clip_polygons, world};
use super::streets::{StreetKind, StreetLine, Streets, clip_line};
use super::{Layer, Source, TileError, TileId};
use diachi_domain::{AddressId, HouseNumber, WardIdx};
use diachi_geo::dataset::{alley_word, from_e7};
use diachi_geo::index::NationalIndex;

/// Tiles larger than this are re-rendered with addresses aggregated (the limit is 500 KB).
pub const MAX_TILE_BYTES: usize = 500_000;
/// Polygons are pre-simplified for each zoom up to this one; higher zooms share its copy.
const BANDS: usize = 14;

/// Polygons of one layer at every zoom, each zoom's copy simplified on first use.
struct Banded {
    full: Vec<WorldPolygons>,
    bands: Vec<OnceLock<Vec<WorldPolygons>>>,
}

impl Banded {
    fn new(full: Vec<WorldPolygons>) -> Self {
        Self { full, bands: (0..BANDS).map(|_| OnceLock::new()).collect() }
    }
    fn at(&self, z: u8) -> &[WorldPolygons] {
        let z = usize::from(z).min(BANDS - 1);
        self.bands[z].get_or_init(|| {
            // one pixel at the band's zoom (the last band keeps 0.5 px of z13, about 10 m, for z13+)
            let px = if z == BANDS - 1 { 0.5 } else { 1.0 };
            let tol = px / (f64::from(EXTENT) * 2f64.powi(z as i32));
            self.full.par_iter().map(|w| w.simplified_on_grid(tol, z as u8)).collect()
        })
    }
}

/// A point label.
struct Label {
    world: (f64, f64),
    kind: &'static str,
    name: String,
    code: String,
    rank: u32,
    minzoom: u8,
}

/// H3 cells of one resolution with their address counts, in an R-tree of their centres (world coordinates).
struct Density {
    res: Resolution,
    cells: RTree<GeomWithData<[f64; 2], (CellIndex, u64)>>,
    /// World units to pad a tile's box by, so that cells whose centre is outside but whose area reaches in are found.
    pad: f64,
}

impl Density {
    fn new(res: Resolution, counts: impl Iterator<Item = (CellIndex, u64)>) -> Self {
        let mut agg: HashMap<CellIndex, u64> = HashMap::new();
        for (c, n) in counts {
            if let Some(p) = c.parent(res) {
                *agg.entry(p).or_default() += n;
            }
        }
        let entries = agg
            .into_iter()
            .map(|(c, n)| {
                let ll = LatLng::from(c);
                let (x, y) = world(ll.lng(), ll.lat());
                GeomWithData::new([x, y], (c, n))
            })
            .collect();
        // an H3 cell's circumradius is about its edge length; 1 world unit = 40,075 km at the equator, ×1.1 for 24°N
        let pad = 1.5 * res.edge_length_km() / 40_075.0 * 1.1;
        Self { res, cells: RTree::bulk_load(entries), pad }
    }
}

/// H3 resolution of the density layer at a zoom (none from z14, where addresses are drawn).
fn density_res(z: u8) -> Option<usize> {
    match z {
        0..=3 => Some(0),
        4 | 5 => Some(1),
        6 | 7 => Some(2),
        8 | 9 => Some(3),
        10 | 11 => Some(4),
        12 | 13 => Some(5),
        _ => None,
    }
}

/// Everything needed to render tiles, built once over an index.
pub struct TileRenderer {
    index: Arc<NationalIndex>,
    country: Banded,
    provinces: Banded,
    wards: Banded,
    /// Zone geometry: index into `wards` when a zone is one ward; otherwise its own dissolved polygons.
    zones: Vec<(usize, ZoneGeom)>,
    zone_polys: Banded,
    labels: Vec<Label>,
    density: Vec<Density>,
    streets: Streets,
}

/// Zoom from which alleys are drawn (streets from the layer's own minzoom).
const ALLEY_MINZOOM: u8 = 15;

enum ZoneGeom {
    Ward(usize),
    Own(usize),
}

/// How much of the addresses layer a tile carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AddressDetail {
    /// Every address with its attributes.
    All,
    /// One point per building (location), with the number of units.
    Buildings,
    /// None: only the density hexagons (H3 res 10).
    Aggregated,
}

impl TileRenderer {
    /// Simplifies and dissolves the polygon layers for every zoom band now, low zooms first, so that no tile waits for
    /// it (the server calls this in the background once it is ready; a band not made yet is made on its first tile).
    pub fn prepare(&self) {
        for z in 0..BANDS {
            for b in [&self.country, &self.provinces, &self.wards, &self.zone_polys] {
                b.at(z as u8);
            }
        }
    }

    /// Builds the renderer: projects every polygon and derives the street lines; each zoom band's simplified, valid
    /// copy of the polygons is made on the band's first tile (`Banded::at`) or by [`TileRenderer::prepare`], not here.
    #[must_use]
    pub fn new(index: Arc<NationalIndex>) -> Self {
        let geo = &index.data.geography;
        let provinces: Vec<WorldPolygons> =
            geo.provinces.par_iter().map(|p| WorldPolygons::from_lonlat(&p.geometry)).collect();
        let wards: Vec<WorldPolygons> = geo.wards.par_iter().map(|w| WorldPolygons::from_lonlat(&w.geometry)).collect();
        // The land: the provinces' polygons together; each zoom's copy is dissolved into one land mass when it is made
        // valid on that zoom's grid (`Banded::at`, `WorldPolygons::simplified_on_grid`).
        let country = WorldPolygons {
            polygons: MultiPolygon(provinces.iter().flat_map(|p| p.polygons.0.iter().cloned()).collect()),
            bbox: provinces
                .iter()
                .fold([f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY], |b, p| {
                    [b[0].min(p.bbox[0]), b[1].min(p.bbox[1]), b[2].max(p.bbox[2]), b[3].max(p.bbox[3])]
                }),
            grid: None,
        };
        let mut own = Vec::new();
        let zones = geo
            .zones
            .iter()
            .enumerate()
            .map(|(i, z)| {
                if let [w] = z.wards[..] {
                    (i, ZoneGeom::Ward(usize::from(w)))
                } else {
                    let parts: Vec<geo::Polygon<f64>> =
                        z.wards.iter().flat_map(|&w| geo.wards[usize::from(w)].geometry.0.iter().cloned()).collect();
                    let dissolved = geo::unary_union(parts.iter());
                    own.push(WorldPolygons::from_lonlat(&dissolved));
                    (i, ZoneGeom::Own(own.len() - 1))
                }
            })
            .collect();
        let mut labels: Vec<Label> = geo
            .provinces
            .iter()
            .filter_map(|p| {
                let largest = p.geometry.iter().max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))?;
                let pt = largest.interior_point()?;
                Some(Label {
                    world: world(pt.x(), pt.y()),
                    kind: "province",
                    name: p.name.clone(),
                    code: p.code.as_str().to_owned(),
                    rank: 1,
                    minzoom: 3,
                })
            })
            .collect();
        labels.extend(geo.wards.iter().map(|w| Label {
            world: world(w.label.lon(), w.label.lat()),
            kind: "ward",
            name: w.name.clone(),
            code: w.code.as_str().to_owned(),
            rank: 2,
            minzoom: 9,
        }));
        let (fine, coarse) = index.h3_count_maps();
        let density = [
            (Resolution::Three, false),
            (Resolution::Four, false),
            (Resolution::Five, false),
            (Resolution::Six, false),
            (Resolution::Seven, true),
            (Resolution::Eight, true),
        ]
        .into_par_iter()
        .map(|(res, from_fine)| {
            let src = if from_fine { fine } else { coarse };
            Density::new(res, src.iter().filter(|(_, c)| c.addresses > 0).map(|(&c, v)| (c, v.addresses)))
        })
        .collect();
        let streets = Streets::derive(&index.data.addresses, geo);
        Self {
            streets,
            country: Banded::new(vec![country]),
            provinces: Banded::new(provinces),
            wards: Banded::new(wards),
            zone_polys: Banded::new(own),
            zones,
            labels,
            density,
            index,
        }
    }

    /// The index the tiles are drawn from.
    #[must_use]
    pub fn index(&self) -> &NationalIndex {
        &self.index
    }

    /// Encodes one tile; `None` when it holds no feature (the HTTP layer answers 204).
    pub fn render(&self, source: Source, tile: TileId) -> Result<Option<Vec<u8>>, TileError> {
        if tile.z > source.maxzoom() {
            return Err(TileError::ZoomOutOfRange { z: tile.z, max: source.maxzoom() });
        }
        for detail in [AddressDetail::All, AddressDetail::Buildings, AddressDetail::Aggregated] {
            let bytes = self.encode(source, tile, detail)?;
            match bytes {
                Some(b) if b.len() > MAX_TILE_BYTES && detail != AddressDetail::Aggregated => {}
                other => return Ok(other),
            }
        }
        Ok(None)
    }

    fn encode(&self, source: Source, t: TileId, detail: AddressDetail) -> Result<Option<Vec<u8>>, TileError> {
        let frame = TileFrame::new(t.z, t.x, t.y);
        let mut tile = Tile::new(EXTENT);
        let mut features = 0usize;
        for layer in source.layers() {
            if !layer.visible_at(t.z) {
                continue;
            }
            let mut l = tile.create_layer(layer.name());
            let n = match layer {
                Layer::Country => self.polygons(&mut l, self.country.at(t.z), &frame, |_, f| {
                    f.add_tag_string("name", "Việt Nam");
                })?,
                Layer::Provinces => {
                    let geo = &self.index.data.geography;
                    self.polygons(&mut l, self.provinces.at(t.z), &frame, |i, f| {
                        let p = &geo.provinces[i];
                        f.set_id(u64::from(p.code.as_u32()));
                        f.add_tag_string("code", p.code.as_str());
                        f.add_tag_string("name", &p.name);
                    })?
                }
                Layer::Wards => {
                    let geo = &self.index.data.geography;
                    self.polygons(&mut l, self.wards.at(t.z), &frame, |i, f| {
                        let w = &geo.wards[i];
                        f.set_id(u64::from(w.code.as_u32()));
                        f.add_tag_string("code", w.code.as_str());
                        f.add_tag_string("name", &w.name);
                        f.add_tag_string("kind", w.kind.slug());
                        f.add_tag_string("province_code", geo.province_of(w).code.as_str());
                    })?
                }
                Layer::PostalZones => self.zones(&mut l, &frame)?,
                Layer::Labels => self.labels(&mut l, &frame)?,
                Layer::PostOffices => self.post_offices(&mut l, &frame)?,
                Layer::Streets => self.streets(&mut l, &frame)?,
                Layer::Addresses => match detail {
                    AddressDetail::Aggregated => 0,
                    d => self.addresses(&mut l, &frame, d == AddressDetail::Buildings)?,
                },
                Layer::Density => match (density_res(t.z), detail) {
                    (Some(i), _) => self.density(&mut l, &frame, &self.density[i])?,
                    (None, AddressDetail::Aggregated) => self.fine_density(&mut l, &frame)?,
                    (None, _) => 0,
                },
            };
            if n > 0 {
                features += n;
                tile.add_layer(l)?;
            }
        }
        if features == 0 {
            return Ok(None);
        }
        Ok(Some(tile.to_bytes()?))
    }

    /// Adds every polygon feature of `set` that reaches into the tile; `tags(i, feature)` names feature `i`.
    fn polygons(
        &self,
        layer: &mut mvt::Layer,
        set: &[WorldPolygons],
        frame: &TileFrame,
        mut tags: impl FnMut(usize, &mut mvt::Feature),
    ) -> Result<usize, TileError> {
        let wb = frame.world_box(BUFFER);
        let mut n = 0;
        for (i, wp) in set.iter().enumerate() {
            if !wp.intersects(&wb) {
                continue;
            }
            let polys = clip_polygons(wp, frame, 2.0);
            if polys.is_empty() {
                continue;
            }
            let geom = polygon_geometry(&polys)?;
            let mut f = take(layer).into_feature(geom);
            tags(i, &mut f);
            *layer = f.into_layer();
            n += 1;
        }
        Ok(n)
    }

    fn zones(&self, layer: &mut mvt::Layer, frame: &TileFrame) -> Result<usize, TileError> {
        let geo = &self.index.data.geography;
        let wb = frame.world_box(BUFFER);
        let (wards, own) = (self.wards.at(frame.z), self.zone_polys.at(frame.z));
        let mut n = 0;
        for &(zi, ref g) in &self.zones {
            let wp = match g {
                ZoneGeom::Ward(w) => &wards[*w],
                ZoneGeom::Own(o) => &own[*o],
            };
            if !wp.intersects(&wb) {
                continue;
            }
            let polys = clip_polygons(wp, frame, 2.0);
            if polys.is_empty() {
                continue;
            }
            let z = &geo.zones[zi];
            let mut f = take(layer).into_feature(polygon_geometry(&polys)?);
            f.set_id(u64::from(z.code.as_u32()));
            f.add_tag_string("code", z.code.as_str());
            f.add_tag_string("province_code", geo.provinces[usize::from(z.province)].code.as_str());
            *layer = f.into_layer();
            n += 1;
        }
        Ok(n)
    }

    fn labels(&self, layer: &mut mvt::Layer, frame: &TileFrame) -> Result<usize, TileError> {
        let mut n = 0;
        for lb in &self.labels {
            if frame.z < lb.minzoom {
                continue;
            }
            let Some((x, y)) = inside(frame, lb.world, 0.0) else { continue };
            let mut f = take(layer).into_feature(GeomEncoder::new(GeomType::Point).point(x, y)?.encode()?);
            f.add_tag_string("kind", lb.kind);
            f.add_tag_string("name", &lb.name);
            f.add_tag_string("code", &lb.code);
            f.add_tag_uint("rank", u64::from(lb.rank));
            *layer = f.into_layer();
            n += 1;
        }
        Ok(n)
    }

    fn post_offices(&self, layer: &mut mvt::Layer, frame: &TileFrame) -> Result<usize, TileError> {
        let offices = &self.index.data.post_offices;
        let mut ids = Vec::new();
        self.index.for_each_post_office_in_bbox(frame.lonlat_box(BUFFER), |id, _, _| ids.push(id));
        ids.sort_unstable();
        let mut n = 0;
        for id in ids {
            let Some(o) = offices.get(id as usize) else { continue };
            let Some((x, y)) = inside(frame, world(from_e7(o.lon_e7), from_e7(o.lat_e7)), BUFFER) else { continue };
            let mut f = take(layer).into_feature(GeomEncoder::new(GeomType::Point).point(x, y)?.encode()?);
            f.set_id(u64::from(o.id));
            f.add_tag_uint("id", u64::from(o.id));
            f.add_tag_string("name", &o.name);
            f.add_tag_string("kind", o.kind.as_str());
            *layer = f.into_layer();
            n += 1;
        }
        Ok(n)
    }

    fn addresses(&self, layer: &mut mvt::Layer, frame: &TileFrame, buildings: bool) -> Result<usize, TileError> {
        let ix = &*self.index;
        let geo = &ix.data.geography;
        let mut found: Vec<(AddressId, i32, i32)> = Vec::new();
        ix.for_each_address_in_bbox(frame.lonlat_box(BUFFER), |id, x, y| found.push((id, x, y)));
        found.sort_unstable();
        if buildings {
            // one feature per location: the lowest id stands for the building, with its number of units
            let mut by_point: HashMap<(i32, i32), (AddressId, u32)> = HashMap::new();
            for &(id, x, y) in &found {
                by_point.entry((x, y)).and_modify(|e| e.1 += 1).or_insert((id, 1));
            }
            let mut pts: Vec<((i32, i32), (AddressId, u32))> = by_point.into_iter().collect();
            pts.sort_unstable_by_key(|p| p.1.0);
            let mut n = 0;
            for ((x, y), (id, units)) in pts {
                let Some((px, py)) = inside(frame, world(from_e7(x), from_e7(y)), BUFFER) else { continue };
                let mut f = take(layer).into_feature(GeomEncoder::new(GeomType::Point).point(px, py)?.encode()?);
                f.set_id(u64::from(id.get()));
                f.add_tag_uint("units", u64::from(units));
                if let Some(house) = ix.with_address(id, |r| house_label(geo, r.ward, r.house, r.alley)).flatten() {
                    f.add_tag_string("house", &house);
                }
                *layer = f.into_layer();
                n += 1;
            }
            return Ok(n);
        }
        let mut n = 0;
        for (id, x, y) in found {
            let Some((px, py)) = inside(frame, world(from_e7(x), from_e7(y)), BUFFER) else {
                continue;
            };
            let feature = ix.with_address(id, |r| -> Result<Option<mvt::Layer>, TileError> {
                let Some(ward) = geo.wards.get(usize::from(r.ward)) else { return Ok(None) };
                let Some(house) = house_label(geo, r.ward, r.house, r.alley) else { return Ok(None) };
                let mut f = take(layer).into_feature(GeomEncoder::new(GeomType::Point).point(px, py)?.encode()?);
                f.set_id(u64::from(id.get()));
                f.add_tag_uint("id", u64::from(id.get()));
                f.add_tag_string("house", &house);
                if r.apartment != 0 {
                    f.add_tag_uint("unit", u64::from(r.apartment));
                }
                f.add_tag_string("street", r.street);
                if let Some(da) = r.digital_address() {
                    f.add_tag_string("digital_address", &da.to_string());
                }
                f.add_tag_string("postcode", ward.postcode.as_str());
                Ok(Some(f.into_layer()))
            });
            if let Some(Some(l)) = feature.transpose()? {
                *layer = l;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Street lines from the layer's minzoom, alley lines from [`ALLEY_MINZOOM`]: clipped to the tile and its buffer,
    /// simplified to a pixel, lines shorter than two pixels left out.
    fn streets(&self, layer: &mut mvt::Layer, frame: &TileFrame) -> Result<usize, TileError> {
        let min_len = 2.0 * frame.world_per_px();
        let mut n = 0;
        for sl in self.streets.in_box(frame.world_box(BUFFER)) {
            if (sl.kind == StreetKind::Alley && frame.z < ALLEY_MINZOOM) || sl.length < min_len {
                continue;
            }
            let Some(geom) = line_geometry(sl, frame)? else { continue };
            let mut f = take(layer).into_feature(geom);
            f.add_tag_string("name", &sl.name);
            f.add_tag_string("kind", sl.kind.as_str());
            if let Some(street) = &sl.street {
                f.add_tag_string("street", street);
            }
            f.add_tag_string("origin", "generated");
            *layer = f.into_layer();
            n += 1;
        }
        Ok(n)
    }

    fn density(&self, layer: &mut mvt::Layer, frame: &TileFrame, d: &Density) -> Result<usize, TileError> {
        let wb = frame.world_box(BUFFER);
        let env = rstar::AABB::from_corners([wb[0] - d.pad, wb[1] - d.pad], [wb[2] + d.pad, wb[3] + d.pad]);
        let mut cells: Vec<(CellIndex, u64)> = d.cells.locate_in_envelope(env).map(|e| e.data).collect();
        cells.sort_unstable();
        self.hexagons(layer, frame, d.res, &cells)
    }

    /// Res-10 hexagons of the addresses in a tile too dense to carry them one by one.
    fn fine_density(&self, layer: &mut mvt::Layer, frame: &TileFrame) -> Result<usize, TileError> {
        let ix = &*self.index;
        let mut counts: HashMap<CellIndex, u64> = HashMap::new();
        ix.for_each_address_in_bbox(frame.lonlat_box(0.0), |_, x, y| {
            if let Ok(ll) = LatLng::new(from_e7(y), from_e7(x)) {
                *counts.entry(ll.to_cell(Resolution::Ten)).or_default() += 1;
            }
        });
        let mut cells: Vec<(CellIndex, u64)> = counts.into_iter().collect();
        cells.sort_unstable();
        self.hexagons(layer, frame, Resolution::Ten, &cells)
    }

    fn hexagons(
        &self,
        layer: &mut mvt::Layer,
        frame: &TileFrame,
        res: Resolution,
        cells: &[(CellIndex, u64)],
    ) -> Result<usize, TileError> {
        let mut n = 0;
        for &(c, count) in cells {
            let ring: geo::LineString<f64> =
                c.boundary().iter().map(|v| geo::Coord { x: v.lng(), y: v.lat() }).collect();
            let wp = WorldPolygons::from_lonlat(&MultiPolygon(vec![geo::Polygon::new(ring, vec![])]));
            let polys = clip_polygons(&wp, frame, 0.5);
            if polys.is_empty() {
                continue;
            }
            let mut f = take(layer).into_feature(polygon_geometry(&polys)?);
            f.set_id(u64::from(c));
            f.add_tag_string("h3", &c.to_string());
            f.add_tag_uint("count", count);
            f.add_tag_uint("res", u64::from(u8::from(res)));
            *layer = f.into_layer();
            n += 1;
        }
        Ok(n)
    }
}

/// Moves a layer out (the `mvt` API threads ownership through features).
fn take(layer: &mut mvt::Layer) -> mvt::Layer {
    std::mem::replace(layer, Tile::new(EXTENT).create_layer(""))
}

/// Pixel coordinates of a world point when it lies in the tile (plus `buffer` pixels).
fn inside(frame: &TileFrame, w: (f64, f64), buffer: f64) -> Option<(f64, f64)> {
    let (x, y) = frame.px(w);
    let hi = f64::from(EXTENT) + buffer;
    ((-buffer..hi).contains(&x) && (-buffer..hi).contains(&y)).then(|| (x.round(), y.round()))
}

/// The label of a house: `12`, `12A`, or `3 Ngõ 45` in an alley; `None` for a row without a ward.
fn house_label(
    geo: &diachi_geo::geography::Geography,
    ward: WardIdx,
    house: HouseNumber,
    alley: u16,
) -> Option<String> {
    let ward = geo.wards.get(usize::from(ward))?;
    Some(if alley == 0 {
        house.to_string()
    } else {
        format!("{house} {} {alley}", alley_word(geo.province_of(ward).code.as_u32()))
    })
}

/// A street line clipped to the tile and its buffer, simplified to a pixel: `None` when nothing of it is left.
fn line_geometry(sl: &StreetLine, frame: &TileFrame) -> Result<Option<mvt::GeomData>, TileError> {
    use geo::Simplify;
    let px: Vec<(f64, f64)> = sl.points.iter().map(|&w| frame.px(w)).collect();
    let mut enc = GeomEncoder::new(GeomType::Linestring);
    let mut any = false;
    for piece in clip_line(&px, -BUFFER, f64::from(EXTENT) + BUFFER) {
        let ls: geo::LineString<f64> = piece.into_iter().map(|(x, y)| geo::Coord { x, y }).collect();
        let mut pts: Vec<(f64, f64)> = ls.simplify(1.0).0.iter().map(|c| (c.x.round(), c.y.round())).collect();
        pts.dedup();
        if pts.len() < 2 {
            continue;
        }
        for (x, y) in pts {
            enc.add_point(x, y)?;
        }
        enc.complete_geom()?;
        any = true;
    }
    if any { Ok(Some(enc.encode()?)) } else { Ok(None) }
}

/// Encodes the rings. A ring that starts where the previous one ended starts at its second point instead: the `mvt`
/// encoder would drop its first point (it writes no MoveTo for a point equal to the last one), and a decoder would
/// read a ring short of a point (degenerate or crossing itself).
fn polygon_geometry(polys: &[Vec<Ring>]) -> Result<mvt::GeomData, TileError> {
    let mut enc = GeomEncoder::new(GeomType::Polygon);
    let mut last = None;
    for ring in polys.iter().flatten() {
        let start = usize::from(ring.first() == last.as_ref());
        for &(x, y) in ring[start..].iter().chain(&ring[..start]) {
            enc.add_point(f64::from(x), f64::from(y))?;
        }
        enc.complete_geom()?;
        last = ring[..start].last().or(ring.last()).copied();
    }
    Ok(enc.encode()?)
}
