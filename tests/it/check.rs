//! `autogen check` through the binary on real Postgres: each kind of drift with its exact report
//! and exit code, the three output formats, and the shadow cluster's clean-up after success,
//! failure and interruption.

use crate::harness::TestDb;
use crate::support::TempDir;
use crate::workflow::{NOTES, Project, USERS, decode, project};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const OFFLINE_CHECKS: &str =
    "checked: migration files, models vs snapshots, migrations replayed vs snapshots\n";
const ALL_CHECKS: &str = "checked: migration files, models vs snapshots, migrations replayed vs snapshots, history table vs files, database vs migrations, objects autogen does not manage\n";

fn first_revision(p: &Project) {
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
}

/// The models change after the last revision: an enum value inserted mid-list, a column added,
/// a type changed.
fn change_models(p: &Project) {
    p.write(
        "schema/users/users.yaml",
        &USERS.replace("email: { type: text }", "email: { type: varchar(200) }"),
    );
    p.write(
        "schema/notes/notes.yaml",
        &NOTES
            .replace("[draft, done]", "[draft, review, done]")
            .replace(
                "    primary_key: [id]\n",
                "      done_at: { type: timestamptz, nullable: true }\n    primary_key: [id]\n",
            ),
    );
}

#[test]
fn models_ahead_of_their_snapshots() {
    let db = TestDb::new();
    let p = project("check-models", &db);
    first_revision(&p);
    let (code, out, err) = p.run(&["check", "--offline"]);
    assert_eq!(
        (code, out.as_str()),
        (0, &*format!("{OFFLINE_CHECKS}\nin sync\n")),
        "{err}"
    );

    change_models(&p);
    let (code, out, err) = p.run(&["check", "--offline"]);
    let expected = format!(
        "{OFFLINE_CHECKS}
models vs snapshots [users]
  error: users.accounts.email: type changed from text to varchar(200) (schema/users/users.yaml:6)
  fix: generate the migration: autogen revision --service users -m \"<what changed>\"

models vs snapshots [notes]
  error: notes.notes.done_at: column added (timestamptz) (schema/notes/notes.yaml:10)
  error: notes.state: enum value 'review' added after 'draft' (schema/notes/notes.yaml:3)
  fix: generate the migration: autogen revision --service notes -m \"<what changed>\"

drift: 3 problem(s)
"
    );
    assert_eq!((code, out.as_str()), (1, expected.as_str()), "{err}");

    let (code, out, _) = p.run(&["check", "--offline", "--format", "json"]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["status"], "drift");
    assert_eq!(
        doc["checked"],
        serde_json::json!(["files", "models", "replay"])
    );
    assert_eq!(
        doc["findings"][0],
        serde_json::json!({
            "check": "models",
            "severity": "error",
            "service": "users",
            "object": "users.accounts.email",
            "message": "type changed from text to varchar(200)",
            "fix": "generate the migration: autogen revision --service users -m \"<what changed>\"",
            "file": "schema/users/users.yaml",
            "line": 6
        })
    );

    let (code, out, _) = p.run(&["check", "--offline", "--format", "github"]);
    assert_eq!(code, 1);
    let first = out.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        "::error file=schema/users/users.yaml,line=6,title=autogen check%3A models vs snapshots [users]::\
         users.accounts.email: type changed from text to varchar(200)%0Afix: generate the migration: \
         autogen revision --service users -m \"<what changed>\""
    );
    assert_eq!(out.lines().last(), Some("drift: 3 problem(s)"));

    // Once the revision is written, all agree again (text -> varchar(200) would cut longer
    // values: a data-loss step that must be accepted).
    p.ok(&[
        "revision",
        "-m",
        "second",
        "--version",
        "20260102000000",
        "--allow-destructive",
    ]);
    p.ok(&["check", "--offline"]);
}

#[test]
fn a_hand_edited_migration_no_longer_matches_its_snapshot() {
    let db = TestDb::new();
    let p = project("check-replay", &db);
    first_revision(&p);
    let up = "migrations/notes/20260101000001_first.up.sql";
    let text = p.read(up);
    p.write(
        up,
        &format!("{text}ALTER TABLE notes.notes ADD COLUMN sneaky int;\n"),
    );
    let (code, out, err) = p.run(&["check", "--offline"]);
    let expected = format!(
        "{OFFLINE_CHECKS}
migrations replayed vs snapshots [notes]
  error: notes.notes.sneaky: column added (integer) after migration 20260101000001 (migrations/notes/20260101000001_first.up.sql:1)
  fix: a migration and its snapshot disagree (one was edited by hand): restore the edited file, or add a migration that makes them agree

drift: 1 problem(s)
"
    );
    assert_eq!((code, out.as_str()), (1, expected.as_str()), "{err}");

    // A migration that cannot run on an empty database is named with its line.
    p.write(
        up,
        &format!("{text}INSERT INTO notes.nowhere VALUES (1);\n"),
    );
    let (code, out, _) = p.run(&["check", "--offline"]);
    assert_eq!(code, 1, "{out}");
    let line = text.lines().count() + 1;
    assert!(
        out.contains(&format!(
            "migration 20260101000001 fails on an empty database: {up}:{line}: relation \"notes.nowhere\" does not exist"
        )),
        "{out}"
    );
}

