//! The SQL model file reader, on files written as teams write them.
use super::*;
use crate::model::load_sources;
use std::path::PathBuf;

const FILE: &str = r#"-- Reporting views, as the team writes them.
SET search_path TO reporting;

CREATE OR REPLACE VIEW "Open Notes" (id, who) WITH (security_barrier, check_option = 'local') AS
    SELECT n.id, n.owner   -- the owner's id
    FROM notes.notes n
    WHERE n.state = 'draft; not done'
    WITH LOCAL CHECK OPTION;
COMMENT ON VIEW "Open Notes" IS 'what''s left';

CREATE MATERIALIZED VIEW counts WITH (fillfactor = 70) AS
    SELECT owner, count(*) AS n FROM notes.notes GROUP BY owner
    WITH NO DATA;
CREATE UNIQUE INDEX counts_owner ON counts (owner) WHERE n > 0;
"#;

#[test]
fn views_comments_and_indexes_are_read_with_their_lines() {
    let doc = parse(Path::new("r.sql"), FILE).expect("parses");
    assert_eq!(doc.schema.as_deref(), Some("reporting"));
    let open = &doc.views["Open Notes"].value;
    assert_eq!(open.columns, vec!["id", "who"]);
    assert!(open.security_barrier && !open.materialized);
    assert_eq!(open.check_option.as_deref(), Some("local"));
    assert_eq!(open.comment.as_deref(), Some("what's left"));
    assert!(
        open.query.starts_with("SELECT n.id, n.owner"),
        "{}",
        open.query
    );
    assert!(
        open.query.ends_with("WHERE n.state = 'draft; not done'"),
        "{}",
        open.query
    );
    assert!(!open.query.contains("owner's id"));
    let counts = &doc.views["counts"].value;
    assert!(counts.materialized);
    assert_eq!(counts.with_data, Some(false));
    assert_eq!(
        counts.storage.get("fillfactor").map(String::as_str),
        Some("70")
    );
    let idx = &counts.indexes["counts_owner"].value;
    assert!(idx.unique);
    assert_eq!(idx.columns, vec!["owner"]);
    assert_eq!(idx.predicate.as_deref(), Some("n > 0"));
    assert_eq!(doc.sql_lines["Open Notes"], 4);
    assert_eq!(doc.sql_lines["counts"], 11);
    assert_eq!(doc.sql_lines["counts_owner"], 14);
}

#[test]
fn functions_and_procedures_are_read_with_every_clause() {
    let text = "SET search_path TO app;
CREATE OR REPLACE FUNCTION f(a integer, b text DEFAULT 'x;y') RETURNS SETOF app.t
  LANGUAGE plpgsql STABLE STRICT SECURITY DEFINER LEAKPROOF PARALLEL SAFE COST 5 ROWS 20
  SET search_path = 'My S', public SET work_mem TO '8MB'
AS $body$ BEGIN RETURN QUERY SELECT 1; -- kept
END $body$;
CREATE FUNCTION f(a numeric) RETURNS TABLE (x int, y text) LANGUAGE sql
BEGIN ATOMIC
  SELECT 1, 'a';
END;
COMMENT ON FUNCTION f(numeric) IS 'the numeric one';
CREATE PROCEDURE p(INOUT n int) LANGUAGE sql AS 'SELECT n + 1';
";
    let doc = parse(Path::new("f.sql"), text).expect("parses");
    let f = &doc.functions["f"].value;
    assert_eq!(f.arguments, "a integer, b text DEFAULT 'x;y'");
    assert_eq!(f.returns.as_deref(), Some("SETOF app.t"));
    assert_eq!(f.language.as_deref(), Some("plpgsql"));
    assert_eq!(f.volatility.as_deref(), Some("stable"));
    assert!(f.strict && f.security_definer && f.leakproof);
    assert_eq!(f.parallel.as_deref(), Some("safe"));
    assert_eq!((f.cost, f.rows), (Some(5.0), Some(20.0)));
    assert_eq!(f.set["search_path"], "\"My S\", public");
    assert_eq!(f.set["work_mem"], "8MB");
    assert_eq!(f.body, " BEGIN RETURN QUERY SELECT 1; -- kept\nEND ");
    let g = &doc.functions["f(numeric)"].value;
    assert_eq!(g.name.as_deref(), Some("f"));
    assert_eq!(g.returns.as_deref(), Some("TABLE (x int, y text)"));
    assert!(
        g.body.starts_with("BEGIN ATOMIC") && g.body.ends_with("END"),
        "{}",
        g.body
    );
    assert_eq!(g.comment.as_deref(), Some("the numeric one"));
    let p = &doc.functions["p"].value;
    assert!(p.procedure && p.returns.is_none());
    assert_eq!(p.body, "SELECT n + 1");
    assert_eq!(doc.sql_lines["function f(numeric)"], 7);
    let bad = parse(
        Path::new("f.sql"),
        "CREATE FUNCTION w() RETURNS int LANGUAGE sql WINDOW AS 'select 1';",
    )
    .expect_err("refused");
    assert!(
        bad.message.contains("`WINDOW` is not read"),
        "{}",
        bad.message
    );
}

