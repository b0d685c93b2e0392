//! Where keys are found: the legacy admin token, the keys file and the database (looked up through a short cache,
//! so that a revocation in the database takes effect within `key_cache_ttl_s` seconds, 30 by default; a revocation
//! in the keys file within a second).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use super::{ApiKey, KeyId, KeyRecord, RateLimiter, Scope};

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
    modified: Option<SystemTime>,
    keys: Arc<HashMap<KeyId, KeyRecord>>,
}

/// The keys of one running service.
pub struct Keyring {
    admin_token: Option<String>,
    keys_file: Option<PathBuf>,
    file: Mutex<FileCache>,
    db_cache: Option<moka::sync::Cache<KeyId, Option<Arc<KeyRecord>>>>,
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
    #[must_use]
    pub fn new(
        admin_token: Option<String>,
        keys_file: Option<PathBuf>,
        default_limit: u32,
        cache_ttl: Duration,
    ) -> Self {
        Self {
            admin_token: admin_token.filter(|t| !t.is_empty()),
            keys_file,
            file: Mutex::new(FileCache { checked: None, modified: None, keys: Arc::default() }),
            db_cache: (!cache_ttl.is_zero())
                .then(|| moka::sync::Cache::builder().max_capacity(10_000).time_to_live(cache_ttl).build()),
            default_limit,
            limiter: RateLimiter::new(),
        }
    }

    /// The keys of the keys file, read again when it changed (looked at no more than once a second).
    fn file_keys(&self) -> Arc<HashMap<KeyId, KeyRecord>> {
        let Some(path) = &self.keys_file else { return Arc::default() };
        let mut c = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if c.checked.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
            return c.keys.clone();
        }
        c.checked = Some(Instant::now());
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        if modified != c.modified || modified.is_none() {
            match read_keys_file(path) {
                Ok(keys) => c.keys = Arc::new(keys.into_iter().map(|k| (k.id.clone(), k)).collect()),
                Err(e) => tracing::warn!(path = %path.display(), error = %e, "cannot read the keys file"),
            }
            c.modified = modified;
        }
        c.keys.clone()
    }

    async fn stored_record(&self, id: &KeyId, store: &dyn KeyStore) -> Result<Option<Arc<KeyRecord>>, AuthError> {
        if let Some(hit) = self.db_cache.as_ref().and_then(|c| c.get(id)) {
            return Ok(hit);
        }
        let found = store.find(id).await.map_err(AuthError::Store)?.map(Arc::new);
        if let Some(c) = &self.db_cache {
            c.insert(id.clone(), found.clone());
        }
        Ok(found)
    }

    /// Who presents `token` (the text after `Bearer `).
    pub async fn authenticate(&self, token: &str, store: Option<&dyn KeyStore>) -> Result<Principal, AuthError> {
        if let Some(admin) = &self.admin_token
            && diachi_pii::ct_eq(token.as_bytes(), admin.as_bytes())
        {
            return Ok(Principal { key_id: ADMIN_TOKEN_ID.into(), scopes: Scope::ALL.to_vec(), rate_limit: 0 });
        }
        let key = ApiKey::parse(token).map_err(|_| AuthError::Invalid)?;
        let from_file = self.file_keys().get(key.id()).cloned().map(Arc::new);
        let record = match (from_file, store) {
            (Some(r), _) => Some(r),
            (None, Some(store)) => self.stored_record(key.id(), store).await?,
            (None, None) => None,
        };
        match record {
            Some(r) if r.accepts(&key) => Ok(Principal {
                key_id: r.id.to_string(),
                scopes: r.scopes.clone(),
                rate_limit: r.rate_limit.unwrap_or(self.default_limit),
            }),
            _ => Err(AuthError::Invalid),
        }
    }

    /// Checks the scope, then takes one request from the key's rate limit.
    pub fn admit(&self, who: &Principal, scope: Scope) -> Result<(), AuthError> {
        if !who.has(scope) {
            return Err(AuthError::MissingScope(scope));
        }
        self.limiter.check(&who.key_id, who.rate_limit).map_err(AuthError::RateLimited)
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
        let who = rt().block_on(ring.authenticate(&key.reveal(), None)).unwrap();
        assert_eq!((who.key_id.as_str(), who.rate_limit), (key.id().as_str(), 2));
        assert!(matches!(ring.admit(&who, Scope::Admin), Err(AuthError::MissingScope(Scope::Admin))));
        assert!(ring.admit(&who, Scope::RegistryWrite).is_ok());
        assert!(ring.admit(&who, Scope::RegistryWrite).is_ok());
        assert!(matches!(ring.admit(&who, Scope::RegistryWrite), Err(AuthError::RateLimited(_))));
        let admin = rt().block_on(ring.authenticate("legacy", None)).unwrap();
        assert!(Scope::ALL.iter().all(|s| admin.has(*s)));
        assert!(matches!(rt().block_on(ring.authenticate("legacy2", None)), Err(AuthError::Invalid)));

        revoke_in_keys_file(&path, key.id()).unwrap();
        // a fresh keyring (the running one notices within a second)
        let ring = Keyring::new(None, Some(path.clone()), 100, Duration::ZERO);
        assert!(matches!(rt().block_on(ring.authenticate(&key.reveal(), None)), Err(AuthError::Invalid)));
        assert!(matches!(revoke_in_keys_file(&path, key.id()), Err(KeysFileError::NotFound(_))));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
