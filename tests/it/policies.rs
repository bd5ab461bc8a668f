//! Row-level security and policies through the whole workflow: declared in YAML and as
//! `CREATE POLICY` in a SQL model file, written to migrations, applied (and enforced), checked
//! (drift per policy, in the words of the policy), reverted; a policy no model declares is left
//! alone and named.

use crate::harness::TestDb;
use crate::workflow::{NOTES, TWO_SERVICES, USERS, project};

fn notes_yaml(using: &str) -> String {
    NOTES.replace(
        "    primary_key: [id]\n",
        &format!(
            "    primary_key: [id]
    rls: true
    policies:
      Read own notes:
        command: select
        roles: [autogen_reader]
        using: {using}
"
        ),
    )
}

const NOTES_SQL: &str = "SET search_path TO notes;

CREATE POLICY \"Add drafts\" ON notes FOR INSERT TO autogen_reader
  WITH CHECK (state = 'draft');
COMMENT ON POLICY \"Add drafts\" ON notes IS 'kept as SQL';
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
";

#[test]
fn policies_go_through_revision_upgrade_check_and_downgrade() {
    let db = TestDb::new();
    // The server's, shared by the tests: made only if missing. Managing roles is not this test's.
    db.client()
        .batch_execute("DO $$ BEGIN CREATE ROLE autogen_reader NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$")
        .expect("role");
    let p = project("policies-workflow", &db);
    p.write(
        "autogen.toml",
        &TWO_SERVICES.replace(
            "models = [\"schema/notes/*.yaml\"]",
            "models = [\"schema/notes/*.yaml\", \"schema/notes/*.sql\"]",
        ),
    );
    p.write("schema/users/users.yaml", USERS);
    p.write("schema/notes/notes.yaml", &notes_yaml("owner = 1"));
    p.write("schema/notes/logic.sql", NOTES_SQL);
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    let up = p.read("migrations/notes/20260101000001_first.up.sql");
    assert!(
        up.contains("CREATE POLICY \"Read own notes\" ON notes.notes FOR SELECT TO autogen_reader USING (owner = 1);")
            && up.contains("CREATE POLICY \"Add drafts\" ON notes.notes FOR INSERT TO autogen_reader WITH CHECK (state = 'draft');")
            && up.contains("COMMENT ON POLICY \"Add drafts\" ON notes.notes IS 'kept as SQL';"),
        "{up}"
    );
    // Switched on once its policies exist.
    assert!(
        up.find("CREATE POLICY \"Read own notes\"") < up.find("ENABLE ROW LEVEL SECURITY")
            && up.contains("ALTER TABLE notes.notes FORCE ROW LEVEL SECURITY;"),
        "{up}"
    );
    p.ok(&["upgrade"]);
    let mut c = db.client();
    c.batch_execute(
        "INSERT INTO users.accounts (id, email) OVERRIDING SYSTEM VALUE VALUES (1, 'a@b'), (2, 'c@d');
         ALTER TABLE notes.notes NO FORCE ROW LEVEL SECURITY;
         INSERT INTO notes.notes (owner) VALUES (1), (2), (2);
         ALTER TABLE notes.notes FORCE ROW LEVEL SECURITY;
         GRANT USAGE ON SCHEMA notes TO autogen_reader;
         GRANT SELECT, INSERT ON notes.notes TO autogen_reader;",
    )
    .expect("rows");
    // Enforced: the role sees its rows only, and may add drafts only.
    c.batch_execute("SET ROLE autogen_reader").expect("role");
    let seen: i64 = c
        .query_one("SELECT count(*) FROM notes.notes", &[])
        .expect("read")
        .get(0);
    assert_eq!(seen, 1);
    let refused = c
        .batch_execute("INSERT INTO notes.notes (owner, state) VALUES (1, 'done')")
        .expect_err("the policy refuses it");
    let message = refused
        .as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_default();
    assert!(message.contains("row-level security"), "{message}");
    c.batch_execute("RESET ROLE").expect("reset");
    let out = p.ok(&["check"]);
    assert!(out.ends_with("in sync\n"), "{out}");
    assert!(
        p.ok(&["revision", "-m", "again"])
            .contains("no changes detected")
    );

    // Edited by hand: check names each policy and what differs; one made by hand is named.
    c.batch_execute(
        "ALTER POLICY \"Read own notes\" ON notes.notes USING (true);
         ALTER TABLE notes.notes NO FORCE ROW LEVEL SECURITY;
         CREATE POLICY \"by hand\" ON notes.notes FOR DELETE USING (true);",
    )
    .expect("edits by hand");
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("error: notes.notes: policy \"Read own notes\": USING changed from `(owner = 1)` to `true`"),
        "{out}"
    );
    assert!(
        out.contains("error: notes.notes: row-level security no longer forced"),
        "{out}"
    );
    assert!(
        out.contains("warning: notes.by hand on notes: policy, declared by no model or migration"),
        "{out}"
    );
    let (code, out, err) = p.run(&["revision", "--from-db", "-m", "fix", "--service", "notes"]);
    assert_eq!(code, 0, "{out}{err}");
    let all = format!("{out}{err}");
    assert!(
        all.contains("the policy `by hand` on `notes.notes` in the database is declared by no model or snapshot: left alone"),
        "{all}"
    );
    let fix = p.migrations("notes");
    let fix = p.read(&format!(
        "migrations/notes/{}",
        fix.last().expect("the fix")
    ));
    assert!(
        fix.contains("ALTER POLICY \"Read own notes\" ON notes.notes USING ((owner = 1));")
            && fix.contains("ALTER TABLE notes.notes FORCE ROW LEVEL SECURITY;")
            && !fix.contains("\"by hand\""),
        "{fix}"
    );
    for f in p.migrations("notes").iter().filter(|f| f.contains("_fix.")) {
        std::fs::remove_file(p.dir.join("migrations/notes").join(f)).expect("rm");
    }
    c.batch_execute(
        "ALTER POLICY \"Read own notes\" ON notes.notes USING (owner = 1);
         ALTER TABLE notes.notes FORCE ROW LEVEL SECURITY;
         DROP POLICY \"by hand\" ON notes.notes;",
    )
    .expect("repair");
    let out = p.ok(&["check"]);
    assert!(out.ends_with("in sync\n"), "{out}");

    // The model's predicate changes: altered in place; the down file puts it back.
    p.write("schema/notes/notes.yaml", &notes_yaml("owner = 2"));
    p.ok(&["revision", "-m", "using", "--version", "20990101000000"]);
    let up = p.read("migrations/notes/20990101000000_using.up.sql");
    assert!(
        up.contains("ALTER POLICY \"Read own notes\" ON notes.notes USING (owner = 2);"),
        "{up}"
    );
    p.ok(&["upgrade"]);
    let out = p.ok(&["check"]);
    assert!(!out.contains("error"), "{out}");
    p.ok(&["downgrade", "20260101000001", "--yes"]);
    assert_eq!(
        db.value::<String>(
            "SELECT pg_get_expr(polqual, polrelid) FROM pg_policy WHERE polname = 'Read own notes'"
        ),
        "(owner = 1)"
    );
}
