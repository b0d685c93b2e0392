//! Residents' registrations (scope `registry:write`): made pending with a one-time code that the post delivers on
//! paper, verified with that code at a post office, read, revoked — by the key that created them, or by a key with
//! `registry:admin` (to any other key a registration does not exist: 404). No answer carries personal data.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::auth::{Forbidden, NoKey, RateLimited, Registrar, Scoped, scope};
use crate::http::error::{BadRequest, ErrorBody, NotFound, UnsupportedBody};
use crate::http::{ApiError, AppState};
use diachi_registry::{AddressText, CitizenId, NewRegistration, PersonName, Phone, PostOfficeId, VerificationCode};

/// A new registration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRegistrationBody {
    /// 12-digit citizen ID number
    #[schema(example = "001090012345", pattern = "^[0-9]{12}$")]
    pub citizen_id: String,
    /// Full name
    #[schema(example = "Nguyễn Văn An", min_length = 1, max_length = 100)]
    pub name: String,
    /// Vietnamese phone number
    #[schema(example = "0912345678")]
    pub phone: String,
    /// The address: a digital address (`V98-FE4-RYEW`, `V98-FE4-RYEW.2`) or free text
    #[schema(example = "V98-F6P-FJY6", min_length = 1, max_length = 500)]
    pub address: String,
}

/// A registration just made: the code is shown only here, once, to be printed on the letter the post delivers.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedRegistration {
    /// a UUID
    pub id: String,
    /// always `pending`
    pub status: String,
    /// 8 digits
    pub verification_code: String,
    /// RFC 3339; the code is not accepted after it
    pub expires_at: String,
}

/// The state of a registration (no personal data).
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationStatus {
    /// a UUID
    pub id: String,
    /// `pending`, `verified`, `locked` (too many wrong codes), `expired`, `revoked` or `superseded` (a later
    /// registration of the same citizen was verified)
    pub status: String,
    /// wrong codes still allowed (0 unless pending)
    pub attempts_left: i32,
    pub created_at: String,
    pub expires_at: String,
    pub verified_at: Option<String>,
    pub revoked_at: Option<String>,
    /// the post office that handed the code over
    pub post_office_id: Option<u32>,
}

impl From<diachi_registry::Status> for RegistrationStatus {
    fn from(s: diachi_registry::Status) -> Self {
        Self {
            id: s.id.to_string(),
            status: s.status,
            attempts_left: s.attempts_left,
            created_at: s.created_at,
            expires_at: s.expires_at,
            verified_at: s.verified_at,
            revoked_at: s.revoked_at,
            post_office_id: s.post_office_id,
        }
    }
}

/// The code from the letter and the post office where it is entered.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    #[schema(example = "12345678", pattern = "^[0-9]{8}$")]
    pub code: String,
    /// id of a post office of the address's province (`/v1/post-offices/nearest`); 0 to 2147483647, else 400
    /// `invalid_post_office_id`
    #[schema(minimum = 0, maximum = 2_147_483_647_i64)]
    pub post_office_id: i64,
}

/// 409 / 410 / 422 of the registry.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 409,
    description = "`registration_locked` (too many wrong codes), `registration_not_pending` (verified, revoked or \
        superseded already)"
)]
pub struct RegistrationConflict(#[allow(dead_code)] ErrorBody);

#[derive(utoipa::IntoResponses)]
#[response(status = 410, description = "`registration_expired`: the code was not entered in time")]
pub struct RegistrationGone(#[allow(dead_code)] ErrorBody);

#[derive(utoipa::IntoResponses)]
#[response(
    status = 422,
    description = "`address_not_found`, `wrong_code` (attempts left in the message), `wrong_post_office`"
)]
pub struct RegistrationUnprocessable(#[allow(dead_code)] ErrorBody);

/// 503 of the registry.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 503,
    description = "`pii_key_not_configured`, `database_not_configured`, `database_unavailable`, `not_ready`, or \
        `audit_unavailable` (the request's audit row could not be written, so its answer is withheld)"
)]
pub struct RegistryUnavailable(#[allow(dead_code)] ErrorBody);

fn field<T>(code: &'static str, r: Result<T, &'static str>) -> Result<T, ApiError> {
    r.map_err(|m| ApiError::bad_request(code, m))
}

fn registration_id(path: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(path.trim())
        .map_err(|_| ApiError::bad_request("invalid_registration_id", "a registration id is a UUID"))
}

/// Registers a resident at an address: pending, with a one-time code for the letter.
#[utoipa::path(post, path = "/v1/registrations", tag = "registry", request_body = NewRegistrationBody,
    security(("api_key" = ["registry:write"])),
    responses(
        (status = 201, description = "Pending; `Location` names it", body = CreatedRegistration),
        BadRequest, NoKey, Forbidden, RateLimited, UnsupportedBody, RegistrationUnprocessable, RegistryUnavailable))]
pub async fn create_registration(
    key: Scoped<scope::RegistryWrite>,
    state: web::Data<AppState>,
    body: web::Json<NewRegistrationBody>,
) -> Result<HttpResponse, ApiError> {
    let registry = state.registry()?;
    let db = state.db()?;
    let b = body.into_inner();
    let citizen_id = field("invalid_citizen_id", CitizenId::parse(&b.citizen_id))?;
    let name = field("invalid_name", PersonName::parse(&b.name))?;
    let phone = field("invalid_phone", Phone::parse(&b.phone))?;
    let address = field("invalid_address", AddressText::parse(&b.address))?;
    let target =
        state.address_resolver()?.resolve(address.as_str()).ok_or(diachi_registry::RegistryError::AddressNotFound)?;
    let r = NewRegistration { citizen_id, name, phone, address, target };
    let created = registry.register(&db.pool, &r, &key.0.key_id).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/v1/registrations/{}", created.id))).json(
        CreatedRegistration {
            id: created.id.to_string(),
            status: "pending".into(),
            verification_code: created.code.as_str().to_owned(),
            expires_at: created.expires_at,
        },
    ))
}

