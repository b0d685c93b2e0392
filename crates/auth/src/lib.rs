//! API keys, their scopes and per-key rate limits. Nothing here knows about HTTP.
//!
//! A key reads `dck_<id>_<secret>`: an 8-character id (lower-case letters and digits) and a 43-character random
//! secret (256 bits, base64url). Only the id, the SHA-256 of the secret, the scopes, a name, the rate limit and the
//! creation / revocation times are stored — in PostGIS (`api_keys`) when the service has a database, and in a keys
//! file (`keys_file`, JSON lines) otherwise. A plain hash suffices: the secrets are high-entropy, not passwords.

pub mod keyring;
mod limiter;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

pub use keyring::{Keyring, LookupLimits, MIN_ADMIN_TOKEN_CHARS, Principal};
pub use limiter::RateLimiter;

/// What a key may do. Public lookups and tiles need no key at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    /// `POST /v1/addresses/validate`
    #[serde(rename = "address:validate")]
    AddressValidate,
    /// registrations: create; read, verify and revoke those the key created
    #[serde(rename = "registry:write")]
    RegistryWrite,
    /// registrations: read, verify and revoke any registration, whichever key created it
    #[serde(rename = "registry:admin")]
    RegistryAdmin,
    /// `POST /v1/identity/verify-address`
    #[serde(rename = "identity:verify")]
    IdentityVerify,
    /// address writes (`POST/PATCH/DELETE /v1/addresses`)
    #[serde(rename = "admin")]
    Admin,
    /// courier delivery planning (`POST /v1/deliveries/plan` and the plans it makes)
    #[serde(rename = "delivery:plan")]
    DeliveryPlan,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 6] = [
        Scope::AddressValidate,
        Scope::RegistryWrite,
        Scope::RegistryAdmin,
        Scope::IdentityVerify,
        Scope::Admin,
        Scope::DeliveryPlan,
    ];

    /// The scope's name, e.g. `address:validate`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::AddressValidate => "address:validate",
            Scope::RegistryWrite => "registry:write",
            Scope::RegistryAdmin => "registry:admin",
            Scope::IdentityVerify => "identity:verify",
            Scope::Admin => "admin",
            Scope::DeliveryPlan => "delivery:plan",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Scope::ALL.into_iter().find(|sc| sc.as_str() == s.trim()).ok_or_else(|| {
            format!(
                "unknown scope {s:?}; one of {}",
                Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            )
        })
    }
}

/// The level at which a key with `identity:verify` may ask whether a citizen lives at an address: the answer is yes
/// when the given address agrees with the registered one at least at this level. Ordered from the loosest
/// (`province`, which tells the most about where someone lives) to the strictest (`exact`, which tells nothing to
/// whoever does not know the address already).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityLevel {
    /// The same province.
    Province,
    /// The same ward.
    Ward,
    /// The same building (the same 1 m cell, or the same house in another unit).
    Building,
    /// The same delivery point: the default of every key.
    #[default]
    Exact,
}

impl IdentityLevel {
    /// Every level, loosest first.
    pub const ALL: [IdentityLevel; 4] =
        [IdentityLevel::Province, IdentityLevel::Ward, IdentityLevel::Building, IdentityLevel::Exact];

    /// The level's name, e.g. `ward`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityLevel::Province => "province",
            IdentityLevel::Ward => "ward",
            IdentityLevel::Building => "building",
            IdentityLevel::Exact => "exact",
        }
    }

    /// Whether a key entitled to this level may ask at `asked`: at its own level or a stricter one, never looser.
    #[must_use]
    pub fn permits(self, asked: IdentityLevel) -> bool {
        asked >= self
    }
}

impl fmt::Display for IdentityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IdentityLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        IdentityLevel::ALL.into_iter().find(|l| l.as_str() == s.trim()).ok_or_else(|| {
            format!(
                "unknown identity level {s:?}; one of {}",
                IdentityLevel::ALL.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(", ")
            )
        })
    }
}

/// The public id of a key: 8 characters of `[a-z0-9]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyId(String);

impl KeyId {
    /// Checks the form: 8 characters of `[a-z0-9]`.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.len() == 8 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!("{s:?} is not a key id (8 characters a-z, 0-9)"))
        }
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for KeyId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<KeyId> for String {
    fn from(k: KeyId) -> String {
        k.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const SECRET_LEN: usize = 43;

/// A presented key, well-formed (which says nothing about whether it is known). Its `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    id: KeyId,
    secret: String,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey(dck_{}_…)", self.id)
    }
}

impl ApiKey {
    /// `dck_<id>_<secret>`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let rest = s.strip_prefix("dck_").ok_or("an API key starts with dck_")?;
        let (id, secret) = rest.split_once('_').ok_or("an API key reads dck_<id>_<secret>")?;
        let id = KeyId::parse(id)?;
        if secret.len() < 32
            || secret.len() > 128
            || !secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err("the secret part of the key is malformed".into());
        }
        Ok(Self { id, secret: secret.to_owned() })
    }

    /// A new random key.
    pub fn generate() -> Result<Self, diachi_pii::PiiError> {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut raw = [0u8; 8 + 32];
        diachi_pii::random_bytes(&mut raw)?;
        // 252 = 7 × 36: reject nothing, bias of at most 4/256 on an id that is not secret
        let id: String = raw[..8].iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect();
        let secret = URL_SAFE_NO_PAD.encode(&raw[8..]);
        debug_assert_eq!(secret.len(), SECRET_LEN);
        Ok(Self { id: KeyId(id), secret })
    }

    /// The key's public id.
    #[must_use]
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// The SHA-256 of the secret, as stored.
    #[must_use]
    pub fn secret_hash(&self) -> [u8; 32] {
        Sha256::digest(self.secret.as_bytes()).into()
    }

    /// The full key, to show once to its owner.
    #[must_use]
    pub fn reveal(&self) -> String {
        format!("dck_{}_{}", self.id, self.secret)
    }
}

