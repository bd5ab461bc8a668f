//! Property tests (proptest), bounded so CI spends seconds on them: identifier quoting and
//! literals round-trip through real Postgres for any text; a model whose every name is hostile
//! loads, is created exactly, and reads back with nothing left to diff; and the YAML loader
//! answers any mangled model with a model or an error, never a panic. A failure is shrunk to a
//! smallest case, printed, and saved in `properties.regressions` beside this file, which later
//! runs try first. `PROPTEST_CASES=<n>` runs more cases of each.

use crate::harness::TestDb;
use autogen::ir::quote::{ident, literal};
use autogen::model::load_sources;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};
use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn runner(default_cases: u32) -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_cases);
    TestRunner::new(Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        source_file: Some(file!()),
        ..Config::default()
    })
}

fn check<T: std::fmt::Debug>(result: Result<(), proptest::test_runner::TestError<T>>, what: &str) {
    if let Err(e) = result {
        panic!("{what}: {e}");
    }
}

/// Text built to hit the quoting rules (quotes, backslashes, `;`, `--`, spaces, capitals, digits
/// first, reserved words, multi-byte characters), or any text at all but NUL, which Postgres
/// refuses; cut to at most 63 bytes, Postgres's limit, on a character boundary.
fn nasty_name() -> impl Strategy<Value = String> {
    const PIECES: &[&str] = &[
        "\"",
        "'",
        "\\",
        ";",
        "--",
        "/*",
        " ",
        "A",
        "z",
        "_",
        "1",
        "$",
        "é",
        "ß",
        "名",
        "🙂",
        "select",
        "user",
        "DROP TABLE x",
        "\t",
        "\n",
        "%",
        "?",
        ")",
        "(",
        "`",
        "::",
        ".",
    ];
    let pieces = prop::collection::vec(prop::sample::select(PIECES), 1..8).prop_map(|p| p.concat());
    prop_oneof![pieces, "[^\\x00]{1,40}"].prop_filter_map("empty", |mut s: String| {
        while s.len() > 63 {
            s.pop();
        }
        (!s.is_empty()).then_some(s)
    })
}

#[test]
fn any_name_and_literal_round_trips_through_postgres() {
    let db = TestDb::new();
    let client = RefCell::new(db.client());
    let result = runner(256).run(&nasty_name(), |name| {
        let mut c = client.borrow_mut();
        // Rolled back: a failing case leaves nothing behind for its shrunk retries to trip on.
        let mut tx = c.transaction().expect("begin");
        let sql = format!(
            "CREATE TABLE {t} ({col} int); COMMENT ON TABLE {t} IS {lit}",
            t = ident(&name),
            col = ident(&format!("c{name}").chars().take(40).collect::<String>()),
            lit = literal(&name)
        );
        tx.batch_execute(&sql)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{sql}")))?;
        let row = tx
            .query_one(
                "SELECT c.relname::text, obj_description(c.oid, 'pg_class') FROM pg_class c \
                 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'",
                &[],
            )
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (got, comment): (String, String) = (row.get(0), row.get(1));
        prop_assert_eq!(&got, &name, "the table's name");
        prop_assert_eq!(&comment, &name, "the literal");
        Ok(())
    });
    check(result, "quoting");
}

/// Six names that stay distinct after Postgres's 63-byte cut, and differ from the names
/// Postgres makes up itself (`_pkey`, `_fkey`, array types).
fn six_names() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(nasty_name(), 6).prop_filter("names meet", |v| {
        let distinct: BTreeSet<&String> = v.iter().collect();
        distinct.len() == v.len()
            && v.iter()
                .all(|n| !n.ends_with("_pkey") && !n.ends_with("_fkey") && !n.starts_with('_'))
    })
}

/// Any text as a YAML double-quoted scalar: what YAML does not count as printable is escaped.
fn y(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' => {
                out.push(c)
            }
            c if c > '\u{ffff}' => out.push(c),
            c => out.push_str(&format!("\\u{:04x}", c as u32)),
        }
    }
    out.push('"');
    out
}

