//! Every administrative name a Vietnamese address may carry: the 34 provinces and 3,321 wards of today's map and the
//! 63 provinces, 696 districts and 10,036 wards before the 2025 reform (from the old→new mapping), with common
//! aliases. Names are keyed folded and without spaces (`Bến Nghé` → `bennghe`), so spacing, case and diacritics do
//! not matter; a symmetric-deletion index finds names one edit away.

use rustc_hash::FxHashMap;
use std::collections::HashMap;

use super::text::fold;
use diachi_geo::geography::{Geography, WardKind};

/// The type word written before a unit's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnitKind {
    /// `Phường`, urban ward.
    Phuong,
    /// `Xã`, rural commune.
    Xa,
    /// `Thị trấn`, township (before 2025).
    ThiTran,
    /// `Đặc khu`, special (island) zone.
    DacKhu,
    /// `Quận`, urban district (before 2025).
    Quan,
    /// `Huyện`, rural district (before 2025).
    Huyen,
    /// `Thị xã`, town (before 2025).
    ThiXa,
    /// `Thành phố`, city (a province or, before 2025, a district).
    ThanhPho,
    /// `Tỉnh`, province.
    Tinh,
}

/// Levels of the administrative hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Ward, commune or special zone.
    Ward,
    /// District (before 2025).
    District,
    /// Province or city.
    Province,
}

impl UnitKind {
    /// The levels a unit of this kind can be (a `thành phố` is a province or a district).
    #[must_use]
    pub fn is_level(self, level: Level) -> bool {
        match self {
            Self::Phuong | Self::Xa | Self::ThiTran | Self::DacKhu => level == Level::Ward,
            Self::Quan | Self::Huyen | Self::ThiXa => level == Level::District,
            Self::ThanhPho => level != Level::Ward,
            Self::Tinh => level == Level::Province,
        }
    }

    /// The type word in Vietnamese.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Phuong => "Phường",
            Self::Xa => "Xã",
            Self::ThiTran => "Thị trấn",
            Self::DacKhu => "Đặc khu",
            Self::Quan => "Quận",
            Self::Huyen => "Huyện",
            Self::ThiXa => "Thị xã",
            Self::ThanhPho => "Thành phố",
            Self::Tinh => "Tỉnh",
        }
    }

    fn of_ward(kind: WardKind) -> Self {
        match kind {
            WardKind::Phuong => Self::Phuong,
            WardKind::Xa => Self::Xa,
            WardKind::DacKhu => Self::DacKhu,
        }
    }

    /// Splits `Phường Bến Nghé` into its kind and bare name.
    fn split(full: &str) -> (Option<Self>, &str) {
        const WORDS: [(&str, UnitKind); 9] = [
            ("Phường ", UnitKind::Phuong),
            ("Xã ", UnitKind::Xa),
            ("Thị trấn ", UnitKind::ThiTran),
            ("Đặc khu ", UnitKind::DacKhu),
            ("Quận ", UnitKind::Quan),
            ("Huyện ", UnitKind::Huyen),
            ("Thị xã ", UnitKind::ThiXa),
            ("Thành phố ", UnitKind::ThanhPho),
            ("Tỉnh ", UnitKind::Tinh),
        ];
        for (w, k) in WORDS {
            if let Some(rest) = full.strip_prefix(w) {
                return (Some(k), rest);
            }
        }
        (None, full)
    }
}

/// Type words as folded token sequences, longest first. Single letters are the abbreviations on envelopes and ID
/// cards (`P.`, `Q.`, `F` for phường in Saigon).
pub const PREFIXES: &[(&[&str], UnitKind)] = &[
    (&["thi", "tran"], UnitKind::ThiTran),
    (&["thi", "xa"], UnitKind::ThiXa),
    (&["thanh", "pho"], UnitKind::ThanhPho),
    (&["dac", "khu"], UnitKind::DacKhu),
    (&["t", "tran"], UnitKind::ThiTran),
    (&["t", "x"], UnitKind::ThiXa),
    (&["t", "p"], UnitKind::ThanhPho),
    (&["phuong"], UnitKind::Phuong),
    (&["p"], UnitKind::Phuong),
    (&["f"], UnitKind::Phuong),
    (&["ph"], UnitKind::Phuong),
    (&["xa"], UnitKind::Xa),
    (&["x"], UnitKind::Xa),
    (&["tt"], UnitKind::ThiTran),
    (&["ttr"], UnitKind::ThiTran),
    (&["dk"], UnitKind::DacKhu),
    (&["quan"], UnitKind::Quan),
    (&["q"], UnitKind::Quan),
    (&["huyen"], UnitKind::Huyen),
    (&["h"], UnitKind::Huyen),
    (&["tx"], UnitKind::ThiXa),
    (&["tp"], UnitKind::ThanhPho),
    (&["thanhpho"], UnitKind::ThanhPho),
    (&["tinh"], UnitKind::Tinh),
    (&["t"], UnitKind::Tinh),
];

