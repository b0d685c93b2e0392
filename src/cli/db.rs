//! `diachi db`: PostGIS schema migrations and the bulk import.

use clap::Subcommand;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

use super::{DatasetArgs, database_url, db_runtime, load_config, read_postcodes};

/// What `db` does.
#[derive(Subcommand)]
pub enum DbCommand {
    /// Apply the schema migrations not applied yet (applying twice is a no-op).
    Migrate(DbArgs),
    /// Load the real geography and a generated national address set (replacing an earlier import) with binary COPY.
    Import(DbImportArgs),
}

/// The database of a `db` command.
#[derive(clap::Args, Serialize)]
pub struct DbArgs {
    /// Configuration file (TOML); `diachi.toml` is read when present.
    #[arg(long)]
    #[serde(skip)]
    config: Option<PathBuf>,
    /// postgres://user[:password]@host[:port]/database (default: the `DATABASE_URL` variable).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    database_url: Option<String>,
}

/// The flags of `db import`.
#[derive(clap::Args, Serialize)]
pub struct DbImportArgs {
    #[command(flatten)]
    #[serde(flatten)]
    db: DbArgs,
    #[command(flatten)]
    #[serde(flatten)]
    dataset: DatasetArgs,
    /// No progress bar.
    #[arg(long)]
    #[serde(skip)]
    quiet: bool,
}

pub fn run(cmd: DbCommand) -> anyhow::Result<()> {
    match cmd {
        DbCommand::Migrate(args) => migrate(&args),
        DbCommand::Import(args) => import(&args),
    }
}

fn migrate(args: &DbArgs) -> anyhow::Result<()> {
    let config = load_config(args.config.as_deref(), args)?;
    let url = database_url(&config)?;
    db_runtime()?.block_on(async {
        let mut client = diachi_db::connect(&url).await?;
        let applied = diachi_db::migrate::run(&mut client).await?;
        let version = diachi_db::check_postgis(&client).await?;
        if applied.is_empty() {
            println!("the schema is up to date (migration {}; PostGIS {version})", diachi_db::migrate::latest());
        } else {
            println!("applied {} (PostGIS {version})", applied.join(", "));
        }
        Ok(())
    })
}

fn import(args: &DbImportArgs) -> anyhow::Result<()> {
    let config = load_config(args.db.config.as_deref(), args)?;
    let url = database_url(&config)?;
    let postcodes = read_postcodes(config.postcodes_file.as_deref())?;
    let t = Instant::now();
    let data = diachi_synth::build_dataset(config.households.0, config.seed, postcodes)?;
    let generated = t.elapsed().as_secs_f64();
    let report = db_runtime()?.block_on(async {
        let mut client = diachi_db::connect(&url).await?;
        diachi_db::import::import(&mut client, data, !args.quiet).await
    })?;
    println!(
        "imported {} addresses, {} post offices, {} wards, {} postal zones, {} provinces in {:.1} s \
         (generated in {generated:.1} s): COPY {:.1} s = {:.0} addresses/s, indexes {:.1} s, \
         {:.0} addresses/s overall",
        report.addresses,
        report.post_offices,
        report.wards,
        report.postal_zones,
        report.provinces,
        report.total_s,
        report.copy_addresses_s,
        report.copy_rate(),
        report.index_s,
        report.overall_rate(),
    );
    Ok(())
}
