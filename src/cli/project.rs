//! `init`, `revision` and `validate`: the commands that write or check a project's files.

use super::{ProjectArgs, ShadowArgs, paint_sql};
use crate::cases::{self, RevisionOptions};
use crate::config::{CONFIG_FILE, Project};
use crate::error::Error;
use crate::filter::SchemaFilter;
use crate::migrate::files::write_file;
use crate::migrate::{self, Problem};
use clap::Args;

#[derive(Args)]
pub struct InitArgs {
    #[command(flatten)]
    project: ProjectArgs,
    /// Adopt an existing database: write its models, a baseline migration and its snapshot.
    #[arg(long)]
    from_db: bool,
    /// With --from-db: record the baseline as applied in that database.
    #[arg(long, requires = "from_db")]
    mark_applied: bool,
    /// Leave out schemas a platform manages (`supabase`).
    #[arg(long, value_name = "NAME")]
    preset: Option<String>,
    #[command(flatten)]
    shadow: ShadowArgs,
}

#[derive(Args)]
pub struct RevisionArgs {
    #[command(flatten)]
    project: ProjectArgs,
    /// What the migration does; names the files.
    #[arg(short, long)]
    message: String,
    /// Compare the models with the live database instead of the latest snapshot.
    #[arg(long)]
    from_db: bool,
    /// Write the migration even if it drops tables, columns or enum values with their data.
    #[arg(long)]
    allow_destructive: bool,
    /// Write a migration with no generated SQL, to fill in by hand.
    #[arg(long)]
    empty: bool,
    /// Plain DDL on tables that already exist: CREATE INDEX without CONCURRENTLY, constraints
    /// validated as they are added, SET NOT NULL with its scan. One transaction, longer locks.
    #[arg(long)]
    no_online: bool,
    /// The version to use instead of the current UTC time (`YYYYMMDDHHMMSS`).
    #[arg(long, value_name = "VERSION")]
    version: Option<String>,
    /// Write a lost migration of one service (--service) again, from its snapshot and its
    /// parent's: the same header, hashes and SQL that `revision` wrote.
    #[arg(long, value_name = "VERSION", conflicts_with_all = ["from_db", "empty", "version"])]
    rebuild: Option<String>,
    /// With --from-db, the models' expressions are normalized on the shadow server.
    #[command(flatten)]
    shadow: ShadowArgs,
}

#[derive(Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    project: ProjectArgs,
    /// Check only the files: no history table, no replay on a shadow database.
    #[arg(long)]
    offline: bool,
    /// The migrations are replayed on the shadow server and compared with the snapshots.
    #[command(flatten)]
    shadow: ShadowArgs,
}

const TEMPLATE: &str = r#"# autogen project settings. Every key is optional.

[database]
# Also --database-url, DATABASE_URL, PG* or DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASS.
url = "${DATABASE_URL}"
# preset = "supabase"            # never touch the schemas Supabase manages

[migrations]
lock_timeout = "5s"              # no migration waits longer than this for a lock
statement_timeout = "15min"
lock_wait = "60s"                # how long `upgrade` waits for another run to finish

# With no [[services]], one service named `app` owns every model file under schema/.
# Several services, each owning one Postgres schema:
#
# [[services]]
# name = "journal"
# schema = "journal"
# models = ["schema/journal/*.yaml"]
"#;

const STARTER_MODEL: &str = r#"# The model of this service: see the README for the format. For example:
#
# schema: public
# tables:
#   users:
#     columns:
#       id:    { type: bigint, identity: always }
#       email: { type: text, unique: true }
#     primary_key: [id]
"#;

