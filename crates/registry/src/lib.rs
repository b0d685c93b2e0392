//! Residents' registrations of their address, verified by a one-time code that the post delivers on paper, and the
//! identity check that answers "does this citizen live at this address?" with a level and nothing else.
//!
//! Rules:
//! - a registration is `pending` until its code is entered (at most [`MAX_ATTEMPTS`] tries, then `locked`) together
//!   with the id of a post office of the address's province; then `verified`. Past its expiry (default 30 days) a
//!   pending registration is `expired`. Any registration that is not expired or superseded can be `revoked`.
//! - a citizen may register again at any time (a move); when the new registration is verified, the earlier verified
//!   one becomes `superseded`. At most one registration per citizen is verified.
//! - the identity check looks at the citizen's current registration: the verified one, else the newest pending one.
//!   An unknown citizen gets the same answer as a known one at an address in another province (`none`, not
//!   verified): `verified` is true only with a level above `none`, so the answer tells no more about whether someone
//!   is registered than the level itself does.
//!
//! Personal fields are sealed with [`diachi_pii::Pii`] before they reach `diachi_db::registry`.

mod place;
pub mod types;

use std::time::Duration;
use uuid::Uuid;

use diachi_db::DbError;
use diachi_db::registry::{self as store, Check, Verified};
use diachi_geo::index::NationalIndex;
use diachi_pii::{Pii, PiiError};
pub use place::{AddressResolver, DigitalAddressResolver, MatchLevel, ResolvedTarget, TextResolver};
pub use types::{AddressText, CitizenId, PersonName, Phone, VerificationCode};

/// Wrong codes allowed before a registration is locked.
pub const MAX_ATTEMPTS: i32 = 5;
/// How long a pending registration's code is valid by default.
pub const DEFAULT_TTL_DAYS: u32 = 30;

/// Failures of the registry.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// No registration with this id.
    #[error("no such registration")]
    NotFound,
    /// The address text names no place.
    #[error("the address was not understood")]
    AddressNotFound,
    /// Not pending (any more): its status.
    #[error("the registration is {0}, not pending")]
    NotPending(String),
    /// The code is wrong; attempts remain.
    #[error("the verification code is wrong ({left} attempts left)")]
    WrongCode {
        /// Attempts left.
        left: i32,
    },
    /// The code is wrong and that was the last attempt.
    #[error("the verification code is wrong; the registration is now locked")]
    Locked,
    /// The post office is unknown or outside the address's province.
    #[error("the post office is unknown or does not serve the registered address's province")]
    WrongPostOffice,
    /// Sealing or opening personal data failed.
    #[error(transparent)]
    Pii(#[from] PiiError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A registration to make.
#[derive(Debug)]
pub struct NewRegistration {
    /// The resident's citizen ID number.
    pub citizen_id: CitizenId,
    /// The resident's name.
    pub name: PersonName,
    /// The resident's phone number.
    pub phone: Phone,
    /// The address as the resident gave it.
    pub address: AddressText,
    /// The place the address was resolved to.
    pub target: ResolvedTarget,
}

/// A registration made: its code is shown once, to be printed on the letter.
#[derive(Debug)]
pub struct Created {
    /// The registration's id.
    pub id: Uuid,
    /// The one-time code, for the letter.
    pub code: VerificationCode,
    /// When the code expires (RFC 3339).
    pub expires_at: String,
}

/// What anyone with `registry:write` may read about a registration: its state, no personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The registration's id.
    pub id: Uuid,
    /// `pending`, `verified`, `locked`, `expired`, `revoked` or `superseded`.
    pub status: String,
    /// Wrong codes still allowed; 0 unless pending.
    pub attempts_left: i32,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub expires_at: String,
    /// RFC 3339; `None` if not verified.
    pub verified_at: Option<String>,
    /// RFC 3339, when revoked or superseded; `None` otherwise.
    pub revoked_at: Option<String>,
    /// The post office that verified it; `None` until verified.
    pub post_office_id: Option<u32>,
}

/// The answer of the identity check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdentityMatch {
    /// How closely the given address agrees with the registered one.
    pub level: MatchLevel,
    /// Whether the registration compared is verified (false at level `none`).
    pub verified: bool,
}

/// The registry of one service: the personal-data keys and the settings.
#[derive(Debug, Clone)]
pub struct Registry {
    /// The personal-data keys.
    pub pii: Pii,
    /// How long a pending registration's code is valid.
    pub ttl: Duration,
}

const TARGET: &str = "registrations.target";

impl Registry {
    /// A registry with these keys and a code validity of `ttl_days` days (at least 1).
    #[must_use]
    pub fn new(pii: Pii, ttl_days: u32) -> Self {
        Self { pii, ttl: Duration::from_secs(u64::from(ttl_days.max(1)) * 86_400) }
    }

