//! Lock-friendly migrations on real Postgres: what they generate, what a failure part-way leaves
//! behind, how the next run reports it and how `upgrade --resume` finishes the job.

use crate::harness::TestDb;
use crate::workflow::{USERS, project};
use std::sync::{Arc, Mutex};

fn index_valid(c: &mut postgres::Client, index: &str) -> Option<bool> {
    c.query_opt(
        "SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass($1)",
        &[&index],
    )
    .expect("pg_index")
    .map(|r| r.get(0))
}

fn constraint_validated(c: &mut postgres::Client, name: &str) -> Option<bool> {
    c.query_opt(
        "SELECT convalidated FROM pg_constraint WHERE conname = $1",
        &[&name],
    )
    .expect("pg_constraint")
    .map(|r| r.get(0))
}

/// The test database's URL with `role` as the user.
fn url_as(db: &TestDb, role: &str) -> String {
    let url = db.url();
    let (scheme, rest) = url.split_once("://").expect("scheme");
    let (_, host) = rest.split_once('@').expect("user");
    format!("{scheme}://{role}@{host}")
}

fn history(c: &mut postgres::Client) -> Vec<(String, bool)> {
    c.query(
        "SELECT version, success FROM autogen.history WHERE service = 'users' ORDER BY version",
        &[],
    )
    .expect("history")
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

fn latest_up(p: &crate::workflow::Project) -> String {
    let name = p
        .migrations("users")
        .into_iter()
        .rfind(|n| n.ends_with(".up.sql"))
        .expect("an up file");
    p.read(&format!("migrations/users/{name}"))
}

#[test]
fn a_failed_concurrent_index_build_is_reported_and_resumed() {
    let db = TestDb::new();
    let p = project("online-index", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p.ok(&["upgrade"]);
    let mut c = db.client();
    c.batch_execute("INSERT INTO users.accounts (email) VALUES ('a@x'), ('a@x'), ('b@x')")
        .expect("rows");

    p.write(
        "schema/users/users.yaml",
        &format!(
            "{USERS}    indexes:\n      accounts_email_idx: {{ columns: [email], unique: true }}\n"
        ),
    );
    p.ok(&[
        "revision",
        "-m",
        "unique email",
        "--version",
        "20260102000000",
    ]);
    let up = latest_up(&p);
    assert!(
        up.contains(
            "CREATE UNIQUE INDEX CONCURRENTLY accounts_email_idx ON users.accounts (email);"
        ),
        "{up}"
    );
    assert!(up.contains("-- hazard: outside a transaction:"), "{up}");

    // The duplicate makes the build fail: the index stays behind, INVALID.
    let (code, out, err) = p.run(&["upgrade"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("INVALID index") && err.contains("--resume"),
        "{err}"
    );
    assert_eq!(index_valid(&mut c, "users.accounts_email_idx"), Some(false));
    assert_eq!(
        history(&mut c),
        vec![
            ("20260101000000".to_string(), true),
            ("20260102000000".to_string(), false)
        ],
        "the history says the migration stopped part-way"
    );

    // Every later look at the database reports it.
    let (code, status, _) = p.run(&["status"]);
    assert_eq!(code, 1, "a problem is shown: {status}");
    assert!(
        status.contains("index `users.accounts_email_idx` on `users.accounts` is INVALID"),
        "{status}"
    );
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("index `users.accounts_email_idx` on `users.accounts` is INVALID"),
        "{out}"
    );
    let (code, _, err) = p.run(&["upgrade"]);
    assert_eq!(code, 2, "a dirty history stops a plain upgrade: {err}");
    assert!(err.contains("is INVALID"), "{err}");

    // Fixed data, then --resume drops the invalid index and builds it again.
    c.batch_execute("DELETE FROM users.accounts WHERE id = (SELECT max(id) FROM users.accounts WHERE email = 'a@x')")
        .expect("fix");
    let out = p.ok(&["upgrade", "--resume"]);
    assert!(out.contains("dropping the invalid index"), "{out}");
    assert_eq!(index_valid(&mut c, "users.accounts_email_idx"), Some(true));
    assert!(history(&mut c).iter().all(|(_, ok)| *ok));
    let (code, out, err) = p.run(&["check"]);
    assert_eq!(code, 0, "{out}\n{err}");
}

#[test]
fn a_failed_validate_leaves_the_constraint_not_valid_until_resumed() {
    let db = TestDb::new();
    let p = project("online-check", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p.ok(&["upgrade"]);
    let mut c = db.client();
    c.batch_execute("INSERT INTO users.accounts (email) VALUES ('a@x'), ('')")
        .expect("rows");
    p.write(
        "schema/users/users.yaml",
        &format!("{USERS}    checks:\n      email_not_blank: \"email <> ''\"\n"),
    );
    p.ok(&["revision", "-m", "no blank", "--version", "20260102000000"]);
    let up = latest_up(&p);
    let add = up.find("NOT VALID;").expect("added NOT VALID");
    let commit = up.find("-- autogen:commit").expect("a commit");
    let validate = up
        .find("VALIDATE CONSTRAINT email_not_blank;")
        .expect("validated");
    assert!(add < commit && commit < validate, "{up}");

    let (code, _, err) = p.run(&["upgrade"]);
    assert_eq!(code, 2, "{err}");
    // The constraint was added and committed: new rows are checked, old ones are not yet.
    assert_eq!(constraint_validated(&mut c, "email_not_blank"), Some(false));
    let refused = c.batch_execute("INSERT INTO users.accounts (email) VALUES ('')");
    assert!(refused.is_err(), "a NOT VALID check still guards new rows");
    let (code, status, _) = p.run(&["status"]);
    assert_eq!(code, 1, "a problem is shown: {status}");
    assert!(
        status.contains("constraint `email_not_blank` on `users.accounts` is NOT VALID"),
        "{status}"
    );

    c.batch_execute("UPDATE users.accounts SET email = 'fixed@x' WHERE email = ''")
        .expect("fix");
    p.ok(&["upgrade", "--resume"]);
    assert_eq!(constraint_validated(&mut c, "email_not_blank"), Some(true));
    assert!(history(&mut c).iter().all(|(_, ok)| *ok));
}

/// The debug messages Postgres sends while `sql` runs.
fn notices_of(db: &TestDb, sql: &str) -> Vec<String> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let mut config: postgres::Config = db.url().parse().expect("url");
    config.notice_callback(move |n| sink.lock().expect("lock").push(n.message().to_string()));
    let mut c = config.connect(postgres::NoTls).expect("connect");
    c.batch_execute("SET client_min_messages = debug1")
        .expect("debug");
    for unit in autogen::migrate::split::split(sql) {
        for s in unit.statements {
            c.batch_execute(&s.sql).expect("statement");
        }
    }
    seen.lock().expect("lock").clone()
}

#[test]
fn set_not_null_is_proven_by_the_validated_check_without_a_scan() {
    let db = TestDb::new();
    let p = project("online-not-null", &db);
    p.two_services();
    let nullable = USERS.replace("{ type: text }", "{ type: text, nullable: true }");
    p.write("schema/users/users.yaml", &nullable);
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p.ok(&["upgrade"]);
    db.client()
        .batch_execute("INSERT INTO users.accounts (email) VALUES ('a@x'), ('b@x')")
        .expect("rows");
    p.write("schema/users/users.yaml", USERS);
    p.ok(&["revision", "-m", "not null", "--version", "20260102000000"]);
    let up = latest_up(&p);
    let notices = notices_of(&db, &up);
    assert!(
        notices
            .iter()
            .any(|n| n.contains("sufficient to prove that it does not contain nulls")),
        "SET NOT NULL skipped its scan: {notices:?}\n{up}"
    );
    let mut c = db.client();
    let not_null: bool = c
        .query_one(
            "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'users.accounts'::regclass AND attname = 'email'",
            &[],
        )
        .expect("attnotnull")
        .get(0);
    assert!(not_null);
    assert_eq!(
        constraint_validated(&mut c, "autogen_not_null_email"),
        None,
        "the helper check is gone"
    );
}

#[test]
fn no_online_writes_plain_ddl_in_one_transaction() {
    let db = TestDb::new();
    let p = project("offline", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p.write(
        "schema/users/users.yaml",
        &format!(
            "{USERS}    indexes:\n      accounts_email_idx: {{ columns: [email] }}\n    checks:\n      email_not_blank: \"email <> ''\"\n"
        ),
    );
    p.ok(&[
        "revision",
        "-m",
        "plain",
        "--version",
        "20260102000000",
        "--no-online",
    ]);
    let up = latest_up(&p);
    assert!(
        up.contains("CREATE INDEX accounts_email_idx ON users.accounts (email);"),
        "{up}"
    );
    assert!(
        !up.contains("INDEX CONCURRENTLY")
            && !up.contains("NOT VALID")
            && !up.contains("autogen:commit"),
        "{up}"
    );
    assert!(
        up.contains("-- hazard: blocks writes: builds `accounts_email_idx` without CONCURRENTLY")
    );
    p.ok(&["upgrade"]);
    let mut c = db.client();
    assert_eq!(index_valid(&mut c, "users.accounts_email_idx"), Some(true));
    assert_eq!(constraint_validated(&mut c, "email_not_blank"), Some(true));
}

#[test]
fn health_reports_privileges_locks_leftovers_and_a_dirty_history() {
    let db = TestDb::new();
    let p = project("health", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    let out = p.ok(&["health"]);
    assert!(out.contains("ok   server: PostgreSQL"), "{out}");
    assert!(
        out.contains("ok   history: clean, 2 migration(s) pending"),
        "{out}"
    );
    p.ok(&["upgrade"]);
    let out = p.ok(&["health"]);
    assert!(out.contains("ok   privileges:"), "{out}");
    assert!(out.contains("ok   migration lock: free"), "{out}");
    assert!(out.contains("ok   lock waits: none"), "{out}");

    // Another run holding the migration lock, and a session queued behind a table lock.
    let mut holder = db.client();
    holder
        .batch_execute("SELECT pg_advisory_lock(x'00617574' :: int8 << 32 | x'6f67656e' :: int8)")
        .expect("advisory lock");
    let mut locker = db.client();
    locker
        .batch_execute("BEGIN; LOCK TABLE users.accounts IN ACCESS EXCLUSIVE MODE")
        .expect("lock");
    let url = db.url();
    let waiter = std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
        c.batch_execute("SELECT count(*) FROM users.accounts")
            .expect("waits, then reads");
    });
    let mut out = String::new();
    for _ in 0..50 {
        out = p.ok(&["health"]);
        if out.contains("note lock wait") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(out.contains("note migration lock: held by pid"), "{out}");
    assert!(
        out.contains("note lock wait: pid") && out.contains("SELECT count(*) FROM users.accounts"),
        "{out}"
    );
    locker.batch_execute("COMMIT").expect("release");
    waiter.join().expect("waiter");
    holder
        .batch_execute("SELECT pg_advisory_unlock_all()")
        .expect("unlock");

    // An invalid index left by a failed build and a dirty history are failures: exit 1.
    let mut c = db.client();
    c.batch_execute("INSERT INTO users.accounts (email) VALUES ('d'), ('d')")
        .expect("rows");
    assert!(
        c.batch_execute("CREATE UNIQUE INDEX CONCURRENTLY by_hand ON users.accounts (email)")
            .is_err()
    );
    c.batch_execute("UPDATE autogen.history SET success = false, failed_unit = 1, error = 'boom' WHERE service = 'notes'")
        .expect("dirty");
    let (code, out, err) = p.run(&["health"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        out.contains("FAIL leftover: index `users.by_hand` on `users.accounts` is INVALID"),
        "{out}"
    );
    assert!(
        out.contains("FAIL history: [notes]") && out.contains("is dirty"),
        "{out}"
    );

    // A role that may not create schemas nor alter the tables.
    let role = format!("{}_limited", db.db.name);
    c.batch_execute(&format!(
        "CREATE ROLE {role} LOGIN; REVOKE CREATE ON DATABASE {} FROM PUBLIC",
        db.db.name
    ))
    .expect("role");
    let limited = crate::workflow::Project {
        dir: p.dir.clone(),
        url: url_as(&db, &role),
    };
    let (code, out, _) = limited.run(&["health"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL privileges:")
            && out.contains("no USAGE and CREATE on the schema `users`")
            && out.contains("`users.accounts` belongs to"),
        "{out}"
    );
    c.batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .expect("drop role");

    // No server at all: exit 2 and a message, not a panic.
    let gone = crate::workflow::Project {
        dir: p.dir.clone(),
        url: "postgres://postgres@127.0.0.1:1/nothing?connect_timeout=2".into(),
    };
    let (code, out, _) = gone.run(&["health"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("FAIL connection:"), "{out}");
}

fn count(c: &mut postgres::Client, sql: &str) -> i64 {
    c.query_one(sql, &[]).expect(sql).get(0)
}

#[test]
fn reset_needs_yes_and_a_disposable_database_and_spares_what_the_project_does_not_own() {
    let db = TestDb::new();
    let p = project("reset", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p.ok(&["upgrade"]);
    let mut c = db.client();
    c.batch_execute(
        "INSERT INTO users.accounts (email) VALUES ('a'), ('b');
         CREATE SCHEMA other; CREATE TABLE other.keep (id int); INSERT INTO other.keep VALUES (1);",
    )
    .expect("data");
    let accounts = "SELECT count(*) FROM users.accounts";

    let (code, _, err) = p.run(&["reset", "--yes"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not marked disposable"), "{err}");
    let (code, _, err) = p.run(&["reset", "--i-know-this-is-not-production"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--yes") && err.contains("`notes`, `users`"),
        "{err}"
    );
    assert_eq!(count(&mut c, accounts), 2, "nothing was dropped");

    // Something outside the project depends on it: refused, nothing dropped.
    c.batch_execute("CREATE VIEW other.emails AS SELECT email FROM users.accounts")
        .expect("view");
    let (code, _, err) = p.run(&["reset", "--yes", "--i-know-this-is-not-production"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("view other.emails"), "{err}");
    assert_eq!(count(&mut c, accounts), 2, "nothing was dropped");
    c.batch_execute("DROP VIEW other.emails")
        .expect("drop view");

    // What no migration creates (the migrations are replayed on a scratch database to know)
    // is refused, named, and nothing is dropped; with --drop-unmanaged it goes, named again.
    c.batch_execute(
        "CREATE VIEW users.by_hand AS SELECT email FROM users.accounts;
         CREATE FUNCTION notes.also_by_hand() RETURNS int LANGUAGE sql AS 'SELECT 1';
         CREATE POLICY \"made by hand\" ON users.accounts USING (true);",
    )
    .expect("hand-made objects");
    let (code, _, err) = p.run(&["reset", "--yes", "--i-know-this-is-not-production"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("the project's schemas hold 3 object(s) that no migration creates")
            && err.contains("  function notes.also_by_hand()\n")
            && err.contains("  policy users.made by hand on accounts\n")
            && err.contains("  view users.by_hand")
            && err.contains("--drop-unmanaged"),
        "{err}"
    );
    assert_eq!(count(&mut c, accounts), 2, "nothing was dropped");
    let out = p.ok(&[
        "reset",
        "--yes",
        "--i-know-this-is-not-production",
        "--drop-unmanaged",
    ]);
    assert!(out.contains("applied users 20260101000000_first"), "{out}");
    assert!(
        out.contains("reset dropped 3 object(s) that no migration creates again")
            && out.contains("function notes.also_by_hand(), policy users.made by hand on accounts, view users.by_hand"),
        "{out}"
    );
    assert_eq!(count(&mut c, accounts), 0, "the data is gone");
    assert_eq!(
        count(&mut c, "SELECT count(*) FROM other.keep"),
        1,
        "other schemas are untouched"
    );
    assert_eq!(
        count(&mut c, "SELECT count(*) FROM autogen.history WHERE success"),
        2,
        "every migration ran again"
    );
    let (code, out, err) = p.run(&["check"]);
    assert_eq!(code, 0, "{out}\n{err}");

    // The config flag marks the database disposable too.
    p.write(
        "autogen.toml",
        &format!(
            "[database]\ndisposable = true\n{}",
            crate::workflow::TWO_SERVICES
        ),
    );
    c.batch_execute("INSERT INTO users.accounts (email) VALUES ('c')")
        .expect("row");
    p.ok(&["reset", "--yes"]);
    assert_eq!(count(&mut c, accounts), 0);
}

fn sleeping_backends(c: &mut postgres::Client) -> i64 {
    c.query_one(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep(60)%'",
        &[],
    )
    .expect("pg_stat_activity")
    .get(0)
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..200 {
        if done() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

/// An upgrade stopped in its second transaction, by `how`: the history and the database agree
/// (the first step committed and recorded as where to resume, the second rolled back), and
/// `upgrade --resume` finishes the job.
fn stop_during_upgrade(name: &str, how: &str) {
    let db = TestDb::new();
    let p = project(name, &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p.ok(&["upgrade"]);
    p.hand_written_migration(
        "20260102000000",
        "CREATE TABLE users.step_one (id int);\n-- autogen:commit\nSELECT pg_sleep(60) WHERE to_regclass('public.slow') IS NOT NULL;\nCREATE TABLE users.step_two (id int);\n",
    );
    db.client()
        .batch_execute("CREATE TABLE public.slow ()")
        .expect("slow");
    let child = p
        .command(&["upgrade"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn upgrade");
    let mut c = db.client();
    wait_for("the second step to start", || {
        sleeping_backends(&mut c) == 1
    });
    match how {
        "terminate" => {
            c.batch_execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep(60)%'",
            )
            .expect("terminate");
        }
        signal => {
            let ok = std::process::Command::new("kill")
                .args([signal, &child.id().to_string()])
                .status()
                .expect("kill");
            assert!(ok.success());
        }
    }
    let out = child.wait_with_output().expect("upgrade ends");
    assert!(!out.status.success(), "{how}: the upgrade did not finish");
    // The server rolls the open transaction back and releases the migration lock.
    wait_for("the server to drop the session", || {
        sleeping_backends(&mut c) == 0
    });
    let exists = |c: &mut postgres::Client, t: &str| -> bool {
        c.query_one("SELECT to_regclass($1) IS NOT NULL", &[&t])
            .expect("regclass")
            .get(0)
    };
    assert!(exists(&mut c, "users.step_one"), "{how}: step 1 committed");
    assert!(
        !exists(&mut c, "users.step_two"),
        "{how}: step 2 rolled back"
    );
    let row = c
        .query_one(
            "SELECT success, failed_unit FROM autogen.history WHERE service = 'users' AND version = '20260102000000'",
            &[],
        )
        .expect("the history has the migration");
    let (success, unit): (bool, Option<i32>) = (row.get(0), row.get(1));
    assert_eq!(
        (success, unit),
        (false, Some(1)),
        "{how}: dirty, to resume at step 2"
    );
    let (code, status, _) = p.run(&["status"]);
    assert_eq!(code, 1, "a problem is shown: {status}");
    assert!(status.contains("DIRTY 20260102000000_by_hand"), "{status}");

    let (code, _, err) = p.run(&["upgrade"]);
    assert_eq!(code, 2, "a plain upgrade refuses a dirty history: {err}");
    assert!(err.contains("--resume"), "{err}");

    // The re-run finishes the job (without the sleep this time).
    c.batch_execute("DROP TABLE public.slow").expect("fast");
    let out = p.ok(&["upgrade", "--resume"]);
    assert!(
        out.contains("resuming users 20260102000000_by_hand at step 2"),
        "{out}"
    );
    assert!(exists(&mut c, "users.step_one") && exists(&mut c, "users.step_two"));
    assert!(history(&mut c).iter().all(|(_, ok)| *ok));
}

#[test]
fn a_connection_killed_mid_migration_leaves_an_agreeing_history() {
    stop_during_upgrade("fault-terminate", "terminate");
}

#[test]
fn sigint_during_upgrade_leaves_an_agreeing_history() {
    stop_during_upgrade("fault-sigint", "-INT");
}

#[test]
fn sigterm_during_upgrade_leaves_an_agreeing_history() {
    stop_during_upgrade("fault-sigterm", "-TERM");
}

#[test]
fn an_unreachable_server_is_retried_with_backoff_and_a_refused_login_is_not() {
    let db = TestDb::new();
    let p = project("fault-connect", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    let nowhere = crate::workflow::Project {
        dir: p.dir.clone(),
        url: "postgres://postgres@127.0.0.1:1/nothing".into(),
    };
    let started = std::time::Instant::now();
    let out = nowhere
        .command(&["upgrade"])
        .env("AUTOGEN_CONNECT_WAIT", "2s")
        .output()
        .expect("run");
    let (code, _, err) = crate::workflow::decode(&out);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("trying again in 250 ms")
            && err.contains("trying again in 500 ms")
            && err.contains("trying again in 1000 ms"),
        "the pause doubles: {err}"
    );
    assert!(
        err.contains("Connection refused") && err.contains("after 4 attempts"),
        "{err}"
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(1700));

    // A server that answers "no" is asked once.
    let role = format!("{}_nologin", db.db.name);
    let mut c = db.client();
    c.batch_execute(&format!("CREATE ROLE {role} NOLOGIN"))
        .expect("role");
    for (what, url) in [
        ("a role that may not log in", url_as(&db, &role)),
        ("no such database", format!("{}x", db.url())),
    ] {
        let q = crate::workflow::Project {
            dir: p.dir.clone(),
            url,
        };
        let (code, _, err) = q.run(&["upgrade"]);
        assert_eq!(code, 2, "{what}: {err}");
        assert!(!err.contains("trying again"), "{what}: no retry: {err}");
        assert!(
            err.contains("not permitted to log in") || err.contains("does not exist"),
            "{what}: {err}"
        );
    }
    c.batch_execute(&format!("DROP ROLE {role}"))
        .expect("drop role");
    // TLS, and a real wrong password: tls.rs, on servers of its own.
}
