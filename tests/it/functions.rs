//! Functions and procedures in the model, through the whole workflow: declared in YAML and in a
//! SQL model file, written to migrations as Postgres stores them, applied, checked (drift per
//! function), changed in place and by a drop and a create, reverted; and a function no model
//! declares is left alone.

use crate::harness::TestDb;
use crate::workflow::{NOTES, TWO_SERVICES, USERS, project};

const NOTES_FUNCTIONS: &str = "functions:
  open_count:
    arguments: \"who bigint\"
    returns: bigint
    volatility: stable
    body: select count(*) from notes.notes where owner = who and state = 'draft'
  is_open:
    arguments: \"s state\"
    returns: boolean
    volatility: immutable
    body: select s = 'draft'
";

const NOTES_SQL: &str = "SET search_path TO notes;

-- Kept as SQL: the team reviews bodies as SQL.
CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
  RETURN NEW;  -- nothing yet
END
$$;
COMMENT ON FUNCTION stamp() IS 'for the notes trigger';

CREATE FUNCTION twice(x integer) RETURNS integer LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
  SELECT x * 2;
END;
";

#[test]
fn functions_go_through_revision_upgrade_check_and_downgrade() {
    let db = TestDb::new();
    let p = project("functions-workflow", &db);
    p.write(
        "autogen.toml",
        &TWO_SERVICES.replace(
            "models = [\"schema/notes/*.yaml\"]",
            "models = [\"schema/notes/*.yaml\", \"schema/notes/*.sql\"]",
        ),
    );
    p.write("schema/users/users.yaml", USERS);
    p.write(
        "schema/notes/notes.yaml",
        &format!("{NOTES}{NOTES_FUNCTIONS}"),
    );
    p.write("schema/notes/logic.sql", NOTES_SQL);
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    let up = p.read("migrations/notes/20260101000001_first.up.sql");
    // The unqualified enum of the model is qualified; the bodies are as written (or, for a
    // SQL-standard body, as Postgres prints it); each function after the table its body reads.
    assert!(
        up.contains("CREATE FUNCTION notes.is_open(s notes.state)"),
        "{up}"
    );
    assert!(
        up.contains("AS $function$\nBEGIN\n  RETURN NEW;  -- nothing yet\nEND\n$function$;"),
        "{up}"
    );
    assert!(up.contains("BEGIN ATOMIC\n SELECT (x * 2);\nEND;"), "{up}");
    assert!(
        up.contains("COMMENT ON FUNCTION notes.stamp() IS 'for the notes trigger';"),
        "{up}"
    );
    assert!(
        up.find("CREATE TABLE notes.notes") < up.find("CREATE FUNCTION notes.open_count"),
        "{up}"
    );
    let snapshot = p.read("snapshots/notes/20260101000001.yaml");
    assert!(snapshot.contains("signature: notes.state"), "{snapshot}");
    p.ok(&["upgrade"]);
    assert_eq!(db.value::<String>("SELECT notes.twice(21)::text"), "42");
    let out = p.ok(&["check"]);
    assert!(out.ends_with("in sync\n"), "{out}");
    assert!(
        p.ok(&["revision", "-m", "again"])
            .contains("no changes detected")
    );

    // A body edited in the model: check names the function and what differs.
    p.write(
        "schema/notes/notes.yaml",
        &format!("{NOTES}{NOTES_FUNCTIONS}").replace("state = 'draft'", "state <> 'done'"),
    );
    // An argument renamed in the SQL file: Postgres refuses CREATE OR REPLACE for it.
    p.write(
        "schema/notes/logic.sql",
        &NOTES_SQL
            .replace("twice(x integer)", "twice(n integer)")
            .replace("x * 2", "n * 2"),
    );
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("error: notes.open_count(bigint): body changed from `select count(*) from notes.notes where owner = who and state = 'draft'` to `select count(*) from notes.notes where owner = who and state <> 'done'`"),
        "{out}"
    );
    assert!(
        out.contains(
            "error: notes.twice(integer): arguments changed from `x integer` to `n integer`"
        ),
        "{out}"
    );
    p.ok(&["revision", "-m", "second", "--version", "20260102000000"]);
    let up = p.read("migrations/notes/20260102000000_second.up.sql");
    assert!(
        up.contains("CREATE OR REPLACE FUNCTION notes.open_count(who bigint)"),
        "{up}"
    );
    let drop = up.find("DROP FUNCTION notes.twice(integer)").expect("drop");
    let create = up
        .find("CREATE FUNCTION notes.twice(n integer)")
        .expect("create");
    assert!(drop < create, "{up}");
    p.ok(&["upgrade"]);
    let out = p.ok(&["check"]);
    assert!(out.ends_with("in sync\n"), "{out}");
    assert_eq!(
        db.value::<String>("SELECT proargnames::text FROM pg_proc WHERE proname = 'twice'"),
        "{n}"
    );
    p.ok(&["downgrade", "20260101000001", "--yes"]);
    assert_eq!(
        db.value::<String>("SELECT proargnames::text FROM pg_proc WHERE proname = 'twice'"),
        "{x}"
    );
    assert!(
        db.value::<String>("SELECT prosrc FROM pg_proc WHERE proname = 'open_count'")
            .ends_with("state = 'draft'")
    );
}

