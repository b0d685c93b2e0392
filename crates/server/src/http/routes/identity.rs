//! The identity check (scope `identity:verify`): does this citizen live at this address? A level, and nothing else
//! about the person.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::auth::{Forbidden, NoKey, RateLimited, Scoped, scope};
use crate::http::error::{BadRequest, UnsupportedBody};
use crate::http::routes::registrations::RegistryUnavailable;
use crate::http::{ApiError, AppState};
use diachi_registry::{AddressText, CitizenId, MatchLevel};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyAddressBody {
    /// 12-digit citizen ID number
    #[schema(example = "001090012345", pattern = "^[0-9]{12}$")]
    pub citizen_id: String,
    /// The address in any form: a digital address or free text
    #[schema(example = "V98-F6P-FJY6", min_length = 1, max_length = 500)]
    pub address: String,
}

/// How well the address agrees with the citizen's registered one.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddressMatch {
    /// `exact` or `building`
    #[serde(rename = "match")]
    pub is_match: bool,
    /// `exact` (the same delivery point), `building` (the same 1 m cell or house, another unit), `ward`,
    /// `province` or `none` (also: no registration, or an address that was not understood)
    pub level: MatchLevel,
    /// Whether the registration was verified by its code (false with level `none`)
    pub verified: bool,
}

/// Compares an address with the one the citizen registered.
#[utoipa::path(post, path = "/v1/identity/verify-address", tag = "registry", request_body = VerifyAddressBody,
    security(("api_key" = ["identity:verify"])),
    responses(
        (status = 200, description = "The level of agreement", body = AddressMatch),
        BadRequest, NoKey, Forbidden, RateLimited, UnsupportedBody, RegistryUnavailable))]
pub async fn verify_address(
    _key: Scoped<scope::IdentityVerify>,
    state: web::Data<AppState>,
    body: web::Json<VerifyAddressBody>,
) -> Result<web::Json<AddressMatch>, ApiError> {
    let registry = state.registry()?;
    let db = state.db()?;
    let ix = state.index()?;
    let citizen = CitizenId::parse(&body.citizen_id).map_err(|m| ApiError::bad_request("invalid_citizen_id", m))?;
    let address = AddressText::parse(&body.address).map_err(|m| ApiError::bad_request("invalid_address", m))?;
    let given = state.address_resolver()?.resolve(address.as_str());
    let m = registry.check_identity(&db.pool, ix, &citizen, given.as_ref()).await?;
    Ok(web::Json(AddressMatch { is_match: m.level.is_match(), level: m.level, verified: m.verified }))
}
