//! `upgrade`, `downgrade`, `status`, `history` and `mark`: the commands that read or change the
//! database's migration state.

use super::ProjectArgs;
use super::project::settings;
use crate::cases::{self, select};
use crate::config::Project;
use crate::error::Error;
use crate::migrate::{self, Migration, Stream, history};
use clap::Args;
use std::io::{BufRead, IsTerminal, Write};

#[derive(Args)]
pub struct Timeouts {
    /// `lock_timeout` for every migration (e.g. `5s`).
    #[arg(long, value_name = "DURATION")]
    lock_timeout: Option<String>,
    /// `statement_timeout` for every migration (e.g. `15min`).
    #[arg(long, value_name = "DURATION")]
    statement_timeout: Option<String>,
    /// How long to wait for another autogen run's lock (e.g. `60s`).
    #[arg(long, value_name = "DURATION")]
    lock_wait: Option<String>,
}

#[derive(Args)]
pub struct UpgradeArgs {
    #[command(flatten)]
    project: ProjectArgs,
    /// `head` (default), a version to stop at (included), or `+N` for the next N migrations.
    target: Option<String>,
    /// Print the SQL that would run, without connecting (from the start, or after --from).
    #[arg(long)]
    sql: bool,
    /// With --sql: the version already applied (migrations after it are printed).
    #[arg(long, value_name = "VERSION", requires = "sql")]
    from: Option<String>,
    /// Run a migration that stopped part-way again, from the step that failed.
    #[arg(long)]
    resume: bool,
    /// Apply migrations with data-loss steps although their files carry no
    /// `-- allow-destructive: yes` marker.
    #[arg(long)]
    allow_destructive: bool,
    #[command(flatten)]
    timeouts: Timeouts,
}

#[derive(Args)]
pub struct DowngradeArgs {
    #[command(flatten)]
    project: ProjectArgs,
    /// A version to return to (it stays applied), `-N` for the last N migrations, or `base`.
    #[arg(allow_hyphen_values = true)]
    target: String,
    /// Do not ask for confirmation.
    #[arg(long)]
    yes: bool,
    /// Print the SQL that would run, without connecting (from the head, or from --from).
    #[arg(long)]
    sql: bool,
    /// With --sql: the version the database is at.
    #[arg(long, value_name = "VERSION", requires = "sql")]
    from: Option<String>,
    #[command(flatten)]
    timeouts: Timeouts,
}

#[derive(Args)]
pub struct MarkArgs {
    #[command(flatten)]
    project: ProjectArgs,
    /// The version of the migration, or `head`. With --applied, every migration up to it (of
    /// every service, or of --service) is recorded.
    version: String,
    /// Record the migrations up to VERSION as applied (and clean), without running them, once
    /// the database is found to match the snapshot at that point.
    #[arg(
        long,
        conflicts_with = "not_applied",
        required_unless_present = "not_applied"
    )]
    applied: bool,
    /// Remove the migration from the history, without running its down file (its file may be
    /// gone).
    #[arg(long)]
    not_applied: bool,
    /// With --applied: record even though the database does not match the snapshot.
    #[arg(long, requires = "applied")]
    force: bool,
    /// The snapshots are normalized on the shadow server to compare them with the database.
    #[command(flatten)]
    shadow: super::ShadowArgs,
}

fn load(p: &ProjectArgs, t: Option<&Timeouts>) -> Result<(Project, Vec<Stream>), Error> {
    let mut over = p.overrides();
    if let Some(t) = t {
        over.lock_timeout = t.lock_timeout.clone();
        over.statement_timeout = t.statement_timeout.clone();
        over.lock_wait = t.lock_wait.clone();
    }
    let project = crate::config::load(&p.project, &over)?;
    let services = project.select(&p.service)?;
    let streams = migrate::load_streams(&project, &services)?;
    let problems: Vec<_> = streams.iter().flat_map(|s| s.problems.clone()).collect();
    migrate::refuse(&problems, "nothing was run")?;
    Ok((project, streams))
}