/// Common short forms of province names, as (alias, the province's name folded).
const PROVINCE_ALIASES: &[(&str, &str)] = &[
    ("hcm", "ho chi minh"),
    ("tphcm", "ho chi minh"),
    ("hochiminhcity", "ho chi minh"),
    ("hcmc", "ho chi minh"),
    ("sg", "ho chi minh"),
    ("saigon", "ho chi minh"),
    ("hn", "ha noi"),
    ("hanoi", "ha noi"),
    ("hp", "hai phong"),
    ("tth", "thua thien hue"),
    ("brvt", "ba ria vung tau"),
    ("vungtau", "ba ria vung tau"),
    ("daklak", "dak lak"),
    ("daclac", "dak lak"),
    ("daknong", "dak nong"),
];

/// An old (pre-2025) province.
#[derive(Debug, Clone)]
pub struct OldProvince {
    /// Its 2-digit code.
    pub code: String,
    /// Full name, `Tỉnh Hà Giang`.
    pub name: String,
    /// Index of the province it is part of today.
    pub new_province: u8,
}

/// An old district (the level abolished in 2025).
#[derive(Debug, Clone)]
pub struct OldDistrict {
    /// Its code.
    pub code: String,
    /// Its full name.
    pub name: String,
    /// Index into [`Gazetteer::old_provinces`].
    pub old_province: u8,
    /// Index of the province it is part of today.
    pub new_province: u8,
}

/// An old ward and the new ward(s) its area went to.
#[derive(Debug, Clone)]
pub struct OldWard {
    /// Its code.
    pub code: String,
    /// Its full name.
    pub name: String,
    /// Index into [`Gazetteer::districts`].
    pub district: u16,
    /// New wards (indexes into `Geography::wards`); the official default first.
    pub targets: Vec<u16>,
}

/// What a name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// A province of today, named by its current name (`old` none) or by the old province it absorbed.
    Province {
        /// Index into `Geography::provinces`.
        new: u8,
        /// Index into [`Gazetteer::old_provinces`]; `None` when named by its current name.
        old: Option<u8>,
    },
    /// An old district: index into [`Gazetteer::districts`].
    District(u16),
    /// A ward of today: index into `Geography::wards`.
    NewWard(u16),
    /// An old ward: index into [`Gazetteer::old_wards`].
    OldWard(u32),
}

impl Unit {
    /// The level of the unit.
    #[must_use]
    pub fn level(self) -> Level {
        match self {
            Self::Province { .. } => Level::Province,
            Self::District(_) => Level::District,
            Self::NewWard(_) | Self::OldWard(_) => Level::Ward,
        }
    }
}

/// One name of one unit.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The unit named.
    pub unit: Unit,
    /// The type word that goes with the name.
    pub kind: UnitKind,
    /// Numbers and names of one or two letters mean nothing without their type word (`Phường 1`).
    pub needs_prefix: bool,
    /// An alias (`HCM`, `SG`) rather than the name.
    pub alias: bool,
}

