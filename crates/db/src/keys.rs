//! API keys in PostGIS (`api_keys`): only the SHA-256 of each secret is stored.

use tokio_postgres::Client;

use super::DbError;
use diachi_auth::{IdentityLevel, KeyId, KeyRecord, Scope};

/// The keyring finds keys of the database through this.
impl diachi_auth::keyring::KeyStore for super::Database {
    fn find<'a>(&'a self, id: &'a KeyId) -> diachi_auth::keyring::Lookup<'a> {
        Box::pin(async move {
            let client = self.pool.get().await.map_err(DbError::from)?;
            Ok(find(&client, id).await?)
        })
    }
}

fn record(row: &tokio_postgres::Row) -> Result<KeyRecord, DbError> {
    let id: String = row.get(0);
    let scopes: Vec<String> = row.get(2);
    let hash: Vec<u8> = row.get(3);
    Ok(KeyRecord {
        id: KeyId::parse(&id).map_err(DbError::BadData)?,
        name: row.get(1),
        scopes: scopes.iter().map(|s| s.parse::<Scope>()).collect::<Result<_, _>>().map_err(DbError::BadData)?,
        secret_sha256: diachi_auth::hex(&hash),
        rate_limit: row.get::<_, Option<i32>>(4).map(|n| n.max(0) as u32),
        created_at: row.get(5),
        revoked_at: row.get(6),
        identity_level: row
            .get::<_, Option<&str>>(7)
            .map(str::parse::<IdentityLevel>)
            .transpose()
            .map_err(DbError::BadData)?,
        identity_daily_quota: row.get::<_, Option<i32>>(8).map(|n| n.max(0) as u32),
    })
}

fn unhex(s: &str) -> Result<Vec<u8>, DbError> {
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(|| DbError::BadData("a key hash is not hex".into()))
}

/// Stores a new key; returns its record with the database's creation time.
pub async fn insert(client: &Client, rec: &KeyRecord) -> Result<KeyRecord, DbError> {
    let scopes: Vec<&str> = rec.scopes.iter().map(|s| s.as_str()).collect();
    let limit = rec.rate_limit.map(|n| i32::try_from(n).unwrap_or(i32::MAX));
    let level = rec.identity_level.map(IdentityLevel::as_str);
    let quota = rec.identity_daily_quota.map(|n| i32::try_from(n).unwrap_or(i32::MAX));
    let row = client
        .query_one(
            include_str!("../sql/registry/key_insert.sql"),
            &[&rec.id.as_str(), &rec.name, &scopes, &unhex(&rec.secret_sha256)?, &limit, &level, &quota],
        )
        .await?;
    Ok(KeyRecord { created_at: row.get(0), ..rec.clone() })
}

/// The stored key with this id, if any.
pub async fn find(client: &Client, id: &KeyId) -> Result<Option<KeyRecord>, DbError> {
    client
        .query_opt(include_str!("../sql/registry/key_find.sql"), &[&id.as_str()])
        .await?
        .as_ref()
        .map(record)
        .transpose()
}

/// Every stored key.
pub async fn list(client: &Client) -> Result<Vec<KeyRecord>, DbError> {
    client.query(include_str!("../sql/registry/key_list.sql"), &[]).await?.iter().map(record).collect()
}

/// Revokes a key; `false` when there is no such key not revoked yet.
pub async fn revoke(client: &Client, id: &KeyId) -> Result<bool, DbError> {
    Ok(client.execute(include_str!("../sql/registry/key_revoke.sql"), &[&id.as_str()]).await? == 1)
}
