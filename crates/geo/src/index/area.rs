//! Bounded area queries. Every query that lists the addresses of an area — a bbox, a radius, a digital-address cell,
//! an H3 cell — goes through [`NationalIndex::area_query`]: the area's shape is checked against [`AreaLimits`]
//! (a bbox ≤ 1 square degree, a radius ≤ 5 km, an H3 cell of resolution 5 or finer; a digital-address cell of any
//! level), then the addresses are looked at bucket by bucket until the area is exhausted or
//! [`AreaLimits::max_visited`] addresses were looked at. Past the budget the query stops: its count is then a lower
//! bound ([`Found::exact`] is false), so the work of one query is bounded whatever the area and the data's density.
//!
//! Results within the budget are exactly those of an unbounded scan. Past it, a radius query's results stay the
//! exact nearest ones (they come from the k-nearest walk, which looks at about `limit` addresses); the other areas
//! list, in id order, the first of the addresses counted.

use std::ops::ControlFlow;

use h3o::{CellIndex, LatLng, Resolution};

use super::{NationalIndex, cell_bbox, h3_cell};
use crate::bbox::{self, Rect};
use crate::dataset::RecordRef;
use diachi_domain::{AddressId, GridCell, LonLat};

/// The bounds of one area query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AreaLimits {
    /// Largest bbox, in square degrees (1 square degree is about 110 km × 110 km).
    pub max_bbox_deg2: f64,
    /// Largest radius, in metres.
    pub max_radius_m: f64,
    /// Coarsest H3 resolution whose addresses may be listed (resolution 5: about 250 km²).
    pub min_h3_resolution: Resolution,
    /// Most addresses one query looks at; past it the query stops and its count is a lower bound.
    pub max_visited: usize,
}

impl AreaLimits {
    /// The default of [`Self::max_visited`]: above the densest area any query may name at the default 1M households
    /// (a square degree around Hà Nội holds about 116,000 addresses), so that every answer there is exact.
    pub const DEFAULT_MAX_VISITED: usize = 200_000;
}

impl Default for AreaLimits {
    fn default() -> Self {
        Self {
            max_bbox_deg2: 1.0,
            max_radius_m: 5_000.0,
            min_h3_resolution: Resolution::Five,
            max_visited: Self::DEFAULT_MAX_VISITED,
        }
    }
}

/// An area whose addresses are listed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Area {
    /// A box (bounds included, at 1e-7°): the results in id order.
    Bbox(Rect<f64>),
    /// A circle (great-circle distance, bound included): the results nearest first.
    Radius {
        /// Its centre.
        center: LonLat,
        /// Its radius in metres.
        radius_m: f64,
    },
    /// A digital-address cell of any level: the delivery points whose 1 m cell lies in it, in id order.
    DigitalCell(GridCell),
    /// An H3 cell: the addresses whose own cell at that resolution it is, in id order.
    H3Cell(CellIndex),
}

impl Area {
    /// A short name of the kind of area (`bbox`, `radius`, `digital_cell`, `h3_cell`), for metrics.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Bbox(_) => "bbox",
            Self::Radius { .. } => "radius",
            Self::DigitalCell(_) => "digital_cell",
            Self::H3Cell(_) => "h3_cell",
        }
    }

    /// Whether the area's shape is within the limits (its size; the addresses it holds are bounded while visiting).
    ///
    /// # Errors
    /// The bound the area exceeds.
    pub fn check(&self, limits: &AreaLimits) -> Result<(), AreaError> {
        match *self {
            Self::Bbox(b) => {
                if b.width() * b.height() > limits.max_bbox_deg2 {
                    return Err(AreaError::BboxTooLarge { max_deg2: limits.max_bbox_deg2 });
                }
            }
            Self::Radius { radius_m, .. } => {
                if radius_m > limits.max_radius_m {
                    return Err(AreaError::RadiusTooLarge { max_m: limits.max_radius_m });
                }
            }
            Self::H3Cell(c) => {
                if c.resolution() < limits.min_h3_resolution {
                    return Err(AreaError::CellTooLarge { min_resolution: u8::from(limits.min_h3_resolution) });
                }
            }
            // bounded by the addresses visited alone (a level-1 cell is 4° × 4°)
            Self::DigitalCell(_) => {}
        }
        Ok(())
    }
}