#[test]
fn the_live_database_pending_migrations_hand_made_ddl_and_history() {
    let db = TestDb::new();
    let p = project("check-live", &db);
    first_revision(&p);
    p.ok(&["upgrade"]);
    let (code, out, err) = p.run(&["check"]);
    assert_eq!(
        (code, out.as_str()),
        (0, &*format!("{ALL_CHECKS}\nin sync\n")),
        "{err}"
    );

    // A revision not yet applied: pending, and the database still matches what was applied.
    p.write(
        "schema/users/users.yaml",
        &USERS.replace("{ type: text }", "{ type: text, nullable: true }"),
    );
    p.ok(&["revision", "-m", "second", "--version", "20260102000000"]);
    let (code, out, _) = p.run(&["check"]);
    let expected = format!(
        "{ALL_CHECKS}
database vs migrations [users]
  error: migration 20260102000000_second is not applied (migrations/users/20260102000000_second.up.sql:1)
  fix: apply it: autogen upgrade

drift: 1 problem(s)
"
    );
    assert_eq!((code, out.as_str()), (1, expected.as_str()));
    p.ok(&["upgrade"]);

    // DDL run by hand, outside the migrations.
    db.client()
        .batch_execute(
            "ALTER TABLE users.accounts ALTER COLUMN email SET DEFAULT 'x';
             CREATE INDEX by_hand ON notes.notes (state);",
        )
        .expect("ddl");
    let (code, out, _) = p.run(&["check"]);
    let expected = format!(
        "{ALL_CHECKS}
database vs migrations [users]
  error: users.accounts.email: default changed from none to 'x'::text
  fix: the database was changed outside the migrations (it should match migration 20260102000000): undo the change, or keep it by adding it to the model and running `autogen revision`

database vs migrations [notes]
  error: notes.by_hand: index added on notes.notes
  fix: the database was changed outside the migrations (it should match migration 20260101000001): undo the change, or keep it by adding it to the model and running `autogen revision`

drift: 2 problem(s)
"
    );
    assert_eq!((code, out.as_str()), (1, expected.as_str()));
    db.client()
        .batch_execute(
            "ALTER TABLE users.accounts ALTER COLUMN email DROP DEFAULT; DROP INDEX notes.by_hand;",
        )
        .expect("undo");
    p.ok(&["check"]);

    // The history disagrees with the files: an applied file edited, a run left dirty.
    let up = "migrations/users/20260102000000_second.up.sql";
    let text = p.read(up);
    p.write(up, &format!("{text}-- an afterthought\n"));
    db.client()
        .batch_execute(
            "UPDATE autogen.history SET success = false, error = 'boom' WHERE service = 'notes'",
        )
        .expect("dirty");
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "history table vs files [users]\n  error: `{up}` was edited after it was applied"
        )) && out.contains(
            "history table vs files [notes]\n  error: migration 20260101000001 (20260101000001_first) is dirty: it stopped part-way (boom)"
        ),
        "{out}"
    );
}

