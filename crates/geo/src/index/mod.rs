//! The in-memory national index: R-trees of addresses and post offices, point → ward / postal zone, digital-address
//! cells, and H3 counts. Built once from a [`Dataset`]; read-only and lock-free afterwards, but for a small overlay
//! of addresses changed since (live updates from the database, [`Overlay`]), swapped in atomically.

mod area;
mod huge;
mod live;
mod points;

pub use area::{Area, AreaError, AreaHit, AreaLimits, Found, cell_meets};
pub use live::Overlay;
pub use points::{BUCKET, Hit, PointIndex};

use arc_swap::ArcSwap;
use std::sync::Arc;

use h3o::{CellIndex, LatLng, Resolution};
use rayon::prelude::*;
use std::collections::HashMap;
use std::time::Instant;

use crate::bbox;
use crate::dataset::{AddressRecord, AddressSet, Dataset, NO_WARD, PostOffice, RecordRef, from_e7};
use diachi_domain::digital_address::COVERAGE;
use diachi_domain::{AddressId, DigitalAddress, GridCell, LonLat};
use geo::Rect;

/// The fine H3 resolution stored per address (about 0.015 km² cells).
pub const H3_FINE: Resolution = Resolution::Ten;
/// The coarse H3 resolution (about 36 km² cells).
pub const H3_COARSE: Resolution = Resolution::Six;

/// Most H3 roll-ups (counts of cells of resolution 0–5) kept: more than the cells of those resolutions that meet
/// the coverage box (21,152), so that in practice every one is computed once; past it, counts are computed
/// and not kept. An entry is about 40 bytes.
pub const MAX_H3_ROLLUPS: usize = 32_768;

/// Address and post-office counts of one H3 cell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CellCounts {
    /// Addresses in the cell.
    pub addresses: u64,
    /// Post offices in the cell.
    pub post_offices: u64,
}

/// Sizes and timings of the built index.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct IndexStats {
    /// Addresses indexed.
    pub addresses: usize,
    /// Post offices indexed.
    pub post_offices: usize,
    /// Wards in the geography.
    pub wards: usize,
    /// Postal zones in the geography.
    pub postal_zones: usize,
    /// Non-empty H3 cells at the fine resolution.
    pub h3_fine_cells: usize,
    /// Non-empty H3 cells at the coarse resolution.
    pub h3_coarse_cells: usize,
    /// Bytes of the address columns and the address R-tree.
    pub address_bytes: usize,
    /// `address_bytes` divided by the number of addresses.
    pub bytes_per_address: f64,
    /// Time the build took, in milliseconds.
    pub build_ms: u64,
}

/// Whether a point is inside the national grid's coverage box (mainland, islands, archipelagos and the sea).
#[must_use]
pub fn in_coverage(p: LonLat) -> bool {
    (COVERAGE[0]..COVERAGE[2]).contains(&p.lon()) && (COVERAGE[1]..COVERAGE[3]).contains(&p.lat())
}

/// The index.
pub struct NationalIndex {
    /// The dataset the index was built over.
    pub data: Dataset,
    addresses: PointIndex,
    offices: PointIndex,
    h3_fine: HashMap<CellIndex, CellCounts>,
    h3_coarse: HashMap<CellIndex, CellCounts>,
    /// Counts of cells coarser than [`H3_COARSE`], computed on first request (each costs up to a second at the
    /// national scale). Only cells that meet the coverage are kept (cells elsewhere hold nothing and are answered
    /// at once), at most [`MAX_H3_ROLLUPS`] of them.
    h3_rollups: std::sync::Mutex<HashMap<CellIndex, CellCounts>>,
    /// Addresses added, changed or deleted after the build.
    live: ArcSwap<Overlay>,
    stats: IndexStats,
}

fn h3_cell(lon_e7: i32, lat_e7: i32, res: Resolution) -> Option<CellIndex> {
    LatLng::new(from_e7(lat_e7), from_e7(lon_e7)).ok().map(|ll| ll.to_cell(res))
}

