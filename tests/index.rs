#![allow(clippy::unwrap_used, clippy::expect_used)]
// exact float equality is meant here: index and brute force compute the same distances from the same inputs
#![allow(clippy::float_cmp)]
//! Differential tests of the national index: every query is checked against a brute-force scan of the dataset's
//! columns, on thousands of deterministic pseudo-random queries (inside wards, in dense urban areas, near the coast,
//! at sea inside the coverage box and near the box's edges).

use diachi_domain::digital_address::COVERAGE;
use diachi_domain::lonlat::haversine_m;
use diachi_domain::{AddressId, GridCell, LonLat};
use diachi_geo::bbox;
use diachi_geo::dataset::{Dataset, from_e7, to_e7};
use diachi_geo::index::{Area, AreaError, AreaHit, AreaLimits, Hit, NationalIndex};
use diachi_synth::rng::Rng;
use h3o::{CellIndex, LatLng, Resolution};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

const HOUSEHOLDS: u64 = 50_000;

fn ix() -> &'static NationalIndex {
    static IX: OnceLock<NationalIndex> = OnceLock::new();
    IX.get_or_init(|| NationalIndex::build(diachi_synth::build_dataset(HOUSEHOLDS, 11, None).expect("dataset builds")))
}

fn data() -> &'static Dataset {
    &ix().data
}

fn ll(lon: f64, lat: f64) -> LonLat {
    LonLat::new(lon, lat).unwrap()
}

fn address_point(id: u32) -> LonLat {
    data().addresses.location(AddressId::new(id)).unwrap()
}

/// Address ids as the index gives them.
fn ids(v: impl IntoIterator<Item = u32>) -> Vec<AddressId> {
    v.into_iter().map(AddressId::new).collect()
}

/// A point `dx_m` east and `dy_m` north of `p`.
fn offset(p: LonLat, dx_m: f64, dy_m: f64) -> LonLat {
    let m_per_deg = 111_195.0;
    ll(p.lon() + dx_m / (m_per_deg * p.lat().to_radians().cos()), p.lat() + dy_m / m_per_deg)
}

/// What kind of place a query point is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Place {
    InWard,
    Urban,
    AtAddress,
    Coast,
    Sea,
    BoxEdge,
}

/// A deterministic mix of query points of every kind.
fn queries(n: usize, key: u64) -> Vec<(Place, LonLat)> {
    let d = data();
    let geo = &d.geography;
    let mut rng = Rng::new(0x00D1_AC41, key);
    let n_addr = d.addresses.len() as u32;
    let urban: Vec<u16> = geo
        .wards
        .iter()
        .enumerate()
        .filter(|(_, w)| w.kind == diachi_geo::geography::WardKind::Phuong)
        .map(|(i, _)| i as u16)
        .collect();
    let mut out = Vec::with_capacity(n);
    let mut i = 0usize;
    while out.len() < n {
        i += 1;
        let place = match i % 6 {
            0 => Place::InWard,
            1 => Place::Urban,
            2 => Place::AtAddress,
            3 => Place::Coast,
            4 => Place::Sea,
            _ => Place::BoxEdge,
        };
        let p = match place {
            Place::InWard => {
                // a uniform point of a random ward's box that falls inside the ward, else its label point
                let w = &geo.wards[rng.below(geo.wards.len() as u32) as usize];
                let b = bbox::to_array(w.area.bbox());
                let mut p = w.label;
                for _ in 0..50 {
                    let (x, y) = (rng.range(b[0], b[2]), rng.range(b[1], b[3]));
                    if w.area.contains(x, y) {
                        p = ll(x, y);
                        break;
                    }
                }
                p
            }
            Place::Urban => {
                // near an address of an urban ward (where addresses are densest)
                let w = urban[rng.below(urban.len() as u32) as usize];
                let first = d.addresses.ward.partition_point(|&x| x < w) as u32;
                let last = d.addresses.ward.partition_point(|&x| x <= w) as u32;
                let id = if last > first { first + rng.below(last - first) } else { rng.below(n_addr) };
                offset(address_point(id), rng.range(-80.0, 80.0), rng.range(-80.0, 80.0))
            }
            Place::AtAddress => address_point(rng.below(n_addr)),
            Place::Coast => {
                // walk east or south from an address until leaving the country (mostly onto the sea), then a little
                // further out
                let base = address_point(rng.below(n_addr));
                let a = rng.range(-100.0_f64, 10.0).to_radians();
                let mut q = None;
                for step in 1..400 {
                    let r = f64::from(step) * 300.0;
                    let t = offset(base, r * a.cos(), r * a.sin());
                    if geo.ward_at(t).is_none() {
                        let r = r + rng.range(0.0, 3_000.0);
                        q = Some(offset(base, r * a.cos(), r * a.sin()));
                        break;
                    }
                }
                match q {
                    Some(q) if geo.ward_at(q).is_none() => q,
                    _ => continue,
                }
            }
            Place::Sea => {
                let q = ll(rng.range(COVERAGE[0], COVERAGE[2]), rng.range(COVERAGE[1], COVERAGE[3]));
                if geo.ward_at(q).is_some() {
                    continue;
                }
                q
            }
            Place::BoxEdge => {
                let t = rng.range(0.0, 1.0);
                let e = rng.range(0.0, 0.01);
                let (w, s, ea, no) = (COVERAGE[0], COVERAGE[1], COVERAGE[2] - 1e-9, COVERAGE[3] - 1e-9);
                match rng.below(4) {
                    0 => ll(w + e, s + t * (no - s)),
                    1 => ll(ea - e, s + t * (no - s)),
                    2 => ll(w + t * (ea - w), s + e),
                    _ => ll(w + t * (ea - w), no - e),
                }
            }
        };
        out.push((place, p));
    }
    out
}

