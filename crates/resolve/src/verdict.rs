//! What resolution answers: the address on today's map, how sure, and what was changed to get there.

use diachi_domain::AddressId;
use serde::Serialize;
use utoipa::ToSchema;

/// How fine a part of an address is, from an apartment down to nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// Nothing usable.
    Other,
    /// A province.
    Province,
    /// An old district (only in input: the level no longer exists).
    District,
    /// A ward, commune or special zone.
    Ward,
    /// A street (or village lane) in the ward.
    Route,
    /// A house: one delivery point or one building.
    Premise,
    /// An apartment in a building.
    SubPremise,
}

/// How far one component is confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Confirmation {
    /// Found, and consistent with the rest.
    Confirmed,
    /// Plausible but not found (a house number not in the register) or one of several possibilities.
    UnconfirmedButPlausible,
    /// Inconsistent with the rest (a street not in that ward, coordinates in another ward).
    UnconfirmedAndSuspicious,
}

/// Kinds of address components.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComponentType {
    /// An apartment number.
    Apartment,
    /// A house number.
    HouseNumber,
    /// `Ngõ`/`Ngách`/`Hẻm`/`Kiệt` number.
    Alley,
    /// A street or village.
    Street,
    /// A ward, commune or special zone.
    Ward,
    /// A pre-2025 district: read to place the old ward, then dropped (there is no district level now).
    District,
    /// A province or city.
    Province,
}

/// One component of the answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Component {
    /// What the component is.
    #[serde(rename = "type")]
    pub kind: ComponentType,
    /// The component as it is on today's map (empty for a dropped district).
    pub text: String,
    /// What the input said for it, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_text: Option<String>,
    /// How far it is confirmed.
    pub confirmation: Confirmation,
    /// Not in the input: filled in from the rest (a province from its ward).
    pub inferred: bool,
    /// The input had a misspelling of it.
    pub spell_corrected: bool,
    /// The input named a pre-2025 unit, replaced by today's.
    pub replaced: bool,
}

/// The verdict, in the terms of Google's Address Validation API.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[allow(clippy::struct_excessive_bools, reason = "the flags of the published verdict, one JSON field each")]
pub struct Verdict {
    /// The finest component the input has.
    pub input_granularity: Granularity,
    /// The finest level that was confirmed against the map and the address register.
    pub validation_granularity: Granularity,
    /// The precision of the returned location.
    pub geocode_granularity: Granularity,
    /// A deliverable address: every level resolved to one delivery point, nothing unexplained.
    pub address_complete: bool,
    /// Some component is not confirmed.
    pub has_unconfirmed_components: bool,
    /// Some component was filled in, not in the input.
    pub has_inferred_components: bool,
    /// Some component named a pre-2025 unit, replaced by today's.
    pub has_replaced_components: bool,
    /// Some component was misspelled in the input.
    pub has_spell_corrected_components: bool,
    /// More than one new ward fits (an old ward split in 2025, or a name found in several provinces).
    pub ambiguous: bool,
    /// What the caller should do with the answer.
    pub possible_next_action: NextAction,
}

/// What the caller should do with the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NextAction {
    /// Ask for a new address: nothing or too little was understood, or something contradicts.
    Fix,
    /// Show the normalised address to the person for confirmation.
    Confirm,
    /// The building is found but not the apartment: ask for it.
    ConfirmAddSubpremises,
    /// Use it as is.
    Accept,
}

/// A unit by code and name.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UnitName {
    /// The unit's code.
    pub code: String,
    /// The unit's name, e.g. `Phường Ba Đình`.
    pub name: String,
}

/// The resolved address on today's map.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResolvedAddress {
    /// One line, Vietnamese order, today's units.
    pub formatted: String,
    /// The ward of today.
    pub ward: UnitName,
    /// The province of today.
    pub province: UnitName,
    /// The ward's postcode.
    pub postcode: String,
    /// The delivery point, when the address is in the register (one unit).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<u32>)]
    pub address_id: Option<AddressId>,
    /// The digital address of the delivery point, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digital_address: Option<String>,
    /// Where: the delivery point or building, else the ward's label point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// Longitude of the location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// Units in the building when the input named the building without its apartment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units: Option<usize>,
    /// The pre-2025 units the input named, when it used the old form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_units: Option<OldUnits>,
}

/// Pre-2025 units as read from the input.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OldUnits {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ward: Option<UnitName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<UnitName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province: Option<UnitName>,
}

/// Another reading of the input.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Candidate {
    /// The ward.
    pub ward: UnitName,
    /// Its province.
    pub province: UnitName,
    /// The ward's postcode.
    pub postcode: String,
    /// Relative score, higher is better; the first candidate is the answer.
    pub score: f64,
    /// Why this ward: `old_ward_split`, `same_name_elsewhere`, …
    pub reason: String,
    /// The delivery point in that ward, if the address is in the register there.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<u32>)]
    pub address_id: Option<AddressId>,
}

/// The whole answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Resolution {
    /// The verdict.
    pub verdict: Verdict,
    /// Absent when not even a province was understood.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<ResolvedAddress>,
    /// The components, today's form beside the input's.
    pub components: Vec<Component>,
    /// Ranked readings (the answer first) when more than one ward fits.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Candidate>,
    /// Words of the input that fit nowhere.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unresolved_tokens: Vec<String>,
    /// The input was longer than can be an address and was cut.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}
