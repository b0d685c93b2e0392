//! Recipient names are personal data: a plan keeps only a mask of them, made at ingest.
//!
//! A Vietnamese name reads family name, middle name(s), given name (`Nguyễn Văn An`). The courier needs enough to
//! ask for the right person at the door, the plan must not identify anyone: every name but the last is cut to its
//! initial, and the given name keeps its first letter followed by `*` (`Nguyễn Văn An` → `N. V. A*`,
//! `Trần Thị Thu Hà` → `T. T. T. H*`). A one-word name becomes its initial and `*`.

use serde::Serialize;
use std::fmt;

/// Words of a name kept (initials) at most.
const MAX_WORDS: usize = 6;

/// A masked recipient name. Holds no more than initials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MaskedName(String);

impl MaskedName {
    /// The mask of `name`; none when it has no letter.
    #[must_use]
    pub fn mask(name: &str) -> Option<Self> {
        let initials: Vec<String> = name
            .split_whitespace()
            .filter_map(|w| w.chars().find(|c| c.is_alphabetic()))
            .map(|c| c.to_uppercase().collect())
            .collect();
        let (last, rest) = initials.split_last()?;
        let skip = rest.len().saturating_sub(MAX_WORDS - 1);
        let mut out = String::new();
        for i in &rest[skip..] {
            out.push_str(i);
            out.push_str(". ");
        }
        out.push_str(last);
        out.push('*');
        Some(Self(out))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MaskedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::MaskedName;

    fn m(s: &str) -> Option<String> {
        MaskedName::mask(s).map(|m| m.as_str().to_owned())
    }

    #[test]
    fn vietnamese_names_keep_initials_only() {
        assert_eq!(m("Nguyễn Văn An").as_deref(), Some("N. V. A*"));
        assert_eq!(m("Trần Thị Thu Hà").as_deref(), Some("T. T. T. H*"));
        assert_eq!(m("  đặng   thị  ánh ").as_deref(), Some("Đ. T. Á*"));
        assert_eq!(m("Lý").as_deref(), Some("L*"));
        assert_eq!(m("").as_deref(), None);
        assert_eq!(m(" 123 -- ").as_deref(), None);
        assert_eq!(m("A B C D E F G H").as_deref(), Some("C. D. E. F. G. H*"));
    }

    #[test]
    fn the_full_name_never_survives() {
        for name in ["Nguyễn Văn An", "Phạm Minh Chính", "Hồ Chí Minh", "Võ Nguyên Giáp"] {
            let masked = m(name).unwrap_or_default();
            for word in name.split_whitespace() {
                assert!(!masked.contains(word), "{name} → {masked}");
            }
        }
    }
}
