//! Address resolution: messy Vietnamese free text (no diacritics, abbreviations, typos, any order, the old
//! 63-province / district / ward form) in; one address on today's map, its postcode and digital address, ranked
//! candidates and a verdict in the spirit of Google's Address Validation out.
//!
//! How: the input is folded and split into words ([`text`]); every run of up to five words is looked up among all
//! administrative names, old and new, exactly and one edit away ([`gazetteer`]), and scored by its type word
//! (`P.`, `Quận`, …). Consistent (ward, district, province) readings are ranked; the words left over are parsed
//! into apartment, house number, alley and street, which are looked up among the ward's streets and addresses
//! ([`streets`]). An old ward that was split between new wards is decided by where that street and house are, then
//! by the caller's coordinates, else every new ward is returned as a candidate.

pub mod gazetteer;
mod parse;
pub mod streets;
pub mod text;
mod verdict;

pub use verdict::{
    Candidate, Component, ComponentType, Confirmation, Granularity, NextAction, Resolution, ResolvedAddress, UnitName,
    Verdict,
};

use diachi_domain::LonLat;
use diachi_geo::index::NationalIndex;
use gazetteer::Gazetteer;
use streets::Streets;

/// Input longer than this (bytes) is cut before parsing; an address is never this long.
pub const MAX_INPUT_BYTES: usize = 1024;

/// The resolver's tables, built once over the index.
#[derive(Debug)]
pub struct Resolver {
    /// Unit names, old and new.
    pub gazetteer: Gazetteer,
    /// Street names and house numbers by ward.
    pub streets: Streets,
}

impl Resolver {
    /// Builds the name tables and the street index (about a second per 10 M addresses).
    #[must_use]
    pub fn build(ix: &NationalIndex) -> Self {
        let geo = &ix.data.geography;
        Resolver { gazetteer: Gazetteer::build(geo), streets: Streets::build(&ix.data.addresses, geo.wards.len()) }
    }

    /// A resolver that knows the administrative names but not the street register (for comparing with parsers that
    /// have no register: every answer is at most ward-level).
    #[must_use]
    pub fn without_register(ix: &NationalIndex) -> Self {
        Resolver { gazetteer: Gazetteer::build(&ix.data.geography), streets: Streets::default() }
    }

    /// Resolves one address. Never fails: input that names nothing gets a verdict saying so.
    #[must_use]
    pub fn resolve(&self, ix: &NationalIndex, input: &str, hint: Option<LonLat>) -> Resolution {
        parse::resolve(self, ix, input, hint)
    }
}
