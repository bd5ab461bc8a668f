//! Property tests with seeded random inputs, bounded so CI spends seconds on them: identifier
//! quoting and literals round-trip through real Postgres for any text, and the YAML loader
//! answers any mangled model with a model or an error, never a panic. A failure prints its seed;
//! `AUTOGEN_PROPERTY_SEED=<seed>` replays it, `AUTOGEN_PROPERTY_CASES=<n>` runs more.

use crate::harness::TestDb;
use autogen::model::load_sources;
use autogen::render::quote::{ident, literal};
use std::path::PathBuf;

fn rng() -> (fastrand::Rng, u64) {
    let seed = std::env::var("AUTOGEN_PROPERTY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    (fastrand::Rng::with_seed(seed), seed)
}

fn cases(default: usize) -> usize {
    std::env::var("AUTOGEN_PROPERTY_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Text built to hit the quoting rules: quotes, backslashes, `;`, `--`, spaces, capitals, digits
/// first, reserved words, multi-byte characters; 1 to 63 bytes, no NUL (Postgres refuses it).
fn nasty_name(r: &mut fastrand::Rng) -> String {
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
        "%",
        "?",
        ")",
        "(",
    ];
    loop {
        let mut s = String::new();
        for _ in 0..r.usize(1..8) {
            s.push_str(PIECES[r.usize(..PIECES.len())]);
        }
        while s.len() > 63 {
            s.pop();
        }
        if !s.is_empty() {
            return s;
        }
    }
}

#[test]
fn any_name_and_literal_round_trips_through_postgres() {
    let (mut r, seed) = rng();
    let db = TestDb::new();
    let mut c = db.client();
    for i in 0..cases(200) {
        let name = nasty_name(&mut r);
        let sql = format!(
            "CREATE TABLE {t} ({col} int); COMMENT ON TABLE {t} IS {lit}",
            t = ident(&name),
            col = ident(&format!("c{name}").chars().take(40).collect::<String>()),
            lit = literal(&name)
        );
        c.batch_execute(&sql)
            .unwrap_or_else(|e| panic!("seed {seed}, case {i}: {name:?}: {e}\n{sql}"));
        let row = c
            .query_one(
                "SELECT c.relname::text, obj_description(c.oid, 'pg_class') FROM pg_class c \
                 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'",
                &[],
            )
            .unwrap_or_else(|e| panic!("seed {seed}, case {i}: {name:?}: {e}"));
        let (got, comment): (String, String) = (row.get(0), row.get(1));
        assert_eq!(got, name, "seed {seed}, case {i}: the table's name");
        assert_eq!(comment, name, "seed {seed}, case {i}: the literal");
        c.batch_execute(&format!("DROP TABLE {}", ident(&name)))
            .expect("drop");
    }
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

/// A mangled copy of the model: bytes deleted, repeated, swapped or replaced.
fn mangle(r: &mut fastrand::Rng) -> Vec<u8> {
    const BYTES: &[u8] = b" :-[]{}\"'#&*!|>\n\t,;0aZ\xff\xc3";
    let mut b = MODEL.as_bytes().to_vec();
    for _ in 0..r.usize(1..6) {
        let at = r.usize(..b.len());
        match r.u8(..4) {
            0 => {
                b.remove(at);
            }
            1 => b.insert(at, BYTES[r.usize(..BYTES.len())]),
            2 => b[at] = BYTES[r.usize(..BYTES.len())],
            _ => {
                let end = (at + r.usize(1..20)).min(b.len());
                let copy = b[at..end].to_vec();
                b.splice(at..at, copy);
            }
        }
    }
    b
}

#[test]
fn the_loader_answers_any_mangled_model_without_panicking() {
    let (mut r, seed) = rng();
    let mut errors = 0;
    let n = cases(3000);
    for i in 0..n {
        let bytes = mangle(&mut r);
        let text = String::from_utf8_lossy(&bytes).to_string();
        let path = PathBuf::from("m.yaml");
        let result = std::panic::catch_unwind(|| load_sources(&[(path.clone(), text.clone())]));
        match result {
            Err(_) => panic!("seed {seed}, case {i}: the loader panicked on:\n{text}"),
            Ok(Err(e)) => {
                errors += 1;
                let shown = e.to_string();
                assert!(
                    shown.starts_with("m.yaml"),
                    "seed {seed}, case {i}: the error names no file: {shown}\n{text}"
                );
            }
            Ok(Ok(_)) => {}
        }
    }
    // Most mangles break the model; if none did, the mangling is not testing anything.
    assert!(
        errors > n / 10,
        "seed {seed}: only {errors} of {n} were refused"
    );
}
