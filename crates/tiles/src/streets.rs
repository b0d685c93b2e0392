//! Street and alley lines of the `streets` layer, derived from how the addresses lie.
//!
//! The register has no street geometry yet (a real network comes later), so the lines are read back from the layout
//! of the synthetic generator (`diachi-synth`): a street is a straight centreline with its odd-numbered houses on a
//! parallel line to the left (numbers growing along the street) and its even ones to the right, both
//! [`side_offset_m`] away; an alley leaves the street at right angles with its houses on its own line. So a street's
//! line is found exactly from its houses (the direction of the side with more houses, the centre between the
//! sides) and every house sits on its street's line, offset by the half-width, or on its alley's.
//!
//! The addresses of one street are contiguous in the generated set (a street's houses and alleys are laid one after
//! the other); a street split over several runs of ids gets one line per run.

use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use std::collections::BTreeMap;

use super::geom::world;
use diachi_geo::dataset::{AddressSet, alley_word, from_e7, street_half_width_m};
use diachi_geo::geography::{Geography, WardKind};

/// Metres per degree of latitude (mean), as the generator uses.
const M_PER_DEG_LAT: f64 = 111_132.0;
/// How far a street's line reaches past its first and last house, in metres.
const END_MARGIN_M: f64 = 3.0;
/// Houses farther than this from where the layout puts them mean the points were not laid along a street.
const LAYOUT_TOLERANCE_M: f64 = 1.5;

/// Distance in metres from a street's centreline to the line of its houses in a ward of this kind: the generator's
/// half-width ([`street_half_width_m`]), 7 m in urban wards (`phường`), 10 m elsewhere.
#[must_use]
pub fn side_offset_m(kind: WardKind) -> f64 {
    street_half_width_m(kind)
}

/// What a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreetKind {
    /// A street, road or village lane (`phố`, `đường`, `thôn` …).
    Street,
    /// An alley off a street (`ngõ`, `kiệt`, `hẻm`).
    Alley,
}

impl StreetKind {
    /// The value of the `kind` property.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            StreetKind::Street => "street",
            StreetKind::Alley => "alley",
        }
    }
}

/// One street or alley line in world coordinates.
#[derive(Debug, Clone)]
pub struct StreetLine {
    /// Street or alley.
    pub kind: StreetKind,
    /// Its name: the street's, or `Ngõ 45 Phố Hàng Bông` for an alley.
    pub name: String,
    /// For an alley, the street it leaves.
    pub street: Option<String>,
    /// The line, world coordinates (at least two points).
    pub points: Vec<(f64, f64)>,
    /// Its length in world units.
    pub length: f64,
}

/// Every line, with an R-tree of their boxes.
pub struct Streets {
    lines: Vec<StreetLine>,
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, u32>>,
}

impl Streets {
    /// Derives the lines of every street and alley of the set (in parallel).
    #[must_use]
    pub fn derive(set: &AddressSet, geo: &Geography) -> Self {
        let runs = street_runs(set);
        let lines: Vec<StreetLine> = runs.par_iter().flat_map_iter(|r| run_lines(set, geo, r.clone())).collect();
        let entries = lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let (lo, hi) = bounds(&l.points);
                GeomWithData::new(Rectangle::from_corners(lo, hi), i as u32)
            })
            .collect();
        Self { lines, tree: RTree::bulk_load(entries) }
    }

    /// The lines whose box meets the world box `[x0, y0, x1, y1]`, in a stable order.
    pub fn in_box(&self, b: [f64; 4]) -> impl Iterator<Item = &StreetLine> {
        let env = AABB::from_corners([b[0], b[1]], [b[2], b[3]]);
        let mut ids: Vec<u32> = self.tree.locate_in_envelope_intersecting(env).map(|e| e.data).collect();
        ids.sort_unstable();
        ids.into_iter().filter_map(|i| self.lines.get(i as usize))
    }

    /// Every line.
    #[must_use]
    pub fn lines(&self) -> &[StreetLine] {
        &self.lines
    }
}

fn bounds(points: &[(f64, f64)]) -> ([f64; 2], [f64; 2]) {
    points.iter().fold(([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]), |(lo, hi), &(x, y)| {
        ([lo[0].min(x), lo[1].min(y)], [hi[0].max(x), hi[1].max(y)])
    })
}

/// Ranges of ids with the same ward and street.
fn street_runs(set: &AddressSet) -> Vec<std::ops::Range<usize>> {
    let n = set.ward.len().min(set.street.len());
    let mut runs = Vec::new();
    let mut start = 0;
    for i in 1..=n {
        if i == n || set.ward[i] != set.ward[start] || set.street[i] != set.street[start] {
            if i > start {
                runs.push(start..i);
            }
            start = i;
        }
    }
    runs
}

/// A local plane in metres around a reference point (east, north).
#[derive(Clone, Copy)]
struct Plane {
    lon0: f64,
    lat0: f64,
    kx: f64,
}

