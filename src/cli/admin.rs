//! `health` (is this database ready for a migration, and is one stuck?) and `reset` (wipe a
//! disposable database's managed schemas and run every migration again).

use super::ProjectArgs;
use super::project::settings;
use crate::cases::{self, health};
use crate::config::Project;
use crate::error::Error;
use crate::migrate::{self, Stream, history, leftovers};
use clap::Args;
use std::collections::BTreeSet;

#[derive(Args)]
pub struct ResetArgs {
    #[command(flatten)]
    project: ProjectArgs,
    /// Confirm: every managed schema is dropped with its data.
    #[arg(long)]
    yes: bool,
    /// This database is disposable (also `disposable = true` under [database] in autogen.toml).
    #[arg(long = "i-know-this-is-not-production")]
    not_production: bool,
    /// Drop the objects in the schemas that no migration creates too (made by hand or by
    /// another tool); without it, reset refuses and names them.
    #[arg(long)]
    drop_unmanaged: bool,
    /// A server for the scratch database the migrations are replayed on, to learn what they
    /// create (default: `[shadow] url`, else an ephemeral local cluster).
    #[arg(long, value_name = "URL", env = "AUTOGEN_DEV_URL")]
    dev_url: Option<String>,
}

fn streams_of(p: &ProjectArgs) -> Result<(Project, Vec<Stream>), Error> {
    let project = p.load()?;
    let services = project.select(&p.service)?;
    let streams = migrate::load_streams(&project, &services)?;
    Ok((project, streams))
}

/// The schemas the services own: named in autogen.toml, or declared by any of their snapshots
/// (a schema an older migration created is still theirs).
fn owned(project: &Project, streams: &[Stream]) -> Result<Vec<String>, Error> {
    let mut out = BTreeSet::new();
    for st in streams {
        if let Some(s) = &st.service.schema {
            out.insert(s.clone());
            continue;
        }
        for m in &st.chain {
            let snap = migrate::snapshot_at(project, &st.service.name, &m.version)?;
            out.extend(migrate::owned_schemas(&st.service, &snap, &snap));
        }
    }
    Ok(out.into_iter().collect())
}

/// `a`, `b`, `c`: names as messages show them.
fn ticked<'a>(names: impl Iterator<Item = &'a String>) -> String {
    names
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line of the health report.
fn line(ok: bool, what: &str, detail: &str) -> bool {
    say!("{} {what}: {detail}", if ok { "ok  " } else { "FAIL" });
    ok
}

/// The value of a check that could run; a FAIL line (and not an abort) for one that could not,
/// so one missing privilege does not hide the rest of the report.
fn attempt<T>(what: &str, r: Result<T, Error>, healthy: &mut bool) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            *healthy &= line(false, what, &e.to_string().replace('\n', " "));
            None
        }
    }
}

pub fn health(p: ProjectArgs) -> Result<u8, Error> {
    let (project, streams) = streams_of(&p)?;
    let url = project.require_url()?.to_string();
    let mut client = match crate::conn::connect(&url) {
        Ok(c) => c,
        Err(e) => {
            line(false, "connection", &e.to_string());
            return Ok(2);
        }
    };
    let mut healthy = line(true, "connection", &crate::conn::redact(&url));
    let h = &mut healthy;
    if let Some(server) = attempt("server", health::server(&mut client), h) {
        let old = server.version_num < 120000;
        *h &= line(
            !old,
            "server",
            &format!(
                "PostgreSQL {} (database `{}`, role `{}`, {}){}",
                server.version,
                server.database,
                server.user,
                server.tls.as_deref().unwrap_or("not encrypted"),
                if old {
                    "; autogen needs 12 or later"
                } else {
                    ""
                }
            ),
        );
    }
    let schemas = owned(&project, &streams)?;
    if let Some(missing) = attempt(
        "privileges",
        health::missing_privileges(&mut client, &schemas),
        h,
    ) {
        let detail = if missing.is_empty() {
            format!(
                "the role can create and change the project's schemas ({})",
                schemas.join(", ")
            )
        } else {
            missing.join("; ")
        };
        *h &= line(missing.is_empty(), "privileges", &detail);
    }
    match attempt("migration lock", health::migration_running(&mut client), h) {
        Some(Some(s)) => say!(
            "note migration lock: held by pid {} for {} s (another autogen run): {}",
            s.pid,
            s.seconds,
            s.query
        ),
        Some(None) => {
            line(true, "migration lock", "free");
        }
        None => {}
    }
    if let Some(waits) = attempt("lock waits", health::lock_waits(&mut client), h) {
        if waits.is_empty() {
            line(true, "lock waits", "none");
        }
        for w in &waits {
            let by: Vec<String> = w.blocked_by.iter().map(|p| p.to_string()).collect();
            say!(
                "note lock wait: pid {} has waited {} s for pid {}: {}",
                w.pid,
                w.seconds,
                by.join(", "),
                w.query
            );
        }
    }
    if let Some(holders) = attempt(
        "table locks",
        health::lock_holders(&mut client, &schemas),
        h,
    ) {
        if holders.is_empty() {
            line(
                true,
                "table locks",
                "no other session holds a lock on the project's tables",
            );
        }
        // A note, not a failure: readers hold locks all the time; they matter when they last.
        for x in &holders {
            say!(
                "note table lock: pid {} ({}, transaction open {} s) holds {}: {}",
                x.session.pid,
                x.state,
                x.session.seconds,
                x.locks.join(", "),
                x.session.query
            );
        }
    }
    if let Some(found) = attempt(
        "indexes and constraints",
        leftovers::find(&mut client, Some(&schemas)),
        h,
    ) {
        if found.is_empty() {
            line(true, "indexes and constraints", "all valid");
        }
        for l in &found {
            *h &= line(false, "leftover", &format!("{l}; fix: {}", l.fix()));
        }
    }
    if let Some(rows) = attempt("history", history::read(&mut client), h) {
        let problems = migrate::online_problems(&streams, &rows);
        if problems.is_empty() {
            let pending = migrate::pending(&streams, &rows).len();
            line(
                true,
                "history",
                &format!("clean, {pending} migration(s) pending"),
            );
        }
        for pr in &problems {
            *h &= line(
                false,
                "history",
                &format!("[{}] {}; fix: {}", pr.service, pr.message, pr.fix),
            );
        }
    }
    Ok(if healthy { 0 } else { 1 })
}

