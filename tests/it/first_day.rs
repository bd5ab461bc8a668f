//! A new user's first day, through the binary on real Postgres: a Supabase project written by
//! hand in SQL adopted and kept green by `check`; the replay's stand-ins, setup file and down
//! checks; recording a database that already has its tables; `check` that cannot turn green by
//! losing its database URL.

use crate::harness::TestDb;
use crate::workflow::{Project, history_rows, project};

/// What Supabase gives a project and the project does not own: roles (the server's, so made
/// only if missing: tests share a server), the `auth` schema with `auth.users` and
/// `auth.uid()`, and `storage`.
const PLATFORM: &str = r#"
DO $$ BEGIN CREATE ROLE anon NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE authenticated NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE service_role NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
CREATE SCHEMA auth;
CREATE TABLE auth.users (id uuid PRIMARY KEY, email text, raw_user_meta_data jsonb);
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE
  AS $f$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $f$;
CREATE SCHEMA storage;
CREATE TABLE storage.buckets (id text PRIMARY KEY, name text NOT NULL);
"#;

/// The project's own part, as a team writes it: tables referencing `auth.users`, an enum,
/// checks, RLS, a policy calling `auth.uid()`, grants to Supabase's roles.
const APP: &str = r#"
CREATE TYPE public.plan AS ENUM ('free', 'pro');
CREATE TABLE public.profiles (
  id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,
  username text UNIQUE CHECK (char_length(username) >= 3),
  plan public.plan NOT NULL DEFAULT 'free',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE public.notes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner uuid NOT NULL REFERENCES auth.users (id),
  body text NOT NULL
);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY "own notes" ON public.notes FOR SELECT TO authenticated USING (owner = auth.uid());
GRANT SELECT ON public.notes TO authenticated;
CREATE VIEW public.profile_emails AS
  SELECT p.id, p.username, u.email FROM public.profiles p JOIN auth.users u ON u.id = p.id;
CREATE FUNCTION public.note_count(who uuid) RETURNS bigint LANGUAGE sql STABLE
  AS $f$ SELECT count(*) FROM public.notes WHERE owner = who $f$;
"#;

fn supabase_db() -> TestDb {
    let db = TestDb::new();
    db.client()
        .batch_execute(&format!("{PLATFORM}{APP}"))
        .expect("fixture");
    db
}