/// A stored key (no secret, only its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// The key's public id.
    pub id: KeyId,
    /// A name for people (who the key is for).
    pub name: String,
    /// What the key may do.
    pub scopes: Vec<Scope>,
    /// hex SHA-256 of the secret
    pub secret_sha256: String,
    /// requests per minute (a burst of as many); `None` = the service's default
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<u32>,
    /// RFC 3339
    pub created_at: String,
    /// RFC 3339; `None` = the key is valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// The level of its identity checks (`identity:verify`); `None` = [`IdentityLevel::Exact`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_level: Option<IdentityLevel>,
    /// Identity checks a day; `None` = the service's `identity_checks_per_key_per_day`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_daily_quota: Option<u32>,
}

/// Lower-case hex.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

impl KeyRecord {
    /// The record of a new key.
    #[must_use]
    pub fn new(key: &ApiKey, name: String, scopes: Vec<Scope>, rate_limit: Option<u32>, created_at: String) -> Self {
        let mut scopes = scopes;
        scopes.sort();
        scopes.dedup();
        Self {
            id: key.id().clone(),
            name,
            scopes,
            secret_sha256: hex(&key.secret_hash()),
            rate_limit,
            created_at,
            revoked_at: None,
            identity_level: None,
            identity_daily_quota: None,
        }
    }

    /// The same record with its identity-check level and daily quota (`None`: the defaults).
    #[must_use]
    pub fn with_identity(self, level: Option<IdentityLevel>, daily_quota: Option<u32>) -> Self {
        Self { identity_level: level, identity_daily_quota: daily_quota, ..self }
    }

    /// Whether `key` is this record's key (constant time) and the record is not revoked.
    #[must_use]
    pub fn accepts(&self, key: &ApiKey) -> bool {
        self.revoked_at.is_none()
            && self.id == *key.id()
            && diachi_pii::ct_eq(self.secret_sha256.as_bytes(), hex(&key.secret_hash()).as_bytes())
    }
}

/// Now as RFC 3339 (UTC, seconds), without a date-time dependency.
#[must_use]
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // civil-from-days (Howard Hinnant)
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_round_trip() {
        let k = ApiKey::generate().unwrap();
        let text = k.reveal();
        assert!(text.starts_with("dck_") && text.len() == 4 + 8 + 1 + SECRET_LEN, "{text}");
        assert_eq!(ApiKey::parse(&text).unwrap(), k);
        assert!(!format!("{k:?}").contains(&text[13..]), "Debug hides the secret");
        for bad in ["", "dck_", "dck_abc_x", "dck_ABCDEFGH_0123456789012345678901234567890123", "xyz_abcdefgh_s"] {
            assert!(ApiKey::parse(bad).is_err(), "{bad}");
        }
        assert_ne!(ApiKey::generate().unwrap(), k);
    }

    #[test]
    fn records_accept_only_their_key() {
        let k = ApiKey::generate().unwrap();
        let mut r = KeyRecord::new(&k, "t".into(), vec![Scope::Admin, Scope::Admin], None, now_rfc3339());
        assert_eq!(r.scopes, vec![Scope::Admin]);
        assert!(r.accepts(&k));
        let forged = ApiKey::parse(&format!("dck_{}_{}", k.id(), "a".repeat(43))).unwrap();
        assert!(!r.accepts(&forged));
        assert!(!r.secret_sha256.contains(&k.reveal()[13..]));
        r.revoked_at = Some(now_rfc3339());
        assert!(!r.accepts(&k));
    }

    #[test]
    fn scopes_parse() {
        for s in Scope::ALL {
            assert_eq!(s.as_str().parse::<Scope>(), Ok(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
        }
        assert!("root".parse::<Scope>().is_err());
    }

    #[test]
    fn identity_levels_parse_order_and_permit_only_stricter() {
        for l in IdentityLevel::ALL {
            assert_eq!(l.as_str().parse::<IdentityLevel>(), Ok(l));
            assert_eq!(serde_json::to_string(&l).unwrap(), format!("\"{l}\""));
        }
        assert_eq!(IdentityLevel::default(), IdentityLevel::Exact);
        assert!(IdentityLevel::Ward.permits(IdentityLevel::Ward) && IdentityLevel::Ward.permits(IdentityLevel::Exact));
        assert!(!IdentityLevel::Ward.permits(IdentityLevel::Province));
        assert!(!IdentityLevel::Exact.permits(IdentityLevel::Building));
        assert!("street".parse::<IdentityLevel>().is_err());
        // an old keys-file line (no identity fields) still reads
        let k = ApiKey::generate().unwrap();
        let old = KeyRecord::new(&k, "t".into(), vec![Scope::IdentityVerify], None, now_rfc3339());
        let line = serde_json::to_string(&old).unwrap();
        assert!(!line.contains("identity_level"), "{line}");
        let back: KeyRecord = serde_json::from_str(&line).unwrap();
        assert_eq!(back, old);
        let ward = old.with_identity(Some(IdentityLevel::Ward), Some(7));
        let back: KeyRecord = serde_json::from_str(&serde_json::to_string(&ward).unwrap()).unwrap();
        assert_eq!((back.identity_level, back.identity_daily_quota), (Some(IdentityLevel::Ward), Some(7)));
    }

    #[test]
    fn rfc3339_now_looks_right() {
        let t = now_rfc3339();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.starts_with("20") && t.ends_with('Z'), "{t}");
    }
}
