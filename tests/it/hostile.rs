//! The hostile-input corpus: each bad input is refused with exit 2, a message that names the
//! file (and line and column where there is one) and the fault, and nothing written or applied.
//! Hostile names that are legal must work instead, quoted, and create exactly what they say.

use crate::harness::TestDb;
use crate::workflow::{Project, project};

const CONFIG: &str =
    "[[services]]\nname = \"users\"\nschema = \"users\"\nmodels = [\"schema/*.yaml\"]\n";

fn table(columns: &str, rest: &str) -> String {
    format!("schema: users\ntables:\n  t:\n    columns:\n{columns}{rest}")
}

fn long(n: usize) -> String {
    "a".repeat(n)
}

/// One bad model file (`schema/m.yaml`) and the texts its error must contain.
fn model_cases() -> Vec<(&'static str, Vec<u8>, Vec<String>)> {
    let id = "      id: { type: int }\n";
    let s = |x: &str| x.as_bytes().to_vec();
    let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let mut cases = vec![
        (
            "unclosed flow mapping",
            s(&table("      id: { type: int\n", "")),
            v(&[
                "schema/m.yaml:5:11:",
                "flow mapping `{` opened here is not closed",
            ]),
        ),
        (
            "unclosed flow mapping before another column",
            s(&table(
                "      id: { type: int, nullable: true\n      b: { type: text }\n",
                "",
            )),
            v(&["schema/m.yaml:5:11:", "not closed"]),
        ),
        (
            "a check naming a column the table lacks",
            s(&table(
                "      id: { type: int, check: \"length(nme) > 0\" }\n",
                "",
            )),
            v(&[
                "schema/m.yaml:5:",
                "names `nme`, which is not a column",
                "has: id",
            ]),
        ),
        (
            "an index predicate naming a column the table lacks",
            s(&table(
                id,
                "    indexes:\n      t_idx: { columns: [id], where: \"deleted_at IS NULL\" }\n",
            )),
            v(&[
                "schema/m.yaml:7:",
                "`where` of index `t_idx`",
                "`deleted_at`",
            ]),
        ),
        (
            "a generated expression naming a column the table lacks",
            s(&table(
                &format!("{id}      g: {{ type: int, generated: \"idd * 2\" }}\n"),
                "",
            )),
            v(&["schema/m.yaml:6:", "generated expression", "`idd`"]),
        ),
        (
            "tab indentation",
            s("schema: users\ntables:\n\tt:\n"),
            v(&["schema/m.yaml:3:"]),
        ),
        (
            "duplicate column key",
            s(&table(&format!("{id}{id}"), "")),
            v(&["schema/m.yaml:6:", "duplicate"]),
        ),
        (
            "duplicate table key",
            s(&format!(
                "schema: users\ntables:\n  t:\n    columns:\n{id}  t:\n    columns:\n{id}"
            )),
            v(&["schema/m.yaml:6:", "duplicate"]),
        ),
        (
            "wrong value type for nullable",
            s(&table("      id: { type: int, nullable: 3 }\n", "")),
            v(&["schema/m.yaml:5:"]),
        ),
        (
            "columns as a list",
            s(&table("      - id\n", "")),
            v(&["schema/m.yaml:5:"]),
        ),
        (
            "unknown column key",
            s(&table("      id: { type: int, nulable: true }\n", "")),
            v(&["schema/m.yaml:5:", "nulable"]),
        ),
        (
            "unknown top-level key",
            s("schema: users\ntabels: {}\n"),
            v(&["schema/m.yaml:2:", "tabels"]),
        ),
        (
            "unknown type",
            s(&table("      id: { type: strng }\n", "")),
            v(&["schema/m.yaml:5:", "unknown type `strng`"]),
        ),
        (
            "bad type modifier",
            s(&table("      id: { type: varchar(abc) }\n", "")),
            v(&["schema/m.yaml:5:", "varchar(abc)"]),
        ),
        (
            "numeric scale above precision",
            s(&table("      id: { type: \"numeric(2,5)\" }\n", "")),
            v(&["schema/m.yaml:5:", "numeric"]),
        ),
        (
            "array of an unknown type",
            s(&table("      id: { type: \"foo[]\" }\n", "")),
            v(&["schema/m.yaml:5:", "foo"]),
        ),
        (
            "reference to a missing table",
            s(&table(
                &format!("{id}      u: {{ type: int, references: users.nope(id) }}\n"),
                "",
            )),
            v(&["schema/m.yaml:4:", "users.nope"]),
        ),
        (
            "reference to a missing column",
            s(&table(
                &format!("{id}      u: {{ type: int, references: users.t(nope) }}\n"),
                "    primary_key: [id]\n",
            )),
            v(&["schema/m.yaml:4:", "users.t.nope"]),
        ),
        (
            "foreign key to a non-unique column",
            s(&table(
                &format!(
                    "{id}      v: {{ type: int }}\n      u: {{ type: int, references: users.t(v) }}\n"
                ),
                "    primary_key: [id]\n",
            )),
            v(&["schema/m.yaml:4:", "neither its primary key nor unique"]),
        ),
        (
            "primary key on a missing column",
            s(&table(id, "    primary_key: [nope]\n")),
            v(&["schema/m.yaml:4:", "`nope`"]),
        ),
        (
            "index on a missing column",
            s(&table(id, "    indexes:\n      t_x: { columns: [nope] }\n")),
            v(&["schema/m.yaml:4:", "`nope`"]),
        ),
        (
            "generated columns that use each other",
            s(&table(
                "      a: { type: int, generated: \"b + 1\" }\n      b: { type: int, generated: \"a + 1\" }\n",
                "",
            )),
            v(&["schema/m.yaml:5:", "a cycle"]),
        ),
        (
            "table name over 63 bytes",
            s(&format!(
                "schema: users\ntables:\n  {}:\n    columns:\n{id}",
                long(64)
            )),
            v(&["schema/m.yaml:4:", "63 bytes"]),
        ),
        (
            "column name over 63 bytes",
            s(&table(
                &format!("      {}: {{ type: int }}\n", long(64)),
                "",
            )),
            v(&["schema/m.yaml:5:", "63 bytes"]),
        ),
        (
            "multi-byte name over 63 bytes",
            s(&table(
                &format!("      {}: {{ type: int }}\n", "é".repeat(32)),
                "",
            )),
            v(&["schema/m.yaml:5:", "64 bytes"]),
        ),
        (
            "enum value over 63 bytes",
            s(&format!("schema: users\nenums:\n  e: [ok, {}]\n", long(64))),
            v(&["schema/m.yaml:", "63 bytes"]),
        ),
        (
            "two default names truncated to the same 63 bytes",
            s(&format!(
                "schema: users\ntables:\n  u:\n    columns:\n{id}    primary_key: [id]\n  t:\n    columns:\n      {a}_1: {{ type: int, references: users.u(id) }}\n      {a}_2: {{ type: int, references: users.u(id) }}\n",
                a = long(60)
            )),
            v(&["schema/m.yaml:10:", "two constraints named", "63 bytes"]),
        ),
        (
            "duplicate enum value",
            s("schema: users\nenums:\n  e: [a, b, a]\n"),
            v(&["schema/m.yaml:", "`a`"]),
        ),
        (
            "a table with no columns",
            s("schema: users\ntables:\n  t:\n    columns: {}\n"),
            v(&["schema/m.yaml:4:", "no columns"]),
        ),
        (
            "injection in a default",
            s(&table(
                "      id: { type: int, default: \"1); DROP TABLE users.t; --\" }\n",
                "",
            )),
            v(&["schema/m.yaml:5:", "has no matching `(`"]),
        ),
        (
            "injection in a check",
            s(&table(
                id,
                "    checks:\n      c: \"id > 0); DROP SCHEMA users CASCADE; --\"\n",
            )),
            v(&["schema/m.yaml:4:", "has no matching `(`"]),
        ),
        (
            "injection in an index predicate",
            s(&table(
                id,
                "    indexes:\n      t_i: { columns: [id], where: \"id > 0; DELETE FROM users.t\" }\n",
            )),
            v(&["schema/m.yaml:", "`;` is not allowed"]),
        ),
        (
            "injection in a generated expression",
            s(&table(
                &format!("{id}      g: {{ type: int, generated: \"id /* x */ + 1\" }}\n"),
                "",
            )),
            v(&["schema/m.yaml:6:", "comments are not allowed"]),
        ),
        (
            "unbalanced parenthesis in a default",
            s(&table("      id: { type: int, default: \"(1\" }\n", "")),
            v(&["schema/m.yaml:5:", "not closed"]),
        ),
        (
            "unknown on_delete",
            s(&table(
                &format!(
                    "{id}      u: {{ type: int, references: users.t(id), on_delete: explode }}\n"
                ),
                "    primary_key: [id]\n",
            )),
            v(&["schema/m.yaml:6:", "explode"]),
        ),
        (
            "malformed reference",
            s(&table(
                &format!("{id}      u: {{ type: int, references: \"users.t(\" }}\n"),
                "",
            )),
            v(&["schema/m.yaml:6:", "users.t("]),
        ),
        (
            "a file in another service's schema",
            s("schema: billing\ntables:\n  t:\n    columns:\n      id: { type: int }\n"),
            v(&["schema/m.yaml", "billing"]),
        ),
        ("an empty file", s(""), v(&["schema/m.yaml", "empty"])),
        (
            "a file of whitespace only",
            s("\n   \n\t\n"),
            v(&["schema/m.yaml", "empty"]),
        ),
        (
            "a binary file",
            (0u8..=255).cycle().take(4096).collect(),
            v(&["schema/m.yaml"]),
        ),
        (
            "a file that is not UTF-8",
            b"schema: users\ntables:\n  t\xe9:\n    columns:\n      id: { type: int }\n".to_vec(),
            v(&["schema/m.yaml", "UTF-8"]),
        ),
        (
            "an alias bomb",
            s(
                "schema: users\ncomment: &a [x, x, x, x, x, x, x, x, x]\nx1: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nx2: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nx3: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
            ),
            v(&["schema/m.yaml:"]),
        ),
        (
            "deep nesting",
            s(&format!(
                "schema: users\ncomment: {}{}\n",
                "[".repeat(100_000),
                "]".repeat(100_000)
            )),
            v(&["schema/m.yaml"]),
        ),
    ];
    // 50 MB: far past what the YAML parser is allowed to build for one file; refused early, at
    // the line where the limit is reached, instead of exhausting memory.
    let mut big = String::from("schema: users\ntables:\n  t:\n    columns:\n");
    let mut i = 0;
    while big.len() < 50 * 1024 * 1024 {
        big.push_str(&format!(
            "      c{i}: {{ type: int, comment: \"{}\" }}\n",
            "x".repeat(200)
        ));
        i += 1;
    }
    cases.push((
        "a 50 MB file",
        big.into_bytes(),
        vec!["schema/m.yaml:".into(), "split the model".into()],
    ));
    cases
}

