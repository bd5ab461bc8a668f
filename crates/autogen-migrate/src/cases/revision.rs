//! `autogen revision`: models compared with each service's latest snapshot (or the live
//! database), written as an up file, a down file and the new snapshot.

use crate::config::{Project, Service};
use crate::error::Error;
use crate::migrate::chain::{empty_hash, schema_hash};
use crate::migrate::files::{Header, next_version, slug, version_at};
use crate::migrate::models::{load_all_models, load_service_model, owned_schemas, with_views_of};
use crate::migrate::{Stream, head_schema, load_streams, refuse};
use autogen_core::plan::Hazard;
use autogen_core::render::{RenderOptions, script};
use autogen_model::ir::{BaseType, Schema};
use autogen_model::model::snapshot_text;
use autogen_pg::filter::SchemaFilter;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

pub struct RevisionOptions {
    pub message: String,
    pub allow_destructive: bool,
    /// A migration with no generated SQL, for statements written by hand.
    pub empty: bool,
    /// Lock-friendly SQL for tables that already exist (see `plan::PlanOptions`).
    pub online: bool,
    /// Seconds since the Unix epoch: the clock, injected.
    pub now: u64,
    /// An explicit version for the first service written (tests, or a team convention).
    pub version: Option<String>,
    /// Lines written as comments after the header of a service's up file (by service name):
    /// what a baseline did not adopt.
    pub notes: BTreeMap<String, Vec<String>>,
}

/// A migration to write, before it is written.
pub struct Revision {
    pub service: String,
    pub version: String,
    pub up_path: PathBuf,
    pub down_path: PathBuf,
    pub snapshot_path: PathBuf,
    pub up: String,
    pub down: String,
    pub snapshot: String,
}

pub struct Written {
    pub revisions: Vec<Revision>,
    /// Services whose models match their latest snapshot.
    pub unchanged: Vec<String>,
    /// With a live database: what would make a written migration fail there (a view autogen
    /// does not manage over a column the migration changes), with what to do.
    pub warnings: Vec<String>,
}

/// A service's migration, planned and rendered, before its version is known.
struct Planned<'a> {
    stream: &'a Stream,
    /// The model the snapshot records.
    to: Schema,
    up: Body,
    down: Body,
    loses_data: bool,
}

/// One file's script and the `-- loses-data:` header lines of its plan.
struct Body {
    sql: String,
    losses: String,
}

impl Body {
    fn of(plan: &autogen_core::plan::Plan, opts: &RenderOptions) -> Body {
        Body {
            sql: script(plan, opts),
            losses: super::destructive::header_lines(plan),
        }
    }
}

/// Services ordered so that one whose tables reference another's schema comes after it.
fn dependency_order(models: &BTreeMap<String, (Service, Schema)>) -> Vec<String> {
    let owner: BTreeMap<String, String> = models
        .iter()
        .flat_map(|(name, (svc, m))| {
            let owned = owned_schemas(svc, m, &Schema::default());
            owned.into_iter().map(move |s| (s, name.clone()))
        })
        .collect();
    let deps: BTreeMap<&String, BTreeSet<String>> = models
        .iter()
        .map(|(name, (_, m))| {
            let mut d = BTreeSet::new();
            for t in m.tables.values() {
                for fk in t.foreign_keys.values() {
                    d.extend(owner.get(&fk.ref_table.schema).cloned());
                }
                for c in t.columns.values() {
                    if let BaseType::User(q) = &c.ty.base {
                        d.extend(owner.get(&q.schema).cloned());
                    }
                }
            }
            d.remove(name);
            (name, d)
        })
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut left: Vec<&String> = models.keys().collect();
    while !left.is_empty() {
        // A cycle between services cannot be ordered: fall back to name order for the rest.
        let i = left
            .iter()
            .position(|n| {
                deps[n]
                    .iter()
                    .all(|d| out.contains(d) || !left.contains(&d))
            })
            .unwrap_or(0);
        out.push(left.remove(i).clone());
    }
    out
}

