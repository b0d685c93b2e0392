//! `diachi keys`: API keys (in the database when one is configured, else in the keys file), the PII master key and
//! an admin token.

use clap::Subcommand;
use serde::Serialize;
use std::path::PathBuf;

use diachi_auth::{ApiKey, IdentityLevel, KeyId, KeyRecord, Scope, keyring};

use super::{db_runtime, load_config};

/// What `keys` does.
#[derive(Subcommand)]
pub enum KeysCommand {
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
    /// Print a fresh admin token (43 random characters) for `admin_token` / DIACHI_ADMIN_TOKEN.
    AdminToken,
}

/// Where keys are kept.
#[derive(clap::Args, Serialize)]
pub struct KeysStoreArgs {
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

/// The flags of `keys create`.
#[derive(clap::Args)]
pub struct KeysCreateArgs {
    /// A scope: address:validate, registry:write (registrations the key creates), registry:admin (every
    /// registration), identity:verify, admin, delivery:plan (repeatable).
    #[arg(long = "scope", required = true)]
    scopes: Vec<Scope>,
    /// identity:verify: the level the key's checks answer at — exact (the default: the same delivery point),
    /// building, ward or province (looser levels tell more about where someone lives).
    #[arg(long)]
    identity_level: Option<IdentityLevel>,
    /// identity:verify: checks a day (UTC) (default: the service's `identity_checks_per_key_per_day`; 0 = unlimited).
    #[arg(long)]
    identity_daily_quota: Option<u32>,
    /// Who or what the key is for.
    #[arg(long, default_value = "")]
    name: String,
    /// Requests per minute (default: the service's `rate_limit`; 0 = unlimited).
    #[arg(long)]
    rate_limit: Option<u32>,
    #[command(flatten)]
    store: KeysStoreArgs,
}

/// Where `keys` commands keep keys: the database when one is configured, else the keys file.
enum KeyStore {
    Db(String),
    File(PathBuf),
}

impl KeyStore {
    fn from_args(args: &KeysStoreArgs) -> anyhow::Result<Self> {
        let config = load_config(args.config.as_deref(), args)?;
        match (config.database_url, config.keys_file) {
            (Some(url), _) => Ok(Self::Db(url)),
            (None, Some(path)) => Ok(Self::File(path)),
            (None, None) => {
                anyhow::bail!(
                    "no key store: give --database-url (or DATABASE_URL) or --keys-file (or DIACHI_KEYS_FILE)"
                )
            }
        }
    }
}

pub fn run(cmd: KeysCommand) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::PiiKey => {
            println!("{}", diachi_pii::new_master_key()?);
            Ok(())
        }
        KeysCommand::AdminToken => {
            // the secret part of a fresh API key: 256 random bits, base64url, 43 characters
            let key = ApiKey::generate()?.reveal();
            println!("{}", &key[13..]);
            Ok(())
        }
        KeysCommand::Create(args) => create(args),
        KeysCommand::List(store) => list(&store),
        KeysCommand::Revoke { id, store } => revoke(&id, &store),
    }
}

fn create(args: KeysCreateArgs) -> anyhow::Result<()> {
    if (args.identity_level.is_some() || args.identity_daily_quota.is_some())
        && !args.scopes.contains(&Scope::IdentityVerify)
    {
        anyhow::bail!("--identity-level and --identity-daily-quota are for keys with --scope identity:verify");
    }
    let key = ApiKey::generate()?;
    let record = KeyRecord::new(&key, args.name, args.scopes, args.rate_limit, diachi_auth::now_rfc3339())
        .with_identity(args.identity_level, args.identity_daily_quota);
    match KeyStore::from_args(&args.store)? {
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

fn list(store: &KeysStoreArgs) -> anyhow::Result<()> {
    let keys = match KeyStore::from_args(store)? {
        KeyStore::Db(url) => db_runtime()?.block_on(async {
            let client = diachi_db::connect(&url).await?;
            Ok::<_, anyhow::Error>(diachi_db::keys::list(&client).await?)
        })?,
        KeyStore::File(path) => keyring::read_keys_file(&path)?,
    };
    println!("id\tname\tscopes\trate_limit\tidentity_level\tidentity_daily_quota\tcreated_at\trevoked_at");
    let or_default = |n: Option<u32>| n.map_or_else(|| "default".to_owned(), |n| n.to_string());
    for k in &keys {
        let scopes: Vec<&str> = k.scopes.iter().map(|s| s.as_str()).collect();
        let identity = k.scopes.contains(&Scope::IdentityVerify);
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            k.id,
            k.name,
            scopes.join(","),
            or_default(k.rate_limit),
            if identity { k.identity_level.unwrap_or_default().as_str() } else { "-" },
            if identity { or_default(k.identity_daily_quota) } else { "-".to_owned() },
            k.created_at,
            k.revoked_at.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}

fn revoke(id: &str, store: &KeysStoreArgs) -> anyhow::Result<()> {
    let id = KeyId::parse(id.trim_start_matches("dck_")).map_err(|e| anyhow::anyhow!(e))?;
    match KeyStore::from_args(store)? {
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
