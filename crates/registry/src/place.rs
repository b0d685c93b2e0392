//! From an address as a person gives it (a digital address or free text) to a place in the index, and how closely two
//! such places agree.
//!
//! [`AddressResolver`] is the seam: [`TextResolver`] (what the server uses) understands a digital address or any free
//! text through `diachi-resolve`; [`DigitalAddressResolver`] understands digital addresses only (`V98-FE4-RYEW`,
//! `v98fe4ryew.2`) and is the first thing [`TextResolver`] tries.

use serde::{Deserialize, Serialize};
use std::sync::Arc;

use diachi_domain::{AddressId, DigitalAddress, WardIdx};
use diachi_geo::index::NationalIndex;

/// A place an address text resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedTarget {
    /// Index in `Geography::wards`.
    pub ward: WardIdx,
    /// The delivery point, when the text names one.
    pub address_id: Option<AddressId>,
    /// Its digital address (unit included), when known.
    pub digital_address: Option<DigitalAddress>,
}

/// Turns an address text (any form) into a place. Must not panic on any input; `None` = not understood.
pub trait AddressResolver: Send + Sync {
    /// The place the text names, or `None`.
    fn resolve(&self, text: &str) -> Option<ResolvedTarget>;
}

/// Understands digital addresses: the bare code names the cell's first delivery point, `.N` the N-th.
pub struct DigitalAddressResolver {
    /// The index the codes are looked up in.
    pub index: Arc<NationalIndex>,
}

/// How far from a ward's edge a cell's centre may lie and still belong to it (as the digital-address lookup does).
const SNAP_M: f64 = 2_000.0;

impl AddressResolver for DigitalAddressResolver {
    fn resolve(&self, text: &str) -> Option<ResolvedTarget> {
        if text.len() > 64 {
            return None;
        }
        let da = DigitalAddress::parse(text).ok()?;
        let ix = &self.index;
        if let Some(id) = ix.address_by_code(da) {
            let ward = ix.with_address(id, |r| r.ward)?;
            return Some(ResolvedTarget { ward, address_id: Some(id), digital_address: Some(da) });
        }
        let (ward, _) = ix.data.geography.ward_near(da.cell().center(), SNAP_M)?;
        Some(ResolvedTarget { ward, address_id: None, digital_address: Some(da) })
    }
}

/// Digital addresses first, then free text through the address resolver ([`diachi_resolve`]): an answer is a
/// place only when it is one ward for sure (an old ward split in 2025 with nothing to decide gives none).
pub struct TextResolver {
    /// The index.
    pub index: Arc<NationalIndex>,
    /// The free-text resolver.
    pub resolver: Arc<diachi_resolve::Resolver>,
}

impl AddressResolver for TextResolver {
    fn resolve(&self, text: &str) -> Option<ResolvedTarget> {
        let digital = DigitalAddressResolver { index: self.index.clone() };
        if let Some(t) = digital.resolve(text.trim()) {
            return Some(t);
        }
        let res = self.resolver.resolve(&self.index, text, None);
        let a = res.address?;
        if res.verdict.ambiguous && a.address_id.is_none() {
            return None;
        }
        let code = diachi_domain::WardCode::parse(&a.ward.code).ok()?;
        let (ward, _) = self.index.data.geography.ward(code)?;
        Some(ResolvedTarget {
            ward,
            address_id: a.address_id,
            digital_address: a.digital_address.as_deref().and_then(|d| DigitalAddress::parse(d).ok()),
        })
    }
}

/// How closely a given address agrees with the registered one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchLevel {
    /// Not even the province agrees.
    None,
    /// The same province.
    Province,
    /// The same ward.
    Ward,
    /// The same building: the same 1 m cell, or the same house (street, alley, number) in another unit.
    Building,
    /// The same delivery point.
    Exact,
}

impl MatchLevel {
    /// Whether the level counts as a match (`exact` or `building`).
    #[must_use]
    pub fn is_match(self) -> bool {
        self >= MatchLevel::Building
    }
}

/// Compares `given` with `registered`.
#[must_use]
pub fn compare(ix: &NationalIndex, registered: &ResolvedTarget, given: &ResolvedTarget) -> MatchLevel {
    let same_point = match (registered.address_id, given.address_id) {
        (Some(a), Some(b)) => a == b,
        _ => registered.digital_address.is_some() && registered.digital_address == given.digital_address,
    };
    if same_point {
        return MatchLevel::Exact;
    }
    let same_cell = matches!((registered.digital_address, given.digital_address),
        (Some(a), Some(b)) if a.cell() == b.cell());
    let same_house = match (registered.address_id, given.address_id) {
        (Some(a), Some(b)) => {
            let house = |id| ix.with_address(id, |r| (r.ward, r.street.to_owned(), r.alley, r.house));
            matches!((house(a), house(b)), (Some(x), Some(y)) if x == y)
        }
        _ => false,
    };
    if same_cell || same_house {
        return MatchLevel::Building;
    }
    if registered.ward == given.ward {
        return MatchLevel::Ward;
    }
    let geo = &ix.data.geography;
    let province = |w: WardIdx| geo.ward_by_index(w).map(|w| w.province);
    match (province(registered.ward), province(given.ward)) {
        (Some(a), Some(b)) if a == b => MatchLevel::Province,
        _ => MatchLevel::None,
    }
}

/// The stored form of a target (sealed before it reaches the database): the ids as bare numbers.
#[derive(Serialize, Deserialize)]
struct Stored {
    w: WardIdx,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    a: Option<AddressId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    d: Option<String>,
}

impl ResolvedTarget {
    /// The place as stored (JSON, sealed by the caller).
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let s = Stored { w: self.ward, a: self.address_id, d: self.digital_address.map(|d| d.to_string()) };
        serde_json::to_vec(&s).unwrap_or_default()
    }

    /// A place from [`ResolvedTarget::to_bytes`]; `None` if the bytes are not one.
    #[must_use]
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        let s: Stored = serde_json::from_slice(b).ok()?;
        let digital_address = match s.d {
            Some(d) => Some(DigitalAddress::parse(&d).ok()?),
            None => None,
        };
        Some(Self { ward: s.w, address_id: s.a, digital_address })
    }
}
