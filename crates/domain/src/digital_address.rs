//! Digital addresses: short, location-derived codes on a fixed national grid.
//!
//! A code names a cell of a fixed grid laid over the box longitude 100°–120° E,
//! latitude 4°–24° N (mainland Vietnam, Hoàng Sa, Trường Sa and the sea around
//! them). Because the grid depends on nothing but coordinates, a code never
//! changes when provinces, districts or wards are merged, split or renamed.
//!
//! * Every data character splits the current cell into 5 × 5 sub-cells; the
//!   symbol's value is `row * 5 + col` (row 0 = south, col 0 = west). Level `k`
//!   has `k` data characters; level 1 cells are 4° on a side, level 9 (a full
//!   code) cells are 20°/5⁹ = 1.024·10⁻⁵° ≈ 1.14 m on a side.
//! * The 25 symbols are [`ALPHABET`] (`23456789ACDEFHJKMNPRTVWXY`): no 0/O/Q,
//!   1/I/L, S, Z, B, G or U, so no symbol has a look-alike among the others.
//! * One check character follows the data characters. It is computed in the
//!   field GF(25) = GF(5)\[x\]/(x² + x + 2) with weights gⁿ⁻ⁱ of the primitive
//!   element g = x, so every single wrong character and every swap of two
//!   different characters is detected.
//! * Canonical form: groups of three, check character appended to the last
//!   group, e.g. `XXX-XXX-XXXX` for a full code, `XXX-XX` at level 4. Several
//!   delivery points in one full cell are told apart by a unit suffix `.N`
//!   (N = 2..=65535; unit 1 is the bare code).
//!
//! [`GridCell`] is a cell at any level; [`DigitalAddress`] is a full cell plus a
//! unit. Both parse leniently (case, spaces, dashes, underscores) and display
//! canonically. The full specification, with a worked example and a comparison
//! with other national systems, is in `docs/digital-address.md`.
//!
//! ```
//! use diachi_domain::{DigitalAddress, GridCell, LonLat};
//!
//! let p = LonLat::new(106.7009, 10.7769).unwrap();
//! let addr = DigitalAddress::from_lonlat(p).unwrap();
//! let text = addr.to_string();
//! assert_eq!(text.len(), 12);
//! assert_eq!(DigitalAddress::parse(&text.to_lowercase().replace('-', " ")).unwrap(), addr);
//! let district = GridCell::from_lonlat(p, 4).unwrap();
//! assert!(district.contains(&addr.cell()));
//! ```

use crate::lonlat::LonLat;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The 25 code symbols, in value order (symbol `ALPHABET[v]` has value `v`).
/// The order is also ascending ASCII, so text order equals numeric order.
pub const ALPHABET: &str = "23456789ACDEFHJKMNPRTVWXY";

/// Level of a full code: nine data characters (plus the check character).
pub const FULL_LEVEL: u8 = 9;

/// Coverage box `[min_lon, min_lat, max_lon, max_lat]`; the maxima are excluded.
pub const COVERAGE: [f64; 4] = [100.0, 4.0, 120.0, 24.0];

/// Largest unit number.
pub const MAX_UNIT: u16 = u16::MAX;

/// Inputs longer than this many bytes are rejected before looking at them.
/// The longest canonical address, `XXX-XXX-XXXX.65535`, has 18.
pub const MAX_INPUT_BYTES: usize = 64;

/// Number of level-9 grid steps along each side of the coverage box (5⁹).
const GRID_STEPS: u32 = 1_953_125;
/// Level-9 grid steps per degree (5⁹ / 20, exact in binary).
const STEPS_PER_DEG: f64 = 97_656.25;
/// Most symbols in a code: nine data characters and the check character.
const MAX_SYMBOLS: usize = FULL_LEVEL as usize + 1;

const POW5: [u32; 10] = {
    let mut t = [1u32; 10];
    let mut i = 1;
    while i < 10 {
        t[i] = t[i - 1] * 5;
        i += 1;
    }
    t
};

const POW25: [u64; 10] = {
    let mut t = [1u64; 10];
    let mut i = 1;
    while i < 10 {
        t[i] = t[i - 1] * 25;
        i += 1;
    }
    t
};