pub fn revision(
    project: &Project,
    services: &[Service],
    opts: &RevisionOptions,
    shadow: &mut autogen_pg::shadow::Shadow,
    mut from_db: Option<&mut postgres::Client>,
) -> Result<Written, Error> {
    if opts.empty && services.len() > 1 {
        return Err(Error::Usage(format!(
            "--empty writes one migration: name its service with --service ({})",
            services
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    // Every service's stream is read once: the selected ones are written to, and every one's
    // latest snapshot says which views one service keeps over another's objects.
    let all_streams = load_streams(project, &project.services)?;
    let streams: Vec<&Stream> = all_streams
        .iter()
        .filter(|st| services.iter().any(|s| s.name == st.service.name))
        .collect();
    let problems: Vec<_> = streams.iter().flat_map(|s| s.problems.clone()).collect();
    refuse(&problems, "cannot add a migration")?;
    // All services together: two services declaring one table is an error naming both files.
    // What the snapshot records and the migration creates are the views as Postgres stores
    // them, read with every service's tables there (a view may read another service's).
    let mut models = BTreeMap::new();
    for s in &project.services {
        models.insert(s.name.clone(), (s.clone(), load_service_model(project, s)?));
    }
    let all = shadow.normalize_views(load_all_models(project)?)?;
    for (_, model) in models.values_mut() {
        with_views_of(model, &all);
    }
    let render_opts = RenderOptions {
        time_zone: project.time_zone.clone(),
    };
    // Every service's latest snapshot, for the views one service keeps over another's objects.
    let mut others = Vec::new();
    for st in &all_streams {
        if st.problems.is_empty() {
            others.push((st.service.name.clone(), head_schema(project, st)?));
        }
    }
    // A snapshot's views are read again against every service's latest tables: a view over
    // another service's column whose type has changed since has columns of the new type now,
    // which decides whether it can be replaced in place.
    let mut heads = Schema::default();
    for (_, h) in &others {
        heads.merge(h.clone());
    }
    if !heads.views.is_empty() {
        for v in heads.views.values_mut() {
            *v = v.as_declared();
        }
        let fresh = shadow.normalize_views(heads)?;
        for (_, h) in others.iter_mut() {
            with_views_of(h, &fresh);
        }
    }
    let mut planned = Vec::new();
    let mut unchanged = Vec::new();
    let mut refused = Vec::new();
    let mut warnings = Vec::new();
    for &st in &streams {
        let name = &st.service.name;
        let head = match others.iter().find(|(n, _)| n == name) {
            Some((_, h)) => h.clone(),
            None => head_schema(project, st)?,
        };
        let Some((svc, model)) = models.get(name) else {
            continue;
        };
        let mut to = model.clone();
        let owned = owned_schemas(svc, &to, &head);
        // Against a live database, the model's expressions must read as Postgres stores them.
        let mut compare_to = to.clone();
        let from = match from_db.as_mut() {
            Some(client) => {
                let platform = shadow.platform().clone();
                compare_to = autogen_pg::shadow::normalize(&to, shadow.url()?, &platform)?;
                let filter = SchemaFilter {
                    include: owned.iter().cloned().collect(),
                    exclude: Vec::new(),
                };
                let mut live = autogen_pg::inspect::inspect(client, &filter)?;
                live.retain_schemas(|s| owned.contains(s));
                // A view neither the model nor a snapshot declares is not the service's (a
                // hand-written migration's, or made by hand): left alone, and said so.
                let left_alone = |what: String| {
                    format!(
                        "[{name}] the {what} in the database is declared by no model or \
                         snapshot: left alone (neither compared nor dropped); declare it in the \
                         model to manage it"
                    )
                };
                let undeclared: Vec<autogen_model::ir::QName> = live
                    .views
                    .keys()
                    .filter(|q| !to.views.contains_key(*q) && !head.views.contains_key(*q))
                    .cloned()
                    .collect();
                for q in &undeclared {
                    if let Some(v) = live.views.remove(q) {
                        warnings.push(left_alone(format!("{} `{q}`", v.kind_text())));
                    }
                }
                // Functions likewise, by name and signature.
                let undeclared: Vec<autogen_model::ir::FunctionKey> = live
                    .functions
                    .keys()
                    .filter(|k| !to.functions.contains_key(*k) && !head.functions.contains_key(*k))
                    .cloned()
                    .collect();
                for k in &undeclared {
                    if let Some(f) = live.functions.remove(k) {
                        warnings.push(left_alone(format!("{} `{}`", f.kind_text(), f.describe())));
                    }
                }
                // Triggers and policies likewise, by relation and name.
                let left =
                    live.retain_triggers(|q, n| to.has_trigger(q, n) || head.has_trigger(q, n));
                for (q, n) in left {
                    warnings.push(left_alone(format!("trigger `{n}` on `{q}`")));
                }
                let left =
                    live.retain_policies(|q, n| to.has_policy(q, n) || head.has_policy(q, n));
                for (q, n) in left {
                    warnings.push(left_alone(format!("policy `{n}` on `{q}`")));
                }
                live
            }
            None => head.clone(),
        };
        // Another service's views over this one's tables and types: a change Postgres refuses
        // under them drops and re-creates them in this migration (as their own snapshot has
        // them), or it would fail; views that need nothing from it do not appear.
        let foreign = super::views::foreign_views(&others, name, &owned);
        let changes = if opts.empty {
            Vec::new()
        } else {
            let mut from = from.clone();
            let mut compare_to = compare_to.clone();
            for v in &foreign {
                from.views
                    .entry(v.name.clone())
                    .or_insert_with(|| v.clone());
                compare_to
                    .views
                    .entry(v.name.clone())
                    .or_insert_with(|| v.clone());
            }
            autogen_core::diff::diff(&from, &compare_to)
        };
        if changes.is_empty() && !opts.empty {
            unchanged.push(name.clone());
            continue;
        }
        let plan_opts = autogen_core::plan::PlanOptions {
            online: opts.online,
        };
        let plan = autogen_core::plan::plan_with(changes.clone(), plan_opts);
        let mut loses_data = false;
        for step in &plan.steps {
            for h in &step.hazards {
                if let Hazard::DataLoss { what, tables } = h {
                    loses_data = true;
                    // Against a live database, say how much it holds where the step cuts.
                    let stake = match from_db.as_mut() {
                        Some(client) => super::destructive::at_stake(client, tables)?,
                        None => None,
                    };
                    refused.push(format!(
                        "  [{name}] {}: {what}{}",
                        autogen_core::render::describe(&step.change),
                        stake
                            .map(|s| format!("\n      at stake: {s}"))
                            .unwrap_or_default()
                    ));
                }
            }
        }
        if let Some(client) = from_db.as_mut() {
            // The plan drops and re-creates the views it manages around the changes; the
            // others must be moved by hand.
            let managed: Vec<&autogen_model::ir::QName> = from
                .views
                .keys()
                .chain(foreign.iter().map(|v| &v.name))
                .collect();
            warnings.extend(super::views::blocking(client, name, &changes, &managed)?);
        }
        let down = autogen_core::plan::plan_down_with(&changes, plan_opts);
        if opts.empty {
            to = head.clone();
        }
        to.hints = Default::default();
        planned.push(Planned {
            stream: st,
            to,
            up: Body::of(&plan, &render_opts),
            down: Body::of(&down, &render_opts),
            loses_data,
        });
    }
    if !refused.is_empty() && !opts.allow_destructive {
        return Err(Error::migration(
            format!("the migration would lose data:\n{}", refused.join("\n")),
            "if that is intended, run again with --allow-destructive; else change the models (a rename hint \
             `renamed_from:` keeps the data of a renamed table, column or enum)",
        ));
    }
    // Versions: now, but always after every existing migration, one second apart in dependency
    // order so the runner applies a referenced service's migration first.
    let latest = streams
        .iter()
        .filter_map(|s| s.head().map(|h| h.version.clone()))
        .max();
    let mut version = opts.version.clone().unwrap_or_else(|| version_at(opts.now));
    if let Some(l) = &latest {
        if &version <= l {
            version = next_version(l).unwrap_or(version);
        }
    }
    let order = dependency_order(&models);
    planned.sort_by_key(|p| order.iter().position(|n| n == &p.stream.service.name));
    let mut revisions = Vec::new();
    for (i, p) in planned.into_iter().enumerate() {
        let Planned {
            stream: st,
            to,
            up,
            down,
            loses_data,
        } = p;
        if i > 0 {
            version = next_version(&version).unwrap_or(version);
        }
        let name = &st.service.name;
        let before = st.head().map_or_else(empty_hash, |h| h.after.clone());
        let after = schema_hash(&to);
        let header = Header {
            service: name,
            version: &version,
            parent: st.head().map(|h| h.version.as_str()),
            message: &opts.message,
            before: &before,
            after: &after,
            destructive: loses_data,
        };
        let body = |sql: String| {
            if sql.is_empty() {
                "-- Write the SQL of this migration here; statements end with `;`.\n".to_string()
            } else {
                sql
            }
        };
        let stem = format!("{version}_{}", slug(&opts.message));
        let dir = project.migrations_dir(name);
        revisions.push(Revision {
            service: name.clone(),
            version: version.clone(),
            up_path: dir.join(format!("{stem}.up.sql")),
            down_path: dir.join(format!("{stem}.down.sql")),
            snapshot_path: project.snapshots_dir(name).join(format!("{version}.yaml")),
            up: header.render("up", &up.losses) + &notes(opts.notes.get(name)) + &body(up.sql),
            down: header.render("down", &down.losses) + &body(down.sql),
            snapshot: format!(
                "# Schema of service `{name}` after migration {version}, written by `autogen revision`.\n{}",
                snapshot_text(&to)
            ),
        });
    }
    Ok(Written {
        revisions,
        unchanged,
        warnings,
    })
}

/// `lines` as a comment block, each line made safe to stay a comment.
fn notes(lines: Option<&Vec<String>>) -> String {
    let Some(lines) = lines.filter(|l| !l.is_empty()) else {
        return String::new();
    };
    let mut out = String::new();
    for l in lines {
        out.push_str("-- ");
        out.push_str(&autogen_model::ir::quote::comment_text(l));
        out.push('\n');
    }
    out.push('\n');
    out
}

/// Writes the files of `revisions`; nothing is written if a target already exists.
pub fn write(revisions: &[Revision]) -> Result<(), Error> {
    for r in revisions {
        for p in [&r.up_path, &r.down_path, &r.snapshot_path] {
            if p.exists() {
                return Err(Error::migration(
                    format!("`{}` already exists", p.display()),
                    "wait a second (versions are timestamps) or pass another --version",
                ));
            }
        }
    }
    for r in revisions {
        for (p, text) in [
            (&r.up_path, &r.up),
            (&r.down_path, &r.down),
            (&r.snapshot_path, &r.snapshot),
        ] {
            crate::migrate::files::write_file(p, text)?;
        }
    }
    Ok(())
}