#[test]
fn anything_else_is_an_error_naming_its_line() {
    let bad = |text: &str| {
        parse(Path::new("r.sql"), text)
            .err()
            .map(|e| (e.line, e.message))
    };
    let (line, msg) =
        bad("CREATE VIEW a AS SELECT 1;\n\nCREATE TABLE t (id int);").expect("refused");
    assert_eq!(line, 3);
    assert!(
        msg.contains("`CREATE TABLE t (id int)` is not read"),
        "{msg}"
    );
    let (_, msg) =
        bad("CREATE VIEW a.v AS SELECT 1;\nCREATE VIEW b.v AS SELECT 1;").expect("refused");
    assert!(
        msg.contains("in schema `b`, but this file's objects are in `a`"),
        "{msg}"
    );
    let (_, msg) = bad("CREATE INDEX ON v (x);").expect("refused");
    assert!(msg.contains("needs a name"), "{msg}");
    let (line, msg) = bad("CREATE VIEW v AS SELECT 1;\nDROP TABLE notes.notes;").expect("refused");
    assert_eq!(line, 2);
    assert!(msg.contains("DROP TABLE"), "{msg}");
}

#[test]
fn the_same_view_in_yaml_and_sql_names_both_files() {
    let sources = vec![
        (
            PathBuf::from("schema/r.yaml"),
            "schema: reporting\nviews:\n  counts:\n    query: SELECT 1 AS n\n".to_string(),
        ),
        (PathBuf::from("schema/r.sql"), FILE.to_string()),
    ];
    let e = load_sources(&sources).expect_err("a clash").to_string();
    assert!(
        e.contains("schema/r.sql:11") && e.contains("declared at schema/r.yaml:4"),
        "{e}"
    );
}

const TRIGGERS: &str = r#"SET search_path TO app;

CREATE OR REPLACE TRIGGER "Stamp It" BEFORE INSERT OR UPDATE OF title, "Body" ON notes
    FOR EACH ROW
    WHEN (old.title IS DISTINCT FROM new.title AND new.note <> 'WHEN (x)')
    EXECUTE FUNCTION stamp('a,b', 42, plain);
COMMENT ON TRIGGER "Stamp It" ON notes IS 'it''s';
ALTER TABLE ONLY notes ENABLE REPLICA TRIGGER "Stamp It";

create constraint trigger later after delete on app.notes from audit.log
    deferrable initially deferred for each row execute procedure audit.check_it();

CREATE TRIGGER bulk AFTER UPDATE ON notes REFERENCING OLD TABLE AS gone NEW TABLE fresh
    FOR EACH STATEMENT EXECUTE FUNCTION audit.record();
"#;

#[test]
fn triggers_are_read_clause_by_clause() {
    let doc = parse(Path::new("t.sql"), TRIGGERS).expect("parses");
    let [stamp, later, bulk] = doc.sql_triggers.as_slice() else {
        panic!("three triggers: {:?}", doc.sql_triggers);
    };
    assert_eq!(
        (stamp.relation.as_str(), stamp.name.as_str()),
        ("notes", "Stamp It")
    );
    assert_eq!(stamp.line, 3);
    let d = &stamp.doc;
    assert_eq!(d.timing, "before");
    assert_eq!(d.events, ["insert", "update"]);
    assert_eq!(d.columns, ["title", "Body"]);
    assert_eq!(d.for_each.as_deref(), Some("row"));
    assert_eq!(
        d.when.as_deref(),
        Some("old.title IS DISTINCT FROM new.title AND new.note <> 'WHEN (x)'")
    );
    assert_eq!(d.function, "stamp");
    assert_eq!(d.arguments, ["a,b", "42", "plain"]);
    assert_eq!(d.comment.as_deref(), Some("it's"));
    assert_eq!(d.enabled.as_deref(), Some("replica"));
    let l = &later.doc;
    assert!(l.constraint);
    assert_eq!(l.deferrable.as_deref(), Some("initially_deferred"));
    assert_eq!(l.from.as_deref(), Some("audit.log"));
    assert_eq!(l.function, "audit.check_it");
    let b = &bulk.doc;
    assert_eq!(
        (b.old_table.as_deref(), b.new_table.as_deref()),
        (Some("gone"), Some("fresh"))
    );
    assert_eq!(b.for_each.as_deref(), Some("statement"));
}

