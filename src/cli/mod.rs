//! The subcommands of `diachi`, one module each; what they share (configuration, logging, the dataset flags) is here.

mod db;
mod eval;
mod generate;
mod import;
mod keys;
mod plan;
mod residents;
mod resolve;
mod serve;
mod testdata;
mod tiles;

use anyhow::Context;
use clap::{Parser, Subcommand};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

use diachi_geo::geography::PostcodeTable;
use diachi_geo::index::NationalIndex;
use diachi_server::config::{Config, DEFAULT_HOUSEHOLDS, DEFAULT_SEED, Households};

/// The command line.
#[derive(Parser)]
#[command(name = "diachi", version, about = "Vietnam's national digital-address layer")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API on the embedded national dataset (no database, no network needed).
    Serve(serve::ServeArgs),
    /// Write the deterministic synthetic national address set (same seed and size, same bytes).
    Generate(generate::GenerateArgs),
    /// Import official data.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Vector tiles.
    #[command(subcommand)]
    Tiles(tiles::TilesCommand),
    /// API keys (in the database when one is configured, else in the keys file) and the PII master key.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Synthetic residents of the generated households, as CSV on standard output.
    Residents(residents::ResidentsArgs),
    /// PostGIS: schema migrations and the bulk import.
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Labelled test sets.
    #[command(subcommand)]
    Testdata(testdata::TestdataCommand),
    /// Resolve addresses given as arguments (or one per line on stdin) and print the answers as JSON lines.
    Resolve(resolve::ResolveArgs),
    /// Measure the address resolver on a labelled set.
    #[command(subcommand)]
    Eval(eval::EvalCommand),
    /// Plan a day's deliveries from a request file (the body of `POST /v1/deliveries/plan`); the plan on stdout.
    Plan(plan::PlanArgs),
}

impl Cli {
    /// Runs the subcommand. `serve` sets up logging from its configuration; every other command logs plain text.
    pub fn run(self) -> anyhow::Result<()> {
        // kept to the end: the log lines still queued are written when it drops
        let _log = (!matches!(self.command, Command::Serve(_))).then(|| diachi_server::telemetry::init("text"));
        match self.command {
            Command::Serve(args) => serve::run(&args),
            Command::Generate(args) => generate::run(&args),
            Command::Import(cmd) => import::run(cmd),
            Command::Tiles(cmd) => tiles::run(cmd),
            Command::Keys(cmd) => keys::run(cmd),
            Command::Residents(args) => residents::run(&args),
            Command::Db(cmd) => db::run(cmd),
            Command::Testdata(cmd) => testdata::run(cmd),
            Command::Resolve(args) => resolve::run(args),
            Command::Eval(cmd) => eval::run(cmd),
            Command::Plan(args) => plan::run(&args),
        }
    }
}

/// The dataset flags shared by the commands that build the index (each overrides the configuration file when given).
#[derive(clap::Args, Serialize)]
pub struct DatasetArgs {
    /// Households to generate: a number or `full` [default: 1000000].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    households: Option<Households>,
    /// Seed of the synthetic set [default: 2025].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
    /// An official ward → postcode table written by `diachi import postcodes`.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    postcodes_file: Option<PathBuf>,
}

impl DatasetArgs {
    /// The generated set these flags name (defaults: 1,000,000 households, seed 2025), indexed.
    fn build_index(&self) -> anyhow::Result<NationalIndex> {
        let households = self.households.map_or(DEFAULT_HOUSEHOLDS, |h| h.0);
        let postcodes = read_postcodes(self.postcodes_file.as_deref())?;
        let data = diachi_synth::build_dataset(households, self.seed.unwrap_or(DEFAULT_SEED), postcodes)?;
        Ok(NationalIndex::build(data))
    }
}

/// The configuration: defaults, then the file (`--config` or `diachi.toml`), then `DIACHI_*`, then `flags`.
fn load_config(file: Option<&Path>, flags: &impl Serialize) -> anyhow::Result<Config> {
    Config::load(file, flags).map_err(|e| anyhow::anyhow!("{e}"))
}

/// An official postcode table, when a file is named.
fn read_postcodes(path: Option<&Path>) -> anyhow::Result<Option<PostcodeTable>> {
    path.map(|p| {
        let f = std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))?;
        PostcodeTable::read_csv(f).with_context(|| format!("reading {}", p.display()))
    })
    .transpose()
}

/// The file at `path`, or standard output.
fn open_out(path: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) => Box::new(std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?),
        None => Box::new(std::io::stdout().lock()),
    })
}

/// A runtime for the commands that talk to the database.
fn db_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}

/// The configured database, or a clear error.
fn database_url(config: &Config) -> anyhow::Result<String> {
    config.database_url.clone().context("no database: give --database-url postgres://… or set DATABASE_URL")
}