pub fn init(a: InitArgs) -> Result<u8, Error> {
    let root = &a.project.project;
    let config_path = root.join(CONFIG_FILE);
    if !a.from_db {
        if config_path.exists() {
            return Err(Error::Usage(format!(
                "`{}` already exists: this directory is already an autogen project",
                config_path.display()
            )));
        }
        write_file(&config_path, TEMPLATE)?;
        write_file(&root.join("schema/app.yaml"), STARTER_MODEL)?;
        for d in ["migrations", "snapshots"] {
            write_file(&root.join(d).join(".gitkeep"), "")?;
        }
        tell!(
            "created {CONFIG_FILE}, schema/app.yaml, migrations/ and snapshots/ in {}\n\
             next: describe your tables in schema/, then `autogen revision -m \"first tables\"`",
            root.display()
        );
        return Ok(0);
    }
    let mut project = a.project.load()?;
    let services = project.select(&a.project.service)?;
    let streams = migrate::load_streams(&project, &services)?;
    if let Some(st) = streams.iter().find(|s| !s.chain.is_empty()) {
        return Err(Error::Usage(format!(
            "service `{}` already has migrations in {}; `init --from-db` writes a baseline for a \
             service without any (name the services to adopt with --service, or move the old \
             migrations away first)",
            st.service.name,
            project.migrations_dir(&st.service.name).display()
        )));
    }
    let url = project.require_url()?.to_string();
    let mut client = crate::conn::connect(&url)?;
    // `none` says: no platform here, adopt every schema.
    let preset = match a.preset.as_deref() {
        Some("none") => None,
        Some(p) => Some(p.to_string()),
        None => project.preset.clone(),
    };
    if preset.is_none() && a.preset.is_none() && looks_like_supabase(&mut client)? {
        return Err(Error::Usage(
            "this database has Supabase's platform schemas (`auth.users`, `storage`): adopted, \
             they would become part of your model and the baseline would try to create \
             `auth.users`; run `autogen init --from-db --preset supabase` to leave the platform \
             out (its tables stay referable), or `--preset none` to adopt every schema anyway"
                .into(),
        ));
    }
    let mut filter = SchemaFilter::default();
    if let Some(p) = &preset {
        filter = filter.with_preset(p).map_err(Error::Usage)?;
    }
    let mut live = crate::inspect::inspect(&mut client, &filter)?;
    if preset.as_deref() == Some("supabase") {
        live.retain_grantees(|r| !crate::filter::SUPABASE_PLATFORM_ROLES.contains(&r));
    }
    let unmanaged_objects = crate::inspect::unmanaged_objects(&mut client, &filter)?;
    let unmanaged: Vec<String> = unmanaged_objects.iter().map(|o| o.describe()).collect();
    // Each baseline says what it leaves out of its service's schemas.
    let mut notes = std::collections::BTreeMap::new();
    for s in &services {
        let mine: Vec<String> = unmanaged_objects
            .iter()
            .filter(|o| s.schema.as_deref().is_none_or(|owned| owned == o.schema))
            .map(|o| format!("  {}", o.describe()))
            .collect();
        if !mine.is_empty() {
            let mut lines = vec![format!(
                "Not adopted: {} object(s) of kinds autogen does not manage yet, which this \
                 baseline does not create (keep them in a hand-written migration):",
                mine.len()
            )];
            lines.extend(mine);
            notes.insert(s.name.clone(), lines);
        }
    }
    let mut models = Vec::new();
    for s in &services {
        let mut part = live.clone();
        let dir = match &s.schema {
            Some(owned) => {
                part.retain_schemas(|n| n == owned);
                root.join("schema").join(&s.name)
            }
            None => root.join("schema"),
        };
        for (name, text) in crate::model::dump_files(&part) {
            let path = dir.join(name);
            if path.exists() {
                return Err(Error::Usage(format!(
                    "`{}` exists: `init --from-db` never overwrites a model file; move it away, \
                     or adopt the other services only (--service)",
                    path.display()
                )));
            }
            models.push((path, text));
        }
    }
    // Checked: nothing was written before this point.
    let config_text = match std::fs::read_to_string(&config_path) {
        Ok(t) => t,
        Err(_) => TEMPLATE.to_string(),
    };
    let config_new = match &preset {
        Some(p) if project.preset.as_deref() != Some(p) => with_preset(&config_text, p),
        _ => config_text.clone(),
    };
    if config_new != config_text || !config_path.exists() {
        write_file(&config_path, &config_new)?;
        if preset.is_some() && project.preset != preset {
            tell!(
                "wrote `preset = \"{}\"` under [database] in {}",
                preset.as_deref().unwrap_or_default(),
                config_path.display()
            );
        }
    }
    project.preset = preset;
    for (path, text) in &models {
        write_file(path, text)?;
        tell!("wrote {}", path.display());
    }
    let written = cases::revision(
        &project,
        &services,
        &RevisionOptions {
            message: "baseline".into(),
            allow_destructive: true,
            empty: false,
            online: true,
            now: now(),
            version: None,
            notes,
        },
        &mut a.shadow.shadow(&project)?,
        None,
    )?;
    cases::write_revisions(&written.revisions)?;
    for r in &written.revisions {
        tell!(
            "wrote {} (and its down file and snapshot)",
            r.up_path.display()
        );
    }
    if a.mark_applied {
        let mut client = migrate::runner::connect_locked(&url, &settings(&project), &mut || {})?;
        let streams = migrate::load_streams(&project, &services)?;
        for m in streams.iter().flat_map(|s| s.chain.iter()) {
            migrate::history::record(&mut client, m, 0, None)?;
            tell!("marked {} {} as applied", m.service, m.name());
        }
        tell!(
            "next: the baseline is recorded as applied in this database, so `autogen check` \
             should report it in sync; commit {CONFIG_FILE}, schema/, migrations/ and snapshots/; \
             on an empty database (CI, a new environment) `autogen upgrade` creates it all"
        );
    } else if !written.revisions.is_empty() {
        tell!(
            "next: this database already holds what the baseline creates, so do not run \
             `autogen upgrade` on it; record the baseline as applied here with \
             `autogen mark head --applied` (it checks that the database matches first); on an \
             empty database `autogen upgrade` creates it all"
        );
    } else {
        tell!("the database has no tables or types to adopt: no baseline was written");
    }
    crate::cli::name_unmanaged(
        "the database",
        &unmanaged,
        "not adopted: the baseline does not create them, and `autogen check` lists them; keep \
         them in a hand-written migration (`autogen revision --empty`)",
    );
    Ok(0)
}

