//! Exact point-in-polygon, segment clipping and nearest-boundary queries on one (multi)polygon,
//! backed by an R-tree of its edges so that large coastal wards stay fast.

use geo::{BoundingRect, MultiPolygon, Rect};
use rstar::primitives::Line;
use rstar::{AABB, RTree};

/// A multipolygon prepared for repeated queries.
#[derive(Debug)]
pub struct AreaIndex {
    edges: RTree<Line<[f64; 2]>>,
    /// `[min_lon, min_lat, max_lon, max_lat]`, for the quick rejection in [`AreaIndex::contains`].
    bbox: [f64; 4],
    /// Bounding boxes of the polygon parts, with their shoelace area in square degrees (for sampling).
    parts: Vec<(Rect<f64>, f64)>,
}

impl AreaIndex {
    /// Indexes the edges, bounding box and part boxes of a boundary.
    #[must_use]
    pub fn new(geometry: &MultiPolygon<f64>) -> Self {
        let mut lines = Vec::new();
        let mut parts = Vec::new();
        for poly in geometry {
            let Some(rect) = poly.bounding_rect() else { continue };
            let mut area = 0.0;
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                let signed: f64 = ring.lines().map(|l| l.start.x * l.end.y - l.end.x * l.start.y).sum();
                // exterior counts positive, holes negative, whatever the winding order
                area += if std::ptr::eq(ring, poly.exterior()) { signed.abs() } else { -signed.abs() };
                for l in ring.lines() {
                    if l.start != l.end {
                        lines.push(Line::new([l.start.x, l.start.y], [l.end.x, l.end.y]));
                    }
                }
            }
            parts.push((rect, area * 0.5));
        }
        let bbox =
            parts.iter().fold([f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY], |b, (p, _)| {
                [b[0].min(p.min().x), b[1].min(p.min().y), b[2].max(p.max().x), b[3].max(p.max().y)]
            });
        Self { edges: RTree::bulk_load(lines), bbox, parts }
    }

    /// The bounding box (the empty box at (0, 0) for a multipolygon without parts).
    #[must_use]
    pub fn bbox(&self) -> Rect<f64> {
        if self.parts.is_empty() { crate::bbox::zero() } else { crate::bbox::from_array(self.bbox) }
    }

    /// The polygon parts' bounding boxes and areas (square degrees).
    #[must_use]
    pub fn parts(&self) -> &[(Rect<f64>, f64)] {
        &self.parts
    }

    /// Number of edges in all rings.
    #[must_use]
    pub fn edge_count(&self) -> usize {
        self.edges.size()
    }

    /// Even-odd point-in-polygon test (a ray towards +x), exact on the stored vertices.
    #[must_use]
    pub fn contains(&self, x: f64, y: f64) -> bool {
        if x < self.bbox[0] || x > self.bbox[2] || y < self.bbox[1] || y > self.bbox[3] {
            return false;
        }
        let ray = AABB::from_corners([x, y], [self.bbox[2] + 1.0, y]);
        let mut inside = false;
        for e in self.edges.locate_in_envelope_intersecting(ray) {
            let (a, b) = (e.from, e.to);
            // half-open rule on y so that a vertex on the ray is counted once
            if (a[1] > y) != (b[1] > y) {
                let t = (y - a[1]) / (b[1] - a[1]);
                let cx = a[0] + t * (b[0] - a[0]);
                if cx > x {
                    inside = !inside;
                }
            }
        }
        inside
    }

    /// The point of the boundary nearest to `(x, y)` (planar, in degrees).
    #[must_use]
    pub fn nearest_boundary_point(&self, x: f64, y: f64) -> Option<[f64; 2]> {
        self.edges.nearest_neighbor([x, y]).map(|e| e.nearest_point(&[x, y]))
    }

    /// The parts of segment `a → b` that lie inside the area, as parameter intervals `(t0, t1)` in `0..=1`.
    #[must_use]
    pub fn clip_segment(&self, a: [f64; 2], b: [f64; 2]) -> Vec<(f64, f64)> {
        let env = AABB::from_corners(a, b);
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let mut ts: Vec<f64> = Vec::new();
        for e in self.edges.locate_in_envelope_intersecting(env) {
            let (p, q) = (e.from, e.to);
            let (ex, ey) = (q[0] - p[0], q[1] - p[1]);
            let denom = dx * ey - dy * ex;
            if denom == 0.0 {
                continue;
            }
            let (wx, wy) = (p[0] - a[0], p[1] - a[1]);
            let t = (wx * ey - wy * ex) / denom;
            let u = (wx * dy - wy * dx) / denom;
            if (0.0..=1.0).contains(&t) && (0.0..1.0).contains(&u) {
                ts.push(t);
            }
        }
        ts.sort_by(f64::total_cmp);
        let mut out = Vec::new();
        let mut inside = self.contains(a[0], a[1]);
        let mut start = 0.0;
        for t in ts.into_iter().chain(std::iter::once(1.0)) {
            if inside && t > start {
                out.push((start, t));
            }
            inside = !inside;
            start = t;
        }
        // the final pseudo-crossing at t = 1 flipped `inside` once too often; intervals are already complete
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Contains, LineString, Point, Polygon};

    fn square_with_hole() -> MultiPolygon<f64> {
        let outer = LineString::from(vec![(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0), (0.0, 0.0)]);
        let hole = LineString::from(vec![(4.0, 4.0), (6.0, 4.0), (6.0, 6.0), (4.0, 6.0), (4.0, 4.0)]);
        let island = LineString::from(vec![(20.0, 0.0), (21.0, 0.0), (21.0, 1.0), (20.0, 0.0)]);
        MultiPolygon(vec![Polygon::new(outer, vec![hole]), Polygon::new(island, vec![])])
    }

    #[test]
    fn contains_matches_geo_on_a_grid() {
        let mp = square_with_hole();
        let idx = AreaIndex::new(&mp);
        for i in 0..230 {
            for j in 0..23 {
                let (x, y) = (f64::from(i) * 0.1 - 0.553, f64::from(j) * 0.5 - 0.2457);
                assert_eq!(idx.contains(x, y), mp.contains(&Point::new(x, y)), "{x},{y}");
            }
        }
    }

    #[test]
    fn clipping_a_segment_through_the_hole() {
        let idx = AreaIndex::new(&square_with_hole());
        let parts = idx.clip_segment([-1.0, 5.0], [11.0, 5.0]);
        let expect = [(1.0 / 12.0, 4.0 / 12.0 + 1.0 / 12.0), (7.0 / 12.0, 11.0 / 12.0)];
        assert_eq!(parts.len(), 2, "{parts:?}");
        for ((a, b), (c, d)) in parts.iter().zip(expect) {
            assert!((a - c).abs() < 1e-12 && (b - d).abs() < 1e-12, "{parts:?}");
        }
        assert!(idx.clip_segment([30.0, 30.0], [31.0, 31.0]).is_empty());
        assert_eq!(idx.clip_segment([1.0, 1.0], [2.0, 2.0]), vec![(0.0, 1.0)]);
    }

    #[test]
    fn parts_have_areas() {
        let idx = AreaIndex::new(&square_with_hole());
        assert_eq!(idx.parts().len(), 2);
        assert!((idx.parts()[0].1 - 96.0).abs() < 1e-9);
        assert!((idx.parts()[1].1 - 0.5).abs() < 1e-9);
    }
}
