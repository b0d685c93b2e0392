//! The deterministic synthetic national address set, generated on the real geography.
//!
//! No real household addresses are public. This generator lays synthetic streets (or village lanes) inside each real
//! ward polygon and numbers houses along them as Vietnamese addresses are numbered (odd one side, even the other,
//! growing along the street; alleys branching off with their own numbers; some multi-unit buildings). A set smaller
//! than the country is spread over the wards as a sample of the full one would be: houses farther apart on more streets,
//! a sample of each building's flats (see [`spread`]), so that a city's street network is there at any scale. The same
//! `(households, seed)` gives the same output byte for byte, on any machine and any number of threads: every ward
//! draws from its own random stream keyed by its code, and wards are concatenated in code order.

pub mod eval;
pub mod forms;
mod names;
pub mod noise;
pub mod residents;
#[cfg(test)]
mod resolve_tests;
pub mod rng;

use rayon::prelude::*;
use std::collections::HashMap;

use diachi_domain::{AddressId, HouseNumber, WardIdx};
use diachi_geo::dataset::{AddressSet, PostOffice, PostOfficeKind, street_half_width_m, to_e7};
use diachi_geo::geography::{Geography, Ward, WardKind};
use rng::{Rng, mix};

/// Households in Vietnam at the 2019 census (GSO): the size of `--households full`.
pub const NATIONAL_HOUSEHOLDS: u64 = 26_870_079;
/// Vietnam Post's network is about 13,000 post offices and service points.
pub const POST_OFFICES: usize = 13_000;
/// Metres per degree of latitude (mean).
const M_PER_DEG_LAT: f64 = 111_132.0;

/// Relative number of households of a ward: urban wards are denser than rural communes, and larger units hold more.
#[must_use]
pub fn household_weight(ward: &Ward) -> f64 {
    let a = ward.area_km2.max(0.01);
    match ward.kind {
        WardKind::Phuong => 14.0 * (a / 8.0).sqrt().clamp(0.5, 2.5),
        WardKind::Xa => 5.5 * (a / 60.0).sqrt().clamp(0.35, 2.0),
        WardKind::DacKhu => 2.0 * (a / 60.0).sqrt().clamp(0.05, 3.0),
    }
}

/// Houses along a side of a street of average length, at least, when a smaller set is spread out (see [`spread`]).
const MIN_HOUSES_PER_SIDE: f64 = 4.0;

/// The share of urban street lots split from the lot before them, numbered with a letter (`11A`): see
/// `WardGen::lot_number`.
const SPLIT_LOT_P: f64 = 0.05;

/// House spacing (m), street lengths (m) and the chance of an alley at a house, in urban wards and elsewhere.
fn street_plan(kind: WardKind) -> (f64, (f64, f64), f64) {
    if kind == WardKind::Phuong { (6.0, (150.0, 700.0), 0.10) } else { (25.0, (250.0, 1500.0), 0.03) }
}

/// How far apart houses stand in a set smaller than the country, as a multiple of the full set's spacing.
///
/// A set of `n` households in a ward that holds `full` at national scale is a sample of it; laid at the full set's
/// spacing it would fill only a few streets and leave the rest of the ward (and the map) empty. So the houses stand
/// `full / n` times farther apart, on as many more streets, but never so far apart that an average street holds
/// fewer than [`MIN_HOUSES_PER_SIDE`] houses on each side (its line is drawn back from them). At full scale this is 1
/// and the layout is the national one.
fn spread(n: u64, full: u64, kind: WardKind) -> f64 {
    let (spacing, (lo, hi), _) = street_plan(kind);
    let most = ((lo + hi) / 2.0 / (spacing * MIN_HOUSES_PER_SIDE)).max(1.0);
    if n == 0 { 1.0 } else { (full as f64 / n as f64).clamp(1.0, most) }
}

/// Splits `total` among weights by the largest-remainder method (deterministic; ties go to the lower index).
#[must_use]
pub fn apportion(weights: &[f64], total: u64) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    if sum <= 0.0 || weights.is_empty() {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| w / sum * total as f64).collect();
    let mut out: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
    let given: u64 = out.iter().sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    for &i in order.iter().cycle().take(total.saturating_sub(given) as usize) {
        out[i] += 1;
    }
    out
}

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct GenerateOptions {
    /// Households to generate (about one address each).
    pub households: u64,
    /// Seed: the same households and seed give the same dataset.
    pub seed: u64,
}