#[test]
fn a_supabase_project_adopted_from_its_database_passes_check() {
    let db = supabase_db();
    let p = project("supabase-adopt", &db);

    // Without --preset, the platform's schemas would be adopted as the project's: refused,
    // with the way out, before anything is written.
    let (code, _, err) = p.run(&["init", "--from-db"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--preset supabase"), "{err}");
    assert!(!p.dir.join("autogen.toml").exists());
    assert!(!p.dir.join("schema").exists());

    let out = p.ok(&[
        "init",
        "--from-db",
        "--preset",
        "supabase",
        "--mark-applied",
    ]);
    assert!(
        out.contains("next: the baseline is recorded as applied"),
        "{out}"
    );
    // Row-level security and the policy are adopted; nothing is left out to name.
    assert!(!out.contains("not adopted"), "{out}");
    assert!(!out.contains("auth.uid"), "{out}");
    let config = p.read("autogen.toml");
    assert!(
        config
            .lines()
            .any(|l| l.starts_with("preset = \"supabase\"")),
        "{config}"
    );
    let model = p.read("schema/public.yaml");
    assert!(model.contains("auth.users"), "{model}");
    // A view over the platform's `auth.users` is adopted (the shadow knows Supabase's columns of
    // it), and so are a function, row-level security and the policy calling `auth.uid()`.
    assert!(model.contains("  profile_emails:\n    query:"), "{model}");
    assert!(
        model.contains("  note_count:\n    arguments: who uuid\n"),
        "{model}"
    );
    let baseline = p
        .migrations("app")
        .into_iter()
        .find(|n| n.ends_with(".up.sql"))
        .map(|n| p.read(&format!("migrations/app/{n}")))
        .unwrap_or_default();
    assert!(
        model.contains("    rls: true\n    policies:\n      own notes:\n        command: select\n        roles:\n        - authenticated\n        using: (owner = auth.uid())\n"),
        "{model}"
    );
    assert!(
        !baseline.contains("-- Not adopted: ")
            && baseline.contains("CREATE FUNCTION public.note_count(who uuid)")
            && baseline.contains("ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;")
            && baseline.contains(
                "CREATE POLICY \"own notes\" ON public.notes FOR SELECT TO authenticated USING ((owner = auth.uid()));"
            ),
        "{baseline}"
    );
    assert!(!model.contains("buckets"), "{model}");
    // The grant to Supabase's role is adopted, and the role with it: the project manages the
    // grants of `authenticated` from now on, and of no other role.
    assert!(
        model.contains("roles:\n- authenticated\n")
            && model.contains("    grants:\n      authenticated: select\n")
            && baseline.contains("GRANT SELECT ON TABLE public.notes TO authenticated;"),
        "{model}\n{baseline}"
    );

    // Against the database and offline: the replay stands in for `auth.users`.
    let (code, out, err) = p.run(&["check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("in sync"), "{out}");
    let (code, out, err) = p.run(&["check", "--offline"]);
    assert_eq!(code, 0, "{out}{err}");
    p.ok(&["validate"]);

    // A hand-written migration: grants to Supabase's roles the model does not manage, and a
    // policy calling `auth.uid()`. The replay creates the roles and the function.
    p.ok(&[
        "revision",
        "-m",
        "policies",
        "--empty",
        "--version",
        "20990101000000",
    ]);
    let up = p.dir.join("migrations/app/20990101000000_policies.up.sql");
    let text = std::fs::read_to_string(&up).expect("up");
    std::fs::write(
        &up,
        format!(
            "{text}GRANT SELECT ON public.profiles TO anon, service_role;\n\
             CREATE POLICY \"read profiles\" ON public.profiles FOR SELECT TO anon, authenticated \
             USING (id = auth.uid() OR true);\n"
        ),
    )
    .expect("write");
    std::fs::write(
        p.dir
            .join("migrations/app/20990101000000_policies.down.sql"),
        "-- autogen migration (down)\nDROP POLICY \"read profiles\" ON public.profiles;\n\
         REVOKE SELECT ON public.profiles FROM anon, service_role;\n",
    )
    .expect("write");
    let (code, out, err) = p.run(&["check", "--offline"]);
    assert_eq!(code, 0, "{out}{err}");
    p.ok(&["upgrade"]);
    let (code, out, err) = p.run(&["check"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn the_shadow_setup_file_runs_before_every_replay() {
    let db = TestDb::new();
    let p = project("setup-file", &db);
    p.write(
        "autogen.toml",
        "[database]\nurl = \"${DATABASE_URL}\"\n\n[shadow]\nsetup = \"shadow/setup.sql\"\n",
    );
    p.write(
        "schema/app.yaml",
        "schema: public\ntables:\n  docs:\n    columns:\n      id: { type: int }\n    primary_key: [id]\n",
    );
    // What stand-ins cannot guess: a platform helper that a hand-written migration calls.
    p.write(
        "shadow/setup.sql",
        "CREATE SCHEMA platform;\nCREATE FUNCTION platform.tenant() RETURNS int LANGUAGE sql AS 'SELECT 1';\n",
    );
    p.ok(&["revision", "-m", "docs", "--version", "20260101000000"]);
    p.ok(&[
        "revision",
        "-m",
        "by hand",
        "--empty",
        "--version",
        "20260102000000",
    ]);
    let up = "migrations/app/20260102000000_by_hand.up.sql";
    let text = p.read(up);
    p.write(
        up,
        &format!("{text}CREATE VIEW public.mine AS SELECT id FROM public.docs WHERE id = platform.tenant();\n"),
    );
    p.write(
        "migrations/app/20260102000000_by_hand.down.sql",
        "-- autogen migration (down)\nDROP VIEW public.mine;\n",
    );
    let (code, out, err) = p.run(&["check", "--offline"]);
    assert_eq!(code, 0, "{out}{err}");

    // Without the setup, the replay cannot run the migration: named with its file and line.
    p.write("autogen.toml", "[database]\nurl = \"${DATABASE_URL}\"\n");
    let (code, out, _) = p.run(&["check", "--offline"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("migrations/app/20260102000000_by_hand.up.sql")
            && out.contains("platform.tenant"),
        "{out}"
    );

    // A setup file that fails is named with its line.
    p.write(
        "autogen.toml",
        "[database]\nurl = \"${DATABASE_URL}\"\n\n[shadow]\nsetup = \"shadow/setup.sql\"\n",
    );
    p.write(
        "shadow/setup.sql",
        "CREATE SCHEMA platform;\n\nCREATE FUNCTION nope(;\n",
    );
    let (code, _, err) = p.run(&["check", "--offline"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("shadow/setup.sql:3"), "{err}");
    // And one that is missing is named too.
    std::fs::remove_file(p.dir.join("shadow/setup.sql")).expect("rm");
    let (code, _, err) = p.run(&["check", "--offline"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("shadow/setup.sql"), "{err}");
}

fn two_revisions(p: &Project) {
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p.write(
        "schema/users/users.yaml",
        &crate::workflow::USERS.replace(
            "    primary_key: [id]\n",
            "      bio: { type: text, nullable: true }\n    primary_key: [id]\n",
        ),
    );
    p.ok(&["revision", "-m", "bio", "--version", "20260102000000"]);
}

#[test]
fn a_down_file_that_does_not_restore_its_parent_is_found() {
    let db = TestDb::new();
    let p = project("down-check", &db);
    two_revisions(&p);
    p.ok(&["check", "--offline"]);
    let down = "migrations/users/20260102000000_bio.down.sql";
    let good = p.read(down);
    // The down file forgets to drop the column.
    let bad: String = good
        .lines()
        .filter(|l| !l.contains("DROP COLUMN"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(bad, good);
    p.write(down, &bad);
    let (code, out, _) = p.run(&["check", "--offline"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("users.accounts.bio")
            && out.contains("once the down file of migration 20260102000000 has run")
            && out.contains(down),
        "{out}"
    );
    let (code, _, err) = p.run(&["validate"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("users.accounts.bio"), "{err}");
    // A down file that fails is named with its line.
    p.write(down, &format!("{good}SELECT no_such_function();\n"));
    let (code, out, _) = p.run(&["check", "--offline"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the down file of migration 20260102000000 fails") && out.contains(down),
        "{out}"
    );
    p.write(down, &good);
    p.ok(&["check", "--offline"]);
}

#[test]
fn a_database_made_without_autogen_is_recorded_with_mark_head() {
    let db = TestDb::new();
    let p = project("mark-head", &db);
    two_revisions(&p);
    // The same schema, made by another tool: the up files run by hand, no history.
    let mut c = db.client();
    for f in [
        "migrations/users/20260101000000_first.up.sql",
        "migrations/notes/20260101000001_first.up.sql",
        "migrations/users/20260102000000_bio.up.sql",
    ] {
        let sql: String = p
            .read(f)
            .lines()
            .filter(|l| !l.starts_with("-- autogen:"))
            .map(|l| format!("{l}\n"))
            .collect();
        c.batch_execute(&sql).expect(f);
    }
    let (code, out, _) = p.run(&["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("already holds the schema of migration 20260102000000_bio")
            && out.contains("autogen mark 20260102000000 --applied")
            && !out.contains("undo the change"),
        "{out}"
    );
    let (code, out, _) = p.run(&["status"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("already holds the schema of migration 20260102000000_bio")
            && out.contains("autogen mark 20260102000000 --applied --service users"),
        "{out}"
    );
    let (code, _, err) = p.run(&["upgrade"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("autogen mark"), "{err}");
    assert!(history_rows(&db).is_empty(), "upgrade ran nothing");

    let out = p.ok(&["mark", "head", "--applied"]);
    assert!(
        out.contains("marked notes 20260101000001_first as applied"),
        "{out}"
    );
    assert_eq!(history_rows(&db).len(), 3);
    let (code, out, err) = p.run(&["check"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn mark_refuses_a_database_that_differs_and_forgets_rows_whose_file_is_gone() {
    let db = TestDb::new();
    let p = project("mark-refuse", &db);
    two_revisions(&p);
    let (code, _, err) = p.run(&["mark", "20260101000000", "--applied"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("users.accounts: table removed") && err.contains("--force"),
        "{err}"
    );
    assert!(history_rows(&db).is_empty());
    let out = p.ok(&["mark", "20260101000000", "--applied", "--force"]);
    assert!(out.contains("recorded with --force"), "{out}");
    // Up to that point only: users' first migration; notes' (a later version) and bio are not.
    assert_eq!(
        history_rows(&db),
        vec![("users".into(), "20260101000000".into(), true)]
    );
    p.ok(&["mark", "head", "--applied", "--force"]);
    assert_eq!(history_rows(&db).len(), 3);
    // The file of a recorded migration goes away; its row can still be forgotten.
    for f in [
        "migrations/users/20260102000000_bio.up.sql",
        "migrations/users/20260102000000_bio.down.sql",
        "snapshots/users/20260102000000.yaml",
    ] {
        std::fs::remove_file(p.dir.join(f)).expect("rm");
    }
    let out = p.ok(&["mark", "20260102000000", "--not-applied"]);
    assert!(
        out.contains("marked users 20260102000000_bio as not applied"),
        "{out}"
    );
    assert_eq!(history_rows(&db).len(), 2);
    let (code, _, err) = p.run(&["mark", "20260102000000", "--not-applied"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("records no migration 20260102000000"), "{err}");
}

#[test]
fn check_cannot_turn_green_by_losing_its_database_url() {
    let db = TestDb::new();
    let p = project("lost-secret", &db);
    p.two_services();
    p.write(
        "autogen.toml",
        &format!(
            "[database]\nurl = \"${{AUTOGEN_TEST_LOST_SECRET}}\"\n{}",
            crate::workflow::TWO_SERVICES
        ),
    );
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    let out = p
        .command(&["check"])
        .env_remove("DATABASE_URL")
        .env_remove("AUTOGEN_TEST_LOST_SECRET")
        .output()
        .expect("run");
    let (code, stdout, err) = crate::workflow::decode(&out);
    assert_eq!(code, 2, "{stdout}{err}");
    assert!(
        err.contains("`AUTOGEN_TEST_LOST_SECRET`") && err.contains("--offline"),
        "{err}"
    );
    let out = p
        .command(&["check", "--offline"])
        .env_remove("DATABASE_URL")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    // No URL configured at all: green, and it says what it skipped.
    p.write("autogen.toml", crate::workflow::TWO_SERVICES);
    let out = p
        .command(&["check"])
        .env_remove("DATABASE_URL")
        .env_remove("PGHOST")
        .env_remove("PGDATABASE")
        .env_remove("DB_HOST")
        .env_remove("DB_NAME")
        .output()
        .expect("run");
    let (code, stdout, err) = crate::workflow::decode(&out);
    assert_eq!(code, 0, "{stdout}{err}");
    assert!(stdout.contains("were not checked"), "{stdout}");
}

#[test]
fn an_unmarked_destructive_migration_is_a_check_finding() {
    let db = TestDb::new();
    let p = project("unmarked", &db);
    two_revisions(&p);
    p.write("schema/users/users.yaml", crate::workflow::USERS);
    p.ok(&[
        "revision",
        "-m",
        "drop bio",
        "--allow-destructive",
        "--version",
        "20260103000000",
    ]);
    p.ok(&["check", "--offline"]);
    let up = "migrations/users/20260103000000_drop_bio.up.sql";
    let text: String = p
        .read(up)
        .lines()
        .filter(|l| !l.starts_with("-- allow-destructive:"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(text, p.read(up), "the marker was there");
    p.write(up, &text);
    let (code, out, _) = p.run(&["check", "--offline"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("loses data and is not marked as reviewed") && out.contains(up),
        "{out}"
    );
    let (code, _, err) = p.run(&["validate", "--offline"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("allow-destructive"), "{err}");
}

#[test]
fn one_service_is_checked_with_the_services_it_depends_on() {
    let db = TestDb::new();
    let p = project("service-deps", &db);
    two_revisions(&p);
    // `notes` has a foreign key into `users`: its replay needs users' migrations first.
    let (code, out, err) = p.run(&["check", "--offline", "--service", "notes"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = p.run(&["validate", "--service", "notes"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn init_from_db_for_one_service_never_overwrites_a_model_file() {
    let db = TestDb::new();
    db.client()
        .batch_execute(
            "CREATE SCHEMA users; CREATE TABLE users.accounts (id bigint PRIMARY KEY);
             CREATE SCHEMA notes; CREATE TABLE notes.notes (id bigint PRIMARY KEY);",
        )
        .expect("fixture");
    let p = project("adopt-one", &db);
    p.write("autogen.toml", crate::workflow::TWO_SERVICES);
    p.write("schema/users/users.yaml", "# mine\n");
    p.write("schema/users/accounts.yaml", "# mine\n");
    let (code, _, err) = p.run(&["init", "--from-db", "--service", "users"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("never overwrites a model file"), "{err}");
    assert_eq!(p.read("schema/users/users.yaml"), "# mine\n");
    assert_eq!(p.read("schema/users/accounts.yaml"), "# mine\n");
    // Another service of the same project is adopted on its own and recorded.
    let out = p.ok(&["init", "--from-db", "--service", "notes", "--mark-applied"]);
    assert!(out.contains("marked notes"), "{out}");
    assert!(p.migrations("users").is_empty());
    assert_eq!(history_rows(&db).len(), 1);
}
