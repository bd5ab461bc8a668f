//! Grants through the whole workflow: declared for the roles a service manages, written to
//! migrations, applied, checked (drift per object and role), reverted; grants to roles the
//! model does not manage are never touched, not even when a view over a changed column has to
//! be dropped and created again.

use crate::harness::TestDb;
use crate::workflow::{NOTES, TWO_SERVICES, USERS, project};

const ROLES: &str = "
DO $$ BEGIN CREATE ROLE autogen_grants_app NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE \"Autogen Grants Ops\" NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE autogen_grants_other NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
";

fn notes_yaml(table_grants: &str) -> String {
    let with_roles = NOTES.replacen(
        "schema: notes\n",
        "schema: notes\nroles: [autogen_grants_app, Autogen Grants Ops]\ngrants:\n  autogen_grants_app: usage\n",
        1,
    );
    format!(
        "{}    grants:\n{table_grants}views:\n  note_states:\n    query: SELECT id, state FROM notes.notes\n    grants: {{ autogen_grants_app: select }}\n",
        with_roles.replace(
            "      state: { type: state, default: \"'draft'\" }\n",
            "      state: { type: state, default: \"'draft'\", grants: { Autogen Grants Ops: update } }\n",
        )
    )
}

fn acl(db: &TestDb, relation: &str) -> String {
    db.value::<String>(&format!(
        "SELECT array_to_string(array(SELECT g.privilege_type || ' to ' || r.rolname || \
         CASE WHEN g.is_grantable THEN ' with grant option' ELSE '' END \
         FROM aclexplode((SELECT relacl FROM pg_class WHERE oid = '{relation}'::regclass)) g \
         JOIN pg_roles r ON r.oid = g.grantee WHERE r.rolname LIKE '%rants%' ORDER BY 1), ', ')"
    ))
}