/// Generates the national address set.
#[must_use]
pub fn generate_addresses(geo: &Geography, opts: GenerateOptions) -> AddressSet {
    let weights: Vec<f64> = geo.wards.iter().map(household_weight).collect();
    let counts = apportion(&weights, opts.households);
    let full = apportion(&weights, NATIONAL_HOUSEHOLDS.max(opts.households));
    let parts: Vec<WardOut> = geo
        .wards
        .par_iter()
        .zip(counts.par_iter().zip(full.par_iter()))
        .map(|(w, (&n, &f))| WardGen::new(geo, w, opts.seed).run(n as usize, spread(n, f, w.kind)))
        .collect();

    let total: usize = parts.iter().map(|p| p.lon.len()).sum();
    let mut set = AddressSet {
        lon_e7: Vec::with_capacity(total),
        lat_e7: Vec::with_capacity(total),
        ward: Vec::with_capacity(total),
        street: Vec::with_capacity(total),
        house: Vec::with_capacity(total),
        alley: Vec::with_capacity(total),
        apartment: Vec::with_capacity(total),
        da_unit: vec![1; total],
        street_names: Vec::new(),
    };
    let mut intern: HashMap<Box<str>, u32> = HashMap::new();
    for (wi, part) in parts.into_iter().enumerate() {
        let ids: Vec<u32> = part
            .names
            .into_iter()
            .map(|n| {
                let next = intern.len() as u32;
                *intern.entry(n.into_boxed_str()).or_insert(next)
            })
            .collect();
        set.lon_e7.extend(part.lon);
        set.lat_e7.extend(part.lat);
        set.ward.extend(std::iter::repeat_n(wi as u16, part.street.len()));
        set.street.extend(part.street.into_iter().map(|s| ids[s as usize]));
        set.house.extend(part.house);
        set.alley.extend(part.alley);
        set.apartment.extend(part.apartment);
    }
    let mut names: Vec<(Box<str>, u32)> = intern.into_iter().collect();
    names.sort_by_key(|&(_, i)| i);
    set.street_names = names.into_iter().map(|(n, _)| n).collect();
    assign_digital_units(&mut set);
    set
}

/// Numbers the delivery points that share one level-9 cell: 1 (the bare code), 2, 3, … in id order.
pub fn assign_digital_units(set: &mut AddressSet) {
    let mut keys: Vec<(u64, u32)> = (0..set.len() as u32)
        .into_par_iter()
        .map(|i| (set.cell(AddressId::new(i)).map_or(u64::MAX, |c| c.index()), i))
        .collect();
    keys.par_sort_unstable();
    let mut prev = u64::MAX;
    let mut unit: u16 = 0;
    for (k, i) in keys {
        unit = if k == prev { unit.saturating_add(1) } else { 1 };
        prev = k;
        set.da_unit[i as usize] = unit;
    }
}

/// Output of one ward: local columns, street indexes into the ward's own `names`.
#[derive(Default)]
struct WardOut {
    lon: Vec<i32>,
    lat: Vec<i32>,
    street: Vec<u32>,
    house: Vec<HouseNumber>,
    alley: Vec<u16>,
    apartment: Vec<u16>,
    names: Vec<String>,
}

struct WardGen<'a> {
    ward: &'a Ward,
    rng: Rng,
    /// Seed of the house-number suffixes (a stream of their own: they leave the layout as it is).
    suffix_seed: u64,
    /// In the south, where `Hẻm` is the alley word, some split lots are numbered with a slash (`38B/2`).
    south: bool,
    urban: bool,
    /// cumulative areas of the polygon parts, for sampling
    cum: Vec<f64>,
    street_word: &'static str,
    village_word: &'static str,
    next_name: usize,
    name_order: Vec<usize>,
    out: WardOut,
}

fn village_word(province: u32) -> &'static str {
    match province {
        4 | 8 | 11 | 12 | 14 | 15 | 20 => "Bản",
        52 | 66 => "Buôn",
        c if c >= 75 => "Ấp",
        _ => "Thôn",
    }
}

impl<'a> WardGen<'a> {
    fn new(geo: &Geography, ward: &'a Ward, seed: u64) -> Self {
        let province = geo.province_of(ward).code.as_u32();
        let mut rng = Rng::new(seed, u64::from(ward.code.as_u32()));
        let mut cum = Vec::with_capacity(ward.area.parts().len());
        let mut acc = 0.0;
        for (_, a) in ward.area.parts() {
            acc += a.max(0.0);
            cum.push(acc);
        }
        // a shuffled order of the national street names, different in every ward
        let mut name_order: Vec<usize> = (0..names::STREETS.len()).collect();
        for i in (1..name_order.len()).rev() {
            let j = rng.below(i as u32 + 1) as usize;
            name_order.swap(i, j);
        }
        Self {
            ward,
            rng,
            suffix_seed: mix(seed ^ 0x4855_5345_u64 ^ u64::from(ward.code.as_u32()) << 20),
            south: province >= 51,
            urban: ward.kind == WardKind::Phuong,
            cum,
            street_word: if ward.kind == WardKind::Phuong && province <= 37 { "Phố" } else { "Đường" },
            village_word: village_word(province),
            next_name: 0,
            name_order,
            out: WardOut::default(),
        }
    }