/// `LEVEL_KEY_OFFSET[k]` = 25¹ + … + 25ᵏ⁻¹: where level-`k` keys start among
/// the keys of partial cells (see [`GridCell::key`]). Entry 9 is the total.
const LEVEL_KEY_OFFSET: [u64; 10] = {
    let mut t = [0u64; 10];
    let mut k = 2;
    while k < 10 {
        t[k] = t[k - 1] + POW25[k - 1];
        k += 1;
    }
    t
};

/// ASCII byte → symbol value, `INVALID` for bytes that are not symbols.
/// Lowercase letters map like their uppercase forms.
const DECODE: [u8; 128] = {
    let mut t = [INVALID; 128];
    let a = ALPHABET.as_bytes();
    let mut v: u8 = 0;
    while (v as usize) < a.len() {
        let b = a[v as usize] as usize;
        t[b] = v;
        if a[v as usize].is_ascii_uppercase() {
            t[b + 32] = v;
        }
        v += 1;
    }
    t
};
const INVALID: u8 = u8::MAX;

// The tables above rely on these facts; a typo in ALPHABET fails the build.
const _: () = {
    let a = ALPHABET.as_bytes();
    assert!(a.len() == 25);
    let mut i = 1;
    while i < a.len() {
        assert!(a[i - 1] < a[i], "ALPHABET must be strictly ascending ASCII");
        i += 1;
    }
    assert!(POW25[9] == (GRID_STEPS as u64) * (GRID_STEPS as u64));
    assert!(POW25[9] < 1 << 42);
};

/// Arithmetic in GF(25) = GF(5)\[x\]/(x² + x + 2).
///
/// The element a₁·x + a₀ (a₀, a₁ in 0..5) is stored as the byte `5·a₁ + a₀`,
/// which is exactly the value of a code symbol. Only two small tables are used
/// at run time, both built at compile time from [`gf25::mul`]: one Horner step
/// `acc·g + d` and the final `−acc·g`.
mod gf25 {
    /// The primitive element g = x (order 24; checked in the tests).
    pub(super) const G: u8 = 5;

    /// x² ≡ −x − 2 = 4x + 3 (mod x² + x + 2, coefficients mod 5).
    const X2_COEF_X: u8 = 4;
    const X2_COEF_1: u8 = 3;

    /// Field multiplication.
    pub(super) const fn mul(a: u8, b: u8) -> u8 {
        let (a1, a0) = (a / 5, a % 5);
        let (b1, b0) = (b / 5, b % 5);
        let sq = a1 * b1; // coefficient of x²
        let c1 = (a1 * b0 + a0 * b1 + X2_COEF_X * sq) % 5;
        let c0 = (a0 * b0 + X2_COEF_1 * sq) % 5;
        c1 * 5 + c0
    }

    /// Field addition: coefficient-wise mod 5.
    pub(super) const fn add(a: u8, b: u8) -> u8 {
        ((a / 5 + b / 5) % 5) * 5 + (a % 5 + b % 5) % 5
    }

    /// Additive inverse.
    pub(super) const fn neg(a: u8) -> u8 {
        ((5 - a / 5) % 5) * 5 + (5 - a % 5) % 5
    }

    /// `HORNER[acc][d] = acc·g + d`.
    const HORNER: [[u8; 25]; 25] = {
        let mut t = [[0u8; 25]; 25];
        let mut acc = 0;
        while acc < 25 {
            let mut d = 0;
            while d < 25 {
                t[acc as usize][d as usize] = add(mul(acc, G), d);
                d += 1;
            }
            acc += 1;
        }
        t
    };

    /// `CLOSE[acc] = −acc·g`: the check symbol that makes the sum vanish.
    const CLOSE: [u8; 25] = {
        let mut t = [0u8; 25];
        let mut acc = 0;
        while acc < 25 {
            t[acc as usize] = neg(mul(acc, G));
            acc += 1;
        }
        t
    };

    /// Σ gⁿ⁻¹⁻ⁱ·sᵢ over the n given symbol values (Horner's rule).
    /// Every value must be below 25.
    pub(super) fn weighted_sum(symbols: &[u8]) -> u8 {
        symbols.iter().fold(0, |acc, &d| HORNER[usize::from(acc)][usize::from(d)])
    }

