//! Residents' registrations of their address, verified by a one-time code that the post delivers on paper, and the
//! identity check that answers one question — "does this citizen live at this address, at this level?" — with yes
//! or no and nothing else.
//!
//! Rules:
//! - a registration is `pending` until its code is entered (at most [`MAX_ATTEMPTS`] tries, then `locked`) together
//!   with the id of a post office of the address's province; then `verified`. Past its expiry (default 30 days) a
//!   pending registration is `expired`. Any registration that is not expired or superseded can be `revoked`.
//! - a registration is read, verified and revoked only by the key that created it, or with [`Access::Any`] (the
//!   `registry:admin` scope); to any other key it does not exist.
//! - a citizen may register again at any time (a move); when the new registration is verified, the earlier verified
//!   one becomes `superseded`. At most one registration per citizen is verified.
//! - the identity check looks only at the citizen's verified registration, and answers whether the given address
//!   agrees with it at least at the level asked (the level the key is entitled to, or a stricter one): never the
//!   level it does agree at. An unknown citizen, a pending registration and an address that is not understood all
//!   read `false`, like an address elsewhere.
//! - identity checks are counted per key (a daily quota) and per citizen across all keys (a daily limit), in the
//!   database, so that every instance shares the counts.
//!
//! Personal fields are sealed with [`diachi_pii::Pii`] before they reach `diachi_db::registry`.

mod place;
pub mod types;

use std::time::Duration;
use uuid::Uuid;

use diachi_db::DbError;
use diachi_db::registry::{self as store, Check, Counted, Verified};
use diachi_geo::index::NationalIndex;
use diachi_pii::{Pii, PiiError};
pub use place::{AddressResolver, DigitalAddressResolver, MatchLevel, ResolvedTarget, TextResolver};
pub use types::{AddressText, CitizenId, PersonName, Phone, PostOfficeId, VerificationCode};

/// Wrong codes allowed before a registration is locked.
pub const MAX_ATTEMPTS: i32 = 5;
/// How long a pending registration's code is valid by default.
pub const DEFAULT_TTL_DAYS: u32 = 30;
/// Identity checks of one citizen a day (UTC), all keys together, by default.
pub const DEFAULT_CHECKS_PER_CITIZEN_PER_DAY: u32 = 10;
/// Identity checks of one key a day (UTC), by default.
pub const DEFAULT_CHECKS_PER_KEY_PER_DAY: u32 = 10_000;

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
    /// The key used up its identity checks of the day.
    #[error("this key's identity checks of the day are used up; retry in {retry_after_s} s (after 00:00 UTC)")]
    KeyQuotaExceeded {
        /// Seconds until the quota is renewed.
        retry_after_s: u64,
    },
    /// The citizen was checked as often as a day allows (by any keys).
    #[error("this citizen was checked as often as a day allows; retry in {retry_after_s} s (after 00:00 UTC)")]
    CitizenLimitReached {
        /// Seconds until the limit is renewed.
        retry_after_s: u64,
    },
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

/// Which registrations a caller may read, verify and revoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access<'a> {
    /// Those created by this key (`registry:write`).
    CreatedBy(&'a str),
    /// Any (`registry:admin`).
    Any,
}

impl<'a> Access<'a> {
    fn owner(self) -> Option<&'a str> {
        match self {
            Access::CreatedBy(k) => Some(k),
            Access::Any => None,
        }
    }

    fn allows(self, created_by: &str) -> bool {
        self.owner().is_none_or(|k| k == created_by)
    }
}

/// Who asks an identity check: the key and its daily quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asker<'a> {
    /// The key's id.
    pub key_id: &'a str,
    /// Its checks a day; `None` = the registry's default; 0 = unlimited.
    pub daily_quota: Option<u32>,
}

/// What the key that created a registration may read about it: its state, no personal data.
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

/// The registry of one service: the personal-data keys and the settings.
#[derive(Debug, Clone)]
pub struct Registry {
    /// The personal-data keys.
    pub pii: Pii,
    /// How long a pending registration's code is valid.
    pub ttl: Duration,
    /// Identity checks of one citizen a day, all keys together (0 = unlimited).
    pub checks_per_citizen_per_day: u32,
    /// Identity checks of a key a day unless the key has its own quota (0 = unlimited).
    pub checks_per_key_per_day: u32,
}

/// Seconds until the next 00:00 UTC, when the daily counts start again.
fn until_midnight_utc() -> u64 {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    86_400 - secs % 86_400
}

const TARGET: &str = "registrations.target";

