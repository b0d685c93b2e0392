//! Where keys are found: the admin token, keys given at start, the keys file and the database (looked up through a
//! short cache, so that a revocation in the database takes effect within `key_cache_ttl_s` seconds, 30 by default; a
//! revocation in the keys file within a second).
//!
//! The database is asked only about ids in no cache: ids it does not know are remembered for [`UNKNOWN_TTL`] in a
//! bounded negative cache, and each such miss is counted against [`LookupLimits`] (per peer and for the whole
//! process); once a limit is spent the database is not asked at all (429) until it refills. So a flood of made-up but
//! well-formed ids costs at most the limits' worth of queries, while lookups of keys that exist are never counted.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use super::{ApiKey, IdentityLevel, KeyId, KeyRecord, RateLimiter, Scope};

/// The shortest admin token the service accepts (characters); `serve` refuses to start with a shorter one.
pub const MIN_ADMIN_TOKEN_CHARS: usize = 32;
/// How long an id the key store does not know is remembered as unknown.
pub const UNKNOWN_TTL: Duration = Duration::from_mins(1);
/// Unknown ids remembered at most (a few MB).
pub const UNKNOWN_CAPACITY: u64 = 100_000;
/// Peers whose lookups are counted at most (beyond it, a new peer waits until a bucket refills).
const PEER_CAPACITY: usize = 10_000;

/// The error of a [`KeyStore`], as the store tells it.
pub type StoreError = Box<dyn std::error::Error + Send + Sync>;

/// A future of a [`KeyStore`] lookup.
pub type Lookup<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Option<KeyRecord>, StoreError>> + Send + 'a>>;

/// Where keys beyond the admin token and the keys file live (the database, in `diachi-db`).
pub trait KeyStore: Send + Sync {
    /// The record of key `id`, revoked or not; `None` when there is none.
    fn find<'a>(&'a self, id: &'a KeyId) -> Lookup<'a>;
}

/// Why a request is not let through.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer …` header, or one that cannot be read.
    #[error("this endpoint needs `Authorization: Bearer <API key>`")]
    Missing,
    /// A key that is not known, revoked or wrong.
    #[error("the API key is not valid (unknown, revoked or mistyped)")]
    Invalid,
    /// A valid key without the scope the endpoint needs.
    #[error("this API key lacks the scope `{0}`")]
    MissingScope(Scope),
    /// Over the key's rate limit.
    #[error("rate limit of the API key exceeded; retry in {} s", .0.as_secs().max(1))]
    RateLimited(Duration),
    /// The key store (database) cannot be read.
    #[error("the key store cannot be read: {0}")]
    Store(#[source] StoreError),
}

/// The caller a request was let through for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The key id, or `admin-token` for the configuration's admin token.
    pub key_id: String,
    /// What the caller may do.
    pub scopes: Vec<Scope>,
    /// requests per minute; 0 = unlimited
    pub rate_limit: u32,
    /// The level of its identity checks.
    pub identity_level: IdentityLevel,
    /// Identity checks a day; `None` = the service's default.
    pub identity_daily_quota: Option<u32>,
}

impl Principal {
    /// Whether the caller holds `scope`.
    #[must_use]
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// The id under which the admin token appears in the audit log.
pub const ADMIN_TOKEN_ID: &str = "admin-token";

struct FileCache {
    checked: Option<Instant>,
    /// The file's modification time and length when last read: a rewrite within one tick of a coarse clock
    /// still changes the length in practice (a key added or removed).
    modified: Option<(SystemTime, u64)>,
    keys: Arc<HashMap<KeyId, KeyRecord>>,
}

/// How many key-store lookups of unknown ids are allowed (per process): per minute per peer (an IPv4 address, an
/// IPv6 /64) and in all; 0 = unlimited. Lookups that find a key are not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LookupLimits {
    /// Lookups a minute from one peer.
    pub per_peer_per_minute: u32,
    /// Lookups a minute in all.
    pub per_minute: u32,
}

impl Default for LookupLimits {
    fn default() -> Self {
        Self { per_peer_per_minute: 60, per_minute: 6_000 }
    }
}