    /// The check value c for data d₀…dₙ₋₁: Σ gⁿ⁻ⁱ·dᵢ + c = 0.
    pub(super) fn check_value(data: &[u8]) -> u8 {
        CLOSE[usize::from(weighted_sum(data))]
    }

    /// Whether data characters followed by their check character sum to zero.
    pub(super) fn is_valid(symbols: &[u8]) -> bool {
        weighted_sum(symbols) == 0
    }
}

/// Why a text, a point or a number is not a code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CodeError {
    /// No code characters at all.
    #[error("empty code: expected 1 to 9 code characters and a check character")]
    Empty,
    /// Fewer than two code characters.
    #[error("code too short: a code has at least one character and a check character")]
    TooShort,
    /// More than 10 code characters.
    #[error("code too long: {len} code characters, at most 10 (9 characters and a check character)")]
    TooLong {
        /// Code characters given, check character included.
        len: usize,
    },
    /// Input longer than any digital address could be.
    #[error(
        "input too long ({bytes} bytes): a digital address has at most 18 characters, \
         like XXX-XXX-XXXX.65535"
    )]
    InputTooLong {
        /// Length of the input in bytes.
        bytes: usize,
    },
    /// A character outside the code alphabet.
    #[error(
        "invalid character {ch:?} at position {position}: codes use only the symbols \
         {ALPHABET}{}",
        lookalike_hint(*.ch)
    )]
    InvalidCharacter {
        /// The character.
        ch: char,
        /// Its position in the text, counting characters from 1.
        position: usize,
    },
    /// The check character does not match.
    #[error(
        "wrong check character: the code contains a typing error \
         (a wrong, missing, extra or swapped character)"
    )]
    InvalidCheckCharacter,
    /// The unit after '.' is not a number from 1 to 65535.
    #[error("invalid unit: after '.' write a whole number from 1 to 65535, e.g. .2")]
    InvalidUnit,
    /// A unit number after a code shorter than 10 characters.
    #[error("only a full code (10 characters) can carry a unit number")]
    UnitOnPartialCode,
    /// A unit number where a grid cell was expected.
    #[error("a grid cell carries no unit number; read the text as a digital address instead")]
    UnexpectedUnit,
    /// A shorter area code where a full digital address was expected.
    #[error(
        "a digital address needs all 9 characters and the check character; \
         this is a shorter level-{level} area code"
    )]
    IncompleteCode {
        /// Grid level of the area code given.
        level: u8,
    },
    /// A grid level outside 1 to 9.
    #[error("grid level {level} does not exist: levels are 1 to 9")]
    InvalidLevel {
        /// The level asked for.
        level: u8,
    },
    /// A point outside the coverage area.
    #[error(
        "point (lat {lat}, lon {lon}) is outside the coverage area \
         (longitude 100 to 120 E, latitude 4 to 24 N)"
    )]
    OutsideCoverage {
        /// Longitude in degrees.
        lon: f64,
        /// Latitude in degrees.
        lat: f64,
    },
}

/// Extra words for an invalid character that looks like, or was typed instead
/// of, a symbol.
fn lookalike_hint(ch: char) -> &'static str {
    match ch.to_ascii_uppercase() {
        '0' | 'O' | 'Q' => " (0, O and Q are never used because they look alike)",
        '1' | 'I' | 'L' => " (1, I and L are never used because they look alike)",
        'S' => " (S is never used because it looks like 5: did you mean 5?)",
        'Z' => " (Z is never used because it looks like 2: did you mean 2?)",
        'B' => " (B is never used because it looks like 8: did you mean 8?)",
        'G' => " (G is never used because it looks like 6: did you mean 6?)",
        'U' => " (U is never used because it looks like V: did you mean V?)",
        c if c.is_alphabetic() && !c.is_ascii() => {
            " (letters with diacritics are not used; if a Vietnamese keyboard \
             (Telex or VNI) changed what you typed, switch it off)"
        }
        _ => "",
    }
}

/// Characters that parsing skips anywhere in the text.
const fn is_separator(ch: char) -> bool {
    matches!(ch, ' ' | '\t' | '-' | '_')
}

fn symbol_value(ch: char) -> Option<u8> {
    let v = *DECODE.get(u32::from(ch) as usize)?;
    (v != INVALID).then_some(v)
}