/// The names, their units and the lookup tables.
#[derive(Debug)]
pub struct Gazetteer {
    /// The old provinces.
    pub old_provinces: Vec<OldProvince>,
    /// The old districts.
    pub districts: Vec<OldDistrict>,
    /// The old wards.
    pub old_wards: Vec<OldWard>,
    keys: Vec<String>,
    entries: Vec<Vec<Entry>>,
    // Fx hashing (keys are short, the maps hot): their keys come from the register, not from callers, whose text is
    // only looked up, so a caller cannot fill a bucket.
    by_key: FxHashMap<String, u32>,
    /// The keys of names with one letter dropped, and the names' own keys (down to one letter shorter than a key
    /// looked up one edit away can be), each to the names; keyed by [`StrHash`] of the string, not the string: a
    /// collision only adds a name that the edit distance then rules out, and every deletion's hash comes in O(1).
    deletions: FxHashMap<u64, Vec<u32>>,
    /// Length of the longest key: a longer key by two or more letters is no name one edit away.
    longest: usize,
    /// Old wards that went to each new ward.
    pub sources: Vec<Vec<u32>>,
}

/// The key of a name: folded, only letters and digits, numbers without leading zeros.
#[must_use]
pub fn key_of(name: &str) -> String {
    let k: String = fold(name).chars().filter(char::is_ascii_alphanumeric).collect();
    if k.bytes().all(|b| b.is_ascii_digit()) && !k.is_empty() {
        let t = k.trim_start_matches('0');
        return if t.is_empty() { "0".to_owned() } else { t.to_owned() };
    }
    k
}

/// Keys at least this long are also found one edit away (the resolver asks for four-letter keys only when they are
/// written as two words or after a type word: `Bn Hồ` for `Bản Hồ`, `X. Pa Ủủ`).
pub const FUZZY_MIN_LEN: usize = 4;

/// Polynomial hashes (mod 2^64) of a byte string and of each of its deletions of one byte, each in O(1) after an
/// O(n) pass: `H(s) = Σ s[i]·B^(n-1-i)`, and dropping byte `i` gives `H(s[..i])·B^(n-1-i) + H(s[i+1..])`.
pub(crate) struct StrHash;

impl StrHash {
    const B: u64 = 0x100_0000_01b3;

    pub(crate) fn of(s: &[u8]) -> u64 {
        s.iter().fold(0u64, |h, &c| h.wrapping_mul(Self::B).wrapping_add(u64::from(c)))
    }

    /// Calls `f` with the hash of `s` with byte `i` dropped, for every `i` (`s` up to 64 bytes; longer: none).
    fn deletions(s: &[u8], mut f: impl FnMut(u64)) {
        const MAX: usize = 64;
        let n = s.len();
        if n > MAX {
            return;
        }
        // suffix[i] = H(s[i..]), pow[m] = B^m
        let (mut suffix, mut pow) = ([0u64; MAX + 1], [1u64; MAX + 1]);
        for i in (0..n).rev() {
            pow[n - i] = pow[n - i - 1].wrapping_mul(Self::B);
            suffix[i] = u64::from(s[i]).wrapping_mul(pow[n - i - 1]).wrapping_add(suffix[i + 1]);
        }
        let mut prefix = 0u64;
        for i in 0..n {
            f(prefix.wrapping_mul(pow[n - 1 - i]).wrapping_add(suffix[i + 1]));
            prefix = prefix.wrapping_mul(Self::B).wrapping_add(u64::from(s[i]));
        }
    }
}

/// Optimal string alignment distance, stopping early above `max`.
#[must_use]
pub fn edit_distance_within(a: &str, b: &str, max: usize) -> Option<usize> {
    // three rows on the stack for the keys of names (a few dozen letters); longer ones get them on the heap
    const ON_STACK: usize = 48;
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    if max <= 1 {
        return within_one(a, b).filter(|&d| d <= max);
    }
    if b.len() < ON_STACK {
        let mut rows = [[0usize; ON_STACK]; 3];
        let [r0, r1, r2] = &mut rows;
        edit_distance_in(a, b, max, [&mut r0[..], &mut r1[..], &mut r2[..]])
    } else {
        let mut rows = vec![vec![0usize; b.len() + 1]; 3];
        let [r0, r1, r2] = &mut rows[..] else { return None };
        edit_distance_in(a, b, max, [r0, r1, r2])
    }
}

/// The optimal-string-alignment distance of `a` and `b` if at most 1, in one pass without a table: after their
/// common start, the rest agrees but for one letter changed, dropped, added, or two neighbours swapped.
fn within_one(a: &[u8], b: &[u8]) -> Option<usize> {
    let p = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[p..], &b[p..]);
    let one = match (ra.len(), rb.len()) {
        (0, 0) => return Some(0),
        (x, y) if x == y => ra[1..] == rb[1..] || (x >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..]),
        (x, y) if x == y + 1 => ra[1..] == *rb,
        (x, y) if x + 1 == y => *ra == rb[1..],
        _ => false,
    };
    one.then_some(1)
}

