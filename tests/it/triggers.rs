//! Triggers in the model, through the whole workflow: declared under a table in YAML and as
//! `CREATE TRIGGER` in a SQL model file, written to migrations, applied (and firing), checked
//! (drift per trigger), changed in place, reverted; a trigger no model declares is left alone
//! and named.

use crate::harness::TestDb;
use crate::workflow::{NOTES, TWO_SERVICES, USERS, project};

/// The notes table with an `updated_at` column and a trigger that keeps it current.
fn notes_yaml(when: &str) -> String {
    NOTES.replace(
        "    primary_key: [id]\n",
        &format!(
            "      title: {{ type: text, default: \"''\" }}
      updated_at: {{ type: timestamptz, nullable: true }}
    primary_key: [id]
    triggers:
      stamp:
        timing: before
        events: [update]
        for_each: row
        when: {when}
        function: stamp
functions:
  stamp:
    returns: trigger
    language: plpgsql
    body: |
      BEGIN
        NEW.updated_at := '2000-01-01 00:00:00+00';
        RETURN NEW;
      END
  audit:
    returns: trigger
    language: plpgsql
    body: BEGIN RETURN NULL; END
"
        ),
    )
}

const NOTES_SQL: &str = "SET search_path TO notes;

CREATE CONSTRAINT TRIGGER audited AFTER INSERT OR UPDATE OF state ON notes
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION audit('notes', 'it''s');
COMMENT ON TRIGGER audited ON notes IS 'kept as SQL';
ALTER TABLE notes DISABLE TRIGGER audited;
";

#[test]
fn triggers_go_through_revision_upgrade_check_and_downgrade() {
    let db = TestDb::new();
    let p = project("triggers-workflow", &db);
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
        &notes_yaml("old.title IS DISTINCT FROM new.title"),
    );
    p.write("schema/notes/logic.sql", NOTES_SQL);
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    let up = p.read("migrations/notes/20260101000001_first.up.sql");
    // The condition as written (as a CHECK is), the function qualified.
    assert!(
        up.contains("CREATE TRIGGER stamp BEFORE UPDATE ON notes.notes FOR EACH ROW WHEN (old.title IS DISTINCT FROM new.title) EXECUTE FUNCTION notes.stamp();"),
        "{up}"
    );
    assert!(
        up.contains("CREATE CONSTRAINT TRIGGER audited AFTER INSERT OR UPDATE OF state ON notes.notes DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION notes.audit('notes', 'it''s');")
            && up.contains("ALTER TABLE notes.notes DISABLE TRIGGER audited;")
            && up.contains("COMMENT ON TRIGGER audited ON notes.notes IS 'kept as SQL';"),
        "{up}"
    );
    // After the function it calls.
    assert!(
        up.find("CREATE FUNCTION notes.stamp") < up.find("CREATE TRIGGER stamp"),
        "{up}"
    );
    p.ok(&["upgrade"]);
    let mut c = db.client();
    c.batch_execute(
        "INSERT INTO users.accounts (email) VALUES ('a@b');
         INSERT INTO notes.notes (owner, title) VALUES (1, 'one'), (1, 'two');
         UPDATE notes.notes SET title = 'uno' WHERE title = 'one';
         UPDATE notes.notes SET state = 'done' WHERE title = 'two';",
    )
    .expect("rows");
    // It fires, and only when its condition holds.
    assert_eq!(
        db.value::<String>("SELECT string_agg(title || '=' || coalesce(updated_at::date::text, '-'), ',' ORDER BY id) FROM notes.notes"
        ),
        "uno=2000-01-01,two=-"
    );
    let out = p.ok(&["check"]);
    assert!(out.ends_with("in sync\n"), "{out}");
    assert!(
        p.ok(&["revision", "-m", "again"])
            .contains("no changes detected")
    );

    // Edited by hand: check names the trigger and what differs; one made by hand is named.
    c.batch_execute(
        "CREATE OR REPLACE TRIGGER stamp BEFORE UPDATE ON notes.notes FOR EACH ROW
             EXECUTE FUNCTION notes.stamp();
         ALTER TABLE notes.notes ENABLE TRIGGER audited;
         CREATE TRIGGER by_hand AFTER DELETE ON notes.notes EXECUTE FUNCTION notes.audit();",
    )
    .expect("edits by hand");
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("error: notes.notes.stamp: WHEN changed from `(old.title IS DISTINCT FROM new.title)` to `none`"),
        "{out}"
    );
    assert!(
        out.contains("error: notes.notes.audited: state changed from `disabled` to `origin`"),
        "{out}"
    );
    assert!(
        out.contains("warning: notes.by_hand on notes: trigger, declared by no model or migration"),
        "{out}"
    );
    let (code, out, err) = p.run(&["revision", "--from-db", "-m", "fix", "--service", "notes"]);
    assert_eq!(code, 0, "{out}{err}");
    let all = format!("{out}{err}");
    assert!(
        all.contains("the trigger `by_hand` on `notes.notes` in the database is declared by no model or snapshot: left alone"),
        "{all}"
    );
    assert!(!all.contains("DROP TRIGGER by_hand"), "{all}");
    let fix = p.migrations("notes");
    let fix = p.read(&format!(
        "migrations/notes/{}",
        fix.last().expect("the fix")
    ));
    assert!(
        fix.contains("CREATE OR REPLACE TRIGGER stamp BEFORE UPDATE ON notes.notes FOR EACH ROW WHEN ((old.title IS DISTINCT FROM new.title))")
            && fix.contains("ALTER TABLE notes.notes DISABLE TRIGGER audited;"),
        "{fix}"
    );
    // Its down file would bring the hand edits back: this test repairs by hand instead.
    for f in p.migrations("notes").iter().filter(|f| f.contains("_fix.")) {
        std::fs::remove_file(p.dir.join("migrations/notes").join(f)).expect("rm");
    }
    c.batch_execute(
        "CREATE OR REPLACE TRIGGER stamp BEFORE UPDATE ON notes.notes FOR EACH ROW
             WHEN (old.title IS DISTINCT FROM new.title) EXECUTE FUNCTION notes.stamp();
         ALTER TABLE notes.notes DISABLE TRIGGER audited;
         DROP TRIGGER by_hand ON notes.notes;",
    )
    .expect("repair");
    let out = p.ok(&["check"]);
    assert!(out.ends_with("in sync\n"), "{out}");

    // The model's condition changes: replaced in place; the down file puts it back.
    p.write("schema/notes/notes.yaml", &notes_yaml("new.state = 'done'"));
    p.ok(&["revision", "-m", "when", "--version", "20990101000000"]);
    let up = p.read("migrations/notes/20990101000000_when.up.sql");
    assert!(
        up.contains("CREATE OR REPLACE TRIGGER stamp BEFORE UPDATE ON notes.notes FOR EACH ROW WHEN (new.state = 'done')"),
        "{up}"
    );
    p.ok(&["upgrade"]);
    let out = p.ok(&["check"]);
    assert!(!out.contains("error"), "{out}");
    p.ok(&["downgrade", "20260101000001", "--yes"]);
    assert_eq!(
        db.value::<String>("SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = 'stamp'"),
        "CREATE TRIGGER stamp BEFORE UPDATE ON notes.notes FOR EACH ROW WHEN ((old.title IS DISTINCT FROM new.title)) EXECUTE FUNCTION notes.stamp()"
    );
}
