//! House numbers as Vietnam writes them on the door: `12`, `12A`, `110B`, `38B/2`, `45/12`.
//!
//! A number (1–65,535), then an optional letter (a lot split from the one before: `12A` stands between `12` and `14`),
//! then an optional sub-number after a slash (`38B/2`, a lot split again). An alley is not part of the house number:
//! `Ngõ 45` is the address's alley, and the house in it has a number of its own.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The largest sub-number after the slash (`12/2047`).
pub const MAX_SUB: u16 = 2047;

/// Why a string is not a house number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a house number is a number from 1 to 65535, then optionally one letter and a slash with a number from 1 to {MAX_SUB} \
     (12, 12A, 38B/2), not {0:?}"
)]
pub struct HouseNumberError(pub String);

/// A house number: number, letter, sub-number, packed so that the natural order (`12` < `12/1` < `12A` < `13`) is the
/// order of the packed value. Cannot hold number 0, a letter other than A–Z, or a sub-number above [`MAX_SUB`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HouseNumber(u32);

impl HouseNumber {
    /// Number 1 (a placeholder where a column needs a value).
    pub const ONE: Self = Self(1 << 16);

    /// A plain number (`12`); `None` for 0.
    #[must_use]
    pub fn new(number: u16) -> Option<Self> {
        (number > 0).then(|| Self(u32::from(number) << 16))
    }

    /// A number with a letter (`b'A'`..=`b'Z'`, or lower case) and a sub-number (0 = none).
    #[must_use]
    pub fn with_parts(number: u16, letter: Option<u8>, sub: u16) -> Option<Self> {
        let letter = match letter.map(|l| l.to_ascii_uppercase()) {
            None => 0,
            Some(l @ b'A'..=b'Z') => u32::from(l - b'A' + 1),
            Some(_) => return None,
        };
        if number == 0 || sub > MAX_SUB {
            return None;
        }
        Some(Self(u32::from(number) << 16 | letter << 11 | u32::from(sub)))
    }

    /// The number (`38` of `38B/2`).
    #[must_use]
    pub fn number(self) -> u16 {
        (self.0 >> 16) as u16
    }

    /// The letter in upper case (`B` of `38B/2`).
    #[must_use]
    pub fn letter(self) -> Option<char> {
        let l = (self.0 >> 11) & 0x1f;
        (l > 0).then(|| char::from(b'A' + l as u8 - 1))
    }

    /// The sub-number after the slash (`2` of `38B/2`); 0 = none.
    #[must_use]
    pub fn sub(self) -> u16 {
        (self.0 & 0x7ff) as u16
    }

    /// Whether it is a bare number (no letter, no slash).
    #[must_use]
    pub fn is_plain(self) -> bool {
        self.0.trailing_zeros() >= 16
    }

    /// What follows the number: `B/2`, `A`, `/3` or empty (how the database stores it beside the number).
    #[must_use]
    pub fn suffix(self) -> String {
        let mut s = String::new();
        if let Some(l) = self.letter() {
            s.push(l);
        }
        if self.sub() > 0 {
            s.push('/');
            s.push_str(&self.sub().to_string());
        }
        s
    }

    /// A bare number given as an integer (`12`), as older clients send it.
    pub fn from_int(v: i64) -> Result<Self, HouseNumberError> {
        u16::try_from(v).ok().and_then(Self::new).ok_or_else(|| HouseNumberError(v.to_string()))
    }

    /// The number and its suffix as stored apart (`38` and `B/2`).
    pub fn from_number_and_suffix(number: u16, suffix: &str) -> Result<Self, HouseNumberError> {
        Self::parse(&format!("{number}{suffix}"))
    }

    /// The packed value (for compact columns); [`HouseNumber::from_packed`] reads it back.
    #[must_use]
    pub fn packed(self) -> u32 {
        self.0
    }

    /// A packed value written by [`HouseNumber::packed`]; `None` if it is not one.
    #[must_use]
    pub fn from_packed(v: u32) -> Option<Self> {
        let (letter, sub) = ((v >> 11) & 0x1f, (v & 0x7ff) as u16);
        (v >> 16 > 0 && letter <= 26 && sub <= MAX_SUB).then_some(Self(v))
    }