/// The keys of one running service.
pub struct Keyring {
    /// SHA-256 of the admin token: compared in constant time over a fixed size, whatever the length given
    admin_token: Option<[u8; 32]>,
    keys: HashMap<KeyId, KeyRecord>,
    keys_file: Option<PathBuf>,
    file: Mutex<FileCache>,
    db_cache: Option<moka::sync::Cache<KeyId, Arc<KeyRecord>>>,
    unknown: moka::sync::Cache<KeyId, ()>,
    lookup_limits: LookupLimits,
    peer_lookups: RateLimiter,
    all_lookups: RateLimiter,
    default_limit: u32,
    limiter: RateLimiter,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("keys_file", &self.keys_file).finish_non_exhaustive()
    }
}

impl Keyring {
    /// A keyring from the admin token, the keys file and the default limit (requests per minute, 0 = unlimited); `cache_ttl` is how long keys read from the database are kept (zero: not cached).
    /// The admin token is not checked here (`serve` refuses one shorter than [`MIN_ADMIN_TOKEN_CHARS`]); it carries
    /// the `admin` scope only and the default limit.
    #[must_use]
    pub fn new(
        admin_token: Option<String>,
        keys_file: Option<PathBuf>,
        default_limit: u32,
        cache_ttl: Duration,
    ) -> Self {
        Self {
            admin_token: admin_token.filter(|t| !t.is_empty()).map(|t| Sha256::digest(t.as_bytes()).into()),
            keys: HashMap::new(),
            keys_file,
            file: Mutex::new(FileCache { checked: None, modified: None, keys: Arc::default() }),
            db_cache: (!cache_ttl.is_zero())
                .then(|| moka::sync::Cache::builder().max_capacity(10_000).time_to_live(cache_ttl).build()),
            unknown: moka::sync::Cache::builder().max_capacity(UNKNOWN_CAPACITY).time_to_live(UNKNOWN_TTL).build(),
            lookup_limits: LookupLimits::default(),
            peer_lookups: RateLimiter::with_capacity(PEER_CAPACITY),
            all_lookups: RateLimiter::with_capacity(1),
            default_limit,
            limiter: RateLimiter::new(),
        }
    }

    /// The same keyring with keys given at start (tests, embedded set-ups), found before the keys file.
    #[must_use]
    pub fn with_keys(mut self, keys: impl IntoIterator<Item = KeyRecord>) -> Self {
        self.keys.extend(keys.into_iter().map(|k| (k.id.clone(), k)));
        self
    }

    /// The same keyring with these limits on key-store lookups.
    #[must_use]
    pub fn with_lookup_limits(mut self, limits: LookupLimits) -> Self {
        self.lookup_limits = limits;
        self
    }

    /// Whether the peer's and the process's limits of unknown-id lookups are not spent.
    fn admit_lookup(&self, peer: Option<IpAddr>) -> Result<(), AuthError> {
        let limits = self.lookup_limits;
        if let Some(peer) = peer {
            self.peer_lookups
                .would_allow(&peer_name(peer), limits.per_peer_per_minute)
                .map_err(AuthError::RateLimited)?;
        }
        self.all_lookups.would_allow("all", limits.per_minute).map_err(AuthError::RateLimited)
    }

    /// Counts a lookup that found no key against the peer's and the process's limits.
    fn count_miss(&self, peer: Option<IpAddr>) {
        let limits = self.lookup_limits;
        // already admitted: a refusal here only means concurrent misses spent the bucket meanwhile
        if let Some(peer) = peer {
            let _ = self.peer_lookups.check(&peer_name(peer), limits.per_peer_per_minute);
        }
        let _ = self.all_lookups.check("all", limits.per_minute);
    }

