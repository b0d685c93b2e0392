//! Ids that cross crate boundaries, so that an address id and a ward index cannot be confused with each other or
//! with any other number. Both are plain numbers inside (`#[repr(transparent)]`) and in JSON (the bare number).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The id of an address: its row in the national address set (and its key in the database).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[repr(transparent)]
#[serde(transparent)]
pub struct AddressId(u32);

impl AddressId {
    /// The address in row `row` of the address set.
    #[must_use]
    pub const fn new(row: u32) -> Self {
        Self(row)
    }

    /// The row number.
    #[must_use]
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The row number as an index into the address columns.
    #[must_use]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl From<u32> for AddressId {
    fn from(row: u32) -> Self {
        Self(row)
    }
}

impl From<AddressId> for u32 {
    fn from(id: AddressId) -> Self {
        id.0
    }
}

impl fmt::Display for AddressId {
    /// The bare number, as in URLs and JSON.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The index of a ward (commune-level unit) in the geography's list of wards, which is sorted by ward code.
///
/// It means something only together with the geography it was taken from; a [`crate::WardCode`] is the stable name
/// of a ward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[repr(transparent)]
#[serde(transparent)]
pub struct WardIdx(u16);

impl WardIdx {
    /// The ward at position `i` of the geography's wards.
    #[must_use]
    pub const fn new(i: u16) -> Self {
        Self(i)
    }

    /// The position as a number.
    #[must_use]
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The position as an index into the list of wards.
    #[must_use]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl From<u16> for WardIdx {
    fn from(i: u16) -> Self {
        Self(i)
    }
}

impl From<WardIdx> for u16 {
    fn from(w: WardIdx) -> Self {
        w.0
    }
}

impl From<WardIdx> for usize {
    fn from(w: WardIdx) -> Self {
        usize::from(w.0)
    }
}

impl fmt::Display for WardIdx {
    /// The bare number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_and_display_are_the_bare_number() {
        let id = AddressId::new(4_000_000_123);
        assert_eq!(serde_json::to_string(&id).unwrap(), "4000000123");
        assert_eq!(serde_json::from_str::<AddressId>("4000000123").unwrap(), id);
        assert_eq!(id.to_string(), "4000000123");
        assert_eq!((id.get(), id.index(), u32::from(id)), (4_000_000_123, 4_000_000_123, 4_000_000_123));
        let w = WardIdx::new(3320);
        assert_eq!(serde_json::to_string(&Some(w)).unwrap(), "3320");
        assert_eq!(serde_json::from_str::<WardIdx>("7").unwrap(), WardIdx::from(7));
        assert_eq!(format!("{w}"), "3320");
        assert_eq!((w.get(), w.index(), usize::from(w), u16::from(w)), (3320, 3320, 3320, 3320));
        assert!(serde_json::from_str::<WardIdx>("65536").is_err());
        assert!(WardIdx::new(1) < WardIdx::new(2) && AddressId::new(1) < AddressId::new(2));
    }
}