#[test]
fn grants_go_through_revision_upgrade_check_and_downgrade() {
    let db = TestDb::new();
    db.client().batch_execute(ROLES).expect("roles");
    let p = project("grants-workflow", &db);
    p.write("autogen.toml", TWO_SERVICES);
    p.write("schema/users/users.yaml", USERS);
    p.write(
        "schema/notes/notes.yaml",
        &notes_yaml("      autogen_grants_app: [select, insert]\n"),
    );
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    let up = p.read("migrations/notes/20260101000001_first.up.sql");
    assert!(
        up.contains(
            "REVOKE ALL ON TABLE notes.notes FROM \"Autogen Grants Ops\", autogen_grants_app;"
        ) && up.contains("GRANT SELECT, INSERT ON TABLE notes.notes TO autogen_grants_app;")
            && up.contains("GRANT UPDATE (state) ON TABLE notes.notes TO \"Autogen Grants Ops\";")
            && up.contains("GRANT USAGE ON SCHEMA notes TO autogen_grants_app;")
            && up.contains("GRANT SELECT ON TABLE notes.note_states TO autogen_grants_app;"),
        "{up}"
    );
    // Granted once the view exists.
    assert!(up.find("CREATE VIEW notes.note_states") < up.find("ON TABLE notes.note_states TO"));
    p.ok(&["upgrade"]);
    assert_eq!(
        acl(&db, "notes.notes"),
        "INSERT to autogen_grants_app, SELECT to autogen_grants_app"
    );
    assert!(db.value::<bool>(
        "SELECT has_column_privilege('Autogen Grants Ops', 'notes.notes', 'state', 'UPDATE')"
    ));
    let out = p.ok(&["check"]);
    assert!(out.ends_with("in sync\n"), "{out}");

    // A role the model does not manage: its grants are nobody's drift.
    let mut c = db.client();
    c.batch_execute(
        "GRANT SELECT ON notes.notes, notes.note_states TO autogen_grants_other;
         GRANT USAGE ON SCHEMA notes TO autogen_grants_other;",
    )
    .expect("other role");
    let out = p.ok(&["check"]);
    assert!(out.ends_with("in sync\n"), "{out}");
    assert!(
        p.ok(&["revision", "-m", "again"])
            .contains("no changes detected")
    );

    // Grants edited by hand for a managed role: check names the object, the role and what.
    c.batch_execute(
        "GRANT DELETE ON notes.notes TO autogen_grants_app;
         REVOKE SELECT ON notes.note_states FROM autogen_grants_app;
         GRANT SELECT ON notes.notes TO \"Autogen Grants Ops\" WITH GRANT OPTION;",
    )
    .expect("edits by hand");
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    for line in [
        "error: notes.notes: autogen_grants_app: DELETE granted",
        "error: notes.notes: Autogen Grants Ops: SELECT granted with grant option",
        "error: notes.note_states: autogen_grants_app: SELECT revoked",
    ] {
        assert!(out.contains(line), "{line}\n{out}");
    }
    // revision --from-db puts the model's grants back and leaves the other role's alone.
    p.ok(&["revision", "--from-db", "-m", "fix", "--service", "notes"]);
    let fix_file = p
        .migrations("notes")
        .into_iter()
        .find(|f| f.ends_with("_fix.up.sql"))
        .expect("the fix");
    let fix = p.read(&format!("migrations/notes/{fix_file}"));
    assert!(
        fix.contains("REVOKE DELETE ON TABLE notes.notes FROM autogen_grants_app;")
            && fix.contains("REVOKE SELECT ON TABLE notes.notes FROM \"Autogen Grants Ops\";")
            && fix.contains("GRANT SELECT ON TABLE notes.note_states TO autogen_grants_app;")
            && !fix.contains("autogen_grants_other"),
        "{fix}"
    );
    // Its down file would bring the edits back, so it is not kept; the edits are undone by
    // hand instead.
    for f in p.migrations("notes").iter().filter(|f| f.contains("_fix.")) {
        std::fs::remove_file(p.dir.join("migrations/notes").join(f)).expect("rm");
    }
    c.batch_execute(
        "REVOKE DELETE ON notes.notes FROM autogen_grants_app;
         GRANT SELECT ON notes.note_states TO autogen_grants_app;
         REVOKE SELECT ON notes.notes FROM \"Autogen Grants Ops\";",
    )
    .expect("repair");
    let out = p.ok(&["check"]);
    assert!(out.ends_with("in sync\n"), "{out}");

    // A column the view reads, with fewer grants on the table; then its type changes, which
    // drops and creates the view again: every grant on the view comes back, the other
    // role's too. The down files revert both.
    let with_rank = |ty: &str| {
        notes_yaml("      autogen_grants_app: select\n")
            .replace(
                "      state: {",
                &format!("      rank: {{ type: {ty}, default: \"0\" }}\n      state: {{"),
            )
            .replace("SELECT id, state FROM", "SELECT id, state, rank FROM")
    };
    p.write("schema/notes/notes.yaml", &with_rank("integer"));
    p.ok(&["revision", "-m", "rank", "--version", "20990101000000"]);
    p.ok(&["upgrade"]);
    assert_eq!(
        acl(&db, "notes.notes"),
        "SELECT to autogen_grants_app, SELECT to autogen_grants_other"
    );
    p.write("schema/notes/notes.yaml", &with_rank("bigint"));
    p.ok(&["revision", "-m", "rank type", "--version", "20990102000000"]);
    let up = p.read("migrations/notes/20990102000000_rank_type.up.sql");
    assert!(
        up.find("DROP VIEW notes.note_states;") < up.find("CREATE VIEW notes.note_states")
            && up.find("CREATE VIEW notes.note_states")
                < up.find("GRANT SELECT ON TABLE notes.note_states TO autogen_grants_app;"),
        "{up}"
    );
    // What the migration cannot know (it was written from the snapshots, not the database):
    // the other role's grant on the view. check says so before upgrade loses it.
    let (_, out, _) = p.run(&["check"]);
    assert!(
        out.contains("a pending migration drops and creates again this view, which has grants here to roles the model does not manage, that it does not restore: SELECT to autogen_grants_other"),
        "{out}"
    );
    p.ok(&["upgrade"]);
    assert_eq!(
        acl(&db, "notes.note_states"),
        "SELECT to autogen_grants_app"
    );
    let out = p.ok(&["check"]);
    assert!(out.ends_with("in sync\n"), "{out}");
    // Written from the database, the migration keeps it.
    c.batch_execute("GRANT SELECT ON notes.note_states TO autogen_grants_other")
        .expect("grant");
    p.write("schema/notes/notes.yaml", &with_rank("numeric"));
    p.ok(&[
        "revision",
        "--from-db",
        "-m",
        "rank numeric",
        "--version",
        "20990103000000",
        "--service",
        "notes",
    ]);
    p.ok(&["upgrade"]);
    let view_acl = "SELECT to autogen_grants_app, SELECT to autogen_grants_other";
    assert_eq!(acl(&db, "notes.note_states"), view_acl);
    let out = p.ok(&["check"]);
    assert!(out.ends_with("in sync\n"), "{out}");
    p.ok(&["downgrade", "20990101000000", "--yes"]);
    assert_eq!(
        acl(&db, "notes.note_states"),
        "SELECT to autogen_grants_app"
    );
    p.ok(&["downgrade", "20260101000001", "--yes"]);
    assert_eq!(
        acl(&db, "notes.notes"),
        "INSERT to autogen_grants_app, SELECT to autogen_grants_app, SELECT to autogen_grants_other"
    );
}

