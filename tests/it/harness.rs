//! A real Postgres for every test: `AUTOGEN_TEST_DATABASE_URL` if set, else an ephemeral cluster
//! started from the local PostgreSQL binaries (as the `postgres` user when running as root, since
//! `initdb` refuses root), else a failure that says how to provide one. Each test gets its own
//! database, dropped when the test ends.

use autogen::shadow::{Cluster, ScratchDb};
use postgres::Client;
use std::sync::OnceLock;

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

/// The library's own ephemeral cluster, kept for the whole test process: it is never dropped,
/// so its watcher stops it and removes its directory when the process ends.
fn ephemeral() -> Result<String, String> {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    let cluster = Cluster::start(300).map_err(|e| e.to_string())?;
    Ok(CLUSTER.get_or_init(|| cluster).url().to_string())
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

    /// The one value `sql` returns, on a connection of its own.
    pub fn value<T: postgres::types::FromSqlOwned>(&self, sql: &str) -> T {
        self.client()
            .query_one(sql, &[])
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .get(0)
    }

    /// A `postgres://` URL for the CLI.
    pub fn url(&self) -> String {
        let base = server_url();
        let (prefix, _) = base.rsplit_once('/').expect("url has a database");
        format!("{prefix}/{}", self.db.name)
    }
}