    /// The keys of the keys file, read again when it changed (looked at no more than once a second).
    fn file_keys(&self) -> Arc<HashMap<KeyId, KeyRecord>> {
        let Some(path) = &self.keys_file else { return Arc::default() };
        let mut c = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if c.checked.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
            return c.keys.clone();
        }
        c.checked = Some(Instant::now());
        let modified = std::fs::metadata(path).and_then(|m| Ok((m.modified()?, m.len()))).ok();
        if modified != c.modified || modified.is_none() {
            match read_keys_file(path) {
                Ok(keys) => c.keys = Arc::new(keys.into_iter().map(|k| (k.id.clone(), k)).collect()),
                Err(e) => tracing::warn!(path = %path.display(), error = %e, "cannot read the keys file"),
            }
            c.modified = modified;
        }
        c.keys.clone()
    }

    /// The stored record of `id`: from the cache, else (within the lookup limits) from the store. Ids the store
    /// does not know are remembered as unknown.
    async fn stored_record(
        &self,
        id: &KeyId,
        store: &dyn KeyStore,
        peer: Option<IpAddr>,
    ) -> Result<Option<Arc<KeyRecord>>, AuthError> {
        if let Some(hit) = self.db_cache.as_ref().and_then(|c| c.get(id)) {
            return Ok(Some(hit));
        }
        if self.unknown.contains_key(id) {
            return Ok(None);
        }
        self.admit_lookup(peer)?;
        let found = store.find(id).await.map_err(AuthError::Store)?.map(Arc::new);
        if let Some(r) = &found {
            if let Some(c) = &self.db_cache {
                c.insert(id.clone(), r.clone());
            }
        } else {
            self.unknown.insert(id.clone(), ());
            self.count_miss(peer);
        }
        Ok(found)
    }

    /// Who presents `token` (the text after `Bearer `), sent from `peer` (which bounds the key-store lookups it may
    /// cause; `None`: only the process's bound).
    pub async fn authenticate(
        &self,
        token: &str,
        store: Option<&dyn KeyStore>,
        peer: Option<IpAddr>,
    ) -> Result<Principal, AuthError> {
        if let Some(admin) = &self.admin_token {
            // both sides hashed first: the comparison takes the same time whatever the length presented
            let given: [u8; 32] = Sha256::digest(token.as_bytes()).into();
            if diachi_pii::ct_eq(&given, admin) {
                return Ok(Principal {
                    key_id: ADMIN_TOKEN_ID.into(),
                    scopes: vec![Scope::Admin],
                    rate_limit: self.default_limit,
                    identity_level: IdentityLevel::Exact,
                    identity_daily_quota: None,
                });
            }
        }
        let key = ApiKey::parse(token).map_err(|_| AuthError::Invalid)?;
        let given = self.keys.get(key.id()).cloned().or_else(|| self.file_keys().get(key.id()).cloned());
        let record = match (given.map(Arc::new), store) {
            (Some(r), _) => Some(r),
            (None, Some(store)) => self.stored_record(key.id(), store, peer).await?,
            (None, None) => None,
        };
        match record {
            Some(r) if r.accepts(&key) => Ok(Principal {
                key_id: r.id.to_string(),
                scopes: r.scopes.clone(),
                rate_limit: r.rate_limit.unwrap_or(self.default_limit),
                identity_level: r.identity_level.unwrap_or_default(),
                identity_daily_quota: r.identity_daily_quota,
            }),
            _ => Err(AuthError::Invalid),
        }
    }

    /// Checks the scope, then takes one request from the key's rate limit.
    pub fn admit(&self, who: &Principal, scope: Scope) -> Result<(), AuthError> {
        self.admit_any(who, &[scope])
    }

    /// Checks that the caller holds one of `scopes` (the first is named when none is held), then takes one request
    /// from the key's rate limit.
    pub fn admit_any(&self, who: &Principal, scopes: &[Scope]) -> Result<(), AuthError> {
        if !scopes.iter().any(|s| who.has(*s)) {
            return Err(AuthError::MissingScope(scopes.first().copied().unwrap_or(Scope::Admin)));
        }
        self.limiter.check(&who.key_id, who.rate_limit).map_err(AuthError::RateLimited)
    }
}

