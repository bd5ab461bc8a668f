//! Repairing a broken chain through the binary on real Postgres: a lost base migration is
//! named for what it is (never a present file called "missing") and rebuilt byte-identical
//! from the snapshots on both sides of it.

use crate::harness::TestDb;
use crate::workflow::{NOTES, USERS, project};

#[test]
fn a_lost_migration_is_rebuilt_byte_identical_from_the_snapshots() {
    let db = TestDb::new();
    let p = project("rebuild", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    // A second step with an index, a check, an enum value and a type change: enough SQL for
    // byte-identity to mean something.
    p.write(
        "schema/users/users.yaml",
        &USERS
            .replace(
                "      email: { type: text }\n",
                "      email: { type: \"varchar(200)\", check: \"length(email) > 3\" }\n      bio: { type: text, nullable: true }\n",
            )
            .replace(
                "    primary_key: [id]\n",
                "    primary_key: [id]\n    indexes:\n      accounts_bio_idx: { columns: [bio] }\n",
            ),
    );
    p.write(
        "schema/notes/notes.yaml",
        &NOTES.replace("[draft, done]", "[draft, review, done]"),
    );
    p.ok(&[
        "revision",
        "-m",
        "second step",
        "--version",
        "20260102000000",
        "--allow-destructive",
    ]);
    p.ok(&["upgrade", "--allow-destructive"]);
    let files = p.migrations("users");
    assert_eq!(files.len(), 4, "{files:?}");
    let originals: Vec<(String, String)> = files
        .iter()
        .map(|f| (f.clone(), p.read(&format!("migrations/users/{f}"))))
        .collect();

    // The base is lost (a bad merge): its child and the history still name it.
    for (f, _) in originals
        .iter()
        .filter(|(f, _)| f.starts_with("20260101000000"))
    {
        std::fs::remove_file(p.dir.join("migrations/users").join(f)).expect("rm");
    }
    let (code, out, err) = p.run(&["validate"]);
    assert_eq!(code, 1, "{out}{err}");
    let text = format!("{out}{err}");
    assert!(
        text.contains("has parent 20260101000000, which is not among"),
        "{text}"
    );
    assert!(
        text.contains("20260101000000 (20260101000000_first) is applied to the database but its file is missing"),
        "{text}"
    );
    // The second file is there: out of the chain, never "missing".
    assert!(
        text.contains("20260102000000 (20260102000000_second_step) is applied, and its file")
            && text.contains("is there but out of the chain"),
        "{text}"
    );
    assert!(
        !text.contains(
            "20260102000000 (20260102000000_second_step) is applied to the database but its file is missing"
        ),
        "{text}"
    );
    let (_, status, _) = p.run(&["history"]);
    assert!(status.contains("out of the chain"), "{status}");

    // Rebuilt: the same bytes, and everything adds up again.
    let (code, out, err) = p.run(&[
        "revision",
        "--rebuild",
        "20260101000000",
        "--service",
        "users",
        "-m",
        "first",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    for (f, text) in &originals {
        assert_eq!(&p.read(&format!("migrations/users/{f}")), text, "{f}");
    }
    p.ok(&["validate"]);
    p.ok(&["check"]);

    // A migration in the middle, too (the notes service's second step, with its enum value).
    let notes: Vec<(String, String)> = p
        .migrations("notes")
        .iter()
        .filter(|f| f.starts_with("20260102000001"))
        .map(|f| (f.clone(), p.read(&format!("migrations/notes/{f}"))))
        .collect();
    assert_eq!(notes.len(), 2, "{:?}", p.migrations("notes"));
    for (f, _) in &notes {
        std::fs::remove_file(p.dir.join("migrations/notes").join(f)).expect("rm");
    }
    p.ok(&[
        "revision",
        "--rebuild",
        "20260102000001",
        "--service",
        "notes",
        "-m",
        "second step",
    ]);
    for (f, text) in &notes {
        assert_eq!(&p.read(&format!("migrations/notes/{f}")), text, "{f}");
    }
    p.ok(&["validate"]);

    // Refusals: a migration whose files exist, a version with no snapshot, no service named.
    let (code, _, err) = p.run(&[
        "revision",
        "--rebuild",
        "20260102000001",
        "--service",
        "notes",
        "-m",
        "x",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("exists: --rebuild writes only a migration whose files are lost"),
        "{err}"
    );
    let (code, _, err) = p.run(&[
        "revision",
        "--rebuild",
        "20270101000000",
        "--service",
        "notes",
        "-m",
        "x",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("there is no snapshot"), "{err}");
    let (code, _, err) = p.run(&["revision", "--rebuild", "20260101000000", "-m", "x"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("name its service with --service"), "{err}");
}