    fn new_street_name(&mut self) -> u32 {
        let k = self.next_name;
        self.next_name += 1;
        let name = if self.urban {
            match self.name_order.get(k) {
                Some(&i) => format!("{} {}", self.street_word, names::STREETS[i]),
                None => format!("Đường số {}", k - self.name_order.len() + 1),
            }
        } else {
            let stems = names::VILLAGE_STEMS;
            if k < stems.len() {
                format!("{} {}", self.village_word, stems[(k * 7 + self.name_order[0]) % stems.len()])
            } else {
                format!("{} {}", self.village_word, k - stems.len() + 1)
            }
        };
        self.out.names.push(name);
        (self.out.names.len() - 1) as u32
    }

    /// A uniform point inside the ward (area-weighted part, then rejection in the part's box).
    fn sample_point(&mut self) -> Option<[f64; 2]> {
        let total = *self.cum.last()?;
        if total <= 0.0 {
            return None;
        }
        let r = self.rng.f64() * total;
        let part = self.cum.partition_point(|&c| c <= r).min(self.cum.len() - 1);
        let b = self.ward.area.parts()[part].0;
        for _ in 0..200 {
            let (x, y) = (self.rng.range(b.min().x, b.max().x), self.rng.range(b.min().y, b.max().y));
            if self.ward.area.contains(x, y) {
                return Some([x, y]);
            }
        }
        None
    }

    /// The number of the `k`-th lot on `side` of `street` (odd numbers on one side, even on the other): mostly `2k+1+side`,
    /// but [`SPLIT_LOT_P`] of the urban lots are split from the one before them and take its number with a letter
    /// (`11A`, `11B` between 11 and 13), and in the south some of those a sub-number too (`11A/2`, `11/3`). Drawn
    /// from a hash of (seed, ward, street, lot), so the layout does not change.
    fn lot_number(&self, street: u32, side: u16, k: u32) -> Option<HouseNumber> {
        let plain = u16::try_from(2 * k + 1 + u32::from(side)).ok()?;
        let h = mix(self.suffix_seed ^ u64::from(street) << 34 ^ u64::from(k) << 1 ^ u64::from(side));
        if !self.urban || k == 0 || (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64) >= SPLIT_LOT_P {
            return HouseNumber::new(plain);
        }
        let before = plain - 2;
        let letter = b'A' + (h % 3) as u8;
        let sub = if self.south && (h >> 2).is_multiple_of(3) { 1 + ((h >> 4) % 4) as u16 } else { 0 };
        let letter = if sub > 0 && (h >> 6).is_multiple_of(2) { None } else { Some(letter) };
        HouseNumber::with_parts(before, letter, sub)
    }

    fn push(&mut self, p: [f64; 2], street: u32, house: HouseNumber, alley: u16, apartment: u16) {
        self.out.lon.push(to_e7(p[0]));
        self.out.lat.push(to_e7(p[1]));
        self.out.street.push(street);
        self.out.house.push(house);
        self.out.alley.push(alley);
        self.out.apartment.push(apartment);
    }

    fn remaining(&self, n: usize) -> usize {
        n.saturating_sub(self.out.lon.len())
    }

    /// Places one building's units at `p`.
    /// Places one building's units at `p`: in a set spread `spread` times (see [`spread`]), a sample of them.
    fn building(&mut self, n: usize, p: [f64; 2], street: u32, house: HouseNumber, alley: u16, spread: f64) {
        let roll = self.rng.f64();
        let full = if !self.urban || roll < 0.90 {
            1
        } else if roll < 0.985 {
            2 + self.rng.below(4) as usize
        } else {
            20 + self.rng.below(100) as usize
        };
        let units = ((full as f64 / spread).round() as usize).clamp(1, full).min(self.remaining(n));
        if full == 1 {
            self.push(p, street, house, alley, 0);
            return;
        }
        for u in 0..units {
            // the units drawn are spread over the whole building: flat numbers as the full set has them
            let f = u * full / units;
            let apt = if full >= 20 { (f / 8 + 1) * 100 + f % 8 + 1 } else { f + 1 };
            self.push(p, street, house, alley, apt as u16);
        }
    }