/// An area too large to be listed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AreaError {
    /// The bbox is larger than [`AreaLimits::max_bbox_deg2`].
    #[error("bbox area must be at most {max_deg2} square degree")]
    BboxTooLarge {
        /// The limit, in square degrees.
        max_deg2: f64,
    },
    /// The radius is larger than [`AreaLimits::max_radius_m`].
    #[error("`radius_m` must be at most {max_m}")]
    RadiusTooLarge {
        /// The limit, in metres.
        max_m: f64,
    },
    /// The H3 cell is coarser than [`AreaLimits::min_h3_resolution`].
    #[error("list addresses of cells of resolution {min_resolution} or finer")]
    CellTooLarge {
        /// The coarsest resolution allowed.
        min_resolution: u8,
    },
}

/// One address of an area.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AreaHit {
    /// The address.
    pub id: AddressId,
    /// Its great-circle distance from the centre, in metres (radius queries only).
    pub distance_m: Option<f64>,
}

/// What an area query found.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// At most `limit` addresses, in the area's order.
    pub hits: Vec<AreaHit>,
    /// Addresses counted in the area: all of them when [`Self::exact`], else a lower bound (those counted before
    /// the budget ran out).
    pub count: usize,
    /// Whether every address of the area was looked at.
    pub exact: bool,
    /// Addresses looked at (the work done; at most [`AreaLimits::max_visited`]).
    pub visited: usize,
}

impl Found {
    /// Whether `hits` leaves out addresses of the area (more than `limit`, or the count is a lower bound).
    #[must_use]
    pub fn truncated(&self) -> bool {
        !self.exact || self.count > self.hits.len()
    }
}

/// The addresses one query may still look at. Points are taken a bucket at a time (≤ 32): a bucket that does not
/// fit stops the query, so `visited` never exceeds the budget.
#[derive(Debug)]
pub(crate) struct Budget {
    max: usize,
    visited: usize,
    stopped: bool,
}

impl Budget {
    pub(crate) fn new(max: usize) -> Self {
        Self { max, visited: 0, stopped: false }
    }

    /// Takes `n` addresses from the budget, or stops the query when they do not fit.
    pub(crate) fn take(&mut self, n: usize) -> ControlFlow<()> {
        match self.visited.checked_add(n) {
            Some(v) if v <= self.max => {
                self.visited = v;
                ControlFlow::Continue(())
            }
            _ => {
                self.stopped = true;
                ControlFlow::Break(())
            }
        }
    }
}

/// The first `limit` ids in id order, as hits without distance.
fn first_by_id(mut ids: Vec<AddressId>, limit: usize) -> Vec<AreaHit> {
    if ids.len() > limit {
        ids.select_nth_unstable(limit);
        ids.truncate(limit);
    }
    ids.sort_unstable();
    ids.into_iter().map(|id| AreaHit { id, distance_m: None }).collect()
}

impl NationalIndex {
    /// The addresses of an area: at most `limit` of them in the area's order, and how many there are, looking at no
    /// more than `limits.max_visited` addresses (see the [module](self) documentation).
    ///
    /// # Errors
    /// The area's shape exceeds `limits` ([`Area::check`]).
    pub fn area_query(&self, area: &Area, limit: usize, limits: &AreaLimits) -> Result<Found, AreaError> {
        area.check(limits)?;
        let mut budget = Budget::new(limits.max_visited);
        let (hits, count) = match *area {
            Area::Bbox(b) => {
                let mut ids = Vec::new();
                self.visit_addresses(bbox::to_array(b), &mut budget, |id, _, _| ids.push(id));
                let count = ids.len();
                (first_by_id(ids, limit), count)
            }
            Area::Radius { center, radius_m } => {
                let mut count = 0usize;
                self.visit_addresses_within(center, radius_m, &mut budget, |_| count += 1);
                // the nearest `limit` from the k-nearest walk: exact whether or not the count was cut short
                let hits: Vec<AreaHit> = self
                    .nearest_addresses(center, limit)
                    .into_iter()
                    .take_while(|h| h.distance_m <= radius_m)
                    .map(|h| AreaHit { id: h.id, distance_m: Some(h.distance_m) })
                    .collect();
                let count = count.max(hits.len());
                (hits, count)
            }
            Area::DigitalCell(cell) => {
                let full = |r: RecordRef<'_>| r.digital_address().map(|d| d.cell());
                let mut ids = Vec::new();
                self.visit_addresses(cell.bounds(), &mut budget, |id, _, _| ids.push(id));
                // the records are read in id order (their storage order), not in the buckets' spatial order (random reads):
                // ~2.5× faster on a level-2 code at 1M
                ids.sort_unstable();
                ids.retain(|&id| self.with_address(id, full).flatten().is_some_and(|c| cell.contains(&c)));
                let count = ids.len();
                (first_by_id(ids, limit), count)
            }
            Area::H3Cell(cell) => {
                let res = cell.resolution();
                let mut ids = Vec::new();
                self.visit_addresses(cell_bbox(cell), &mut budget, |id, x, y| {
                    if h3_cell(x, y, res) == Some(cell) {
                        ids.push(id);
                    }
                });
                let count = ids.len();
                (first_by_id(ids, limit), count)
            }
        };
        Ok(Found { hits, count, exact: !budget.stopped, visited: budget.visited })
    }

