//! Views in the model, through the whole workflow: declared in YAML, written to migrations as
//! Postgres stores them, checked, and dropped and re-created around a change under them, also
//! when the view belongs to another service than the column it reads.

use crate::harness::TestDb;
use crate::workflow::{NOTES, USERS, project};

const NOTES_VIEWS: &str = "views:
  open_notes:
    query: >
      SELECT n.id, a.email, n.state
      FROM notes n JOIN users.accounts a ON a.id = n.owner
      WHERE state = 'draft'
    comment: what is still to do
  open_count:
    materialized: true
    query: SELECT count(*) AS n FROM open_notes
  \"Latest\":
    query: SELECT id FROM open_notes ORDER BY id DESC LIMIT 10
";

#[test]
fn views_go_through_revision_upgrade_check_and_downgrade() {
    let db = TestDb::new();
    let p = project("views-workflow", &db);
    p.two_services();
    p.write("schema/notes/notes.yaml", &format!("{NOTES}{NOTES_VIEWS}"));
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    let file = |service: &str, version: &str| {
        let name = p
            .migrations(service)
            .into_iter()
            .find(|n| n.starts_with(version) && n.ends_with(".up.sql"))
            .unwrap_or_else(|| {
                panic!(
                    "no {service} migration {version}: {:?}",
                    p.migrations(service)
                )
            });
        p.read(&format!("migrations/{service}/{name}"))
    };
    let up = file("notes", "20260101000001");
    // The query as Postgres stores it: every name qualified, whatever the search path.
    assert!(
        up.contains("FROM (notes.notes n\n     JOIN users.accounts a ON ((a.id = n.owner)))"),
        "{up}"
    );
    assert!(
        up.find("CREATE VIEW notes.open_notes") < up.find("CREATE VIEW notes.\"Latest\""),
        "{up}"
    );
    p.ok(&["upgrade"]);
    let (code, out, err) = p.run(&["check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.ends_with("in sync\n"), "{out}");
    db.client()
        .batch_execute(
            "INSERT INTO users.accounts (email) VALUES ('a@example.com');
             INSERT INTO notes.notes (owner) SELECT id FROM users.accounts;
             REFRESH MATERIALIZED VIEW notes.open_count;",
        )
        .expect("rows");

    // A type change under another service's view: the users migration moves it out of the way.
    p.write(
        "schema/users/users.yaml",
        &USERS.replace("email: { type: text }", "email: { type: varchar }"),
    );
    p.ok(&[
        "revision",
        "-m",
        "longer emails",
        "--version",
        "20260102000000",
    ]);
    let up = file("users", "20260102000000");
    let at = |s: &str| {
        up.find(s)
            .unwrap_or_else(|| panic!("`{s}` is not in:\n{up}"))
    };
    assert!(at("DROP VIEW notes.\"Latest\"") < at("DROP VIEW notes.open_notes"));
    assert!(at("DROP MATERIALIZED VIEW notes.open_count") < at("DROP VIEW notes.open_notes"));
    assert!(at("DROP VIEW notes.open_notes") < at("ALTER TABLE users.accounts ALTER COLUMN email"));
    assert!(
        at("ALTER TABLE users.accounts ALTER COLUMN email") < at("CREATE VIEW notes.open_notes")
    );
    assert!(
        at("COMMENT ON VIEW notes.open_notes IS 'what is still to do'")
            > at("CREATE VIEW notes.open_notes")
    );
    // The notes service's own files do not change: its views did not (their columns' types
    // follow what they read).
    assert_eq!(
        p.migrations("notes").len(),
        2,
        "{:?}",
        p.migrations("notes")
    );
    // A grant made by hand on a view the pending migration re-creates: `check` says it would go.
    db.client()
        .batch_execute("GRANT SELECT ON notes.open_notes TO PUBLIC")
        .expect("grant");
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "the migration is pending: {out}");
    assert!(
        out.contains("warning: notes.open_notes: a pending migration drops and creates again this view, which has grants here to roles the model does not manage, that it does not restore: SELECT to PUBLIC")
            && !out.contains("(not managed by autogen) reads"),
        "{out}"
    );
    db.client()
        .batch_execute("REVOKE SELECT ON notes.open_notes FROM PUBLIC")
        .expect("revoke");
    p.ok(&["upgrade"]);
    assert_eq!(db.value::<i64>("SELECT count(*) FROM notes.open_notes"), 1);
    assert_eq!(db.value::<i64>("SELECT n FROM notes.open_count"), 1);
    let (code, out, err) = p.run(&["check"]);
    assert_eq!(code, 0, "{out}{err}");

    // A changed view: replaced in place; its snapshot-driven down restores it.
    p.write(
        "schema/notes/notes.yaml",
        &format!(
            "{NOTES}{}",
            NOTES_VIEWS.replace("WHERE state = 'draft'", "WHERE state <> 'done'")
        ),
    );
    p.ok(&[
        "revision",
        "-m",
        "open means not done",
        "--version",
        "20260103000000",
    ]);
    let up = file("notes", "20260103000000");
    assert!(
        up.contains("CREATE OR REPLACE VIEW notes.open_notes"),
        "{up}"
    );
    assert!(!up.contains("DROP"), "{up}");
    p.ok(&["upgrade"]);
    let (code, out, err) = p.run(&["check"]);
    assert_eq!(code, 0, "{out}{err}");

    // Drift in a view is reported per view, with what changed.
    db.client()
        .batch_execute(
            "CREATE OR REPLACE VIEW notes.open_notes AS SELECT n.id, a.email, n.state \
             FROM notes.notes n JOIN users.accounts a ON a.id = n.owner",
        )
        .expect("drift");
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("error: notes.open_notes: query changed from `SELECT n.id, a.email, n.state FROM (notes.notes n JOIN users.accounts a ON ((a.id = n.owner))) WHERE (n.state <> 'done'::notes.state)`"),
        "{out}"
    );
    db.client()
        .batch_execute(
            "CREATE OR REPLACE VIEW notes.open_notes AS SELECT n.id, a.email, n.state \
             FROM notes.notes n JOIN users.accounts a ON a.id = n.owner WHERE state <> 'done'",
        )
        .expect("undo the drift");

    // All the way down and up again: every down file restores its parent.
    p.ok(&["downgrade", "base", "--yes"]);
    let views: i64 = db.value::<i64>(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('v', 'm') AND n.nspname = 'notes'",
    );
    assert_eq!(views, 0);
    p.ok(&["upgrade"]);
    let (code, out, err) = p.run(&["check"]);
    assert_eq!(code, 0, "{out}{err}");
}

