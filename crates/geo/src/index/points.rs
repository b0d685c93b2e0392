//! A static spatial index of points (address or post-office ids) with exact great-circle nearest-k, radius and
//! bounding-box queries.
//!
//! The points live in three flat columns (`lon_e7`, `lat_e7`, `id`: 12 bytes a point) sorted into k-d order:
//! the set is split at the median of the longer side of its box, recursively, until at most [`BUCKET`] points are
//! left. Each run of points is a compact spatial *bucket*. Two structures sit on the buckets:
//! - an `rstar` R-tree bulk-loaded with the buckets' boxes (one entry per 16–32 points, so the tree is small) serves
//!   bounding-box and radius queries;
//! - the split hierarchy itself, stored implicitly (node `i` has children `2i+1`, `2i+2`; a node is just its split
//!   value, 4 bytes, so the hierarchy of the whole national set is ~8 MB and stays in the CPU's last-level cache),
//!   serves nearest-k queries by a depth-first branch-and-bound walk, the query's side first, pruning each side by
//!   the distance to its region. This walk allocates nothing and touches main memory only for the buckets it
//!   scans, which is what the ≥ 1M lookups/s/core goal needs; rstar's own best-first walk over the same buckets
//!   was measured 2–3× slower (see BENCHMARKS.md).
//!
//! Exactness: candidates are pre-filtered in a *local plane* around the query (x scaled by the cosine of the query's
//! latitude), where the great-circle distance is provably at least `c_q` times the plane distance for any point within
//! 1° of the query on both axes; farther points are at least `window_lb` metres away. Survivors are ranked by the exact
//! haversine distance of their stored 1e-7° coordinates (ties by id), so the answers equal a brute-force scan's.

use std::ops::ControlFlow;

use rstar::{AABB, Envelope as _, RTree, RTreeObject};

use super::huge::HugeSlice;
use crate::dataset::{from_e7, to_e7};
use diachi_domain::AddressId;
use diachi_domain::lonlat::{EARTH_RADIUS_M, haversine_m};

/// Most points in one bucket (buckets hold between half this and this many).
pub const BUCKET: usize = 32;
/// Metres per degree of great circle.
const M_PER_DEG: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
/// Metres per 1e-7 degree of great circle.
const M_PER_E7: f64 = M_PER_DEG * 1e-7;
/// Half-width of the local window, in 1e-7 degrees (1°).
const WINDOW_E7: i64 = 10_000_000;
/// Slack in 1e-7° for the rounding of the query to 1e-7° and of floating point.
const SLACK_E7: f64 = 1.0;

/// A box of 1e-7° coordinates: `[min_lon, min_lat, max_lon, max_lat]`.
type Box4 = [i32; 4];
const EMPTY: Box4 = [i32::MAX, i32::MAX, i32::MIN, i32::MIN];

/// One bucket: its box and its range of the point columns.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    env: AABB<[i32; 2]>,
    start: u32,
    end: u32,
}

impl RTreeObject for Bucket {
    type Envelope = AABB<[i32; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.env
    }
}

/// An id with its exact distance: an address ([`AddressId`], the default) or, from a [`PointIndex`] itself and from
/// the post-office queries, the bare id the points were built with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit<I = AddressId> {
    /// The point's id.
    pub id: I,
    /// Great-circle distance in metres.
    pub distance_m: f64,
}

impl<I> Hit<I> {
    /// The same hit with its id converted (a bare id to its newtype).
    #[must_use]
    pub fn map_id<J>(self, f: impl FnOnce(I) -> J) -> Hit<J> {
        Hit { id: f(self.id), distance_m: self.distance_m }
    }
}

impl<I: Ord> Hit<I> {
    fn before(&self, other: &Self) -> bool {
        self.distance_m.total_cmp(&other.distance_m).then(self.id.cmp(&other.id)).is_lt()
    }
}

/// The index.
#[derive(Debug)]
pub struct PointIndex {
    /// `[lon_e7, lat_e7, id]` of each point, interleaved so that a bucket is one contiguous run of memory.
    pts: HugeSlice<[i32; 3]>,
    /// Split of each inner node of the hierarchy in implicit (heap) order: the split coordinate (1e-7°) with its
    /// lowest bit replaced by the axis (0 = longitude, 1 = latitude). Regions are widened by 1 unit to allow for it.
    splits: HugeSlice<i32>,
    tree: RTree<Bucket>,
}