    /// Calls `f(id, lon_e7, lat_e7)` for the current addresses inside the bbox (bounds included, at 1e-7°), the
    /// base's buckets first, then the changed addresses, while the budget lasts.
    fn visit_addresses(&self, bbox: [f64; 4], budget: &mut Budget, mut f: impl FnMut(AddressId, i32, i32)) {
        let live = self.live.load();
        let flow = self.addresses.try_for_each_in_bbox(
            bbox,
            |n| budget.take(n),
            |id, x, y| {
                let id = AddressId::new(id);
                if !live.shadows(id) {
                    f(id, x, y);
                }
            },
        );
        if flow.is_continue() && !live.is_empty() {
            let _ = live.try_for_each_in_bbox(bbox::from_array(bbox), |id, x, y| {
                budget.take(1)?;
                f(id, x, y);
                ControlFlow::Continue(())
            });
        }
    }

    /// Calls `f(distance_m)` for the current addresses within `radius_m` of `center`, while the budget lasts.
    fn visit_addresses_within(&self, center: LonLat, radius_m: f64, budget: &mut Budget, mut f: impl FnMut(f64)) {
        let live = self.live.load();
        let flow = self.addresses.try_for_each_within(
            center.lon(),
            center.lat(),
            radius_m,
            |n| budget.take(n),
            |id, d| {
                if !live.shadows(AddressId::new(id)) {
                    f(d);
                }
            },
        );
        if flow.is_continue() && !live.is_empty() {
            let hits = live.within(center.lon(), center.lat(), radius_m);
            if budget.take(hits.len()).is_continue() {
                for h in &hits {
                    f(h.distance_m);
                }
            }
        }
    }
}

