//! The replay: every migration applied in order to an empty scratch database, each step
//! compared with its own snapshot, and each down file run and compared with its parent's
//! snapshot (then the step applied again), so the chain and every way back along it are proven.
//!
//! Input: the project, its streams (in the order `upgrade` runs them) and the shadow. Output:
//! findings naming the migration file, and the objects that differ. The scratch database is
//! prepared the way model normalization prepares its own (stand-ins for what the project
//! references but does not own, the roles its migrations name, the `[shadow] setup` file), so
//! a project whose model normalizes also replays. Nothing outside the shadow is touched.

use super::{CheckKind, Finding, finding, in_schemas};
use crate::config::Project;
use crate::error::Error;
use crate::migrate::{self, Migration, Stream};
use autogen_model::ir::Schema;
use autogen_pg::shadow::{
    Needs, Platform, ScratchDb, Shadow, prepare_platform, prepare_references,
};
use postgres::Client;
use std::collections::{BTreeMap, BTreeSet};

const SNAPSHOT_FIX: &str = "a migration and its snapshot disagree (one was edited by hand): \
                            restore the edited file, or add a migration that makes them agree";
const DOWN_FIX: &str = "correct the down file so that it undoes its up file exactly (a down file \
                        that has run somewhere stays as it is: fix forward with a new migration)";

/// A scratch database ready for the project's first migration.
fn fresh(url: &str, platform: &Platform, needs: &Needs) -> Result<(ScratchDb, Client), Error> {
    let scratch = ScratchDb::create(url, "autogen_replay")?;
    let mut client = scratch.connect()?;
    prepare_platform(&mut client, platform, needs)?;
    prepare_references(&mut client, needs)?;
    migrate::history::ensure(&mut client)?;
    Ok((scratch, client))
}

/// The finding for a migration file that fails to run on the replay.
fn failed(m: &Migration, down: bool, e: &Error, what: String) -> Finding {
    let (file, line) = match e {
        Error::Statement { file, line, .. } => (file.clone(), *line),
        _ if down => (m.down_path.clone(), 1),
        _ => (m.up_path.clone(), 1),
    };
    Finding {
        file: Some(file),
        line: Some(line),
        ..finding(
            CheckKind::Replay,
            &m.service,
            what,
            if down {
                DOWN_FIX
            } else {
                "correct the migration if it has not run anywhere yet, else add one that fixes it"
            },
        )
    }
}

/// Objects by (schema, kind, name), as the catalog lists them.
pub type Objects = BTreeSet<(String, String, String)>;

/// Replays `streams`; see the module's doc. Also returns the objects the migrations left in
/// the replayed database (what the project's own migrations create, hand-written parts
/// included), or none when a migration failed.
pub fn replay(
    project: &Project,
    streams: &[Stream],
    shadow: &mut Shadow,
) -> Result<(Vec<Finding>, Objects), Error> {
    let url = shadow.url()?.to_string();
    let platform = shadow.platform().clone();
    // Only these are compared; the services they depend on are replayed first, since their
    // tables and types must exist (`check --service notes` needs `users.accounts`).
    let wanted: BTreeSet<String> = streams.iter().map(|s| s.service.name.clone()).collect();
    let Prepared {
        streams,
        snapshots,
        owned,
        needs,
    } = prepare(project, streams)?;
    let streams = &streams;
    let pending = migrate::pending(streams, &[]);
    let (mut _scratch, mut client) = fresh(&url, &platform, &needs)?;
    let mut out = Vec::new();
    // Objects already reported per service: drift that one bad step causes shows once, at the
    // step that caused it, not again at every later one.
    let mut reported: BTreeSet<(String, String)> = BTreeSet::new();
    for (k, m) in pending.iter().enumerate() {
        if !wanted.contains(&m.service) {
            migrate::runner::apply(&mut client, m, 0).map_err(|e| {
                Error::migration(
                    format!("a migration of service `{}`, which the checked services depend on, fails on the replay: {e}", m.service),
                    format!("check that service first: autogen check --service {}", m.service),
                )
            })?;
            continue;
        }
        if let Err(e) = migrate::runner::apply(&mut client, m, 0) {
            out.push(failed(
                m,
                false,
                &e,
                format!("migration {} fails on an empty database: {e}", m.version),
            ));
            return Ok((out, Objects::new()));
        }
        let service_owned = owned.get(&m.service).cloned().unwrap_or_default();
        let snap = snapshots
            .get(&(m.service.clone(), m.version.clone()))
            .cloned()
            .unwrap_or_default();
        let here = in_schemas(
            &service_owned,
            &m.service,
            snap,
            &mut client,
            shadow,
            CheckKind::Replay,
            SNAPSHOT_FIX,
        )?;
        for mut f in here {
            let key = (m.service.clone(), f.object.clone().unwrap_or_default());
            if reported.insert(key) {
                f.message = format!("{} after migration {}", f.message, m.version);
                f.file = Some(m.up_path.clone());
                f.line = Some(1);
                out.push(f);
            }
        }
        if m.down.is_none() {
            // The chain's checks report the missing file.
            continue;
        }
        let parent = match &m.parent {
            Some(p) => snapshots
                .get(&(m.service.clone(), p.clone()))
                .cloned()
                .unwrap_or_default(),
            None => Schema::default(),
        };
        let mut broken = false;
        match migrate::runner::revert(&mut client, m) {
            Err(e) => {
                out.push(failed(
                    m,
                    true,
                    &e,
                    format!("the down file of migration {} fails: {e}", m.version),
                ));
                broken = true;
            }
            Ok(_) => {
                let back = in_schemas(
                    &service_owned,
                    &m.service,
                    parent,
                    &mut client,
                    shadow,
                    CheckKind::Replay,
                    DOWN_FIX,
                )?;
                let at = m.parent.as_deref().unwrap_or("an empty database");
                for mut f in back {
                    f.message = format!(
                        "{} once the down file of migration {} has run (it should restore {at})",
                        f.message, m.version
                    );
                    f.file = Some(m.down_path.clone());
                    f.line = Some(1);
                    out.push(f);
                    broken = true;
                }
                if !broken {
                    if let Err(e) = migrate::runner::apply(&mut client, m, 0) {
                        out.push(failed(
                            m,
                            true,
                            &e,
                            format!(
                                "migration {} does not apply again after its down file ran \
                                 (the down file leaves something behind): {e}",
                                m.version
                            ),
                        ));
                        broken = true;
                    }
                }
            }
        }
        if broken {
            // Start again without this down file, so the steps after it are still proven.
            (_scratch, client) = fresh(&url, &platform, &needs)?;
            for earlier in &pending[..=k] {
                migrate::runner::apply(&mut client, earlier, 0)?;
            }
        }
    }
    let created = autogen_pg::inspect::catalog_objects(&mut client)?
        .into_iter()
        .map(|o| (o.schema, o.kind, o.name))
        .collect();
    Ok((out, created))
}

