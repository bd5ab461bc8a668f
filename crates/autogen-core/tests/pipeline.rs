//! The comparator, planner and renderer on schemas built from YAML text, without a database:
//! what each stage decides from the IR alone. (The golden cases in the CLI crate run the same
//! stages' output on Postgres.)

use autogen_core::diff::{Change, EnumPosition, diff, invert};
use autogen_core::plan::{Hazard, PlanOptions, plan, plan_down, plan_with};
use autogen_core::render::{RenderOptions, batches, script, statements};
use autogen_model::ir::{QName, Schema};
use autogen_model::model::load_sources;
use std::path::PathBuf;

fn schema(yaml: &str) -> Schema {
    load_sources(&[(PathBuf::from("model.yaml"), yaml.to_string())])
        .unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

const ENTRIES: &str = "schema: app
enums:
  status:
    values: [draft, archived]
tables:
  entries:
    columns:
      id: { type: integer }
      status: { type: status }
      body: { type: text }
      created: { type: timestamp }
    primary_key: [id]
";

#[test]
fn equal_schemas_have_no_changes_and_the_inverse_of_a_diff_leads_back() {
    let a = schema(ENTRIES);
    assert!(diff(&a, &a).is_empty());
    let b = schema(&ENTRIES.replace("      body: { type: text }\n", ""));
    let changes = diff(&a, &b);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(matches!(&changes[0], Change::DropColumn { column, .. } if column.name == "body"));
    let back = invert(&changes);
    assert!(
        matches!(&back[0], Change::AddColumn { column, .. } if column.name == "body"),
        "{back:?}"
    );
}

#[test]
fn an_enum_value_added_in_the_middle_keeps_its_position() {
    let a = schema(ENTRIES);
    let b = schema(&ENTRIES.replace("[draft, archived]", "[draft, published, archived]"));
    let changes = diff(&a, &b);
    assert_eq!(changes.len(), 1, "{changes:?}");
    match &changes[0] {
        Change::AddEnumValue {
            value, position, ..
        } => {
            assert_eq!(value, "published");
            assert!(
                matches!(position, EnumPosition::After(v) if v == "draft")
                    || matches!(position, EnumPosition::Before(v) if v == "archived"),
                "{position:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    let sql = statements(&changes[0], &RenderOptions::default()).join(";\n");
    assert!(
        sql.starts_with("ALTER TYPE app.status ADD VALUE 'published'"),
        "{sql}"
    );
}

#[test]
fn a_rename_hint_renames_instead_of_dropping_and_adding() {
    let a = schema(ENTRIES);
    let b = schema(&ENTRIES.replace(
        "      body: { type: text }\n",
        "      content: { type: text, renamed_from: body }\n",
    ));
    let changes = diff(&a, &b);
    assert!(
        matches!(changes.as_slice(), [Change::RenameColumn { from, to, .. }] if from == "body" && to == "content"),
        "{changes:?}"
    );
    let up = plan(changes);
    assert!(
        up.steps.iter().all(|s| !s
            .hazards
            .iter()
            .any(|h| matches!(h, Hazard::DataLoss { .. }))),
        "a rename loses nothing"
    );
}

#[test]
fn timestamp_to_timestamptz_is_a_type_change_that_keeps_every_value() {
    let a = schema(ENTRIES);
    let b = schema(&ENTRIES.replace(
        "created: { type: timestamp }",
        "created: { type: timestamptz }",
    ));
    let changes = diff(&a, &b);
    assert!(
        matches!(changes.as_slice(), [Change::AlterColumn { .. }]),
        "{changes:?}"
    );
    assert!(!changes[0].loses_data());
    let opts = RenderOptions {
        time_zone: "Europe/Paris".into(),
    };
    let sql = statements(&changes[0], &opts).join(";\n");
    assert!(
        sql.contains("timestamptz") && sql.contains("'Europe/Paris'"),
        "the conversion reads wall-clock values in the configured zone: {sql}"
    );
}

#[test]
fn dropping_a_column_is_typed_data_loss_naming_its_table_and_its_undo_says_so() {
    let a = schema(ENTRIES);
    let b = schema(&ENTRIES.replace("      body: { type: text }\n", ""));
    let changes = diff(&a, &b);
    let up = plan(changes.clone());
    let loss: Vec<&Vec<QName>> = up.steps[0]
        .hazards
        .iter()
        .filter_map(|h| match h {
            Hazard::DataLoss { tables, .. } => Some(tables),
            _ => None,
        })
        .collect();
    assert_eq!(loss, vec![&vec![QName::new("app", "entries")]]);
    let down = plan_down(&changes);
    assert!(
        down.steps[0].hazards.contains(&Hazard::NotRestored),
        "{down:?}"
    );
}

#[test]
fn foreign_keys_are_dropped_before_the_tables_they_reference() {
    let a = schema(
        "schema: app
tables:
  users:
    columns:
      id: { type: integer }
    primary_key: [id]
  notes:
    columns:
      id: { type: integer }
      user_id: { type: integer, references: users }
    primary_key: [id]
",
    );
    let b = schema("schema: app\n");
    let up = plan(diff(&a, &b));
    let sql = script(&up, &RenderOptions::default());
    let notes = sql.find("DROP TABLE app.notes").expect(&sql);
    let users = sql.find("DROP TABLE app.users").expect(&sql);
    assert!(notes < users, "{sql}");
    // And created in the other order by the inverse.
    let down = script(&plan_down(&diff(&a, &b)), &RenderOptions::default());
    let users = down.find("CREATE TABLE app.users").expect(&down);
    let notes = down.find("CREATE TABLE app.notes").expect(&down);
    assert!(users < notes, "{down}");
}

#[test]
fn a_new_enum_value_is_committed_before_the_step_that_uses_it() {
    let a = schema(ENTRIES);
    let b = schema(
        &ENTRIES
            .replace("[draft, archived]", "[draft, archived, hidden]")
            .replace(
                "      status: { type: status }\n",
                "      status: { type: status, default: \"'hidden'\" }\n",
            ),
    );
    let up = plan(diff(&a, &b));
    let i = up
        .steps
        .iter()
        .position(|s| !matches!(s.change, Change::AddEnumValue { .. }))
        .expect("a step after the addition");
    assert!(up.steps[i].commit_before, "{up:?}");
    let units = batches(&up, &RenderOptions::default());
    assert_eq!(units.len(), 2, "{units:?}");
    assert!(units[0].statements[0].contains("ADD VALUE 'hidden'"));
}

#[test]
fn an_index_on_an_existing_table_is_built_concurrently_in_a_batch_of_its_own() {
    let a = schema(ENTRIES);
    let b = schema(&format!(
        "{ENTRIES}    indexes:\n      entries_created_idx: {{ columns: [created] }}\n"
    ));
    let up = plan(diff(&a, &b));
    assert!(up.steps[0].outside_transaction(), "{up:?}");
    let units = batches(&up, &RenderOptions::default());
    assert_eq!(units.len(), 1);
    assert!(!units[0].transactional);
    assert!(units[0].statements[0].starts_with("CREATE INDEX CONCURRENTLY"));

    // Offline, the same index is built in the transaction.
    let offline = plan_with(diff(&a, &b), PlanOptions { online: false });
    let units = batches(&offline, &RenderOptions::default());
    assert!(units[0].transactional);
    assert!(!units[0].statements[0].contains("CONCURRENTLY"));

    // On a table created by the same plan there is nothing to wait for.
    let fresh = plan(diff(&schema("schema: app\n"), &b));
    assert!(fresh.steps.iter().all(|s| !s.online), "{fresh:?}");
}

#[test]
fn names_are_quoted_wherever_they_reach_sql() {
    let a = schema("schema: app\n");
    let b = schema(
        "schema: \"Odd Schema\"
tables:
  select:
    columns:
      \"a \\\"quoted\\\" col\": { type: text }
      MixedCase: { type: integer }
",
    );
    let sql = script(&plan(diff(&a, &b)), &RenderOptions::default());
    assert!(sql.contains("CREATE SCHEMA \"Odd Schema\""), "{sql}");
    assert!(sql.contains("\"Odd Schema\".\"select\""), "{sql}");
    assert!(sql.contains("\"a \"\"quoted\"\" col\" text"), "{sql}");
    assert!(sql.contains("\"MixedCase\" integer"), "{sql}");
}

#[test]
fn the_same_inputs_render_byte_identical_scripts() {
    let a = schema("schema: app\n");
    let b = schema(ENTRIES);
    let one = script(&plan(diff(&a, &b)), &RenderOptions::default());
    let two = script(&plan(diff(&a, &b)), &RenderOptions::default());
    assert_eq!(one, two);
    assert!(one.contains("-- 1. "), "{one}");
}

#[test]
fn a_check_on_an_existing_table_is_added_not_valid_and_validated_in_a_later_transaction() {
    let a = schema(ENTRIES);
    let b = schema(&format!(
        "{ENTRIES}    checks:\n      body_not_empty: \"body <> ''\"\n"
    ));
    let up = plan(diff(&a, &b));
    assert!(up.steps[0].online, "{up:?}");
    assert!(
        up.steps[0]
            .hazards
            .iter()
            .any(|h| matches!(h, Hazard::MayFail(_))),
        "{up:?}"
    );
    let units = batches(&up, &RenderOptions::default());
    assert_eq!(units.len(), 2, "{units:?}");
    assert!(units.iter().all(|u| u.transactional));
    assert!(units[0].statements[0].ends_with("NOT VALID"), "{units:?}");
    assert!(
        units[1].statements[0].contains("VALIDATE CONSTRAINT body_not_empty"),
        "{units:?}"
    );
}

#[test]
fn set_not_null_online_is_proven_by_a_validated_check_before_it_runs() {
    let a = schema(&ENTRIES.replace(
        "      body: { type: text }\n",
        "      body: { type: text, nullable: true }\n",
    ));
    let b = schema(ENTRIES);
    let up = plan(diff(&a, &b));
    let units = batches(&up, &RenderOptions::default());
    let sql: Vec<&str> = units
        .iter()
        .flat_map(|u| u.statements.iter().map(String::as_str))
        .collect();
    let check = sql
        .iter()
        .position(|s| s.contains("IS NOT NULL) NOT VALID"));
    let validate = sql.iter().position(|s| s.contains("VALIDATE CONSTRAINT"));
    let set = sql.iter().position(|s| s.contains("SET NOT NULL"));
    assert!(
        matches!((check, validate, set), (Some(c), Some(v), Some(s)) if c < v && v < s),
        "{sql:#?}"
    );
    assert!(
        units.len() >= 3,
        "each phase in a transaction of its own: {units:?}"
    );
}