/// The optimal-string-alignment distance of `a` and `b` if at most `max`, in three rows of at least `b.len() + 1`.
fn edit_distance_in(a: &[u8], b: &[u8], max: usize, [prev2, prev, cur]: [&mut [usize]; 3]) -> Option<usize> {
    let n = b.len();
    let (mut prev2, mut prev, mut cur) = (prev2, prev, cur);
    for (j, v) in prev[..=n].iter_mut().enumerate() {
        *v = j;
    }
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=n {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
        (prev2, prev, cur) = (prev, cur, prev2);
    }
    (prev[n] <= max).then_some(prev[n])
}

/// The letters and digits a key holds, one bit each: two keys `d` edits apart differ in at most `2 d` of them, and
/// each side has at most `d` the other lacks (an edit removes at most one and adds at most one).
#[must_use]
pub fn letter_mask(key: &str) -> u64 {
    key.bytes().fold(0, |m, c| {
        m | match c {
            b'a'..=b'z' => 1 << (c - b'a'),
            b'0'..=b'9' => 1 << (26 + c - b'0'),
            _ => 1 << 63,
        }
    })
}

/// Whether keys with these masks can be at most `max` edits apart (a cheap test before `edit_distance_within`).
#[must_use]
pub fn masks_within(a: u64, b: u64, max: usize) -> bool {
    (a & !b).count_ones() as usize <= max && (b & !a).count_ones() as usize <= max
}

impl Gazetteer {
    /// Builds the tables from the geography and its old→new mapping.
    #[must_use]
    pub fn build(geo: &Geography) -> Self {
        let mut g = Gazetteer {
            old_provinces: Vec::new(),
            districts: Vec::new(),
            old_wards: Vec::new(),
            keys: Vec::new(),
            entries: Vec::new(),
            by_key: FxHashMap::default(),
            deletions: FxHashMap::default(),
            longest: 0,
            sources: vec![Vec::new(); geo.wards.len()],
        };
        let province_by_code: HashMap<&str, u8> =
            geo.provinces.iter().enumerate().map(|(i, p)| (p.code.as_str(), i as u8)).collect();
        for (i, p) in geo.provinces.iter().enumerate() {
            let kind = if p.kind.contains("thành phố") { UnitKind::ThanhPho } else { UnitKind::Tinh };
            let unit = Unit::Province { new: i as u8, old: None };
            g.add(&p.name, unit, kind, false);
            g.add(&p.name_en, unit, kind, true);
        }
        for (i, w) in geo.wards.iter().enumerate() {
            g.add(&w.name, Unit::NewWard(i as u16), UnitKind::of_ward(w.kind), false);
        }
        let mut old_province_ix: HashMap<String, u8> = HashMap::new();
        let mut district_ix: HashMap<String, u16> = HashMap::new();
        let mut ward_ix: HashMap<String, u32> = HashMap::new();
        for row in &geo.mapping {
            let Some(&new_province) = province_by_code.get(row.new_province_code.as_str()) else { continue };
            let Some(new_ward) =
                diachi_domain::WardCode::parse(&row.new_ward_code).ok().and_then(|c| geo.ward(c)).map(|(w, _)| w.get())
            else {
                continue;
            };
            let op = *old_province_ix.entry(row.old_province_code.clone()).or_insert_with(|| {
                g.old_provinces.push(OldProvince {
                    code: row.old_province_code.clone(),
                    name: row.old_province_name.clone(),
                    new_province,
                });
                (g.old_provinces.len() - 1) as u8
            });
            let d = *district_ix.entry(row.old_district_code.clone()).or_insert_with(|| {
                g.districts.push(OldDistrict {
                    code: row.old_district_code.clone(),
                    name: row.old_district_name.clone(),
                    old_province: op,
                    new_province,
                });
                (g.districts.len() - 1) as u16
            });
            let w = *ward_ix.entry(row.old_ward_code.clone()).or_insert_with(|| {
                g.old_wards.push(OldWard {
                    code: row.old_ward_code.clone(),
                    name: row.old_ward_name.clone(),
                    district: d,
                    targets: Vec::new(),
                });
                (g.old_wards.len() - 1) as u32
            });
            let targets = &mut g.old_wards[w as usize].targets;
            if !targets.contains(&new_ward) {
                if row.is_default_new_ward == 1 { targets.insert(0, new_ward) } else { targets.push(new_ward) }
            }
            let sources = &mut g.sources[usize::from(new_ward)];
            if !sources.contains(&w) {
                sources.push(w);
            }
        }
        for i in 0..g.old_provinces.len() {
            let (kind, name) = UnitKind::split(&g.old_provinces[i].name);
            let (name, kind) = (name.to_owned(), kind.unwrap_or(UnitKind::Tinh));
            let unit = Unit::Province { new: g.old_provinces[i].new_province, old: Some(i as u8) };
            g.add(&name, unit, kind, false);
        }
        for i in 0..g.districts.len() {
            let (kind, name) = UnitKind::split(&g.districts[i].name);
            let name = name.to_owned();
            g.add(&name, Unit::District(i as u16), kind.unwrap_or(UnitKind::Huyen), false);
        }
        for i in 0..g.old_wards.len() {
            let (kind, name) = UnitKind::split(&g.old_wards[i].name);
            let name = name.to_owned();
            g.add(&name, Unit::OldWard(i as u32), kind.unwrap_or(UnitKind::Xa), false);
        }
        for (alias, target) in PROVINCE_ALIASES {
            let target_key = key_of(target);
            let units: Vec<(Unit, UnitKind)> = g
                .lookup(&target_key)
                .iter()
                .filter(|e| e.unit.level() == Level::Province && !e.alias)
                .map(|e| (e.unit, e.kind))
                .collect();
            for (unit, kind) in units {
                g.add(alias, unit, kind, true);
            }
        }
        g.index_deletions();
        g
    }

