//! Web Mercator, tile pixel space, polygon clipping and simplification: the geometry half of tile encoding.
//!
//! Geometry is kept in *world* coordinates: Web Mercator normalised to the unit square, x to the east and y to the
//! south (the tile grid's orientation), so tile `(z, x, y)` covers `[x, x+1] × [y, y+1] / 2^z`. North stays up, so
//! a ring keeps its visual winding; MVT 2.1 wants exterior rings clockwise on screen (a positive surveyor's area
//! with y down), so polygons are oriented exterior-clockwise, holes counter-clockwise, before projection.

use geo::{Coord, LineString, MultiPolygon, Polygon, Rect, Simplify as _};
use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay::IntOverlayOptions;
use i_overlay::core::simplify::Simplify as _;
use i_overlay::i_float::int::point::IntPoint;

/// Tile extent in MVT units.
pub const EXTENT: u32 = 4096;
/// Geometry buffer around a tile, in MVT units (so that strokes and labels meet across tile edges).
pub const BUFFER: f64 = 64.0;
/// Web Mercator's latitude limit.
pub const MAX_LAT: f64 = 85.051_128_779_806_59;

/// World coordinates of a longitude/latitude.
#[must_use]
pub fn world(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let x = (lon + 180.0) / 360.0;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0;
    (x, y)
}

/// Longitude/latitude of world coordinates.
#[must_use]
pub fn lonlat(x: f64, y: f64) -> (f64, f64) {
    let lon = x * 360.0 - 180.0;
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * y)).sinh().atan().to_degrees();
    (lon, lat)
}

/// The longitude/latitude box of a tile.
#[must_use]
pub fn tile_bounds(z: u8, x: u32, y: u32) -> Rect<f64> {
    let n = f64::from(1u32 << z);
    let (west, north) = lonlat(f64::from(x) / n, f64::from(y) / n);
    let (east, south) = lonlat(f64::from(x + 1) / n, f64::from(y + 1) / n);
    Rect::new((west, south), (east, north))
}

/// Maps world coordinates into one tile's pixel space.
#[derive(Debug, Clone, Copy)]
pub struct TileFrame {
    /// The tile's zoom.
    pub z: u8,
    scale: f64,
    ox: f64,
    oy: f64,
}

impl TileFrame {
    /// The frame of tile `z/x/y`.
    #[must_use]
    pub fn new(z: u8, x: u32, y: u32) -> Self {
        let scale = f64::from(EXTENT) * f64::from(1u32 << z);
        Self { z, scale, ox: f64::from(x) * f64::from(EXTENT), oy: f64::from(y) * f64::from(EXTENT) }
    }

    /// Pixel coordinates (may lie outside the tile).
    #[must_use]
    pub fn px(&self, w: (f64, f64)) -> (f64, f64) {
        (w.0 * self.scale - self.ox, w.1 * self.scale - self.oy)
    }

    /// The world box covered by the tile and its buffer: `[x0, y0, x1, y1]`.
    #[must_use]
    pub fn world_box(&self, buffer: f64) -> [f64; 4] {
        let b = buffer / self.scale;
        let (x0, y0) = (self.ox / self.scale, self.oy / self.scale);
        let s = f64::from(EXTENT) / self.scale;
        [x0 - b, y0 - b, x0 + s + b, y0 + s + b]
    }

    /// The longitude/latitude box of the tile and its buffer.
    #[must_use]
    pub fn lonlat_box(&self, buffer: f64) -> Rect<f64> {
        let w = self.world_box(buffer);
        let (west, north) = lonlat(w[0], w[1]);
        let (east, south) = lonlat(w[2], w[3]);
        Rect::new((west, south), (east, north))
    }

    /// World units per pixel at this zoom.
    #[must_use]
    pub fn world_per_px(&self) -> f64 {
        1.0 / self.scale
    }
}

/// A polygon in world coordinates with its world bbox.
#[derive(Debug, Clone)]
pub struct WorldPolygons {
    /// The polygons, in world coordinates.
    pub polygons: MultiPolygon<f64>,
    /// Their bounding box `[min_x, min_y, max_x, max_y]` in world coordinates.
    pub bbox: [f64; 4],
    /// The zoom whose pixel grid the vertices lie on, the polygons valid there (see
    /// [`WorldPolygons::simplified_on_grid`]); `None` when not known to be.
    pub grid: Option<u8>,
}

