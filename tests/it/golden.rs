//! Golden cases: `tests/cases/<name>/{from,to}.yaml`, with optional `setup.sql` (run first, for
//! objects the models reference but do not own) and `seed.sql` (rows inserted after `from` is
//! created, so conversions run on data). Each case snapshots its up and down SQL and is
//! round-tripped on Postgres: create `from`, apply up, compare with `to` created directly; apply
//! down, compare with `from`.

use crate::harness::TestDb;
use crate::support::{assert_same, create, read, run};
use autogen::diff::diff;
use autogen::migrate::split::split;
use autogen::model::load_path;
use autogen::model::model_schemas;
use autogen::plan::Plan;
use autogen::plan::{PlanOptions, plan, plan_down, plan_down_with, plan_with};
use autogen::render::{RenderOptions, batches, script};
use std::path::{Path, PathBuf};

fn case_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases")
        .join(name)
}

fn check_case(name: &str) {
    let dir = case_dir(name);
    // Each side is one file, or a folder of files when it spans several schemas.
    let side = |s: &str| {
        let file = dir.join(format!("{s}.yaml"));
        let path = if file.exists() { file } else { dir.join(s) };
        load_path(&path).unwrap_or_else(|e| panic!("{name}/{s}: {e}"))
    };
    let mut from = side("from");
    let mut to = side("to");
    // A view's query, a function, a trigger's condition and a policy's expressions are only comparable as Postgres stores them, and what they
    // read is only known from pg_depend: sides with either go through the shadow, as every
    // command takes them.
    if !from.views.is_empty()
        || !to.views.is_empty()
        || !from.functions.is_empty()
        || !to.functions.is_empty()
        || from.triggers().next().is_some()
        || to.triggers().next().is_some()
        || from.policies().next().is_some()
        || to.policies().next().is_some()
    {
        let server = crate::harness::server_url();
        let platform = autogen::shadow::Platform::default();
        let shadow = |s: &autogen::ir::Schema, which: &str| {
            autogen::shadow::normalize(s, &server, &platform)
                .unwrap_or_else(|e| panic!("{name}/{which}: {e}"))
        };
        from = shadow(&from, "from");
        to = shadow(&to, "to");
    }
    let changes = diff(&from, &to);
    assert!(
        !changes.is_empty(),
        "case `{name}` has no changes: it tests nothing"
    );
    let opts = RenderOptions::default();
    let up = plan(changes.clone());
    let down = plan_down(&changes);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::assert_snapshot!(format!("{name}.up"), script(&up, &opts));
        insta::assert_snapshot!(format!("{name}.down"), script(&down, &opts));
    });

    same_units(name, &up, &opts);
    same_units(name, &down, &opts);

    let mut schemas = model_schemas(&from);
    schemas.extend(model_schemas(&to));
    let setup = std::fs::read_to_string(dir.join("setup.sql")).unwrap_or_default();
    let seed = std::fs::read_to_string(dir.join("seed.sql")).unwrap_or_default();

    // The target, created directly from `to`.
    let target_db = TestDb::new();
    let mut t = target_db.client();
    t.batch_execute(&setup).expect("setup.sql");
    create(&mut t, &to);
    let target = read(&mut t, &schemas);

    let db = TestDb::new();
    let mut c = db.client();
    c.batch_execute(&setup).expect("setup.sql");
    create(&mut c, &from);
    c.batch_execute(&seed)
        .unwrap_or_else(|e| panic!("{name}/seed.sql: {e}"));
    let before = read(&mut c, &schemas);
    let rows_before = rows(&mut c, &from);
    run(&mut c, &up, "the up migration");
    let after_up = read(&mut c, &schemas);
    readable(&mut c, &to, name, "up");
    same_rows(&rows_before, &rows(&mut c, &to), name, "up");
    assert_same(
        &after_up,
        &target,
        &format!("{name}: after up, compared with `to`"),
    );
    run(&mut c, &down, "the down migration");
    let after_down = read(&mut c, &schemas);
    readable(&mut c, &from, name, "down");
    same_rows(&rows_before, &rows(&mut c, &from), name, "down");
    assert_same(
        &after_down,
        &before,
        &format!("{name}: after down, compared with `from`"),
    );
    // Idempotence of the comparison itself: the database compared with itself.
    assert!(diff(&after_down, &before).is_empty());

    // The plain form (`--no-online`) of the steps that have a lock-friendly one runs too.
    if up.steps.iter().chain(&down.steps).any(|s| s.online) {
        let offline = PlanOptions { online: false };
        let db = TestDb::new();
        let mut c = db.client();
        c.batch_execute(&setup).expect("setup.sql");
        create(&mut c, &from);
        c.batch_execute(&seed).expect("seed.sql");
        run(
            &mut c,
            &plan_with(changes.clone(), offline),
            "the plain up migration",
        );
        assert_same(
            &read(&mut c, &schemas),
            &target,
            &format!("{name}: after the plain up, compared with `to`"),
        );
        run(
            &mut c,
            &plan_down_with(&changes, offline),
            "the plain down migration",
        );
        assert_same(
            &read(&mut c, &schemas),
            &before,
            &format!("{name}: after the plain down, compared with `from`"),
        );
    }
}

/// Rows per table and per view of `schema`, read through the views themselves. Materialized
/// views are left out: one re-created holds the rows of now, not of its last refresh.
fn rows(c: &mut postgres::Client, schema: &autogen::ir::Schema) -> Vec<(String, i64)> {
    use autogen::ir::quote::qname;
    let mut out = Vec::new();
    let relations = schema.tables.keys().chain(
        schema
            .views
            .values()
            .filter(|v| !v.materialized)
            .map(|v| &v.name),
    );
    for q in relations {
        let n: i64 = c
            .query_one(&format!("SELECT count(*) FROM {}", qname(q)), &[])
            .map(|r| r.get(0))
            .unwrap_or(-1);
        out.push((q.to_string(), n));
    }
    out
}

