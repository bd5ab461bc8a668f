//! Bad model input is rejected before anything is touched, with file:line:column, the object,
//! and what to do.

use autogen::model::load_sources;
use std::path::PathBuf;

fn error_of(files: &[(&str, &str)]) -> String {
    let sources: Vec<(PathBuf, String)> = files
        .iter()
        .map(|(p, t)| (PathBuf::from(p), t.to_string()))
        .collect();
    match load_sources(&sources) {
        Ok(_) => panic!("the model was accepted"),
        Err(e) => {
            let help = e.help_text().unwrap_or_default();
            format!("{e} | help: {help}")
        }
    }
}

#[test]
fn unknown_key_names_file_line_and_key() {
    let e = error_of(&[(
        "schema/a.yaml",
        "schema: app\ntables:\n  t:\n    columns:\n      id: { type: int, nullabel: true }\n",
    )]);
    assert!(e.starts_with("schema/a.yaml:5:"), "{e}");
    assert!(e.contains("nullabel"), "{e}");
}

#[test]
fn duplicate_table_is_an_error_not_a_silent_overwrite() {
    let e = error_of(&[(
        "a.yaml",
        "tables:\n  t:\n    columns:\n      id: { type: int }\n  t:\n    columns:\n      x: { type: int }\n",
    )]);
    assert!(e.starts_with("a.yaml:5:"), "{e}");
    assert!(e.to_lowercase().contains("duplicate"), "{e}");
}

#[test]
fn same_table_in_two_files_names_both() {
    let t = "schema: app\ntables:\n  t:\n    columns:\n      id: { type: int }\n";
    let e = error_of(&[("one.yaml", t), ("two.yaml", t)]);
    assert!(e.contains("two.yaml:") && e.contains("one.yaml:"), "{e}");
    assert!(e.contains("`app.t`"), "{e}");
}

#[test]
fn unknown_type_says_what_to_do() {
    let e = error_of(&[(
        "a.yaml",
        "schema: app\ntables:\n  t:\n    columns:\n      s: { type: staus }\n",
    )]);
    assert!(
        e.contains("a.yaml:5:") && e.contains("unknown type `staus`"),
        "{e}"
    );
    assert!(e.contains("enums:"), "{e}");
}

#[test]
fn unknown_type_suggests_the_qualified_enum() {
    let e = error_of(&[
        ("a.yaml", "schema: shared\nenums:\n  mood: [a]\n"),
        (
            "b.yaml",
            "schema: app\ntables:\n  t:\n    columns:\n      m: { type: mood }\n",
        ),
    ]);
    assert!(e.contains("`shared.mood`"), "{e}");
}

#[test]
fn reference_to_unknown_column() {
    let e = error_of(&[(
        "a.yaml",
        "tables:\n  t:\n    columns:\n      id: { type: int }\n    primary_key: [idd]\n",
    )]);
    assert!(
        e.contains("`idd`") && e.contains("the columns are: id"),
        "{e}"
    );
}

#[test]
fn foreign_key_to_undeclared_table_in_a_managed_schema() {
    let e = error_of(&[(
        "a.yaml",
        "schema: app\ntables:\n  t:\n    columns:\n      p: { type: int, references: parent(id) }\n",
    )]);
    assert!(
        e.contains("`app.parent`") && e.contains("does not declare"),
        "{e}"
    );
}

#[test]
fn identifiers_over_63_bytes() {
    let long = "x".repeat(64);
    let e = error_of(&[(
        "a.yaml",
        &format!("tables:\n  {long}:\n    columns:\n      id: {{ type: int }}\n"),
    )]);
    assert!(e.contains("64 bytes") && e.contains("63"), "{e}");
}

#[test]
fn index_and_table_with_the_same_name() {
    let e = error_of(&[(
        "a.yaml",
        "tables:\n  t:\n    columns:\n      id: { type: int }\n    indexes:\n      u: { columns: [id] }\n  u:\n    columns:\n      id: { type: int }\n",
    )]);
    assert!(e.contains("same name"), "{e}");
}

