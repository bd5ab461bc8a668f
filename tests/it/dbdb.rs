//! Database-to-database: schemas written by hand in SQL, not by autogen. Load A and B, diff,
//! apply, re-diff; undo, re-diff; and `dump` B to YAML, load it back, and compare with B.

use crate::harness::TestDb;
use crate::support::{assert_same, read, run};
use autogen::diff::diff;
use autogen::model::{dump_files, load_sources};
use autogen::plan::{plan, plan_down};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn fixture(name: &str, file: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .join(file);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The app's own schemas; `auth` belongs to the platform, as on Supabase.
fn app_schemas() -> BTreeSet<String> {
    ["billing", "journal", "habits"]
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
    run(&mut a, &plan(changes.clone()), "A -> B");
    assert_same(&read(&mut a, &schemas), &sb, "after applying A -> B");
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
    assert_eq!(files.len(), 3, "one file per schema");
    let loaded = load_sources(&files)
        .unwrap_or_else(|e| panic!("dumped YAML does not load: {e}\n{}", files[0].1));
    assert_same(&loaded, &sb, "dumped model compared with the database");
    // And the dumped model, created afresh, gives the same catalog.
    let fresh = TestDb::new();
    let mut f = fresh.client();
    f.batch_execute(
        "CREATE SCHEMA auth; CREATE TABLE auth.users (id uuid PRIMARY KEY, email text NOT NULL);",
    )
    .expect("stub");
    crate::support::create(&mut f, &loaded);
    assert_same(&read(&mut f, &schemas), &sb, "model created from the dump");
}

/// Statements one inspection commits, as the server counts them (`pg_stat_database`).
fn statements_per_inspection(tables: usize) -> i64 {
    let db = TestDb::new();
    let mut setup = db.client();
    let mut sql = String::from("CREATE SCHEMA many;");
    for i in 0..tables {
        sql.push_str(&format!(
            "CREATE TABLE many.t{i} (id int PRIMARY KEY, v text CHECK (v <> ''), s many.mood, ref int REFERENCES many.t0);\
             CREATE INDEX ON many.t{i} (v);"
        ));
    }
    setup
        .batch_execute(&format!(
            "CREATE TYPE public.placeholder AS ENUM ('x'); {}",
            sql.replacen(
                "CREATE SCHEMA many;",
                "CREATE SCHEMA many; CREATE TYPE many.mood AS ENUM ('a');",
                1
            )
        ))
        .expect("create");
    drop(setup);
    let commits = |c: &mut postgres::Client| -> i64 {
        // Backends flush their counters when idle, at most once a second.
        std::thread::sleep(std::time::Duration::from_millis(1200));
        c.query_one(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()",
            &[],
        )
        .expect("stat")
        .get(0)
    };
    let mut observer = db.client();
    let before = commits(&mut observer);
    let mut c = db.client();
    let s = read(&mut c, &["many".to_string()].into_iter().collect());
    assert_eq!(s.tables.len(), tables);
    drop(c);
    let after = commits(&mut observer);
    // The observer's own first reading is the one extra commit.
    after - before - 1
}

#[test]
fn the_catalog_is_read_in_a_fixed_number_of_queries() {
    let small = statements_per_inspection(3);
    let large = statements_per_inspection(150);
    assert_eq!(
        small, large,
        "the number of catalog queries grows with the number of tables"
    );
    // The catalog queries, the SET of search_path, and the driver's type look-ups.
    assert!(
        large <= autogen::inspect::QUERY_COUNT as i64 + 4,
        "one inspection used {large} statements"
    );
}
