//! The identity check (scope `identity:verify`): does this citizen live at this address, at this level? Yes or no,
//! and nothing else about the person: not the level the addresses do agree at, not whether the citizen is registered.
//!
//! Each key is entitled to one level (`keys create --identity-level`, `exact` by default); it may ask at that level
//! or a stricter one, never a looser one (403 `level_not_allowed`). Only verified registrations answer. Checks are
//! counted per key (a daily quota) and per citizen across all keys (a daily limit), and each one is audited with the
//! level asked and a keyed hash of the citizen ID.

use actix_web::{HttpMessage, HttpRequest, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::audit::IdentityAudit;
use crate::http::auth::{NoKey, Scoped, scope};
use crate::http::error::{BadRequest, ErrorBody, UnsupportedBody};
use crate::http::routes::registrations::RegistryUnavailable;
use crate::http::{ApiError, AppState};
use diachi_auth::IdentityLevel;
use diachi_registry::{AddressText, Asker, CitizenId, MatchLevel};

/// The level of a question: how closely the given address must agree with the registered one for a yes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// The same province (the loosest: tells the most about where someone lives).
    Province,
    /// The same ward.
    Ward,
    /// The same building: the same 1 m cell, or the same house in another unit.
    Building,
    /// The same delivery point (the strictest, and every key's level unless it was given another).
    Exact,
}

impl From<Level> for IdentityLevel {
    fn from(l: Level) -> Self {
        match l {
            Level::Province => IdentityLevel::Province,
            Level::Ward => IdentityLevel::Ward,
            Level::Building => IdentityLevel::Building,
            Level::Exact => IdentityLevel::Exact,
        }
    }
}

impl From<IdentityLevel> for Level {
    fn from(l: IdentityLevel) -> Self {
        match l {
            IdentityLevel::Province => Level::Province,
            IdentityLevel::Ward => Level::Ward,
            IdentityLevel::Building => Level::Building,
            IdentityLevel::Exact => Level::Exact,
        }
    }
}

fn match_level(l: IdentityLevel) -> MatchLevel {
    match l {
        IdentityLevel::Province => MatchLevel::Province,
        IdentityLevel::Ward => MatchLevel::Ward,
        IdentityLevel::Building => MatchLevel::Building,
        IdentityLevel::Exact => MatchLevel::Exact,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyAddressBody {
    /// 12-digit citizen ID number
    #[schema(example = "001090012345", pattern = "^[0-9]{12}$")]
    pub citizen_id: String,
    /// The address in any form: a digital address or free text
    #[schema(example = "V98-F6P-FJY6", min_length = 1, max_length = 500)]
    pub address: String,
    /// The level to answer at: the key's own (the default) or a stricter one; a looser one is refused (403
    /// `level_not_allowed`)
    #[serde(default)]
    pub level: Option<Level>,
}

/// The answer: yes or no at the level asked, nothing else.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddressMatch {
    /// Whether the citizen's verified registration agrees with the address at least at `level`. False also when the
    /// citizen has no verified registration, or the address was not understood.
    #[serde(rename = "match")]
    pub is_match: bool,
    /// The level the question was answered at (the one asked, or the key's own): not the level the addresses agree at
    pub level: Level,
}

/// 403 of the identity check.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 403,
    description = "`invalid_key`: the key is unknown, revoked or mistyped; `forbidden`: it lacks `identity:verify`; \
        `level_not_allowed`: the level asked is looser than the key's"
)]
pub struct IdentityForbidden(#[allow(dead_code)] ErrorBody);

/// 429 of the identity check.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 429,
    description = "`rate_limited`: over the key's rate limit; `identity_quota_exceeded`: the key's identity checks of \
        the day (UTC) are used up; `identity_check_limit`: the citizen was checked as often as a day allows, by any \
        keys. Retry after `Retry-After` seconds",
    headers(("Retry-After" = u64, description = "seconds to wait"))
)]
pub struct IdentityLimited(#[allow(dead_code)] ErrorBody);

/// Does the citizen live at the address, at the key's level (or a stricter one asked)? Only verified registrations
/// answer; the answer is yes or no.
#[utoipa::path(post, path = "/v1/identity/verify-address", tag = "registry", request_body = VerifyAddressBody,
    security(("api_key" = ["identity:verify"])),
    responses(
        (status = 200, description = "Yes or no at the level asked", body = AddressMatch),
        BadRequest, NoKey, IdentityForbidden, IdentityLimited, UnsupportedBody, RegistryUnavailable))]
pub async fn verify_address(
    key: Scoped<scope::IdentityVerify>,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<VerifyAddressBody>,
) -> Result<web::Json<AddressMatch>, ApiError> {
    let who = &key.0;
    let entitled = who.identity_level;
    let asked = body.level.map_or(entitled, IdentityLevel::from);
    req.extensions_mut().insert(IdentityAudit { level: asked.as_str(), subject: None });
    if !entitled.permits(asked) {
        return Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "level_not_allowed",
            format!("this key may ask at level `{entitled}` or a stricter one, not `{asked}`"),
        ));
    }
    let registry = state.registry()?;
    let db = state.db()?;
    let ix = state.index()?;
    let citizen = CitizenId::parse(&body.citizen_id).map_err(|m| ApiError::bad_request("invalid_citizen_id", m))?;
    let address = AddressText::parse(&body.address).map_err(|m| ApiError::bad_request("invalid_address", m))?;
    req.extensions_mut()
        .insert(IdentityAudit { level: asked.as_str(), subject: Some(registry.citizen_hash(&citizen)) });
    let asker = Asker { key_id: &who.key_id, daily_quota: who.identity_daily_quota };
    registry.count_identity_check(&db.pool, asker, &citizen).await?;
    let given = state.address_resolver()?.resolve(address.as_str());
    let yes = registry.check_identity(&db.pool, ix, &citizen, given.as_ref(), match_level(asked)).await?;
    Ok(web::Json(AddressMatch { is_match: yes, level: asked.into() }))
}