    fn add(&mut self, name: &str, unit: Unit, kind: UnitKind, alias: bool) {
        let key = key_of(name);
        if key.is_empty() {
            return;
        }
        let needs_prefix = !alias && (key.len() <= 2 || key.bytes().all(|b| b.is_ascii_digit()));
        let next = self.keys.len() as u32;
        let id = *self.by_key.entry(key).or_insert_with_key(|key| {
            self.keys.push(key.clone());
            self.entries.push(Vec::new());
            next
        });
        let list = &mut self.entries[id as usize];
        if !list.iter().any(|e| e.unit == unit) {
            list.push(Entry { unit, kind, needs_prefix, alias });
        }
    }

    /// The units named exactly `key`.
    #[must_use]
    pub fn lookup(&self, key: &str) -> &[Entry] {
        self.by_key.get(key).map_or(&[], |&id| self.entries[id as usize].as_slice())
    }

    /// Fills `deletions` and `longest` from `keys`.
    fn index_deletions(&mut self) {
        self.longest = self.keys.iter().map(String::len).max().unwrap_or(0);
        for (id, key) in self.keys.iter().enumerate() {
            // a name under its own key too, so that one look-up of a string finds both kinds (`lookup_fuzzy`)
            if key.len() + 1 >= FUZZY_MIN_LEN {
                self.deletions.entry(StrHash::of(key.as_bytes())).or_default().push(id as u32);
            }
            if key.len() >= FUZZY_MIN_LEN {
                StrHash::deletions(key.as_bytes(), |d| self.deletions.entry(d).or_default().push(id as u32));
            }
        }
    }