/// What neither a model nor one of the project's migrations declares is named: a view made by
/// hand (left alone, not compared), a function, a schema no service owns. What a hand-written
/// migration creates (a view, a function) counts as the project's.
#[test]
fn objects_autogen_does_not_manage_warn_or_fail_with_strict() {
    let db = TestDb::new();
    let p = project("check-unmanaged", &db);
    first_revision(&p);
    p.ok(&[
        "revision",
        "-m",
        "by hand",
        "--empty",
        "--service",
        "notes",
        "--version",
        "20260101000005",
    ]);
    let up = p
        .migrations("notes")
        .into_iter()
        .find(|n| n.starts_with("20260101000005") && n.ends_with(".up.sql"))
        .expect("the hand-written migration");
    let up = format!("migrations/notes/{up}");
    let text = p.read(&up);
    p.write(
        &up,
        &format!(
            "{text}CREATE FUNCTION notes.kept() RETURNS int LANGUAGE sql AS 'SELECT 1';\n\
             CREATE VIEW notes.kept_view AS SELECT 1 AS one;\n"
        ),
    );
    let down = up.replace(".up.sql", ".down.sql");
    let text = p.read(&down);
    p.write(
        &down,
        &format!("{text}DROP VIEW notes.kept_view;\nDROP FUNCTION notes.kept();\n"),
    );
    p.ok(&["upgrade"]);
    db.client()
        .batch_execute(
            "CREATE VIEW users.emails AS SELECT email FROM users.accounts;
             CREATE FUNCTION notes.touch(n int) RETURNS int LANGUAGE sql AS 'SELECT n';
             CREATE SCHEMA legacy; CREATE TABLE legacy.old (id int);",
        )
        .expect("objects");
    let (code, out, err) = p.run(&["check"]);
    let expected = format!(
        "{ALL_CHECKS}
objects autogen does not manage [notes]
  warning: notes.touch(n integer): function, declared by no model or migration
  fix: autogen leaves it alone: declare it in the model (`autogen dump` writes its definition) to manage it, keep it in a hand-written migration (`autogen revision --empty`), or drop it if it is left over

objects autogen does not manage [users]
  warning: users.emails: view, declared by no model or migration
  fix: autogen leaves it alone: declare it in the model (`autogen dump` writes its definition) to manage it, keep it in a hand-written migration (`autogen revision --empty`), or drop it if it is left over

objects autogen does not manage [database]
  warning: legacy: schema owned by no service (1 object(s))
  fix: give it to a service in autogen.toml, or leave it out with `[database] preset`

in sync, 3 warning(s)
"
    );
    assert_eq!((code, out.as_str()), (0, expected.as_str()), "{err}");
    let (code, out, _) = p.run(&["check", "--strict"]);
    assert_eq!(code, 1);
    assert!(out.ends_with("drift: 3 problem(s)\n"), "{out}");
    assert!(out.contains("  error: users.emails: view"), "{out}");
}