/// What a replay needs: the streams with those they depend on, every migration's snapshot,
/// what each service owns over its whole chain, and the scratch database's stand-ins.
struct Prepared {
    streams: Vec<Stream>,
    snapshots: BTreeMap<(String, String), Schema>,
    owned: BTreeMap<String, BTreeSet<String>>,
    needs: Needs,
}

fn prepare(project: &Project, streams: &[Stream]) -> Result<Prepared, Error> {
    let streams = with_dependencies(project, streams)?;
    let mut snapshots: BTreeMap<(String, String), Schema> = BTreeMap::new();
    for st in &streams {
        for m in &st.chain {
            let snap = migrate::snapshot_at(project, &st.service.name, &m.version)?;
            snapshots.insert((m.service.clone(), m.version.clone()), snap);
        }
    }
    // What each service owns over its whole chain, and what the project owns: stand-ins are
    // made only outside the latter.
    let mut owned: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for st in &streams {
        let mine = owned.entry(st.service.name.clone()).or_default();
        for ((service, _), snap) in &snapshots {
            if service == &st.service.name {
                mine.extend(migrate::owned_schemas(&st.service, snap, snap));
            }
        }
        if let Some(s) = &st.service.schema {
            mine.insert(s.clone());
        }
    }
    let mut project_owned: BTreeSet<String> = owned.values().flatten().cloned().collect();
    project_owned.extend(project.services.iter().filter_map(|s| s.schema.clone()));
    let needs = Needs::of(snapshots.values(), &project_owned);
    Ok(Prepared {
        streams,
        snapshots,
        owned,
        needs,
    })
}

/// The objects `streams`' migrations create, applied in order to an empty scratch database
/// (what `reset` may drop, since it brings them back).
pub fn created(
    project: &Project,
    streams: &[Stream],
    shadow: &mut Shadow,
) -> Result<Objects, Error> {
    let url = shadow.url()?.to_string();
    let platform = shadow.platform().clone();
    let p = prepare(project, streams)?;
    let (_scratch, mut client) = fresh(&url, &platform, &p.needs)?;
    for m in migrate::pending(&p.streams, &[]) {
        migrate::runner::apply(&mut client, &m, 0)?;
    }
    Ok(autogen_pg::inspect::catalog_objects(&mut client)?
        .into_iter()
        .map(|o| (o.schema, o.kind, o.name))
        .collect())
}

/// `streams` and, before them, the streams of the project's other services whose schemas
/// theirs reference (foreign keys, column types), transitively.
fn with_dependencies(project: &Project, streams: &[Stream]) -> Result<Vec<Stream>, Error> {
    let mut have: BTreeSet<String> = streams.iter().map(|s| s.service.name.clone()).collect();
    let mut out: Vec<Stream> = streams.to_vec();
    let owner = |schema: &str| {
        project
            .services
            .iter()
            .find(|s| s.schema.as_deref() == Some(schema))
            .cloned()
    };
    let mut i = 0;
    while i < out.len() {
        let st = out[i].clone();
        i += 1;
        let mut referenced = BTreeSet::new();
        for m in &st.chain {
            let snap = migrate::snapshot_at(project, &st.service.name, &m.version)?;
            for t in snap.tables.values() {
                referenced.extend(
                    t.foreign_keys
                        .values()
                        .map(|fk| fk.ref_table.schema.clone()),
                );
                for c in t.columns.values() {
                    if let autogen_model::ir::BaseType::User(q) = &c.ty.base {
                        referenced.insert(q.schema.clone());
                    }
                }
            }
        }
        for schema in referenced {
            if let Some(svc) = owner(&schema) {
                if have.insert(svc.name.clone()) {
                    out.extend(migrate::load_streams(project, std::slice::from_ref(&svc))?);
                }
            }
        }
    }
    Ok(out)
}