    /// Names one edit (insertion, deletion, substitution or swap of neighbours) from `key`, with their keys.
    pub fn lookup_fuzzy(&self, key: &str, mut f: impl FnMut(&str, &[Entry])) {
        if key.len() < FUZZY_MIN_LEN || key.len() > self.longest + 1 || !key.is_ascii() {
            return;
        }
        let mut seen: Vec<u32> = Vec::new();
        let mut consider = |id: u32, seen: &mut Vec<u32>| {
            if seen.contains(&id) {
                return;
            }
            seen.push(id);
            let k = &self.keys[id as usize];
            if k != key && edit_distance_within(k, key, 1).is_some() {
                f(k, &self.entries[id as usize]);
            }
        };
        // the key with one letter dropped is a name (an extra letter was typed), or both with one letter dropped agree
        // (a wrong letter, or two letters swapped): `deletions` holds the names and their deletions
        // dropping either of two equal neighbours gives the same string: it is looked up once
        let mut last = None;
        StrHash::deletions(key.as_bytes(), |d| {
            if last.replace(d) == Some(d) {
                return;
            }
            if let Some(ids) = self.deletions.get(&d) {
                for &id in ids {
                    consider(id, &mut seen);
                }
            }
        });
        // a name with one letter dropped is the key (a letter was left out)
        if let Some(ids) = self.deletions.get(&StrHash::of(key.as_bytes())) {
            for &id in ids {
                consider(id, &mut seen);
            }
        }
    }

    /// The old wards that went to new ward `ward`.
    #[must_use]
    pub fn sources_of(&self, ward: u16) -> &[u32] {
        self.sources.get(usize::from(ward)).map_or(&[], Vec::as_slice)
    }

    /// The bare name of an old unit's full name (`Quận Ba Đình` → `Ba Đình`) and its kind.
    #[must_use]
    pub fn split_name(full: &str) -> (Option<UnitKind>, &str) {
        UnitKind::split(full)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deletions_hash_is_the_hash_of_the_string_without_that_letter() {
        for s in ["", "a", "bennghe", "lythuongkiet", &"xyz".repeat(21)] {
            let mut got = Vec::new();
            StrHash::deletions(s.as_bytes(), |h| got.push(h));
            let want: Vec<u64> =
                (0..s.len()).map(|i| StrHash::of(format!("{}{}", &s[..i], &s[i + 1..]).as_bytes())).collect();
            assert_eq!(got, want, "{s}");
        }
    }

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        assert_eq!(edit_distance_within("bennghe", "bennghe", 1), Some(0));
        assert_eq!(edit_distance_within("bennghe", "benngeh", 1), Some(1));
        assert_eq!(edit_distance_within("bennghe", "bnnghe", 1), Some(1));
        assert_eq!(edit_distance_within("bennghe", "bxnnghx", 1), None);
        assert_eq!(edit_distance_within("abc", "abcdef", 2), None);
        let long = "a".repeat(60);
        assert_eq!(edit_distance_within(&long, &format!("{long}b"), 1), Some(1));
        assert_eq!(edit_distance_within(&long, &"b".repeat(60), 2), None);
        for (a, b) in [("bennghe", "benngeh"), ("bennghe", "bnnghe"), ("lythuongkiet", "lythuongkit"), ("tay", "tayy")]
        {
            let d = edit_distance_within(a, b, 2).unwrap();
            assert!(masks_within(letter_mask(a), letter_mask(b), d), "{a} {b}");
        }
        assert!(!masks_within(letter_mask("bennghe"), letter_mask("xyz"), 2));
    }

    #[test]
    fn the_one_edit_shortcut_agrees_with_the_full_table_on_every_pair_of_short_strings() {
        let mut all = vec![String::new()];
        for len in 1..=4 {
            let prev: Vec<String> = all.iter().filter(|s| s.len() == len - 1).cloned().collect();
            all.extend(prev.iter().flat_map(|s| ["a", "b", "c"].map(|c| format!("{s}{c}"))));
        }
        for a in &all {
            for b in &all {
                let (x, y) = (a.as_bytes(), b.as_bytes());
                let mut rows = [[0usize; 8]; 3];
                let [r0, r1, r2] = &mut rows;
                let full = if x.len().abs_diff(y.len()) > 1 { None } else { edit_distance_in(x, y, 1, [r0, r1, r2]) };
                assert_eq!(edit_distance_within(a, b, 1), full, "{a:?} {b:?}");
                assert_eq!(edit_distance_within(a, b, 0), full.filter(|&d| d == 0), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn keys_ignore_case_marks_spaces_and_leading_zeros() {
        assert_eq!(key_of("Bến Nghé"), "bennghe");
        assert_eq!(key_of("Ea H'leo"), "eahleo");
        assert_eq!(key_of("01"), "1");
        assert_eq!(key_of("Bà Rịa - Vũng Tàu"), "bariavungtau");
    }
}
