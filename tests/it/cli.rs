//! The `autogen` binary end to end: exit codes, filters, dump, and the shadow database.

use crate::harness::{TestDb, server_url};
use crate::support::TempDir;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn autogen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_autogen"))
        .args(args)
        .env_remove("AUTOGEN_DEV_URL")
        // The normalization cache has tests of its own; here every run starts from nothing.
        .env("AUTOGEN_CACHE_DIR", "off")
        .output()
        .expect("run autogen")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

fn tmp(name: &str) -> TempDir {
    TempDir::new("autogen-cli", name)
}

fn case(name: &str, side: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases")
        .join(name)
        .join(format!("{side}.yaml"))
        .display()
        .to_string()
}

#[test]
fn diff_between_models_needs_no_database() {
    let out = autogen(&[
        "diff",
        "--from",
        &case("enum_add_value_middle", "from"),
        "--to",
        &case("enum_add_value_middle", "to"),
        "--exit-code",
    ]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout.contains("ALTER TYPE app.status ADD VALUE 'published' AFTER 'draft';"),
        "{stdout}"
    );
    let out = autogen(&[
        "diff",
        "--from",
        &case("enum_add_value_middle", "from"),
        "--to",
        &case("enum_add_value_middle", "to"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "without --exit-code, changes are not a failure"
    );
    let down = autogen(&[
        "diff",
        "--from",
        &case("enum_add_value_middle", "from"),
        "--to",
        &case("enum_add_value_middle", "to"),
        "--down",
    ]);
    assert!(
        text(&down).0.contains("rebuild enum `app.status`"),
        "{}",
        text(&down).0
    );
}

#[test]
fn no_changes_prints_nothing_and_exits_zero() {
    let f = case("add_check", "to");
    let out = autogen(&["diff", "--from", &f, "--to", &f, "--exit-code"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
}

#[test]
fn a_bad_model_exits_2_with_the_location() {
    let d = tmp("bad");
    std::fs::write(
        d.join("m.yaml"),
        "tables:\n  t:\n    columns:\n      id: { type: nope }\n",
    )
    .expect("write");
    let out = autogen(&[
        "diff",
        "--from",
        d.to_str().expect("utf8"),
        "--to",
        d.to_str().expect("utf8"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains("m.yaml:4:") && stderr.contains("unknown type `nope`"),
        "{stderr}"
    );
}

#[test]
fn unreachable_database_exits_2() {
    let out = autogen(&[
        "diff",
        "--from",
        "postgres://nobody@127.0.0.1:1/x",
        "--to",
        &case("add_check", "to"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("cannot connect"), "{}", text(&out).1);
}

#[test]
fn model_to_database_with_shadow_has_no_false_positives() {
    let db = TestDb::new();
    let model = case("create_everything", "to");
    let mut c = db.client();
    c.batch_execute(crate::support::AUTH_STUB).expect("stub");
    // Apply the model with the CLI's own SQL.
    let empty = tmp("empty");
    let up = autogen(&[
        "diff",
        "--from",
        empty.to_str().expect("utf8"),
        "--to",
        &model,
    ]);
    c.batch_execute(&text(&up).0)
        .expect("apply the printed SQL");
    // Default expressions read back differently (`'draft'::journal.entry_status`); through the
    // shadow database the model reads the same.
    let out = autogen(&[
        "diff",
        "--from",
        &db.url(),
        "--to",
        &model,
        "--dev-url",
        &server_url(),
        "--preset",
        "supabase",
        "--exit-code",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "expected no changes, got:\n{stdout}\n{stderr}"
    );
    // With no --dev-url, an ephemeral cluster normalizes the model: no changes either.
    let args = [
        "diff",
        "--from",
        &db.url(),
        "--to",
        &model,
        "--preset",
        "supabase",
        "--exit-code",
    ];
    let out = autogen(&args);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    // With no server binaries either, the note says why expressions may differ.
    let out = Command::new(env!("CARGO_BIN_EXE_autogen"))
        .args(args)
        .env("AUTOGEN_PG_BINDIR", "/nonexistent")
        .env_remove("AUTOGEN_DEV_URL")
        // The normalization cache has tests of its own; here every run starts from nothing.
        .env("AUTOGEN_CACHE_DIR", "off")
        .output()
        .expect("run");
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains("/nonexistent") && stderr.contains("compared as written"),
        "{stderr}"
    );
}

#[test]
fn supabase_preset_leaves_auth_alone() {
    let db = TestDb::new();
    let mut c = db.client();
    c.batch_execute(&format!(
        "{} CREATE SCHEMA storage; CREATE TABLE storage.objects (id int);",
        crate::support::AUTH_STUB
    ))
    .expect("setup");
    let empty = tmp("supabase-empty");
    let out = autogen(&[
        "diff",
        "--from",
        &db.url(),
        "--to",
        empty.to_str().expect("utf8"),
        "--preset",
        "supabase",
        "--exit-code",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).0);
    let out = autogen(&[
        "diff",
        "--from",
        &db.url(),
        "--to",
        empty.to_str().expect("utf8"),
        "--exit-code",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).0.contains("DROP TABLE auth.users"));
    let out = autogen(&[
        "diff",
        "--from",
        &db.url(),
        "--to",
        empty.to_str().expect("utf8"),
        "--exclude-schema",
        "st*",
        "--schema",
        "auth",
        "--schema",
        "storage",
    ]);
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("auth.users") && !stdout.contains("storage"),
        "{stdout}"
    );
}

#[test]
fn dump_writes_models_that_load_back() {
    let db = TestDb::new();
    let mut c = db.client();
    c.batch_execute("CREATE SCHEMA shop; CREATE TYPE shop.size AS ENUM ('s', 'm'); CREATE TABLE shop.items (id serial PRIMARY KEY, size shop.size DEFAULT 'm', price numeric(8,2) CHECK (price > 0));").expect("setup");
    let out_dir = tmp("dump");
    let out = autogen(&[
        "dump",
        "--database-url",
        &db.url(),
        "-o",
        out_dir.to_str().expect("utf8"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    let yaml = std::fs::read_to_string(out_dir.join("shop.yaml")).expect("shop.yaml");
    assert!(yaml.contains("serial"), "{yaml}");
    let again = autogen(&[
        "diff",
        "--from",
        &db.url(),
        "--to",
        out_dir.to_str().expect("utf8"),
        "--exit-code",
    ]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again).0);
}

#[test]
fn the_readme_model_example_is_valid_and_applies() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README");
    let start = readme
        .find("```yaml\nschema: journal")
        .expect("the README's model example")
        + "```yaml\n".len();
    let len = readme[start..].find("```").expect("end of the example");
    let sources = vec![(
        PathBuf::from("README.md"),
        readme[start..start + len].to_string(),
    )];
    let model = autogen::model::load_sources(&sources)
        .unwrap_or_else(|e| panic!("the README example does not load: {e}"));
    let db = TestDb::new();
    let mut c = db.client();
    c.batch_execute(crate::support::AUTH_STUB).expect("stub");
    crate::support::create(&mut c, &model);
    let normalized =
        autogen::shadow::normalize(&model, &server_url(), &Default::default()).expect("shadow");
    let live = crate::support::read(&mut c, &["journal".to_string()].into_iter().collect());
    crate::support::assert_same(
        &live,
        &normalized,
        "the README example, created, compared with its model",
    );
}

/// An aggregate (written by hand) is outside what autogen manages: `diff` and `dump` name it
/// instead of leaving it out without a word. A view, a function and a trigger are compared and
/// dumped like a table.
#[test]
fn diff_and_dump_name_what_they_leave_out() {
    let db = TestDb::new();
    db.client()
        .batch_execute(
            "CREATE SCHEMA app; CREATE TABLE app.t (id int PRIMARY KEY); \
             CREATE VIEW app.\"Recent\" AS SELECT id FROM app.t WHERE id > 10; \
             CREATE FUNCTION app.answer() RETURNS int LANGUAGE sql AS 'SELECT 42'; \
             CREATE FUNCTION app.stamp() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'; \
             CREATE TRIGGER stamp_t BEFORE INSERT ON app.t FOR EACH ROW EXECUTE FUNCTION app.stamp(); \
             CREATE AGGREGATE app.total(int) (sfunc = int4pl, stype = int);",
        )
        .expect("fixture");
    let url = db.url();
    let empty_db = TestDb::new();
    let empty = empty_db.url();
    let (out, err) = text(&autogen(&[
        "diff", "--from", &url, "--to", &empty, "--schema", "app",
    ]));
    assert!(out.contains("DROP TABLE app.t"), "{out}{err}");
    // The view goes before the table it reads.
    let view = out
        .find("DROP VIEW app.\"Recent\"")
        .expect("the view is dropped");
    assert!(view < out.find("DROP TABLE app.t").unwrap_or(0), "{out}");
    assert!(
        out.contains("DROP FUNCTION app.answer()") && out.contains("DROP FUNCTION app.stamp()"),
        "{out}"
    );
    assert!(
        err.contains("the --from database holds 1 object(s) of kinds autogen does not manage yet")
            && err.contains("aggregate app.total(integer)")
            && !err.contains("stamp_t")
            && !err.contains("answer")
            && !err.contains("Recent"),
        "{err}"
    );
    let dir = tmp("dump-unmanaged");
    let dir_text = dir.display().to_string();
    let o = autogen(&[
        "dump",
        "--database-url",
        &url,
        "--output",
        &dir_text,
        "--schema",
        "app",
    ]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("not written to the model")
            && err.contains("aggregate app.total(integer)")
            && !err.contains("stamp_t")
            && !err.contains("answer")
            && !err.contains("Recent"),
        "{err}"
    );
    let dumped = std::fs::read_to_string(dir.join("app.yaml")).expect("app.yaml");
    assert!(
        dumped.contains("  Recent:\n    query: |-\n      SELECT t.id\n")
            && dumped.contains("WHERE (t.id > 10)"),
        "{dumped}"
    );
    assert!(
        dumped.contains("  answer:\n    returns: integer\n    body: SELECT 42\n"),
        "{dumped}"
    );
    assert!(
        dumped.contains("    triggers:\n      stamp_t:\n        timing: before\n        events:\n        - insert\n        for_each: row\n        function: stamp\n"),
        "{dumped}"
    );
}
