//! Web Mercator, tile pixel space, polygon clipping and simplification: the geometry half of tile encoding.
//!
//! Geometry is kept in *world* coordinates: Web Mercator normalised to the unit square, x to the east and y to the
//! south (the tile grid's orientation), so tile `(z, x, y)` covers `[x, x+1] × [y, y+1] / 2^z`. North stays up, so
//! a ring keeps its visual winding; MVT 2.1 wants exterior rings clockwise on screen (a positive surveyor's area
//! with y down), so polygons are oriented exterior-clockwise, holes counter-clockwise, before projection.

use geo::{Coord, LineString, MultiPolygon, Polygon, Rect, Simplify};

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
        Self { polygons, bbox }
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
        Self { polygons, bbox }
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

/// Clips and rounds a multipolygon into the tile's pixel space. Returns the rings of each polygon (exterior first)
/// that keep an area of at least `min_area` square pixels; polygons whose exterior does not are dropped.
#[must_use]
pub fn clip_polygons(wp: &WorldPolygons, frame: &TileFrame, min_area: f64) -> Vec<Vec<Ring>> {
    let lo = -BUFFER;
    let hi = f64::from(EXTENT) + BUFFER;
    let wb = frame.world_box(BUFFER);
    let mut out = Vec::new();
    for p in &wp.polygons {
        let pb = ring_bbox(p.exterior());
        if pb[0] > wb[2] || pb[2] < wb[0] || pb[1] > wb[3] || pb[3] < wb[1] {
            continue;
        }
        let Some(ext) = clip_ring(p.exterior(), frame, lo, hi, min_area) else { continue };
        let mut rings = vec![ext];
        for r in p.interiors() {
            let rb = ring_bbox(r);
            if rb[0] > wb[2] || rb[2] < wb[0] || rb[1] > wb[3] || rb[3] < wb[1] {
                continue;
            }
            if let Some(hole) = clip_ring(r, frame, lo, hi, min_area) {
                rings.push(hole);
            }
        }
        out.push(rings);
    }
    out
}

fn ring_bbox(r: &LineString<f64>) -> [f64; 4] {
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for c in r.coords() {
        b = [b[0].min(c.x), b[1].min(c.y), b[2].max(c.x), b[3].max(c.y)];
    }
    b
}

/// Sutherland–Hodgman against the square `[lo, hi]²`, then rounding and removal of repeated points. The ring keeps
/// its orientation; `None` when less than `min_area` square pixels remain.
fn clip_ring(r: &LineString<f64>, frame: &TileFrame, lo: f64, hi: f64, min_area: f64) -> Option<Ring> {
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
    let mut ring: Ring = Vec::with_capacity(pts.len());
    for (x, y) in pts {
        let p = (x.round() as i32, y.round() as i32);
        if ring.last() != Some(&p) {
            ring.push(p);
        }
    }
    while ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    if ring.len() < 3 || signed_area(&ring).abs() < min_area {
        return None;
    }
    Some(ring)
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
}