/// A connection holding the migration lock (announcing a wait for another run).
fn locked(project: &Project) -> Result<postgres::Client, Error> {
    migrate::runner::connect_locked(project.require_url()?, &settings(project), &mut || {
        tell!("waiting for another autogen run to finish...");
    })
}

fn print_sql(ms: &[Migration], down: bool) {
    let mut out = std::io::stdout().lock();
    for m in ms {
        let text = if down {
            m.down.as_deref().unwrap_or("")
        } else {
            &m.up
        };
        let _ = writeln!(
            out,
            "-- ==== {} ({}) ====",
            m.label(),
            if down { "down" } else { "up" }
        );
        let _ = out.write_all(text.as_bytes());
        let _ = writeln!(out);
    }
}

pub fn upgrade(a: UpgradeArgs) -> Result<u8, Error> {
    let (project, streams) = load(&a.project, Some(&a.timeouts))?;
    let all = migrate::pending(&streams, &[]);
    if a.sql {
        let after: Vec<Migration> = match &a.from {
            Some(v) => {
                select::check_version(&streams, v)?;
                all.into_iter()
                    .filter(|m| m.version.as_str() > v.as_str())
                    .collect()
            }
            None => all,
        };
        print_sql(&select::up(after, a.target.as_deref(), &streams)?, false);
        return Ok(0);
    }
    let mut client = locked(&project)?;
    // Read under the lock: a run that waited sees what the other one applied.
    let rows = history::read(&mut client)?;
    let dirty: Vec<&history::Row> = rows
        .iter()
        .filter(|r| !r.success && streams.iter().any(|s| s.service.name == r.service))
        .collect();
    let problems: Vec<_> = migrate::online_problems(&streams, &rows)
        .into_iter()
        .filter(|p| !(a.resume && p.message.contains("is dirty")))
        .collect();
    for l in leftovers(&project, &streams, &mut client)? {
        tell!("warning: {l}\n  fix: {}", l.fix());
    }
    migrate::refuse(&problems, "nothing was run")?;
    let mut shadow: Option<crate::shadow::Shadow> = None;
    let mut unrecorded = Vec::new();
    for st in &streams {
        let sh = match &mut shadow {
            Some(s) => s,
            None => shadow.insert(
                crate::shadow::Shadow::new(project.shadow_url.clone())
                    .with_platform(migrate::platform(&project)?),
            ),
        };
        if let Some((message, fix)) =
            crate::check::unrecorded(&project, st, &rows, &mut client, sh)?
        {
            unrecorded.push(migrate::Problem {
                service: st.service.name.clone(),
                message,
                fix,
            });
        }
    }
    if !unrecorded.is_empty() {
        let list: Vec<String> = unrecorded
            .iter()
            .map(|p| format!("  [{}] {}\n      fix: {}", p.service, p.message, p.fix))
            .collect();
        return Err(Error::migration(
            format!("nothing was run:\n{}", list.join("\n")),
            "`autogen status` and `autogen check` show the same",
        ));
    }
    for r in &dirty {
        let Some(m) = streams
            .iter()
            .flat_map(|s| s.chain.iter())
            .find(|m| m.service == r.service && m.version == r.version)
        else {
            continue;
        };
        if r.error
            .as_deref()
            .is_some_and(|e| e.starts_with("downgrade"))
        {
            return Err(Error::migration(
                format!("{} stopped part-way while being reverted", m.label()),
                "finish the revert by hand, then `autogen mark --not-applied` (or `--applied` if you restored it)",
            ));
        }
        let at = r.failed_unit.unwrap_or(0).max(0) as usize;
        tell!("resuming {} at step {}", m.label(), at + 1);
        let took = migrate::runner::apply(&mut client, m, at)?;
        tell!("applied {} ({} ms)", m.label(), took.as_millis());
    }
    let rows = history::read(&mut client)?;
    let todo = select::up(
        migrate::pending(&streams, &rows),
        a.target.as_deref(),
        &streams,
    )?;
    if todo.is_empty() {
        tell!("nothing to do: every service is at its target");
        return Ok(0);
    }
    // With every service, versions order the runs; one service alone may outrun another.
    if !a.project.service.is_empty() {
        let unmet = cases::dependents::unmet(&project, &todo, &mut client)?;
        if !unmet.is_empty() {
            return Err(Error::migration(
                format!("nothing was run:\n  {}", unmet.join("\n  ")),
                "upgrade the services it depends on first; `autogen status` shows where each is",
            ));
        }
    }
    if !a.allow_destructive {
        cases::destructive::refuse_unaccepted(&mut client, &todo)?;
    }
    for m in &todo {
        let took = migrate::runner::apply(&mut client, m, 0)?;
        tell!("applied {} ({} ms)", m.label(), took.as_millis());
    }
    Ok(0)
}