impl WorldPolygons {
    /// Projects a longitude/latitude multipolygon (any ring orientation) into world coordinates, oriented for MVT.
    #[must_use]
    pub fn from_lonlat(mp: &MultiPolygon<f64>) -> Self {
        use geo::orient::{Direction, Orient};
        let oriented = mp.orient(Direction::Reversed);
        let project = |ls: &LineString<f64>| -> LineString<f64> {
            ls.coords()
                .map(|c| {
                    let (x, y) = world(c.x, c.y);
                    Coord { x, y }
                })
                .collect()
        };
        let polygons: MultiPolygon<f64> = oriented
            .iter()
            .map(|p| Polygon::new(project(p.exterior()), p.interiors().iter().map(project).collect()))
            .collect();
        let bbox = bbox_of(&polygons);
        Self { polygons, bbox, grid: None }
    }

    /// A copy simplified (Ramer–Douglas–Peucker) to `tolerance` world units; rings that collapse are dropped.
    #[must_use]
    pub fn simplified(&self, tolerance: f64) -> Self {
        let polygons: MultiPolygon<f64> = self
            .polygons
            .iter()
            .filter_map(|p| {
                let ext = p.exterior().simplify(tolerance);
                if ext.0.len() < 4 {
                    return None;
                }
                let ints = p.interiors().iter().map(|r| r.simplify(tolerance)).filter(|r| r.0.len() >= 4).collect();
                Some(Polygon::new(ext, ints))
            })
            .collect();
        let bbox = bbox_of(&polygons);
        Self { polygons, bbox, grid: None }
    }

    /// A copy [simplified](WorldPolygons::simplified), its vertices rounded to the pixel grid of zoom `z` and made
    /// valid there (the overlay of [`clip_polygons`] on the whole, parts that overlap merged). A tile of zoom `z` or
    /// above that does not cut these polygons then holds them valid as they are (a translation by whole pixels, or
    /// a scaling by a power of two), without an overlay of its own.
    #[must_use]
    pub fn simplified_on_grid(&self, tolerance: f64, z: u8) -> Self {
        let scale = f64::from(EXTENT) * f64::from(1u32 << z);
        let contours: Vec<Vec<IntPoint>> = self
            .simplified(tolerance)
            .polygons
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .filter_map(|r| snap(r.coords().map(|c| (c.x * scale, c.y * scale))))
            .collect();
        let world = |r: Ring| -> LineString<f64> {
            let mut ls: LineString<f64> =
                r.iter().map(|&(x, y)| Coord { x: f64::from(x) / scale, y: f64::from(y) / scale }).collect();
            ls.close();
            ls
        };
        let polygons: MultiPolygon<f64> = resolve(&contours, 0.0)
            .into_iter()
            .map(|rings| {
                let mut rings = rings.into_iter().map(world);
                let ext = rings.next().unwrap_or_else(|| LineString(Vec::new()));
                Polygon::new(ext, rings.collect())
            })
            .collect();
        let bbox = bbox_of(&polygons);
        Self { polygons, bbox, grid: Some(z) }
    }

    /// Whether the bounding box meets box `b` (same form).
    #[must_use]
    pub fn intersects(&self, b: &[f64; 4]) -> bool {
        self.bbox[0] <= b[2] && self.bbox[2] >= b[0] && self.bbox[1] <= b[3] && self.bbox[3] >= b[1]
    }
}

fn bbox_of(mp: &MultiPolygon<f64>) -> [f64; 4] {
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for p in mp {
        for c in p.exterior().coords() {
            b = [b[0].min(c.x), b[1].min(c.y), b[2].max(c.x), b[3].max(c.y)];
        }
    }
    b
}

/// One ring in tile pixels, clipped, rounded, without the closing point.
pub type Ring = Vec<(i32, i32)>;

/// Clips and rounds a multipolygon into the tile's pixel space, as valid polygons on the integer grid. Returns the
/// rings of each polygon (exterior first, clockwise on screen; holes counter-clockwise, inside their exterior) that
/// keep an area of at least `min_area` square pixels; polygons whose exterior does not are dropped.
///
/// Each ring is cut to the tile and its buffer (Sutherland–Hodgman) and rounded to the grid first; the rings of the
/// whole multipolygon then go through a polygon overlay on the grid ([`resolve`]), which removes what the cut, the
/// simplification and the rounding leave behind (edges doubled along the tile's edge, self-intersections, holes
/// crossing their exterior, parts overlapping each other).
#[must_use]
pub fn clip_polygons(wp: &WorldPolygons, frame: &TileFrame, min_area: f64) -> Vec<Vec<Ring>> {
    let wb = frame.world_box(BUFFER);
    let reaches = |r: &LineString<f64>| {
        let b = ring_bbox(r);
        !(b[0] > wb[2] || b[2] < wb[0] || b[1] > wb[3] || b[3] < wb[1])
    };
    let mut polygons: Vec<Vec<Vec<IntPoint>>> = Vec::new();
    let mut cut = false;
    for p in &wp.polygons {
        if !reaches(p.exterior()) {
            continue;
        }
        let Some((ext, c)) = clip_ring(p.exterior(), frame) else { continue };
        cut |= c;
        let mut rings = vec![ext];
        for (hole, c) in p.interiors().iter().filter(|r| reaches(r)).filter_map(|r| clip_ring(r, frame)) {
            cut |= c;
            rings.push(hole);
        }
        polygons.push(rings);
    }
    if !cut && wp.grid.is_some_and(|g| g <= frame.z) {
        return polygons.into_iter().filter_map(|rings| uncut(rings, min_area)).collect();
    }
    resolve(&polygons.concat(), min_area)
}

