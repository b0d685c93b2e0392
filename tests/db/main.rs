//! Tests against a real PostgreSQL + PostGIS (a throwaway cluster per test, see `harness`).
// helpers outside `#[test]` functions fail loudly too
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod differential;
mod harness;
mod live;
mod registry;
mod tile_validity;

use diachi_db as db;
use diachi_geo::dataset::Dataset;

/// A small national set: every ward gets addresses, quick to generate and import.
pub const HOUSEHOLDS: u64 = 20_000;
/// Seed of the test set.
pub const SEED: u64 = 7;

/// A single-threaded tokio runtime.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// The test set, generated.
pub fn dataset() -> Dataset {
    diachi_synth::build_dataset(HOUSEHOLDS, SEED, None).unwrap()
}

/// Migrates and imports the test set into the cluster.
pub async fn import(url: &str) -> db::import::ImportReport {
    let mut c = db::connect(url).await.unwrap();
    db::import::import(&mut c, dataset(), false).await.unwrap()
}

async fn count(c: &tokio_postgres::Client, table: &str) -> i64 {
    c.query_one(&format!("SELECT count(*) FROM {table}"), &[]).await.unwrap().get(0)
}

async fn index_defs(c: &tokio_postgres::Client) -> Vec<String> {
    c.query("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn migrations_apply_from_scratch_and_twice() {
    let Some(pg) = harness::cluster() else { return };
    rt().block_on(async {
        let mut c = db::connect(&pg.url()).await.unwrap();
        assert!(matches!(db::migrate::check(&mut c).await, Err(db::DbError::NotMigrated { found: None, .. })));
        assert!(matches!(db::check_postgis(&c).await, Err(db::DbError::NoPostgis)));
        let first = db::migrate::run(&mut c).await.unwrap();
        let names = ["V1__schema", "V2__registry", "V3__identity_privacy", "V4__house_number_suffix"];
        assert_eq!(first, names.map(str::to_owned));
        let second = db::migrate::run(&mut c).await.unwrap();
        assert!(second.is_empty(), "{second:?}");
        db::migrate::check(&mut c).await.unwrap();
        let v = db::check_postgis(&c).await.unwrap();
        assert!(v.starts_with('3'), "{v}");
        let tables: Vec<String> = c
            .query("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        for t in ["address_changes", "addresses", "post_offices", "postal_zones", "provinces", "wards"] {
            assert!(tables.iter().any(|x| x == t), "{t} missing from {tables:?}");
        }
    });
}

#[test]
fn import_loads_everything_and_rerunning_does_not_duplicate() {
    let Some(pg) = harness::cluster() else { return };
    let data = dataset();
    rt().block_on(async {
        let mut c = db::connect(&pg.url()).await.unwrap();
        db::migrate::run(&mut c).await.unwrap();
        let migrated_indexes = index_defs(&c).await;
        for round in 0..2 {
            let r = import(&pg.url()).await;
            assert_eq!(r.addresses, data.addresses.len() as u64, "round {round}");
            assert_eq!(count(&c, "addresses").await, data.addresses.len() as i64);
            assert_eq!(count(&c, "post_offices").await, data.post_offices.len() as i64);
            assert_eq!(count(&c, "wards").await, 3321);
            assert_eq!(count(&c, "provinces").await, 34);
            assert_eq!(count(&c, "postal_zones").await, data.geography.zones.len() as i64);
            // the import silences the change feed
            assert_eq!(count(&c, "address_changes").await, 0);
            // and rebuilds exactly the indexes of the migrations
            assert_eq!(index_defs(&c).await, migrated_indexes);
        }
        // ids continue after the imported ones; every digital address is unique and matches its columns
        let next: i64 = c.query_one("SELECT nextval('addresses_id_seq')", &[]).await.unwrap().get(0);
        assert_eq!(next, data.addresses.len() as i64);
        let bad: i64 = c.query_one(include_str!("check_digital_addresses.sql"), &[]).await.unwrap().get(0);
        assert_eq!(bad, 0);
        // one row read back field by field
        let id = diachi_domain::AddressId::new(4321);
        let v = data.addresses.view(&data.geography, id).unwrap();
        let row = c
            .query_one(
                "SELECT ward_code, street, house || house_suffix, digital_address, ST_X(geom), ST_Y(geom) FROM addresses \
                 WHERE id = $1",
                &[&i64::from(id.get())],
            )
            .await
            .unwrap();
        assert_eq!(row.get::<_, &str>(0), v.ward_code);
        assert_eq!(row.get::<_, &str>(1), v.street);
        assert_eq!(row.get::<_, &str>(2), v.house_number.to_string());
        assert_eq!(row.get::<_, &str>(3), v.digital_address);
        assert!((row.get::<_, f64>(4) - v.lon).abs() < 1e-9 && (row.get::<_, f64>(5) - v.lat).abs() < 1e-9);
    });
}

#[test]
fn the_index_loaded_from_postgis_equals_the_generated_one() {
    let Some(pg) = harness::cluster() else { return };
    let data = dataset();
    let loaded = rt().block_on(async {
        import(&pg.url()).await;
        let mut c = db::connect(&pg.url()).await.unwrap();
        db::load::load(&mut c, diachi_geo::geography::Geography::load(&Default::default()).unwrap()).await.unwrap()
    });
    assert_eq!(loaded.last_change, 0);
    let (a, b) = (&data.addresses, &loaded.data.addresses);
    assert_eq!(a.len(), b.len());
    for id in a.ids() {
        assert_eq!(a.view(&data.geography, id), b.view(&loaded.data.geography, id), "address {id}");
    }
    assert_eq!(data.post_offices, loaded.data.post_offices);
}

#[test]
fn the_db_commands_take_the_database_from_the_flag_or_database_url() {
    let Some(pg) = harness::cluster() else { return };
    let bin = env!("CARGO_BIN_EXE_diachi");
    let run = |args: &[&str], env_url: Option<&str>| {
        let mut c = std::process::Command::new(bin);
        c.args(args).env_remove("DATABASE_URL").env_remove("DIACHI_DATABASE_URL").env("RUST_LOG", "warn");
        if let Some(u) = env_url {
            c.env("DATABASE_URL", u);
        }
        let out = c.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, _, err) = run(&["db", "migrate"], None);
    assert!(!ok && err.contains("DATABASE_URL"), "{err}");
    let (ok, out, err) = run(&["db", "migrate", "--database-url", &pg.url()], None);
    assert!(ok && out.contains("applied V1__schema"), "{out}{err}");
    let (ok, out, _) = run(&["db", "migrate"], Some(&pg.url()));
    assert!(ok && out.contains("up to date"), "{out}");
    let (ok, out, err) = run(&["db", "import", "--households", "3000", "--seed", "3", "--quiet"], Some(&pg.url()));
    assert!(ok && out.contains("imported 3000 addresses"), "{out}{err}");
    let (ok, _, err) = run(&["db", "migrate", "--database-url", "postgres://nobody@127.0.0.1:1/x"], None);
    assert!(!ok && err.contains("database unavailable"), "{err}");
}
