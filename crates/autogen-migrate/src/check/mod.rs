//! `autogen check`: models, migration files, snapshots and the live database must agree.
//!
//! Input: a project, the services to check, a shadow (for replay and normalization) and
//! optionally a database. Output: a [`Report`] of findings, each naming the service, the object
//! and how it differs, and what to do. Nothing here writes to the project or to the database;
//! the shadow's scratch databases are dropped before it returns.

mod explain;
mod locate;
mod pending;
mod replay;
pub mod report;
mod unmanaged;
mod validate;

pub use replay::{created as created_by_migrations, replay};
use unmanaged::{Known, unmanaged};
pub use validate::{Validation, validate};

pub use explain::{Drift, explain, explain_all};

use crate::config::{Project, Service};
use crate::error::Error;
use crate::migrate::{self, Stream};
use autogen_model::ir::Schema;
use autogen_pg::filter::SchemaFilter;
use autogen_pg::shadow::Shadow;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Which comparison found a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// Migration files, their chain and snapshots, read offline.
    Files,
    /// Each service's model against its latest snapshot.
    Models,
    /// The migrations replayed from empty on the shadow against the latest snapshot.
    Replay,
    /// The history table against the files.
    History,
    /// The live database against the snapshot of its last applied migration.
    Database,
    /// Objects in the database that no model declares and autogen does not manage.
    Unmanaged,
}

impl CheckKind {
    pub fn title(self) -> &'static str {
        match self {
            CheckKind::Files => "migration files",
            CheckKind::Models => "models vs snapshots",
            CheckKind::Replay => "migrations replayed vs snapshots",
            CheckKind::History => "history table vs files",
            CheckKind::Database => "database vs migrations",
            CheckKind::Unmanaged => "objects autogen does not manage",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub check: CheckKind,
    pub severity: Severity,
    pub service: String,
    /// `schema.table.column` and the like; `None` for findings about files or the history.
    pub object: Option<String>,
    pub message: String,
    pub fix: String,
    /// Where to point a reviewer: a model file or a migration file, relative to the project.
    pub file: Option<PathBuf>,
    pub line: Option<usize>,
}

#[derive(Debug, Default)]
pub struct Report {
    /// The comparisons that ran, in order.
    pub checked: Vec<CheckKind>,
    pub findings: Vec<Finding>,
    /// Things worth saying that are not drift (a shadow on another major version).
    pub notes: Vec<String>,
}

impl Report {
    /// 0 in sync (warnings allowed), 1 drift.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.findings.iter().any(|f| f.severity == Severity::Error))
    }
}

pub struct CheckOptions<'a> {
    /// Unmanaged objects fail the check instead of warning.
    pub strict: bool,
    pub database_url: Option<&'a str>,
    /// Whether every service of the project is checked (only then can a schema be said to
    /// belong to none).
    pub all_services: bool,
}

fn finding(check: CheckKind, service: &str, message: String, fix: &str) -> Finding {
    Finding {
        check,
        severity: Severity::Error,
        service: service.to_string(),
        object: None,
        message,
        fix: fix.to_string(),
        file: None,
        line: None,
    }
}

fn problems(check: CheckKind, list: &[migrate::Problem]) -> Vec<Finding> {
    list.iter()
        .map(|p| finding(check, &p.service, p.message.clone(), &p.fix))
        .collect()
}

/// One finding per differing object.
fn drift_findings(
    check: CheckKind,
    service: &str,
    expected: &Schema,
    actual: &Schema,
    fix: &str,
) -> Vec<Finding> {
    explain_all(&autogen_core::diff::diff(expected, actual))
        .into_iter()
        .map(|d| Finding {
            object: Some(d.object),
            ..finding(check, service, d.what, fix)
        })
        .collect()
}

