//! The runner's session and messages through the binary: the time zone every migration runs
//! in, what a lock timeout says, and output to a reader that went away.

use crate::harness::TestDb;
use crate::workflow::{USERS, project};
use std::process::Stdio;

const EVENTS: &str = "schema: users\ntables:\n  events:\n    columns:\n      id: { type: bigint }\n      at: { type: text }\n      local: { type: timestamp }\n    primary_key: [id]\n";

fn instants(db: &TestDb) -> (String, String) {
    let row = db
        .client()
        .query_one(
            "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), \
                    to_char(local AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') \
             FROM users.events WHERE id = 1",
            &[],
        )
        .expect("read the converted values");
    (row.get(0), row.get(1))
}

/// `text -> timestamptz` reads a wall-clock value in the session's zone: whatever the database's
/// own zone, the migration's is `[migrations] time_zone` (UTC unless set), so the same file gives
/// the same instant everywhere.
#[test]
fn conversions_to_timestamptz_read_wall_clock_values_in_the_configured_zone() {
    for (zone, expected) in [
        (None, "2026-01-01 12:00"),
        (Some("Asia/Tokyo"), "2026-01-01 03:00"),
    ] {
        let db = TestDb::new();
        let name = db.db.name.clone();
        db.client()
            .batch_execute(&format!(
                "ALTER DATABASE \"{name}\" SET timezone = 'America/New_York'"
            ))
            .expect("database zone");
        let p = project(&format!("tz-{}", zone.is_some()), &db);
        let config =
            "[[services]]\nname = \"users\"\nschema = \"users\"\nmodels = [\"schema/*.yaml\"]\n";
        let migrations = zone.map_or(String::new(), |z| {
            format!("[migrations]\ntime_zone = \"{z}\"\n")
        });
        p.write("autogen.toml", &format!("{migrations}{config}"));
        p.write("schema/events.yaml", EVENTS);
        p.ok(&["revision", "-m", "events", "--version", "20260101000000"]);
        p.ok(&["upgrade"]);
        db.client()
            .batch_execute(
                "INSERT INTO users.events VALUES (1, '2026-01-01 12:00:00', '2026-01-01 12:00:00')",
            )
            .expect("rows");
        p.write(
            "schema/events.yaml",
            &EVENTS
                .replace("at: { type: text }", "at: { type: timestamptz }")
                .replace("local: { type: timestamp }", "local: { type: timestamptz }"),
        );
        p.ok(&["revision", "-m", "zoned", "--version", "20260102000000"]);
        // Back to text and timestamp loses nothing and cannot fail: the down file says neither.
        let down = p.read("migrations/users/20260102000000_zoned.down.sql");
        assert!(
            !down.contains("data not restored") && !down.contains("may fail"),
            "{down}"
        );
        p.ok(&["upgrade", "--allow-destructive"]);
        assert_eq!(
            instants(&db),
            (expected.to_string(), expected.to_string()),
            "zone {zone:?}: both conversions read 12:00 in the configured zone, not New York's"
        );
    }
}

#[test]
fn a_lock_timeout_says_who_to_look_for_and_that_retrying_is_safe() {
    let db = TestDb::new();
    let p = project("lock-message", &db);
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
    tx.batch_execute("SELECT count(*) FROM users.accounts")
        .expect("a reader's lock");
    let (code, _, err) = p.run(&["upgrade", "--lock-timeout", "200ms"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("longer than `lock_timeout`")
            && err.contains("autogen health")
            && err.contains("running the command again is safe"),
        "{err}"
    );
    assert!(!err.contains("fix the statement"), "{err}");

    // health names the session and the table it holds.
    let (_, out, err) = p.run(&["health"]);
    assert!(
        out.contains("note table lock: pid")
            && out.contains("users.accounts (AccessShareLock)")
            && out.contains("idle in transaction"),
        "{out}{err}"
    );
    tx.rollback().expect("release");
    let (_, out, _) = p.run(&["health"]);
    assert!(
        out.contains("no other session holds a lock on the project's tables"),
        "{out}"
    );
    p.ok(&["upgrade"]);
}

/// `autogen status | head -1`: the reader leaves after a line; autogen ends quietly, with the
/// exit code of what it did, never a panic.
#[test]
fn a_closed_pipe_ends_output_quietly() {
    let db = TestDb::new();
    let p = project("pipe", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    for (args, want) in [
        (vec!["status"], 0),
        (vec!["history"], 0),
        (vec!["upgrade", "--sql"], 0),
        (vec!["check", "--format", "json"], 1),
    ] {
        let mut child = p
            .command(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // Closed before autogen writes its first line.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(want), "{args:?}: {err}");
    }
    // Nothing was applied by any of them; `upgrade` itself still works.
    p.ok(&["upgrade"]);
}