/// Exact distances from `p` to every address, computed as the index computes them.
fn address_distances(p: LonLat) -> Vec<(f64, u32)> {
    let s = &data().addresses;
    s.lon_e7
        .iter()
        .zip(&s.lat_e7)
        .enumerate()
        .map(|(i, (&x, &y))| (haversine_m(p.lon(), p.lat(), from_e7(x), from_e7(y)), i as u32))
        .collect()
}

fn office_distances(p: LonLat) -> Vec<(f64, u32)> {
    data()
        .post_offices
        .iter()
        .map(|o| (haversine_m(p.lon(), p.lat(), from_e7(o.lon_e7), from_e7(o.lat_e7)), o.id))
        .collect()
}

fn by_distance_then_id(a: &(f64, u32), b: &(f64, u32)) -> std::cmp::Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

/// The `k` smallest (distance, id) pairs, nearest first, ties by id.
fn k_smallest(all: &[(f64, u32)], k: usize) -> Vec<(f64, u32)> {
    let mut v = all.to_vec();
    if k < v.len() {
        v.select_nth_unstable_by(k, by_distance_then_id);
        v.truncate(k);
    }
    v.sort_by(by_distance_then_id);
    v
}

/// Checks an index answer against the brute-force answer: same length, same distances (1e-6 m), same ids wherever
/// the distance is not tied with a neighbour's, and the answer itself ordered by distance, then id.
fn assert_same_hits<I: Copy + Into<u32> + std::fmt::Debug>(got: &[Hit<I>], want: &[(f64, u32)], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: {} hits, brute force {}", got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g.distance_m - w.0).abs() <= 1e-6, "{what}: #{i} at {} m, brute force {} m", g.distance_m, w.0);
        let tied = |j: usize| want.get(j).is_some_and(|o| (o.0 - w.0).abs() <= 1e-6);
        if !tied(i + 1) && (i == 0 || !tied(i - 1)) {
            assert_eq!(g.id.into(), w.1, "{what}: #{i} at {} m", w.0);
        }
    }
    for p in got.windows(2) {
        assert!(
            by_distance_then_id(&(p[0].distance_m, p[0].id.into()), &(p[1].distance_m, p[1].id.into())).is_lt(),
            "{what}: not ordered by distance then id: {p:?}"
        );
    }
}

