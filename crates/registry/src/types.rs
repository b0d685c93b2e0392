//! The registry's values, each parsed once at the edge: a value of these types cannot be malformed.

use std::fmt;

/// The 63 provinces' GSO codes before the 2025 reform, which citizen ID numbers carry as their first three digits
/// (`001` Hà Nội … `096` Cà Mau).
pub const OLD_PROVINCE_CODES: [u8; 63] = [
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37, 38, 40, 42, 44, 45,
    46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92,
    93, 94, 95, 96,
];

/// A 12-digit citizen ID number (căn cước công dân): birth province (3 digits, an old GSO code), century and sex
/// (1 digit: 0/1 = born 1900s male/female, 2/3 = 2000s, 4/5 = 2100s …), year of birth (2 digits), serial (6).
/// Its `Debug` and `Display` mask all but the last two digits, so that it cannot end up whole in a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct CitizenId(String);

impl CitizenId {
    /// Checks the form: 12 digits, the first three an old province code.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let t = s;
        if t.len() != 12 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err("a citizen ID number is 12 digits");
        }
        let province: u8 = t[..3].parse().map_err(|_| "a citizen ID number is 12 digits")?;
        if !OLD_PROVINCE_CODES.contains(&province) {
            return Err("the first three digits of a citizen ID number are a province code (001 to 096)");
        }
        Ok(Self(t.to_owned()))
    }

    /// From its parts (the synthetic residents).
    #[must_use]
    pub fn from_parts(province: u8, birth_year: u16, female: bool, serial: u32) -> Option<Self> {
        let century = birth_year.checked_sub(1900)? / 100;
        let digit = century * 2 + u16::from(female);
        if digit > 9 || serial > 999_999 {
            return None;
        }
        Self::parse(&format!("{province:03}{digit}{:02}{serial:06}", birth_year % 100)).ok()
    }

    /// The 12 digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth province's old GSO code.
    #[must_use]
    pub fn province(&self) -> u8 {
        self.0[..3].parse().unwrap_or(0)
    }

    /// Whether the holder is female (odd century digit).
    #[must_use]
    pub fn female(&self) -> bool {
        (self.0.as_bytes()[3] - b'0') % 2 == 1
    }

    /// The year of birth, from the century digit and the two year digits.
    #[must_use]
    pub fn birth_year(&self) -> u16 {
        let digit = u16::from(self.0.as_bytes()[3] - b'0');
        1900 + (digit / 2) * 100 + self.0[4..6].parse::<u16>().unwrap_or(0)
    }
}

impl fmt::Debug for CitizenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CitizenId(**********{})", &self.0[10..])
    }
}

/// A person's full name: 1 to 100 characters of letters, spaces and `'.-`, in any script; no digits or controls.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    /// Collapses runs of white space and checks the rules above.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let t = s.split_whitespace().collect::<Vec<_>>().join(" ");
        let n = t.chars().count();
        if n == 0 || s.chars().count() > 100 {
            return Err("a name is 1 to 100 characters");
        }
        if !t.chars().all(|c| c.is_alphabetic() || c == ' ' || c == '\'' || c == '.' || c == '-') {
            return Err("a name holds only letters, spaces and ' . -");
        }
        Ok(Self(t))
    }

    /// The name as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonName(…)")
    }
}

/// The mobile prefixes of Vietnamese networks (after the 2018 renumbering), as the first three digits.
pub const MOBILE_PREFIXES: [&str; 36] = [
    "032", "033", "034", "035", "036", "037", "038", "039", "052", "055", "056", "058", "059", "070", "076", "077",
    "078", "079", "081", "082", "083", "084", "085", "086", "087", "088", "089", "090", "091", "092", "093", "094",
    "096", "097", "098", "099",
];

/// A Vietnamese phone number, kept in the national form `0xxxxxxxxx`: a 10-digit mobile number with a real prefix,
/// or an 11-digit landline (`02…`). `+84` / `84` and spaces, dots or dashes are accepted on input.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// Checks the form and turns it into the national form.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        const ERR: &str = "a phone number is a Vietnamese mobile (10 digits, 03x/05x/07x/08x/09x) or landline (02x)";
        if s.len() > 32 {
            return Err(ERR);
        }
        let compact: String = s.trim().chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')')).collect();
        let national = if let Some(rest) = compact.strip_prefix("+84") {
            format!("0{rest}")
        } else if compact.len() == 11 && compact.starts_with("84") {
            format!("0{}", &compact[2..])
        } else {
            compact
        };
        if !national.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ERR);
        }
        let mobile = national.len() == 10 && MOBILE_PREFIXES.contains(&&national[..3]);
        let landline = national.len() == 11 && national.starts_with("02");
        if mobile || landline { Ok(Self(national)) } else { Err(ERR) }
    }

    /// The national form, `0xxxxxxxxx`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Phone(…)")
    }
}

/// The one-time verification code printed on the letter: 8 digits.
#[derive(Clone, PartialEq, Eq)]
pub struct VerificationCode(String);

/// Digits of a code.
pub const CODE_DIGITS: usize = 8;