impl Plane {
    fn new(lon0: f64, lat0: f64) -> Self {
        Self { lon0, lat0, kx: M_PER_DEG_LAT * lat0.to_radians().cos() }
    }
    fn to_m(self, lon: f64, lat: f64) -> [f64; 2] {
        [(lon - self.lon0) * self.kx, (lat - self.lat0) * M_PER_DEG_LAT]
    }
    fn to_world(self, p: [f64; 2]) -> (f64, f64) {
        world(self.lon0 + p[0] / self.kx, self.lat0 + p[1] / M_PER_DEG_LAT)
    }
}

/// A house of a run: position in metres, house number (its number part: `12` of `12A`, the side it stands on) and
/// alley number.
#[derive(Clone, Copy)]
struct House {
    p: [f64; 2],
    number: u16,
    alley: u16,
}

/// The street line and alley lines of one run of addresses.
fn run_lines(set: &AddressSet, geo: &Geography, run: std::ops::Range<usize>) -> Vec<StreetLine> {
    let (Some(ward), Some(name)) = (
        set.ward.get(run.start).and_then(|&w| geo.wards.get(usize::from(w))),
        set.street.get(run.start).and_then(|&s| set.street_names.get(s as usize)),
    ) else {
        return Vec::new();
    };
    let plane = Plane::new(from_e7(set.lon_e7[run.start]), from_e7(set.lat_e7[run.start]));
    let houses: Vec<House> = run
        .map(|i| House {
            p: plane.to_m(from_e7(set.lon_e7[i]), from_e7(set.lat_e7[i])),
            number: set.house[i].number(),
            alley: set.alley[i],
        })
        .collect();
    let on_street: Vec<House> = houses.iter().copied().filter(|h| h.alley == 0).collect();
    let centre = centreline(&on_street, side_offset_m(ward.kind));
    let mut out = Vec::new();
    if let Some(c) = &centre {
        out.push(line(StreetKind::Street, name.to_string(), None, plane, &[c.at(c.t0), c.at(c.t1)]));
    }
    let mut alleys: BTreeMap<u16, Vec<House>> = BTreeMap::new();
    for h in houses.iter().filter(|h| h.alley != 0) {
        alleys.entry(h.alley).or_default().push(*h);
    }
    let word = alley_word(geo.province_of(ward).code.as_u32());
    for (number, hs) in alleys {
        if let Some(pts) = alley_points(&hs, centre.as_ref()) {
            let alley_name = format!("{word} {number} {name}");
            out.push(line(StreetKind::Alley, alley_name, Some(name.to_string()), plane, &pts));
        }
    }
    out
}

fn line(kind: StreetKind, name: String, street: Option<String>, plane: Plane, pts: &[[f64; 2]]) -> StreetLine {
    let points: Vec<(f64, f64)> = pts.iter().map(|&p| plane.to_world(p)).collect();
    let length = points.windows(2).map(|w| (w[1].0 - w[0].0).hypot(w[1].1 - w[0].1)).sum();
    StreetLine { kind, name, street, points, length }
}

/// A street's centreline in the local plane: `c·n + t·u` for `t` in `t0..=t1`.
struct Centre {
    u: [f64; 2],
    n: [f64; 2],
    c: f64,
    t0: f64,
    t1: f64,
}

impl Centre {
    fn at(&self, t: f64) -> [f64; 2] {
        [self.c * self.n[0] + t * self.u[0], self.c * self.n[1] + t * self.u[1]]
    }
    /// The foot of `p` on the (unbounded) centreline.
    fn foot(&self, p: [f64; 2]) -> [f64; 2] {
        self.at(dot(p, self.u))
    }
}

fn dot(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[0] + a[1] * b[1]
}

/// The centreline of a street from its houses, `None` when they were not laid along one (too few houses, or the
/// scattered houses of a ward too small for a street).
fn centreline(houses: &[House], half_width: f64) -> Option<Centre> {
    let (odd, even): (Vec<House>, Vec<House>) = houses.iter().partition(|h| h.number % 2 == 1);
    let side = if odd.len() >= even.len() { &odd } else { &even };
    let mut u = direction(side.iter().map(|h| h.p))?;
    // numbers grow along u: odd houses on the left, even on the right
    let mean_h = houses.iter().map(|h| f64::from(h.number)).sum::<f64>() / houses.len() as f64;
    if houses.iter().map(|h| (f64::from(h.number) - mean_h) * dot(h.p, u)).sum::<f64>() < 0.0 {
        u = [-u[0], -u[1]];
    }
    let n = [-u[1], u[0]];
    let centre_of = |h: &House| dot(h.p, n) - if h.number % 2 == 1 { half_width } else { -half_width };
    let c = houses.iter().map(centre_of).sum::<f64>() / houses.len() as f64;
    if houses.iter().any(|h| (centre_of(h) - c).abs() > LAYOUT_TOLERANCE_M) {
        return None;
    }
    let (t0, t1) = houses.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), h| {
        let t = dot(h.p, u);
        (a.min(t), b.max(t))
    });
    Some(Centre { u, n, c, t0: t0 - END_MARGIN_M, t1: t1 + END_MARGIN_M })
}

