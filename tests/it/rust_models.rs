//! Models declared in Rust: the derives give the same IR as the equivalent YAML, the model
//! survives the interchange format unchanged and is created on real Postgres exactly, messages
//! name the Rust source, and the example workspace (a YAML service and a Rust service with a
//! foreign key between them) goes through revision, upgrade and check with the CLI.

use crate::harness::{TestDb, server_url};
use crate::support::{TempDir, assert_same, create, read};
use crate::workflow::decode;
use autogen::model::{interchange, load_documents, load_path};
use autogen::shadow::normalize;
use autogen_model::{Model, PgEnum, Table};
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[derive(PgEnum)]
#[autogen(
    schema = "Odd Schema",
    rename_all = "SCREAMING_SNAKE_CASE",
    renamed_from = "old_level",
    comment = "how much"
)]
#[allow(dead_code)]
enum Level {
    Low,
    #[autogen(renamed_from = "MEDIUM")]
    MediumHigh,
    #[autogen(rename = "very high")]
    VeryHigh,
}

#[derive(Table)]
#[autogen(
    schema = "Odd Schema",
    name = "select",
    comment = "a reserved word, quoted",
    renamed_from = "picks",
    unique(
        name = "select_pair_key",
        columns = "small, code",
        nulls_not_distinct,
        deferrable = "initially_deferred"
    ),
    unique = "ratio, small",
    check(name = "select_ratio_unit", expr = "ratio between 0 and 1"),
    foreign_key(
        columns = "parent_a",
        references = "select(id)",
        on_delete = "cascade",
        on_update = "restrict",
        match = "full",
        deferrable = "deferrable"
    ),
    index(
        name = "select_lower_idx",
        expression = "lower(\"Display Name\")",
        unique,
        where = "flag",
        include = "score"
    ),
    index(columns = "small DESC, code"),
    index(name = "select_at_idx", columns = "at", method = "brin")
)]
#[allow(dead_code)]
struct Select {
    #[autogen(identity = "always", primary_key)]
    id: i64,
    #[autogen(
        name = "Display Name",
        collation = "C",
        comment = "what people see",
        renamed_from = "name"
    )]
    display_name: String,
    level: Option<Level>,
    #[autogen(default = "'{}'")]
    levels: Vec<Level>,
    #[autogen(check = "score >= 0", default = "0")]
    score: i32,
    #[autogen(generated = "score * 2")]
    double_score: i32,
    ratio: Option<f64>,
    small: i16,
    #[autogen(default = "false")]
    flag: bool,
    raw: Option<Vec<u8>>,
    ip: Option<std::net::IpAddr>,
    at: std::time::SystemTime,
    doc: Option<serde_json::Value>,
    #[autogen(sql_type = "char(3)")]
    code: Option<String>,
    parent_a: Option<i64>,
    parent_b: Option<i32>,
    #[autogen(nullable)]
    forced: String,
    #[autogen(unique, references = "select(id)", on_delete = "set_null")]
    other: Option<i64>,
    #[autogen(identity = "by_default")]
    seq: i64,
    #[autogen(skip)]
    not_stored: std::collections::HashMap<String, String>,
}

fn attributes_model() -> Model {
    Model::new().enum_type::<Level>().table::<Select>()
}

fn yaml(rel: &str) -> autogen::ir::Schema {
    load_path(&Path::new(ROOT).join(rel)).expect("the YAML model loads")
}

#[test]
fn every_attribute_gives_the_ir_of_the_equivalent_yaml() {
    let rust = attributes_model().build().expect("the Rust model is valid");
    let yaml = yaml("tests/rust_model/attributes.yaml");
    assert_eq!(rust, yaml);
    // Not only equal to each other: each declared thing is there.
    let t = &rust.tables[&autogen::ir::QName::new("Odd Schema", "select")];
    assert_eq!(t.columns.len(), 19, "the skipped field is not a column");
    assert!(t.columns.contains_key("Display Name"));
    assert!(t.indexes.contains_key("select_small_code_idx"));
    assert!(t.uniques.contains_key("select_ratio_small_key"));
}

#[test]
fn the_example_rust_service_gives_the_ir_of_its_yaml_twin() {
    let rust = journal_model::model()
        .build()
        .expect("the journal model is valid");
    let yaml = yaml("tests/rust_model/journal.yaml");
    assert_eq!(rust, yaml);
    assert_eq!(rust.tables.len(), 2);
    assert_eq!(rust.enums.len(), 1);
}