#[test]
fn a_check_that_cannot_run_exits_2_with_a_json_error() {
    let db = TestDb::new();
    let p = project("check-error", &db);
    first_revision(&p);
    p.write("schema/notes/notes.yaml", "schema: notes\ntables: [oops\n");
    let (code, out, err) = p.run(&["check", "--format", "json"]);
    assert_eq!(code, 2, "{out}{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["status"], "error");
    let msg = doc["error"].as_str().unwrap_or_default();
    assert!(msg.contains("schema/notes/notes.yaml:2"), "{msg}");
    assert!(err.contains("schema/notes/notes.yaml:2"), "{err}");
    // Where, as fields a bot can use without parsing the message.
    assert_eq!(doc["file"], "schema/notes/notes.yaml");
    assert_eq!(doc["line"], 2);
    assert_eq!(doc["column"], 9);
    assert!(doc["message"].is_null() && doc["help"].is_string(), "{doc}");
    assert!(
        msg.contains("flow list `[` opened here is not closed"),
        "{msg}"
    );

    // On GitHub, one annotation at the model's file, line and column.
    let (code, out, err) = p.run(&["check", "--format", "github"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        out.starts_with(
            "::error file=schema/notes/notes.yaml,line=2,col=9,title=autogen check%3A cannot run::the flow list"
        ),
        "{out}"
    );
}

/// Every process whose command line mentions `dir` (the shadow's postmaster, its watcher).
fn processes_under(dir: &Path) -> Vec<String> {
    let needle = dir.display().to_string();
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(&needle))
        .collect()
}

/// Waits until the shadow left nothing in `tmp`: no directory, no process.
fn assert_cleaned_up(tmp: &Path, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let dirs: Vec<_> = std::fs::read_dir(tmp)
            .expect("tmp")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        let procs = processes_under(tmp);
        if dirs.is_empty() && procs.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the shadow left behind directories {dirs:?} and processes {procs:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A directory the shadow cluster will live in (world-writable: as root, initdb runs as postgres).
fn shadow_tmp(name: &str) -> TempDir {
    let d = TempDir::new("autogen-shadow-test", name);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&*d, std::fs::Permissions::from_mode(0o1777)).expect("chmod");
    d
}

#[test]
fn the_shadow_cluster_is_gone_after_success_failure_and_interruption() {
    let db = TestDb::new();
    let p = project("check-cleanup", &db);
    first_revision(&p);

    // Success: stopped and removed before the process exits.
    let tmp = shadow_tmp("ok");
    let out = p
        .command(&["check", "--offline"])
        .env("TMPDIR", &*tmp)
        .output()
        .expect("run");
    assert_eq!(decode(&out).0, 0, "{:?}", decode(&out));
    assert_cleaned_up(&tmp, Duration::ZERO);

    // Failure: the replay ran on the shadow, then the database cannot be reached (exit 2).
    let tmp = shadow_tmp("fail");
    let out = p
        .command(&["check"])
        .env("TMPDIR", &*tmp)
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .expect("run");
    let (code, _, err) = decode(&out);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot connect"), "{err}");
    assert_cleaned_up(&tmp, Duration::ZERO);

    // Interruption: Ctrl-C while a migration is replayed on the shadow.
    p.hand_written_migration("20260102000000", "SELECT pg_sleep(60);\n");
    let tmp = shadow_tmp("interrupt");
    let mut child = p
        .command(&["check", "--offline"])
        .env("TMPDIR", &*tmp)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(30);
    // The replay is under way once the shadow has a scratch database with the sleeping session.
    while processes_under(&tmp).is_empty() || !sleeping(&p, &tmp) {
        assert!(Instant::now() < deadline, "the replay never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = child.wait().expect("wait");
    assert!(!exit.success(), "interrupted, it must not report success");
    assert_cleaned_up(&tmp, Duration::from_secs(10));
}

/// Whether a session on the shadow cluster under `tmp` is running `pg_sleep`.
fn sleeping(_p: &Project, tmp: &Path) -> bool {
    let Some(dir) = std::fs::read_dir(tmp)
        .ok()
        .and_then(|mut d| d.next())
        .and_then(|e| e.ok())
    else {
        return false;
    };
    let url = format!(
        "postgres://postgres@{}/postgres",
        dir.path().display().to_string().replace('/', "%2F")
    );
    let Ok(mut c) = postgres::Client::connect(&url, postgres::NoTls) else {
        return false;
    };
    c.query_one(
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()",
        &[],
    )
    .map(|r| r.get::<_, i64>(0) > 0)
    .unwrap_or(false)
}

#[test]
fn a_shadow_server_named_in_autogen_toml_replaces_the_cluster() {
    let db = TestDb::new();
    let p = project("check-shadow-url", &db);
    first_revision(&p);
    let config = p.read("autogen.toml");
    p.write(
        "autogen.toml",
        &format!(
            "{config}\n[shadow]\nurl = \"{}\"\n",
            crate::harness::server_url()
        ),
    );
    // No binaries to start a cluster from: the check can only pass through the configured server.
    let out = p
        .command(&["check", "--offline"])
        .env("AUTOGEN_PG_BINDIR", "/nonexistent")
        .output()
        .expect("run");
    let (code, stdout, stderr) = decode(&out);
    assert_eq!(
        (code, stdout.as_str()),
        (0, &*format!("{OFFLINE_CHECKS}\nin sync\n")),
        "{stderr}"
    );
    // Without it, the missing binaries are the error, named (exit 2).
    p.write("autogen.toml", &config);
    let out = p
        .command(&["check", "--offline"])
        .env("AUTOGEN_PG_BINDIR", "/nonexistent")
        .output()
        .expect("run");
    let (code, _, stderr) = decode(&out);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("AUTOGEN_PG_BINDIR is `/nonexistent`"),
        "{stderr}"
    );
}

/// A killed autogen cannot drop its scratch databases on a `--dev-url` server; the next one to
/// make a scratch database there drops those over an hour old that nobody is connected to.
#[test]
fn forgotten_scratch_databases_on_a_dev_server_are_swept() {
    let server = crate::harness::server_url();
    let mut admin = postgres::Client::connect(&server, postgres::NoTls).expect("admin");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let pid = std::process::id();
    let old = now - 7200;
    let stale = [
        format!("autogen_shadow_t{old}_{pid}_1_0"),
        format!("autogen_replay_t{old}_{pid}_2_0"),
    ];
    let busy = format!("autogen_shadow_t{old}_{pid}_3_0");
    let fresh = format!("autogen_shadow_t{now}_{pid}_4_0");
    let other = format!("autogen_testkeep_t{old}_{pid}_5_0");
    for db in stale.iter().chain([&busy, &fresh, &other]) {
        admin
            .batch_execute(&format!("CREATE DATABASE \"{db}\""))
            .expect("create");
    }
    let (prefix, _) = server.rsplit_once('/').expect("url has a database");
    let session = postgres::Client::connect(&format!("{prefix}/{busy}"), postgres::NoTls)
        .expect("a session in the busy one");

    let scratch = autogen::shadow::ScratchDb::create(&server, "autogen_shadow").expect("scratch");
    let exists = |admin: &mut postgres::Client, db: &str| -> bool {
        admin
            .query_one(
                "SELECT count(*) FROM pg_database WHERE datname = $1",
                &[&db],
            )
            .expect("pg_database")
            .get::<_, i64>(0)
            == 1
    };
    for db in &stale {
        assert!(!exists(&mut admin, db), "{db} is swept");
    }
    assert!(exists(&mut admin, &busy), "a database in use stays");
    assert!(exists(&mut admin, &fresh), "a recent one stays");
    assert!(exists(&mut admin, &other), "another prefix stays");
    assert!(exists(&mut admin, &scratch.name));
    // Once its session ends the busy one is stale too, and a test running alongside may sweep it
    // first.
    drop(session);
    drop(scratch);
    for db in [&busy, &fresh, &other] {
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))
            .expect("drop");
    }
}