/// The rings of a polygon valid on the grid and not cut by the tile, as they are, less those below `min_area`.
fn uncut(rings: Vec<Vec<IntPoint>>, min_area: f64) -> Option<Vec<Ring>> {
    let mut rings = rings.into_iter().map(|r| r.into_iter().map(|p| (p.x, p.y)).collect::<Ring>());
    let ext = rings.next()?;
    if signed_area(&ext) < min_area {
        return None;
    }
    Some(std::iter::once(ext).chain(rings.filter(|r| -signed_area(r) >= min_area)).collect())
}

fn ring_bbox(r: &LineString<f64>) -> [f64; 4] {
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for c in r.coords() {
        b = [b[0].min(c.x), b[1].min(c.y), b[2].max(c.x), b[3].max(c.y)];
    }
    b
}

/// Sutherland–Hodgman against the tile and its buffer, then rounding to the grid and removal of repeated points,
/// with whether the ring was cut. The ring keeps its orientation; it may touch or cross itself (see [`resolve`]).
/// `None` when fewer than three points remain.
fn clip_ring(r: &LineString<f64>, frame: &TileFrame) -> Option<(Vec<IntPoint>, bool)> {
    let (lo, hi) = (-BUFFER, f64::from(EXTENT) + BUFFER);
    let mut pts: Vec<(f64, f64)> = r.coords().map(|c| frame.px((c.x, c.y))).collect();
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    let inside_all = pts.iter().all(|&(x, y)| (lo..=hi).contains(&x) && (lo..=hi).contains(&y));
    if !inside_all {
        for edge in 0..4 {
            pts = clip_edge(&pts, edge, lo, hi);
            if pts.len() < 3 {
                return None;
            }
        }
    }
    let ring = snap(pts.into_iter())?;
    if inside_all {
        return Some((ring, false));
    }
    let ring = along_edges_merged(ring, lo as i32, hi as i32);
    (ring.len() >= 3).then_some((ring, true))
}