/// Invalid indexes and unvalidated constraints in the schemas the selected services own.
fn leftovers(
    project: &Project,
    streams: &[Stream],
    client: &mut postgres::Client,
) -> Result<Vec<migrate::leftovers::Leftover>, Error> {
    let mut schemas = std::collections::BTreeSet::new();
    for st in streams {
        let head = migrate::head_schema(project, st)?;
        schemas.extend(migrate::owned_schemas(&st.service, &head, &head));
    }
    let schemas: Vec<String> = schemas.into_iter().collect();
    migrate::leftovers::find(client, Some(&schemas))
}

fn confirm(client: &mut postgres::Client, todo: &[Migration], yes: bool) -> Result<bool, Error> {
    let list = cases::destructive::revert_list(client, todo)?;
    if yes {
        crate::cli::emit_err(format_args!("reverting:\n{list}"));
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(format!(
            "downgrade reverts migrations and may drop data; nothing was reverted:\n{list}\
             pass --yes to confirm when not on a terminal"
        )));
    }
    crate::cli::emit_err(format_args!("about to revert:\n{list}"));
    crate::cli::emit_err(format_args!("continue? [y/N] "));
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

pub fn downgrade(a: DowngradeArgs) -> Result<u8, Error> {
    let (project, streams) = load(&a.project, Some(&a.timeouts))?;
    if a.sql {
        let mut applied: Vec<Migration> = migrate::pending(&streams, &[]);
        if let Some(v) = &a.from {
            select::check_version(&streams, v)?;
            applied.retain(|m| m.version.as_str() <= v.as_str());
        }
        applied.reverse();
        print_sql(&select::down(applied, &a.target, &streams)?, true);
        return Ok(0);
    }
    let mut client = locked(&project)?;
    let rows = history::read(&mut client)?;
    migrate::refuse(
        &migrate::online_problems(&streams, &rows),
        "nothing was reverted",
    )?;
    let todo = select::down(
        migrate::applied_newest_first(&streams, &rows),
        &a.target,
        &streams,
    )?;
    if todo.is_empty() {
        tell!("nothing to do: no applied migration is after the target");
        return Ok(0);
    }
    let blocking = cases::dependents::blocking(&project, &todo, &mut client)?;
    if !blocking.is_empty() {
        let list: Vec<String> = blocking
            .iter()
            .map(|(what, on)| format!("  {what} depends on {on}"))
            .collect();
        return Err(Error::migration(
            format!(
                "nothing was reverted: objects of services this downgrade leaves alone depend on \
                 what it removes:\n{}",
                list.join("\n")
            ),
            "downgrade the services they belong to first (or together: without --service), or \
             remove the dependency in a migration of their own",
        ));
    }
    if !confirm(&mut client, &todo, a.yes)? {
        tell!("nothing was reverted");
        return Ok(1);
    }
    for m in &todo {
        let took = migrate::runner::revert(&mut client, m)?;
        tell!("reverted {} ({} ms)", m.label(), took.as_millis());
    }
    Ok(0)
}

