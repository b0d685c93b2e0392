//! The `diachi` command: a thin layer over the library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use diachi_geo::dataset::output::{self, Format};
use diachi_geo::geography::PostcodeTable;
use diachi_server::config::{Config, DEFAULT_SEED, Households};
use diachi_tiles::Source;
use diachi_tiles::export::{Bbox, ExportOptions};

#[derive(Parser)]
#[command(name = "diachi", version, about = "Vietnam's national digital-address layer")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API on the embedded national dataset (no database, no network needed).
    Serve(ServeArgs),
    /// Write the deterministic synthetic national address set (same seed and size, same bytes).
    Generate(GenerateArgs),
    /// Import official data.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Vector tiles.
    #[command(subcommand)]
    Tiles(TilesCommand),
    /// API keys (in the database when one is configured, else in the keys file) and the PII master key.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Synthetic residents of the generated households, as CSV on standard output.
    Residents(ResidentsArgs),
    /// PostGIS: schema migrations and the bulk import.
    #[command(subcommand)]
    Db(DbCommand),
    /// Labelled test sets.
    #[command(subcommand)]
    Testdata(TestdataCommand),
    /// Resolve addresses given as arguments (or one per line on stdin) and print the answers as JSON lines.
    Resolve {
        /// Addresses; none = read standard input.
        addresses: Vec<String>,
        #[command(flatten)]
        dataset: DatasetArgs,
    },
    /// Measure the address resolver on a labelled set.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Plan a day's deliveries from a request file (the body of `POST /v1/deliveries/plan`); the plan on stdout.
    Plan {
        /// The plan request (JSON); `-` = standard input.
        file: PathBuf,
        /// Print the plan as GeoJSON instead of JSON.
        #[arg(long)]
        geojson: bool,
        #[command(flatten)]
        dataset: DatasetArgs,
    },
}

#[derive(Subcommand)]
enum DbCommand {
    /// Apply the schema migrations not applied yet (applying twice is a no-op).
    Migrate(DbArgs),
    /// Load the real geography and a generated national address set (replacing an earlier import) with binary COPY.
    Import(DbImportArgs),
}

/// The database of a `db` command.
#[derive(clap::Args, Serialize)]
struct DbArgs {
    /// Configuration file (TOML); `diachi.toml` is read when present.
    #[arg(long)]
    #[serde(skip)]
    config: Option<PathBuf>,
    /// postgres://user[:password]@host[:port]/database (default: the `DATABASE_URL` variable).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    database_url: Option<String>,
}

#[derive(clap::Args, Serialize)]
struct DbImportArgs {
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

fn database_url(config: &Config) -> anyhow::Result<String> {
    config.database_url.clone().context("no database: give --database-url postgres://… or set DATABASE_URL")
}

fn db_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}

#[derive(clap::Args, Serialize)]
struct ServeArgs {
    /// Configuration file (TOML); `diachi.toml` is read when present.
    #[arg(long)]
    #[serde(skip)]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    bind: Option<String>,
    #[command(flatten)]
    #[serde(flatten)]
    dataset: DatasetArgs,
    /// HTTP worker threads (0 = one per core).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    workers: Option<usize>,
    /// Megabytes of compressed vector tiles kept in memory [default: 256].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    tile_cache_mb: Option<u64>,
    /// Load the index from PostGIS (postgres://…; default: the `DATABASE_URL` variable) and take address writes;
    /// without it, the embedded dataset is generated.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    database_url: Option<String>,
    /// Serve a PMTiles or MBTiles file as the tile source NAME (repeatable), e.g. `vn=tiles/vietnam.pmtiles`.
    #[arg(long = "tiles-file", value_name = "NAME=PATH", value_parser = diachi_server::config::parse_tiles_file)]
    #[serde(rename = "tiles_files", skip_serializing_if = "Vec::is_empty", serialize_with = "as_map")]
    tiles_file: Vec<(String, PathBuf)>,
}