/// A model's view query that is not one query is an error naming the file, line and view.
#[test]
fn a_view_query_that_smuggles_a_statement_is_refused_with_its_line() {
    let db = TestDb::new();
    let p = project("views-bad", &db);
    p.two_services();
    p.write(
        "schema/notes/notes.yaml",
        &format!("{NOTES}views:\n  v:\n    query: SELECT 1; DROP TABLE notes.notes\n"),
    );
    let (code, _, err) = p.run(&["revision", "-m", "x"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("schema/notes/notes.yaml:")
            && err.contains("the query of view `notes.v` is not one query"),
        "{err}"
    );
    p.write(
        "schema/notes/notes.yaml",
        &format!("{NOTES}views:\n  v:\n    query: SELECT id FROM nowhere\n"),
    );
    let (code, _, err) = p.run(&["revision", "-m", "x"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("the view `notes.v` of the model cannot be created")
            && err.contains("nowhere"),
        "{err}"
    );
    // A view and a table of one name collide in Postgres: said with both places.
    p.write(
        "schema/notes/notes.yaml",
        &format!("{NOTES}views:\n  notes:\n    query: SELECT 1 AS one\n"),
    );
    let (code, _, err) = p.run(&["revision", "-m", "x"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("view `notes.notes` has the same name as the table"),
        "{err}"
    );
}

/// A service's views may be a SQL file of CREATE VIEW statements next to its YAML: read back as
/// Postgres stores them, merged with the YAML, and a comment or a line break in it changes
/// nothing.
#[test]
fn views_declared_in_a_sql_model_file() {
    let db = TestDb::new();
    let p = project("views-sql", &db);
    p.two_services();
    let config = p.read("autogen.toml").replace(
        "models = [\"schema/notes/*.yaml\"]",
        "models = [\"schema/notes/*.yaml\", \"schema/notes/*.sql\"]",
    );
    p.write("autogen.toml", &config);
    let sql = "-- Views of the notes service.\n\
               SET search_path TO notes;\n\n\
               CREATE VIEW open_notes AS\n    SELECT n.id, a.email  -- who wrote it\n    \
               FROM notes n JOIN users.accounts a ON a.id = n.owner\n    WHERE state = 'draft';\n\
               COMMENT ON VIEW open_notes IS 'still to do';\n\n\
               CREATE MATERIALIZED VIEW per_owner AS\n    SELECT owner, count(*) AS n FROM notes GROUP BY owner;\n\
               CREATE UNIQUE INDEX per_owner_owner ON per_owner (owner);\n";
    p.write("schema/notes/views.sql", sql);
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p.ok(&["upgrade"]);
    let (code, out, err) = p.run(&["check"]);
    assert_eq!((code, out.ends_with("in sync\n")), (0, true), "{out}{err}");
    let comment: Option<String> = db
        .client()
        .query_one(
            "SELECT obj_description('notes.open_notes'::regclass, 'pg_class')",
            &[],
        )
        .expect("comment")
        .get(0);
    assert_eq!(comment.as_deref(), Some("still to do"));
    // Written differently, the same view: nothing to do.
    p.write(
        "schema/notes/views.sql",
        &sql.replace(
            "    SELECT n.id, a.email  -- who wrote it\n",
            "SELECT n.id,\n a.email\n",
        ),
    );
    let out = p.ok(&["revision", "-m", "reformatted"]);
    assert!(out.contains("no changes"), "{out}");
    // A statement the model does not read is an error with its file and line.
    p.write(
        "schema/notes/views.sql",
        &format!("{sql}DROP TABLE notes.notes;\n"),
    );
    let (code, _, err) = p.run(&["revision", "-m", "x"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("schema/notes/views.sql:13"), "{err}");
}