    /// Stores a pending registration and makes its one-time code.
    pub async fn register(
        &self,
        pool: &deadpool_postgres::Pool,
        r: &NewRegistration,
        key_id: &str,
    ) -> Result<Created, RegistryError> {
        let id = Uuid::new_v4();
        let row = id.as_bytes();
        let code = VerificationCode::generate()?;
        let seal = |field: &str, v: &[u8]| self.pii.seal(field, row, v);
        let expires_at = store::insert(
            pool,
            &store::NewRow {
                id,
                citizen_hash: &self.pii.lookup_hash(r.citizen_id.as_str()),
                citizen_id_enc: &seal("registrations.citizen_id", r.citizen_id.as_str().as_bytes())?,
                name_enc: &seal("registrations.name", r.name.as_str().as_bytes())?,
                phone_enc: &seal("registrations.phone", r.phone.as_str().as_bytes())?,
                address_text_enc: &seal("registrations.address_text", r.address.as_str().as_bytes())?,
                target_enc: &seal(TARGET, &r.target.to_bytes())?,
                code_hash: &self.pii.code_hash(row, code.as_str()),
                ttl_s: self.ttl.as_secs_f64(),
                created_by: key_id,
            },
        )
        .await?;
        Ok(Created { id, code, expires_at })
    }

    fn target(&self, id: Uuid, sealed: &[u8]) -> Result<ResolvedTarget, RegistryError> {
        let plain = self.pii.open(TARGET, id.as_bytes(), sealed)?;
        ResolvedTarget::from_bytes(&plain).ok_or_else(|| DbError::BadData("a registration's target".into()).into())
    }

    /// The state of registration `id`.
    pub async fn status(&self, pool: &deadpool_postgres::Pool, id: Uuid) -> Result<Status, RegistryError> {
        let r = store::get(pool, id).await?.ok_or(RegistryError::NotFound)?;
        Ok(Status {
            id: r.id,
            attempts_left: if r.status == "pending" { (MAX_ATTEMPTS - r.attempts).max(0) } else { 0 },
            status: r.status,
            created_at: r.created_at,
            expires_at: r.expires_at,
            verified_at: r.verified_at,
            revoked_at: r.revoked_at,
            post_office_id: r.post_office_id.map(|p| p.max(0) as u32),
        })
    }

    /// Checks the code (in constant time, through its keyed hash) and the post office that handed the letter over.
    pub async fn verify(
        &self,
        pool: &deadpool_postgres::Pool,
        ix: &NationalIndex,
        id: Uuid,
        code: &VerificationCode,
        post_office: u32,
    ) -> Result<String, RegistryError> {
        let office_province = ix
            .data
            .post_offices
            .iter()
            .find(|p| p.id == post_office)
            .and_then(|p| ix.data.geography.wards.get(usize::from(p.ward)))
            .map(|w| w.province);
        let mut failure = None;
        let outcome = store::verify(pool, id, MAX_ATTEMPTS, post_office as i32, |row| {
            let target = match self.target(id, &row.target_enc) {
                Ok(t) => t,
                Err(e) => {
                    failure = Some(e);
                    return Check::Refuse;
                }
            };
            let province = ix.data.geography.wards.get(usize::from(target.ward)).map(|w| w.province);
            let code_ok = diachi_pii::ct_eq(&self.pii.code_hash(id.as_bytes(), code.as_str()), &row.code_hash);
            if !code_ok {
                Check::WrongCode
            } else if office_province.is_none() || office_province != province {
                failure = Some(RegistryError::WrongPostOffice);
                Check::Refuse
            } else {
                Check::Accept
            }
        })
        .await?;
        match outcome {
            Verified::Done { verified_at } => Ok(verified_at),
            Verified::NotFound => Err(RegistryError::NotFound),
            Verified::NotPending(s) => Err(RegistryError::NotPending(s)),
            Verified::WrongCode { attempts } if attempts >= MAX_ATTEMPTS => Err(RegistryError::Locked),
            Verified::WrongCode { attempts } => Err(RegistryError::WrongCode { left: MAX_ATTEMPTS - attempts }),
            Verified::Refused => Err(failure.unwrap_or(RegistryError::WrongPostOffice)),
        }
    }

    /// Revokes a pending, verified or locked registration.
    pub async fn revoke(&self, pool: &deadpool_postgres::Pool, id: Uuid) -> Result<(), RegistryError> {
        if store::revoke(pool, id).await? {
            return Ok(());
        }
        match store::get(pool, id).await? {
            None => Err(RegistryError::NotFound),
            Some(r) => Err(RegistryError::NotPending(r.status)),
        }
    }

    /// Compares `given` with the citizen's current registration.
    pub async fn check_identity(
        &self,
        pool: &deadpool_postgres::Pool,
        ix: &NationalIndex,
        citizen: &CitizenId,
        given: Option<&ResolvedTarget>,
    ) -> Result<IdentityMatch, RegistryError> {
        let none = IdentityMatch { level: MatchLevel::None, verified: false };
        let Some((id, sealed, verified)) = store::current(pool, &self.pii.lookup_hash(citizen.as_str())).await? else {
            return Ok(none);
        };
        let Some(given) = given else { return Ok(none) };
        let level = place::compare(ix, &self.target(id, &sealed)?, given);
        // `none` reads the same whoever asks about, registered or not
        Ok(if level == MatchLevel::None { none } else { IdentityMatch { level, verified } })
    }
}
