//! An R-tree of points (address or post-office ids) with great-circle nearest-k, radius and bounding-box queries.
//!
//! Points are stored as `f32` in a plate carrée scaled by cos 14° (the middle of the coverage box), where Euclidean
//! distance is within a few percent of the great-circle distance. Queries walk the tree in that metric and re-rank
//! candidates by the exact haversine distance of the stored coordinates, stopping once the tree's lower bound passes
//! the k-th best true distance, so the answers are exact, not approximations.

use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree, RTreeNode};
use std::collections::BinaryHeap;

use crate::dataset::from_e7;
use crate::domain::lonlat::{EARTH_RADIUS_M, haversine_m};

/// cos(14°): the x scale of the stored plane.
const COS0: f64 = 0.970_295_726_275_996_5;
/// Metres per degree of great circle.
const M_PER_DEG: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
/// Lower bound of (true distance / plane distance) for points with latitudes in 4°..24° (cos 24° / cos 14° ≈ 0.9415,
/// with margin for the curvature over long distances).
const C_LOW: f64 = 0.93;
/// Metres of slack for the f32 rounding of stored points.
const SLACK_M: f64 = 2.0;

type Entry = GeomWithData<[f32; 2], u32>;

fn project(lon: f64, lat: f64) -> [f32; 2] {
    [(lon * COS0) as f32, lat as f32]
}

/// A point with its coordinates in 1e-7 degrees, as stored in the dataset columns.
pub trait Coords {
    fn lon_lat_e7(&self, id: u32) -> (i32, i32);
}

/// An id with its exact distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub id: u32,
    pub distance_m: f64,
}

#[derive(PartialEq)]
struct HeapItem(f64, u32);
impl Eq for HeapItem {}
impl PartialOrd for HeapItem {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for HeapItem {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0).then(self.1.cmp(&o.1))
    }
}

/// The R-tree.
#[derive(Debug)]
pub struct PointIndex {
    tree: RTree<Entry>,
}

impl PointIndex {
    /// Bulk-loads points given as `(id, lon_e7, lat_e7)`.
    pub fn build(points: impl Iterator<Item = (u32, i32, i32)>) -> Self {
        let entries: Vec<Entry> =
            points.map(|(id, x, y)| GeomWithData::new(project(from_e7(x), from_e7(y)), id)).collect();
        Self { tree: RTree::bulk_load(entries) }
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// Bytes of the tree's nodes (measured by walking it).
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        fn walk(n: &rstar::ParentNode<Entry>) -> usize {
            n.children().len() * std::mem::size_of::<RTreeNode<Entry>>()
                + n.children()
                    .iter()
                    .map(|c| match c {
                        RTreeNode::Parent(p) => walk(p),
                        RTreeNode::Leaf(_) => 0,
                    })
                    .sum::<usize>()
        }
        walk(self.tree.root())
    }

    /// The `k` nearest points by great-circle distance, nearest first (ties by id).
    pub fn nearest(&self, coords: &impl Coords, lon: f64, lat: f64, k: usize) -> Vec<Hit> {
        if k == 0 {
            return Vec::new();
        }
        let q = project(lon, lat);
        let mut heap: BinaryHeap<HeapItem> = BinaryHeap::with_capacity(k + 1);
        for (e, d2) in self.tree.nearest_neighbor_iter_with_distance_2(q) {
            let lower = f64::from(d2).sqrt() * M_PER_DEG * C_LOW - SLACK_M;
            if heap.len() == k && heap.peek().is_some_and(|w| lower > w.0) {
                break;
            }
            let (x, y) = coords.lon_lat_e7(e.data);
            let d = haversine_m(lon, lat, from_e7(x), from_e7(y));
            if heap.len() < k {
                heap.push(HeapItem(d, e.data));
            } else if heap.peek().is_some_and(|w| HeapItem(d, e.data) < *w) {
                heap.pop();
                heap.push(HeapItem(d, e.data));
            }
        }
        let mut v: Vec<Hit> = heap.into_iter().map(|HeapItem(d, id)| Hit { id, distance_m: d }).collect();
        v.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then(a.id.cmp(&b.id)));
        v
    }

    /// Every point within `radius_m` metres, nearest first (ties by id).
    pub fn within(&self, coords: &impl Coords, lon: f64, lat: f64, radius_m: f64) -> Vec<Hit> {
        let r_plane = (radius_m + SLACK_M) / (M_PER_DEG * C_LOW);
        let mut v: Vec<Hit> = self
            .tree
            .locate_within_distance(project(lon, lat), (r_plane * r_plane) as f32)
            .filter_map(|e| {
                let (x, y) = coords.lon_lat_e7(e.data);
                let d = haversine_m(lon, lat, from_e7(x), from_e7(y));
                (d <= radius_m).then_some(Hit { id: e.data, distance_m: d })
            })
            .collect();
        v.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then(a.id.cmp(&b.id)));
        v
    }

    /// Ids of every point inside `[min_lon, min_lat, max_lon, max_lat]` (inclusive), in id order.
    pub fn in_bbox(&self, coords: &impl Coords, bbox: [f64; 4]) -> Vec<u32> {
        let pad = 1e-4;
        let env = AABB::from_corners(project(bbox[0] - pad, bbox[1] - pad), project(bbox[2] + pad, bbox[3] + pad));
        let lo = (crate::dataset::to_e7(bbox[0]), crate::dataset::to_e7(bbox[1]));
        let hi = (crate::dataset::to_e7(bbox[2]), crate::dataset::to_e7(bbox[3]));
        let mut v: Vec<u32> = self
            .tree
            .locate_in_envelope(env)
            .map(|e| e.data)
            .filter(|&id| {
                let (x, y) = coords.lon_lat_e7(id);
                (lo.0..=hi.0).contains(&x) && (lo.1..=hi.1).contains(&y)
            })
            .collect();
        v.sort_unstable();
        v
    }
}
