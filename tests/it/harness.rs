//! A real Postgres for every test: `AUTOGEN_TEST_DATABASE_URL` if set, else an ephemeral cluster
//! started from the local PostgreSQL binaries (as the `postgres` user when running as root, since
//! `initdb` refuses root), else a failure that says how to provide one. Each test gets its own
//! database, dropped when the test ends.

use autogen::shadow::ScratchDb;
use postgres::Client;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static SERVER: OnceLock<Result<String, String>> = OnceLock::new();

/// The URL of a server where tests may create databases (its `postgres` database).
pub fn server_url() -> String {
    match SERVER.get_or_init(start) {
        Ok(url) => url.clone(),
        Err(msg) => panic!("no PostgreSQL server for the tests: {msg}"),
    }
}

fn start() -> Result<String, String> {
    if let Ok(url) = std::env::var("AUTOGEN_TEST_DATABASE_URL") {
        return Ok(url);
    }
    ephemeral().map_err(|e| {
        format!(
            "{e}\nset AUTOGEN_TEST_DATABASE_URL=postgres://user@host:port/postgres (a role that may create \
             databases), or install PostgreSQL's server binaries (initdb, postgres) so the tests can start their own"
        )
    })
}

fn bin_dir() -> Result<PathBuf, String> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if p.join("initdb").exists() {
            return Ok(p);
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| "no PostgreSQL installation under /usr/lib/postgresql".to_string())?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    // Highest major version first.
    found.sort_by_key(|p| {
        std::cmp::Reverse(
            p.parent()
                .and_then(|v| v.file_name())
                .and_then(|v| v.to_str())
                .and_then(|v| v.parse::<u32>().ok()),
        )
    });
    found
        .into_iter()
        .next()
        .ok_or_else(|| "initdb not found".to_string())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs a program, as `postgres` when we are root.
fn as_pg_user(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.arg("-u").arg("postgres").arg("--").arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn ephemeral() -> Result<String, String> {
    let bin = bin_dir()?;
    let dir = std::env::temp_dir().join(format!("autogen-test-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    if is_root() {
        let ok = Command::new("chown")
            .arg("postgres:postgres")
            .arg(&dir)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            return Err(
                "running as root, but cannot hand the cluster directory to the `postgres` user"
                    .into(),
            );
        }
    }
    let data = dir.join("data");
    let out = as_pg_user(&bin.join("initdb"))
        .args(["-D"])
        .arg(&data)
        .args([
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ])
        .output()
        .map_err(|e| format!("cannot run initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())?;
    // The server stops when this test process ends: a watcher shell waits for our pid to go.
    let script = format!(
        "{pg} -D '{data}' -p {port} -k '{dir}' -c listen_addresses=127.0.0.1 -c fsync=off \
         -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 \
         -c shared_buffers=128MB -c autovacuum=off >'{dir}/log' 2>&1 & PG=$!; \
         while [ -d /proc/{me} ] && kill -0 $PG 2>/dev/null; do sleep 1; done; \
         kill -INT $PG 2>/dev/null; wait $PG; rm -rf '{dir}'",
        pg = bin.join("postgres").display(),
        data = data.display(),
        dir = dir.display(),
        me = std::process::id(),
    );
    let sh = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", "sh", "-c", &script]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", &script]);
        c
    };
    let mut sh = sh;
    sh.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    sh.spawn()
        .map_err(|e| format!("cannot start postgres: {e}"))?;
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if Client::connect(&url, postgres::NoTls).is_ok() {
            return Ok(url);
        }
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
            return Err(format!(
                "the ephemeral server did not accept connections within 30s:\n{log}"
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A fresh database for one test, dropped at the end of it.
pub struct TestDb {
    pub db: ScratchDb,
}

impl TestDb {
    pub fn new() -> TestDb {
        TestDb {
            db: ScratchDb::create(&server_url(), "autogen_test").expect("create test database"),
        }
    }

    pub fn client(&self) -> Client {
        self.db.connect().expect("connect to test database")
    }

    /// A `postgres://` URL for the CLI.
    pub fn url(&self) -> String {
        let base = server_url();
        let (prefix, _) = base.rsplit_once('/').expect("url has a database");
        format!("{prefix}/{}", self.db.name)
    }
}