/// The state of a registration (one the key created, or any with `registry:admin`).
#[utoipa::path(get, path = "/v1/registrations/{id}", tag = "registry",
    params(("id" = String, Path, description = "registration id (a UUID)",
        pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")),
    security(("api_key" = ["registry:write"]), ("api_key" = ["registry:admin"])),
    responses(
        (status = 200, description = "Its state", body = RegistrationStatus),
        BadRequest, NoKey, Forbidden, RateLimited, NotFound, RegistryUnavailable))]
pub async fn registration(
    key: Registrar,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<RegistrationStatus>, ApiError> {
    let registry = state.registry()?;
    let db = state.db()?;
    let id = registration_id(&path)?;
    Ok(web::Json(registry.status(&db.pool, id, key.access()).await?.into()))
}

/// Verifies a registration with the code from the letter, at a post office of the address's province: the address
/// is then bound to the resident. At most 5 wrong codes, then the registration is locked. By the key that created
/// it, or with `registry:admin`.
#[utoipa::path(post, path = "/v1/registrations/{id}/verify", tag = "registry", request_body = VerifyBody,
    params(("id" = String, Path, description = "registration id (a UUID)",
        pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")),
    security(("api_key" = ["registry:write"]), ("api_key" = ["registry:admin"])),
    responses(
        (status = 200, description = "Verified", body = RegistrationStatus),
        BadRequest, NoKey, Forbidden, RateLimited, NotFound, RegistrationConflict, RegistrationGone,
        UnsupportedBody, RegistrationUnprocessable, RegistryUnavailable))]
pub async fn verify_registration(
    key: Registrar,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<VerifyBody>,
) -> Result<web::Json<RegistrationStatus>, ApiError> {
    let registry = state.registry()?;
    let db = state.db()?;
    let ix = state.index()?;
    let id = registration_id(&path)?;
    let code = field("invalid_code", VerificationCode::parse(&body.code))?;
    let office = field("invalid_post_office_id", PostOfficeId::parse(body.post_office_id))?;
    registry.verify(&db.pool, ix, id, key.access(), &code, office).await?;
    Ok(web::Json(registry.status(&db.pool, id, key.access()).await?.into()))
}

/// Revokes a registration (pending, locked or verified): the address is no longer bound to the resident. By the
/// key that created it, or with `registry:admin`.
#[utoipa::path(post, path = "/v1/registrations/{id}/revoke", tag = "registry",
    params(("id" = String, Path, description = "registration id (a UUID)",
        pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")),
    security(("api_key" = ["registry:write"]), ("api_key" = ["registry:admin"])),
    responses(
        (status = 200, description = "Revoked", body = RegistrationStatus),
        BadRequest, NoKey, Forbidden, RateLimited, NotFound, RegistrationConflict, RegistryUnavailable))]
pub async fn revoke_registration(
    key: Registrar,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<RegistrationStatus>, ApiError> {
    let registry = state.registry()?;
    let db = state.db()?;
    let id = registration_id(&path)?;
    registry.revoke(&db.pool, id, key.access()).await?;
    Ok(web::Json(registry.status(&db.pool, id, key.access()).await?.into()))
}

impl From<diachi_registry::RegistryError> for ApiError {
    fn from(e: diachi_registry::RegistryError) -> Self {
        use diachi_registry::RegistryError as R;
        let msg = e.to_string();
        match e {
            R::NotFound => Self::not_found("registration_not_found", msg),
            R::AddressNotFound => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "address_not_found",
                "the address was not understood (give a digital address such as V98-F6P-FJY6)",
            ),
            R::NotPending(s) if s == "expired" => Self::new(StatusCode::GONE, "registration_expired", msg),
            R::NotPending(s) if s == "locked" => Self::new(StatusCode::CONFLICT, "registration_locked", msg),
            R::NotPending(_) => Self::new(StatusCode::CONFLICT, "registration_not_pending", msg),
            R::Locked => Self::new(StatusCode::CONFLICT, "registration_locked", msg),
            R::WrongCode { .. } => Self::new(StatusCode::UNPROCESSABLE_ENTITY, "wrong_code", msg),
            R::WrongPostOffice => Self::new(StatusCode::UNPROCESSABLE_ENTITY, "wrong_post_office", msg),
            R::KeyQuotaExceeded { retry_after_s } => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, "identity_quota_exceeded", msg).with_retry_after(retry_after_s)
            }
            R::CitizenLimitReached { retry_after_s } => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, "identity_check_limit", msg).with_retry_after(retry_after_s)
            }
            R::Pii(p) => {
                tracing::error!(error = %p, "personal data could not be sealed or opened");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "pii_error", "stored personal data could not be read")
            }
            R::Db(d) => d.into(),
        }
    }
}

impl ApiError {
    /// 503 `pii_key_not_configured`: the registry needs a PII key.
    #[must_use]
    pub fn pii_key_not_configured() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "pii_key_not_configured",
            "the registry needs a PII key: set `pii_key` or DIACHI_PII_KEY (make one with `diachi keys pii-key`)",
        )
    }
}