#[test]
fn nearest_addresses_match_brute_force() {
    let ix = ix();
    let mut per_place: HashMap<Place, usize> = HashMap::new();
    let mut ties = 0;
    for (q, (place, p)) in queries(900, 1).into_iter().enumerate() {
        *per_place.entry(place).or_default() += 1;
        let all = address_distances(p);
        let want100 = k_smallest(&all, 100);
        for k in [1, 5, 37, 100] {
            let got = ix.nearest_addresses(p, k);
            let want = &want100[..k.min(want100.len())];
            assert_same_hits(&got, want, &format!("query {q} {place:?} {p} k={k}"));
            // ties (apartments share a point) are broken by id, exactly as the brute force does
            assert_eq!(
                got.iter().map(|h| h.id.get()).collect::<Vec<_>>(),
                want.iter().map(|w| w.1).collect::<Vec<_>>()
            );
        }
        ties += want100.windows(2).filter(|w| w[0].0 == w[1].0).count();
    }
    assert!(per_place.len() == 6 && per_place.values().all(|&n| n >= 80), "{per_place:?}");
    assert!(ties > 0, "the queries should meet apartment buildings (tied distances)");
    assert!(ix.nearest_addresses(ll(105.85, 21.03), 0).is_empty());
}

#[test]
fn nearest_post_offices_match_brute_force() {
    let ix = ix();
    assert!(data().post_offices.iter().enumerate().all(|(i, o)| o.id == i as u32));
    for (q, (place, p)) in queries(1_500, 2).into_iter().enumerate() {
        let all = office_distances(p);
        let want100 = k_smallest(&all, 100);
        for k in [1, 5, 37, 100] {
            let got = ix.nearest_post_offices(p, k);
            assert_same_hits(&got, &want100[..k], &format!("query {q} {place:?} {p} k={k}"));
        }
    }
}

#[test]
fn addresses_within_match_brute_force() {
    let ix = ix();
    let mut nonempty = 0;
    let mut largest = 0;
    for (q, (place, p)) in queries(600, 3).into_iter().enumerate() {
        let all = address_distances(p);
        for r in [50.0, 120.0, 400.0, 1_000.0, 2_500.0, 5_000.0] {
            let got = ix.addresses_within(p, r);
            let mut want: Vec<(f64, u32)> = all.iter().copied().filter(|&(d, _)| d <= r).collect();
            want.sort_by(by_distance_then_id);
            assert_same_hits(&got, &want, &format!("query {q} {place:?} {p} r={r}"));
            let (g, w): (HashSet<u32>, HashSet<u32>) =
                (got.iter().map(|h| h.id.get()).collect(), want.iter().map(|w| w.1).collect());
            assert_eq!(g, w, "query {q} {place:?} {p} r={r}");
            nonempty += usize::from(!got.is_empty());
            largest = largest.max(got.len());
        }
    }
    assert!(nonempty > 1_000 && largest > 200, "{nonempty} {largest}");
}

/// The brute-force bbox answer: inclusive bounds on the e7 integers, as the index defines them.
fn brute_bbox(b: [f64; 4]) -> Vec<AddressId> {
    let s = &data().addresses;
    let (x0, y0, x1, y1) = (to_e7(b[0]), to_e7(b[1]), to_e7(b[2]), to_e7(b[3]));
    s.ids()
        .filter(|&id| {
            let (x, y) = (s.lon_e7[id.index()], s.lat_e7[id.index()]);
            (x0..=x1).contains(&x) && (y0..=y1).contains(&y)
        })
        .collect()
}