impl PointIndex {
    /// Bulk-loads points given as `(id, lon_e7, lat_e7)`. The result depends only on the set of points, not on the
    /// order they come in or on the number of threads.
    pub fn build(points: impl Iterator<Item = (u32, i32, i32)>) -> Self {
        let mut pts: Vec<(i32, i32, u32)> = points.map(|(id, x, y)| (x, y, id)).collect();
        split(&mut pts);
        let n = pts.len();
        let pts: Vec<[i32; 3]> = pts.into_iter().map(|p| [p.0, p.1, p.2 as i32]).collect();
        let mut splits = vec![0i32; slots(n)];
        let mut buckets = Vec::with_capacity(n / (BUCKET / 2) + 1);
        if n > 0 {
            fill(&mut splits, 0, 0, n, &pts, &mut buckets);
        }
        Self {
            pts: HugeSlice::from_slice(&pts),
            splits: HugeSlice::from_slice(&splits),
            tree: RTree::bulk_load(buckets),
        }
    }

    /// Number of points.
    #[must_use]
    pub fn len(&self) -> usize {
        self.pts.len()
    }

    /// Whether there are no points.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pts.is_empty()
    }

    /// Bytes of the columns, the box hierarchy and the R-tree over buckets (its nodes estimated from the bucket
    /// count: every bucket is one leaf entry, inner nodes add fewer than half as many entries again).
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        let columns = self.pts.bytes();
        let boxes = self.splits.bytes();
        let entry = std::mem::size_of::<rstar::RTreeNode<Bucket>>();
        columns + boxes + self.tree.size() * entry * 3 / 2
    }

    /// Number of buckets.
    #[must_use]
    pub fn buckets(&self) -> usize {
        self.tree.size()
    }

    /// The `k` nearest points by great-circle distance, nearest first (ties by id).
    #[must_use]
    pub fn nearest(&self, lon: f64, lat: f64, k: usize) -> Vec<Hit<u32>> {
        if k == 0 || self.is_empty() {
            return Vec::new();
        }
        let mut s = Search::new(self, lon, lat, k);
        s.visit(0, 0, self.len(), [i32::MIN, i32::MIN, i32::MAX, i32::MAX]);
        s.hits
    }

    /// Every point within `radius_m` metres, nearest first (ties by id).
    #[must_use]
    pub fn within(&self, lon: f64, lat: f64, radius_m: f64) -> Vec<Hit<u32>> {
        let mut v = Vec::new();
        let _ = self.try_for_each_within(
            lon,
            lat,
            radius_m,
            |_| ControlFlow::Continue(()),
            |id, d| v.push(Hit { id, distance_m: d }),
        );
        v.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then(a.id.cmp(&b.id)));
        v
    }

    /// Calls `f(id, distance_m)` for every point within `radius_m` metres, in storage order, asking `take(n)` before
    /// looking at each bucket of `n` points; stops (and answers `Break`) as soon as `take` does.
    pub fn try_for_each_within(
        &self,
        lon: f64,
        lat: f64,
        radius_m: f64,
        mut take: impl FnMut(usize) -> ControlFlow<()>,
        mut f: impl FnMut(u32, f64),
    ) -> ControlFlow<()> {
        // d ≥ R·|Δφ| and d ≥ 2R·asin(cos(L)·sin(|Δλ|/2)) with L the larger |latitude|: a box that holds the circle
        let dlat = radius_m / M_PER_DEG;
        let top = (lat.abs() + dlat).min(89.0);
        let s = (radius_m / (2.0 * EARTH_RADIUS_M)).min(1.0).sin() / top.to_radians().cos();
        let dlon = if s >= 1.0 { 180.0 } else { 2.0 * s.asin().to_degrees() };
        let pad = 2e-7;
        let (mut west, mut east) = (lon - dlon - pad, lon + dlon + pad);
        if west < -180.0 || east > 180.0 || lat.abs() + dlat >= 90.0 {
            // across the antimeridian or over a pole: every longitude
            (west, east) = (-180.0, 180.0);
        }
        let env = AABB::from_corners(
            [to_e7(west), to_e7((lat - dlat - pad).max(-90.0))],
            [to_e7(east), to_e7((lat + dlat + pad).min(90.0))],
        );
        for b in self.tree.locate_in_envelope_intersecting(env) {
            take((b.end - b.start) as usize)?;
            for i in b.start as usize..b.end as usize {
                let [x, y, id] = self.pts[i];
                let d = haversine_m(lon, lat, from_e7(x), from_e7(y));
                if d <= radius_m {
                    f(id as u32, d);
                }
            }
        }
        ControlFlow::Continue(())
    }

    /// Ids of every point inside `[min_lon, min_lat, max_lon, max_lat]` (inclusive), in id order.
    #[must_use]
    pub fn in_bbox(&self, bbox: [f64; 4]) -> Vec<u32> {
        let mut v = Vec::new();
        self.for_each_in_bbox(bbox, |id, _, _| v.push(id));
        v.sort_unstable();
        v
    }

    /// Calls `f(id, lon_e7, lat_e7)` for every point inside the bbox (inclusive, at 1e-7°), in storage order.
    pub fn for_each_in_bbox(&self, bbox: [f64; 4], f: impl FnMut(u32, i32, i32)) {
        let _ = self.try_for_each_in_bbox(bbox, |_| ControlFlow::Continue(()), f);
    }

    /// [`Self::for_each_in_bbox`], asking `take(n)` before looking at each bucket of `n` points (some of which may
    /// lie outside the bbox); stops (and answers `Break`) as soon as `take` does.
    pub fn try_for_each_in_bbox(
        &self,
        bbox: [f64; 4],
        mut take: impl FnMut(usize) -> ControlFlow<()>,
        mut f: impl FnMut(u32, i32, i32),
    ) -> ControlFlow<()> {
        let (lo_x, lo_y, hi_x, hi_y) = (to_e7(bbox[0]), to_e7(bbox[1]), to_e7(bbox[2]), to_e7(bbox[3]));
        if lo_x > hi_x || lo_y > hi_y {
            return ControlFlow::Continue(());
        }
        let query = AABB::from_corners([lo_x, lo_y], [hi_x, hi_y]);
        for b in self.tree.locate_in_envelope_intersecting(query) {
            take((b.end - b.start) as usize)?;
            let inside = query.contains_envelope(&b.env);
            for i in b.start as usize..b.end as usize {
                let [x, y, id] = self.pts[i];
                if inside || ((lo_x..=hi_x).contains(&x) && (lo_y..=hi_y).contains(&y)) {
                    f(id as u32, x, y);
                }
            }
        }
        ControlFlow::Continue(())
    }
}

