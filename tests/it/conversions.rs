//! Type changes and defaults through the binary on real Postgres: a column's declared
//! conversion (`using:`), enum labels that the new type lacks, defaults that differ only by the
//! cast Postgres stores, and snapshots as `diff` sources.

use crate::harness::TestDb;
use crate::workflow::project;

const CONFIG: &str =
    "[[services]]\nname = \"app\"\nschema = \"app\"\nmodels = [\"schema/*.yaml\"]\n";

const ROLES: &str = "schema: app\nenums:\n  old_role: [Admin, Member]\ntables:\n  members:\n    columns:\n      id: { type: bigint }\n      role: { type: old_role }\n    primary_key: [id]\n";

#[test]
fn a_declared_conversion_maps_values_and_missing_labels_are_named() {
    let db = TestDb::new();
    let p = project("using", &db);
    p.write("autogen.toml", CONFIG);
    p.write("schema/app.yaml", ROLES);
    p.ok(&["revision", "-m", "members", "--version", "20260101000000"]);
    p.ok(&["upgrade"]);
    db.client()
        .batch_execute("INSERT INTO app.members VALUES (1, 'Admin'), (2, 'Member')")
        .expect("rows");

    // A new enum spelled differently: a plain cast would fail on every row.
    let renamed = ROLES
        .replace(
            "  old_role: [Admin, Member]\n",
            "  old_role: [Admin, Member]\n  role: [admin, member]\n",
        )
        .replace(
            "role: { type: old_role }",
            "role: { type: role, using: \"lower(role::text)::app.role\" }",
        );
    p.write("schema/app.yaml", &renamed);
    p.ok(&["revision", "-m", "lower", "--version", "20260102000000"]);
    let up = p.read("migrations/app/20260102000000_lower.up.sql");
    assert!(
        up.contains("TYPE app.role USING lower(role::text)::app.role;"),
        "{up}"
    );
    assert!(up.contains("converted by the model's `using:"), "{up}");
    // The way back cannot use the model's expression; it names the labels that will not fit.
    let down = p.read("migrations/app/20260102000000_lower.down.sql");
    assert!(
        down.contains("rows holding `admin`, `member` (labels that `app.old_role` lacks)"),
        "{down}"
    );
    assert!(!down.contains("lower("), "{down}");
    p.ok(&["upgrade"]);
    let roles: Vec<String> = db
        .client()
        .query("SELECT role::text FROM app.members ORDER BY id", &[])
        .expect("read")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(roles, ["admin", "member"]);

    // `using:` applies only to a type change: it stays in the model with nothing to do, and
    // the snapshot never records it (a later type change must not reuse a stale expression).
    let snapshot = p.read("snapshots/app/20260102000000.yaml");
    assert!(!snapshot.contains("using"), "{snapshot}");
    let (code, out, err) = p.run(&["revision", "-m", "nothing"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(format!("{out}{err}").contains("no changes"), "{out}{err}");
    p.ok(&["check"]);

    // A `using:` that is not one expression is refused at its line.
    p.write(
        "schema/app.yaml",
        &renamed.replace("lower(role::text)::app.role", "1; DROP TABLE app.members"),
    );
    let (code, _, err) = p.run(&["revision", "-m", "bad"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("schema/app.yaml:9:") && err.contains("`using` of `app.members.role`"),
        "[{err}]"
    );
}

/// A dump (or a database) stores `'light'::character varying`; a hand-written model says
/// `'light'`. Without a shadow to normalize both, they must still compare equal: a spurious
/// `SET DEFAULT` takes a lock for nothing.
#[test]
fn defaults_that_differ_only_by_the_stored_cast_are_equal_offline() {
    let dir = crate::support::TempDir::new("autogen-cast", "defaults");
    let table = |theme: &str, state: &str, tags: &str| {
        format!(
            "schema: app\nenums:\n  state: [on, off]\ntables:\n  prefs:\n    columns:\n      id: {{ type: bigint }}\n      theme: {{ type: \"varchar(10)\", default: \"{theme}\" }}\n      state: {{ type: state, default: \"{state}\" }}\n      tags: {{ type: \"text[]\", default: \"{tags}\" }}\n    primary_key: [id]\n"
        )
    };
    let stored = dir.join("stored.yaml");
    let written = dir.join("written.yaml");
    let changed = dir.join("changed.yaml");
    std::fs::write(
        &stored,
        table(
            "'light'::character varying",
            "'on'::app.state",
            "'{}'::text[]",
        ),
    )
    .expect("write");
    std::fs::write(&written, table("'light'", "'on'", "'{}'")).expect("write");
    // A cast to another type is a real difference.
    std::fs::write(&changed, table("'dark'", "'on'::state", "'{}'::varchar[]")).expect("write");
    let diff = |from: &std::path::Path, to: &std::path::Path| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_autogen"))
            .args(["diff", "--exit-code", "--from"])
            .arg(from)
            .arg("--to")
            .arg(to)
            .output()
            .expect("run");
        crate::workflow::decode(&out)
    };
    let (code, out, err) = diff(&stored, &written);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.is_empty(), "{out}");
    let (code, out, err) = diff(&stored, &changed);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("theme SET DEFAULT 'dark'")
            && out.contains("tags SET DEFAULT '{}'::varchar[]"),
        "{out}"
    );
    assert!(!out.contains("state"), "{out}");
}

/// Snapshots are in the model format: a snapshot file, a service's snapshots at a version and
/// the project's snapshots at a version are `diff` sources, against models and databases.
#[test]
fn snapshots_are_diff_sources() {
    let db = TestDb::new();
    let p = project("snapshot-source", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p.write(
        "schema/users/users.yaml",
        &crate::workflow::USERS.replace(
            "      email: { type: text }\n",
            "      email: { type: text }\n      bio: { type: text, nullable: true }\n",
        ),
    );
    p.ok(&["revision", "-m", "bio", "--version", "20260102000000"]);
    p.ok(&["upgrade"]);
    let url = p.url.clone();
    let diff = |from: &str, to: &str| {
        let (code, out, err) = p.run(&["diff", "--exit-code", "--from", from, "--to", to]);
        assert!(code == 0 || code == 1, "{from} -> {to}: {err}");
        out
    };
    // The file of the first migration, against the head model.
    let one = diff("snapshots/users/20260101000000.yaml", "schema/users");
    assert!(one.contains("ADD COLUMN bio text"), "{one}");
    // A service's snapshots at a version: the last at or before it.
    let at = diff("snapshots/users@20260101999999", "schema/users");
    assert_eq!(at, one);
    // Every service's head, against the live database: nothing differs.
    assert_eq!(diff("snapshots", &url), "");
    // The project's snapshots at the first version, against the database: the way back.
    let back = diff(&url, "snapshots@20260101999999");
    assert!(back.contains("DROP COLUMN bio"), "{back}");
    assert!(
        !back.contains("notes"),
        "the notes service did not change: {back}"
    );
    let (code, _, err) = p.run(&["diff", "--from", "snapshots@2025", "--to", "schema/users"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no snapshot at or before version 2025"),
        "{err}"
    );
}
