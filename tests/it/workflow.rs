//! The migration workflow end to end through the binary, on real Postgres: init, revision,
//! upgrade, downgrade, status, history, validate, mark, and each way they must fail.

use crate::harness::{TestDb, server_url};
use crate::support::TempDir;
use std::path::Path;
use std::process::{Command, Output};
use std::rc::Rc;

pub(crate) struct Project {
    /// Shared by two `Project`s when one model is tried against two databases.
    pub(crate) dir: Rc<TempDir>,
    pub(crate) url: String,
}

pub(crate) fn project(name: &str, db: &TestDb) -> Project {
    Project {
        dir: Rc::new(TempDir::new("autogen-wf", name)),
        url: db.url(),
    }
}

pub(crate) const TWO_SERVICES: &str = r#"
[[services]]
name = "users"
schema = "users"
models = ["schema/users/*.yaml"]

[[services]]
name = "notes"
schema = "notes"
models = ["schema/notes/*.yaml"]
"#;

pub(crate) const USERS: &str = "schema: users\ntables:\n  accounts:\n    columns:\n      id: { type: bigint, identity: always }\n      email: { type: text }\n    primary_key: [id]\n";

pub(crate) const NOTES: &str = "schema: notes\nenums:\n  state: [draft, done]\ntables:\n  notes:\n    columns:\n      id: { type: bigint, identity: always }\n      owner: { type: bigint, references: users.accounts(id) }\n      state: { type: state, default: \"'draft'\" }\n    primary_key: [id]\n";

impl Project {
    pub(crate) fn write(&self, rel: &str, text: &str) {
        let p = self.dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    pub(crate) fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.join(rel)).expect("read")
    }

    /// Runs autogen in the project with the test database; returns (code, stdout, stderr).
    pub(crate) fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.command(args).output().expect("run autogen");
        decode(&out)
    }

    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_autogen"));
        c.args(args)
            .current_dir(&**self.dir)
            .env("DATABASE_URL", &self.url)
            .env_remove("AUTOGEN_DEV_URL")
            // The normalization cache has tests of its own; here every run starts from nothing.
            .env("AUTOGEN_CACHE_DIR", "off")
            .env("NO_COLOR", "1");
        c
    }

    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "autogen {args:?} failed:\n{out}\n{err}");
        format!("{out}{err}")
    }

    /// Migration files of a service, sorted.
    pub(crate) fn migrations(&self, service: &str) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.dir.join("migrations").join(service))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().to_string())
                    .filter(|n| n.ends_with(".sql"))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    /// A migration of service `users` at `version` whose SQL is `sql`, written by hand.
    pub(crate) fn hand_written_migration(&self, version: &str, sql: &str) {
        self.ok(&[
            "revision",
            "-m",
            "by hand",
            "--empty",
            "--service",
            "users",
            "--version",
            version,
        ]);
        let path = format!("migrations/users/{version}_by_hand.up.sql");
        let text = self.read(&path);
        self.write(&path, &format!("{text}{sql}"));
    }

    pub(crate) fn two_services(&self) {
        self.write("autogen.toml", TWO_SERVICES);
        self.write("schema/users/users.yaml", USERS);
        self.write("schema/notes/notes.yaml", NOTES);
    }
}

pub(crate) fn decode(o: &Output) -> (i32, String, String) {
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

pub(crate) fn history_rows(db: &TestDb) -> Vec<(String, String, bool)> {
    let mut c = db.client();
    let exists: bool = c
        .query_one("SELECT to_regclass('autogen.history') IS NOT NULL", &[])
        .expect("query")
        .get(0);
    if !exists {
        return Vec::new();
    }
    c.query(
        "SELECT service, version, success FROM autogen.history ORDER BY version, service",
        &[],
    )
    .expect("history")
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

pub(crate) fn exists(db: &TestDb, relation: &str) -> bool {
    db.client()
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&relation])
        .expect("query")
        .get(0)
}