#[test]
fn addresses_in_bbox_match_brute_force() {
    let ix = ix();
    let s = &data().addresses;
    let n = s.len() as u32;
    let mut rng = Rng::new(4, 4);
    let mut boxes: Vec<[f64; 4]> = vec![COVERAGE, [-180.0, -90.0, 180.0, 90.0], [105.0, 20.0, 107.0, 22.0]];
    for i in 0..600 {
        let c = address_point(rng.below(n));
        let half = match i % 4 {
            0 => rng.range(0.000_05, 0.001),
            1 => rng.range(0.001, 0.02),
            2 => rng.range(0.02, 0.3),
            _ => rng.range(0.3, 3.0),
        };
        let hy = half * rng.range(0.3, 1.5);
        boxes.push([c.lon() - half, c.lat() - hy, c.lon() + half, c.lat() + hy]);
    }
    for _ in 0..200 {
        // boxes whose edges pass exactly through addresses (inclusive bounds), and one-point boxes
        let (a, b) = (address_point(rng.below(n)), address_point(rng.below(n)));
        boxes.push([a.lon().min(b.lon()), a.lat().min(b.lat()), a.lon().max(b.lon()), a.lat().max(b.lat())]);
        boxes.push([a.lon(), a.lat(), a.lon(), a.lat()]);
        // an edge exactly on a, the box reaching away from it on every side
        let h = rng.range(0.0001, 0.05);
        boxes.push([a.lon(), a.lat() - h, a.lon() + h, a.lat()]);
        boxes.push([a.lon() - h, a.lat(), a.lon(), a.lat() + h]);
    }
    // an empty box at sea (a `Rect` cannot be inverted; the point index's own tests cover inverted arrays)
    boxes.push([111.0, 6.0, 111.5, 6.5]);
    let mut on_edges = 0;
    for b in boxes {
        let got = ix.addresses_in_bbox(bbox::from_array(b));
        let want = brute_bbox(b);
        assert_eq!(got, want, "{b:?}");
        if b[0] == b[2] {
            assert!(!got.is_empty(), "a one-point box at an address holds it: {b:?}");
            on_edges += 1;
        }
    }
    assert_eq!(on_edges, 200);
    assert_eq!(ix.addresses_in_bbox(bbox::from_array(COVERAGE)).len(), s.len());
}

#[test]
fn addresses_in_cell_and_by_code_match_brute_force() {
    let ix = ix();
    let s = &data().addresses;
    let n = s.len() as u32;
    let cells: Vec<GridCell> = s.ids().map(|id| s.cell(id).unwrap()).collect();
    let mut rng = Rng::new(5, 5);
    for t in 0..400 {
        let level = 5 + (t % 5) as u8;
        // cells of addresses, cells next to them (often empty) and cells of random points of the box
        let p = match t % 3 {
            0 => address_point(rng.below(n)),
            1 => offset(address_point(rng.below(n)), rng.range(-3.0, 3.0), rng.range(-3.0, 3.0)),
            _ => ll(rng.range(COVERAGE[0], COVERAGE[2]), rng.range(COVERAGE[1], COVERAGE[3])),
        };
        let cell = GridCell::from_lonlat(p, level).unwrap();
        let got = ix.addresses_in_cell(cell);
        let want: Vec<AddressId> = s.ids().filter(|&id| cell.contains(&cells[id.index()])).collect();
        assert_eq!(got, want, "{cell} level {level}");
        if t % 3 == 0 {
            assert!(!got.is_empty());
        }
    }
    // every sampled address is found by its own digital address; units past the last are not there
    let mut max_unit = 0;
    for _ in 0..5_000 {
        let id = AddressId::new(rng.below(n));
        let code = s.digital_address(id).unwrap();
        assert_eq!(ix.address_by_code(code), Some(id), "{code}");
        let in_cell = ix.addresses_in_cell(code.cell()).len() as u16;
        max_unit = max_unit.max(in_cell);
        assert_eq!(ix.address_by_code(code.with_unit(in_cell + 1).unwrap()), None, "{code}");
    }
    assert!(max_unit >= 2, "apartment buildings share a cell");
    // a code at sea
    let sea = diachi_domain::DigitalAddress::from_lonlat(ll(111.3, 7.7)).unwrap();
    assert_eq!(ix.address_by_code(sea), None);
}

fn h3(lon_e7: i32, lat_e7: i32, res: Resolution) -> CellIndex {
    LatLng::new(from_e7(lat_e7), from_e7(lon_e7)).unwrap().to_cell(res)
}