pub fn status(p: ProjectArgs) -> Result<u8, Error> {
    let project = p.load()?;
    let services = project.select(&p.service)?;
    let streams = migrate::load_streams(&project, &services)?;
    let url = project.require_url()?.to_string();
    let mut client = match crate::conn::connect(&url) {
        Ok(c) => c,
        Err(e) => {
            say!("database: unreachable ({e})");
            return Ok(2);
        }
    };
    say!("database: reachable ({})", crate::conn::redact(&url));
    let rows = history::read(&mut client)?;
    for st in &streams {
        let mine: Vec<&history::Row> = rows
            .iter()
            .filter(|r| r.service == st.service.name)
            .collect();
        let current = st
            .chain
            .iter()
            .rev()
            .find(|m| mine.iter().any(|r| r.version == m.version && r.success));
        let pending: Vec<&Migration> = st
            .chain
            .iter()
            .filter(|m| !mine.iter().any(|r| r.version == m.version))
            .collect();
        say!(
            "{}: at {} (head {}), {} pending",
            st.service.name,
            current.map_or("base".to_string(), |m| m.version.clone()),
            st.head().map_or("base".to_string(), |m| m.version.clone()),
            pending.len()
        );
        for m in pending {
            say!("  pending {}", m.name());
        }
        for r in mine.iter().filter(|r| !r.success) {
            say!("  DIRTY {}: {}", r.name, r.error.as_deref().unwrap_or(""));
        }
    }
    let mut problems = migrate::online_problems(&streams, &rows)
        .into_iter()
        .chain(streams.iter().flat_map(|s| s.problems.clone()))
        .filter(|p| !p.message.contains("is dirty"))
        .collect::<Vec<_>>();
    let mut shadow = crate::shadow::Shadow::new(project.shadow_url.clone())
        .with_platform(migrate::platform(&project)?);
    for st in &streams {
        if let Some((message, fix)) =
            crate::check::unrecorded(&project, st, &rows, &mut client, &mut shadow)?
        {
            problems.push(migrate::Problem {
                service: st.service.name.clone(),
                message,
                fix,
            });
        }
    }
    for p in &problems {
        say!("  problem [{}]: {} (fix: {})", p.service, p.message, p.fix);
    }
    let leftover = leftovers(&project, &streams, &mut client)?;
    for l in &leftover {
        say!("  problem: {l} (fix: {})", l.fix());
    }
    let dirty = rows
        .iter()
        .any(|r| !r.success && streams.iter().any(|s| s.service.name == r.service));
    // Like `check`: 1 when something needs doing, so a script can tell.
    Ok(u8::from(
        !problems.is_empty() || !leftover.is_empty() || dirty,
    ))
}

pub fn history_cmd(p: ProjectArgs) -> Result<u8, Error> {
    let project = p.load()?;
    let services = project.select(&p.service)?;
    let streams = migrate::load_streams(&project, &services)?;
    let rows = match &project.database_url {
        Some(url) => history::read(&mut crate::conn::connect(url)?)?,
        None => {
            tell!("no database configured: showing the files only");
            Vec::new()
        }
    };
    for st in &streams {
        say!("{}:", st.service.name);
        for m in &st.chain {
            match rows
                .iter()
                .find(|r| r.service == m.service && r.version == m.version)
            {
                Some(r) if r.success => say!(
                    "  [x] {}  {}  applied {} ({} ms)",
                    m.name(),
                    m.message,
                    r.applied_at,
                    r.duration_ms
                ),
                Some(r) => say!(
                    "  [!] {}  {}  DIRTY since {}",
                    m.name(),
                    m.message,
                    r.applied_at
                ),
                None => say!("  [ ] {}  {}  pending", m.name(), m.message),
            }
        }
        for r in rows.iter().filter(|r| {
            r.service == st.service.name && !st.chain.iter().any(|m| m.version == r.version)
        }) {
            match st.file(&r.version) {
                Some(m) => say!(
                    "  [?] {}  applied {} but out of the chain (see `autogen validate`): {}",
                    m.name(),
                    r.applied_at,
                    m.up_path.display()
                ),
                None => say!(
                    "  [?] {}  applied {} but its file is missing",
                    r.name,
                    r.applied_at
                ),
            }
        }
    }
    Ok(0)
}