    /// Lays `n` households on streets, houses `spread` times the full set's spacing apart (see [`spread`]).
    fn run(mut self, n: usize, spread: f64) -> WardOut {
        let (base_spacing, len_range, base_alley_p) = street_plan(self.ward.kind);
        // house numbers keep the full set's positions along the street; alleys per metre of street as in the full
        // set, up to one at every other house
        let (spread_spacing, alley_p) = (base_spacing * spread, (base_alley_p * spread).min(0.5));
        // houses stand on both sides of the street's centreline (the map draws the line back from them)
        let side_off = street_half_width_m(self.ward.kind);
        let mut failures = 0;
        while self.remaining(n) > 0 && failures < 300 {
            let Some(a) = self.sample_point() else { break };
            let street = self.new_street_name();
            let before = self.out.lon.len();
            let (kx, ky) = (1.0 / (M_PER_DEG_LAT * a[1].to_radians().cos()), 1.0 / M_PER_DEG_LAT);
            let angle = self.rng.range(0.0, std::f64::consts::TAU);
            let len = self.rng.range(len_range.0, len_range.1);
            // two houses or more on each side, however far the set is spread
            let spacing = spread_spacing.min(len / 2.5).max(base_spacing);
            let (ux, uy) = (angle.cos(), angle.sin());
            for side in 0..2u16 {
                let sign = if side == 0 { 1.0 } else { -1.0 };
                let (ox, oy) = (-uy * side_off * sign, ux * side_off * sign);
                let p0 = [a[0] + ox * kx, a[1] + oy * ky];
                let p1 = [p0[0] + ux * len * kx, p0[1] + uy * len * ky];
                let mut k: u32 = 0;
                for (t0, t1) in self.ward.area.clip_segment(p0, p1) {
                    let (s0, s1) = (t0 * len + 1.0, t1 * len - 1.0);
                    let mut s = s0 + self.rng.range(0.0, spacing);
                    while s < s1 && self.remaining(n) > 0 {
                        k = k.max((s / base_spacing) as u32);
                        let Some(house) = self.lot_number(street, side, k) else { break };
                        let p = [p0[0] + ux * s * kx, p0[1] + uy * s * ky];
                        self.building(n, p, street, house, 0, spread);
                        if self.rng.chance(alley_p) {
                            let dir = [-uy * sign, ux * sign];
                            self.alley(n, p, dir, [kx, ky], street, house.number(), spread);
                        }
                        k += 1;
                        s += spacing * self.rng.range(0.7, 1.3);
                    }
                }
            }
            if self.out.lon.len() == before {
                failures += 1;
            }
        }
        // Tiny or sliver-shaped units where no street fits: scattered houses at sampled points (or the label point).
        let fallback = if self.remaining(n) > 0 { Some(self.new_street_name()) } else { None };
        let mut house: u16 = 1;
        while let Some(street) = fallback {
            if self.remaining(n) == 0 {
                break;
            }
            let p = self.sample_point().unwrap_or([self.ward.label.lon(), self.ward.label.lat()]);
            self.push(p, street, HouseNumber::new(house).unwrap_or(HouseNumber::ONE), 0, 0);
            house = house.wrapping_add(1).max(1);
        }
        self.out
    }

    /// An alley leaving the street at `p` in direction `dir` (unit vector in metres), houses numbered 1, 2, 3, …
    #[allow(clippy::too_many_arguments)]
    fn alley(&mut self, n: usize, p: [f64; 2], dir: [f64; 2], k: [f64; 2], street: u32, alley: u16, spread: f64) {
        let len = self.rng.range(30.0, 150.0);
        let start = [p[0] + dir[0] * 4.0 * k[0], p[1] + dir[1] * 4.0 * k[1]];
        let end = [start[0] + dir[0] * len * k[0], start[1] + dir[1] * len * k[1]];
        let Some(&(t0, t1)) = self.ward.area.clip_segment(start, end).first() else { return };
        if t0 > 0.0 {
            return; // the alley would start outside the ward
        }
        let mut s = 3.0;
        let mut house: u16 = 1;
        while s < t1 * len - 1.0 && self.remaining(n) > 0 {
            let q = [start[0] + dir[0] * s * k[0], start[1] + dir[1] * s * k[1]];
            self.push(q, street, HouseNumber::new(house).unwrap_or(HouseNumber::ONE), alley, 0);
            house = house.saturating_add(1);
            s += (4.0 + self.rng.range(0.0, 3.0)) * spread;
        }
    }
}

