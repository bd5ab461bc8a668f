//! One service at a time (`--service`) through the binary on real Postgres: `upgrade` names the
//! service to upgrade first when another's tables are missing, and `downgrade` refuses up front,
//! naming the other service's objects, instead of stopping half-way.

use crate::harness::TestDb;
use crate::workflow::{USERS, exists, history_rows, project};

#[test]
fn services_run_alone_say_what_must_come_first() {
    let db = TestDb::new();
    let p = project("one-service", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);

    // notes references users.accounts: alone on an empty database it cannot run.
    let (code, _, err) = p.run(&["upgrade", "--service", "notes"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("needs `users.accounts`, which service `users` creates")
            && err.contains("run `autogen upgrade --service users` first"),
        "{err}"
    );
    assert!(!err.contains("does not exist"), "no Postgres error: {err}");
    assert!(history_rows(&db).is_empty());
    p.ok(&["upgrade", "--service", "users"]);
    p.ok(&["upgrade", "--service", "notes"]);
    assert_eq!(history_rows(&db).len(), 2);

    // A later users migration that nothing else depends on reverts alone.
    p.write(
        "schema/users/users.yaml",
        &USERS.replace(
            "      email: { type: text }\n",
            "      email: { type: text }\n      bio: { type: text, nullable: true }\n",
        ),
    );
    p.ok(&["revision", "-m", "bio", "--version", "20260102000000"]);
    p.ok(&["upgrade", "--service", "users"]);
    p.ok(&["downgrade", "-1", "--service", "users", "--yes"]);
    assert_eq!(history_rows(&db).len(), 2);

    // Reverting users' base would drop the table notes' foreign key points at: refused before
    // anything is reverted, naming the key.
    let (code, _, err) = p.run(&["downgrade", "base", "--service", "users", "--yes"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("nothing was reverted")
            && err.contains(
                "constraint notes_owner_fkey on table notes.notes depends on table users.accounts"
            ),
        "{err}"
    );
    assert_eq!(history_rows(&db).len(), 2);
    assert!(exists(&db, "users.accounts"));

    // Written by hand in SQL, in a schema no service owns: a reporting view on users' table.
    // autogen does not manage it, so it names it rather than let the revert fail on it.
    db.client()
        .batch_execute(
            "CREATE SCHEMA reporting; \
             CREATE VIEW reporting.\"Active Accounts\" AS SELECT id, email FROM users.accounts;",
        )
        .expect("hand-written view");
    let (code, _, err) = p.run(&["downgrade", "base", "--yes"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("rule _RETURN on view reporting.\"Active Accounts\" depends on")
            && err.contains("users.accounts"),
        "{err}"
    );
    assert_eq!(history_rows(&db).len(), 2, "nothing was reverted");
    db.client()
        .batch_execute("DROP SCHEMA reporting CASCADE")
        .expect("drop the view");

    // Both together: notes first (newer), then users; nothing is left.
    p.ok(&["downgrade", "base", "--yes"]);
    assert!(history_rows(&db).is_empty());
    assert!(!exists(&db, "users.accounts"));
}