/// A code split into its cell and its optional unit suffix (`None`: no suffix).
fn parse_text(text: &str) -> Result<(GridCell, Option<u16>), CodeError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(CodeError::InputTooLong { bytes: text.len() });
    }
    let start = text.len() - text.trim_start().len();
    let end = text.trim_end().len();
    let mut symbols = [0u8; MAX_SYMBOLS];
    let mut count = 0usize;
    let mut unit_text = None;
    for (i, (at, ch)) in text.char_indices().enumerate() {
        if at < start || at >= end || is_separator(ch) {
            continue;
        }
        if ch == '.' {
            unit_text = Some(&text[at + 1..end]);
            break;
        }
        let Some(v) = symbol_value(ch) else {
            return Err(CodeError::InvalidCharacter { ch, position: i + 1 });
        };
        if let Some(slot) = symbols.get_mut(count) {
            *slot = v;
        }
        count += 1;
    }
    match count {
        0 => return Err(CodeError::Empty),
        1 => return Err(CodeError::TooShort),
        2..=MAX_SYMBOLS => {}
        len => return Err(CodeError::TooLong { len }),
    }
    let symbols = &symbols[..count];
    if !gf25::is_valid(symbols) {
        return Err(CodeError::InvalidCheckCharacter);
    }
    let (data, level) = (&symbols[..count - 1], u8::try_from(count - 1).map_or(FULL_LEVEL, |l| l.min(FULL_LEVEL)));
    let index = data.iter().fold(0u64, |acc, &v| acc * 25 + u64::from(v));
    let cell = GridCell { level, index };
    let unit = unit_text.map(parse_unit).transpose()?;
    Ok((cell, unit))
}

/// The digits after the '.', spaces and tabs skipped; 1..=65535.
///
/// Unlike in the code part, '-' and '_' are not skipped here: `.-1` would read
/// as a negative number and `.1-2` as a range.
fn parse_unit(text: &str) -> Result<u16, CodeError> {
    let mut value = 0u32;
    let mut digits = 0usize;
    for ch in text.chars().filter(|&c| c != ' ' && c != '\t') {
        let d = ch.to_digit(10).ok_or(CodeError::InvalidUnit)?;
        value = (value * 10 + d).min(u32::from(MAX_UNIT) + 1);
        digits += 1;
    }
    match u16::try_from(value) {
        Ok(unit) if digits > 0 && unit > 0 => Ok(unit),
        _ => Err(CodeError::InvalidUnit),
    }
}

/// `floor(offset · 5⁹ / 20)` for an offset in degrees from the west or south
/// edge of the coverage box, computed exactly from the bits of the `f64`
/// (no rounding), clamped to the grid.
///
/// The caller subtracts the edge (100 or 4) from a coordinate inside the box;
/// that subtraction is exact because the edge is an integer and the result is
/// not larger than the coordinate, so codes are a pure function of the `f64`.
fn grid_steps(offset: f64) -> u32 {
    if offset.is_nan() || offset <= 0.0 {
        return 0;
    }
    let bits = offset.to_bits();
    let biased_exp = ((bits >> 52) & 0x7ff) as i32;
    if biased_exp == 0 {
        return 0; // subnormal: far below one step
    }
    // offset = mantissa · 2^exp, so steps = mantissa · 5⁸ · 2^(exp − 2).
    let mantissa = u128::from((bits & ((1 << 52) - 1)) | (1 << 52));
    let shift = 2 - (biased_exp - 1075);
    if shift <= 0 {
        return GRID_STEPS - 1; // offset ≥ 2⁵¹: far outside, clamp
    }
    let steps = (mantissa * 390_625).checked_shr(shift.unsigned_abs()).unwrap_or(0);
    u32::try_from(steps).map_or(GRID_STEPS - 1, |s| s.min(GRID_STEPS - 1))
}

/// Interleaves the `level` low base-5 digits of `x` (columns) and `y` (rows)
/// into base-25 digits `row·5 + col`, most significant first.
fn interleave(mut x: u32, mut y: u32, level: u8) -> u64 {
    let mut index = 0u64;
    let mut weight = 1u64;
    for _ in 0..level {
        index += u64::from((y % 5) * 5 + x % 5) * weight;
        weight *= 25;
        x /= 5;
        y /= 5;
    }
    index
}

