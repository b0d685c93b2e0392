//! Registrations and the audit log in PostGIS. The fields arrive here sealed (see `diachi_pii`): this module stores
//! and fetches bytes and never sees a name, a phone number or a citizen ID in clear.

use deadpool_postgres::Pool;
use uuid::Uuid;

use super::DbError;

/// A new registration, its personal fields sealed.
pub struct NewRow<'a> {
    /// The registration's id.
    pub id: Uuid,
    /// Keyed hash of the citizen id, for lookups.
    pub citizen_hash: &'a [u8],
    /// The citizen id, sealed.
    pub citizen_id_enc: &'a [u8],
    /// The name, sealed.
    pub name_enc: &'a [u8],
    /// The phone number, sealed.
    pub phone_enc: &'a [u8],
    /// The address as typed, sealed.
    pub address_text_enc: &'a [u8],
    /// The address registered (the target), sealed.
    pub target_enc: &'a [u8],
    /// Keyed hash of the verification code.
    pub code_hash: &'a [u8],
    /// Seconds until the registration expires.
    pub ttl_s: f64,
    /// Id of the API key that created it.
    pub created_by: &'a str,
}

/// A registration as stored (the status as of now: a pending one past its expiry reads `expired`).
#[derive(Debug, Clone)]
pub struct Row {
    /// The registration's id.
    pub id: Uuid,
    /// Keyed hash of the citizen id.
    pub citizen_hash: Vec<u8>,
    /// The target address, sealed.
    pub target_enc: Vec<u8>,
    /// Keyed hash of the verification code.
    pub code_hash: Vec<u8>,
    /// Verification attempts made.
    pub attempts: i32,
    /// The post office that verified it; `None` until verified.
    pub post_office_id: Option<i32>,
    /// `pending`, `verified`, `locked`, `expired`, …
    pub status: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub expires_at: String,
    /// RFC 3339; `None` if not verified.
    pub verified_at: Option<String>,
    /// RFC 3339, when revoked or superseded; `None` otherwise.
    pub revoked_at: Option<String>,
    /// Id of the API key that created it.
    pub created_by: String,
}

fn row(r: &tokio_postgres::Row) -> Row {
    Row {
        id: r.get(0),
        citizen_hash: r.get(1),
        target_enc: r.get(2),
        code_hash: r.get(3),
        attempts: r.get(4),
        post_office_id: r.get(5),
        status: r.get(6),
        created_at: r.get(7),
        expires_at: r.get(8),
        verified_at: r.get(9),
        revoked_at: r.get(10),
        created_by: r.get(11),
    }
}

/// Stores a registration; returns its expiry (RFC 3339).
pub async fn insert(pool: &Pool, n: &NewRow<'_>) -> Result<String, DbError> {
    let c = pool.get().await?;
    let r = c
        .query_one(
            include_str!("../sql/registry/registration_insert.sql"),
            &[
                &n.id,
                &n.citizen_hash,
                &n.citizen_id_enc,
                &n.name_enc,
                &n.phone_enc,
                &n.address_text_enc,
                &n.target_enc,
                &n.code_hash,
                &n.ttl_s,
                &n.created_by,
            ],
        )
        .await?;
    Ok(r.get(0))
}

/// The registration with this id, if any.
pub async fn get(pool: &Pool, id: Uuid) -> Result<Option<Row>, DbError> {
    let c = pool.get().await?;
    Ok(c.query_opt(include_str!("../sql/registry/registration_get.sql"), &[&id]).await?.as_ref().map(row))
}

/// What the caller decided about a pending registration and the code given for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The code is right: verify.
    Accept,
    /// The code is wrong: one attempt is used.
    WrongCode,
    /// Something else is wrong (e.g. the post office): no attempt is used.
    Refuse,
}

/// How an attempt to verify ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// Verified.
    Done {
        /// RFC 3339.
        verified_at: String,
    },
    /// No registration with this id.
    NotFound,
    /// Not pending (any more): its status.
    NotPending(String),
    /// The code was wrong.
    WrongCode {
        /// Attempts made, this one included.
        attempts: i32,
    },
    /// The check refused it; no attempt used.
    Refused,
}