/// Brute-force per-cell counts and members at one resolution.
struct H3Brute {
    res: Resolution,
    address_cells: Vec<CellIndex>,
    addresses: HashMap<CellIndex, u64>,
    offices: HashMap<CellIndex, u64>,
}

impl H3Brute {
    fn new(res: Resolution) -> Self {
        let d = data();
        let s = &d.addresses;
        let address_cells: Vec<CellIndex> = s.lon_e7.iter().zip(&s.lat_e7).map(|(&x, &y)| h3(x, y, res)).collect();
        let mut addresses = HashMap::new();
        for &c in &address_cells {
            *addresses.entry(c).or_default() += 1;
        }
        let mut offices = HashMap::new();
        for o in &d.post_offices {
            *offices.entry(h3(o.lon_e7, o.lat_e7, res)).or_default() += 1;
        }
        Self { res, address_cells, addresses, offices }
    }

    fn counts(&self, c: CellIndex) -> (u64, u64) {
        (self.addresses.get(&c).copied().unwrap_or(0), self.offices.get(&c).copied().unwrap_or(0))
    }

    fn members(&self, c: CellIndex) -> Vec<AddressId> {
        ids((0..self.address_cells.len() as u32).filter(|&i| self.address_cells[i as usize] == c))
    }

    /// Every cell holding an address or an office, and the neighbours of a sample of them (mostly empty or sparse).
    fn cells_to_check(&self, sample_every: usize) -> Vec<CellIndex> {
        let mut cells: Vec<CellIndex> = self.addresses.keys().chain(self.offices.keys()).copied().collect();
        cells.sort_unstable();
        cells.dedup();
        let mut out: Vec<CellIndex> = cells.iter().copied().step_by(sample_every).collect();
        for c in cells.iter().step_by(sample_every * 7) {
            out.extend(c.grid_disk::<Vec<_>>(1));
        }
        out.sort_unstable();
        out.dedup();
        assert!(out.iter().all(|c| c.resolution() == self.res));
        out
    }
}

#[test]
fn h3_cells_of_a_point_are_h3o_cells() {
    let s = &data().addresses;
    let mut rng = Rng::new(6, 6);
    for _ in 0..3_000 {
        let id = rng.below(s.len() as u32);
        let p = address_point(id);
        let direct = LatLng::new(p.lat(), p.lon()).unwrap();
        assert_eq!(
            NationalIndex::h3_cells(p),
            Some((direct.to_cell(Resolution::Ten), direct.to_cell(Resolution::Six))),
            "{p}"
        );
    }
    for (_, p) in queries(300, 6) {
        let direct = LatLng::new(p.lat(), p.lon()).unwrap();
        assert_eq!(
            NationalIndex::h3_cells(p),
            Some((direct.to_cell(Resolution::Ten), direct.to_cell(Resolution::Six)))
        );
    }
}

fn check_cell_counts(res: Resolution, sample_every: usize) -> usize {
    let ix = ix();
    let brute = H3Brute::new(res);
    let cells = brute.cells_to_check(sample_every);
    let mut bad = Vec::new();
    for &c in &cells {
        let got = ix.cell_counts(c);
        // coarse cells are remembered after the first request: the second answer must be the same
        assert_eq!(ix.cell_counts(c), got, "{c} asked twice");
        let want = brute.counts(c);
        if (got.addresses, got.post_offices) != want {
            bad.push(format!("{c}: index {}/{}, brute force {}/{}", got.addresses, got.post_offices, want.0, want.1));
        }
    }
    assert!(
        bad.is_empty(),
        "res {res}: {} of {} cells differ: {:?}",
        bad.len(),
        cells.len(),
        &bad[..bad.len().min(10)]
    );
    let total: u64 = cells.iter().map(|&c| brute.counts(c).0).sum();
    if sample_every == 1 {
        assert_eq!(total, data().addresses.len() as u64, "res {res}: every address is in one checked cell");
    }
    cells.len()
}

#[test]
fn cell_counts_match_brute_force_fine() {
    assert!(check_cell_counts(Resolution::Ten, 1) > 5_000);
}

#[test]
fn cell_counts_match_brute_force_coarse() {
    assert!(check_cell_counts(Resolution::Six, 1) > 1_000);
}