fn count_cells(addresses: &AddressSet, offices: &[PostOffice], res: Resolution) -> HashMap<CellIndex, CellCounts> {
    let mut cells: Vec<CellIndex> = addresses
        .lon_e7
        .par_iter()
        .zip(addresses.lat_e7.par_iter())
        .zip(addresses.ward.par_iter())
        .filter(|&(_, &w)| w != NO_WARD)
        .filter_map(|((&x, &y), _)| h3_cell(x, y, res))
        .collect();
    cells.par_sort_unstable();
    let mut map: HashMap<CellIndex, CellCounts> = HashMap::new();
    for run in cells.chunk_by(|a, b| a == b) {
        map.insert(run[0], CellCounts { addresses: run.len() as u64, post_offices: 0 });
    }
    for o in offices {
        if let Some(c) = h3_cell(o.lon_e7, o.lat_e7, res) {
            map.entry(c).or_default().post_offices += 1;
        }
    }
    map
}

impl NationalIndex {
    /// Builds every structure over the dataset (in parallel where it pays).
    #[must_use]
    pub fn build(data: Dataset) -> Self {
        let t = Instant::now();
        let set = &data.addresses;
        let offices_v = &data.post_offices;
        let ((addresses, offices), (h3_fine, h3_coarse)) = rayon::join(
            || {
                rayon::join(
                    || {
                        PointIndex::build(
                            (0..set.len() as u32)
                                .filter(|&i| set.ward[i as usize] != NO_WARD)
                                .map(|i| (i, set.lon_e7[i as usize], set.lat_e7[i as usize])),
                        )
                    },
                    || PointIndex::build(offices_v.iter().map(|o| (o.id, o.lon_e7, o.lat_e7))),
                )
            },
            || rayon::join(|| count_cells(set, offices_v, H3_FINE), || count_cells(set, offices_v, H3_COARSE)),
        );
        let address_bytes = data.addresses.heap_bytes() + addresses.heap_bytes();
        let stats = IndexStats {
            addresses: data.addresses.ward.iter().filter(|&&w| w != NO_WARD).count(),
            post_offices: data.post_offices.len(),
            wards: data.geography.wards.len(),
            postal_zones: data.geography.zones.len(),
            h3_fine_cells: h3_fine.len(),
            h3_coarse_cells: h3_coarse.len(),
            address_bytes,
            bytes_per_address: address_bytes as f64 / addresses.len().max(1) as f64,
            build_ms: t.elapsed().as_millis() as u64,
        };
        Self {
            data,
            addresses,
            offices,
            h3_fine,
            h3_coarse,
            h3_rollups: std::sync::Mutex::default(),
            live: ArcSwap::default(),
            stats,
        }
    }

    /// Sizes and timings of the build.
    #[must_use]
    pub fn stats(&self) -> &IndexStats {
        &self.stats
    }

    /// The current overlay of changed addresses.
    #[must_use]
    pub fn overlay(&self) -> Arc<Overlay> {
        self.live.load_full()
    }

    /// Publishes a new overlay (the change feed, after applying a batch of changes to a copy of [`Self::overlay`]).
    pub fn set_overlay(&self, overlay: Overlay) {
        self.live.store(Arc::new(overlay));
    }

    /// Calls `f` with the current record of address `id` (from the overlay when it changed); `None` when there is
    /// no such address.
    pub fn with_address<T>(&self, id: AddressId, f: impl FnOnce(RecordRef<'_>) -> T) -> Option<T> {
        let live = self.live.load();
        match live.get(id) {
            Some(Some(r)) => Some(f(r.as_ref())),
            Some(None) => None,
            None => self.data.addresses.record(id).map(f),
        }
    }

    /// The current record of address `id`, owned.
    #[must_use]
    pub fn address(&self, id: AddressId) -> Option<AddressRecord> {
        self.with_address(id, |r| r.to_owned())
    }

    /// The public view of address `id`.
    #[must_use]
    pub fn view(&self, id: AddressId) -> Option<crate::dataset::AddressView<'_>> {
        self.with_address(id, |r| crate::dataset::AddressView::new(&self.data.geography, id, r)).flatten()
    }