/// The principal direction of points (unit vector), `None` for fewer than two distinct points.
fn direction(points: impl Iterator<Item = [f64; 2]> + Clone) -> Option<[f64; 2]> {
    let (k, sx, sy) = points.clone().fold((0.0, 0.0, 0.0), |(k, sx, sy), p| (k + 1.0, sx + p[0], sy + p[1]));
    if k < 2.0 {
        return None;
    }
    let (mx, my) = (sx / k, sy / k);
    let (xx, xy, yy) = points.fold((0.0, 0.0, 0.0), |(a, b, c), p| {
        let (dx, dy) = (p[0] - mx, p[1] - my);
        (a + dx * dx, b + dx * dy, c + dy * dy)
    });
    if xx + yy < 1.0 {
        return None; // all at one spot (one building's units)
    }
    let angle = 0.5 * (2.0 * xy).atan2(xx - yy);
    Some([angle.cos(), angle.sin()])
}

/// An alley's line: from the foot of its first house on the street's centreline (or from its first house when the
/// street has no line) to its last house; `None` when that is a single spot.
fn alley_points(houses: &[House], centre: Option<&Centre>) -> Option<Vec<[f64; 2]>> {
    let first = houses.iter().min_by_key(|h| h.number)?;
    let start = centre.map_or(first.p, |c| c.foot(first.p));
    let far = houses.iter().max_by(|a, b| dist(a.p, start).total_cmp(&dist(b.p, start)))?;
    let d = dist(far.p, start);
    if d < 1.0 {
        return None;
    }
    let k = (d + 2.0) / d;
    Some(vec![start, [start[0] + (far.p[0] - start[0]) * k, start[1] + (far.p[1] - start[1]) * k]])
}

fn dist(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// Clips a line (pixel coordinates) to the box `lo..=hi` on both axes: the pieces inside, each of two points or more.
#[must_use]
pub fn clip_line(points: &[(f64, f64)], lo: f64, hi: f64) -> Vec<Vec<(f64, f64)>> {
    let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for w in points.windows(2) {
        match clip_segment(w[0], w[1], lo, hi) {
            Some((a, b)) => {
                if current.last() != Some(&a) {
                    flush(&mut pieces, &mut current);
                    current.push(a);
                }
                current.push(b);
            }
            None => flush(&mut pieces, &mut current),
        }
    }
    flush(&mut pieces, &mut current);
    pieces
}

fn flush(pieces: &mut Vec<Vec<(f64, f64)>>, current: &mut Vec<(f64, f64)>) {
    if current.len() >= 2 {
        pieces.push(std::mem::take(current));
    } else {
        current.clear();
    }
}

/// Liang–Barsky: the part of segment `a`–`b` inside the box, `None` when none is.
fn clip_segment(a: (f64, f64), b: (f64, f64), lo: f64, hi: f64) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [(-dx, a.0 - lo), (dx, hi - a.0), (-dy, a.1 - lo), (dy, hi - a.1)] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    (t0 <= t1).then_some(((a.0 + t0 * dx, a.1 + t0 * dy), (a.0 + t1 * dx, a.1 + t1 * dy)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn street(angle: f64, half: f64) -> Vec<House> {
        let u = [angle.cos(), angle.sin()];
        let n = [-u[1], u[0]];
        (0..20u16)
            .map(|k| {
                let (s, off) = (f64::from(k / 2) * 6.0, if k % 2 == 0 { half } else { -half });
                House { p: [s * u[0] + off * n[0] + 5.0, s * u[1] + off * n[1] - 3.0], number: k + 1, alley: 0 }
            })
            .collect()
    }

    #[test]
    fn the_centreline_lies_between_the_sides() {
        for angle in [0.0, 0.7, 2.0, -1.3] {
            let hs = street(angle, 7.0);
            let c = centreline(&hs, 7.0).unwrap();
            for h in &hs {
                assert!((dist(h.p, c.foot(h.p)) - 7.0).abs() < 1e-6, "{angle}");
            }
            assert!(c.t1 > c.t0);
        }
    }

    #[test]
    fn lines_are_clipped_to_the_box() {
        let pieces = clip_line(&[(-10.0, 5.0), (5.0, 5.0), (5.0, 20.0), (5.0, 30.0)], 0.0, 10.0);
        assert_eq!(pieces, vec![vec![(0.0, 5.0), (5.0, 5.0), (5.0, 10.0)]]);
        assert!(clip_line(&[(-10.0, -5.0), (-1.0, 20.0)], 0.0, 10.0).is_empty());
        let two = clip_line(&[(-1.0, 5.0), (11.0, 5.0), (11.0, 6.0), (-1.0, 6.0)], 0.0, 10.0);
        assert_eq!(two.len(), 2);
    }

    #[test]
    fn scattered_houses_have_no_line() {
        let hs: Vec<House> = (0..10u16)
            .map(|k| House {
                p: [f64::from(k * 37 % 11) * 20.0, f64::from(k * 13 % 7) * 30.0],
                number: k + 1,
                alley: 0,
            })
            .collect();
        assert!(centreline(&hs, 7.0).is_none());
        assert!(centreline(&hs[..1], 7.0).is_none());
    }
}