#[test]
fn cell_counts_match_brute_force_res8() {
    assert!(check_cell_counts(Resolution::Eight, 6) > 500);
}

#[test]
fn cell_counts_match_brute_force_res4() {
    assert!(check_cell_counts(Resolution::Four, 1) > 50);
}

#[test]
fn cell_counts_match_brute_force_res5_and_coarser() {
    assert!(check_cell_counts(Resolution::Five, 1) > 200);
    assert!(check_cell_counts(Resolution::Three, 1) > 10);
    assert!(check_cell_counts(Resolution::One, 1) >= 2);
}

#[test]
fn addresses_in_h3_cell_match_brute_force() {
    let ix = ix();
    for (res, every) in [(Resolution::Ten, 40), (Resolution::Eight, 25), (Resolution::Six, 10), (Resolution::Five, 4)] {
        let brute = H3Brute::new(res);
        let cells = brute.cells_to_check(every);
        for &c in &cells {
            assert_eq!(ix.addresses_in_h3_cell(c), brute.members(c), "res {res} cell {c}");
        }
        assert!(cells.len() > 50, "res {res}: {}", cells.len());
    }
}

/// A mix of areas of every kind over the test set: boxes up to 1 square degree, radii up to 5 km, digital cells of
/// levels 1–9, H3 cells of resolutions 5–10 (around addresses, so most hold some).
fn areas(n: usize) -> Vec<Area> {
    let s = &data().addresses;
    let count = s.len() as u32;
    let mut rng = Rng::new(21, 21);
    (0..n)
        .map(|i| {
            let p = address_point(rng.below(count));
            match i % 4 {
                0 => {
                    let half = [0.001, 0.02, 0.2, 0.5][i / 4 % 4];
                    Area::Bbox(bbox::from_array([p.lon() - half, p.lat() - half, p.lon() + half, p.lat() + half]))
                }
                1 => Area::Radius {
                    center: offset(p, 30.0, -20.0),
                    radius_m: [80.0, 600.0, 2_000.0, 5_000.0][i / 4 % 4],
                },
                2 => Area::DigitalCell(GridCell::from_lonlat(p, 1 + (i / 4 % 9) as u8).unwrap()),
                _ => Area::H3Cell(
                    LatLng::new(p.lat(), p.lon())
                        .unwrap()
                        .to_cell(Resolution::try_from(5 + (i / 4 % 6) as u8).unwrap()),
                ),
            }
        })
        .collect()
}

/// Every address of an area, in the area's order, with the unbounded queries (themselves checked against brute
/// force above).
fn unbounded(area: &Area) -> Vec<AreaHit> {
    let ix = ix();
    let plain = |v: Vec<AddressId>| v.into_iter().map(|id| AreaHit { id, distance_m: None }).collect();
    match *area {
        Area::Bbox(b) => plain(ix.addresses_in_bbox(b)),
        Area::Radius { center, radius_m } => ix
            .addresses_within(center, radius_m)
            .into_iter()
            .map(|h| AreaHit { id: h.id, distance_m: Some(h.distance_m) })
            .collect(),
        Area::DigitalCell(c) => plain(ix.addresses_in_cell(c)),
        Area::H3Cell(c) => plain(ix.addresses_in_h3_cell(c)),
    }
}

/// Within the visit budget, an area query answers exactly what the unbounded scan does: the first `limit` in the
/// area's order, and the full count.
#[test]
fn area_queries_within_the_budget_are_exact() {
    let ix = ix();
    let limits = AreaLimits::default();
    let mut big = 0;
    for (q, area) in areas(400).iter().enumerate() {
        let all = unbounded(area);
        for limit in [1, 10, 1_000] {
            let got = ix.area_query(area, limit, &limits).unwrap();
            assert!(got.exact && got.visited <= limits.max_visited, "{q} {area:?}");
            assert_eq!(got.count, all.len(), "{q} {area:?}");
            assert_eq!(got.hits, all[..all.len().min(limit)].to_vec(), "{q} {area:?} limit {limit}");
            assert_eq!(got.truncated(), all.len() > limit);
            assert!(got.visited >= all.len(), "every address counted was looked at");
        }
        big += usize::from(all.len() > 1_000);
    }
    assert!(big > 20, "{big} areas hold more than 1000 addresses");
}

