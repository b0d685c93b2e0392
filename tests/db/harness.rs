//! A throwaway PostgreSQL 15 cluster with PostGIS for one test: `initdb` in a temporary directory, a free port,
//! stopped and deleted at the end. Outside CI a machine without PostGIS skips the database tests with a message;
//! in CI (`CI=true`) they fail instead (`scripts/test.sh` installs `postgresql-15-postgis-3`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
const POSTGIS_CONTROL: &str = "/usr/share/postgresql/15/extension/postgis.control";

pub struct PgCluster {
    dir: PathBuf,
    pub port: u16,
    /// initdb and postgres refuse to run as root: then they run as the `postgres` user.
    as_postgres: bool,
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A cluster, or `None` (after saying why) when this machine cannot run one and this is not CI.
pub fn cluster() -> Option<PgCluster> {
    let missing = if !Path::new(PG_BIN).join("initdb").exists() {
        Some(format!("{PG_BIN}/initdb not found (Debian package postgresql-15)"))
    } else if !Path::new(POSTGIS_CONTROL).exists() {
        Some("PostGIS not installed (Debian package postgresql-15-postgis-3)".to_owned())
    } else {
        None
    };
    if let Some(why) = missing {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "database tests cannot run in CI: {why}");
        eprintln!("SKIPPED: {why}; run scripts/test.sh, which installs it");
        return None;
    }
    Some(PgCluster::start())
}

impl PgCluster {
    fn run(&self, program: &str, args: &[&str]) -> Output {
        let exe = Path::new(PG_BIN).join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args).output().unwrap_or_else(|e| panic!("running {program}: {e}"))
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    pub fn start() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "diachi-pg-{}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let as_postgres = is_root();
        if as_postgres {
            let ok = Command::new("chown").args(["postgres:postgres"]).arg(&dir).status().unwrap().success();
            assert!(ok, "chown {} to postgres", dir.display());
        }
        let mut pg = Self { dir, port: 0, as_postgres };
        let out =
            pg.run("initdb", &["-D", &pg.data(), "-U", "postgres", "--auth=trust", "-N", "-E", "UTF8", "--locale=C"]);
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        // a port can be taken between choosing it and the server binding it: try a few
        for attempt in 0..5 {
            pg.port = free_port();
            if pg.pg_ctl_start() {
                return pg;
            }
            eprintln!("postgres did not start on port {} (attempt {attempt})", pg.port);
        }
        panic!("postgres did not start: {}", std::fs::read_to_string(pg.dir.join("log")).unwrap_or_default());
    }

    fn pg_ctl_start(&self) -> bool {
        let opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=60 -c shared_buffers=64MB",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("log").display().to_string();
        self.run("pg_ctl", &["start", "-w", "-t", "60", "-D", &self.data(), "-l", &log, "-o", &opts]).status.success()
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Kills the server as a crash would (no shutdown checkpoint).
    pub fn kill(&self) {
        let out = self.run("pg_ctl", &["stop", "-w", "-m", "immediate", "-D", &self.data()]);
        assert!(out.status.success(), "pg_ctl stop: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Starts the server again on the same port.
    pub fn restart(&self) {
        assert!(self.pg_ctl_start(), "restarting postgres on port {}", self.port);
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self.run("pg_ctl", &["stop", "-w", "-m", "immediate", "-D", &self.data()]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