/// A snapshot with its expressions as Postgres stores them (an empty one needs no server),
/// through the normalization cache: replay normalizes every snapshot of a chain, and
/// consecutive snapshots share most of their tables.
fn normalized(s: Schema, shadow: &mut Shadow) -> Result<Schema, Error> {
    if s == Schema::default() {
        return Ok(s);
    }
    match shadow.normalize_model(s)? {
        autogen_pg::shadow::Normalized::Done { schema, .. } => Ok(schema),
        autogen_pg::shadow::Normalized::NoShadow(e, _) => Err(e.into()),
    }
}

/// Runs every check that the inputs allow and collects what disagrees.
pub fn check(
    project: &Project,
    services: &[Service],
    shadow: &mut Shadow,
    opts: &CheckOptions,
) -> Result<Report, Error> {
    let mut report = Report::default();
    let streams = migrate::load_streams(project, services)?;
    report.checked.push(CheckKind::Files);
    for st in &streams {
        report
            .findings
            .extend(problems(CheckKind::Files, &st.problems));
    }
    report.findings.extend(problems(
        CheckKind::Files,
        &crate::cases::destructive::unmarked(&streams),
    ));
    // Two services declaring one table is a model error (exit 2), named with both files. The
    // views are read as Postgres stores them with every service's tables there.
    let all = shadow.normalize_views(migrate::load_all_models(project)?)?;
    report.checked.push(CheckKind::Models);
    let mut owned = BTreeMap::new();
    let mut declared = BTreeSet::new();
    let mut declared_functions = BTreeSet::new();
    let mut declared_triggers = BTreeSet::new();
    let mut declared_policies = BTreeSet::new();
    for st in &streams {
        let mut model = migrate::load_service_model(project, &st.service)?;
        migrate::with_views_of(&mut model, &all);
        let head = migrate::head_schema(project, st)?;
        for s in migrate::owned_schemas(&st.service, &model, &head) {
            owned.insert(s, st.service.name.clone());
        }
        declared.extend(head.views.keys().cloned());
        declared_functions.extend(head.functions.keys().map(|(q, _)| q.clone()));
        declared_triggers.extend(head.triggers().map(|(q, t)| (q.clone(), t.name.clone())));
        declared_policies.extend(head.policies().map(|(q, p)| (q.clone(), p.name.clone())));
        if !st.problems.is_empty() {
            continue;
        }
        let name = &st.service.name;
        let fix = format!(
            "generate the migration: autogen revision --service {name} -m \"<what changed>\""
        );
        let mut found = drift_findings(CheckKind::Models, name, &head, &model, &fix);
        locate::model_lines(project, &st.service, &mut found)?;
        report.findings.extend(found);
    }
    let files_ok = streams.iter().all(|s| s.problems.is_empty());
    let mut created = BTreeSet::new();
    if files_ok {
        report.checked.push(CheckKind::Replay);
        let (found, objects) = replay(project, &streams, shadow)?;
        report.findings.extend(found);
        created = objects;
    }
    if let Some(db_url) = opts.database_url {
        let mut client = autogen_pg::conn::connect(db_url)?;
        report.notes.extend(shadow.version_note(&mut client)?);
        let rows = migrate::history::read(&mut client)?;
        report.checked.push(CheckKind::History);
        report.findings.extend(problems(
            CheckKind::History,
            &migrate::online_problems(&streams, &rows),
        ));
        report.checked.push(CheckKind::Database);
        // Every service's latest snapshot: a service's pending migration may move another
        // service's views (see `cases::views::foreign_views`).
        let mut heads = Vec::new();
        for st in migrate::load_streams(project, &project.services)? {
            if st.problems.is_empty() {
                heads.push((st.service.name.clone(), migrate::head_schema(project, &st)?));
            }
        }
        for st in &streams {
            report
                .findings
                .extend(live_drift(project, st, &rows, &heads, &mut client, shadow)?);
        }
        report.checked.push(CheckKind::Unmanaged);
        let known = Known {
            owned: &owned,
            declared: &declared,
            declared_functions: &declared_functions,
            declared_triggers: &declared_triggers,
            declared_policies: &declared_policies,
            created: &created,
        };
        report
            .findings
            .extend(unmanaged(project, &mut client, &known, opts)?);
    }
    Ok(report)
}

