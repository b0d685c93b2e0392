//! The streets of every ward and the addresses on them, for finding the delivery point an address names: ids sorted
//! by (ward, street, alley, house, apartment), with each ward's street names keyed like the gazetteer's.

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use super::gazetteer::{StrHash, edit_distance_within, key_of, letter_mask, masks_within};
use diachi_domain::{AddressId, HouseNumber};
use diachi_geo::dataset::{AddressSet, NO_WARD};
use diachi_geo::index::NationalIndex;

/// The street-level lookup tables over the immutable address set (live changes are searched separately).
#[derive(Debug, Default)]
pub struct Streets {
    /// Per ward: (street key, street id, the key's `letter_mask`), sorted by key.
    by_ward: Vec<Vec<(Box<str>, u32, u64)>>,
    /// (ward, `StrHash` of a street key) → the range of `by_ward[ward]` with that key (checked: of two keys with the
    /// same hash it holds one, and the other is found by a binary search).
    exact: HashMap<(u16, u64), (u32, u32)>,
    /// Address ids sorted by (ward, street, alley, house, apartment).
    order: Vec<u32>,
    /// (ward, street id) → range in `order`.
    ranges: HashMap<(u16, u32), (u32, u32)>,
    /// Street key → the number of wards with a street of that key.
    wards_with: HashMap<Box<str>, u32>,
}

/// The number parts of a street address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreetNumber {
    /// House number.
    pub house: HouseNumber,
    /// 0 = on the street itself.
    pub alley: u16,
    /// 0 = the whole building.
    pub apartment: u16,
}

/// The street key: the name's key without a leading `đường`/`phố` (`Đường số 12` → `so12`).
#[must_use]
pub fn street_key(name: &str) -> String {
    let k = key_of(name);
    for lead in ["duong", "pho"] {
        if let Some(rest) = k.strip_prefix(lead)
            && rest.len() >= 2
        {
            return rest.to_owned();
        }
    }
    k
}

fn sort_key(set: &AddressSet, id: u32) -> (u16, u32, u16, HouseNumber, u16) {
    let i = id as usize;
    (set.ward[i], set.street[i], set.alley[i], set.house[i], set.apartment[i])
}

impl Streets {
    /// Builds the tables (parallel sort; about a second per 10 M addresses on two cores).
    #[must_use]
    pub fn build(set: &AddressSet, wards: usize) -> Self {
        let mut order: Vec<u32> =
            (0..set.len() as u32).into_par_iter().filter(|&i| set.ward[i as usize] != NO_WARD).collect();
        order.par_sort_by_key(|&id| sort_key(set, id));
        let mut ranges = HashMap::default();
        let mut by_ward: Vec<Vec<(Box<str>, u32, u64)>> = vec![Vec::new(); wards];
        let mut keys: HashMap<u32, Box<str>> = HashMap::default();
        let mut start = 0usize;
        for run in order.chunk_by(|&a, &b| {
            let (ka, kb) = (sort_key(set, a), sort_key(set, b));
            (ka.0, ka.1) == (kb.0, kb.1)
        }) {
            let (ward, street, ..) = sort_key(set, run[0]);
            ranges.insert((ward, street), (start as u32, (start + run.len()) as u32));
            start += run.len();
            let key = keys
                .entry(street)
                .or_insert_with(|| {
                    street_key(set.street_names.get(street as usize).map_or("", |s| &**s)).into_boxed_str()
                })
                .clone();
            if let Some(list) = by_ward.get_mut(usize::from(ward)) {
                let mask = letter_mask(&key);
                list.push((key, street, mask));
            }
        }
        let mut wards_with: HashMap<Box<str>, u32> = HashMap::default();
        let mut exact = HashMap::default();
        for (ward, list) in by_ward.iter_mut().enumerate() {
            list.sort();
            let mut start = 0;
            for run in list.chunk_by(|a, b| a.0 == b.0) {
                *wards_with.entry(run[0].0.clone()).or_default() += 1;
                exact.insert((ward as u16, StrHash::of(run[0].0.as_bytes())), (start, start + run.len() as u32));
                start += run.len() as u32;
            }
        }
        Streets { by_ward, exact, order, ranges, wards_with }
    }

    /// How much finding a street of this key in a ward says about the ward: 1 for a name that only one ward has,
    /// falling (as the information `ln(wards / wards with it)`, scaled to 0–1) to 0 for a name every ward has. The
    /// same street names recur all over the country (people, events, places), so a name alone tells little.
    #[must_use]
    pub fn specificity(&self, key: &str) -> f64 {
        let n = self.by_ward.len().max(2) as f64;
        let k = f64::from(self.wards_with.get(key).copied().unwrap_or(1).max(1));
        ((n / k).ln() / n.ln()).clamp(0.0, 1.0)
    }