#[test]
fn init_scaffolds_a_project_that_works_at_once() {
    let db = TestDb::new();
    let p = project("init", &db);
    p.ok(&["init"]);
    for f in [
        "autogen.toml",
        "schema/app.yaml",
        "migrations/.gitkeep",
        "snapshots/.gitkeep",
    ] {
        assert!(p.dir.join(f).exists(), "{f} missing");
    }
    let out = p.ok(&["revision", "-m", "nothing yet"]);
    assert!(out.contains("no changes detected"), "{out}");
    assert!(p.migrations("app").is_empty());
    p.write(
        "schema/app.yaml",
        "tables:\n  users:\n    columns:\n      id: { type: bigint, identity: always }\n    primary_key: [id]\n",
    );
    let out = p.ok(&[
        "revision",
        "-m",
        "Users table!",
        "--version",
        "20260101000000",
    ]);
    assert!(out.contains("CREATE TABLE public.users"), "{out}");
    assert_eq!(
        p.migrations("app"),
        vec![
            "20260101000000_users_table.down.sql",
            "20260101000000_users_table.up.sql"
        ]
    );
    assert!(p.dir.join("snapshots/app/20260101000000.yaml").exists());
    p.ok(&["upgrade"]);
    assert!(exists(&db, "public.users"));
    let (code, _, err) = p.run(&["init"]);
    assert_eq!(code, 2, "a second init must refuse: {err}");
    assert!(err.contains("already"), "{err}");
}

