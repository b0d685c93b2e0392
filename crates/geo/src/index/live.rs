//! Addresses changed after the index was built (live updates from the database): a small overlay over the
//! immutable point index. Readers take a snapshot (an `Arc`) without locking; the one writer (the change feed)
//! publishes a new snapshot per batch of changes.

use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::collections::HashMap;
use std::ops::ControlFlow;

use super::Hit;
use crate::dataset::{AddressRecord, from_e7};
use diachi_domain::AddressId;
use diachi_domain::lonlat::haversine_m;
use geo::Rect;

type LivePoint = GeomWithData<[f64; 2], AddressId>;

/// Changed addresses: `Some(record)` is the current record of an added or changed address, `None` a deleted one.
#[derive(Debug, Clone, Default)]
pub struct Overlay {
    changes: HashMap<AddressId, Option<AddressRecord>>,
    tree: RTree<LivePoint>,
}

fn point(r: &AddressRecord, id: AddressId) -> LivePoint {
    GeomWithData::new([from_e7(r.lon_e7), from_e7(r.lat_e7)], id)
}

impl Overlay {
    /// Whether no address changed since the index was built.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Ids changed (added, changed or deleted) since the index was built.
    #[must_use]
    pub fn len(&self) -> usize {
        self.changes.len()
    }

    /// Every changed id with its current record (`None` = deleted).
    pub fn changes(&self) -> impl Iterator<Item = (AddressId, Option<&AddressRecord>)> + '_ {
        self.changes.iter().map(|(&id, r)| (id, r.as_ref()))
    }

    /// Whether the base index's entry for `id` is stale (the address changed or was deleted).
    #[must_use]
    pub fn shadows(&self, id: AddressId) -> bool {
        self.changes.contains_key(&id)
    }

    /// `None`: not changed; `Some(None)`: deleted; `Some(Some(r))`: the current record.
    #[must_use]
    pub fn get(&self, id: AddressId) -> Option<Option<&AddressRecord>> {
        self.changes.get(&id).map(Option::as_ref)
    }

    /// Records the current state of `id` (`None` = deleted).
    pub fn set(&mut self, id: AddressId, record: Option<AddressRecord>) {
        if let Some(Some(old)) = self.changes.get(&id) {
            self.tree.remove(&point(old, id));
        }
        if let Some(r) = &record {
            self.tree.insert(point(r, id));
        }
        self.changes.insert(id, record);
    }

    /// Live addresses within `max_m` metres of a point (exact great-circle distance), any order.
    #[must_use]
    pub fn within(&self, lon: f64, lat: f64, max_m: f64) -> Vec<Hit> {
        let hit = |p: &LivePoint| {
            let d = haversine_m(lon, lat, p.geom()[0], p.geom()[1]);
            (d <= max_m).then_some(Hit { id: p.data, distance_m: d })
        };
        if !max_m.is_finite() {
            return self.tree.iter().filter_map(hit).collect();
        }
        // a degree of latitude is at least 110.57 km; a degree of longitude at latitude φ at least cos φ times that
        let dlat = max_m / 110_000.0 + 1e-9;
        let far_lat = (lat.abs() + dlat).min(89.999);
        let dlon = (dlat / far_lat.to_radians().cos()).min(360.0);
        let env = rstar::AABB::from_corners([lon - dlon, lat - dlat], [lon + dlon, lat + dlat]);
        self.tree.locate_in_envelope(env).filter_map(hit).collect()
    }

    /// Calls `f(id, lon_e7, lat_e7)` for every live address in the bbox.
    pub fn for_each_in_bbox(&self, bbox: Rect<f64>, mut f: impl FnMut(AddressId, i32, i32)) {
        let _ = self.try_for_each_in_bbox(bbox, |id, x, y| {
            f(id, x, y);
            ControlFlow::Continue(())
        });
    }

    /// [`Self::for_each_in_bbox`] until `f` answers `Break` (then so does this).
    pub fn try_for_each_in_bbox(
        &self,
        bbox: Rect<f64>,
        mut f: impl FnMut(AddressId, i32, i32) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let env = rstar::AABB::from_corners(bbox.min().into(), bbox.max().into());
        for p in self.tree.locate_in_envelope(env) {
            if let Some(Some(r)) = self.changes.get(&p.data) {
                f(p.data, r.lon_e7, r.lat_e7)?;
            }
        }
        ControlFlow::Continue(())
    }
}

/// Merges base hits (stale ones already removed) with live hits: nearest first, ties by id, at most `k`.
#[must_use]
pub fn merge(mut base: Vec<Hit>, live: Vec<Hit>, k: usize) -> Vec<Hit> {
    base.extend(live);
    base.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then(a.id.cmp(&b.id)));
    base.truncate(k);
    base
}