/// Whether the database has Supabase's platform (its `auth.users` and `storage` schema).
fn looks_like_supabase(client: &mut postgres::Client) -> Result<bool, Error> {
    client
        .query_one(
            "SELECT to_regclass('auth.users') IS NOT NULL \
               AND EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'storage')",
            &[],
        )
        .map(|r| r.get(0))
        .map_err(|e| Error::Usage(crate::conn::error_text(&e)))
}

/// `autogen.toml`'s text with `preset = "<p>"` under `[database]`: the template's commented
/// line or an existing `preset` replaced, else a line added to the section (or the section
/// added). Everything else is kept as written.
fn with_preset(text: &str, p: &str) -> String {
    let line = format!("preset = \"{p}\"");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut section = String::new();
    let mut database_at = None;
    for (i, l) in lines.iter_mut().enumerate() {
        let t = l.trim();
        if t.starts_with('[') {
            section = t.to_string();
            if t == "[database]" {
                database_at = Some(i);
            }
            continue;
        }
        let key = t.trim_start_matches('#').trim_start();
        if section == "[database]"
            && key.starts_with("preset")
            && key[6..].trim_start().starts_with('=')
        {
            let comment = l
                .find("  #")
                .map(|at| l[at..].to_string())
                .unwrap_or_default();
            *l = format!("{line}{comment}");
            return lines.join("\n") + "\n";
        }
    }
    match database_at {
        Some(i) => lines.insert(i + 1, line),
        None => {
            lines.push(String::new());
            lines.push("[database]".into());
            lines.push(line);
        }
    }
    lines.join("\n") + "\n"
}