#[test]
fn a_grant_to_a_role_the_service_does_not_manage_is_a_model_error() {
    let db = TestDb::new();
    let p = project("grants-unmanaged-role", &db);
    p.write("autogen.toml", TWO_SERVICES);
    p.write("schema/users/users.yaml", USERS);
    p.write(
        "schema/notes/notes.yaml",
        &NOTES.replace(
            "    primary_key: [id]\n",
            "    primary_key: [id]\n    grants:\n      anon: select\n",
        ),
    );
    let (code, _, err) = p.run(&["revision", "-m", "first"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "grant to `anon` on table notes.notes: `anon` is not a role this service manages"
        ) && err.contains("notes.yaml:12")
            && err.contains("list it under `roles:`"),
        "{err}"
    );
    p.write(
        "schema/notes/notes.yaml",
        &NOTES
            .replacen("schema: notes\n", "schema: notes\nroles: [anon]\n", 1)
            .replace(
                "    primary_key: [id]\n",
                "    primary_key: [id]\n    grants:\n      anon: [select, execute]\n",
            ),
    );
    let (code, _, err) = p.run(&["revision", "-m", "first"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("grant to `anon` on table notes.notes: EXECUTE cannot be granted on a table; it takes select, insert, update, delete, truncate, references, trigger"),
        "{err}"
    );
    assert!(!p.dir.join("migrations/notes").exists() || p.migrations("notes").is_empty());
}

#[test]
fn grants_in_a_sql_model_file_are_the_yaml_ones() {
    use std::path::PathBuf;
    let tables = "schema: app
roles: [anon, Ops Team, public]
tables:
  notes:
    columns:
      id: { type: bigint, primary_key: true }
      Title: { type: text }
";
    let sql = "SET search_path TO app;
CREATE FUNCTION note_count(who bigint) RETURNS bigint LANGUAGE sql STABLE
  AS $$ SELECT count(*) FROM app.notes WHERE id = who $$;
CREATE VIEW note_titles AS SELECT id, \"Title\" FROM app.notes;
GRANT SELECT, INSERT ON notes TO anon, \"Ops Team\";
GRANT UPDATE (\"Title\") ON TABLE app.notes TO anon WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON note_titles TO \"Ops Team\";
GRANT EXECUTE ON FUNCTION note_count(bigint) TO anon;
";
    let from_sql = autogen::model::load_sources(&[
        (PathBuf::from("app.yaml"), tables.to_string()),
        (PathBuf::from("logic.sql"), sql.to_string()),
    ])
    .expect("the SQL model");
    let yaml = tables.replace(
        "      Title: { type: text }\n",
        "      Title: { type: text, grants: { anon: update with grant option } }
    grants: { anon: [select, insert], Ops Team: [select, insert] }
views:
  note_titles:
    query: SELECT id, \"Title\" FROM app.notes
    grants: { Ops Team: all }
functions:
  note_count:
    arguments: who bigint
    returns: bigint
    volatility: stable
    body: \" SELECT count(*) FROM app.notes WHERE id = who \"
    grants: { anon: execute }
",
    );
    let from_yaml =
        autogen::model::load_sources(&[(PathBuf::from("app.yaml"), yaml)]).expect("the YAML twin");
    let acls = |s: &autogen::ir::Schema| -> Vec<(String, String)> {
        s.acls()
            .into_iter()
            .map(|(t, a)| (t.describe(), format!("{:?}", a)))
            .collect()
    };
    assert_eq!(acls(&from_sql), acls(&from_yaml));
    assert!(
        from_sql.tables[&autogen::ir::QName::new("app", "notes")]
            .column_grants
            .contains_key("Title")
    );

    // What a model cannot say is an error with its line.
    for (bad, says) in [
        (
            "REVOKE EXECUTE ON FUNCTION note_count(bigint) FROM PUBLIC;",
            "logic.sql:4:1: `REVOKE EXECUTE ON FUNCTION note_count(bigint) FROM PUBLIC`: a model states what each role may do, so a REVOKE has nothing to take away",
        ),
        (
            "GRANT SELECT ON nowhere TO anon;",
            "the service declares no table or view `app.nowhere`",
        ),
        (
            "GRANT SELECT ON ALL TABLES IN SCHEMA app TO anon;",
            "grants on what exists when it runs",
        ),
        (
            "GRANT EXECUTE ON notes TO anon;",
            "EXECUTE cannot be granted on a table",
        ),
        (
            "GRANT SELECT (nope) ON notes TO anon;",
            "`app.notes` has no column `nope`",
        ),
        (
            "GRANT SELECT ON notes TO stranger;",
            "`stranger` is not a role this service manages",
        ),
    ] {
        let text = format!(
            "SET search_path TO app;\nCREATE FUNCTION note_count(who bigint) RETURNS bigint LANGUAGE sql AS $$ SELECT 1::bigint $$;\n\n{bad}\n"
        );
        let err = autogen::model::load_sources(&[
            (PathBuf::from("app.yaml"), tables.to_string()),
            (PathBuf::from("logic.sql"), text),
        ])
        .expect_err(bad)
        .to_string();
        assert!(err.contains(says), "{bad}: {err}");
    }
}