/// Slots of the implicit hierarchy for `n` points: a complete binary tree as deep as the deepest bucket.
fn slots(n: usize) -> usize {
    let mut depth = 0;
    let mut len = n;
    while len > BUCKET {
        len = len.div_ceil(2);
        depth += 1;
    }
    (1usize << (depth + 1)) - 1
}

/// The axis a set of points with this box is split on: the longer side on the ground (0 = longitude, 1 = latitude;
/// a degree of longitude is ~0.95 of a degree of latitude over Vietnam).
fn axis_of(b: &Box4) -> usize {
    let wide = (f64::from(b[2]) - f64::from(b[0])) * 0.95;
    let tall = f64::from(b[3]) - f64::from(b[1]);
    usize::from(wide < tall)
}

/// Fills the split of node `node` (points `start..start + len`, already in k-d order) and of its descendants,
/// collects the buckets, and returns the node's box.
fn fill(
    splits: &mut [i32],
    node: usize,
    start: usize,
    len: usize,
    pts: &[[i32; 3]],
    buckets: &mut Vec<Bucket>,
) -> Box4 {
    if len <= BUCKET {
        let mut b = EMPTY;
        for &[x, y, _] in &pts[start..start + len] {
            b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
        }
        buckets.push(Bucket {
            env: AABB::from_corners([b[0], b[1]], [b[2], b[3]]),
            start: start as u32,
            end: (start + len) as u32,
        });
        return b;
    }
    let mid = len / 2;
    let l = fill(splits, 2 * node + 1, start, mid, pts, buckets);
    let r = fill(splits, 2 * node + 2, start + mid, len - mid, pts, buckets);
    let b = [l[0].min(r[0]), l[1].min(r[1]), l[2].max(r[2]), l[3].max(r[3])];
    // `split` chose the axis from this same box and split there at the median: every left point is at most the
    // smallest right point on that axis, so that smallest value (the right box's minimum) separates them
    let axis = axis_of(&b);
    splits[node] = (r[axis] & !1) | axis as i32;
    b
}

