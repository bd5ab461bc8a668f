//! The normalization cache: what it returns must be exactly what the shadow returns, cold or
//! warm, and a change to a table must send that table (and those that reference it) through the
//! shadow again, and nothing else.

use crate::harness::server_url;
use crate::support::TempDir;
use autogen::ir::{Column, ColumnType, Schema};
use autogen::model::load_path;
use autogen::shadow::{Normalized, Shadow, normalize};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every golden case's models and the example project's.
fn models() -> Vec<(String, Schema)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root.join("tests/cases"))
        .expect("tests/cases")
        .map(|e| e.expect("case").path())
        .collect();
    cases.sort();
    for case in cases {
        for side in ["from", "to"] {
            let file = case.join(format!("{side}.yaml"));
            let path = if file.exists() { file } else { case.join(side) };
            let name = format!("{}/{side}", case.file_name().unwrap().to_string_lossy());
            out.push((name, load_path(&path).expect("golden model")));
        }
    }
    out.push((
        "schema/".into(),
        load_path(&root.join("schema")).expect("example"),
    ));
    out
}

fn cached(shadow: &mut Shadow, model: &Schema) -> (Schema, usize, usize) {
    match shadow.normalize_model(model.clone()).expect("normalize") {
        Normalized::Done {
            schema,
            objects,
            cached,
        } => (schema, objects, cached),
        Normalized::NoShadow(e, _) => panic!("no shadow: {e}"),
    }
}

#[test]
fn cached_normalization_is_the_shadows_cold_and_warm() {
    let dir = TempDir::new("autogen-cache", "golden");
    let url = server_url();
    let shadow = || Shadow::new(Some(url.clone())).with_cache_dir(Some(dir.to_path_buf()));
    let mut compared = 0;
    for (name, model) in models() {
        // Cases whose models need objects from their setup.sql cannot be created bare.
        let Ok(expected) = normalize(&model, &url, &Default::default()) else {
            continue;
        };
        let (cold, objects, hits) = cached(&mut shadow(), &model);
        assert_eq!(cold, expected, "{name}: cold cache");
        let (warm, _, warm_hits) = cached(&mut shadow(), &model);
        assert_eq!(warm, expected, "{name}: warm cache");
        assert_eq!(
            warm_hits, objects,
            "{name}: the second run still went to the shadow (cold hits: {hits})"
        );
        compared += 1;
    }
    assert!(compared > 150, "only {compared} models compared");
    let files: Vec<_> = std::fs::read_dir(&*dir).unwrap().collect();
    assert_eq!(files.len(), 1, "one cache file for the one server version");
}

#[test]
fn a_changed_table_alone_goes_through_the_shadow_again() {
    let dir = TempDir::new("autogen-cache", "changed");
    let url = server_url();
    let shadow = || Shadow::new(Some(url.clone())).with_cache_dir(Some(dir.to_path_buf()));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = load_path(&root.join("schema")).expect("example");
    let (_, objects, _) = cached(&mut shadow(), &model);
    let mut changed = model.clone();
    let entries = changed
        .tables
        .values_mut()
        .find(|t| t.name.name == "entries")
        .expect("journal.entries");
    entries.columns.insert(
        "rating".into(),
        Column {
            name: "rating".into(),
            ty: ColumnType::parse("varchar(10)").expect("type").0,
            nullable: true,
            default: Some(autogen::ir::Expr::new("'none'")),
            identity: None,
            generated: None,
            collation: None,
            comment: None,
        },
    );
    let (warm, _, hits) = cached(&mut shadow(), &changed);
    // journal.entries misses, and so does every table with a foreign key to it: whether that
    // key can be created depends on the table it references.
    let referencing = model
        .tables
        .values()
        .filter(|t| {
            t.foreign_keys
                .values()
                .any(|fk| fk.ref_table.name == "entries")
        })
        .count();
    assert_eq!(referencing, 1, "habits.checkins references journal.entries");
    assert_eq!(hits, objects - 1 - referencing);
    assert_eq!(
        warm,
        normalize(&changed, &url, &Default::default()).expect("normalize")
    );
    // The default went through Postgres, which adds the cast to the column's type.
    let rating = &warm
        .tables
        .values()
        .find(|t| t.name.name == "entries")
        .unwrap()
        .columns["rating"];
    assert_eq!(
        rating.default.as_ref().map(|e| e.as_str()),
        Some("'none'::character varying")
    );
}

#[test]
fn diff_reports_cache_hits_and_prints_the_same_sql() {
    let dir = TempDir::new("autogen-cache", "cli");
    let db = crate::harness::TestDb::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = |cache: &Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_autogen"))
            .args(["diff", "--timings", "--from"])
            .arg(db.url())
            .arg("--to")
            .arg(root.join("schema"))
            .env("AUTOGEN_DEV_URL", server_url())
            .env("AUTOGEN_CACHE_DIR", cache)
            .output()
            .expect("autogen");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        let line = stderr
            .lines()
            .find_map(|l| l.strip_prefix("timings: "))
            .unwrap_or_else(|| panic!("no timings in {stderr}"))
            .to_string();
        let t: serde_json::Value = serde_json::from_str(&line).expect("timings JSON");
        (String::from_utf8(out.stdout).expect("utf-8"), t)
    };
    let (cold_sql, cold) = run(&dir);
    let (warm_sql, warm) = run(&dir);
    assert_eq!(cold_sql, warm_sql);
    assert!(
        cold_sql.contains("CREATE TABLE journal.entries"),
        "{cold_sql}"
    );
    let objects = cold["to"]["objects"].as_u64().expect("objects");
    assert!(objects >= 4, "{cold}");
    assert_eq!(cold["to"]["cached"].as_u64(), Some(0), "{cold}");
    assert_eq!(warm["to"]["cached"].as_u64(), Some(objects), "{warm}");
    // Off: nothing is written.
    let off = dir.join("off-run");
    std::fs::create_dir_all(&off).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_autogen"))
        .args(["diff", "--from"])
        .arg(db.url())
        .arg("--to")
        .arg(root.join("schema"))
        .env("AUTOGEN_DEV_URL", server_url())
        .env("AUTOGEN_CACHE_DIR", "off")
        .env("HOME", &off)
        .env_remove("XDG_CACHE_HOME")
        .output()
        .expect("autogen");
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), cold_sql);
    assert_eq!(std::fs::read_dir(&off).unwrap().count(), 0);
}