/// Inverse of [`interleave`].
fn deinterleave(mut index: u64, level: u8) -> (u32, u32) {
    let (mut x, mut y) = (0u32, 0u32);
    let mut weight = 1u32;
    for _ in 0..level {
        let v = (index % 25) as u32;
        x += (v % 5) * weight;
        y += (v / 5) * weight;
        weight *= 5;
        index /= 25;
    }
    (x, y)
}

/// A cell of the national grid at level 1 (4°) to 9 (≈ 1.1 m).
///
/// Ordered by level, then by index (which is also the text order of codes of
/// one level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GridCell {
    level: u8,
    index: u64,
}

impl GridCell {
    /// The level-`level` cell containing `point`.
    ///
    /// # Errors
    /// [`CodeError::InvalidLevel`] unless `level` is 1..=9,
    /// [`CodeError::OutsideCoverage`] for a point outside [`COVERAGE`].
    pub fn from_lonlat(point: LonLat, level: u8) -> Result<Self, CodeError> {
        if !(1..=FULL_LEVEL).contains(&level) {
            return Err(CodeError::InvalidLevel { level });
        }
        let (lon, lat) = (point.lon(), point.lat());
        if !(COVERAGE[0]..COVERAGE[2]).contains(&lon) || !(COVERAGE[1]..COVERAGE[3]).contains(&lat) {
            return Err(CodeError::OutsideCoverage { lon, lat });
        }
        let drop = POW5[usize::from(FULL_LEVEL - level)];
        let x = grid_steps(lon - COVERAGE[0]) / drop;
        let y = grid_steps(lat - COVERAGE[1]) / drop;
        Ok(Self { level, index: interleave(x, y, level) })
    }

    /// The cell with this level and index (the base-25 number of its data
    /// characters), if both are in range.
    #[must_use]
    pub fn from_parts(level: u8, index: u64) -> Option<Self> {
        ((1..=FULL_LEVEL).contains(&level) && index < POW25[usize::from(level)]).then_some(Self { level, index })
    }