    /// Bytes held.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.order.len() * 4
            + self.ranges.len() * 24
            + self.exact.len() * 24
            + self.by_ward.iter().map(|l| l.iter().map(|(k, ..)| k.len() + 32).sum::<usize>()).sum::<usize>()
            + self.wards_with.keys().map(|k| k.len() + 28).sum::<usize>()
    }

    /// The streets of `ward` keyed exactly `key`.
    fn named(&self, ward: u16, key: &str) -> &[(Box<str>, u32, u64)] {
        let Some(list) = self.by_ward.get(usize::from(ward)) else { return &[] };
        let Some(&(a, b)) = self.exact.get(&(ward, StrHash::of(key.as_bytes()))) else { return &[] };
        match list.get(a as usize..b as usize) {
            Some(run) if run.first().is_some_and(|(k, ..)| &**k == key) => run,
            // another key of the same hash (the table keeps one of the two): search by the name itself
            _ => {
                let i = list.partition_point(|(k, ..)| &**k < key);
                let n = list[i..].iter().take_while(|(k, ..)| &**k == key).count();
                &list[i..i + n]
            }
        }
    }

    /// Streets of `ward` whose key is `key` or (for keys of 5+ letters) one or two edits from it: (street id,
    /// edits). Exact matches only if there is one.
    #[must_use]
    pub fn find(&self, ward: u16, key: &str) -> Vec<(u32, usize)> {
        let Some(list) = self.by_ward.get(usize::from(ward)) else { return Vec::new() };
        let exact: Vec<(u32, usize)> = self.named(ward, key).iter().map(|&(_, id, _)| (id, 0)).collect();
        if !exact.is_empty() || key.len() < 5 {
            return exact;
        }
        let max = if key.len() >= 10 { 2 } else { 1 };
        let mut best: Vec<(u32, usize)> = Vec::new();
        let mask = letter_mask(key);
        for (k, id, m) in list {
            if !masks_within(*m, mask, max) {
                continue;
            }
            if let Some(d) = edit_distance_within(k, key, max) {
                match best.first() {
                    Some(&(_, b)) if d > b => {}
                    Some(&(_, b)) if d < b => best = vec![(*id, d)],
                    _ => best.push((*id, d)),
                }
            }
        }
        best
    }

    /// The addresses on `street` of `ward` with this house number, alley and apartment; an apartment of 0 matches
    /// every unit of the building.
    pub fn addresses(&self, ix: &NationalIndex, ward: u16, street: u32, n: StreetNumber) -> Vec<AddressId> {
        let set = &ix.data.addresses;
        let mut out = Vec::new();
        if let Some(&(a, b)) = self.ranges.get(&(ward, street)) {
            let slice = &self.order[a as usize..b as usize];
            let key = |id: u32| {
                let (.., alley, house, apt) = sort_key(set, id);
                (alley, house, apt)
            };
            let from = slice.partition_point(|&id| key(id) < (n.alley, n.house, n.apartment));
            for &id in &slice[from..] {
                let (alley, house, apt) = key(id);
                if (alley, house) != (n.alley, n.house) || (n.apartment != 0 && apt != n.apartment) {
                    break;
                }
                out.push(AddressId::new(id));
            }
        }
        // live changes: drop changed or deleted ids, add matching current records
        let live = ix.overlay();
        if !live.is_empty() {
            out.retain(|&id| live.get(id).is_none());
            let name = set.street_names.get(street as usize).map_or("", |s| &**s);
            for (id, r) in live.changes() {
                if let Some(r) = r
                    && r.ward.get() == ward
                    && r.house == n.house
                    && r.alley == n.alley
                    && (n.apartment == 0 || r.apartment == n.apartment)
                    && &*r.street == name
                {
                    out.push(id);
                }
            }
        }
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// An address set of house 1 at one point for each (ward, street).
    fn addresses(street_names: Vec<Box<str>>, at: &[(u16, u32)]) -> AddressSet {
        let mut a = AddressSet { street_names, ..AddressSet::default() };
        for &(ward, street) in at {
            a.lon_e7.push(1_060_000_000);
            a.lat_e7.push(210_000_000);
            a.ward.push(ward);
            a.street.push(street);
            a.house.push(HouseNumber::ONE);
            a.alley.push(0);
            a.apartment.push(0);
            a.da_unit.push(1);
        }
        a
    }

    #[test]
    fn two_street_keys_of_the_same_hash_are_both_found() {
        // Thue–Morse strings of 2,048 letters and their complements have the same polynomial hash mod 2^64
        let tm: String = (0..2048u32).map(|i| if i.count_ones() % 2 == 0 { 'a' } else { 'b' }).collect();
        let other: String = tm.chars().map(|c| if c == 'a' { 'b' } else { 'a' }).collect();
        assert_eq!(StrHash::of(tm.as_bytes()), StrHash::of(other.as_bytes()));
        let a = addresses(vec![tm.clone().into(), other.clone().into()], &[(0, 0), (0, 1)]);
        let s = Streets::build(&a, 1);
        for (name, id) in [(&tm, 0), (&other, 1)] {
            let found: Vec<u32> = s.named(0, &street_key(name)).iter().map(|e| e.1).collect();
            assert_eq!(found, vec![id]);
            assert_eq!(s.find(0, &street_key(name)), vec![(id, 0)]);
        }
    }

    #[test]
    fn a_street_name_that_many_wards_have_says_less_about_the_ward() {
        let a = addresses(vec!["Lê Lợi".into(), "Phố Hai Bà Trưng".into()], &[(0, 0), (1, 0), (2, 0), (3, 1), (3, 1)]);
        let s = Streets::build(&a, 10);
        let (rare, common) = (s.specificity(&street_key("Hai Bà Trưng")), s.specificity(&street_key("Lê Lợi")));
        assert!((rare - 1.0).abs() < 1e-12, "{rare}");
        assert!(common > 0.0 && common < rare, "{common}");
        // ln(10 / 3) / ln(10)
        assert!((common - (10f64 / 3.0).ln() / 10f64.ln()).abs() < 1e-12, "{common}");
        assert!((s.specificity("khongco") - 1.0).abs() < 1e-12);
    }
}