/// The live database against the snapshot of the last migration its history says ran, and
/// every migration not yet applied.
fn live_drift(
    project: &Project,
    st: &Stream,
    rows: &[migrate::history::Row],
    heads: &[(String, Schema)],
    client: &mut postgres::Client,
    shadow: &mut Shadow,
) -> Result<Vec<Finding>, Error> {
    let name = &st.service.name;
    let mut out = Vec::new();
    let applied = |v: &str| rows.iter().any(|r| &r.service == name && r.version == v);
    let last = st.chain.iter().rev().find(|m| applied(&m.version));
    for m in st.chain.iter().filter(|m| !applied(&m.version)) {
        out.push(Finding {
            file: Some(m.up_path.clone()),
            line: Some(1),
            ..finding(
                CheckKind::Database,
                name,
                format!("migration {} is not applied", m.name()),
                "apply it: autogen upgrade",
            )
        });
    }
    let expected = match last {
        Some(m) => migrate::snapshot_at(project, name, &m.version)?,
        None => Schema::default(),
    };
    if let Some(head) = st.head().filter(|h| !applied(&h.version)) {
        let head = migrate::snapshot_at(project, name, &head.version)?;
        out.extend(pending::views(
            &st.service,
            &expected,
            &head,
            heads,
            client,
        )?);
    }
    let owned = migrate::owned_schemas(&st.service, &expected, &expected);
    let owned_list: Vec<String> = owned.iter().cloned().collect();
    for l in migrate::leftovers::find(client, Some(&owned_list))? {
        out.push(Finding {
            object: Some(format!("{}.{}", l.schema, l.name)),
            ..finding(CheckKind::Database, name, l.to_string(), l.fix())
        });
    }
    let at = last.map_or_else(
        || "no migration".into(),
        |m| format!("migration {}", m.version),
    );
    let fix = format!(
        "the database was changed outside the migrations (it should match {at}): undo the change, \
         or keep it by adding it to the model and running `autogen revision`"
    );
    let drift = against_snapshot(
        &st.service,
        expected,
        client,
        shadow,
        CheckKind::Database,
        &fix,
    )?;
    if last.is_none() && !drift.is_empty() {
        // No history, yet the objects are there: a database made by `create_all()`, `psql -f`
        // or another tool. Which migration it already equals decides the advice.
        if let Some(m) = already_at(project, st, client, shadow)? {
            // What it already holds is not "not applied"; what comes after it still is.
            let held: Vec<&std::path::PathBuf> = st
                .chain
                .iter()
                .take_while(|c| c.version <= m.version)
                .map(|c| &c.up_path)
                .collect();
            out.retain(|f| f.file.as_ref().is_none_or(|p| !held.contains(&p)));
            let (message, fix) = held_at(m, name);
            out.push(Finding {
                file: Some(m.up_path.clone()),
                line: Some(1),
                ..finding(CheckKind::History, name, message, &fix)
            });
            return Ok(out);
        }
    }
    out.extend(drift);
    Ok(out)
}

/// The live database's schemas of `service` against `expected` (a snapshot), one finding per
/// object that differs.
pub fn against_snapshot(
    service: &crate::config::Service,
    expected: Schema,
    client: &mut postgres::Client,
    shadow: &mut Shadow,
    kind: CheckKind,
    fix: &str,
) -> Result<Vec<Finding>, Error> {
    let owned = migrate::owned_schemas(service, &expected, &expected);
    in_schemas(&owned, &service.name, expected, client, shadow, kind, fix)
}