/// Whether an H3 cell may hold a point of `coverage` (`[min_lon, min_lat, max_lon, max_lat]`): whether the
/// spherical cap around the cell's centre through its farthest vertex meets the box. Conservative: `false` only for
/// cells that cannot. A cell's edges are great-circle arcs (gnomonic lines of its icosahedron face) and cells are far
/// smaller than a hemisphere, so no point of a cell is farther from its centre than its farthest vertex.
#[must_use]
pub fn cell_meets(cell: CellIndex, coverage: [f64; 4]) -> bool {
    let c = LatLng::from(cell);
    let (lat, lng) = (c.lat(), c.lng());
    let rho = cell
        .boundary()
        .iter()
        .map(|v| diachi_domain::lonlat::haversine_m(lng, lat, v.lng(), v.lat()))
        .fold(0.0f64, f64::max)
        / diachi_domain::lonlat::EARTH_RADIUS_M
        * 1.01
        + 1e-9;
    let rho_deg = rho.to_degrees();
    let (south, north) = (lat - rho_deg, lat + rho_deg);
    if north < coverage[1] || south > coverage[3] {
        return false;
    }
    if lat.abs() + rho_deg >= 90.0 {
        return true; // over a pole: every longitude
    }
    let dlon = (rho.sin() / lat.to_radians().cos()).clamp(-1.0, 1.0).asin().to_degrees();
    let (west, east) = (lng - dlon, lng + dlon);
    // the same longitudes one turn either way (a cap across the antimeridian)
    [-360.0, 0.0, 360.0].iter().any(|&turn| east + turn >= coverage[0] && west + turn <= coverage[2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use diachi_domain::digital_address::COVERAGE;

    #[test]
    fn the_budget_takes_what_fits_and_stops_for_good() {
        let mut b = Budget::new(40);
        assert!(b.take(32).is_continue());
        assert!(b.take(8).is_continue());
        assert_eq!((b.visited, b.stopped), (40, false), "a budget used up exactly has not stopped anything");
        assert!(b.take(1).is_break());
        assert_eq!((b.visited, b.stopped), (40, true));
        let mut b = Budget::new(10);
        assert!(b.take(usize::MAX).is_break(), "no overflow");
        assert_eq!(b.visited, 0);
        let mut b = Budget::new(0);
        assert!(b.take(0).is_continue() && b.take(1).is_break());
    }

    #[test]
    fn the_first_ids_in_id_order() {
        let ids = |v: &[u32]| v.iter().copied().map(AddressId::new).collect::<Vec<_>>();
        let got: Vec<AddressId> = first_by_id(ids(&[9, 3, 7, 1, 8]), 3).into_iter().map(|h| h.id).collect();
        assert_eq!(got, ids(&[1, 3, 7]));
        assert_eq!(first_by_id(ids(&[2, 1]), 5).len(), 2);
        assert!(first_by_id(Vec::new(), 0).is_empty());
        assert!(first_by_id(ids(&[4]), 0).is_empty());
    }

    #[test]
    fn shapes_are_checked_against_the_limits() {
        let l = AreaLimits::default();
        let bbox = |w: f64| Area::Bbox(crate::bbox::from_array([105.0, 21.0, 105.0 + w, 22.0]));
        assert_eq!(bbox(1.0).check(&l), Ok(()));
        assert_eq!(bbox(1.01).check(&l), Err(AreaError::BboxTooLarge { max_deg2: 1.0 }));
        let center = LonLat::new(105.8, 21.0).unwrap();
        assert_eq!(Area::Radius { center, radius_m: 5_000.0 }.check(&l), Ok(()));
        assert!(Area::Radius { center, radius_m: 5_000.1 }.check(&l).is_err());
        let ll = LatLng::new(21.0, 105.8).unwrap();
        assert_eq!(Area::H3Cell(ll.to_cell(Resolution::Five)).check(&l), Ok(()));
        assert_eq!(
            Area::H3Cell(ll.to_cell(Resolution::Four)).check(&l),
            Err(AreaError::CellTooLarge { min_resolution: 5 })
        );
        // a level-1 cell (16 square degrees) is bounded by the addresses visited alone
        assert_eq!(Area::DigitalCell(GridCell::from_lonlat(center, 1).unwrap()).check(&l), Ok(()));
        assert_eq!(AreaError::BboxTooLarge { max_deg2: 1.0 }.to_string(), "bbox area must be at most 1 square degree");
        assert_eq!(AreaError::RadiusTooLarge { max_m: 5_000.0 }.to_string(), "`radius_m` must be at most 5000");
    }

    /// Every cell of resolution 0–5 holding a point of the coverage box (corners, edges and inside) meets it; cells
    /// far away, over the poles and across the antimeridian do not.
    #[test]
    fn cells_that_hold_a_point_of_the_coverage_meet_it() {
        let [w, s, e, n] = COVERAGE;
        let steps = 40;
        for i in 0..=steps {
            for j in 0..=steps {
                let lon = w + (e - w) * f64::from(i) / f64::from(steps);
                let lat = (s + (n - s) * f64::from(j) / f64::from(steps)).min(n - 1e-9);
                let ll = LatLng::new(lat, lon.min(e - 1e-9)).unwrap();
                for res in 0..=5u8 {
                    let cell = ll.to_cell(Resolution::try_from(res).unwrap());
                    assert!(cell_meets(cell, COVERAGE), "{cell} holds ({lon}, {lat})");
                }
            }
        }
        for (lat, lon) in [(48.86, 2.35), (0.0, 0.0), (-33.9, 151.2), (10.0, 179.99), (10.0, -179.99), (89.9, 0.0)] {
            for res in 0..=5u8 {
                let cell = LatLng::new(lat, lon).unwrap().to_cell(Resolution::try_from(res).unwrap());
                assert!(!cell_meets(cell, COVERAGE), "{cell} at ({lon}, {lat})");
            }
        }
    }

    /// The cells of resolution 0–5 that meet the coverage box, all of them, fit in the roll-up cache.
    #[test]
    fn the_cells_that_meet_the_coverage_fit_in_the_rollup_cache() {
        // a cell that meets the box has its centre within its radius of it, and its parent holds that centre: the
        // parent meets the box grown by a child's radius (under 6° even at resolution 1)
        let [w, s, e, n] = COVERAGE;
        let grown = [w - 10.0, s - 10.0, e + 10.0, n + 10.0];
        let mut level: Vec<CellIndex> = CellIndex::base_cells().collect();
        let mut total = level.iter().filter(|&&c| cell_meets(c, COVERAGE)).count();
        for res in 1..=5u8 {
            let res = Resolution::try_from(res).unwrap();
            level = level.iter().filter(|&&c| cell_meets(c, grown)).flat_map(|c| c.children(res)).collect();
            total += level.iter().filter(|&&c| cell_meets(c, COVERAGE)).count();
        }
        assert!((10_000..super::super::MAX_H3_ROLLUPS).contains(&total), "{total} cells meet the coverage");
    }
}