/// Past the budget an area query stops: it never looks at more addresses than allowed, its count is a lower bound
/// of the true one, its hits are addresses of the area (a radius query's still the exact nearest ones).
#[test]
fn area_queries_stop_at_the_visit_budget() {
    let ix = ix();
    let mut stopped = 0;
    for (q, area) in areas(200).iter().enumerate() {
        let all = unbounded(area);
        for max_visited in [0, 31, 32, 100, 2_000] {
            let limits = AreaLimits { max_visited, ..AreaLimits::default() };
            let got = ix.area_query(area, 10, &limits).unwrap();
            assert!(got.visited <= max_visited, "{q} {area:?}: visited {} > {max_visited}", got.visited);
            if got.exact {
                assert_eq!((got.count, &got.hits[..]), (all.len(), &all[..all.len().min(10)]), "{q} {area:?}");
                continue;
            }
            stopped += 1;
            assert!(got.count <= all.len() && got.truncated(), "{q} {area:?}");
            if let Area::Radius { .. } = area {
                assert_eq!(got.hits, all[..all.len().min(10)].to_vec(), "{q} {area:?}: the nearest, exactly");
            } else {
                assert!(got.count <= got.visited, "{q} {area:?}");
                assert!(got.hits.windows(2).all(|w| w[0].id < w[1].id), "{q} {area:?}: in id order");
                assert!(got.hits.iter().all(|h| all.contains(h)), "{q} {area:?}: hits outside the area");
            }
        }
    }
    assert!(stopped > 200, "{stopped} queries stopped at the budget");
    // the shapes are checked first
    let b = bbox::from_array([105.0, 20.0, 106.5, 21.0]);
    assert_eq!(
        ix.area_query(&Area::Bbox(b), 1, &AreaLimits::default()),
        Err(AreaError::BboxTooLarge { max_deg2: 1.0 })
    );
}

#[test]
fn stats_are_sane() {
    let ix = ix();
    let st = ix.stats();
    assert_eq!(st.addresses, HOUSEHOLDS as usize);
    assert_eq!(st.post_offices, data().post_offices.len());
    assert_eq!(st.wards, 3321);
    assert!(st.bytes_per_address > 0.0 && st.bytes_per_address < 100.0, "{}", st.bytes_per_address);
    assert_eq!(st.h3_fine_cells, {
        let b = H3Brute::new(Resolution::Ten);
        b.addresses.keys().chain(b.offices.keys()).collect::<HashSet<_>>().len()
    });
}

