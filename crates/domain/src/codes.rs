//! Administrative and postal codes as newtypes whose only constructors check their form.

use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Why a string is not a well-formed code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} must be exactly {digits} ASCII digits")]
pub struct CodeFormatError {
    /// What kind of code, e.g. `a ward code`.
    pub kind: &'static str,
    /// How many digits that code has.
    pub digits: usize,
}

fn parse_digits<const N: usize>(s: &str, kind: &'static str) -> Result<[u8; N], CodeFormatError> {
    let err = CodeFormatError { kind, digits: N };
    let bytes = s.trim().as_bytes();
    if bytes.len() != N || !bytes.iter().all(u8::is_ascii_digit) {
        return Err(err);
    }
    let mut out = [0u8; N];
    out.copy_from_slice(bytes);
    Ok(out)
}

macro_rules! digit_code {
    ($(#[$doc:meta])* $name:ident, $n:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; $n]);

        impl $name {
            /// Parses exactly this many ASCII digits (surrounding whitespace is ignored).
            pub fn parse(s: &str) -> Result<Self, CodeFormatError> {
                parse_digits::<$n>(s, $kind).map(Self)
            }

            /// The code as a string slice of digits.
            #[must_use]
            pub fn as_str(&self) -> &str {
                // Only ASCII digits can be stored, so this never fails.
                std::str::from_utf8(&self.0).unwrap_or_default()
            }

            /// The code read as a decimal number.
            #[must_use]
            pub fn as_u32(&self) -> u32 {
                self.0.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
            }

            /// Builds the code from a number below 10^N.
            #[must_use]
            pub fn from_u32(mut value: u32) -> Option<Self> {
                if value >= 10u32.pow($n) {
                    return None;
                }
                let mut out = [b'0'; $n];
                for slot in out.iter_mut().rev() {
                    *slot = b'0' + (value % 10) as u8;
                    value /= 10;
                }
                Some(Self(out))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = CodeFormatError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

digit_code!(
    /// A 5-digit Vietnamese postcode (QĐ 2475/QĐ-BTTTT); the first two digits name the province.
    Postcode, 5, "a postcode"
);
digit_code!(
    /// A 5-digit GSO commune/ward/special-zone code (Decision 19/2025/QĐ-TTg).
    WardCode, 5, "a ward code"
);
digit_code!(
    /// A 2-digit GSO province code.
    ProvinceCode, 2, "a province code"
);

impl Postcode {
    /// The two-digit province prefix.
    #[must_use]
    pub fn prefix(&self) -> u8 {
        (self.0[0] - b'0') * 10 + (self.0[1] - b'0')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcode_parses_only_five_digits() {
        assert_eq!(Postcode::parse("10000").map(|p| p.prefix()), Ok(10));
        assert_eq!(Postcode::parse(" 70150 ").map(|p| p.to_string()), Ok("70150".into()));
        for bad in ["", "1000", "100000", "1000a", "１００００", "10 00", "-1000"] {
            assert!(Postcode::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn numeric_round_trip() {
        assert_eq!(WardCode::from_u32(4).map(|w| w.to_string()), Some("00004".into()));
        assert_eq!(WardCode::parse("26734").map(|w| w.as_u32()), Ok(26734));
        assert_eq!(ProvinceCode::from_u32(100), None);
    }
}