/// Generates the post-office network: at least one per ward, about [`POST_OFFICES`] in all, independent of the
/// number of households (it depends only on the seed).
#[must_use]
pub fn generate_post_offices(geo: &Geography, seed: u64) -> Vec<PostOffice> {
    let weights: Vec<f64> = geo.wards.iter().map(household_weight).collect();
    let extra = apportion(&weights, (POST_OFFICES.saturating_sub(geo.wards.len())) as u64);
    // the province's hub sits in its heaviest ward
    let mut hub_ward: HashMap<u8, usize> = HashMap::new();
    for (i, w) in geo.wards.iter().enumerate() {
        let e = hub_ward.entry(w.province).or_insert(i);
        if weights[i] > weights[*e] {
            *e = i;
        }
    }
    let per_ward: Vec<Vec<(String, PostOfficeKind, [f64; 2])>> = geo
        .wards
        .par_iter()
        .enumerate()
        .map(|(i, w)| {
            let mut g = WardGen::new(geo, w, seed ^ 0x0050_4F53_5400);
            let mut v = Vec::new();
            let count = 1 + extra[i] as usize;
            for k in 0..count {
                let p = g.sample_point().unwrap_or([w.label.lon(), w.label.lat()]);
                let (name, kind) = match k {
                    0 if hub_ward.get(&w.province) == Some(&i) => {
                        (format!("Bưu điện {}", geo.province_of(w).name), PostOfficeKind::ProvincialHub)
                    }
                    0 if w.kind == WardKind::Xa => {
                        (format!("Điểm Bưu điện - Văn hóa xã {}", w.name), PostOfficeKind::CulturalPostPoint)
                    }
                    0 => (format!("Bưu cục {}", w.name), PostOfficeKind::PostOffice),
                    1 if w.kind == WardKind::Xa => (format!("Bưu cục {}", w.name), PostOfficeKind::PostOffice),
                    _ => (format!("Bưu cục {} {}", w.name, k + 1), PostOfficeKind::ServicePoint),
                };
                v.push((name, kind, p));
            }
            v
        })
        .collect();
    per_ward
        .into_iter()
        .enumerate()
        .flat_map(|(wi, v)| v.into_iter().map(move |o| (wi, o)))
        .enumerate()
        .map(|(id, (wi, (name, kind, p)))| PostOffice {
            id: id as u32,
            name,
            kind,
            ward: WardIdx::new(wi as u16),
            lon_e7: to_e7(p[0]),
            lat_e7: to_e7(p[1]),
        })
        .collect()
}

/// Loads the geography (with an official postcode table when given) and generates the synthetic set on it.
pub fn build_dataset(
    households: u64,
    seed: u64,
    postcodes: Option<diachi_geo::geography::PostcodeTable>,
) -> Result<diachi_geo::dataset::Dataset, diachi_geo::geography::GeographyError> {
    let geography = diachi_geo::geography::Geography::load(&diachi_geo::geography::LoadOptions { postcodes })?;
    let (addresses, post_offices) = rayon::join(
        || generate_addresses(&geography, GenerateOptions { households, seed }),
        || generate_post_offices(&geography, seed),
    );
    Ok(diachi_geo::dataset::Dataset { geography, addresses, post_offices })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_smaller_set_spreads_its_houses_but_keeps_streets_worth_drawing() {
        // full scale: the national layout
        assert!((spread(5_000, 5_000, WardKind::Phuong) - 1.0).abs() < 1e-12);
        assert!((spread(9_000, 5_000, WardKind::Xa) - 1.0).abs() < 1e-12);
        // a tenth of the country: ten times the spacing
        assert!((spread(500, 5_000, WardKind::Phuong) - 10.0).abs() < 1e-9);
        // far smaller: capped so that an average street still has its houses on both sides
        for kind in [WardKind::Phuong, WardKind::Xa, WardKind::DacKhu] {
            let s = spread(1, 1_000_000, kind);
            let (spacing, (lo, hi), _) = street_plan(kind);
            assert!(s > 1.0 && ((lo + hi) / 2.0 / (spacing * s) - MIN_HOUSES_PER_SIDE).abs() < 1e-9, "{kind:?} {s}");
        }
        assert!((spread(0, 10, WardKind::Phuong) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn apportion_sums_and_is_proportional() {
        let w = [1.0, 2.0, 3.0, 0.0];
        assert_eq!(apportion(&w, 6), vec![1, 2, 3, 0]);
        assert_eq!(apportion(&w, 7).iter().sum::<u64>(), 7);
        assert_eq!(apportion(&w, 0), vec![0, 0, 0, 0]);
        assert_eq!(apportion(&[], 5), Vec::<u64>::new());
    }
}