/// Live changes (an overlay of added, moved and deleted addresses over the built index) answer like a brute-force
/// scan of the addresses as they are now.
#[test]
fn live_changes_match_brute_force_over_the_current_addresses() {
    let ix = NationalIndex::build(diachi_synth::build_dataset(20_000, 5, None).unwrap());
    let set = &ix.data.addresses;
    let n = set.len() as u32;
    let mut rng = Rng::new(0x11FE, 1);
    let mut overlay = ix.overlay().as_ref().clone();
    let mut current: HashMap<u32, (i32, i32)> =
        (0..n).map(|id| (id, (set.lon_e7[id as usize], set.lat_e7[id as usize]))).collect();
    for id in (0..n).step_by(7) {
        overlay.set(AddressId::new(id), None);
        current.remove(&id);
    }
    for id in (3..n).step_by(11) {
        let mut r = set.record(AddressId::new(id)).unwrap().to_owned();
        let p = offset(ll(from_e7(r.lon_e7), from_e7(r.lat_e7)), rng.range(-80.0, 80.0), rng.range(-80.0, 80.0));
        (r.lon_e7, r.lat_e7) = (to_e7(p.lon()), to_e7(p.lat()));
        current.insert(id, (r.lon_e7, r.lat_e7));
        overlay.set(AddressId::new(id), Some(r));
    }
    for k in 0..600 {
        let base = set.record(AddressId::new((k * 31) % n)).unwrap().to_owned();
        let p = offset(ll(from_e7(base.lon_e7), from_e7(base.lat_e7)), rng.range(-40.0, 40.0), rng.range(-40.0, 40.0));
        let mut r = base.clone();
        (r.lon_e7, r.lat_e7) = (to_e7(p.lon()), to_e7(p.lat()));
        r.da_unit = 77;
        current.insert(n + k, (r.lon_e7, r.lat_e7));
        overlay.set(AddressId::new(n + k), Some(r));
    }
    // a later change of a changed address, and a delete of an added one
    overlay.set(AddressId::new(n + 1), None);
    current.remove(&(n + 1));
    ix.set_overlay(overlay);

    let dist = |p: LonLat| -> Vec<(f64, u32)> {
        current.iter().map(|(&id, &(x, y))| (haversine_m(p.lon(), p.lat(), from_e7(x), from_e7(y)), id)).collect()
    };
    for q in 0..300u32 {
        let (x, y) = current[&(n + 2 + q % 500)];
        let p = offset(ll(from_e7(x), from_e7(y)), rng.range(-300.0, 300.0), rng.range(-300.0, 300.0));
        let all = dist(p);
        assert_same_hits(&ix.nearest_addresses(p, 10), &k_smallest(&all, 10), &format!("nearest {q}"));
        let mut within: Vec<(f64, u32)> = all.iter().copied().filter(|d| d.0 <= 250.0).collect();
        within.sort_by(by_distance_then_id);
        assert_same_hits(&ix.addresses_within(p, 250.0), &within, &format!("within {q}"));
        let b = [p.lon() - 0.004, p.lat() - 0.003, p.lon() + 0.004, p.lat() + 0.003];
        let mut want: Vec<u32> = current
            .iter()
            .filter(|(_, (x, y))| {
                let (x, y) = (from_e7(*x), from_e7(*y));
                x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3]
            })
            .map(|(&id, _)| id)
            .collect();
        want.sort_unstable();
        assert_eq!(ix.addresses_in_bbox(bbox::from_array(b)), ids(want.clone()), "bbox {q}");
        // the bounded queries see the same addresses
        let found = ix.area_query(&Area::Bbox(bbox::from_array(b)), 1_000, &AreaLimits::default()).unwrap();
        let got: Vec<AddressId> = found.hits.iter().map(|h| h.id).collect();
        assert_eq!((got, found.count), (ids(want.iter().copied().take(1_000)), want.len()), "bounded bbox {q}");
        let found = ix.area_query(&Area::Radius { center: p, radius_m: 250.0 }, 5, &AreaLimits::default()).unwrap();
        assert_eq!(found.count, within.len(), "bounded within {q}");
        let got: Vec<(f64, u32)> = found.hits.iter().map(|h| (h.distance_m.unwrap(), h.id.get())).collect();
        assert_eq!(got, within[..within.len().min(5)].to_vec(), "bounded within {q}");
    }
    // records, views and codes follow the overlay
    assert!(ix.view(AddressId::new(0)).is_none() && ix.view(AddressId::new(n + 1)).is_none());
    let added = ix.view(AddressId::new(n + 5)).unwrap();
    let code = diachi_domain::DigitalAddress::parse(&added.digital_address).unwrap();
    assert_eq!(code.unit(), 77);
    assert_eq!(ix.address_by_code(code), Some(AddressId::new(n + 5)));
    let moved = ix.address(AddressId::new(3)).unwrap();
    assert_eq!(current[&3], (moved.lon_e7, moved.lat_e7));
    // counts of the stored H3 resolutions include the changes
    for id in [n + 5, 3, 14] {
        let (x, y) = current[&id];
        for res in [Resolution::Ten, Resolution::Six] {
            let cell = h3(x, y, res);
            let want = current.values().filter(|&&(a, b)| h3(a, b, res) == cell).count() as u64;
            assert_eq!(ix.cell_counts(cell).addresses, want, "{res:?} cell of {id}");
        }
    }
}