#[test]
fn a_trigger_clause_out_of_place_is_an_error_with_its_line() {
    let e = parse(
        Path::new("t.sql"),
        "SET search_path TO app;\nCREATE TRIGGER t BEFORE INSERT ON notes EXECUTE FUNCTION f() FOR EACH ROW;\n",
    )
    .expect_err("refused");
    assert_eq!(e.line, 2);
    assert!(e.message.contains("`FOR EACH ROW` is not read"), "{e}");
    let e = parse(
        Path::new("t.sql"),
        "SET search_path TO app;\nALTER TABLE notes DISABLE TRIGGER nothing;\n",
    )
    .expect_err("refused");
    assert!(e.message.contains("no trigger `nothing`"), "{e}");
}

const POLICIES: &str = r#"SET search_path TO app;

CREATE POLICY "Read, own (notes)" ON notes AS RESTRICTIVE FOR SELECT TO authenticated, "Team Lead"
    USING (owner = auth.uid() AND note <> 'USING (x), WITH CHECK');
COMMENT ON POLICY "Read, own (notes)" ON app.notes IS 'it''s';
create policy add_own on app.notes for insert to public with check (owner = auth.uid());
CREATE POLICY everything ON notes;
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE ONLY app.notes FORCE ROW LEVEL SECURITY;
ALTER TABLE notes NO FORCE ROW LEVEL SECURITY;
"#;

#[test]
fn policies_and_row_level_security_are_read_clause_by_clause() {
    let doc = parse(Path::new("p.sql"), POLICIES).expect("parses");
    let [read, add, everything] = doc.sql_policies.as_slice() else {
        panic!("three policies: {:?}", doc.sql_policies);
    };
    assert_eq!(
        (read.table.as_str(), read.name.as_str(), read.line),
        ("notes", "Read, own (notes)", 3)
    );
    let d = &read.doc;
    assert!(d.restrictive);
    assert_eq!(d.command.as_deref(), Some("select"));
    assert_eq!(d.roles, ["authenticated", "Team Lead"]);
    assert_eq!(
        d.using.as_deref(),
        Some("owner = auth.uid() AND note <> 'USING (x), WITH CHECK'")
    );
    assert_eq!(d.with_check, None);
    assert_eq!(d.comment.as_deref(), Some("it's"));
    let a = &add.doc;
    assert_eq!(a.command.as_deref(), Some("insert"));
    assert_eq!(a.roles, ["public"]);
    assert_eq!(a.with_check.as_deref(), Some("owner = auth.uid()"));
    let e = &everything.doc;
    assert_eq!((e.command.as_deref(), e.using.as_deref()), (None, None));
    let switches: Vec<(bool, bool)> = doc
        .sql_row_security
        .iter()
        .map(|s| (s.force, s.on))
        .collect();
    assert_eq!(switches, [(false, true), (true, true), (true, false)]);
}

#[test]
fn a_policy_clause_out_of_place_is_an_error_with_its_line() {
    let e = parse(
        Path::new("p.sql"),
        "SET search_path TO app;\nCREATE POLICY p ON notes USING (true) FOR SELECT;\n",
    )
    .expect_err("refused");
    assert_eq!(e.line, 2);
    assert!(e.message.contains("`FOR SELECT` is not read"), "{e}");
    let e = parse(
        Path::new("p.sql"),
        "SET search_path TO app;\nCOMMENT ON POLICY nothing ON notes IS 'x';\n",
    )
    .expect_err("refused");
    assert!(e.message.contains("no such policy earlier"), "{e}");
    let e = parse(
        Path::new("p.sql"),
        "ALTER TABLE notes ENABLE ROW LEVEL SECURITY, ADD COLUMN x int;\n",
    )
    .expect_err("refused");
    assert!(e.message.contains("is not read from a model file"), "{e}");
}