#[test]
fn a_model_of_hostile_names_is_created_exactly_and_reads_back_the_same() {
    let db = TestDb::new();
    let client = RefCell::new(db.client());
    let schemas: BTreeSet<String> = ["prop".to_string()].into();
    let result = runner(32).run(
        &(six_names(), nasty_name(), nasty_name()),
        |(n, label, text)| {
            let [table, column, kind, index, child, fk] = &n[..] else {
                unreachable!()
            };
            let labels = if label == text { vec![label] } else { vec![label, text.clone()] };
            let model = format!(
                "schema: prop\n\
                 enums:\n  {kind}: [{labels}]\n\
                 tables:\n  {table}:\n    comment: {text}\n    columns:\n      \
                 {column}: {{ type: bigint }}\n      {kind}: {{ type: {kind_ty}, nullable: true }}\n      \
                 {fk}: {{ type: text, default: {default} }}\n    \
                 primary_key: [{column}]\n    \
                 indexes:\n      {index}: {{ columns: [{fk_key}, {kind_key}], unique: true }}\n  \
                 {child}:\n    columns:\n      {column}: {{ type: bigint, references: {target}, on_delete: cascade }}\n",
                kind = y(kind),
                labels = labels.iter().map(|l| y(l)).collect::<Vec<_>>().join(", "),
                table = y(table),
                text = y(&text),
                column = y(column),
                kind_ty = y(&ident(kind)),
                fk = y(fk),
                default = y(&literal(&text)),
                index = y(index),
                // Index keys are SQL (`col DESC`, `(expression)`): names in them are quoted.
                fk_key = y(&ident(fk)),
                kind_key = y(&ident(kind)),
                child = y(child),
                target = y(&format!("{}.{}({})", ident("prop"), ident(table), ident(column))),
            );
            let path = PathBuf::from("hostile.yaml");
            let parsed = load_sources(&[(path, model.clone())])
                .map_err(|e| TestCaseError::fail(format!("the loader refused it: {e}\n{model}")))?;
            // The snapshot `revision` writes reads back as the same model.
            let snapshot = autogen::model::snapshot_text(&parsed);
            let reread = autogen::model::load_snapshot(&PathBuf::from("snap.yaml"), &snapshot)
                .map_err(|e| TestCaseError::fail(format!("the snapshot: {e}\n{snapshot}")))?;
            prop_assert!(
                autogen::diff::diff(&parsed, &reread).is_empty(),
                "the snapshot reads back different:\n{snapshot}"
            );
            let mut c = client.borrow_mut();
            c.batch_execute("DROP SCHEMA IF EXISTS prop CASCADE")
                .expect("clean");
            let plan = autogen::plan::plan(autogen::diff::diff(
                &autogen::ir::Schema::default(),
                &parsed,
            ));
            let sql = autogen::render::script(&plan, &autogen::render::RenderOptions::default());
            autogen::apply::apply_plan(&mut c, &plan, &autogen::render::RenderOptions::default())
                .map_err(|e| TestCaseError::fail(format!("{e}\n{model}\n{sql}")))?;
            let live = crate::support::read(&mut c, &schemas);
            // Defaults compare as Postgres stores them (`'x'::text`), as in every command.
            let stored = autogen::shadow::normalize(&parsed, &crate::harness::server_url(), &Default::default())
                .map_err(|e| TestCaseError::fail(format!("normalizing: {e}\n{model}")))?;
            let left = autogen::diff::diff(&live, &stored);
            prop_assert!(
                left.is_empty(),
                "right after creating it, the diff is not empty:\n{}\n--- model ---\n{model}\n--- sql ---\n{sql}",
                autogen::render::script(
                    &autogen::plan::plan(left.clone()),
                    &autogen::render::RenderOptions::default()
                )
            );
            // Exactly the named objects: the two tables, the enum, the index.
            let rels: BTreeSet<String> = c
                .query(
                    "SELECT relname::text FROM pg_class \
                     WHERE relnamespace = 'prop'::regnamespace AND relkind IN ('r', 'i')",
                    &[],
                )
                .expect("pg_class")
                .iter()
                .map(|r| r.get(0))
                .collect();
            for name in [table, child, index] {
                prop_assert!(rels.contains(name), "{name:?} not among {rels:?}");
            }
            Ok(())
        },
    );
    check(result, "hostile model");
}

const MODEL: &str = "schema: app
enums:
  state: [draft, \"it's\", done]
tables:
  t:
    comment: \"a table\"
    columns:
      id: { type: bigint, identity: always }
      name: { type: varchar(40), default: \"'x'\" }
      state: { type: state, nullable: true }
      n: { type: \"numeric(10,2)\", check: \"n >= 0\" }
    primary_key: [id]
    indexes:
      t_name_idx: { columns: [name], unique: true, where: \"state <> 'done'\" }
  u:
    columns:
      id: { type: int }
      t_id: { type: bigint, references: app.t(id), on_delete: cascade }
";

#[derive(Debug, Clone)]
enum Edit {
    Delete(prop::sample::Index),
    Insert(prop::sample::Index, u8),
    Replace(prop::sample::Index, u8),
    Repeat(prop::sample::Index, usize),
}

/// Bytes that matter to YAML, and two that break UTF-8.
fn byte() -> impl Strategy<Value = u8> {
    prop::sample::select(b" :-[]{}\"'#&*!|>\n\t,;0aZ\xff\xc3".to_vec())
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<prop::sample::Index>().prop_map(Edit::Delete),
        (any::<prop::sample::Index>(), byte()).prop_map(|(i, b)| Edit::Insert(i, b)),
        (any::<prop::sample::Index>(), byte()).prop_map(|(i, b)| Edit::Replace(i, b)),
        (any::<prop::sample::Index>(), 1..20usize).prop_map(|(i, n)| Edit::Repeat(i, n)),
    ]
}

fn mangle(edits: &[Edit]) -> Vec<u8> {
    let mut b = MODEL.as_bytes().to_vec();
    for e in edits {
        if b.is_empty() {
            break;
        }
        match e {
            Edit::Delete(i) => {
                b.remove(i.index(b.len()));
            }
            Edit::Insert(i, x) => b.insert(i.index(b.len()), *x),
            Edit::Replace(i, x) => {
                let at = i.index(b.len());
                b[at] = *x;
            }
            Edit::Repeat(i, n) => {
                let at = i.index(b.len());
                let copy = b[at..(at + n).min(b.len())].to_vec();
                b.splice(at..at, copy);
            }
        }
    }
    b
}

#[test]
fn the_loader_answers_any_mangled_model_without_panicking() {
    let refused = Cell::new(0u32);
    let mut runner = runner(3000);
    let n = runner.config().cases;
    let result = runner.run(&prop::collection::vec(edit(), 1..6), |edits| {
        let text = String::from_utf8_lossy(&mangle(&edits)).to_string();
        // A panic fails the case too (proptest catches it and shrinks the edits).
        if let Err(e) = load_sources(&[(PathBuf::from("m.yaml"), text.clone())]) {
            refused.set(refused.get() + 1);
            let shown = e.to_string();
            prop_assert!(
                shown.starts_with("m.yaml"),
                "the error names no file: {shown}\n{text}"
            );
        }
        Ok(())
    });
    check(result, "mangled models");
    // Most mangles break the model; if none did, the mangling is not testing anything.
    assert!(
        refused.get() > n / 10,
        "only {} of {n} were refused",
        refused.get()
    );
}