fn fresh(name: &str, db: &TestDb) -> Project {
    let p = project(name, db);
    p.write("autogen.toml", CONFIG);
    p
}

fn schemas(db: &TestDb) -> Vec<String> {
    db.client()
        .query(
            "SELECT nspname::text FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('information_schema', 'public') ORDER BY 1",
            &[],
        )
        .expect("schemas")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// What is wrong with how `args` handled the bad input, if anything.
fn refusal_problem(
    p: &Project,
    db: &TestDb,
    args: &[&str],
    what: &str,
    expect: &[String],
) -> Option<String> {
    let (code, out, err) = p.run(args);
    if code != 2 {
        return Some(format!("{what}: exit code {code}\n{out}\n{err}"));
    }
    if let Some(e) = expect.iter().find(|e| !err.contains(e.as_str())) {
        return Some(format!("{what}: the message lacks `{e}`:\n{err}"));
    }
    if err.contains("panicked") {
        return Some(format!("{what}: a panic is not a message:\n{err}"));
    }
    // The YAML library's own vocabulary means nothing to a user.
    if let Some(leak) = ["DuplicateKeyPolicy", "Options", "invalid boolean"]
        .iter()
        .find(|w| err.contains(*w))
    {
        return Some(format!("{what}: the message leaks `{leak}`:\n{err}"));
    }
    if p.dir.join("snapshots").exists() || !p.migrations("users").is_empty() {
        return Some(format!("{what}: files were written"));
    }
    if !schemas(db).is_empty() {
        return Some(format!("{what}: something was applied"));
    }
    None
}

fn assert_refused(p: &Project, db: &TestDb, args: &[&str], what: &str, expect: &[String]) {
    if let Some(problem) = refusal_problem(p, db, args, what, expect) {
        panic!("{problem}");
    }
}

#[test]
fn bad_models_are_refused_with_their_place_and_nothing_written() {
    let db = TestDb::new();
    let cases = model_cases();
    assert!(cases.len() >= 40, "the corpus has {} cases", cases.len());
    let mut problems = Vec::new();
    for (what, bytes, expect) in cases {
        let p = fresh("hostile", &db);
        std::fs::create_dir_all(p.dir.join("schema")).expect("mkdir");
        std::fs::write(p.dir.join("schema/m.yaml"), &bytes).expect("write");
        for args in [&["revision", "-m", "x"][..], &["check", "--offline"]] {
            problems.extend(refusal_problem(&p, &db, args, what, &expect));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn bad_configuration_and_migration_files_are_refused() {
    let db = TestDb::new();
    let good = "schema: users\ntables:\n  t:\n    columns:\n      id: { type: int }\n";
    let configs: [(&str, &str, &[&str]); 4] = [
        (
            "unknown key in autogen.toml",
            "[database]\nurll = \"x\"\n",
            &["autogen.toml:2", "urll"],
        ),
        (
            "unknown section in autogen.toml",
            "[databse]\nurl = \"x\"\n",
            &["autogen.toml:1", "databse"],
        ),
        (
            "wrong type in autogen.toml",
            "[migrations]\nlock_timeout = 5\n",
            &["autogen.toml:2", "string"],
        ),
        (
            "malformed autogen.toml",
            "[[services]\nname = \"users\"\n",
            &["autogen.toml:1"],
        ),
    ];
    for (what, toml, expect) in configs {
        let p = fresh("hostile-config", &db);
        p.write("schema/m.yaml", good);
        p.write("autogen.toml", &format!("{toml}{CONFIG}"));
        let expect: Vec<String> = expect.iter().map(|s| s.to_string()).collect();
        assert_refused(&p, &db, &["revision", "-m", "x"], what, &expect);
        assert_refused(&p, &db, &["upgrade"], what, &expect);
    }

    // A migration file that is not UTF-8: upgrade refuses before running anything.
    let p = fresh("hostile-migration", &db);
    p.write("schema/m.yaml", good);
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    let path = p.dir.join("migrations/users/20260101000000_first.up.sql");
    let mut bytes = std::fs::read(&path).expect("read");
    bytes.extend_from_slice(b"\n-- caf\xe9\n");
    std::fs::write(&path, bytes).expect("write");
    let (code, out, err) = p.run(&["upgrade"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("20260101000000_first.up.sql") && err.contains("UTF-8"),
        "{err}"
    );
    assert!(schemas(&db).is_empty(), "nothing is applied");

    // A migration file with a name autogen does not read is named, not skipped.
    let p = fresh("hostile-migration-name", &db);
    p.write("schema/m.yaml", good);
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p.write(
        "migrations/users/latest.up.sql",
        "DROP SCHEMA users CASCADE;\n",
    );
    let (code, out, err) = p.run(&["upgrade"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(err.contains("latest.up.sql"), "{err}");
    assert!(schemas(&db).is_empty(), "nothing is applied");
}

/// Names with quotes, semicolons, spaces, capitals, unicode, reserved words and injection
/// attempts in every name position: legal in Postgres, so they must work, quoted.
#[test]
fn hostile_names_in_every_position_create_exactly_what_they_say() {
    let db = TestDb::new();
    let p = project("hostile-names", &db);
    p.write(
        "autogen.toml",
        "[[services]]\nname = \"users\"\nschema = \"Users; DROP SCHEMA x\"\nmodels = [\"schema/*.yaml\"]\n",
    );
    let model = r#"schema: "Users; DROP SCHEMA x"
enums:
  "select": ["it's", "a\"b", "; DROP TABLE t; --", "Ünïcode"]
tables:
  "Order\"); DROP TABLE users; --":
    comment: "'); DROP TABLE x; --"
    columns:
      "user": { type: bigint, identity: always }
      "My Column": { type: text, comment: "it's \"quoted\"" }
      "état": { type: "\"select\"", default: "'it''s'" }
      "from": { type: int, check: "\"from\" > 0" }
    primary_key: ["user"]
    unique:
      - { columns: ["My Column"], name: "u\"; DROP TABLE y; --" }
    indexes:
      "idx; DROP INDEX z": { columns: ["from", "état"] }
    foreign_keys:
      "fk'); --":
        columns: ["from"]
        references: "\"Users; DROP SCHEMA x\".\"Order\"\"); DROP TABLE users; --\"(\"user\")"
"#;
    p.write("schema/m.yaml", model);
    p.ok(&["revision", "-m", "hostile", "--version", "20260101000000"]);
    p.ok(&["upgrade"]);
    let mut c = db.client();
    let names = |c: &mut postgres::Client, sql: &str| -> Vec<String> {
        c.query(sql, &[])
            .expect(sql)
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    let ns = "(SELECT oid FROM pg_namespace WHERE nspname = 'Users; DROP SCHEMA x')";
    assert_eq!(
        names(
            &mut c,
            &format!("SELECT relname::text FROM pg_class WHERE relnamespace = {ns} ORDER BY 1")
        ),
        vec![
            "Order\"); DROP TABLE users; --".to_string(),
            "Order\"); DROP TABLE users; --_pkey".to_string(),
            "Order\"); DROP TABLE users; --_user_seq".to_string(),
            "idx; DROP INDEX z".to_string(),
            "u\"; DROP TABLE y; --".to_string(),
        ]
    );
    assert_eq!(
        names(
            &mut c,
            &format!(
                "SELECT conname::text FROM pg_constraint WHERE connamespace = {ns} ORDER BY 1"
            )
        ),
        vec![
            "Order\"); DROP TABLE users; --_from_check".to_string(),
            "Order\"); DROP TABLE users; --_pkey".to_string(),
            "fk'); --".to_string(),
            "u\"; DROP TABLE y; --".to_string(),
        ]
    );
    assert_eq!(
        names(
            &mut c,
            "SELECT enumlabel::text FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = 'select' ORDER BY enumsortorder"
        ),
        vec!["it's", "a\"b", "; DROP TABLE t; --", "Ünïcode"]
    );
    assert_eq!(
        names(
            &mut c,
            &format!(
                "SELECT attname::text FROM pg_attribute WHERE attrelid = (SELECT oid FROM pg_class WHERE relnamespace = {ns} AND relkind = 'r') AND attnum > 0 ORDER BY attnum"
            )
        ),
        vec!["user", "My Column", "état", "from"]
    );
    let comment: String = c
        .query_one(
            &format!("SELECT obj_description((SELECT oid FROM pg_class WHERE relnamespace = {ns} AND relkind = 'r'), 'pg_class')"),
            &[],
        )
        .expect("comment")
        .get(0);
    assert_eq!(comment, "'); DROP TABLE x; --");
    // Nothing else was created or dropped, and the database matches the model.
    assert_eq!(
        schemas(&db),
        vec!["Users; DROP SCHEMA x".to_string(), "autogen".to_string()]
    );
    let (code, out, err) = p.run(&["check"]);
    assert_eq!(code, 0, "{out}\n{err}");
}

/// Found by the property tests: a newline in a name ended the `-- N. create table ...` comment
/// line and ran the rest of the name as SQL; a quoted type name holding `(` could not be read;
/// a quoted referenced column lost its inner quotes.
#[test]
fn a_newline_in_a_name_cannot_end_a_comment_and_run_as_sql() {
    let db = TestDb::new();
    let p = project("hostile-newline", &db);
    p.write(
        "autogen.toml",
        "[[services]]\nname = \"app\"\nschema = \"app\"\nmodels = [\"schema/*.yaml\"]\n",
    );
    let model = r#"schema: app
enums:
  "kind(1)": [a, b]
tables:
  "t\nCREATE TABLE app.injected (x int); --":
    columns:
      "a\"b": { type: bigint }
      k: { type: "\"kind(1)\"" }
    primary_key: ["a\"b"]
  child:
    columns:
      ref: { type: bigint, references: "app.\"t\nCREATE TABLE app.injected (x int); --\"(\"a\"\"b\")" }
"#;
    p.write("schema/m.yaml", model);
    p.ok(&["revision", "-m", "newline", "--version", "20260101000000"]);
    let up = p.read("migrations/app/20260101000000_newline.up.sql");
    assert!(
        up.contains("-- 3. create table `app.t\\nCREATE TABLE app.injected (x int); --`\n"),
        "the name stays inside its comment line:\n{up}"
    );
    p.ok(&["upgrade"]);
    let mut c = db.client();
    let tables: Vec<String> = c
        .query(
            "SELECT relname::text FROM pg_class WHERE relnamespace = 'app'::regnamespace \
             AND relkind = 'r' ORDER BY 1",
            &[],
        )
        .expect("tables")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        tables,
        vec![
            "child".to_string(),
            "t\nCREATE TABLE app.injected (x int); --".to_string()
        ]
    );
    let (code, out, err) = p.run(&["check"]);
    assert_eq!(code, 0, "{out}\n{err}");
}
