//! A digital address typed as the whole input: answered from the register at once, without parsing.

use crate::verdict::{
    Component, ComponentType, Confirmation, Granularity, NextAction, Resolution, ResolvedAddress, UnitName, Verdict,
};
use diachi_domain::DigitalAddress;
use diachi_geo::index::NationalIndex;

/// Resolves a digital address typed as the whole input.
pub(super) fn by_digital_address(ix: &NationalIndex, input: &str) -> Option<Resolution> {
    let code = DigitalAddress::parse(input.trim()).ok()?;
    let id = ix.address_by_code(code)?;
    let v = ix.view(id)?;
    let geo = &ix.data.geography;
    let (_, ward) = diachi_domain::WardCode::parse(v.ward_code).ok().and_then(|c| geo.ward(c))?;
    let province = geo.province_of(ward);
    let component = |kind, text: String| Component {
        kind,
        text,
        input_text: None,
        confirmation: Confirmation::Confirmed,
        inferred: true,
        spell_corrected: false,
        replaced: false,
    };
    Some(Resolution {
        verdict: Verdict {
            input_granularity: Granularity::SubPremise,
            validation_granularity: Granularity::SubPremise,
            geocode_granularity: Granularity::SubPremise,
            address_complete: true,
            has_unconfirmed_components: false,
            has_inferred_components: true,
            has_replaced_components: false,
            has_spell_corrected_components: false,
            ambiguous: false,
            possible_next_action: NextAction::Accept,
        },
        components: vec![
            component(ComponentType::Street, v.street.clone()),
            component(ComponentType::Ward, ward.full_name()),
            component(ComponentType::Province, province.name.clone()),
        ],
        address: Some(ResolvedAddress {
            formatted: v.formatted.clone(),
            ward: UnitName { code: ward.code.as_str().to_owned(), name: ward.full_name() },
            province: UnitName { code: province.code.as_str().to_owned(), name: province.name.clone() },
            postcode: ward.postcode.as_str().to_owned(),
            address_id: Some(id),
            digital_address: Some(v.digital_address.clone()),
            lat: Some(v.lat),
            lon: Some(v.lon),
            units: None,
            old_units: None,
        }),
        candidates: Vec::new(),
        unresolved_tokens: Vec::new(),
        truncated: false,
    })
}