/// Every view of `schema` that holds rows can be read after the migration.
fn readable(c: &mut postgres::Client, schema: &autogen::ir::Schema, name: &str, step: &str) {
    for v in schema.views.values().filter(|v| v.with_data) {
        let sql = format!("SELECT * FROM {}", autogen::ir::quote::qname(&v.name));
        if let Err(e) = c.batch_execute(&sql) {
            panic!("{name}: after {step}, `{}` cannot be read: {e}", v.name);
        }
    }
}

/// The rows of what both sides have are all still there (conversions keep rows; only a
/// dropped table takes its rows).
fn same_rows(before: &[(String, i64)], after: &[(String, i64)], name: &str, step: &str) {
    for (rel, n) in after {
        if let Some((_, m)) = before.iter().find(|(r, _)| r == rel) {
            assert_eq!(
                n, m,
                "{name}: after {step}, `{rel}` holds {n} rows, {m} before"
            );
        }
    }
}

/// What the round trip runs (the plan's batches) is what the runner runs from the written file
/// (the lexer's units of the script): same statements, same transactions.
fn same_units(name: &str, plan: &Plan, opts: &RenderOptions) {
    let from_file: Vec<(bool, Vec<String>)> = split(&script(plan, opts))
        .into_iter()
        .map(|u| {
            (
                u.transactional,
                u.statements.into_iter().map(|s| s.sql).collect(),
            )
        })
        .collect();
    let from_plan: Vec<(bool, Vec<String>)> = batches(plan, opts)
        .into_iter()
        .map(|b| (b.transactional, b.statements))
        .collect();
    assert_eq!(
        from_plan, from_file,
        "{name}: the plan's batches differ from the file's units"
    );
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check_case(stringify!($name));
            }
        )*

        /// Every folder under tests/cases is listed above, so no case is silently skipped.
        #[test]
        fn every_case_folder_is_listed() {
            let listed: std::collections::BTreeSet<&str> = [$(stringify!($name)),*].into_iter().collect();
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
            for entry in std::fs::read_dir(dir).expect("tests/cases") {
                let name = entry.expect("entry").file_name().to_string_lossy().to_string();
                assert!(listed.contains(name.as_str()), "tests/cases/{name} is not listed in tests/it/golden.rs");
            }
        }
    };
}

cases!(
    add_check,
    add_column_not_null_default,
    add_column_nullable,
    add_foreign_key_composite,
    add_identity,
    add_primary_key,
    add_serial_column,
    add_unique,
    array_columns,
    array_element_type_change,
    bool_to_text_with_default,
    change_check,
    change_default,
    change_everything_at_once,
    collation_change,
    column_comment,
    column_using_and_enum_widths,
    composite_primary_key_change,
    create_everything,
    domain_alter,
    domain_create,
    domain_drop,
    domain_over_enum_and_domain,
    domain_rebuild_base_type,
    drop_column,
    drop_default,
    drop_index,
    drop_not_null,
    drop_schema,
    drop_serial_column,
    drop_tables_with_foreign_keys,
    enum_add_value_and_use_it,
    enum_add_value_end,
    enum_add_value_first,
    enum_add_value_middle,
    enum_array_column_rebuild,
    enum_comment,
    enum_create,
    enum_drop,
    enum_rebuild_with_dependent_index,
    enum_remove_value_with_remap,
    enum_rename_type,
    enum_rename_value,
    enum_reorder,
    enum_to_another_enum,
    enum_used_in_two_tables,
    exclusion_constraint,
    extension_add,
    float_to_double,
    foreign_key_actions_change,
    foreign_key_cycle,
    foreign_key_deferrable_match_full,
    foreign_key_to_external_table,
    function_change_attributes,
    function_create,
    function_overloads,
    function_recreate_with_table_dependents,
    function_recreate_with_view,
    function_used_by_table_expressions,
    generated_column_add,
    generated_expression_change,
    generated_to_plain,
    grants_change,
    grants_each_kind,
    grants_enum_value_added,
    grants_on_new_objects,
    grants_recreated,
    grants_view_over_added_column,
    hostile_names,
    hostile_names_rename,
    identity_always_to_by_default,
    index_change_predicate,
    index_expression,
    index_methods,
    index_opclass_and_collation,
    index_order_and_nulls,
    index_partial,
    index_unique_include,
    int_to_bigint,
    long_default_names,
    many_builtin_types,
    matview_alter,
    matview_query_change,
    multi_schema_cross_fk,
    numeric_precision_change,
    numeric_to_unconstrained,
    policy_change,
    policy_recreate_around_changes,
    rename_column,
    rename_constraint,
    rename_index,
    rename_referenced_column,
    rename_table,
    rename_table_and_change_it,
    rename_table_to_other_schema,
    rls_policies_create,
    schema_comment,
    self_referencing_foreign_key,
    sequence_alter,
    sequence_create,
    sequence_owned_by,
    serial_columns,
    set_not_null,
    table_comment_change,
    text_to_integer,
    timestamp_precision,
    timestamp_to_timestamptz,
    timestamptz_to_timestamp,
    trigger_change,
    trigger_create,
    trigger_on_renamed_table_and_column,
    trigger_recreate_around_changes,
    unconstrained_to_numeric,
    unique_deferrable,
    unique_nulls_not_distinct,
    varchar_narrow,
    varchar_to_text,
    varchar_widen,
    view_column_drop,
    view_column_type_change,
    view_create,
    view_domain_rebuild,
    view_drop,
    view_enum_rebuild,
    view_options_change,
    view_over_renamed_table,
    view_replace,
);