impl Registry {
    /// A registry with these keys and a code validity of `ttl_days` days (at least 1).
    #[must_use]
    pub fn new(pii: Pii, ttl_days: u32) -> Self {
        Self {
            pii,
            ttl: Duration::from_secs(u64::from(ttl_days.max(1)) * 86_400),
            checks_per_citizen_per_day: DEFAULT_CHECKS_PER_CITIZEN_PER_DAY,
            checks_per_key_per_day: DEFAULT_CHECKS_PER_KEY_PER_DAY,
        }
    }

    /// The same registry with these daily limits of identity checks (0 = unlimited).
    #[must_use]
    pub fn with_identity_limits(self, per_citizen: u32, per_key: u32) -> Self {
        Self { checks_per_citizen_per_day: per_citizen, checks_per_key_per_day: per_key, ..self }
    }

    /// The keyed hash a citizen is looked up by (and named by in the audit log): never the ID itself.
    #[must_use]
    pub fn citizen_hash(&self, citizen: &CitizenId) -> [u8; 32] {
        self.pii.lookup_hash(citizen.as_str())
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

    /// The state of registration `id`, if `access` reaches it.
    pub async fn status(
        &self,
        pool: &deadpool_postgres::Pool,
        id: Uuid,
        access: Access<'_>,
    ) -> Result<Status, RegistryError> {
        let r = store::get(pool, id).await?.filter(|r| access.allows(&r.created_by)).ok_or(RegistryError::NotFound)?;
        Ok(Status {
            id: r.id,
            attempts_left: if r.status == "pending" { (MAX_ATTEMPTS - r.attempts).max(0) } else { 0 },
            status: r.status,
            created_at: r.created_at,
            expires_at: r.expires_at,
            verified_at: r.verified_at,
            revoked_at: r.revoked_at,
            post_office_id: r.post_office_id.and_then(|p| u32::try_from(p).ok()),
        })
    }

    /// Checks the code (in constant time, through its keyed hash) and the post office that handed the letter over.
    pub async fn verify(
        &self,
        pool: &deadpool_postgres::Pool,
        ix: &NationalIndex,
        id: Uuid,
        access: Access<'_>,
        code: &VerificationCode,
        post_office: PostOfficeId,
    ) -> Result<String, RegistryError> {
        let office_province = ix
            .data
            .post_offices
            .iter()
            .find(|p| p.id == post_office.get())
            .and_then(|p| ix.data.geography.wards.get(usize::from(p.ward)))
            .map(|w| w.province);
        let mut failure = None;
        let outcome = store::verify(pool, id, access.owner(), MAX_ATTEMPTS, post_office.as_i32(), |row| {
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

    /// Revokes a pending, verified or locked registration that `access` reaches.
    pub async fn revoke(
        &self,
        pool: &deadpool_postgres::Pool,
        id: Uuid,
        access: Access<'_>,
    ) -> Result<(), RegistryError> {
        if store::revoke(pool, id, access.owner()).await? {
            return Ok(());
        }
        match store::get(pool, id).await?.filter(|r| access.allows(&r.created_by)) {
            None => Err(RegistryError::NotFound),
            Some(r) => Err(RegistryError::NotPending(r.status)),
        }
    }

    /// Counts one identity check of `asker` about `citizen`: first against the key's daily quota, then against the
    /// citizen's daily limit (a check the key may not make does not count against the citizen).
    pub async fn count_identity_check(
        &self,
        pool: &deadpool_postgres::Pool,
        asker: Asker<'_>,
        citizen: &CitizenId,
    ) -> Result<(), RegistryError> {
        let quota = asker.daily_quota.unwrap_or(self.checks_per_key_per_day);
        if quota > 0 && store::count_identity_check(pool, Counted::Key(asker.key_id)).await? > quota {
            return Err(RegistryError::KeyQuotaExceeded { retry_after_s: until_midnight_utc() });
        }
        let limit = self.checks_per_citizen_per_day;
        let hash = self.citizen_hash(citizen);
        if limit > 0 && store::count_identity_check(pool, Counted::Citizen(&hash)).await? > limit {
            return Err(RegistryError::CitizenLimitReached { retry_after_s: until_midnight_utc() });
        }
        Ok(())
    }

    /// Whether `given` agrees with the citizen's verified registration at least at `level` (which must be above
    /// `none`). Not counted: see [`Registry::count_identity_check`].
    pub async fn check_identity(
        &self,
        pool: &deadpool_postgres::Pool,
        ix: &NationalIndex,
        citizen: &CitizenId,
        given: Option<&ResolvedTarget>,
        level: MatchLevel,
    ) -> Result<bool, RegistryError> {
        let Some((id, sealed)) = store::verified(pool, &self.citizen_hash(citizen)).await? else {
            return Ok(false);
        };
        let Some(given) = given else { return Ok(false) };
        let reached = place::compare(ix, &self.target(id, &sealed)?, given);
        Ok(level > MatchLevel::None && reached >= level)
    }
}
