//! Database-to-database: schemas written by hand in SQL, not by autogen. Load A and B, diff,
//! apply, re-diff; undo, re-diff; and `dump` B to YAML, load it back, and compare with B.

use crate::harness::TestDb;
use crate::support::{assert_same, read, run};
use autogen::diff::diff;
use autogen::model::{dump_files, load_sources};
use autogen::plan::{plan, plan_down};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn fixture(name: &str, file: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .join(file);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The platform's table the app reads, as the fixtures create it.
const AUTH: &str =
    "CREATE SCHEMA auth; CREATE TABLE auth.users (id uuid PRIMARY KEY, email text NOT NULL);";

/// The app's own schemas; `auth` belongs to the platform, as on Supabase.
fn app_schemas() -> BTreeSet<String> {
    ["billing", "journal", "habits", "reporting"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

#[test]
fn hand_written_schemas_round_trip() {
    let db_a = TestDb::new();
    let mut a = db_a.client();
    a.batch_execute(&fixture("saas", "a.sql")).expect("a.sql");
    let db_b = TestDb::new();
    let mut b = db_b.client();
    b.batch_execute(&fixture("saas", "b.sql")).expect("b.sql");
    let schemas = app_schemas();
    let sa = read(&mut a, &schemas);
    let sb = read(&mut b, &schemas);
    assert_same(&sa, &sa, "a with itself");

    // Hand-written SQL with unnamed constraints and indexes reads back with Postgres's names.
    let customers = &sa.tables[&autogen::ir::QName::new("billing", "customers")];
    assert!(customers.uniques.contains_key("customers_user_id_key"));
    assert!(
        customers
            .foreign_keys
            .contains_key("customers_user_id_fkey")
    );
    assert!(
        sa.tables[&autogen::ir::QName::new("billing", "invoices")]
            .indexes
            .contains_key("invoices_issued_on_idx")
    );

    let changes = diff(&sa, &sb);
    assert!(!changes.is_empty());
    a.batch_execute("INSERT INTO auth.users VALUES ('00000000-0000-0000-0000-000000000001', 'a@example.com');
                     INSERT INTO billing.customers (user_id, plan) VALUES ('00000000-0000-0000-0000-000000000001', 'pro');
                     INSERT INTO journal.entries (user_id, status, title) VALUES ('00000000-0000-0000-0000-000000000001', 'published', 'hello');")
        .expect("rows");
    // The views over what changes (a column type, an enum rebuilt, a domain rebuilt) make way
    // and come back, readers first out and last in; the view over nothing that changes stays.
    let up = autogen::render::script(&plan(changes.clone()), &Default::default());
    let at = |s: &str| {
        up.find(s)
            .unwrap_or_else(|| panic!("`{s}` is not in:\n{up}"))
    };
    assert!(at("DROP VIEW reporting.pro_customers") < at("DROP VIEW reporting.customer_overview"));
    assert!(
        at("DROP VIEW reporting.customer_overview")
            < at("ALTER TABLE billing.customers ALTER COLUMN created_at TYPE")
    );
    assert!(at("rebuild enum `journal.entry_status`") > at("DROP VIEW reporting.published"));
    assert!(
        at("CREATE VIEW reporting.customer_overview") < at("CREATE VIEW reporting.pro_customers")
    );
    assert!(
        at("CREATE MATERIALIZED VIEW reporting.daily_revenue")
            > at("rebuild domain `billing.money`")
    );
    assert!(!up.contains("reporting.untouched"), "{up}");
    // Functions: a body corrected in place, a new signature created and the old one dropped,
    // one gone, one over the enum being rebuilt taken out of the way and back (with the view
    // that calls it), a new one after the tables its body reads.
    assert!(
        up.contains("CREATE OR REPLACE FUNCTION billing.valid_vat(v text)"),
        "{up}"
    );
    assert!(
        up.contains("CREATE FUNCTION billing.net(amount numeric, discount numeric DEFAULT 0, tax numeric DEFAULT 0)")
            && up.contains("DROP FUNCTION billing.net(numeric, numeric)")
            && up.contains("DROP FUNCTION journal.count_for(uuid)"),
        "{up}"
    );
    assert!(at("DROP VIEW reporting.public_entries") < at("DROP FUNCTION journal.is_public"));
    assert!(at("DROP FUNCTION journal.is_public") < at("rebuild enum `journal.entry_status`"));
    assert!(
        at("rebuild enum `journal.entry_status`")
            < at("CREATE FUNCTION journal.is_public(s journal.entry_status)")
    );
    assert!(at("CREATE FUNCTION journal.is_public") < at("CREATE VIEW reporting.public_entries"));
    assert!(at("CREATE TABLE habits.checkins") < at("CREATE FUNCTION habits.streak"));
    // Triggers: the one whose condition reads the rebuilt enum, and the one on the column whose
    // type changes, go before and come back after; a state and a comment altered in place; one
    // gone; a constraint trigger on a new table once it exists.
    assert!(
        at("DROP TRIGGER status_changed ON journal.entries")
            < at("rebuild enum `journal.entry_status`")
    );
    assert!(
        at("DROP TRIGGER customers_created_at ON billing.customers")
            < at("ALTER TABLE billing.customers ALTER COLUMN created_at TYPE")
    );
    assert!(
        at("ALTER TABLE billing.customers ALTER COLUMN created_at TYPE")
            < at(
                "CREATE TRIGGER customers_created_at AFTER UPDATE OF created_at ON billing.customers"
            )
    );
    assert!(
        at("rebuild enum `journal.entry_status`")
            < at(
                "CREATE TRIGGER status_changed AFTER UPDATE OF status ON journal.entries FOR EACH ROW WHEN (((old.status IS DISTINCT FROM new.status) AND (new.status = 'published'::journal.entry_status)))"
            )
    );
    assert!(
        up.contains("ALTER TABLE billing.customers ENABLE ALWAYS TRIGGER customers_changed;")
            && up.contains("DROP TRIGGER invoices_gone ON billing.invoices;")
            && !up.contains("TRIGGER entries_created"),
        "{up}"
    );
    assert!(at("CREATE TABLE habits.checkins") < at("CREATE CONSTRAINT TRIGGER checkins_checked"));
    // A view that only makes way gets its grants back once it is created again.
    assert!(
        at("CREATE VIEW reporting.customer_overview")
            < at("GRANT SELECT ON TABLE reporting.customer_overview TO PUBLIC;")
            && up.contains("GRANT SELECT, REFERENCES ON TABLE reporting.customer_overview TO pg_monitor WITH GRANT OPTION;"),
        "{up}"
    );
    run(&mut a, &plan(changes.clone()), "A -> B");
    assert_same(&read(&mut a, &schemas), &sb, "after applying A -> B");
    let seen: i64 = a
        .query_one(
            "SELECT count(*) FROM reporting.pro_customers WHERE email = 'a@example.com'",
            &[],
        )
        .expect("the re-created view reads the rows")
        .get(0);
    assert_eq!(seen, 1);
    let acl: String = a
        .query_one(
            "SELECT relacl::text FROM pg_class WHERE oid = 'reporting.customer_overview'::regclass",
            &[],
        )
        .expect("acl")
        .get(0);
    assert!(
        acl.contains("=r/") && acl.contains("pg_monitor=r*x*/"),
        "{acl}"
    );
    run(&mut a, &plan_down(&changes), "B -> A (down)");
    assert_same(&read(&mut a, &schemas), &sa, "after undoing");
    let rows: i64 = a
        .query_one(
            "SELECT count(*) FROM journal.entries WHERE title = 'hello'",
            &[],
        )
        .expect("count")
        .get(0);
    assert_eq!(rows, 1, "rows survive the round trip");
}

#[test]
fn dump_then_load_gives_the_same_schema() {
    let db = TestDb::new();
    let mut b = db.client();
    b.batch_execute(&fixture("saas", "b.sql")).expect("b.sql");
    let schemas = app_schemas();
    let sb = read(&mut b, &schemas);
    let files: Vec<(PathBuf, String)> = dump_files(&sb)
        .into_iter()
        .map(|(n, t)| (PathBuf::from(n), t))
        .collect();
    assert_eq!(files.len(), 4, "one file per schema");
    let loaded = load_sources(&files)
        .unwrap_or_else(|e| panic!("dumped YAML does not load: {e}\n{}", files[0].1));
    // A dumped view is its query; its columns' types and what it reads come back through the
    // shadow, which needs the platform's `auth.users` as the views read it.
    let platform = autogen::shadow::Platform {
        setup: Some((PathBuf::from("auth.sql"), AUTH.to_string())),
        ..Default::default()
    };
    let loaded = autogen::shadow::normalize(&loaded, &crate::harness::server_url(), &platform)
        .unwrap_or_else(|e| panic!("the dumped model does not normalize: {e}"));
    assert_same(&loaded, &sb, "dumped model compared with the database");
    // And the dumped model, created afresh, gives the same catalog.
    let fresh = TestDb::new();
    let mut f = fresh.client();
    f.batch_execute(AUTH).expect("stub");
    crate::support::create(&mut f, &loaded);
    assert_same(&read(&mut f, &schemas), &sb, "model created from the dump");
}

/// Statements one inspection sends, counted on the wire: a proxy between the inspector and the
/// server counts the frontend's Query ('Q') and Parse ('P') messages.
fn statements_per_inspection(tables: usize) -> usize {
    let db = TestDb::new();
    let mut setup = db.client();
    let mut sql = String::from("CREATE SCHEMA many; CREATE TYPE many.mood AS ENUM ('a');");
    for i in 0..tables {
        sql.push_str(&format!(
            "CREATE TABLE many.t{i} (id int PRIMARY KEY, v text CHECK (v <> ''), s many.mood, ref int REFERENCES many.t0);\
             CREATE INDEX ON many.t{i} (v);"
        ));
    }
    setup.batch_execute(&sql).expect("create");
    let server = &db.db.url;
    let port = server.get_ports().first().copied().unwrap_or(5432);
    let upstream = match server.get_hosts().first() {
        Some(postgres::config::Host::Unix(dir)) => {
            Upstream::Unix(dir.join(format!(".s.PGSQL.{port}")))
        }
        Some(postgres::config::Host::Tcp(h)) => Upstream::Tcp(h.clone(), port),
        None => Upstream::Tcp("127.0.0.1".into(), port),
    };
    let (proxy_port, counter) = counting_proxy(upstream);
    let mut config = postgres::Config::new();
    config
        .host("127.0.0.1")
        .port(proxy_port)
        .dbname(&db.db.name);
    if let Some(user) = server.get_user() {
        config.user(user);
    }
    if let Some(password) = server.get_password() {
        config.password(password);
    }
    let mut c = config
        .connect(postgres::NoTls)
        .expect("connect through the proxy");
    let connected = counter.load(Ordering::SeqCst);
    let s = read(&mut c, &["many".to_string()].into_iter().collect());
    assert_eq!(s.tables.len(), tables);
    assert_eq!(
        s.tables.values().map(|t| t.indexes.len()).sum::<usize>(),
        tables
    );
    counter.load(Ordering::SeqCst) - connected
}

/// Where the proxy forwards to: the server's TCP address or its Unix socket.
enum Upstream {
    Tcp(String, u16),
    Unix(PathBuf),
}

type Halves = (Box<dyn Read + Send>, Box<dyn Write + Send>);

impl Upstream {
    fn connect(&self) -> std::io::Result<Halves> {
        Ok(match self {
            Upstream::Tcp(h, p) => {
                let s = TcpStream::connect((h.as_str(), *p))?;
                (Box::new(s.try_clone()?), Box::new(s))
            }
            Upstream::Unix(path) => {
                let s = std::os::unix::net::UnixStream::connect(path)?;
                (Box::new(s.try_clone()?), Box::new(s))
            }
        })
    }
}

/// Forwards one connection from a local port to `upstream`, counting statement messages.
fn counting_proxy(upstream: Upstream) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let counter = Arc::new(AtomicUsize::new(0));
    let count = counter.clone();
    std::thread::spawn(move || {
        let Ok((mut client, _)) = listener.accept() else {
            return;
        };
        let Ok((mut server_read, mut server)) = upstream.connect() else {
            return;
        };
        let mut client_write = client.try_clone().expect("clone");
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut server_read, &mut client_write);
        });
        // The startup packet has no type byte: length, then body.
        let mut startup = true;
        loop {
            let mut head = [0u8; 5];
            let header = if startup {
                &mut head[1..]
            } else {
                &mut head[..]
            };
            if client.read_exact(header).is_err() {
                return;
            }
            let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
            let mut body = vec![0u8; len.saturating_sub(4)];
            if client.read_exact(&mut body).is_err() {
                return;
            }
            // An SSLRequest or GSSENCRequest is followed by the real startup packet.
            let negotiation = startup && len == 8;
            if !startup && (head[0] == b'Q' || head[0] == b'P') {
                count.fetch_add(1, Ordering::SeqCst);
            }
            let out: &[u8] = if startup { &head[1..] } else { &head[..] };
            if server
                .write_all(out)
                .and_then(|_| server.write_all(&body))
                .is_err()
            {
                return;
            }
            startup = negotiation;
        }
    });
    (port, counter)
}

#[test]
fn the_catalog_is_read_in_a_fixed_number_of_queries() {
    let small = statements_per_inspection(3);
    let large = statements_per_inspection(150);
    assert_eq!(
        small, large,
        "the number of catalog queries grows with the number of tables"
    );
    // The catalog queries and the one statement that sets up the session.
    assert_eq!(
        large,
        autogen::inspect::QUERY_COUNT + 1,
        "one inspection sent {large} statements"
    );
}