pub fn reset(a: ResetArgs) -> Result<u8, Error> {
    let (project, streams) = streams_of(&a.project)?;
    let problems: Vec<_> = streams.iter().flat_map(|s| s.problems.clone()).collect();
    migrate::refuse(&problems, "nothing was reset")?;
    let url = project.require_url()?.to_string();
    let shown = crate::conn::redact(&url);
    if !(a.not_production || project.disposable) {
        return Err(Error::Usage(format!(
            "refusing to reset {shown}: it is not marked disposable. If it is a local or CI \
             database, pass --i-know-this-is-not-production, or set `disposable = true` under \
             [database] in the autogen.toml of a project that only ever points at such databases"
        )));
    }
    let schemas = owned(&project, &streams)?;
    let kept: Vec<&String> = schemas
        .iter()
        .filter(|s| cases::reset::protected(s))
        .collect();
    if !kept.is_empty() {
        return Err(Error::Usage(format!(
            "refusing to reset: the services claim schema(s) autogen never drops: {}",
            ticked(kept.iter().copied())
        )));
    }
    if !a.yes {
        return Err(Error::Usage(format!(
            "reset drops the schema(s) {} of {shown} with all their data, then applies every \
             migration again: pass --yes to confirm",
            ticked(schemas.iter())
        )));
    }
    let mut client = migrate::runner::connect_locked(&url, &settings(&project), &mut || {
        tell!("waiting for another autogen run to finish...");
    })?;
    let outside = cases::reset::outside_dependents(&mut client, &schemas)?;
    if !outside.is_empty() {
        return Err(Error::migration(
            format!(
                "nothing was reset: objects outside the project's schemas depend on them, and reset \
                 does not touch what the project does not own:\n{}",
                outside
                    .iter()
                    .map(|o| format!("  {o}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            "drop or change those objects first, or reset with their service included",
        ));
    }
    let names: Vec<String> = streams.iter().map(|s| s.service.name.clone()).collect();
    let before = cases::reset::objects_in(&mut client, &schemas)?;
    // What the migrations create, replayed on a scratch database: reset drops only what it
    // brings back.
    let mut shadow =
        crate::shadow::Shadow::new(a.dev_url.clone().or_else(|| project.shadow_url.clone()))
            .with_platform(migrate::platform(&project)?);
    let created: std::collections::BTreeSet<String> =
        crate::check::created_by_migrations(&project, &streams, &mut shadow)?
            .into_iter()
            .map(|(schema, kind, name)| format!("{kind} {schema}.{name}"))
            .collect();
    drop(shadow);
    let unmanaged: Vec<&String> = before.difference(&created).collect();
    if !unmanaged.is_empty() && !a.drop_unmanaged {
        return Err(Error::migration(
            format!(
                "nothing was reset: the project's schemas hold {} object(s) that no migration \
                 creates (made by hand, or by another tool), which reset would drop for good:\n{}",
                unmanaged.len(),
                unmanaged
                    .iter()
                    .map(|o| format!("  {o}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            "keep what should survive in a model or a hand-written migration (`autogen revision \
             --empty`), drop it yourself, or pass --drop-unmanaged to drop it with the rest",
        ));
    }
    cases::reset::wipe(&mut client, &schemas, &names)?;
    tell!(
        "dropped {} and the history of {}",
        ticked(schemas.iter()),
        names.join(", ")
    );
    // The database is empty now: nothing is left for a data-loss step to lose.
    for m in migrate::pending(&streams, &[]) {
        let took = migrate::runner::apply(&mut client, &m, 0)?;
        tell!(
            "applied {} {} ({} ms)",
            m.service,
            m.name(),
            took.as_millis()
        );
    }
    let after = cases::reset::objects_in(&mut client, &schemas)?;
    let lost: Vec<&String> = before.difference(&after).collect();
    if !lost.is_empty() {
        tell!(
            "reset dropped {} object(s) that no migration creates again (made by hand, or by a \
             tool other than autogen): {}; keep what should survive a reset in a model or a \
             hand-written migration (`autogen revision --empty`)",
            lost.len(),
            lost.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(0)
}