/// Sorts points in place into k-d order: split at the median of the longer side (at index `len / 2`, so the
/// hierarchy's shape depends only on the count), recursively, down to buckets. Ties are broken by the other
/// coordinate and the id, so the order is fully determined by the set of points.
fn split(pts: &mut [(i32, i32, u32)]) {
    if pts.len() <= BUCKET {
        pts.sort_unstable();
        return;
    }
    let mut b = EMPTY;
    for &(x, y, _) in pts.iter() {
        b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
    }
    let mid = pts.len() / 2;
    if axis_of(&b) == 0 {
        pts.select_nth_unstable_by_key(mid, |p| (p.0, p.1, p.2));
    } else {
        pts.select_nth_unstable_by_key(mid, |p| (p.1, p.0, p.2));
    }
    let (a, b) = pts.split_at_mut(mid);
    if a.len() > 50_000 {
        rayon::join(|| split(a), || split(b));
    } else {
        split(a);
        split(b);
    }
}

/// A nearest-k search in progress.
struct Search<'a> {
    ix: &'a PointIndex,
    lon: f64,
    lat: f64,
    k: usize,
    /// The best hits so far, sorted (k is at most a few hundred, so insertion beats a heap).
    hits: Vec<Hit<u32>>,
    /// The k-th best exact distance so far (infinity until k are held).
    worst: f64,
    /// The query rounded to 1e-7°, and the cosine of its latitude.
    q: (i32, i32),
    cos_q: f64,
    /// Great-circle metres per unit of local-plane distance, at least, within the window.
    m_per_local: f64,
    /// Every point outside the 1° window is at least this far away.
    window_lb: f64,
    /// Squared local-plane distance beyond which nothing can beat `worst`; infinite while `worst ≥ window_lb`.
    thr2: f64,
    /// The last point given to the exact formula, and its distance.
    last: ([i32; 2], f64),
}

impl<'a> Search<'a> {
    fn new(ix: &'a PointIndex, lon: f64, lat: f64, k: usize) -> Self {
        let phi = lat.abs().min(88.0);
        let (cos_q, cos_edge) = (phi.to_radians().cos(), (phi + 1.0).to_radians().cos());
        // d ≥ 2R·√a ≥ 0.99998·R·√(Δφ² + cos φ₁ cos φ₂ Δλ²) for |Δ| ≤ 1°, and cos φ₂ ≥ cos_edge
        let c_q = 0.99998 * (cos_edge / cos_q).min(1.0).sqrt() * (1.0 - 1e-9);
        // outside the window: |Δφ| > 1° gives d ≥ R·1°; |Δλ| > 1° gives d ≥ 2R·√(cos φ₁ cos φ₂)·sin 0.5°
        // (within 1° of the antimeridian the window wraps, so it is not used at all)
        let window_lb = if lon.abs() > 179.0 {
            0.0
        } else {
            M_PER_DEG.min(2.0 * EARTH_RADIUS_M * (cos_q * cos_edge).sqrt() * 0.5f64.to_radians().sin()) * (1.0 - 1e-9)
        };
        Self {
            ix,
            lon,
            lat,
            k,
            hits: Vec::with_capacity(k + 1),
            worst: f64::INFINITY,
            q: (to_e7(lon), to_e7(lat)),
            cos_q,
            m_per_local: M_PER_E7 * c_q,
            window_lb,
            thr2: f64::INFINITY,
            last: ([i32::MIN, i32::MIN], f64::NAN),
        }
    }

    /// Squared local-plane distance from the query to a box, or `f64::MAX` when the box lies outside the window.
    fn local2(&self, b: &Box4) -> f64 {
        let gx = (i64::from(b[0]) - i64::from(self.q.0)).max(i64::from(self.q.0) - i64::from(b[2])).max(0);
        let gy = (i64::from(b[1]) - i64::from(self.q.1)).max(i64::from(self.q.1) - i64::from(b[3])).max(0);
        if gx > WINDOW_E7 || gy > WINDOW_E7 {
            return f64::MAX;
        }
        let (x, y) = (gx as f64 * self.cos_q, gy as f64);
        x * x + y * y
    }