#[test]
fn expression_with_a_second_statement_is_refused() {
    let e = error_of(&[(
        "a.yaml",
        "tables:\n  t:\n    columns:\n      id: { type: int, default: \"1; DROP TABLE users\" }\n",
    )]);
    assert!(e.contains("`;`"), "{e}");
}

#[test]
fn bad_type_modifiers() {
    let e = error_of(&[(
        "a.yaml",
        "tables:\n  t:\n    columns:\n      n: { type: \"numeric(2,5)\" }\n",
    )]);
    assert!(e.contains("numeric(2,5)"), "{e}");
}

#[test]
fn remap_to_a_value_the_enum_does_not_keep() {
    let e = error_of(&[(
        "a.yaml",
        "enums:\n  s:\n    values: [a, b]\n    remap: { c: z }\n",
    )]);
    assert!(e.contains("`z`"), "{e}");
}

#[test]
fn domain_over_itself_is_refused() {
    let e = error_of(&[(
        "d.yaml",
        "schema: app\ndomains:\n  a: { type: b }\n  b: { type: a }\n",
    )]);
    assert!(e.contains("defined in terms of itself"), "{e}");
    assert!(
        e.starts_with("d.yaml:3:") || e.starts_with("d.yaml:4:"),
        "{e}"
    );
}

#[test]
fn domain_and_enum_of_the_same_name_name_both_places() {
    let e = error_of(&[(
        "d.yaml",
        "schema: app\nenums:\n  mood: [a, b]\ndomains:\n  mood: text\n",
    )]);
    assert!(e.starts_with("d.yaml:5:") && e.contains("d.yaml:3"), "{e}");
}

#[test]
fn domain_with_unknown_base_type_points_at_it() {
    let e = error_of(&[("d.yaml", "schema: app\ndomains:\n  email: { type: txet }\n")]);
    assert!(
        e.starts_with("d.yaml:3:") && e.contains("unknown type `txet`"),
        "{e}"
    );
}

const TRIGGER_TABLE: &str = "schema: app
tables:
  notes:
    columns:
      id: { type: int }
      title: { type: text }
functions:
  touch:
    returns: trigger
    language: plpgsql
    body: BEGIN RETURN NEW; END
";

/// Each trigger of `triggers` (YAML under `notes:`), loaded with the table and its function.
fn trigger_error(triggers: &str) -> String {
    let yaml = TRIGGER_TABLE.replace(
        "      title: { type: text }\n",
        &format!("      title: {{ type: text }}\n    triggers:\n{triggers}"),
    );
    error_of(&[("schema/app.yaml", &yaml)])
}

#[test]
fn triggers_postgres_would_refuse_are_model_errors_with_their_line() {
    let cases = [
        (
            "      t:\n        timing: before\n        events: [insert]\n        function: nowhere\n",
            "function `nowhere` is no function of schema `app`",
        ),
        (
            "      t:\n        timing: instead of\n        events: [insert]\n        for_each: row\n        function: touch\n",
            "INSTEAD OF trigger is only for a view",
        ),
        (
            "      t:\n        timing: after\n        events: [update]\n        columns: [missing]\n        function: touch\n",
            "`columns` names `missing`, which is not a column of the table",
        ),
        (
            "      t:\n        timing: after\n        events: [insert, update]\n        new_table: added\n        function: touch\n",
            "transition tables fires on one event only",
        ),
        (
            "      t:\n        timing: before\n        events: [truncate]\n        for_each: row\n        function: touch\n",
            "a TRUNCATE trigger is FOR EACH STATEMENT",
        ),
        (
            "      t:\n        timing: before\n        events: [insert]\n        function: app.touch\n        enabled: sometimes\n",
            "`enabled: sometimes` is not a trigger state",
        ),
    ];
    for (triggers, wanted) in cases {
        let e = trigger_error(triggers);
        assert!(e.starts_with("schema/app.yaml:9:"), "{e}");
        assert!(
            e.contains("trigger `t` on `app.notes`") && e.contains(wanted),
            "{e}"
        );
    }
}