#[test]
fn the_interchange_format_carries_the_model_unchanged() {
    for model in [attributes_model(), journal_model::model()] {
        let text = model.to_interchange();
        let docs = interchange::read(Path::new("export"), &text).expect("reads back");
        let back = load_documents(&docs).expect("valid");
        assert_eq!(back, model.build().expect("valid"));
        // Deterministic: the same model prints the same bytes.
        assert_eq!(text, model.to_interchange());
    }
}

#[test]
fn a_rust_model_is_created_on_postgres_exactly() {
    let db = TestDb::new();
    let mut c = db.client();
    let model = attributes_model().build().expect("valid");
    create(&mut c, &model);
    let schemas = autogen::model::model_schemas(&model);
    // Expressions compare as Postgres stores them, as the CLI compares them.
    let normalized = normalize(&model, &server_url(), &Default::default()).expect("normalize");
    assert_same(
        &read(&mut c, &schemas),
        &normalized,
        "after creating the Rust model",
    );
}

#[derive(Table)]
#[autogen(schema = "journal", name = "comments")]
#[allow(dead_code)]
struct BrokenComment {
    #[autogen(references = "journal.missing(id)")]
    entry_id: i64,
}

#[test]
fn model_errors_name_the_rust_source_line() {
    let err = Model::new()
        .table::<BrokenComment>()
        .yaml(
            "journal.yaml",
            "schema: journal\ntables:\n  x:\n    columns:\n      id: { type: int }\n",
        )
        .expect("the YAML part parses")
        .build()
        .expect_err("the foreign key target does not exist")
        .to_string();
    let line = line_of("struct BrokenComment");
    assert!(
        err.contains(&format!("tests/it/rust_models.rs:{line}:")),
        "{err}"
    );
    assert!(err.contains("journal.missing"), "{err}");
}

fn line_of(needle: &str) -> usize {
    include_str!("rust_models.rs")
        .lines()
        .position(|l| l.starts_with(needle))
        .expect("needle in this file")
        + 1
}

