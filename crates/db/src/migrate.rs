//! The numbered migrations of `migrations/`, embedded in the binary and applied with refinery.

use super::DbError;

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// The number of the newest migration this binary knows.
#[must_use]
pub fn latest() -> i32 {
    embedded::migrations::runner().get_migrations().iter().map(refinery::Migration::version).max().unwrap_or(0)
}

/// Applies the migrations not applied yet, in order, each in its own transaction; returns the names of those applied
/// (none when the schema is up to date).
pub async fn run(client: &mut tokio_postgres::Client) -> Result<Vec<String>, DbError> {
    let report = embedded::migrations::runner().run_async(client).await?;
    Ok(report.applied_migrations().iter().map(|m| format!("V{}__{}", m.version(), m.name())).collect())
}

/// Checks that every migration this binary knows is applied (`serve` does not migrate on its own).
pub async fn check(client: &mut tokio_postgres::Client) -> Result<(), DbError> {
    let wanted = latest();
    let history = client.query_one("SELECT to_regclass('refinery_schema_history') IS NOT NULL", &[]).await?;
    if !history.get::<_, bool>(0) {
        return Err(DbError::NotMigrated { found: None, wanted });
    }
    let last = embedded::migrations::runner().get_last_applied_migration_async(client).await?;
    let found = last.map(|m| m.version());
    if found.is_none_or(|v| v < wanted) {
        return Err(DbError::NotMigrated { found, wanted });
    }
    Ok(())
}