    /// Whether no point of the box can be as near as the k-th best.
    fn prune(&self, b: &Box4) -> bool {
        if self.thr2.is_finite() {
            return self.local2(b) > self.thr2;
        }
        self.worst.is_finite() && far_lower_bound(self.lon, self.lat, b) > self.worst
    }

    /// Visits node `node` (points `start..start + len`), whose points all lie in `region`.
    fn visit(&mut self, node: usize, start: usize, len: usize, region: Box4) {
        if len <= BUCKET {
            self.scan(start, start + len);
            return;
        }
        let code = self.ix.splits[node];
        let axis = (code & 1) as usize;
        let s = code & !1;
        let mid = len / 2;
        let (mut left, mut right) = (region, region);
        // left ≤ split ≤ right on the axis; the stored split lost its lowest bit, so widen by one unit
        left[axis + 2] = left[axis + 2].min(s.saturating_add(1));
        right[axis] = right[axis].max(s.saturating_sub(1));
        let q = if axis == 0 { self.q.0 } else { self.q.1 };
        let sides = [(2 * node + 1, start, mid, left), (2 * node + 2, start + mid, len - mid, right)];
        let order = if q <= s { [sides[0], sides[1]] } else { [sides[1], sides[0]] };
        for (n, st, l, r) in order {
            if !self.prune(&r) {
                self.visit(n, st, l, r);
            }
        }
    }

    /// Scans one bucket: local distances first, the exact formula for the nearest of them, then for every other
    /// point the bound cannot rule out.
    fn scan(&mut self, start: usize, end: usize) {
        let ix = self.ix;
        let mut d2 = [0.0f64; BUCKET];
        let mut best = (f64::INFINITY, start);
        for i in start..end {
            let [x, y, _] = ix.pts[i];
            let (dx, dy) = (i64::from(x) - i64::from(self.q.0), i64::from(y) - i64::from(self.q.1));
            let v = if dx.abs() > WINDOW_E7 || dy.abs() > WINDOW_E7 {
                f64::MAX
            } else {
                let (x, y) = (dx as f64 * self.cos_q, dy as f64);
                x * x + y * y
            };
            d2[i - start] = v;
            if v < best.0 {
                best = (v, i);
            }
        }
        if self.k > 1 && self.hits.len() < self.k {
            // still filling: take the points nearest first, so the bound tightens as early as possible
            let mut order: [(f64, u32); BUCKET] = [(0.0, 0); BUCKET];
            let n = end - start;
            for (j, o) in order.iter_mut().enumerate().take(n) {
                *o = (d2[j], (start + j) as u32);
            }
            let order = &mut order[..n];
            order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
            for &(v, i) in order.iter() {
                if v > self.thr2 {
                    break;
                }
                self.exact(i as usize);
            }
            return;
        }
        if best.0 <= self.thr2 {
            self.exact(best.1);
        }
        for i in start..end {
            if i != best.1 && d2[i - start] <= self.thr2 {
                self.exact(i);
            }
        }
    }

    fn exact(&mut self, i: usize) {
        let ix = self.ix;
        let [x, y, id] = ix.pts[i];
        let xy = [x, y];
        // units of one building share a point, and sit next to each other in a bucket: one formula for all of them
        let d = if xy == self.last.0 {
            self.last.1
        } else {
            let d = haversine_m(self.lon, self.lat, from_e7(xy[0]), from_e7(xy[1]));
            self.last = (xy, d);
            d
        };
        if d > self.worst {
            return;
        }
        let hit = Hit { id: id as u32, distance_m: d };
        if self.hits.len() == self.k && !hit.before(&self.hits[self.k - 1]) {
            return;
        }
        let at = self.hits.partition_point(|h| h.before(&hit));
        self.hits.insert(at, hit);
        self.hits.truncate(self.k);
        if self.hits.len() == self.k {
            self.worst = self.hits[self.k - 1].distance_m;
            self.thr2 = if self.worst < self.window_lb {
                let t = self.worst / self.m_per_local + SLACK_E7;
                t * t
            } else {
                f64::INFINITY
            };
        }
    }
}