    /// Parses `12`, `12A`, `110b`, `38B/2`, `12/3` (surrounding whitespace ignored, the letter in either case).
    pub fn parse(s: &str) -> Result<Self, HouseNumberError> {
        let err = || HouseNumberError(s.to_owned());
        let t = s.trim();
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        let number: u16 = t.get(..digits).and_then(|d| d.parse().ok()).ok_or_else(err)?;
        let rest = &t[digits..];
        let (letter, rest) = match rest.as_bytes().first() {
            Some(l) if l.is_ascii_alphabetic() => (Some(*l), &rest[1..]),
            _ => (None, rest),
        };
        let sub = match rest.strip_prefix('/') {
            None if rest.is_empty() => 0,
            Some(d) if !d.is_empty() && d.len() <= 4 && d.bytes().all(|b| b.is_ascii_digit()) => {
                d.parse::<u16>().ok().filter(|&v| v > 0).ok_or_else(err)?
            }
            _ => return Err(err()),
        };
        Self::with_parts(number, letter, sub).ok_or_else(err)
    }
}

impl fmt::Display for HouseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.number())?;
        if let Some(l) = self.letter() {
            write!(f, "{l}")?;
        }
        if self.sub() > 0 {
            write!(f, "/{}", self.sub())?;
        }
        Ok(())
    }
}

impl FromStr for HouseNumber {
    type Err = HouseNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for HouseNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Read from a string (`"12A"`) or, as older clients send it, a bare integer (`12`).
impl<'de> Deserialize<'de> for HouseNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(v) => Self::from_int(v).map_err(serde::de::Error::custom),
            Raw::Text(t) => Self::parse(&t).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_forms_vietnam_writes_are_read_and_written_back() {
        for (text, shown) in [("12", "12"), ("12A", "12A"), ("110b", "110B"), (" 38B/2 ", "38B/2"), ("45/12", "45/12")]
        {
            assert_eq!(HouseNumber::parse(text).map(|h| h.to_string()), Ok(shown.to_owned()), "{text}");
        }
        let h = HouseNumber::parse("38b/2").unwrap();
        assert_eq!((h.number(), h.letter(), h.sub(), h.suffix()), (38, Some('B'), 2, "B/2".to_owned()));
        assert!(HouseNumber::parse("12").unwrap().is_plain() && !h.is_plain());
    }

    #[test]
    fn what_is_no_house_number_is_refused() {
        for bad in
            ["", "0", "0A", "A12", "12AB", "12/", "12/0", "12/2048", "65536", "12-3", "12 A", "12Đ", "-3", "12/3/4"]
        {
            assert!(HouseNumber::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(HouseNumber::with_parts(3, Some(b'1'), 0), None);
        assert_eq!(HouseNumber::from_packed(5), None);
    }

    #[test]
    fn the_order_is_the_order_along_the_street() {
        let v: Vec<HouseNumber> =
            ["12", "12/1", "12A", "12A/1", "12B", "13"].iter().map(|s| s.parse().unwrap()).collect();
        assert!(v.windows(2).all(|w| w[0] < w[1]), "{v:?}");
    }

    #[test]
    fn json_is_a_string_and_integers_are_still_read() {
        let h = HouseNumber::parse("12A").unwrap();
        assert_eq!(serde_json::to_string(&h).unwrap(), r#""12A""#);
        assert_eq!(serde_json::from_str::<HouseNumber>(r#""12a""#).unwrap(), h);
        assert_eq!(serde_json::from_str::<HouseNumber>("999").unwrap(), HouseNumber::new(999).unwrap());
        assert!(serde_json::from_str::<HouseNumber>("0").is_err());
        assert!(serde_json::from_str::<HouseNumber>("70000").is_err());
        assert!(serde_json::from_str::<HouseNumber>(r#""12 bis""#).is_err());
    }

    proptest! {
        #[test]
        fn every_house_number_survives_text_packing_and_storage(n in 1u16.., l in proptest::option::of(b'A'..=b'Z'), s in 0u16..=MAX_SUB) {
            let h = HouseNumber::with_parts(n, l, s).unwrap();
            prop_assert_eq!(HouseNumber::parse(&h.to_string()), Ok(h));
            prop_assert_eq!(HouseNumber::from_packed(h.packed()), Some(h));
            prop_assert_eq!(HouseNumber::from_number_and_suffix(h.number(), &h.suffix()), Ok(h));
        }
    }
}