#[test]
fn two_services_revision_upgrade_status_history_downgrade() {
    let db = TestDb::new();
    let p = project("loop", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    // The referenced service gets the earlier version, so it is applied first.
    assert_eq!(p.migrations("users")[1], "20260101000000_first.up.sql");
    assert_eq!(p.migrations("notes")[1], "20260101000001_first.up.sql");
    let up = p.read("migrations/notes/20260101000001_first.up.sql");
    for line in [
        "-- service: notes",
        "-- version: 20260101000001",
        "-- parent: none",
        "-- message: first",
        "-- schema-before: ",
        "-- schema-after: ",
    ] {
        assert!(up.contains(line), "header lacks {line}:\n{up}");
    }
    assert!(
        p.ok(&["revision", "-m", "again"])
            .contains("no changes detected")
    );

    let out = p.ok(&["upgrade"]);
    assert!(out.contains("applied users 20260101000000_first"), "{out}");
    assert!(exists(&db, "notes.notes") && exists(&db, "users.accounts"));
    assert_eq!(history_rows(&db).len(), 2);
    let status = p.ok(&["status"]);
    assert!(
        status.contains("notes: at 20260101000001 (head 20260101000001), 0 pending"),
        "{status}"
    );

    // An enum value added and used as a default: the runner must commit in between.
    p.write(
        "schema/notes/notes.yaml",
        &NOTES
            .replace("[draft, done]", "[draft, review, done]")
            .replace("'draft'", "'review'"),
    );
    p.ok(&[
        "revision",
        "-m",
        "review state",
        "--version",
        "20260102000000",
    ]);
    let up = p.read("migrations/notes/20260102000000_review_state.up.sql");
    assert!(up.contains("-- autogen:commit"), "{up}");
    let status = p.ok(&["status"]);
    assert!(
        status.contains("pending 20260102000000_review_state"),
        "{status}"
    );
    p.ok(&["upgrade"]);
    let default: String = db
        .client()
        .query_one(
            "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'notes.notes'::regclass",
            &[],
        )
        .expect("default")
        .get(0);
    assert!(default.contains("review"), "{default}");
    let history = p.ok(&["history"]);
    assert!(
        history.contains("[x] 20260102000000_review_state"),
        "{history}"
    );

    // Not on a terminal, downgrade needs --yes, and reverts nothing without it.
    let (code, _, err) = p.run(&["downgrade", "-1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--yes"), "{err}");
    assert_eq!(history_rows(&db).len(), 3);
    p.ok(&["downgrade", "-1", "--yes"]);
    assert_eq!(history_rows(&db).len(), 2);
    let labels: Vec<String> = db
        .client()
        .query("SELECT unnest(enum_range(NULL::notes.state))::text", &[])
        .expect("labels")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(labels, ["draft", "done"]);
    p.ok(&["upgrade", "+1"]);
    assert_eq!(history_rows(&db).len(), 3);
    // What a downgrade drops is listed with what the tables hold, before and as it runs.
    db.client()
        .batch_execute(
            "INSERT INTO users.accounts (email) VALUES ('a'), ('b');
             INSERT INTO notes.notes (owner, state) SELECT id, 'review' FROM users.accounts;
             ANALYZE users.accounts, notes.notes;",
        )
        .expect("rows");
    // Removing an enum value loses nothing: rows that still hold it stop the down migration,
    // which rolls back whole.
    let (code, _, err) = p.run(&["downgrade", "base", "--yes"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("invalid input value for enum notes.state: \"review\""),
        "{err}"
    );
    assert_eq!(history_rows(&db).len(), 3, "nothing was reverted");
    let mut c = db.client();
    let review: i64 = c
        .query_one(
            "SELECT count(*) FROM notes.notes WHERE state = 'review'",
            &[],
        )
        .expect("count")
        .get(0);
    assert_eq!(review, 2, "the rows keep their value");
    c.batch_execute("UPDATE notes.notes SET state = 'draft'")
        .expect("update");
    let (code, _, err) = p.run(&["downgrade", "base"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("data loss: drops table `notes.notes` and all its rows")
            && err.contains("at stake: `notes.notes`: about 2 rows")
            && err.contains("at stake: `users.accounts`: about 2 rows"),
        "{err}"
    );
    assert_eq!(history_rows(&db).len(), 3, "nothing was reverted");
    let out = p.ok(&["downgrade", "base", "--yes"]);
    assert!(
        out.contains("reverting:") && out.contains("at stake: `notes.notes`: about 2 rows"),
        "{out}"
    );
    assert!(history_rows(&db).is_empty());
    assert!(!exists(&db, "notes.notes") && !exists(&db, "users.accounts"));
    p.ok(&["upgrade", "20260101000001"]);
    assert_eq!(history_rows(&db).len(), 2, "a version target stops there");
}

#[test]
fn sql_previews_need_no_database() {
    let db = TestDb::new();
    let mut p = project("preview", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p.url = "postgres://nobody@127.0.0.1:1/none".into();
    let out = p.ok(&["upgrade", "--sql"]);
    let users = out.find("CREATE TABLE users.accounts").expect("users SQL");
    let notes = out.find("CREATE TABLE notes.notes").expect("notes SQL");
    assert!(users < notes, "in the order they would run:\n{out}");
    let out = p.ok(&["downgrade", "base", "--sql"]);
    let notes = out.find("DROP TABLE notes.notes").expect("notes down");
    let users = out.find("DROP TABLE users.accounts").expect("users down");
    assert!(notes < users, "reverse order:\n{out}");
}

#[test]
fn destructive_changes_need_allow_destructive() {
    let db = TestDb::new();
    let p = project("destructive", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p.write(
        "schema/users/users.yaml",
        &USERS.replace("      email: { type: text }\n", ""),
    );
    let (code, _, err) = p.run(&["revision", "-m", "drop email"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("drop column `email`") && err.contains("--allow-destructive"),
        "{err}"
    );
    assert_eq!(p.migrations("users").len(), 2, "nothing written");
    p.ok(&["revision", "-m", "drop email", "--allow-destructive"]);
    assert_eq!(p.migrations("users").len(), 4);
    let up_name = p
        .migrations("users")
        .into_iter()
        .find(|n| n.ends_with(".up.sql") && !n.starts_with("20260101000000"))
        .expect("the second migration");
    let rel = format!("migrations/users/{up_name}");
    let up = p.read(&rel);
    let marker = "-- allow-destructive: yes";
    assert!(
        up.contains(marker),
        "the accepted loss is visible in review:\n{up}"
    );

    // The same file without the marker: upgrade refuses before running anything and says what
    // is at stake.
    p.ok(&["upgrade", "20260101000000"]);
    let mut c = db.client();
    c.batch_execute(
        "INSERT INTO users.accounts (email) VALUES ('a'), ('b'), ('c'); ANALYZE users.accounts;",
    )
    .expect("rows");
    let unmarked: String = up
        .lines()
        .filter(|l| !l.starts_with(marker))
        .map(|l| format!("{l}\n"))
        .collect();
    p.write(&rel, &unmarked);
    let (code, out, err) = p.run(&["upgrade"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(err.contains("would lose data"), "{err}");
    assert!(
        err.contains("drops column `email` of `users.accounts`"),
        "{err}"
    );
    assert!(err.contains("`users.accounts`: about 3 rows"), "{err}");
    assert!(err.contains("--allow-destructive"), "{err}");

    // The gate reads the header's typed record, not the prose: with every hazard comment
    // reworded, the step is still refused and its table still estimated.
    assert!(
        up.contains("\n-- loses-data: 1 [\"users\",\"accounts\"]\n"),
        "the header records the step:\n{up}"
    );
    let reworded: String = unmarked
        .lines()
        .map(|l| match l.strip_prefix("-- hazard: ") {
            Some(_) => "-- hazard: note: the column goes away\n".to_string(),
            None => format!("{l}\n"),
        })
        .collect();
    assert!(!reworded.contains("data loss"), "{reworded}");
    p.write(&rel, &reworded);
    let (code, out, err) = p.run(&["upgrade"]);
    assert_eq!(code, 2, "reworded hazards: {out}\n{err}");
    assert!(err.contains("would lose data"), "{err}");
    assert!(
        err.contains("drop column `email`"),
        "the step is named: {err}"
    );
    assert!(err.contains("`users.accounts`: about 3 rows"), "{err}");
    let (code, out, err) = p.run(&["check", "--offline"]);
    assert_ne!(code, 0, "check names the unmarked loss too: {out}\n{err}");
    assert!(
        format!("{out}{err}").contains("loses data and is not marked"),
        "{out}\n{err}"
    );

    let email_columns = |c: &mut postgres::Client| -> i64 {
        c.query_one(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'users.accounts'::regclass AND attname = 'email' AND NOT attisdropped",
            &[],
        )
        .expect("query")
        .get(0)
    };
    assert_eq!(email_columns(&mut c), 1, "nothing was run");
    let applied: i64 = c
        .query_one(
            "SELECT count(*) FROM autogen.history WHERE service = 'users'",
            &[],
        )
        .expect("history")
        .get(0);
    assert_eq!(applied, 1, "the history is unchanged");
    p.ok(&["upgrade", "--allow-destructive"]);
    assert_eq!(email_columns(&mut c), 0, "applied once allowed");
}

#[test]
fn two_services_declaring_one_table_name_both_files() {
    let db = TestDb::new();
    let p = project("clash", &db);
    p.two_services();
    p.write(
        "schema/notes/more.yaml",
        &USERS
            .replace("schema: users", "schema: notes")
            .replace("accounts", "notes"),
    );
    let (code, _, err) = p.run(&["revision", "-m", "x"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("more.yaml") && err.contains("notes.yaml"),
        "{err}"
    );
    p.write("schema/notes/more.yaml", USERS);
    let (code, _, err) = p.run(&["revision", "-m", "x"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("more.yaml") && err.contains("owns schema `notes`"),
        "a file of one service declaring another's schema: {err}"
    );
}

#[test]
fn empty_revision_runs_hand_written_sql() {
    let db = TestDb::new();
    let p = project("empty", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    let (code, _, err) = p.run(&["revision", "-m", "a function", "--empty"]);
    assert_eq!(code, 2);
    assert!(err.contains("--service (users, notes)"), "{err}");
    p.ok(&[
        "revision",
        "-m",
        "a function",
        "--empty",
        "--service",
        "users",
        "--version",
        "20260102000000",
    ]);
    let path = "migrations/users/20260102000000_a_function.up.sql";
    let text = p.read(path);
    assert!(text.contains("Write the SQL"), "{text}");
    p.write(
        path,
        &format!(
            "{text}CREATE FUNCTION users.semi() RETURNS text LANGUAGE sql AS $$ SELECT 'a;b' $$;\n\
             CREATE INDEX CONCURRENTLY accounts_email_idx ON users.accounts (email);\n"
        ),
    );
    p.write(
        "migrations/users/20260102000000_a_function.down.sql",
        "-- autogen migration (down)\nDROP INDEX users.accounts_email_idx;\nDROP FUNCTION users.semi();\n",
    );
    p.ok(&["upgrade"]);
    let v: String = db
        .client()
        .query_one("SELECT users.semi()", &[])
        .expect("function")
        .get(0);
    assert_eq!(v, "a;b");
    assert!(exists(&db, "users.accounts_email_idx"));
    p.ok(&["validate", "--offline"]);
    // The function is not autogen's business, but the index belongs in the model: the replay
    // finds it missing from the snapshot.
    let out = problems_of(&p, &["validate"]);
    assert!(
        out.contains("users.accounts_email_idx: index added on users.accounts")
            && !out.contains("semi"),
        "{out}"
    );
}

/// A migration that fails in the middle: rolled back, the error names file, line, statement.
#[test]
fn failing_statement_leaves_the_previous_version() {
    let db = TestDb::new();
    let p = project("fail", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p.ok(&["upgrade"]);
    p.ok(&[
        "revision",
        "-m",
        "bad",
        "--empty",
        "--service",
        "users",
        "--version",
        "20260102000000",
    ]);
    let path = "migrations/users/20260102000000_bad.up.sql";
    let text = p.read(path);
    let line = text.lines().count() + 4;
    p.write(
        path,
        &format!("{text}CREATE TABLE users.half (id int);\n\nINSERT INTO users.half\n  SELECT nosuchcolumn FROM users.accounts;\nSELECT 1;\n"),
    );
    let (code, _, err) = p.run(&["upgrade"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("migrations/users/20260102000000_bad.up.sql:{line}: column \"nosuchcolumn\" does not exist")),
        "file and line of the bad column, not of the statement start: {err}"
    );
    assert!(
        err.contains("nosuchcolumn") && err.contains("does not exist"),
        "{err}"
    );
    assert!(err.contains("rolled back"), "{err}");
    assert!(
        !exists(&db, "users.half"),
        "the statement before the failing one was rolled back"
    );
    assert_eq!(history_rows(&db).len(), 2);
    assert!(p.ok(&["status"]).contains("users: at 20260101000000"));
}

/// A failure after a commit point is a dirty state: reported, refused, resumable.
#[test]
fn failure_after_a_commit_is_dirty_and_resumable() {
    let db = TestDb::new();
    let p = project("dirty", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p.ok(&[
        "revision",
        "-m",
        "two steps",
        "--empty",
        "--service",
        "users",
        "--version",
        "20260102000000",
    ]);
    let path = "migrations/users/20260102000000_two_steps.up.sql";
    let text = p.read(path);
    p.write(
        path,
        &format!("{text}CREATE TABLE users.step_one (id int);\n-- autogen:commit\nINSERT INTO users.missing VALUES (1);\n"),
    );
    let (code, _, err) = p.run(&["upgrade"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("INSERT INTO users.missing") && err.contains("dirty"),
        "{err}"
    );
    assert!(
        exists(&db, "users.step_one"),
        "the first step was committed"
    );
    assert!(history_rows(&db).contains(&("users".into(), "20260102000000".into(), false)));
    let (code, status, _) = p.run(&["status"]);
    assert_eq!(code, 1, "a dirty history needs doing: {status}");
    assert!(
        status.contains("DIRTY 20260102000000_two_steps"),
        "{status}"
    );
    let (code, _, err) = p.run(&["upgrade"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("is dirty") && err.contains("--resume"),
        "{err}"
    );
    db.client()
        .batch_execute("CREATE TABLE users.missing (id int)")
        .expect("fix");
    let out = p.ok(&["upgrade", "--resume"]);
    assert!(out.contains("resuming"), "{out}");
    assert!(history_rows(&db).iter().all(|r| r.2), "clean again");
    // The history agrees with the files now, but the migration still cannot run on an empty
    // database (the table was made by hand): the replay says so, with the line.
    p.ok(&["validate", "--offline"]);
    let out = problems_of(&p, &["validate"]);
    assert!(
        out.contains("fails on an empty database")
            && out.contains("20260102000000_two_steps.up.sql:12"),
        "{out}"
    );
}

#[test]
fn concurrent_upgrades_apply_each_migration_once() {
    let db = TestDb::new();
    let p = project("race", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    // Not idempotent: a second run of it would fail on the existing table.
    p.hand_written_migration(
        "20260102000000",
        "SELECT pg_sleep(1.5);\nCREATE TABLE users.once (id int);\n",
    );
    let a = p.command(&["upgrade"]).spawn().expect("spawn a");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let b = p.command(&["upgrade"]).output().expect("run b");
    let a = a.wait_with_output().expect("wait a");
    let (ca, oa, ea) = decode(&a);
    let (cb, ob, eb) = decode(&b);
    assert_eq!((ca, cb), (0, 0), "a: {oa}{ea}\nb: {ob}{eb}");
    assert!(eb.contains("waiting for another autogen run"), "{eb}");
    assert!(
        eb.contains("nothing to do"),
        "the second run finds the work done: {eb}"
    );
    assert_eq!(history_rows(&db).len(), 3);
    assert!(exists(&db, "users.once"));
}

#[test]
fn lock_timeout_bounds_the_wait_for_a_busy_table() {
    let db = TestDb::new();
    let p = project("locked", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p.ok(&["upgrade"]);
    p.write(
        "schema/users/users.yaml",
        &USERS.replace(
            "      email: { type: text }\n",
            "      email: { type: text }\n      name: { type: text, nullable: true }\n",
        ),
    );
    p.ok(&["revision", "-m", "name", "--version", "20260102000000"]);
    let mut holder = db.client();
    let mut tx = holder.transaction().expect("begin");
    tx.batch_execute("LOCK TABLE users.accounts IN ACCESS SHARE MODE")
        .expect("lock");
    let (code, _, err) = p.run(&["upgrade", "--lock-timeout", "300ms"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("lock timeout"), "{err}");
    tx.rollback().expect("release");
    assert_eq!(history_rows(&db).len(), 2);
    p.ok(&["upgrade"]);
    assert_eq!(history_rows(&db).len(), 3);
}

fn problems_of(p: &Project, args: &[&str]) -> String {
    let (code, out, err) = p.run(args);
    assert_eq!(code, 1, "validate must report a problem:\n{out}{err}");
    format!("{out}{err}")
}

#[test]
fn validate_finds_broken_chains() {
    let db = TestDb::new();
    let p = project("chains", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p.write(
        "schema/users/users.yaml",
        &USERS.replace("{ type: text }", "{ type: text, nullable: true }"),
    );
    p.ok(&["revision", "-m", "second", "--version", "20260102000000"]);
    p.ok(&["validate", "--offline"]);
    let dir = p.dir.join("migrations/users");
    let up2 = dir.join("20260102000000_second.up.sql");
    let down2 = dir.join("20260102000000_second.down.sql");
    let text = std::fs::read_to_string(&up2).expect("up");

    // Parallel branches: another child of the same parent.
    let branch = text.replace("20260102000000", "20260103000000");
    std::fs::write(dir.join("20260103000000_branch.up.sql"), &branch).expect("w");
    std::fs::write(dir.join("20260103000000_branch.down.sql"), "-- down\n").expect("w");
    let out = problems_of(&p, &["validate", "--offline"]);
    assert!(
        out.contains("share parent 20260101000000") && out.contains("parallel branches"),
        "{out}"
    );
    // Upgrade refuses too.
    let (code, _, err) = p.run(&["upgrade"]);
    assert_eq!(code, 2);
    assert!(err.contains("parallel branches"), "{err}");

    // Duplicate version: the same header version in two files.
    std::fs::write(dir.join("20260103000000_branch.up.sql"), &text).expect("w");
    let out = problems_of(&p, &["validate", "--offline"]);
    assert!(
        out.contains("version 20260102000000 is used twice"),
        "{out}"
    );
    assert!(
        out.contains("declares version 20260102000000 but its file name says 20260103000000"),
        "{out}"
    );
    std::fs::remove_file(dir.join("20260103000000_branch.up.sql")).expect("rm");
    std::fs::remove_file(dir.join("20260103000000_branch.down.sql")).expect("rm");

    // Missing parent.
    let first = dir.join("20260101000000_first.up.sql");
    let first_text = std::fs::read_to_string(&first).expect("first");
    std::fs::remove_file(&first).expect("rm");
    let out = problems_of(&p, &["validate", "--offline"]);
    assert!(
        out.contains("has parent 20260101000000, which is not among the migrations"),
        "{out}"
    );
    std::fs::write(&first, &first_text).expect("restore");

    // A snapshot edited by hand.
    let snap = p.dir.join("snapshots/users/20260102000000.yaml");
    let snap_text = std::fs::read_to_string(&snap).expect("snap");
    std::fs::write(&snap, snap_text.replace("email", "e_mail")).expect("w");
    let out = problems_of(&p, &["validate", "--offline"]);
    assert!(
        out.contains("is not the schema that migration 20260102000000 produces"),
        "{out}"
    );
    std::fs::write(&snap, &snap_text).expect("restore");

    // A down file missing.
    let down_text = std::fs::read_to_string(&down2).expect("down");
    std::fs::remove_file(&down2).expect("rm");
    let out = problems_of(&p, &["validate", "--offline"]);
    assert!(out.contains("has no down file"), "{out}");
    std::fs::write(&down2, down_text).expect("restore");
    p.ok(&["validate", "--offline"]);
}

#[test]
fn validate_online_finds_edited_and_missing_applied_files() {
    let db = TestDb::new();
    let p = project("online", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p.write(
        "schema/users/users.yaml",
        &USERS.replace("{ type: text }", "{ type: text, nullable: true }"),
    );
    p.ok(&["revision", "-m", "second", "--version", "20260102000000"]);
    p.ok(&["upgrade"]);
    p.ok(&["validate"]);
    let up = p.dir.join("migrations/users/20260102000000_second.up.sql");
    let text = std::fs::read_to_string(&up).expect("up");
    std::fs::write(&up, format!("{text}-- an innocent edit\n")).expect("w");
    let out = problems_of(&p, &["validate"]);
    assert!(out.contains("was edited after it was applied"), "{out}");
    let (code, _, err) = p.run(&["upgrade"]);
    assert_eq!(code, 2);
    assert!(err.contains("edited after it was applied"), "{err}");
    std::fs::write(&up, &text).expect("restore");

    let down = p
        .dir
        .join("migrations/users/20260102000000_second.down.sql");
    let down_text = std::fs::read_to_string(&down).expect("down");
    std::fs::remove_file(&up).expect("rm");
    std::fs::remove_file(&down).expect("rm");
    let out = problems_of(&p, &["validate"]);
    assert!(
        out.contains("is applied to the database but its file is missing"),
        "{out}"
    );
    std::fs::write(&up, &text).expect("restore");
    std::fs::write(&down, down_text).expect("restore");
    p.ok(&["validate"]);
}

#[test]
fn validate_replays_migrations_against_the_snapshots() {
    let db = TestDb::new();
    let p = project("replay", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p.ok(&["validate"]);
    let up = p.dir.join("migrations/notes/20260101000001_first.up.sql");
    let text = std::fs::read_to_string(&up).expect("up");
    std::fs::write(
        &up,
        format!("{text}ALTER TABLE notes.notes ADD COLUMN sneaky int;\n"),
    )
    .expect("w");
    p.ok(&["validate", "--offline"]);
    let out = problems_of(&p, &["validate"]);
    assert!(
        out.contains(
            "replayed migrations differ from the snapshot: notes.notes.sneaky: column added"
        ),
        "{out}"
    );
}

#[test]
fn init_from_db_adopts_an_existing_database() {
    let db = TestDb::new();
    db.client()
        .batch_execute(
            "CREATE SCHEMA shop; CREATE TYPE shop.size AS ENUM ('s', 'm');
             CREATE TABLE shop.items (id serial PRIMARY KEY, size shop.size NOT NULL DEFAULT 's');
             CREATE TABLE public.things (id int PRIMARY KEY);",
        )
        .expect("setup");
    let p = project("adopt", &db);
    p.ok(&["init", "--from-db", "--mark-applied"]);
    assert!(p.dir.join("schema/shop.yaml").exists());
    let files = p.migrations("app");
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files[1].ends_with("_baseline.up.sql"));
    assert_eq!(history_rows(&db).len(), 1);
    // Models, snapshot and database agree: nothing to add, nothing pending, nothing wrong.
    assert!(
        p.ok(&["revision", "-m", "x"])
            .contains("no changes detected")
    );
    assert!(p.ok(&["upgrade"]).contains("nothing to do"));
    p.ok(&["validate"]);
    // Against the live database, with expressions as Postgres stores them (normalized on an
    // ephemeral cluster, or on a named server): nothing either.
    let out = p.ok(&["revision", "-m", "x", "--from-db"]);
    assert!(out.contains("no changes detected"), "{out}");
    let out = p.ok(&[
        "revision",
        "-m",
        "x",
        "--from-db",
        "--dev-url",
        &server_url(),
    ]);
    assert!(out.contains("no changes detected"), "{out}");

    // The baseline rebuilds the schema on an empty database.
    let empty = TestDb::new();
    let mut q = Project {
        dir: p.dir.clone(),
        url: empty.url(),
    };
    q.ok(&["upgrade"]);
    assert!(exists(&empty, "shop.items") && exists(&empty, "public.things"));
    // A column added by hand is drift that --from-db sees and the snapshot does not.
    q.url = db.url();
    db.client()
        .batch_execute(
            "ALTER TABLE shop.items ADD COLUMN made_by_hand int;
             INSERT INTO shop.items (made_by_hand) VALUES (1), (2), (3), (4); ANALYZE shop.items;",
        )
        .expect("drift");
    // Dropping it loses data: refused, with what the live table holds.
    let (code, out, err) = q.run(&[
        "revision",
        "-m",
        "y",
        "--from-db",
        "--dev-url",
        &server_url(),
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("drop column `made_by_hand`")
            && err.contains("at stake: `shop.items`: about 4 rows"),
        "{err}"
    );
    let out = q.ok(&[
        "revision",
        "-m",
        "y",
        "--from-db",
        "--allow-destructive",
        "--dev-url",
        &server_url(),
    ]);
    assert!(out.contains("DROP COLUMN made_by_hand"), "{out}");
    assert!(
        q.ok(&["revision", "-m", "z"])
            .contains("no changes detected")
    );
}

#[test]
fn mark_records_and_forgets_without_running() {
    let db = TestDb::new();
    let p = project("mark", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    // The database does not hold what the migration creates: refused, unless forced.
    let (code, _, err) = p.run(&["mark", "--service", "users", "20260101000000", "--applied"]);
    assert_eq!(code, 2, "{err}");
    assert!(history_rows(&db).is_empty());
    p.ok(&[
        "mark",
        "--service",
        "users",
        "20260101000000",
        "--applied",
        "--force",
    ]);
    assert_eq!(history_rows(&db).len(), 1);
    assert!(!exists(&db, "users.accounts"), "mark runs no SQL");
    p.ok(&[
        "mark",
        "--service",
        "users",
        "20260101000000",
        "--not-applied",
    ]);
    assert!(history_rows(&db).is_empty());
}

#[test]
fn the_repository_example_project_validates_and_applies() {
    let db = TestDb::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // A copy, so that nothing a test runs can write into the repository.
    let p = project("example", &db);
    for dir in ["schema", "migrations", "snapshots"] {
        copy_dir(&root.join(dir), &p.dir.join(dir));
    }
    std::fs::copy(root.join("autogen.toml"), p.dir.join("autogen.toml")).expect("copy");
    p.ok(&["validate", "--dev-url", &server_url()]);
    p.ok(&["check", "--offline"]);
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("migration 20261119160000_link_check_ins_to_journal_entries is not applied"),
        "{out}"
    );
    p.ok(&["upgrade"]);
    p.ok(&["check", "--strict"]);
    assert_eq!(history_rows(&db).len(), 6);
    assert!(exists(&db, "habits.checkins") && exists(&db, "journal.entries"));
    // The models match the last snapshot: nothing to generate.
    assert!(
        p.ok(&["revision", "-m", "x"])
            .contains("no changes detected")
    );
    p.ok(&["downgrade", "base", "--yes"]);
    assert!(!exists(&db, "journal.entries"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("copy");
        }
    }
}

#[test]
fn database_from_db_host_variables_when_no_url_is_given() {
    let db = TestDb::new();
    let p = project("dbhost", &db);
    p.two_services();
    let cfg: postgres::Config = p.url.parse().expect("url");
    let host = match &cfg.get_hosts()[0] {
        postgres::config::Host::Tcp(h) => h.clone(),
        postgres::config::Host::Unix(path) => path.display().to_string(),
    };
    let out = p
        .command(&["status"])
        .env_remove("DATABASE_URL")
        .env("DB_HOST", host)
        .env("DB_PORT", cfg.get_ports()[0].to_string())
        .env("DB_NAME", cfg.get_dbname().expect("dbname"))
        .env("DB_USER", cfg.get_user().expect("user"))
        .output()
        .expect("run");
    let (code, out, err) = decode(&out);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("database: reachable"), "{out}");
    let out = p
        .command(&["upgrade"])
        .env_remove("DATABASE_URL")
        .env_remove("PGHOST")
        .env_remove("PGDATABASE")
        .output()
        .expect("run");
    let (code, _, err) = decode(&out);
    assert_eq!(code, 2);
    assert!(
        err.contains("no database given") && err.contains("DB_HOST"),
        "{err}"
    );
}

/// On a terminal, downgrade asks; "n" reverts nothing, "y" reverts. (`script` gives the command
/// a pseudo-terminal.)
#[test]
fn downgrade_asks_on_a_terminal() {
    use std::io::Write as _;
    let db = TestDb::new();
    let p = project("tty", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p.ok(&["upgrade"]);
    let ask = |answer: &str| {
        let cmd = format!("{} downgrade -1", env!("CARGO_BIN_EXE_autogen"));
        let mut child = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .current_dir(&**p.dir)
            .env("DATABASE_URL", &p.url)
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("script (util-linux) runs the command on a pseudo-terminal");
        std::thread::sleep(std::time::Duration::from_millis(800));
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(answer.as_bytes()).expect("answer");
        drop(stdin);
        decode(&child.wait_with_output().expect("wait"))
    };
    let (code, out, err) = ask("n\n");
    assert!(out.contains("continue? [y/N]"), "{out}{err}");
    assert!(
        out.contains("notes 20260101000001_first"),
        "it lists what it would revert: {out}"
    );
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(history_rows(&db).len(), 2, "nothing reverted");
    let (code, out, err) = ask("y\n");
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(history_rows(&db).len(), 1);
}