impl VerificationCode {
    /// Checks the form: [`CODE_DIGITS`] ASCII digits.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let t = s;
        if t.len() == CODE_DIGITS && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(t.to_owned()))
        } else {
            Err("a verification code is 8 digits")
        }
    }

    /// A fresh random code (uniform: rejection of the top of the range).
    pub fn generate() -> Result<Self, diachi_pii::PiiError> {
        loop {
            let mut b = [0u8; 4];
            diachi_pii::random_bytes(&mut b)?;
            let n = u32::from_le_bytes(b);
            // 4_200_000_000 is a multiple of 10^8
            if n < 4_200_000_000 {
                return Ok(Self(format!("{:08}", n % 100_000_000)));
            }
        }
    }

    /// The digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for VerificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerificationCode(…)")
    }
}

/// The address a resident gives: free text or a digital address, 1 to 500 characters without control characters.
#[derive(Clone, PartialEq, Eq)]
pub struct AddressText(String);

impl AddressText {
    /// Trims the text and checks the rules above.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let t = s.trim();
        if t.is_empty() || s.chars().count() > 500 {
            return Err("an address is 1 to 500 characters");
        }
        if t.chars().any(char::is_control) {
            return Err("an address holds no control characters");
        }
        Ok(Self(t.to_owned()))
    }

    /// The text, trimmed.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AddressText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AddressText(…)")
    }
}

/// The number of a post office: 0 to 2,147,483,647 (the range of the database's `post_offices.id`). Parsed, never
/// cast: a number past the range is refused rather than wrapped to a negative one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PostOfficeId(u32);

impl PostOfficeId {
    /// The largest post office number.
    pub const MAX: u32 = i32::MAX as u32;

    /// Checks the range.
    pub fn parse(n: i64) -> Result<Self, &'static str> {
        match u32::try_from(n) {
            Ok(v) if v <= Self::MAX => Ok(Self(v)),
            _ => Err("a post office id is a number from 0 to 2147483647"),
        }
    }

    /// The number.
    #[must_use]
    pub fn get(self) -> u32 {
        self.0
    }

    /// The number as the database's integer (always in range).
    #[must_use]
    pub fn as_i32(self) -> i32 {
        i32::try_from(self.0).unwrap_or(i32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citizen_ids() {
        let id = CitizenId::parse("001090012345").unwrap();
        assert_eq!((id.province(), id.female(), id.birth_year()), (1, false, 1990));
        let id = CitizenId::parse("079303000001").unwrap();
        assert_eq!((id.province(), id.female(), id.birth_year()), (79, true, 2003));
        for bad in [
            "",
            " 001090012345",
            "00109001234",
            "0010900123456",
            "00109001234a",
            "003090012345",
            "097090012345",
            "０01090012345",
        ] {
            assert!(CitizenId::parse(bad).is_err(), "{bad}");
        }
        let made = CitizenId::from_parts(79, 1985, true, 42).unwrap();
        assert_eq!(made.as_str(), "079185000042");
        assert!(CitizenId::from_parts(79, 1899, true, 42).is_none());
        assert!(!format!("{made:?}").contains("0791850"), "Debug masks it");
        assert_eq!(OLD_PROVINCE_CODES.len(), 63);
        assert!(OLD_PROVINCE_CODES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn phones() {
        for (given, want) in [
            ("0912345678", "0912345678"),
            ("+84 912 345 678", "0912345678"),
            ("84912345678", "0912345678"),
            ("091-234-5678", "0912345678"),
            ("02438251234", "02438251234"),
        ] {
            assert_eq!(Phone::parse(given).map(|p| p.0), Ok(want.to_owned()), "{given}");
        }
        for bad in ["", "0112345678", "091234567", "09123456789", "0912345678x", "😀", &"9".repeat(100)] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_codes_addresses() {
        assert_eq!(PersonName::parse("  Nguyễn   Thị  Minh Khai ").unwrap().as_str(), "Nguyễn Thị Minh Khai");
        for bad in ["", "  ", "Robert'); DROP TABLE registrations; --", "A1", "a\u{0}b", "😀", &"a".repeat(101)] {
            assert!(PersonName::parse(bad).is_err(), "{bad}");
        }
        assert!(PersonName::parse("Иван Đặng").is_ok(), "any script");
        assert_eq!(VerificationCode::parse("12345678").unwrap().as_str(), "12345678");
        assert!(VerificationCode::parse("1234 5678").is_err());
        assert!(VerificationCode::parse("1234567").is_err());
        let c = VerificationCode::generate().unwrap();
        assert!(c.as_str().len() == 8 && c.as_str().bytes().all(|b| b.is_ascii_digit()));
        assert!(AddressText::parse("a\nb").is_err() && AddressText::parse(" ").is_err());
        assert!(AddressText::parse(&"x".repeat(501)).is_err());
        assert!(AddressText::parse("V98-FE4-RYEW").is_ok());
    }

    /// Issue 16, finding 7: post office numbers past `i32` are refused, not wrapped.
    #[test]
    fn post_office_ids() {
        for ok in [0_i64, 1, 12_345, 2_147_483_647] {
            let id = PostOfficeId::parse(ok).unwrap();
            assert_eq!((i64::from(id.get()), i64::from(id.as_i32())), (ok, ok));
        }
        for bad in [-1_i64, 2_147_483_648, 4_294_967_295, 4_294_967_296, i64::MIN, i64::MAX] {
            assert!(PostOfficeId::parse(bad).is_err(), "{bad}");
        }
    }
}