/// `--tiles-file` pairs as the `tiles_files` table of the configuration.
fn as_map<S: serde::Serializer>(pairs: &[(String, PathBuf)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(pairs.iter().map(|(k, v)| (k, v)))
}

#[derive(Subcommand)]
enum TilesCommand {
    /// Render a source's tiles over a zoom range and box into a PMTiles or MBTiles file (by --out's extension).
    Export(ExportArgs),
}

#[derive(clap::Args, Serialize)]
struct ExportArgs {
    /// The source to export: `vietnam` (every layer) or one layer's name.
    #[arg(long, default_value = "vietnam")]
    #[serde(skip)]
    source: Source,
    #[arg(long, default_value_t = 0)]
    #[serde(skip)]
    minzoom: u8,
    #[arg(long, default_value_t = 14)]
    #[serde(skip)]
    maxzoom: u8,
    /// minlon,minlat,maxlon,maxlat [default: the national bounds, Hoàng Sa and Trường Sa included].
    #[arg(long, allow_hyphen_values = true)]
    #[serde(skip)]
    bbox: Option<Bbox>,
    /// The file to write: `.pmtiles` or `.mbtiles`.
    #[arg(long, default_value = "tiles/vietnam.pmtiles")]
    #[serde(skip)]
    out: PathBuf,
    /// No progress bar.
    #[arg(long)]
    #[serde(skip)]
    quiet: bool,
    /// Configuration file (TOML), for the dataset settings as `serve` reads them.
    #[arg(long)]
    #[serde(skip)]
    config: Option<PathBuf>,
    #[command(flatten)]
    #[serde(flatten)]
    dataset: DatasetArgs,
}

/// The dataset flags shared by `serve` and `tiles export` (each overrides the configuration file when given).
#[derive(clap::Args, Serialize)]
struct DatasetArgs {
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

#[derive(clap::Args)]
struct GenerateArgs {
    /// Number of households, or `full` for the national figure (26,870,079).
    #[arg(long, default_value = "100000")]
    households: Households,
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    /// Output file for the addresses (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write the post offices to this file (same format).
    #[arg(long)]
    post_offices: Option<PathBuf>,
    /// An official ward → postcode table written by `diachi import postcodes`.
    #[arg(long)]
    postcodes_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum TestdataCommand {
    /// Write messy addresses with their labels (JSON lines), made by the seeded noise model from the generated set.
    Noisy {
        #[command(flatten)]
        dataset: DatasetArgs,
        /// Lines to write.
        #[arg(long, default_value_t = 10_000)]
        count: u32,
        /// Seed of the noise model.
        #[arg(long, default_value_t = 1)]
        noise_seed: u64,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Ward-level and exact accuracy and single-thread throughput on a labelled set (JSON report on stdout).
    Resolve {
        /// The labelled set (`testdata/addresses-noisy.jsonl`).
        #[arg(default_value = "testdata/addresses-noisy.jsonl")]
        file: PathBuf,
        /// The dataset the set was made from (see testdata/README.md).
        #[command(flatten)]
        dataset: DatasetArgs,
        /// Timed passes over the set (the best is reported).
        #[arg(long, default_value_t = 3)]
        passes: u32,
        /// Do not give the lines' coordinates to the resolver (text only).
        #[arg(long)]
        no_coordinates: bool,
        /// Resolve without the street register (administrative names only), as a parser without one would.
        #[arg(long)]
        without_register: bool,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Replace the generated ward postcodes with an official table (CSV: ward_code,postcode).
    Postcodes {
        /// The official table.
        file: PathBuf,
        /// Where to write the checked, canonical table that `serve --postcodes-file` and `generate` read.
        #[arg(long, default_value = "data/postcodes.official.csv")]
        out: PathBuf,
    },
}

/// The generated set named by `args` (defaults: 1,000,000 households, seed 2025), indexed.
/// `diachi plan`: a plan request file in, the plan (JSON or GeoJSON) out.
fn plan(file: &std::path::Path, geojson: bool, dataset: &DatasetArgs) -> anyhow::Result<()> {
    diachi_server::telemetry::init("text");
    let text = if file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?
    };
    let request: diachi_delivery::PlanRequest =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
    let settings = diachi_delivery::Settings::default();
    let batch = request.check(settings.max_shipments)?;
    let ix = build_index(dataset)?;
    diachi_delivery::plan::check_offices(&ix, &batch)?;
    let resolver = diachi_resolve::Resolver::build(&ix);
    let plan = diachi_delivery::plan(&ix, &resolver, &batch, &settings, &|_| {})?;
    let mut out = std::io::stdout().lock();
    if geojson {
        serde_json::to_writer(&mut out, &diachi_delivery::output::geojson(&plan))?;
    } else {
        serde_json::to_writer_pretty(&mut out, &plan)?;
    }
    out.write_all(b"\n")?;
    Ok(())
}

fn build_index(args: &DatasetArgs) -> anyhow::Result<diachi_geo::index::NationalIndex> {
    let households = args.households.map_or(diachi_server::config::DEFAULT_HOUSEHOLDS, |h| h.0);
    let postcodes = read_postcodes(args.postcodes_file.as_ref())?;
    let data = diachi_synth::build_dataset(households, args.seed.unwrap_or(DEFAULT_SEED), postcodes)?;
    Ok(diachi_geo::index::NationalIndex::build(data))
}

fn read_postcodes(path: Option<&PathBuf>) -> anyhow::Result<Option<PostcodeTable>> {
    path.map(|p| {
        let f = std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))?;
        PostcodeTable::read_csv(f).with_context(|| format!("reading {}", p.display()))
    })
    .transpose()
}

fn open_out(path: Option<&PathBuf>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) => Box::new(std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?),
        None => Box::new(std::io::stdout().lock()),
    })
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let config = Config::load(args.config.as_deref(), &args).map_err(|e| anyhow::anyhow!("{e}"))?;
            diachi_server::telemetry::init(&config.log_format);
            let postcodes = read_postcodes(config.postcodes_file.as_ref())?;
            diachi_server::startup::run(config, postcodes)
        }
        Command::Generate(args) => {
            diachi_server::telemetry::init("text");
            let t = Instant::now();
            let postcodes = read_postcodes(args.postcodes_file.as_ref())?;
            let data = diachi_synth::build_dataset(args.households.0, args.seed, postcodes)?;
            let generated = t.elapsed();
            let mut w = std::io::BufWriter::with_capacity(1 << 20, open_out(args.out.as_ref())?);
            output::write_addresses(&mut w, &data.geography, &data.addresses, args.format)?;
            w.flush()?;
            if let Some(p) = &args.post_offices {
                let mut w = std::io::BufWriter::new(open_out(Some(p))?);
                output::write_post_offices(&mut w, &data.geography, &data.post_offices, args.format)?;
                w.flush()?;
            }
            tracing::info!(
                addresses = data.addresses.len(),
                post_offices = data.post_offices.len(),
                generate_s = generated.as_secs_f64(),
                total_s = t.elapsed().as_secs_f64(),
                "generated"
            );
            Ok(())
        }
        Command::Tiles(TilesCommand::Export(args)) => {
            let config = Config::load(args.config.as_deref(), &args).map_err(|e| anyhow::anyhow!("{e}"))?;
            diachi_server::telemetry::init("text");
            let opts = ExportOptions {
                source: args.source,
                minzoom: args.minzoom,
                maxzoom: args.maxzoom,
                bbox: args.bbox.unwrap_or_default(),
                progress: !args.quiet,
            };
            opts.check()?;
            diachi_tiles::export::Format::from_path(&args.out)?;
            let postcodes = read_postcodes(config.postcodes_file.as_ref())?;
            let index = std::sync::Arc::new(diachi_server::startup::build_index(&config, postcodes)?);
            let renderer = diachi_tiles::TileRenderer::new(index);
            let summary = diachi_tiles::export::export(&renderer, &opts, &args.out)
                .with_context(|| format!("exporting to {}", args.out.display()))?;
            print!("{summary}");
            Ok(())
        }
        Command::Keys(cmd) => keys_command(cmd),
        Command::Residents(args) => {
            let data = diachi_synth::build_dataset(u64::from(args.households), args.seed, None)?;
            let ix = diachi_geo::index::NationalIndex::build(data);
            let forms = diachi_synth::forms::OldForms::new(&ix.data.geography);
            let people = diachi_synth::residents::residents(args.seed, args.households, args.count).map(|r| {
                let address = diachi_synth::residents::papers_address(&ix, &forms, &r).unwrap_or_default();
                (r, address)
            });
            diachi_synth::residents::write_csv(std::io::stdout().lock(), people)?;
            Ok(())
        }
        Command::Db(cmd) => db_command(cmd),
        Command::Testdata(TestdataCommand::Noisy { dataset, count, noise_seed, out }) => {
            diachi_server::telemetry::init("text");
            let ix = build_index(&dataset)?;
            let mut w = std::io::BufWriter::new(open_out(out.as_ref())?);
            for line in diachi_synth::noise::generate(&ix, count, noise_seed) {
                serde_json::to_writer(&mut w, &line)?;
                w.write_all(b"\n")?;
            }
            w.flush()?;
            Ok(())
        }
        Command::Resolve { addresses, dataset } => {
            diachi_server::telemetry::init("text");
            let ix = build_index(&dataset)?;
            let resolver = diachi_resolve::Resolver::build(&ix);
            let inputs: Vec<String> =
                if addresses.is_empty() { std::io::stdin().lines().collect::<Result<_, _>>()? } else { addresses };
            let mut out = std::io::stdout().lock();
            for a in inputs {
                serde_json::to_writer(&mut out, &resolver.resolve(&ix, &a, None))?;
                out.write_all(b"\n")?;
            }
            Ok(())
        }
        Command::Plan { file, geojson, dataset } => plan(&file, geojson, &dataset),
        Command::Eval(EvalCommand::Resolve { file, dataset, passes, no_coordinates, without_register }) => {
            diachi_server::telemetry::init("text");
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let lines = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(serde_json::from_str::<diachi_synth::eval::Labelled>)
                .collect::<Result<Vec<_>, _>>()
                .with_context(|| format!("parsing {}", file.display()))?;
            let ix = build_index(&dataset)?;
            let t = Instant::now();
            let resolver = if without_register {
                diachi_resolve::Resolver::without_register(&ix)
            } else {
                diachi_resolve::Resolver::build(&ix)
            };
            tracing::info!(build_s = t.elapsed().as_secs_f64(), lines = lines.len(), "resolver built");
            let report = diachi_synth::eval::evaluate(&resolver, &ix, &lines, passes, !no_coordinates);
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::Import(ImportCommand::Postcodes { file, out }) => {
            diachi_server::telemetry::init("text");
            let table = read_postcodes(Some(&file))?.context("no table")?;
            // check it against the geography before writing anything
            let geo = diachi_geo::geography::Geography::load(&diachi_geo::geography::LoadOptions {
                postcodes: Some(table.clone()),
            })?;
            let mut w = std::io::BufWriter::new(open_out(Some(&out))?);
            table.write_csv(&mut w)?;
            w.flush()?;
            println!(
                "imported {} ward postcodes ({} postal zones); serve or generate with --postcodes-file {}",
                table.0.len(),
                geo.zones.len(),
                out.display()
            );
            Ok(())
        }
    }
}