pub fn mark(a: MarkArgs) -> Result<u8, Error> {
    let (project, streams) = load(&a.project, None)?;
    let url = project.require_url()?.to_string();
    if a.not_applied {
        return forget(&project, &streams, &a, &url);
    }
    // Which migrations of each stream VERSION covers: the whole chain for `head`, else those
    // up to it in the order `upgrade` runs them (by version across services).
    let upto: Option<&str> = (a.version != "head").then_some(a.version.as_str());
    if let Some(v) = upto {
        let owners: Vec<&str> = streams
            .iter()
            .filter(|s| s.chain.iter().any(|m| m.version == v))
            .map(|s| s.service.name.as_str())
            .collect();
        match owners.len() {
            0 => {
                return Err(Error::Usage(format!(
                    "no migration {v} in {}: `autogen status` lists them (or mark `head`)",
                    names(&streams)
                )));
            }
            1 => {}
            _ => {
                return Err(Error::Usage(format!(
                    "{v} is a migration of several services ({}): name one with --service",
                    owners.join(", ")
                )));
            }
        }
    }
    let covered = |m: &Migration| upto.is_none_or(|v| m.version.as_str() <= v);
    let mut shadow = a.shadow.shadow(&project)?;
    let mut client = migrate::runner::connect_locked(&url, &settings(&project), &mut || {})?;
    if let Some(note) = shadow.version_note(&mut client)? {
        tell!("note: {note}");
    }
    let rows = history::read(&mut client)?;
    let mut differences = Vec::new();
    for st in &streams {
        let Some(last) = st.chain.iter().rev().find(|m| covered(m)) else {
            continue;
        };
        let snap = migrate::snapshot_at(&project, &st.service.name, &last.version)?;
        for f in crate::check::against_snapshot(
            &st.service,
            snap,
            &mut client,
            &mut shadow,
            crate::check::CheckKind::Database,
            "",
        )? {
            differences.push(format!(
                "  [{}] {}: {} (against migration {})",
                f.service,
                f.object.unwrap_or_default(),
                f.message,
                last.version
            ));
        }
    }
    if !differences.is_empty() && !a.force {
        return Err(Error::migration(
            format!(
                "the database does not match the snapshot it would be recorded at, so nothing was \
                 recorded:\n{}",
                differences.join("\n")
            ),
            "bring the database to that point first (or mark an earlier version); \
             `--force` records it anyway",
        ));
    }
    let mut n = 0;
    for m in streams
        .iter()
        .flat_map(|s| s.chain.iter())
        .filter(|m| covered(m))
    {
        let clean = rows
            .iter()
            .any(|r| r.service == m.service && r.version == m.version && r.success);
        if !clean {
            history::record(&mut client, m, 0, None)?;
            tell!("marked {} as applied", m.label());
            n += 1;
        }
    }
    if n == 0 {
        tell!("nothing to mark: the history already records these migrations");
    } else if !differences.is_empty() {
        tell!(
            "warning: recorded with --force although the database differs:\n{}",
            differences.join("\n")
        );
    }
    Ok(0)
}

/// `mark VERSION --not-applied`: the history row goes, whether or not its file still exists.
fn forget(project: &Project, streams: &[Stream], a: &MarkArgs, url: &str) -> Result<u8, Error> {
    let mut client = migrate::runner::connect_locked(url, &settings(project), &mut || {})?;
    let rows = history::read(&mut client)?;
    let selected: Vec<&str> = streams.iter().map(|s| s.service.name.as_str()).collect();
    let hits: Vec<&history::Row> = rows
        .iter()
        .filter(|r| r.version == a.version && selected.contains(&r.service.as_str()))
        .collect();
    match hits.as_slice() {
        [] => Err(Error::Usage(format!(
            "the history records no migration {} for {}: `autogen history` lists what it records",
            a.version,
            names(streams)
        ))),
        [r] => {
            history::remove(&mut client, &r.service, &r.version)?;
            tell!("marked {} {} as not applied", r.service, r.name);
            Ok(0)
        }
        many => Err(Error::Usage(format!(
            "the history records {} for several services ({}): name one with --service",
            a.version,
            many.iter()
                .map(|r| r.service.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn names(streams: &[Stream]) -> String {
    streams
        .iter()
        .map(|s| format!("`{}`", s.service.name))
        .collect::<Vec<_>>()
        .join(", ")
}