    /// Parses a code of any level (no unit suffix): case-insensitive; spaces,
    /// tabs, `-` and `_` are ignored; surrounding whitespace is trimmed.
    ///
    /// # Errors
    /// A [`CodeError`] saying what is wrong with the text; a unit suffix gives
    /// [`CodeError::UnitOnPartialCode`] or [`CodeError::UnexpectedUnit`].
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        match parse_text(text)? {
            (cell, None) => Ok(cell),
            (cell, Some(_)) if cell.level < FULL_LEVEL => Err(CodeError::UnitOnPartialCode),
            (_, Some(_)) => Err(CodeError::UnexpectedUnit),
        }
    }

    /// Number of data characters, 1..=9.
    #[must_use]
    pub fn level(&self) -> u8 {
        self.level
    }

    /// The data characters read as a base-25 number, `< 25^level`.
    #[must_use]
    pub fn index(&self) -> u64 {
        self.index
    }

    /// Whether this is a full (level-9) cell.
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.level == FULL_LEVEL
    }

    /// A compact key, unique over cells of all levels: the index for full
    /// cells (`< 25⁹ < 2⁴²`), and `25⁹ + 25¹ + … + 25ᵏ⁻¹ + index` for a
    /// level-`k` cell with `k < 9`. Inverse: [`GridCell::from_key`].
    #[must_use]
    pub fn key(&self) -> u64 {
        if self.is_full() { self.index } else { POW25[9] + LEVEL_KEY_OFFSET[usize::from(self.level)] + self.index }
    }

    /// The cell whose [`key`](GridCell::key) this is.
    #[must_use]
    pub fn from_key(key: u64) -> Option<Self> {
        let Some(rest) = key.checked_sub(POW25[9]) else {
            return Some(Self { level: FULL_LEVEL, index: key });
        };
        (1..FULL_LEVEL).find_map(|level| {
            let offset = LEVEL_KEY_OFFSET[usize::from(level)];
            let index = rest.checked_sub(offset)?;
            (index < POW25[usize::from(level)]).then_some(Self { level, index })
        })
    }

    /// `[min_lon, min_lat, max_lon, max_lat]` in degrees; the cell holds the
    /// points with `min ≤ coordinate < max`.
    #[must_use]
    pub fn bounds(&self) -> [f64; 4] {
        let (x, y) = self.corner_steps();
        let size = self.size_steps();
        [
            COVERAGE[0] + f64::from(x) / STEPS_PER_DEG,
            COVERAGE[1] + f64::from(y) / STEPS_PER_DEG,
            COVERAGE[0] + f64::from(x + size) / STEPS_PER_DEG,
            COVERAGE[1] + f64::from(y + size) / STEPS_PER_DEG,
        ]
    }

    /// The centre of the cell.
    #[must_use]
    pub fn center(&self) -> LonLat {
        let (x, y) = self.corner_steps();
        let size = self.size_steps();
        let lon = COVERAGE[0] + f64::from(2 * x + size) / (2.0 * STEPS_PER_DEG);
        let lat = COVERAGE[1] + f64::from(2 * y + size) / (2.0 * STEPS_PER_DEG);
        match LonLat::new(lon, lat) {
            Ok(p) => p,
            Err(_) => unreachable!("cell centres lie inside the coverage box"),
        }
    }

    /// The enclosing cell one level up, `None` at level 1.
    #[must_use]
    pub fn parent(&self) -> Option<Self> {
        self.ancestor(self.level.checked_sub(1)?)
    }

    /// The enclosing cell at `level` (the cell itself at its own level);
    /// `None` for level 0 or a level finer than this cell's.
    #[must_use]
    pub fn ancestor(&self, level: u8) -> Option<Self> {
        (1..=self.level)
            .contains(&level)
            .then(|| Self { level, index: self.index / POW25[usize::from(self.level - level)] })
    }

    /// Whether `other` lies inside this cell (a cell contains itself).
    #[must_use]
    pub fn contains(&self, other: &GridCell) -> bool {
        other.ancestor(self.level) == Some(*self)
    }

    /// The 25 cells one level down, in code order; none for a full cell.
    pub fn children(&self) -> impl Iterator<Item = GridCell> + use<> {
        let (level, base) = (self.level + 1, self.index * 25);
        let count = if self.is_full() { 0 } else { 25 };
        (0..count).map(move |v| GridCell { level, index: base + v })
    }

    /// The check character of this cell's code.
    #[must_use]
    pub fn check_char(&self) -> char {
        let (data, n) = self.data_values();
        char::from(ALPHABET.as_bytes()[usize::from(gf25::check_value(&data[..n]))])
    }

    /// The values of the data characters, most significant first.
    fn data_values(&self) -> ([u8; 9], usize) {
        let n = usize::from(self.level).min(9);
        let mut data = [0u8; 9];
        let mut index = self.index;
        for slot in data[..n].iter_mut().rev() {
            *slot = (index % 25) as u8;
            index /= 25;
        }
        (data, n)
    }

    /// Grid steps (level-9 cells) from the south-west corner of the box.
    fn corner_steps(&self) -> (u32, u32) {
        let (x, y) = deinterleave(self.index, self.level);
        let size = self.size_steps();
        (x * size, y * size)
    }

    /// Side of the cell in grid steps.
    fn size_steps(&self) -> u32 {
        POW5[usize::from(FULL_LEVEL.saturating_sub(self.level))]
    }

    /// Writes the canonical text into `buf`, returns its length (≤ 12).
    fn write_canonical(&self, buf: &mut [u8; 12]) -> usize {
        let (data, n) = self.data_values();
        let alphabet = ALPHABET.as_bytes();
        let mut len = 0;
        for (i, &v) in data[..n].iter().enumerate() {
            if i > 0 && i % 3 == 0 {
                buf[len] = b'-';
                len += 1;
            }
            buf[len] = alphabet[usize::from(v)];
            len += 1;
        }
        buf[len] = alphabet[usize::from(gf25::check_value(&data[..n]))];
        len + 1
    }
}

impl fmt::Display for GridCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 12];
        let len = self.write_canonical(&mut buf);
        f.pad(std::str::from_utf8(&buf[..len]).map_err(|_| fmt::Error)?)
    }
}

impl FromStr for GridCell {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for GridCell {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GridCell {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(CodeVisitor(GridCell::parse, "a grid code such as 4MK-7R"))
    }
}

/// A delivery point: a full (level-9) grid cell and a unit number (≥ 1).
///
/// Unit 1 is written as the bare code; units 2..=65535 as a suffix `.N`.
/// Ordered by cell, then unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DigitalAddress {
    cell: GridCell,
    unit: u16,
}

