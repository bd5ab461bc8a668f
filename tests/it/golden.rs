//! Golden cases: `tests/cases/<name>/{from,to}.yaml`, with optional `setup.sql` (run first, for
//! objects the models reference but do not own) and `seed.sql` (rows inserted after `from` is
//! created, so conversions run on data). Each case snapshots its up and down SQL and is
//! round-tripped on Postgres: create `from`, apply up, compare with `to` created directly; apply
//! down, compare with `from`.

use crate::harness::TestDb;
use crate::support::{assert_same, create, read, run};
use autogen::diff::diff;
use autogen::model::load_path;
use autogen::plan::{plan, plan_down};
use autogen::render::{RenderOptions, script};
use autogen::shadow::model_schemas;
use std::path::{Path, PathBuf};

fn case_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases")
        .join(name)
}

fn check_case(name: &str) {
    let dir = case_dir(name);
    let from =
        load_path(&dir.join("from.yaml")).unwrap_or_else(|e| panic!("{name}/from.yaml: {e}"));
    let to = load_path(&dir.join("to.yaml")).unwrap_or_else(|e| panic!("{name}/to.yaml: {e}"));
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
    run(&mut c, &up, "the up migration");
    let after_up = read(&mut c, &schemas);
    assert_same(
        &after_up,
        &target,
        &format!("{name}: after up, compared with `to`"),
    );
    run(&mut c, &down, "the down migration");
    let after_down = read(&mut c, &schemas);
    assert_same(
        &after_down,
        &before,
        &format!("{name}: after down, compared with `from`"),
    );
    // Idempotence of the comparison itself: the database compared with itself.
    assert!(diff(&after_down, &before).is_empty());
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

cases!(create_everything,);