/// The ring with each run of points along one edge of the box `[lo, hi]²` reduced to its two ends. The runs go back
/// and forth where Sutherland–Hodgman joined the pieces of a cut ring; they enclose nothing, so the filled area is
/// the same, and the overlay is spared many overlapping segments.
fn along_edges_merged(ring: Vec<IntPoint>, lo: i32, hi: i32) -> Vec<IntPoint> {
    let on_edge = |a: IntPoint, b: IntPoint, c: IntPoint| {
        let v = a.x == b.x && b.x == c.x && (b.x == lo || b.x == hi);
        v || (a.y == b.y && b.y == c.y && (b.y == lo || b.y == hi))
    };
    let mut out: Vec<IntPoint> = Vec::with_capacity(ring.len());
    for p in ring {
        while out.len() >= 2 && on_edge(out[out.len() - 2], out[out.len() - 1], p) {
            out.pop();
        }
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    while out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    out
}

/// The points rounded to the grid, without repeated points nor the closing one; `None` when fewer than three remain.
fn snap(pts: impl Iterator<Item = (f64, f64)>) -> Option<Vec<IntPoint>> {
    let mut ring: Vec<IntPoint> = Vec::with_capacity(pts.size_hint().0);
    for (x, y) in pts {
        let p = IntPoint::new(x.round() as i32, y.round() as i32);
        if ring.last() != Some(&p) {
            ring.push(p);
        }
    }
    while ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    (ring.len() >= 3).then_some(ring)
}

/// The polygons filled by `contours` (exteriors clockwise on screen, holes counter-clockwise: the area of positive
/// winding), as valid polygons on the grid: an overlay of the contours with themselves (`i_overlay`, exact on
/// integers, OGC-valid output). Exteriors below `min_area` square pixels are dropped with their holes, holes below it
/// are filled.
fn resolve(contours: &[Vec<IntPoint>], min_area: f64) -> Vec<Vec<Ring>> {
    if contours.is_empty() {
        return Vec::new();
    }
    let shapes = contours.simplify(FILL, IntOverlayOptions::ogc());
    shapes
        .into_iter()
        .filter_map(|shape| {
            let mut rings = shape.into_iter().map(|c| c.into_iter().map(|p| (p.x, p.y)).collect::<Ring>());
            let ext = oriented(rings.next()?, true);
            if signed_area(&ext) < min_area {
                return None;
            }
            let holes = rings.map(|r| oriented(r, false)).filter(|r| -signed_area(r) >= min_area);
            Some(std::iter::once(ext).chain(holes).collect())
        })
        .collect()
}

/// The fill rule of [`resolve`]: the winding of a ring with a positive [`signed_area`] counts as positive.
const FILL: FillRule = FillRule::Positive;

/// The ring, reversed if needed so that it is clockwise on screen (`exterior`) or counter-clockwise.
fn oriented(mut ring: Ring, exterior: bool) -> Ring {
    if (signed_area(&ring) > 0.0) != exterior {
        ring.reverse();
    }
    ring
}

fn clip_edge(pts: &[(f64, f64)], edge: u8, lo: f64, hi: f64) -> Vec<(f64, f64)> {
    let inside = |p: (f64, f64)| match edge {
        0 => p.0 >= lo,
        1 => p.0 <= hi,
        2 => p.1 >= lo,
        _ => p.1 <= hi,
    };
    let cross = |a: (f64, f64), b: (f64, f64)| -> (f64, f64) {
        let (t, fixed_x) = match edge {
            0 => ((lo - a.0) / (b.0 - a.0), true),
            1 => ((hi - a.0) / (b.0 - a.0), true),
            2 => ((lo - a.1) / (b.1 - a.1), false),
            _ => ((hi - a.1) / (b.1 - a.1), false),
        };
        let (x, y) = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
        if fixed_x { (if edge == 0 { lo } else { hi }, y) } else { (x, if edge == 2 { lo } else { hi }) }
    };
    let mut out = Vec::with_capacity(pts.len() + 4);
    let n = pts.len();
    for i in 0..n {
        let cur = pts[i];
        let prev = pts[(i + n - 1) % n];
        match (inside(prev), inside(cur)) {
            (true, true) => out.push(cur),
            (true, false) => out.push(cross(prev, cur)),
            (false, true) => {
                out.push(cross(prev, cur));
                out.push(cur);
            }
            (false, false) => {}
        }
    }
    out
}

/// Signed area in square pixels, positive for clockwise rings in y-down space (MVT exterior rings).
#[must_use]
pub fn signed_area(ring: &[(i32, i32)]) -> f64 {
    let n = ring.len();
    let mut s = 0i64;
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        s += i64::from(a.0) * i64::from(b.1) - i64::from(b.0) * i64::from(a.1);
    }
    s as f64 / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn world_and_lonlat_round_trip() {
        for &(lon, lat) in &[(105.85, 21.03), (-180.0, 0.0), (109.3, 8.6), (112.0, 16.5)] {
            let (x, y) = world(lon, lat);
            let (lo, la) = lonlat(x, y);
            assert!((lo - lon).abs() < 1e-9 && (la - lat).abs() < 1e-9);
        }
        assert_eq!(world(0.0, 0.0), (0.5, 0.5));
        let b = tile_bounds(1, 1, 0);
        assert!(
            (b.min().x - 0.0).abs() < 1e-9 && (b.max().x - 180.0).abs() < 1e-9 && (b.max().y - MAX_LAT).abs() < 1e-6
        );
    }

    #[test]
    fn clipping_keeps_orientation_and_cuts_to_the_buffer() {
        // a square around the whole of tile 0/0/0's north-west quarter, counter-clockwise with y up
        let p = polygon![(x: -170.0, y: 10.0), (x: -10.0, y: 10.0), (x: -10.0, y: 80.0), (x: -170.0, y: 80.0)];
        let wp = WorldPolygons::from_lonlat(&MultiPolygon(vec![p]));
        // tile 1/0/0 covers the north-west quarter: clipped to its buffer
        let f = TileFrame::new(2, 0, 0);
        let rings = clip_polygons(&wp, &f, 1.0);
        assert_eq!(rings.len(), 1);
        let ext = &rings[0][0];
        assert!(signed_area(ext) > 0.0, "exterior rings are clockwise in tile space");
        assert!(ext.iter().all(|&(x, y)| (-64..=4160).contains(&x) && (-64..=4160).contains(&y)));
        // far away: nothing
        assert!(clip_polygons(&wp, &TileFrame::new(4, 15, 15), 1.0).is_empty());
        // tiny at low zoom: dropped
        let tiny =
            polygon![(x: 105.0, y: 21.0), (x: 105.0001, y: 21.0), (x: 105.0001, y: 21.0001), (x: 105.0, y: 21.0001)];
        let wt = WorldPolygons::from_lonlat(&MultiPolygon(vec![tiny]));
        assert!(clip_polygons(&wt, &TileFrame::new(3, 6, 3), 1.0).is_empty());
    }

    /// Pixel coordinates of tile 0/0/0 as world coordinates.
    fn from_px(rings: &[&[(f64, f64)]]) -> WorldPolygons {
        let ls = |r: &&[(f64, f64)]| -> LineString<f64> {
            r.iter().map(|&(x, y)| Coord { x: x / f64::from(EXTENT), y: y / f64::from(EXTENT) }).collect()
        };
        let p = Polygon::new(ls(&rings[0]), rings[1..].iter().map(ls).collect());
        let polygons = MultiPolygon(vec![p]);
        WorldPolygons { bbox: bbox_of(&polygons), polygons, grid: None }
    }

    fn to_geo(rings: &[Ring]) -> Polygon<f64> {
        let ls = |r: &Ring| -> LineString<f64> { r.iter().map(|&(x, y)| Coord { x: x.into(), y: y.into() }).collect() };
        Polygon::new(ls(&rings[0]), rings[1..].iter().map(ls).collect())
    }

    /// Length of the ring's edges that lie on the vertical line `x`.
    fn length_along(ring: &Ring, x: i32) -> i32 {
        (0..ring.len())
            .map(|i| (ring[i], ring[(i + 1) % ring.len()]))
            .filter(|(a, b)| a.0 == x && b.0 == x)
            .map(|(a, b)| (a.1 - b.1).abs())
            .sum()
    }

    #[test]
    fn a_concave_polygon_across_the_tile_edge_is_cut_in_valid_parts_without_edges_doubled_along_it() {
        use geo::Validation;
        // a U lying on its side, clockwise on screen: two arms reach out of the right edge (x = 4160 with the
        // buffer) and meet outside the tile; Sutherland–Hodgman alone joins them with an edge going down and back up
        let u: &[(f64, f64)] = &[
            (3000.0, 1000.0),
            (5000.0, 1000.0),
            (5000.0, 3000.0),
            (3000.0, 3000.0),
            (3000.0, 2500.0),
            (4500.0, 2500.0),
            (4500.0, 1500.0),
            (3000.0, 1500.0),
        ];
        let parts = clip_polygons(&from_px(&[u]), &TileFrame::new(0, 0, 0), 1.0);
        assert_eq!(parts.len(), 2, "{parts:?}");
        for p in &parts {
            assert_eq!(p.len(), 1, "no hole: {p:?}");
            assert!(to_geo(p).is_valid(), "{p:?}");
            assert!((signed_area(&p[0]) - 1160.0 * 500.0).abs() < 1e-9, "clockwise, one arm: {p:?}");
            assert_eq!(length_along(&p[0], 4160), 500, "one edge along the tile's edge, the arm's width: {p:?}");
        }
    }

    #[test]
    fn self_intersections_and_holes_across_their_exterior_come_out_valid() {
        use geo::Validation;
        // a bow tie (its second loop counter-clockwise, not land) and a square whose hole sticks out of it
        let bow: &[(f64, f64)] = &[(100.0, 100.0), (1000.0, 1000.0), (1000.0, 100.0), (100.0, 1000.0)];
        let tie = clip_polygons(&from_px(&[bow]), &TileFrame::new(0, 0, 0), 1.0);
        assert!(!tie.is_empty() && tie.iter().all(|p| to_geo(p).is_valid() && signed_area(&p[0]) > 0.0), "{tie:?}");
        let shell: &[(f64, f64)] = &[(2000.0, 2000.0), (3000.0, 2000.0), (3000.0, 3000.0), (2000.0, 3000.0)];
        let hole: &[(f64, f64)] = &[(2500.0, 2500.0), (2500.0, 3500.0), (3500.0, 3500.0), (3500.0, 2500.0)];
        let cut = clip_polygons(&from_px(&[shell, hole]), &TileFrame::new(0, 0, 0), 1.0);
        assert_eq!(cut.len(), 1, "{cut:?}");
        assert!(to_geo(&cut[0]).is_valid(), "{cut:?}");
        assert!((signed_area(&cut[0][0]) - 750_000.0).abs() < 1e-9, "the square less the hole's quarter: {cut:?}");
    }
}