/// A lower bound of the great-circle distance from a point to any point of a box (for far queries, outside the local
/// window): d ≥ 2R·asin(√a) with a ≥ max(sin²(Δφ/2), cos²L·sin²(Δλ/2)), where Δφ and Δλ are the box's gaps to the
/// point and L the largest |latitude| of the two.
fn far_lower_bound(lon: f64, lat: f64, b: &Box4) -> f64 {
    // regions may be unbounded (i32 limits): clamp them to the globe first
    let (x0, y0) = (from_e7(b[0]).max(-180.0), from_e7(b[1]).max(-90.0));
    let (x1, y1) = (from_e7(b[2]).min(180.0), from_e7(b[3]).min(90.0));
    let gphi = (y0 - lat).max(lat - y1).max(0.0);
    let glam =
        if (x0..=x1).contains(&lon) { 0.0 } else { (x0 - lon).rem_euclid(360.0).min((lon - x1).rem_euclid(360.0)) };
    let l = lat.abs().max(y0.abs()).max(y1.abs()).min(90.0);
    let a_phi = (gphi.to_radians() * 0.5).sin().powi(2);
    let a_lam = l.to_radians().cos().powi(2) * (glam.to_radians() * 0.5).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a_phi.max(a_lam).sqrt().min(1.0).asin() * (1.0 - 1e-9)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test points from a fixed xorshift64* stream (the address set's generator lives in a crate above this one).
    struct Rng(u64);

    impl Rng {
        fn new(seed: u64, key: u64) -> Self {
            Self((seed << 32 ^ key).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
        }
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn range(&mut self, a: f64, b: f64) -> f64 {
            a + (b - a) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64)
        }
        fn below(&mut self, n: u32) -> u32 {
            (self.next() % u64::from(n)) as u32
        }
    }

    fn brute(pts: &[(u32, i32, i32)], lon: f64, lat: f64) -> Vec<Hit<u32>> {
        let mut v: Vec<Hit<u32>> = pts
            .iter()
            .map(|&(id, x, y)| Hit { id, distance_m: haversine_m(lon, lat, from_e7(x), from_e7(y)) })
            .collect();
        v.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then(a.id.cmp(&b.id)));
        v
    }

    /// Clusters with many duplicates (apartments) plus scattered points, queried from anywhere on the globe:
    /// inside clusters, far out at sea, near the poles and the antimeridian, where the local bounds do not apply.
    #[test]
    fn nearest_within_and_bbox_match_brute_force_anywhere() {
        let mut r = Rng::new(42, 0);
        let mut pts = Vec::new();
        for c in 0..40 {
            let (cx, cy) = (r.range(102.0, 110.0), r.range(8.0, 23.5));
            for j in 0..200 {
                let (x, y) = if j % 5 == 0 && j > 0 {
                    let &(_, px, py) = pts.last().unwrap_or(&(0, to_e7(cx), to_e7(cy)));
                    (px, py) // a unit of the same building
                } else {
                    (to_e7(cx + r.range(-0.01, 0.01)), to_e7(cy + r.range(-0.01, 0.01)))
                };
                pts.push((c * 1000 + j, x, y));
            }
        }
        for j in 0..300 {
            pts.push((100_000 + j, to_e7(r.range(-179.9, 179.9)), to_e7(r.range(-80.0, 80.0))));
        }
        let ix = PointIndex::build(pts.iter().copied());
        assert_eq!(ix.len(), pts.len());
        for q in 0..600 {
            let (lon, lat) = match q % 4 {
                0 => {
                    let &(_, x, y) = &pts[r.below(pts.len() as u32) as usize];
                    (from_e7(x) + r.range(-0.002, 0.002), from_e7(y) + r.range(-0.002, 0.002))
                }
                1 => (r.range(100.0, 120.0), r.range(4.0, 24.0)),
                2 => (r.range(-180.0, 180.0), r.range(-89.9, 89.9)),
                _ => (if q % 8 == 3 { 179.99 } else { -179.99 }, r.range(60.0, 89.0)),
            };
            let want = brute(&pts, lon, lat);
            for k in [1, 2, 7, 64] {
                assert_eq!(ix.nearest(lon, lat, k), want[..k].to_vec(), "query {q} ({lon}, {lat}) k={k}");
            }
            let radius = [50.0, 900.0, 40_000.0, 3_000_000.0][q % 4];
            let within: Vec<Hit<u32>> = want.iter().copied().filter(|h| h.distance_m <= radius).collect();
            assert_eq!(ix.within(lon, lat, radius), within, "query {q} radius {radius}");
            let bbox = [lon - 0.05, lat - 0.05, lon + 0.05, lat + 0.05];
            let mut inside: Vec<u32> = pts
                .iter()
                .filter(|&&(_, x, y)| {
                    (to_e7(bbox[0])..=to_e7(bbox[2])).contains(&x) && (to_e7(bbox[1])..=to_e7(bbox[3])).contains(&y)
                })
                .map(|p| p.0)
                .collect();
            inside.sort_unstable();
            assert_eq!(ix.in_bbox(bbox), inside);
        }
    }

    #[test]
    fn small_and_empty_sets() {
        let empty = PointIndex::build(std::iter::empty());
        assert!(
            empty.is_empty()
                && empty.nearest(105.0, 21.0, 3).is_empty()
                && empty.in_bbox([0.0, 0.0, 1.0, 1.0]).is_empty()
        );
        let one = PointIndex::build([(7, to_e7(105.0), to_e7(21.0))].into_iter());
        let hits = one.nearest(105.0, 21.0, 5);
        assert_eq!(hits, vec![Hit { id: 7, distance_m: 0.0 }]);
        assert!(one.in_bbox([105.1, 21.0, 105.0, 21.1]).is_empty(), "an inverted bbox holds nothing");
    }

    #[test]
    fn the_order_of_input_does_not_matter() {
        let mut r = Rng::new(7, 0);
        let pts: Vec<(u32, i32, i32)> =
            (0..5_000).map(|i| (i, to_e7(r.range(105.0, 105.1)), to_e7(r.range(21.0, 21.1)))).collect();
        let a = PointIndex::build(pts.iter().copied());
        let b = PointIndex::build(pts.iter().rev().copied());
        assert_eq!(&*a.pts, &*b.pts);
        assert_eq!(&*a.splits, &*b.splits);
    }

    /// The budgeted visits take whole buckets and stop at the first that does not fit: the work never exceeds the
    /// budget, a budget as large as the area gives every point, and a smaller one a strict subset.
    #[test]
    fn budgeted_visits_stop_at_the_budget() {
        let mut r = Rng::new(11, 0);
        let pts: Vec<(u32, i32, i32)> =
            (0..20_000).map(|i| (i, to_e7(r.range(105.0, 106.0)), to_e7(r.range(21.0, 22.0)))).collect();
        let ix = PointIndex::build(pts.iter().copied());
        let (lon, lat) = (105.5, 21.5);
        let bbox = [105.2, 21.2, 105.8, 21.8];
        let all_in_bbox = ix.in_bbox(bbox);
        let all_within = ix.within(lon, lat, 20_000.0);
        assert!(all_in_bbox.len() > 5_000 && all_within.len() > 2_000);
        for max in [0, 1, 31, 32, 100, 1_000, 5_000, usize::MAX] {
            let mut taken = 0usize;
            let mut take = |n: usize| match taken.checked_add(n) {
                Some(t) if t <= max => {
                    taken = t;
                    ControlFlow::Continue(())
                }
                _ => ControlFlow::Break(()),
            };
            let mut got = Vec::new();
            let flow = ix.try_for_each_in_bbox(bbox, &mut take, |id, _, _| got.push(id));
            assert!(taken <= max, "{taken} > {max}");
            got.sort_unstable();
            assert!(got.len() <= taken, "more points than looked at");
            if flow.is_continue() {
                assert_eq!(got, all_in_bbox, "max {max}");
            } else {
                assert!(got.len() < all_in_bbox.len() && got.iter().all(|id| all_in_bbox.binary_search(id).is_ok()));
            }
            let mut taken = 0usize;
            let mut got = Vec::new();
            let flow = ix.try_for_each_within(
                lon,
                lat,
                20_000.0,
                |n| {
                    if taken + n > max.min(1 << 40) {
                        return ControlFlow::Break(());
                    }
                    taken += n;
                    ControlFlow::Continue(())
                },
                |id, d| got.push(Hit { id, distance_m: d }),
            );
            assert!(taken <= max);
            got.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then(a.id.cmp(&b.id)));
            if flow.is_continue() {
                assert_eq!(got, all_within, "max {max}");
            } else {
                assert!(got.len() < all_within.len() && got.iter().all(|h| all_within.contains(h)));
            }
        }
    }
}