    /// The `k` nearest addresses.
    #[must_use]
    pub fn nearest_addresses(&self, p: LonLat, k: usize) -> Vec<Hit> {
        let live = self.live.load();
        if live.is_empty() {
            return address_hits(self.addresses.nearest(p.lon(), p.lat(), k));
        }
        // ask the base for more until k of its answers are current (stale ones are few and far between)
        let mut want = k;
        let base = loop {
            let hits = address_hits(self.addresses.nearest(p.lon(), p.lat(), want));
            let exhausted = hits.len() < want;
            let fresh: Vec<Hit> = hits.into_iter().filter(|h| !live.shadows(h.id)).collect();
            if fresh.len() >= k || exhausted {
                break fresh;
            }
            want = want * 2 + 8;
        };
        // a live address can only displace the base's k-th if it is nearer
        let bound = if base.len() >= k { base[k - 1].distance_m } else { f64::INFINITY };
        live::merge(base, live.within(p.lon(), p.lat(), bound), k)
    }

    /// Addresses within `radius_m`, nearest first.
    #[must_use]
    pub fn addresses_within(&self, p: LonLat, radius_m: f64) -> Vec<Hit> {
        let live = self.live.load();
        let mut hits = address_hits(self.addresses.within(p.lon(), p.lat(), radius_m));
        if live.is_empty() {
            return hits;
        }
        hits.retain(|h| !live.shadows(h.id));
        live::merge(hits, live.within(p.lon(), p.lat(), radius_m), usize::MAX)
    }

    /// Address ids inside a bbox (bounds included, at 1e-7°), in id order.
    #[must_use]
    pub fn addresses_in_bbox(&self, bbox: Rect<f64>) -> Vec<AddressId> {
        let live = self.live.load();
        let mut ids: Vec<AddressId> =
            self.addresses.in_bbox(bbox::to_array(bbox)).into_iter().map(AddressId::new).collect();
        if live.is_empty() {
            return ids;
        }
        ids.retain(|&id| !live.shadows(id));
        live.for_each_in_bbox(bbox, |id, _, _| ids.push(id));
        ids.sort_unstable();
        ids
    }

    /// Calls `f(id, lon_e7, lat_e7)` for every address inside the bbox (bounds included, at 1e-7°), in storage
    /// (spatial) order, then the changed ones.
    pub fn for_each_address_in_bbox(&self, bbox: Rect<f64>, f: impl FnMut(AddressId, i32, i32)) {
        self.for_each_address_in(bbox::to_array(bbox), f);
    }

    /// [`Self::for_each_address_in_bbox`] on `[min_lon, min_lat, max_lon, max_lat]`.
    fn for_each_address_in(&self, bbox: [f64; 4], mut f: impl FnMut(AddressId, i32, i32)) {
        let live = self.live.load();
        if live.is_empty() {
            self.addresses.for_each_in_bbox(bbox, |id, x, y| f(AddressId::new(id), x, y));
            return;
        }
        self.addresses.for_each_in_bbox(bbox, |id, x, y| {
            let id = AddressId::new(id);
            if !live.shadows(id) {
                f(id, x, y);
            }
        });
        live.for_each_in_bbox(bbox::from_array(bbox), f);
    }

    /// Calls `f(id, lon_e7, lat_e7)` for every post office inside the bbox, in storage (spatial) order.
    pub fn for_each_post_office_in_bbox(&self, bbox: Rect<f64>, f: impl FnMut(u32, i32, i32)) {
        self.offices.for_each_in_bbox(bbox::to_array(bbox), f);
    }

    /// The stored H3 counts: (fine, coarse) resolution maps.
    #[must_use]
    pub fn h3_count_maps(&self) -> (&HashMap<CellIndex, CellCounts>, &HashMap<CellIndex, CellCounts>) {
        (&self.h3_fine, &self.h3_coarse)
    }