/// The live database's schemas `owned` against `expected`, as findings of `service`.
fn in_schemas(
    owned: &std::collections::BTreeSet<String>,
    service: &str,
    expected: Schema,
    client: &mut postgres::Client,
    shadow: &mut Shadow,
    kind: CheckKind,
    fix: &str,
) -> Result<Vec<Finding>, Error> {
    let filter = SchemaFilter {
        include: owned.iter().cloned().collect(),
        exclude: Vec::new(),
    };
    let mut live = autogen_pg::inspect::inspect(client, &filter)?;
    live.retain_schemas(|s| owned.contains(s));
    // A view no snapshot declares is not the service's: kept by a hand-written migration or
    // made by hand, it is left alone here and named by the check of unmanaged objects.
    live.views.retain(|q, _| expected.views.contains_key(q));
    live.functions
        .retain(|k, _| expected.functions.contains_key(k));
    live.retain_triggers(|q, n| expected.has_trigger(q, n));
    live.retain_policies(|q, n| expected.has_policy(q, n));
    let mut expected = normalized(expected, shadow)?;
    expected.retain_schemas(|s| owned.contains(s));
    Ok(drift_findings(kind, service, &expected, &live, fix))
}

/// The newest migration of `st` whose snapshot the live database already equals, for a
/// service whose history records none; `None` when it equals none (or holds nothing).
pub fn already_at<'a>(
    project: &Project,
    st: &'a Stream,
    client: &mut postgres::Client,
    shadow: &mut Shadow,
) -> Result<Option<&'a migrate::Migration>, Error> {
    for m in st.chain.iter().rev() {
        let snap = migrate::snapshot_at(project, &st.service.name, &m.version)?;
        if snap == Schema::default() {
            continue;
        }
        let differs = against_snapshot(&st.service, snap, client, shadow, CheckKind::Database, "")?;
        if differs.is_empty() {
            return Ok(Some(m));
        }
    }
    Ok(None)
}

/// What to say of a database that equals migration `m`'s snapshot without history: (message,
/// fix), the same from `status`, `check` and `upgrade`.
fn held_at(m: &migrate::Migration, service: &str) -> (String, String) {
    (
        format!(
            "the database already holds the schema of migration {} but its history does not \
             record it (made by hand or by another tool)",
            m.name()
        ),
        format!(
            "record it without running anything: autogen mark {} --applied --service {service} \
             (`autogen upgrade` would fail on objects that already exist)",
            m.version
        ),
    )
}

/// For a service whose history records none of its migrations: whether the database already
/// holds objects its first migration creates (made by `create_all()`, `psql -f` or another
/// tool), and then what to do, as (message, fix). The advice depends on whether the database
/// equals one of the service's snapshots.
pub fn unrecorded(
    project: &Project,
    st: &Stream,
    rows: &[migrate::history::Row],
    client: &mut postgres::Client,
    shadow: &mut Shadow,
) -> Result<Option<(String, String)>, Error> {
    let name = &st.service.name;
    if rows.iter().any(|r| &r.service == name) {
        return Ok(None);
    }
    let Some(first) = st.chain.first() else {
        return Ok(None);
    };
    let snap = migrate::snapshot_at(project, name, &first.version)?;
    let q = autogen_model::ir::quote::qname;
    let relations: Vec<String> = snap
        .tables
        .keys()
        .chain(snap.sequences.keys())
        .map(q)
        .collect();
    let types: Vec<String> = snap
        .enums
        .keys()
        .chain(snap.domains.keys())
        .map(q)
        .collect();
    let present = autogen_pg::inspect::existing(client, &relations, &types)?;
    if present.is_empty() {
        return Ok(None);
    }
    Ok(Some(match already_at(project, st, client, shadow)? {
        Some(m) => held_at(m, name),
        None => (
            format!(
                "the database already has {} that migration {} creates, but its history records \
                 none of the service's migrations, and it matches none of their snapshots",
                present.join(", "),
                first.name()
            ),
            "bring it to a migration's snapshot (`autogen check` lists the differences), then \
             record that migration with `autogen mark VERSION --applied`"
                .into(),
        ),
    }))
}