pub fn settings(project: &Project) -> migrate::runner::Settings {
    migrate::runner::Settings {
        lock_timeout: project.lock_timeout.clone(),
        statement_timeout: project.statement_timeout.clone(),
        lock_wait: project.lock_wait,
        time_zone: project.time_zone.clone(),
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub fn revision(a: RevisionArgs) -> Result<u8, Error> {
    let project = a.project.load()?;
    let services = project.select(&a.project.service)?;
    if let Some(v) = &a.version {
        if !migrate::files::is_version(v) {
            return Err(Error::Usage(format!(
                "--version `{v}` is not a version: write 14 digits, YYYYMMDDHHMMSS"
            )));
        }
    }
    if let Some(v) = &a.rebuild {
        let [service] = services.as_slice() else {
            return Err(Error::Usage(format!(
                "--rebuild writes one migration: name its service with --service ({})",
                services
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        let r = cases::rebuild::rebuild(&project, service, v, &a.message, !a.no_online)?;
        cases::rebuild::write(&r)?;
        let shown = |p: &std::path::Path| {
            p.strip_prefix(&project.root)
                .unwrap_or(p)
                .display()
                .to_string()
        };
        tell!(
            "rebuilt {} and {} from the snapshots; compare them with any copy you still have \
             (a rename hint or `using:` of the original model is not in the snapshots)",
            shown(&r.up_path),
            shown(&r.down_path)
        );
        return Ok(0);
    }
    let mut shadow = a.shadow.shadow(&project)?;
    let mut client = if a.from_db {
        let mut client = crate::conn::connect(project.require_url()?)?;
        if let Some(note) = shadow.version_note(&mut client)? {
            tell!("note: {note}");
        }
        Some(client)
    } else {
        None
    };
    let written = cases::revision(
        &project,
        &services,
        &RevisionOptions {
            message: a.message,
            allow_destructive: a.allow_destructive,
            empty: a.empty,
            online: !a.no_online,
            now: now(),
            version: a.version,
            notes: Default::default(),
        },
        &mut shadow,
        client.as_mut(),
    )?;
    cases::write_revisions(&written.revisions)?;
    if written.revisions.is_empty() {
        tell!("no changes detected");
        return Ok(0);
    }
    for r in &written.revisions {
        let shown = r.up_path.strip_prefix(&project.root).unwrap_or(&r.up_path);
        tell!("wrote {} (+ .down.sql, snapshot)", shown.display());
        crate::cli::emit(format_args!("{}", paint_sql(&r.up)));
    }
    for s in &written.unchanged {
        tell!("service `{s}`: no changes detected");
    }
    for w in &written.warnings {
        tell!("warning: {w}");
    }
    Ok(0)
}

fn print_problems(problems: &[Problem]) {
    for p in problems {
        tell!("[{}] {}\n    fix: {}", p.service, p.message, p.fix);
    }
}

pub fn validate(a: ValidateArgs) -> Result<u8, Error> {
    let project = a.project.load()?;
    let services = project.select(&a.project.service)?;
    let v = crate::check::validate(&project, &services, a.offline, || a.shadow.shadow(&project))?;
    if v.problems.is_empty() {
        tell!(
            "ok: {} migration(s) in {} service(s); checked {}",
            v.migrations,
            v.services,
            v.checked.join(", ")
        );
        return Ok(0);
    }
    print_problems(&v.problems);
    tell!("{} problem(s)", v.problems.len());
    Ok(1)
}

#[cfg(test)]
mod tests {
    use super::{TEMPLATE, with_preset};

    #[test]
    fn the_preset_goes_under_database_and_nothing_else_changes() {
        let t = with_preset(TEMPLATE, "supabase");
        assert!(
            t.lines()
                .any(|l| l.starts_with("preset = \"supabase\"  ") && l.contains("# never touch")),
            "{t}"
        );
        assert_eq!(t.lines().count(), TEMPLATE.lines().count());
        let t = with_preset(
            "[database]\nurl = \"x\"\npreset = \"old\"\n[migrations]\n",
            "supabase",
        );
        assert_eq!(
            t,
            "[database]\nurl = \"x\"\npreset = \"supabase\"\n[migrations]\n"
        );
        let t = with_preset("[migrations]\nlock_wait = \"1s\"\n", "supabase");
        assert_eq!(
            t,
            "[migrations]\nlock_wait = \"1s\"\n\n[database]\npreset = \"supabase\"\n"
        );
        // A `preset` key of another section is not the database's.
        let t = with_preset("[x]\npreset = 1\n[database]\n", "supabase");
        assert_eq!(t, "[x]\npreset = 1\n[database]\npreset = \"supabase\"\n");
        let parsed: toml::Table = toml::from_str(&with_preset(TEMPLATE, "supabase")).expect("toml");
        assert_eq!(parsed["database"]["preset"].as_str(), Some("supabase"));
    }
}