#[test]
fn interchange_errors_say_what_is_wrong() {
    let src = Path::new("output of `export`");
    let e = interchange::read(src, "Compiling journal-model\n{}")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("did not print autogen's model interchange format"),
        "{e}"
    );
    assert!(e.contains("output of `export`:1:"), "{e}");
    let e = interchange::read(src, r#"{"autogen_model": 2, "documents": []}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("version 2; this autogen reads version 1"), "{e}");
    let e = interchange::read(src, r#"{"documents": []}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no `autogen_model` version"), "{e}");
    let e = interchange::read(
        src,
        "{\"autogen_model\": 1,\n \"documents\": [{\"origin\": \"a.rs:1:1\", \"model\": {\"tabels\": {}}}]}",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("unknown field `tabels`"), "{e}");
    assert!(e.contains(":2:"), "the line of the mistake: {e}");
}

/// The example workspace copied to a temporary project; its Rust service's command points at
/// the crate in this repository.
fn workspace_project(name: &str) -> TempDir {
    let dir = TempDir::new("autogen-rs", name);
    let src = Path::new(ROOT).join("examples/workspace");
    copy_dir(&src.join("schema"), &dir.join("schema"));
    let manifest = src.join("journal-model/Cargo.toml");
    let toml = std::fs::read_to_string(src.join("autogen.toml"))
        .expect("example autogen.toml")
        .replace(
            r#""-p", "journal-model""#,
            &format!(r#""--manifest-path", {:?}"#, manifest.display().to_string()),
        );
    assert!(
        toml.contains("--manifest-path"),
        "the example's command changed"
    );
    std::fs::write(dir.join("autogen.toml"), toml).expect("write autogen.toml");
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}

fn autogen(dir: &Path, url: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_autogen"))
        .args(args)
        .current_dir(dir)
        .env("DATABASE_URL", url)
        .env("AUTOGEN_CACHE_DIR", "off")
        .env("NO_COLOR", "1")
        .output()
        .expect("run autogen");
    decode(&out)
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in ["migrations", "snapshots"] {
        let mut stack = vec![dir.join(sub)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                if e.path().is_dir() {
                    stack.push(e.path());
                } else {
                    out.push(e.path());
                }
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_example_workspace_goes_through_revision_upgrade_and_check() {
    let db = TestDb::new();
    let url = db.url();
    let dir = workspace_project("e2e");

    let (code, out, err) = autogen(&dir, &url, &["revision", "-m", "initial"]);
    assert_eq!(code, 0, "revision failed:\n{out}\n{err}");
    let journal_up = files(&dir)
        .into_iter()
        .find(|p| {
            p.to_string_lossy().contains("migrations/journal/")
                && p.to_string_lossy().ends_with(".up.sql")
        })
        .expect("a journal migration");
    let up = std::fs::read_to_string(&journal_up).expect("read");
    // The Rust structs and the service's YAML file, in one migration, with the cross-service key.
    assert!(
        up.contains("CREATE TYPE journal.entry_status AS ENUM ('draft', 'published', 'archived');"),
        "{up}"
    );
    assert!(
        up.contains("REFERENCES accounts.users (id) ON DELETE CASCADE"),
        "{up}"
    );
    assert!(up.contains("CREATE TABLE journal.entry_likes"), "{up}");
    assert!(up.contains("amount numeric(12,2),"), "{up}");
    assert!(
        up.contains("created_at timestamptz DEFAULT now() NOT NULL"),
        "{up}"
    );

    let (code, out, err) = autogen(&dir, &url, &["upgrade"]);
    assert_eq!(code, 0, "upgrade failed:\n{out}\n{err}");
    let mut c = db.client();
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_constraint WHERE conname = 'entries_user_id_fkey' AND confrelid = 'accounts.users'::regclass",
            &[],
        )
        .expect("query")
        .get(0);
    assert_eq!(
        n, 1,
        "the foreign key from the Rust service to the YAML service exists"
    );

    let (code, out, err) = autogen(&dir, &url, &["check"]);
    assert_eq!(code, 0, "check after upgrade:\n{out}\n{err}");
    let before = files(&dir);
    let (code, out, err) = autogen(&dir, &url, &["revision", "-m", "nothing"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(format!("{out}{err}").contains("no changes"), "{out}\n{err}");
    assert_eq!(files(&dir), before, "no migration when nothing changed");

    // The YAML part of the Rust service changes: check sees the drift, revision writes it.
    let likes = dir.join("schema/journal/likes.yaml");
    let text = std::fs::read_to_string(&likes).expect("read").replace(
        "      liked_at:",
        "      weight: { type: smallint, default: 1 }\n      liked_at:",
    );
    std::fs::write(&likes, text).expect("write");
    let (code, out, err) = autogen(&dir, &url, &["check"]);
    assert_eq!(code, 1, "a model change is drift:\n{out}\n{err}");
    let (code, out, err) = autogen(&dir, &url, &["revision", "-m", "like weight"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let (code, out, err) = autogen(&dir, &url, &["upgrade"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let (code, out, err) = autogen(&dir, &url, &["check"]);
    assert_eq!(code, 0, "in sync again:\n{out}\n{err}");
}

#[test]
fn a_models_command_that_fails_or_prints_garbage_is_a_clear_error() {
    let db = TestDb::new();
    let url = db.url();
    let dir = TempDir::new("autogen-rs", "badcmd");
    let write_toml = |command: &str| {
        std::fs::write(
            dir.join("autogen.toml"),
            format!("[[services]]\nname = \"journal\"\nschema = \"journal\"\nmodels = {{ command = {command} }}\n"),
        )
        .expect("write");
    };
    let cases: [(&str, &[&str]); 4] = [
        (
            r#"["sh", "-c", "echo 'error: could not compile' >&2; exit 101"]"#,
            &[
                "models command `sh -c",
                "failed",
                "could not compile",
                "run it yourself",
            ],
        ),
        (
            r#"["sh", "-c", "echo Compiling; echo '{}'"]"#,
            &[
                "did not print autogen's model interchange format",
                "starts with `Compiling`",
            ],
        ),
        (
            r#"["no-such-program-autogen"]"#,
            &[
                "cannot run the models command `no-such-program-autogen`",
                "PATH",
            ],
        ),
        (
            r#"["sh", "-c", "echo '{\"autogen_model\": 9, \"documents\": []}'"]"#,
            &["interchange format version 9", "upgrade the autogen CLI"],
        ),
    ];
    for (command, expected) in cases {
        write_toml(command);
        for args in [&["revision", "-m", "x"][..], &["check", "--offline"][..]] {
            let (code, out, err) = autogen(&dir, &url, args);
            assert_eq!(code, 2, "{command} {args:?}:\n{out}\n{err}");
            for e in expected {
                assert!(
                    err.contains(e),
                    "{command} {args:?}: expected `{e}` in:\n{err}"
                );
            }
            assert!(files(&dir).is_empty(), "nothing written for {command}");
        }
    }
}

#[test]
fn a_models_command_may_print_any_model_and_errors_name_its_origin() {
    let db = TestDb::new();
    let url = db.url();
    let dir = TempDir::new("autogen-rs", "jsoncmd");
    let model = "{\"autogen_model\": 1, \"documents\": [{\"origin\": \"svc/src/lib.rs:7:12\", \"model\": {\"schema\": \"svc\", \"tables\": {\"t\": {\"columns\": {\"id\": {\"type\": \"bigint\", \"primary_key\": true}, \"ref\": {\"type\": \"bigint\", \"references\": \"missing(id)\"}}}}}}]}";
    std::fs::write(dir.join("model.json"), model).expect("write");
    std::fs::write(
        dir.join("autogen.toml"),
        "[[services]]\nname = \"svc\"\nschema = \"svc\"\nmodels = [{ command = [\"cat\", \"model.json\"] }]\n",
    )
    .expect("write");
    let (code, out, err) = autogen(&dir, &url, &["revision", "-m", "x"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(err.contains("svc/src/lib.rs:7:12"), "{err}");
    assert!(err.contains("svc.missing"), "{err}");
    std::fs::write(
        dir.join("model.json"),
        model.replace("missing(id)", "t(id)"),
    )
    .expect("write");
    let (code, out, err) = autogen(&dir, &url, &["revision", "-m", "x"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let (code, out, err) = autogen(&dir, &url, &["upgrade"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let (code, out, err) = autogen(&dir, &url, &["check"]);
    assert_eq!(code, 0, "{out}\n{err}");
    // A change the command now prints is drift, and the annotation points at its origin.
    std::fs::write(
        dir.join("model.json"),
        model.replace("missing(id)", "t(id)").replace(
            "\"ref\":",
            "\"note\": {\"type\": \"text\", \"nullable\": true}, \"ref\":",
        ),
    )
    .expect("write");
    let (code, out, err) = autogen(&dir, &url, &["check", "--offline", "--format", "github"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("file=svc/src/lib.rs,line=7"), "{out}");
}

/// A Rust service that declares its tables builds the model crate only: no database driver, no
/// TLS, no command-line parser, no terminal rendering (read from the lock file, as cargo
/// resolves it for `journal-model`).
#[test]
fn a_rust_model_crate_depends_on_the_model_crate_alone() {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--locked",
            "--offline",
            "-p",
            "journal-model",
            "-e",
            "normal,build",
            "--prefix",
            "none",
        ])
        .current_dir(ROOT)
        .output()
        .expect("run cargo tree");
    let (code, tree, err) = decode(&out);
    assert_eq!(code, 0, "{err}");
    assert!(tree.contains("autogen-model"), "{tree}");
    for banned in [
        "postgres",
        "tokio",
        "rustls",
        "ring ",
        "clap",
        "miette",
        "openssl",
        "autogen-pg",
        "autogen-core",
        "autogen-migrate",
    ] {
        assert!(
            !tree.lines().any(|l| l.starts_with(banned)),
            "journal-model pulls in {banned}:\n{tree}"
        );
    }
}

// Two triggers that share a setting (`for_each = "row"`) repeat it, which clippy's
// `duplicated_attributes` reads as a mistake: it does not know derive helper attributes.
#[allow(clippy::duplicated_attributes)]
#[derive(Table)]
#[autogen(
    schema = "app",
    name = "posts",
    trigger(
        name = "stamp",
        timing = "before",
        events = "insert, update",
        columns = "title",
        for_each = "row",
        when = "new.title <> ''",
        function = "touch",
        arguments = "updated_at, x",
        comment = "keeps updated_at current"
    )
)]
#[autogen(trigger(
    name = "audited",
    timing = "after",
    events = "delete",
    for_each = "row",
    constraint,
    deferrable = "initially_deferred",
    enabled = "replica",
    function = "app.touch"
))]
#[allow(dead_code)]
struct Post {
    #[autogen(primary_key)]
    id: i64,
    title: String,
    updated_at: Option<std::time::SystemTime>,
}

const TOUCH: &str = "schema: app
functions:
  touch:
    returns: trigger
    language: plpgsql
    body: BEGIN NEW.updated_at := now(); RETURN NEW; END
";

#[test]
fn a_rust_table_names_its_trigger_function_declared_in_yaml_and_the_triggers_fire() {
    let model = Model::new()
        .table::<Post>()
        .yaml("schema/app/functions.yaml", TOUCH)
        .expect("the YAML part")
        .build()
        .expect("the Rust model is valid");
    let yaml = TOUCH.replace(
        "functions:\n",
        "tables:
  posts:
    columns:
      id: { type: bigint, primary_key: true }
      title: { type: text }
      updated_at: { type: timestamptz, nullable: true }
    triggers:
      stamp:
        timing: before
        events: [insert, update]
        columns: [title]
        for_each: row
        when: new.title <> ''
        function: touch
        arguments: [updated_at, x]
        comment: keeps updated_at current
      audited:
        timing: after
        events: [delete]
        for_each: row
        constraint: true
        deferrable: initially_deferred
        enabled: replica
        function: app.touch
functions:
",
    );
    let from_yaml =
        autogen::model::load_sources(&[(PathBuf::from("app.yaml"), yaml)]).expect("the YAML twin");
    assert_eq!(model, from_yaml);
    let t = &model.tables[&autogen::ir::QName::new("app", "posts")];
    assert_eq!(t.triggers.len(), 2);
    assert_eq!(t.triggers["stamp"].arguments, ["updated_at", "x"]);
    let db = TestDb::new();
    let mut c = db.client();
    let normalized = normalize(&model, &server_url(), &Default::default()).expect("normalize");
    create(&mut c, &model);
    assert_same(
        &read(&mut c, &autogen::model::model_schemas(&model)),
        &normalized,
        "after creating the Rust model",
    );
    let stamped: bool = c
        .query_one(
            "INSERT INTO app.posts (id, title) VALUES (1, 'hello') RETURNING updated_at IS NOT NULL",
            &[],
        )
        .expect("insert")
        .get(0);
    assert!(stamped, "the BEFORE trigger set updated_at");
}

#[allow(clippy::duplicated_attributes)]
#[derive(Table)]
#[autogen(
    schema = "app",
    name = "notes",
    rls,
    force_rls,
    policy(
        name = "Read own notes",
        command = "select",
        roles = "autogen_rust_reader",
        using = "owner = current_user"
    ),
    policy(
        name = "No empty notes",
        restrictive,
        with_check = "body <> ''",
        comment = "for every role"
    ),
    grant(role = "autogen_rust_reader", privileges = "select, insert")
)]
#[autogen(grant(role = "Autogen Rust Ops", privileges = "all"))]
#[allow(dead_code)]
struct Note {
    #[autogen(primary_key)]
    id: i64,
    owner: String,
    #[autogen(grant(role = "autogen_rust_reader", privileges = "update with grant option"))]
    body: String,
}

#[test]
fn a_rust_table_declares_row_level_security_policies_and_grants() {
    let model = Model::new()
        .roles(["autogen_rust_reader", "Autogen Rust Ops"])
        .table::<Note>()
        .build()
        .expect("the Rust model is valid");
    let yaml = "schema: app
roles: [autogen_rust_reader, Autogen Rust Ops]
tables:
  notes:
    columns:
      id: { type: bigint, primary_key: true }
      owner: { type: text }
      body: { type: text, grants: { autogen_rust_reader: update with grant option } }
    rls: true
    force_rls: true
    policies:
      Read own notes:
        command: select
        roles: [autogen_rust_reader]
        using: owner = current_user
      No empty notes:
        restrictive: true
        with_check: body <> ''
        comment: for every role
    grants:
      autogen_rust_reader: [select, insert]
      Autogen Rust Ops: all
";
    let from_yaml = autogen::model::load_sources(&[(PathBuf::from("app.yaml"), yaml.into())])
        .expect("the YAML twin");
    assert_eq!(model, from_yaml);
    // A grant to a role the model does not list is refused, as in YAML.
    let err = Model::new()
        .table::<Note>()
        .build()
        .expect_err("no roles listed");
    assert!(
        err.to_string()
            .contains("`autogen_rust_reader` is not a role this service manages"),
        "{err}"
    );
    let db = TestDb::new();
    let mut c = db.client();
    c.batch_execute(
        "DO $$ BEGIN CREATE ROLE autogen_rust_reader NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
         DO $$ BEGIN CREATE ROLE \"Autogen Rust Ops\" NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;",
    )
    .expect("roles");
    let normalized = normalize(&model, &server_url(), &Default::default()).expect("normalize");
    create(&mut c, &model);
    let live = read(&mut c, &autogen::model::model_schemas(&model));
    assert_same(&live, &normalized, "after creating the Rust model");
    let t = &live.tables[&autogen::ir::QName::new("app", "notes")];
    assert!(t.row_security.enabled && t.row_security.forced);
    assert_eq!(t.policies.len(), 2);
    assert_eq!(
        t.grants.words(autogen::ir::AclKind::Table)["autogen_rust_reader"],
        ["select", "insert"]
    );
    assert_eq!(
        t.column_grants["body"].words(autogen::ir::AclKind::Column)["autogen_rust_reader"],
        ["update with grant option"]
    );
}