/// A peer as its lookups are counted: an IPv4 address, or the /64 of an IPv6 address (one host's usual share).
fn peer_name(peer: IpAddr) -> String {
    match peer {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return v4.to_string();
            }
            let s = a.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// Errors of the keys file.
#[derive(Debug, thiserror::Error)]
pub enum KeysFileError {
    /// The file cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The failure.
        source: std::io::Error,
    },
    /// A line of the file is not a key record.
    #[error("{path} line {line}: {message}")]
    Bad {
        /// The file.
        path: String,
        /// Line number from 1; 0 when writing.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// No key with this id.
    #[error("no key {0}")]
    NotFound(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeysFileError + '_ {
    move |source| KeysFileError::Io { path: path.display().to_string(), source }
}

/// The records of a keys file (JSON lines; blank lines and `#` comments skipped). A missing file has no keys.
pub fn read_keys_file(path: &Path) -> Result<Vec<KeyRecord>, KeysFileError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(io(path)(e)),
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| KeysFileError::Bad {
                path: path.display().to_string(),
                line: i + 1,
                message: e.to_string(),
            })
        })
        .collect()
}

fn write_keys_file(path: &Path, keys: &[KeyRecord]) -> Result<(), KeysFileError> {
    let mut text = String::new();
    for k in keys {
        text.push_str(&serde_json::to_string(k).map_err(|e| KeysFileError::Bad {
            path: path.display().to_string(),
            line: 0,
            message: e.to_string(),
        })?);
        text.push('\n');
    }
    // write beside it, then rename: a reader never sees half a file
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// Adds a key to the file (created when missing).
pub fn add_to_keys_file(path: &Path, record: KeyRecord) -> Result<(), KeysFileError> {
    let mut keys = read_keys_file(path)?;
    keys.push(record);
    write_keys_file(path, &keys)
}

/// Marks a key of the file revoked.
pub fn revoke_in_keys_file(path: &Path, id: &KeyId) -> Result<(), KeysFileError> {
    let mut keys = read_keys_file(path)?;
    let k = keys
        .iter_mut()
        .find(|k| &k.id == id && k.revoked_at.is_none())
        .ok_or_else(|| KeysFileError::NotFound(id.to_string()))?;
    k.revoked_at = Some(super::now_rfc3339());
    write_keys_file(path, &keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    }

    #[test]
    fn keys_file_create_authenticate_revoke() {
        let dir = std::env::temp_dir().join(format!("diachi-keys-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keys.jsonl");
        let key = ApiKey::generate().unwrap();
        let rec = KeyRecord::new(&key, "test".into(), vec![Scope::RegistryWrite], Some(2), super::super::now_rfc3339());
        add_to_keys_file(&path, rec).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&key.reveal()[13..]), "the secret is not stored");

        let ring = Keyring::new(Some("legacy".into()), Some(path.clone()), 100, Duration::ZERO);
        let who = rt().block_on(ring.authenticate(&key.reveal(), None, None)).unwrap();
        assert_eq!((who.key_id.as_str(), who.rate_limit), (key.id().as_str(), 2));
        assert!(matches!(ring.admit(&who, Scope::Admin), Err(AuthError::MissingScope(Scope::Admin))));
        assert!(ring.admit(&who, Scope::RegistryWrite).is_ok());
        assert!(ring.admit(&who, Scope::RegistryWrite).is_ok());
        assert!(matches!(ring.admit(&who, Scope::RegistryWrite), Err(AuthError::RateLimited(_))));
        let admin = rt().block_on(ring.authenticate("legacy", None, None)).unwrap();
        assert_eq!(admin.scopes, vec![Scope::Admin], "the admin token is for the admin scope only");
        assert_eq!(admin.rate_limit, 100, "and limited like a key");
        for wrong in ["legacy2", "legac", "", "legacy\0", &"legacy".repeat(100)] {
            assert!(matches!(rt().block_on(ring.authenticate(wrong, None, None)), Err(AuthError::Invalid)), "{wrong}");
        }

        revoke_in_keys_file(&path, key.id()).unwrap();
        // a fresh keyring (the running one notices within a second)
        let ring = Keyring::new(None, Some(path.clone()), 100, Duration::ZERO);
        assert!(matches!(rt().block_on(ring.authenticate(&key.reveal(), None, None)), Err(AuthError::Invalid)));
        assert!(matches!(revoke_in_keys_file(&path, key.id()), Err(KeysFileError::NotFound(_))));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A store that counts its lookups and knows one key.
    struct Counting {
        known: KeyRecord,
        lookups: std::sync::atomic::AtomicUsize,
    }

    impl KeyStore for Counting {
        fn find<'a>(&'a self, id: &'a KeyId) -> Lookup<'a> {
            self.lookups.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let found = (id == &self.known.id).then(|| self.known.clone());
            Box::pin(async move { Ok(found) })
        }
    }

    /// Issue 16, finding 6: unknown ids are remembered, and lookups of ids in no cache are limited per peer and in all.
    #[test]
    fn unknown_ids_are_remembered_and_lookups_limited() {
        let key = ApiKey::generate().unwrap();
        let known = KeyRecord::new(&key, "k".into(), vec![Scope::AddressValidate], None, super::super::now_rfc3339());
        let store = Counting { known, lookups: 0.into() };
        let lookups = || store.lookups.load(std::sync::atomic::Ordering::Relaxed);
        let ring = Keyring::new(None, None, 0, Duration::from_secs(30))
            .with_lookup_limits(LookupLimits { per_peer_per_minute: 5, per_minute: 6 });
        let (a, b, c): (IpAddr, IpAddr, IpAddr) =
            ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap(), "2001:db8::1".parse().unwrap());
        let unknown = |i: usize| format!("dck_zz{i:06}_{}", "A".repeat(43));
        let auth = |t: &str, peer| rt().block_on(ring.authenticate(t, Some(&store), Some(peer)));
        // the same unknown id many times: one lookup
        for _ in 0..50 {
            assert!(matches!(auth(&unknown(0), a), Err(AuthError::Invalid)));
        }
        assert_eq!(lookups(), 1);
        // distinct unknown ids from one peer: 5 lookups in all (the first above included), then refused before the store
        let limited = (1..20).filter(|i| matches!(auth(&unknown(*i), a), Err(AuthError::RateLimited(_)))).count();
        assert_eq!((lookups(), limited), (5, 15));
        // another peer has a bucket of its own, within the process's 6 a minute; a key found is not counted
        assert!(auth(&key.reveal(), b).is_ok());
        assert!(matches!(auth(&unknown(100), b), Err(AuthError::Invalid)));
        assert!(matches!(auth(&unknown(101), c), Err(AuthError::RateLimited(_))), "6 in all");
        assert_eq!(lookups(), 7);
        // the known key is cached: no lookup, no limit
        for _ in 0..20 {
            assert!(auth(&key.reveal(), a).is_ok());
        }
        assert_eq!(lookups(), 7);
        // without a key cache every request looks its key up; keys found never spend the limits
        let uncached = Keyring::new(None, None, 0, Duration::ZERO)
            .with_lookup_limits(LookupLimits { per_peer_per_minute: 1, per_minute: 1 });
        for _ in 0..20 {
            assert!(rt().block_on(uncached.authenticate(&key.reveal(), Some(&store), Some(a))).is_ok());
        }
        assert_eq!(lookups(), 27);
        // IPv6 peers count by /64
        assert_eq!(peer_name("2001:db8:1:2:3:4:5:6".parse().unwrap()), "2001:db8:1:2::/64");
        assert_eq!(peer_name("::ffff:10.1.2.3".parse().unwrap()), "10.1.2.3");
    }

    #[test]
    fn keys_given_at_start_are_found() {
        let key = ApiKey::generate().unwrap();
        let rec = KeyRecord::new(&key, "k".into(), vec![Scope::IdentityVerify], Some(9), super::super::now_rfc3339())
            .with_identity(Some(IdentityLevel::Ward), Some(3));
        let ring = Keyring::new(None, None, 100, Duration::ZERO).with_keys([rec]);
        let who = rt().block_on(ring.authenticate(&key.reveal(), None, None)).unwrap();
        assert_eq!((who.rate_limit, who.identity_level, who.identity_daily_quota), (9, IdentityLevel::Ward, Some(3)));
        assert!(ring.admit_any(&who, &[Scope::RegistryWrite, Scope::IdentityVerify]).is_ok());
        assert!(matches!(
            ring.admit_any(&who, &[Scope::RegistryWrite, Scope::RegistryAdmin]),
            Err(AuthError::MissingScope(Scope::RegistryWrite))
        ));
    }
}