/// A function made by hand in a service's schema is not the service's: `revision --from-db`
/// neither compares nor drops it and says so, and `check` names it; the database edited by
/// hand under a declared function is drift.
#[test]
fn functions_no_model_declares_are_left_alone_and_hand_edits_are_drift() {
    let db = TestDb::new();
    let p = project("functions-unmanaged", &db);
    p.two_services();
    p.write(
        "schema/notes/notes.yaml",
        &format!("{NOTES}{NOTES_FUNCTIONS}"),
    );
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p.ok(&["upgrade"]);
    db.client()
        .batch_execute(
            "CREATE FUNCTION notes.by_hand() RETURNS int LANGUAGE sql AS 'SELECT 1';
             CREATE FUNCTION notes.raw_length(text) RETURNS int LANGUAGE internal
                 IMMUTABLE STRICT AS 'textlen';
             CREATE OR REPLACE FUNCTION notes.is_open(s notes.state) RETURNS boolean
                 LANGUAGE sql IMMUTABLE AS 'select s <> ''done''';",
        )
        .expect("edits by hand");
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("error: notes.is_open(notes.state): body changed from `select s = 'draft'` to `select s <> 'done'`"),
        "{out}"
    );
    assert!(
        out.contains("warning: notes.by_hand(): function, declared by no model or migration"),
        "{out}"
    );
    // Its body is a symbol in the server: no model could recreate it, so it is named, not adopted.
    assert!(
        out.contains("warning: notes.raw_length(text): C function, not managed by autogen"),
        "{out}"
    );
    let (code, out, err) = p.run(&["revision", "--from-db", "-m", "fix", "--service", "notes"]);
    assert_eq!(code, 0, "{out}{err}");
    let all = format!("{out}{err}");
    assert!(
        all.contains("the function `notes.by_hand()` in the database is declared by no model or snapshot: left alone"),
        "{all}"
    );
    assert!(!all.contains("DROP FUNCTION notes.by_hand"), "{all}");
    assert!(!all.contains("raw_length"), "{all}");
    let dir = p.dir.join("dumped");
    let (code, out, err) = p.run(&[
        "dump",
        "--database-url",
        &db.url(),
        "--output",
        dir.to_str().expect("utf8"),
        "--schema",
        "notes",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("C function notes.raw_length(text)"),
        "dump names what it leaves out: {out}{err}"
    );
    let dumped = std::fs::read_to_string(dir.join("notes.yaml")).expect("notes.yaml");
    assert!(
        dumped.contains("open_count") && !dumped.contains("textlen"),
        "{dumped}"
    );
    assert!(
        all.contains("CREATE OR REPLACE FUNCTION notes.is_open(s notes.state)"),
        "{all}"
    );
}