/// Verifies registration `id` in one transaction (the row locked): `check` looks at the pending row; a wrong code
/// uses an attempt and the `max_attempts`-th locks the registration; on success the citizen's earlier verified
/// registration is superseded. `owner`: the key that must have created it (`None`: any); another key's registration
/// reads as none.
pub async fn verify(
    pool: &Pool,
    id: Uuid,
    owner: Option<&str>,
    max_attempts: i32,
    post_office: i32,
    check: impl FnOnce(&Row) -> Check,
) -> Result<Verified, DbError> {
    let mut c = pool.get().await?;
    let tx = c.transaction().await?;
    tx.execute(include_str!("../sql/registry/registration_lock_row.sql"), &[&id]).await?;
    let Some(r) = tx
        .query_opt(include_str!("../sql/registry/registration_get.sql"), &[&id])
        .await?
        .map(|r| row(&r))
        .filter(|r| owner.is_none_or(|o| o == r.created_by))
    else {
        return Ok(Verified::NotFound);
    };
    if r.status == "expired" {
        tx.execute(include_str!("../sql/registry/registration_set_expired.sql"), &[&id]).await?;
        tx.commit().await?;
        return Ok(Verified::NotPending(r.status));
    }
    if r.status != "pending" {
        return Ok(Verified::NotPending(r.status));
    }
    let out = match check(&r) {
        Check::Refuse => Verified::Refused,
        Check::WrongCode => {
            let a = tx
                .query_one(include_str!("../sql/registry/registration_failed_attempt.sql"), &[&id, &max_attempts])
                .await?;
            Verified::WrongCode { attempts: a.get(0) }
        }
        Check::Accept => {
            tx.execute(include_str!("../sql/registry/registration_supersede.sql"), &[&r.citizen_hash, &id]).await?;
            let v = tx.query_one(include_str!("../sql/registry/registration_verify.sql"), &[&id, &post_office]).await?;
            Verified::Done { verified_at: v.get(0) }
        }
    };
    tx.commit().await?;
    Ok(out)
}

/// Revokes a registration created by `owner` (`None`: by any key); `false` when there is none that can be revoked.
pub async fn revoke(pool: &Pool, id: Uuid, owner: Option<&str>) -> Result<bool, DbError> {
    let c = pool.get().await?;
    Ok(c.query_opt(include_str!("../sql/registry/registration_revoke.sql"), &[&id, &owner]).await?.is_some())
}

/// The citizen's verified registration: (id, sealed target). Registrations in any other state are not looked at.
pub async fn verified(pool: &Pool, citizen_hash: &[u8]) -> Result<Option<(Uuid, Vec<u8>)>, DbError> {
    let c = pool.get().await?;
    Ok(c.query_opt(include_str!("../sql/registry/registration_verified.sql"), &[&citizen_hash])
        .await?
        .map(|r| (r.get(0), r.get(1))))
}

/// What identity checks are counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted<'a> {
    /// The API key that asks (its id).
    Key(&'a str),
    /// The citizen asked about (the keyed hash of the ID).
    Citizen(&'a [u8]),
}

/// Counts one identity check more for a key or a citizen today (UTC); returns the day's count, this one included.
/// The first check of a key in a day also drops the counts of days past.
pub async fn count_identity_check(pool: &Pool, counted: Counted<'_>) -> Result<u32, DbError> {
    let c = pool.get().await?;
    let (kind, subject) = match counted {
        Counted::Key(id) => ("key", id.as_bytes()),
        Counted::Citizen(hash) => ("citizen", hash),
    };
    let checks: i32 =
        c.query_one(include_str!("../sql/registry/identity_check_count.sql"), &[&kind, &subject]).await?.get(0);
    if checks == 1 && kind == "key" {
        c.execute(include_str!("../sql/registry/identity_check_forget.sql"), &[]).await?;
    }
    Ok(checks.max(0) as u32)
}

/// One line of the audit log (no personal data: the key id, the action, how it ended).
pub struct AuditEntry<'a> {
    /// The request's id.
    pub request_id: &'a str,
    /// The API key, or `None` for an unauthenticated request.
    pub key_id: Option<&'a str>,
    /// What was attempted, e.g. `registration.revoke`.
    pub action: &'a str,
    /// How it ended: `ok` or the error code.
    pub outcome: &'a str,
    /// HTTP status of the answer.
    pub status: i32,
    /// The registration concerned, if any.
    pub registration_id: Option<Uuid>,
    /// Identity checks: the keyed hash of the citizen ID asked about (never the ID).
    pub subject_hash: Option<&'a [u8]>,
    /// Identity checks: the level asked at.
    pub identity_level: Option<&'a str>,
}

/// Appends one line to the audit log.
pub async fn audit(pool: &Pool, e: &AuditEntry<'_>) -> Result<(), DbError> {
    let c = pool.get().await?;
    c.execute(
        include_str!("../sql/registry/audit_insert.sql"),
        &[
            &e.request_id,
            &e.key_id,
            &e.action,
            &e.outcome,
            &e.status,
            &e.registration_id,
            &e.subject_hash,
            &e.identity_level,
        ],
    )
    .await?;
    Ok(())
}
