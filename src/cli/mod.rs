//! Command-line interface: parses arguments, runs a stage pipeline, prints. The only place that
//! prints.

/// `println!` that survives a closed pipe: `autogen status | head -1` must end quietly (and
/// finish what it was doing, since a half-run `upgrade` is worse than lost output).
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::emit(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` with the same tolerance: `2>&1 | head` closes standard error too.
macro_rules! tell {
    ($($arg:tt)*) => {
        $crate::cli::emit_err(format_args!("{}\n", format_args!($($arg)*)))
    };
}

mod admin;
mod diagnostic;
pub use diagnostic::Shown;
mod check;
mod project;
mod runner;

use crate::cases::compare::{is_url, load_source};
use crate::error::Error;
use crate::filter::SchemaFilter;
use crate::render::RenderOptions;
use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "autogen",
    version,
    about = "Keeps PostgreSQL schemas in step with declared models"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the SQL that turns schema FROM into schema TO.
    Diff(DiffArgs),
    /// Write a live database's schema as YAML model files.
    Dump(DumpArgs),
    /// Start a project here: autogen.toml, schema/, migrations/, snapshots/.
    Init(project::InitArgs),
    /// Write a migration (up, down and snapshot) from the model changes.
    Revision(project::RevisionArgs),
    /// Apply pending migrations.
    Upgrade(runner::UpgradeArgs),
    /// Revert applied migrations.
    Downgrade(runner::DowngradeArgs),
    /// Show each service's version and pending migrations.
    Status(ProjectArgs),
    /// List every migration with when it was applied.
    History(ProjectArgs),
    /// Check the migration files, snapshots and history for problems.
    Validate(project::ValidateArgs),
    /// Drift check for CI: models, migrations, snapshots and the database must agree.
    Check(check::CheckArgs),
    /// Record a migration as applied or not, without running it (repairs after a manual fix).
    Mark(runner::MarkArgs),
    /// Is the database ready for migrations: connection, version, privileges, locks, leftovers.
    Health(ProjectArgs),
    /// Drop the project's schemas on a disposable database and apply every migration again.
    Reset(admin::ResetArgs),
}

/// Where the project is and which of its services a command works on.
#[derive(Args)]
struct ProjectArgs {
    /// The project directory (the one with autogen.toml).
    #[arg(short = 'C', long = "project", value_name = "DIR", default_value = ".")]
    project: PathBuf,
    /// The database; overrides DATABASE_URL and autogen.toml.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Only this service (repeatable); every service by default.
    #[arg(long = "service", value_name = "NAME")]
    service: Vec<String>,
}

impl ProjectArgs {
    fn overrides(&self) -> crate::config::Overrides {
        crate::config::Overrides {
            database_url: self.database_url.clone(),
            ..Default::default()
        }
    }

    fn load(&self) -> Result<crate::config::Project, Error> {
        crate::config::load(&self.project, &self.overrides())
    }
}

/// Where scratch databases go.
#[derive(Args)]
struct ShadowArgs {
    /// A server where autogen may create and drop scratch databases (default: `[shadow] url` in
    /// autogen.toml, else an ephemeral cluster from the local PostgreSQL binaries).
    #[arg(long, value_name = "URL", env = "AUTOGEN_DEV_URL")]
    dev_url: Option<String>,
}

impl ShadowArgs {
    /// The shadow, preparing its scratch databases for the project's platform.
    fn shadow(&self, project: &crate::config::Project) -> Result<crate::shadow::Shadow, Error> {
        Ok(
            crate::shadow::Shadow::new(self.dev_url.clone().or_else(|| project.shadow_url.clone()))
                .with_platform(crate::migrate::platform(project)?),
        )
    }
}

/// SQL with its comments dimmed and hazards in yellow, when stdout is a terminal.
fn paint_sql(sql: &str) -> String {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || std::env::var_os("NO_COLOR").is_some() {
        return sql.to_string();
    }
    sql.lines()
        .map(|l| {
            if l.starts_with("-- hazard") {
                format!("\x1b[33m{l}\x1b[0m\n")
            } else if l.starts_with("--") {
                format!("\x1b[2m{l}\x1b[0m\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

#[derive(Args)]
struct FilterArgs {
    /// Only these schemas (repeatable; `*` and `?` wildcards).
    #[arg(long = "schema", value_name = "NAME")]
    schema: Vec<String>,
    /// Leave out these schemas (repeatable; `*` and `?` wildcards).
    #[arg(long = "exclude-schema", value_name = "NAME")]
    exclude_schema: Vec<String>,
    /// Leave out schemas a platform manages (`supabase`); foreign keys may still point into them.
    #[arg(long, value_name = "NAME")]
    preset: Option<String>,
}

impl FilterArgs {
    fn filter(&self) -> Result<SchemaFilter, Error> {
        let f = SchemaFilter {
            include: self.schema.clone(),
            exclude: self.exclude_schema.clone(),
        };
        match &self.preset {
            Some(p) => f.with_preset(p).map_err(Error::Usage),
            None => Ok(f),
        }
    }
}

#[derive(Args)]
struct DiffArgs {
    /// The current schema: a postgres:// URL, a YAML model file or directory, a snapshot file, or
    /// snapshots at a version (`snapshots/SERVICE@VERSION`, `snapshots@VERSION`).
    #[arg(long, value_name = "SRC")]
    from: String,
    /// The desired schema: a postgres:// URL, a YAML model file or directory, a snapshot file, or
    /// snapshots at a version (`snapshots/SERVICE@VERSION`, `snapshots@VERSION`).
    #[arg(long, value_name = "SRC")]
    to: String,
    /// Print the SQL that undoes the change instead.
    #[arg(long)]
    down: bool,
    /// Exit with 1 when there are changes, 0 when there are none.
    #[arg(long)]
    exit_code: bool,
    /// A server where autogen may create a scratch database to normalize models' expressions
    /// (default: an ephemeral cluster from the local PostgreSQL binaries, when one side is a
    /// database).
    #[arg(long, value_name = "URL", env = "AUTOGEN_DEV_URL")]
    dev_url: Option<String>,
    /// Print where the time went (each side's connect, inspect, parse and normalize; diff, plan,
    /// render) and the peak memory, as one JSON line on stderr.
    #[arg(long)]
    timings: bool,
    /// Time zone that `timestamp` values are in, for conversions to and from `timestamptz`.
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    time_zone: String,
    /// Plain DDL on tables that already exist (no CONCURRENTLY, no NOT VALID + VALIDATE).
    #[arg(long)]
    no_online: bool,
    #[command(flatten)]
    filter: FilterArgs,
}

#[derive(Args)]
struct DumpArgs {
    /// The database to read.
    #[arg(long, value_name = "URL", env = "DATABASE_URL")]
    database_url: String,
    /// The directory to write `<schema>.yaml` files into (created if missing).
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    output: PathBuf,
    #[command(flatten)]
    filter: FilterArgs,
}

/// Runs the command line; returns the process exit code (0 ok, 1 changes found with
/// `--exit-code`). Errors map to exit code 2 in `main`.
pub fn run(args: impl IntoIterator<Item = OsString>) -> Result<u8, Error> {
    // The environment is read here, once, for the whole run.
    crate::conn::env::set(crate::conn::env::Environment::from_process());
    crate::conn::env::set_notifier(|m| tell!("{m}"));
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return Ok(code);
        }
    };
    match cli.command {
        Command::Diff(a) => diff(a),
        Command::Dump(a) => dump(a),
        Command::Init(a) => project::init(a),
        Command::Revision(a) => project::revision(a),
        Command::Upgrade(a) => runner::upgrade(a),
        Command::Downgrade(a) => runner::downgrade(a),
        Command::Status(a) => runner::status(a),
        Command::History(a) => runner::history_cmd(a),
        Command::Validate(a) => project::validate(a),
        Command::Check(a) => check::check(a),
        Command::Mark(a) => runner::mark(a),
        Command::Health(a) => admin::health(a),
        Command::Reset(a) => admin::reset(a),
    }
}

/// Says what a command left out because autogen does not manage its kind yet: a view or a
/// policy must never vanish from a diff, a dump or an adoption without a word.
pub(crate) fn name_unmanaged(source: &str, objects: &[String], left: &str) {
    if objects.is_empty() {
        return;
    }
    const SHOWN: usize = 10;
    let more = objects.len().saturating_sub(SHOWN);
    let tail = if more > 0 {
        format!(", and {more} more")
    } else {
        String::new()
    };
    tell!(
        "note: {source} holds {} object(s) of kinds autogen does not manage yet, {left}: {}{tail}",
        objects.len(),
        objects[..objects.len().min(SHOWN)].join(", ")
    );
}

/// Every figure `--timings` prints, in seconds, and the peak resident memory.
#[derive(Default, serde::Serialize)]
struct Timings {
    from: crate::cases::compare::SideTimings,
    to: crate::cases::compare::SideTimings,
    read: f64,
    diff: f64,
    plan: f64,
    render: f64,
    total: f64,
    peak_rss_kib: Option<u64>,
}

/// The process's peak resident set size (`VmHWM`), where /proc has it.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn diff(a: DiffArgs) -> Result<u8, Error> {
    let started = std::time::Instant::now();
    let filter = a.filter.filter()?;
    // A model compared with a database must read as Postgres would store it: through the
    // shadow, an ephemeral cluster unless --dev-url names a server. Two models compare as written.
    let mut shadow = crate::shadow::Shadow::new(a.dev_url.clone());
    let normalize =
        |src: &str| !is_url(src) && (a.dev_url.is_some() || is_url(&a.from) != is_url(&a.to));
    let (from, to) = if normalize(&a.from) && normalize(&a.to) {
        // Two models on one shadow: one after the other.
        let from = load_source(&a.from, &filter, Some(&mut shadow));
        (from, load_source(&a.to, &filter, Some(&mut shadow)))
    } else {
        // The two sides are read at once: each mostly waits on a server (a catalog to hand
        // over, a shadow to start and fill), so reading both takes as long as the slower one.
        let (from_shadow, to_shadow) = if normalize(&a.from) {
            (Some(&mut shadow), None)
        } else if normalize(&a.to) {
            (None, Some(&mut shadow))
        } else {
            (None, None)
        };
        // The side that is a model does the most allocating; it stays on the main thread, whose
        // heap grows more cheaply than a thread's (glibc grows those a page range at a time).
        let (here, there) = if is_url(&a.to) {
            ((&a.to, to_shadow), (&a.from, from_shadow))
        } else {
            ((&a.from, from_shadow), (&a.to, to_shadow))
        };
        let (mine, theirs) = std::thread::scope(|scope| {
            let theirs = scope.spawn(|| load_source(there.0, &filter, there.1));
            let mine = load_source(here.0, &filter, here.1);
            (
                mine,
                theirs
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            )
        });
        if is_url(&a.to) {
            (theirs, mine)
        } else {
            (mine, theirs)
        }
    };
    let (from, to) = (from?, to?);
    let read = started.elapsed().as_secs_f64();
    for note in [&from.note, &to.note].into_iter().flatten() {
        tell!("note: {note}");
    }
    for (side, loaded) in [("--from", &from), ("--to", &to)] {
        name_unmanaged(
            &format!("the {side} database"),
            &loaded.unmanaged,
            "left out of this diff (nothing here creates, changes or drops them)",
        );
    }
    // The note matters whenever a model was normalized, from the cache or not: the cache is
    // keyed by the shadow's major version, which need not be the target's.
    let normalized = from.timings.objects.is_some() || to.timings.objects.is_some();
    if normalized {
        if let Some(target) = from.server_version.or(to.server_version) {
            if let Some(note) = shadow.version_note_for(target)? {
                tell!("note: {note}");
            }
        }
    }
    let start = std::time::Instant::now();
    let changes = crate::diff::diff(&from.schema, &to.schema);
    let diff_secs = start.elapsed().as_secs_f64();
    let start = std::time::Instant::now();
    let plan_opts = crate::plan::PlanOptions {
        online: !a.no_online,
    };
    let plan = if a.down {
        crate::plan::plan_down_with(&changes, plan_opts)
    } else {
        crate::plan::plan_with(changes, plan_opts)
    };
    let plan_secs = start.elapsed().as_secs_f64();
    let start = std::time::Instant::now();
    let sql = (!plan.is_empty()).then(|| {
        crate::render::script(
            &plan,
            &RenderOptions {
                time_zone: a.time_zone.clone(),
            },
        )
    });
    let render_secs = start.elapsed().as_secs_f64();
    match &sql {
        None => tell!("no changes"),
        Some(sql) => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(sql.as_bytes());
            let _ = out.flush();
        }
    }
    if a.timings {
        let t = Timings {
            from: from.timings,
            to: to.timings,
            read,
            diff: diff_secs,
            plan: plan_secs,
            render: render_secs,
            total: started.elapsed().as_secs_f64(),
            peak_rss_kib: peak_rss_kib(),
        };
        tell!("timings: {}", serde_json::to_string(&t).unwrap_or_default());
    }
    Ok(if a.exit_code && sql.is_some() { 1 } else { 0 })
}

fn dump(a: DumpArgs) -> Result<u8, Error> {
    let filter = a.filter.filter()?;
    let mut client = crate::conn::connect(&a.database_url)?;
    let mut schema = crate::inspect::inspect(&mut client, &filter)?;
    // The platform's own roles' grants are the platform's.
    if a.filter.preset.as_deref() == Some("supabase") {
        schema.retain_grantees(|r| !crate::filter::SUPABASE_PLATFORM_ROLES.contains(&r));
    }
    let unmanaged = crate::inspect::unmanaged(&mut client, &filter)?;
    std::fs::create_dir_all(&a.output).map_err(|source| Error::Io {
        path: a.output.clone(),
        source,
    })?;
    for (name, text) in crate::model::dump_files(&schema) {
        let path = a.output.join(&name);
        std::fs::write(&path, text).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        tell!("wrote {}", path.display());
    }
    name_unmanaged(
        "the database",
        &unmanaged,
        "not written to the model (keep them in hand-written SQL)",
    );
    Ok(0)
}

/// Writes to standard output; a reader that went away (EPIPE) is not an error worth a panic.
pub(crate) fn emit(args: std::fmt::Arguments) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            tell!("error: cannot write to standard output: {e}");
        }
    }
}

/// Writes to standard error, ignoring any failure: there is nowhere left to report it.
pub(crate) fn emit_err(args: std::fmt::Arguments) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|_| err.flush());
}