impl DigitalAddress {
    /// An address for a full cell and a unit number from 1.
    ///
    /// # Errors
    /// [`CodeError::IncompleteCode`] for a cell above level 9,
    /// [`CodeError::InvalidUnit`] for unit 0.
    pub fn new(cell: GridCell, unit: u16) -> Result<Self, CodeError> {
        if !cell.is_full() {
            return Err(CodeError::IncompleteCode { level: cell.level });
        }
        if unit == 0 {
            return Err(CodeError::InvalidUnit);
        }
        Ok(Self { cell, unit })
    }

    /// The address (unit 1) of the full cell containing `point`.
    ///
    /// # Errors
    /// [`CodeError::OutsideCoverage`] for a point outside [`COVERAGE`].
    pub fn from_lonlat(point: LonLat) -> Result<Self, CodeError> {
        Ok(Self { cell: GridCell::from_lonlat(point, FULL_LEVEL)?, unit: 1 })
    }

    /// Parses a full code with an optional unit suffix `.N`, leniently like
    /// [`GridCell::parse`] (in the suffix only spaces and tabs are ignored).
    ///
    /// # Errors
    /// A [`CodeError`] saying what is wrong with the text; a shorter code gives
    /// [`CodeError::IncompleteCode`] (or [`CodeError::UnitOnPartialCode`]).
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        let (cell, unit) = parse_text(text)?;
        if !cell.is_full() {
            return Err(match unit {
                Some(_) => CodeError::UnitOnPartialCode,
                None => CodeError::IncompleteCode { level: cell.level },
            });
        }
        Self::new(cell, unit.unwrap_or(1))
    }

    /// The same cell with another unit number (from 1).
    ///
    /// # Errors
    /// [`CodeError::InvalidUnit`] for unit 0.
    pub fn with_unit(self, unit: u16) -> Result<Self, CodeError> {
        Self::new(self.cell, unit)
    }

    /// The level-9 cell.
    #[must_use]
    pub fn cell(&self) -> GridCell {
        self.cell
    }

    /// The unit number, 1 for the bare code.
    #[must_use]
    pub fn unit(&self) -> u16 {
        self.unit
    }

    /// A compact key: `cell.index() << 16 | unit` (`< 2⁵⁸`), sorting like the
    /// addresses. Inverse: [`DigitalAddress::from_key`].
    #[must_use]
    pub fn key(&self) -> u64 {
        (self.cell.index << 16) | u64::from(self.unit)
    }

    /// The address whose [`key`](DigitalAddress::key) this is.
    #[must_use]
    pub fn from_key(key: u64) -> Option<Self> {
        let cell = GridCell::from_parts(FULL_LEVEL, key >> 16)?;
        Self::new(cell, (key & 0xffff) as u16).ok()
    }
}

impl fmt::Display for DigitalAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 18];
        let mut code = [0u8; 12];
        let mut len = self.cell.write_canonical(&mut code);
        buf[..len].copy_from_slice(&code[..len]);
        if self.unit > 1 {
            buf[len] = b'.';
            len += 1;
            let mut digits = [0u8; 5];
            let mut n = 0;
            let mut unit = self.unit;
            while unit > 0 {
                digits[n] = b'0' + (unit % 10) as u8;
                unit /= 10;
                n += 1;
            }
            for &d in digits[..n].iter().rev() {
                buf[len] = d;
                len += 1;
            }
        }
        f.pad(std::str::from_utf8(&buf[..len]).map_err(|_| fmt::Error)?)
    }
}

impl FromStr for DigitalAddress {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for DigitalAddress {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DigitalAddress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(CodeVisitor(
            DigitalAddress::parse,
            "a digital address such as 4MK-7RT-9PXH or 4MK-7RT-9PXH.2",
        ))
    }
}

/// Deserializes a code from a string with the given parser.
struct CodeVisitor<T>(fn(&str) -> Result<T, CodeError>, &'static str);

impl<T> serde::de::Visitor<'_> for CodeVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.1)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        (self.0)(v).map_err(E::custom)
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::float_cmp,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss
)]
mod tests;