fn db_command(cmd: DbCommand) -> anyhow::Result<()> {
    match cmd {
        DbCommand::Migrate(args) => {
            let config = Config::load(args.config.as_deref(), &args).map_err(|e| anyhow::anyhow!("{e}"))?;
            diachi_server::telemetry::init("text");
            let url = database_url(&config)?;
            db_runtime()?.block_on(async {
                let mut client = diachi_db::connect(&url).await?;
                let applied = diachi_db::migrate::run(&mut client).await?;
                let version = diachi_db::check_postgis(&client).await?;
                if applied.is_empty() {
                    println!(
                        "the schema is up to date (migration {}; PostGIS {version})",
                        diachi_db::migrate::latest()
                    );
                } else {
                    println!("applied {} (PostGIS {version})", applied.join(", "));
                }
                Ok::<_, anyhow::Error>(())
            })
        }
        DbCommand::Import(args) => {
            let config = Config::load(args.db.config.as_deref(), &args).map_err(|e| anyhow::anyhow!("{e}"))?;
            diachi_server::telemetry::init("text");
            let url = database_url(&config)?;
            let postcodes = read_postcodes(config.postcodes_file.as_ref())?;
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
    }
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Make a key and print it once (only its hash is stored).
    Create(KeysCreateArgs),
    /// List the keys (never their secrets).
    List(KeysStoreArgs),
    /// Revoke a key by its id (the 8 characters after `dck_`).
    Revoke {
        id: String,
        #[command(flatten)]
        store: KeysStoreArgs,
    },
    /// Print a fresh PII master key (base64, 32 bytes) for `pii_key` / DIACHI_PII_KEY.
    PiiKey,
}

/// Where keys are kept.
#[derive(clap::Args, Serialize)]
struct KeysStoreArgs {
    /// Configuration file (TOML); `diachi.toml` is read when present.
    #[arg(long)]
    #[serde(skip)]
    config: Option<PathBuf>,
    /// Keep keys in this database (default: the `DATABASE_URL` variable, the configuration).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    database_url: Option<String>,
    /// Without a database: the keys file (JSON lines).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    keys_file: Option<PathBuf>,
}

#[derive(clap::Args)]
struct KeysCreateArgs {
    /// A scope: address:validate, registry:write, identity:verify, admin, delivery:plan (repeatable).
    #[arg(long = "scope", required = true)]
    scopes: Vec<diachi_auth::Scope>,
    /// Who or what the key is for.
    #[arg(long, default_value = "")]
    name: String,
    /// Requests per minute (default: the service's `rate_limit`; 0 = unlimited).
    #[arg(long)]
    rate_limit: Option<u32>,
    #[command(flatten)]
    store: KeysStoreArgs,
}

#[derive(clap::Args)]
struct ResidentsArgs {
    /// Households of the generated set the residents live in.
    #[arg(long, default_value = "100000")]
    households: u32,
    /// Residents to write.
    #[arg(long, default_value = "1000")]
    count: u64,
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
}

/// Where `keys` commands keep keys: the database when one is configured, else the keys file.
enum KeyStore {
    Db(String),
    File(PathBuf),
}

fn key_store(args: &KeysStoreArgs) -> anyhow::Result<KeyStore> {
    let config = Config::load(args.config.as_deref(), args).map_err(|e| anyhow::anyhow!("{e}"))?;
    match (config.database_url, config.keys_file) {
        (Some(url), _) => Ok(KeyStore::Db(url)),
        (None, Some(path)) => Ok(KeyStore::File(path)),
        (None, None) => {
            anyhow::bail!("no key store: give --database-url (or DATABASE_URL) or --keys-file (or DIACHI_KEYS_FILE)")
        }
    }
}

fn print_keys(keys: &[diachi_auth::KeyRecord]) {
    println!("id\tname\tscopes\trate_limit\tcreated_at\trevoked_at");
    for k in keys {
        let scopes: Vec<&str> = k.scopes.iter().map(|s| s.as_str()).collect();
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            k.id,
            k.name,
            scopes.join(","),
            k.rate_limit.map_or_else(|| "default".to_owned(), |n| n.to_string()),
            k.created_at,
            k.revoked_at.as_deref().unwrap_or("-")
        );
    }
}