#[test]
fn a_trigger_in_yaml_and_in_sql_names_both_files_and_one_on_no_table_is_refused() {
    let yaml = TRIGGER_TABLE.replace(
        "      title: { type: text }\n",
        "      title: { type: text }\n    triggers:\n      t:\n        timing: before\n        events: [insert]\n        function: touch\n",
    );
    let sql = "SET search_path TO app;\n\nCREATE TRIGGER t BEFORE INSERT ON notes\n  EXECUTE FUNCTION touch();\n";
    let e = error_of(&[("schema/app.yaml", &yaml), ("schema/app.sql", sql)]);
    assert!(
        e.contains("schema/app.sql:3") && e.contains("also at schema/app.yaml:9"),
        "{e}"
    );
    let sql = "SET search_path TO app;\nCREATE TRIGGER t BEFORE INSERT ON nowhere EXECUTE FUNCTION touch();\n";
    let e = error_of(&[("schema/app.yaml", TRIGGER_TABLE), ("schema/app.sql", sql)]);
    assert!(
        e.starts_with("schema/app.sql:2") && e.contains("`app.nowhere`, which is no table or view"),
        "{e}"
    );
}

const POLICY_TABLE: &str = "schema: app
tables:
  notes:
    columns:
      id: { type: integer, primary_key: true }
      owner: { type: text }
";

#[test]
fn policies_postgres_would_refuse_or_change_are_model_errors_with_their_line() {
    let cases = [
        (
            "      p:\n        command: insert\n        using: owner = current_user\n",
            "an INSERT policy has no `using`",
        ),
        (
            "      p:\n        command: select\n        with_check: owner = current_user\n",
            "a SELECT policy has no `with_check`",
        ),
        (
            "      p:\n        command: upsert\n",
            "`command: upsert` is not a policy command",
        ),
        (
            "      p:\n        roles: [public, authenticated]\n        using: \"true\"\n",
            "lists `public` with other roles",
        ),
        (
            "      p:\n        roles: [current_user]\n        using: \"true\"\n",
            "names whichever role runs the migration",
        ),
        (
            "      p:\n        using: \"true); DROP TABLE app.notes; SELECT (1\"\n",
            "`using` is not one expression",
        ),
    ];
    for (policies, wanted) in cases {
        let yaml = format!("{POLICY_TABLE}    policies:\n{policies}");
        let e = error_of(&[("schema/app.yaml", &yaml)]);
        assert!(e.starts_with("schema/app.yaml:9:"), "{e}");
        assert!(
            e.contains("policy `p` on `app.notes`") && e.contains(wanted),
            "{e}"
        );
    }
}

#[test]
fn a_policy_in_yaml_and_in_sql_names_both_files_and_one_on_a_view_or_no_table_is_refused() {
    let yaml = format!("{POLICY_TABLE}    policies:\n      p:\n        using: \"true\"\n");
    let sql = "SET search_path TO app;\n\nCREATE POLICY p ON notes USING (false);\n";
    let e = error_of(&[("schema/app.yaml", &yaml), ("schema/app.sql", sql)]);
    assert!(
        e.contains("schema/app.sql:3") && e.contains("also at schema/app.yaml:9"),
        "{e}"
    );
    let sql = "SET search_path TO app;\nCREATE VIEW v AS SELECT id FROM app.notes;\nCREATE POLICY p ON v USING (true);\n";
    let e = error_of(&[("schema/app.yaml", POLICY_TABLE), ("schema/app.sql", sql)]);
    assert!(
        e.starts_with("schema/app.sql:3") && e.contains("on the view `app.v`"),
        "{e}"
    );
    let sql = "SET search_path TO app;\nALTER TABLE nowhere ENABLE ROW LEVEL SECURITY;\n";
    let e = error_of(&[("schema/app.yaml", POLICY_TABLE), ("schema/app.sql", sql)]);
    assert!(
        e.starts_with("schema/app.sql:2") && e.contains("`app.nowhere`, which is no table"),
        "{e}"
    );
}