    /// The `k` nearest post offices (the hits' ids are [`PostOffice::id`]).
    #[must_use]
    pub fn nearest_post_offices(&self, p: LonLat, k: usize) -> Vec<Hit<u32>> {
        self.offices.nearest(p.lon(), p.lat(), k)
    }

    /// The delivery points whose level-9 cell lies in `cell` (any level), in id order.
    #[must_use]
    pub fn addresses_in_cell(&self, cell: GridCell) -> Vec<AddressId> {
        let full = |r: RecordRef<'_>| r.digital_address().map(|d| d.cell());
        self.addresses_in_bbox(bbox::from_array(cell.bounds()))
            .into_iter()
            .filter(|&id| self.with_address(id, full).flatten().is_some_and(|c| cell.contains(&c)))
            .collect()
    }

    /// The address with this exact digital address (cell and unit).
    #[must_use]
    pub fn address_by_code(&self, code: DigitalAddress) -> Option<AddressId> {
        self.addresses_in_cell(code.cell())
            .into_iter()
            .find(|&id| self.with_address(id, |r| r.da_unit == code.unit()).unwrap_or(false))
    }

    /// Address and post-office counts of an H3 cell of any resolution.
    #[must_use]
    pub fn cell_counts(&self, cell: CellIndex) -> CellCounts {
        let res = cell.resolution();
        if res == H3_FINE || res == H3_COARSE {
            let stored = if res == H3_FINE { &self.h3_fine } else { &self.h3_coarse };
            let mut c = stored.get(&cell).copied().unwrap_or_default();
            c.addresses = c.addresses.saturating_add_signed(self.live_delta(cell));
            return c;
        }
        if res < H3_COARSE {
            // every address and post office lies in the coverage box: a cell that cannot meet it holds none
            if !cell_meets(cell, COVERAGE) {
                return CellCounts::default();
            }
            let cached = self.h3_rollups.lock().ok().and_then(|m| m.get(&cell).copied());
            if let Some(c) = cached {
                return c;
            }
            let counts = self.coarse_rollup(cell);
            if let Ok(mut m) = self.h3_rollups.lock()
                && m.len() < MAX_H3_ROLLUPS
            {
                m.insert(cell, counts);
            }
            return counts;
        }
        let bbox = cell_bbox(cell);
        let addresses = self.addresses_in_h3(cell, bbox).len() as u64;
        let mut post_offices = 0;
        self.offices.for_each_in_bbox(bbox, |_, x, y| post_offices += u64::from(h3_cell(x, y, res) == Some(cell)));
        CellCounts { addresses, post_offices }
    }

    /// Whether [`Self::cell_counts`] answers this cell from memory at once (its resolution is stored, or its roll-up
    /// is kept, or it lies outside the coverage); otherwise it scans addresses (up to a second at the national
    /// scale for a coarse cell).
    #[must_use]
    pub fn cell_counts_are_at_hand(&self, cell: CellIndex) -> bool {
        let res = cell.resolution();
        res == H3_FINE
            || res == H3_COARSE
            || (res < H3_COARSE
                && (!cell_meets(cell, COVERAGE) || self.h3_rollups.lock().ok().is_some_and(|m| m.contains_key(&cell))))
    }

    /// H3 roll-ups kept (at most [`MAX_H3_ROLLUPS`]).
    #[must_use]
    pub fn h3_rollups_kept(&self) -> usize {
        self.h3_rollups.lock().map_or(0, |m| m.len())
    }

    /// How the overlay changes the address count of a cell of the stored resolutions.
    fn live_delta(&self, cell: CellIndex) -> i64 {
        let live = self.live.load();
        let res = cell.resolution();
        let in_cell = |x: i32, y: i32| h3_cell(x, y, res) == Some(cell);
        live.changes()
            .map(|(id, now)| {
                let was = self.data.addresses.record(id).is_some_and(|r| in_cell(r.lon_e7, r.lat_e7));
                let is = now.is_some_and(|r| in_cell(r.lon_e7, r.lat_e7));
                i64::from(is) - i64::from(was)
            })
            .sum()
    }

