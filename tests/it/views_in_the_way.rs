//! A view written by hand (declared by no model) over a column a migration changes:
//! `revision --from-db` and `check` name it with the SQL that takes it out of the way, instead
//! of `upgrade` finding out.

use crate::harness::TestDb;
use crate::workflow::{USERS, project};

#[test]
fn revision_from_db_names_a_hand_made_view_in_the_way_and_its_fix_applies() {
    let db = TestDb::new();
    let p = project("view-in-the-way", &db);
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p.ok(&["upgrade"]);
    db.client()
        .batch_execute(
            "CREATE VIEW users.\"Active emails\" AS \
             SELECT id, email FROM users.accounts WHERE email <> ''",
        )
        .expect("view");
    p.write(
        "schema/users/users.yaml",
        &USERS.replace("email: { type: text }", "email: { type: varchar }"),
    );
    let (code, out, err) = p.run(&[
        "revision",
        "-m",
        "email as varchar",
        "--from-db",
        "--version",
        "20260102000000",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        err.contains("warning: [users] the view `users.Active emails`")
            && err.contains("column `email` of `users.accounts`"),
        "{err}"
    );
    assert!(err.contains("DROP VIEW users.\"Active emails\";"), "{err}");
    let create: Vec<&str> = err
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("CREATE VIEW"))
        .take_while(|l| !l.starts_with("warning:") && !l.is_empty())
        .collect();
    assert!(
        create
            .first()
            .is_some_and(|l| l.contains("users.\"Active emails\" AS")),
        "{err}"
    );
    assert!(create.join("\n").contains("FROM users.accounts"), "{err}");

    // `check` says the same of the pending migration, as a warning of the database check.
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "the migration is not applied: {out}");
    assert!(
        out.contains("warning: the view `users.Active emails` (not managed by autogen) reads column `email` of `users.accounts`")
            && out.contains("DROP VIEW users.\"Active emails\";"),
        "{out}"
    );

    // As the warning says, the migration as written fails on this database, and nothing of it
    // stays.
    let up_name = p
        .migrations("users")
        .into_iter()
        .find(|n| n.starts_with("20260102000000") && n.ends_with(".up.sql"))
        .expect("the new migration");
    let (code, out, uerr) = p.run(&["upgrade"]);
    assert_ne!(code, 0, "{out}\n{uerr}");
    assert!(uerr.contains("used by a view or rule"), "{uerr}");

    // With the fix it gives, the migration applies and the view is still there.
    let rel = format!("migrations/users/{up_name}");
    let up = p.read(&rel);
    let (header, body) = up.split_once("\n\n").expect("a header");
    p.write(
        &rel,
        &format!(
            "{header}\n\nDROP VIEW users.\"Active emails\";\n\n{body}\n{};\n",
            create.join("\n")
        ),
    );
    p.ok(&["upgrade"]);
    let kept: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM pg_views WHERE schemaname = 'users' AND viewname = 'Active emails'",
            &[],
        )
        .expect("query")
        .get(0);
    assert_eq!(kept, 1);

    // Offline, without the database, there is nothing to warn about.
    p.write("schema/users/users.yaml", USERS);
    let (_, _, err) = p.run(&["revision", "-m", "back", "--version", "20260103000000"]);
    assert!(!err.contains("warning:"), "{err}");
}

/// A view made by hand over a view the model declares: the plan drops and re-creates the
/// declared one around a type change, which Postgres refuses while the hand-made one reads it;
/// `revision --from-db` says so.
#[test]
fn a_hand_made_view_over_a_declared_view_is_named() {
    let db = TestDb::new();
    let p = project("view-over-view", &db);
    p.two_services();
    let users = format!("{USERS}views:\n  emails:\n    query: SELECT id, email FROM accounts\n");
    p.write("schema/users/users.yaml", &users);
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p.ok(&["upgrade"]);
    db.client()
        .batch_execute("CREATE VIEW users.mine AS SELECT email FROM users.emails")
        .expect("view");
    p.write(
        "schema/users/users.yaml",
        &users.replace("email: { type: text }", "email: { type: varchar }"),
    );
    let (code, out, err) = p.run(&["revision", "-m", "varchar", "--from-db"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        err.contains("the view `users.mine` (not managed by autogen) reads view `users.emails`, which the migration drops"),
        "{err}"
    );
}