fn keys_command(cmd: KeysCommand) -> anyhow::Result<()> {
    use diachi_auth::{ApiKey, KeyId, KeyRecord, keyring};
    match cmd {
        KeysCommand::PiiKey => {
            println!("{}", diachi_pii::new_master_key()?);
            Ok(())
        }
        KeysCommand::Create(args) => {
            let key = ApiKey::generate()?;
            let record = KeyRecord::new(&key, args.name, args.scopes, args.rate_limit, diachi_auth::now_rfc3339());
            match key_store(&args.store)? {
                KeyStore::Db(url) => db_runtime()?.block_on(async {
                    let client = diachi_db::connect(&url).await?;
                    diachi_db::keys::insert(&client, &record).await?;
                    Ok::<_, anyhow::Error>(())
                })?,
                KeyStore::File(path) => keyring::add_to_keys_file(&path, record)?,
            }
            eprintln!("key {} created; it is shown once, keep it now:", key.id());
            println!("{}", key.reveal());
            Ok(())
        }
        KeysCommand::List(store) => {
            let keys = match key_store(&store)? {
                KeyStore::Db(url) => db_runtime()?.block_on(async {
                    let client = diachi_db::connect(&url).await?;
                    Ok::<_, anyhow::Error>(diachi_db::keys::list(&client).await?)
                })?,
                KeyStore::File(path) => keyring::read_keys_file(&path)?,
            };
            print_keys(&keys);
            Ok(())
        }
        KeysCommand::Revoke { id, store } => {
            let id = KeyId::parse(id.trim_start_matches("dck_")).map_err(|e| anyhow::anyhow!(e))?;
            match key_store(&store)? {
                KeyStore::Db(url) => db_runtime()?.block_on(async {
                    let client = diachi_db::connect(&url).await?;
                    if !diachi_db::keys::revoke(&client, &id).await? {
                        anyhow::bail!("no key {id} that is not revoked already");
                    }
                    Ok(())
                })?,
                KeyStore::File(path) => keyring::revoke_in_keys_file(&path, &id)?,
            }
            println!("revoked {id} (running services notice within their key cache time, 30 s by default)");
            Ok(())
        }
    }
}