    /// Counts of a cell coarser than [`H3_COARSE`] from the coarse counts. H3 is not exactly nested (a point's
    /// coarse cell's ancestor need not be the point's own cell at that resolution), so coarse cells are classified
    /// by where their vertices fall: wholly inside `cell` (their counts are added), wholly inside one other cell
    /// (skipped), or straddling a border (their points are tested one by one).
    fn coarse_rollup(&self, cell: CellIndex) -> CellCounts {
        let res = cell.resolution();
        // the ancestor of a coarse cell that meets `cell` is `cell` or one of its neighbours
        let near: Vec<CellIndex> = cell.grid_disk(1);
        let mut total = CellCounts::default();
        for (&c, v) in &self.h3_coarse {
            if !c.parent(res).is_some_and(|p| near.contains(&p)) {
                continue;
            }
            match where_cell_falls(c, res) {
                Some(x) if x == cell => {
                    total.addresses += v.addresses;
                    total.post_offices += v.post_offices;
                }
                Some(_) => {}
                None => {
                    let bbox = cell_bbox(c);
                    let here = |x: i32, y: i32| h3_cell(x, y, H3_COARSE) == Some(c) && h3_cell(x, y, res) == Some(cell);
                    self.addresses.for_each_in_bbox(bbox, |_, x, y| total.addresses += u64::from(here(x, y)));
                    self.offices.for_each_in_bbox(bbox, |_, x, y| total.post_offices += u64::from(here(x, y)));
                }
            }
        }
        total
    }

    fn addresses_in_h3(&self, cell: CellIndex, bbox: [f64; 4]) -> Vec<AddressId> {
        let res = cell.resolution();
        let mut v = Vec::new();
        self.for_each_address_in(bbox, |id, x, y| {
            if h3_cell(x, y, res) == Some(cell) {
                v.push(id);
            }
        });
        v.sort_unstable();
        v
    }

    /// Address ids inside an H3 cell, in id order.
    #[must_use]
    pub fn addresses_in_h3_cell(&self, cell: CellIndex) -> Vec<AddressId> {
        self.addresses_in_h3(cell, cell_bbox(cell))
    }

    /// The fine and coarse H3 cells of a point.
    #[must_use]
    pub fn h3_cells(p: LonLat) -> Option<(CellIndex, CellIndex)> {
        let ll = LatLng::new(p.lat(), p.lon()).ok()?;
        Some((ll.to_cell(H3_FINE), ll.to_cell(H3_COARSE)))
    }
}

/// Hits of the address point index, with their ids as [`AddressId`]s.
fn address_hits(hits: Vec<Hit<u32>>) -> Vec<Hit> {
    hits.into_iter().map(|h| h.map_id(AddressId::new)).collect()
}

/// The cell at `res` (coarser than `c`'s) that holds all of `c`, or `None` when `c` straddles a border. Cells are
/// convex, so `c` lies in a cell when all its vertices do; the vertices are pushed 2 % outwards for a margin.
fn where_cell_falls(c: CellIndex, res: Resolution) -> Option<CellIndex> {
    let center = LatLng::from(c);
    let mut found = None;
    for v in c.boundary().iter() {
        let (lat, lng) =
            (center.lat() + (v.lat() - center.lat()) * 1.02, center.lng() + (v.lng() - center.lng()) * 1.02);
        let x = LatLng::new(lat, lng).ok()?.to_cell(res);
        if found.is_some_and(|f| f != x) {
            return None;
        }
        found = Some(x);
    }
    found
}

/// A bounding box of an H3 cell, padded by a fifth of its size (cell edges are arcs, vertices are not enough).
fn cell_bbox(cell: CellIndex) -> [f64; 4] {
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for v in cell.boundary().iter() {
        b = [b[0].min(v.lng()), b[1].min(v.lat()), b[2].max(v.lng()), b[3].max(v.lat())];
    }
    let (px, py) = ((b[2] - b[0]) * 0.2, (b[3] - b[1]) * 0.2);
    [b[0] - px, b[1] - py, b[2] + px, b[3] + py]
}
