//! Migration streams: files on disk, their chain, snapshots, the history table and the runner.
//!
//! Input: a `config::Project` (services, where their models and migrations live) and, for the
//! online parts, a connection. Output: the state of each service's stream, the problems found
//! with their fixes, and migrations applied or reverted. Only `runner` and `history` touch a
//! connection; SQL comes from `render` (for new migrations) or from the files.

pub mod chain;
pub mod files;
pub mod history;
pub mod leftovers;
pub(crate) mod models;
pub mod roles;
pub(crate) use models::service_files;
pub mod runner;
pub mod split;

pub use chain::{Problem, empty_hash, schema_hash};
pub use files::Migration;
pub use models::{
    load_all_models, load_service_model, owned_schemas, service_documents, with_views_of,
};

use crate::config::{Project, Service};
use crate::error::Error;
use autogen_model::ir::Schema;
use autogen_model::model::load_snapshot;
use std::collections::{BTreeMap, BTreeSet};

/// One service's migrations in chain order, with what is wrong with them offline.
#[derive(Debug, Clone)]
pub struct Stream {
    pub service: Service,
    pub chain: Vec<Migration>,
    /// Every migration file of the service, in the chain or not (a file whose parent is lost
    /// exists but is out of the chain: it must never be called missing).
    pub files: Vec<Migration>,
    pub problems: Vec<Problem>,
}

impl Stream {
    pub fn head(&self) -> Option<&Migration> {
        self.chain.last()
    }

    /// The file of `version`, in the chain or out of it.
    pub fn file(&self, version: &str) -> Option<&Migration> {
        self.files.iter().find(|m| m.version == version)
    }
}

/// The head snapshot of a stream (empty before the first migration).
pub fn head_schema(project: &Project, stream: &Stream) -> Result<Schema, Error> {
    match stream.head() {
        Some(head) => snapshot_at(project, &stream.service.name, &head.version),
        None => Ok(Schema::default()),
    }
}

/// The snapshot a service's migration `version` recorded.
pub fn snapshot_at(project: &Project, service: &str, version: &str) -> Result<Schema, Error> {
    let path = project
        .snapshots_dir(service)
        .join(format!("{version}.yaml"));
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    Ok(load_snapshot(&path, &text)?)
}

pub fn load_streams(project: &Project, services: &[Service]) -> Result<Vec<Stream>, Error> {
    let mut out = Vec::new();
    for s in services {
        let all = files::list(&project.migrations_dir(&s.name), &s.name)?;
        let (chain, mut problems) = chain::order(&s.name, &all);
        if problems.is_empty() {
            problems.extend(chain::check_snapshots(
                &s.name,
                &project.snapshots_dir(&s.name),
                &chain,
            ));
        }
        out.push(Stream {
            service: s.clone(),
            chain,
            files: all,
            problems,
        });
    }
    Ok(out)
}

/// What the history table says against the files: edited or missing files, gaps, dirty rows.
pub fn online_problems(streams: &[Stream], rows: &[history::Row]) -> Vec<Problem> {
    let mut out = Vec::new();
    for st in streams {
        let name = &st.service.name;
        let mut p = |message: String, fix: &str| {
            out.push(Problem {
                service: name.clone(),
                message,
                fix: fix.into(),
            })
        };
        let applied: BTreeMap<&str, &history::Row> = rows
            .iter()
            .filter(|r| &r.service == name)
            .map(|r| (r.version.as_str(), r))
            .collect();
        for (v, r) in &applied {
            match st.chain.iter().find(|m| m.version == *v) {
                None if st.file(v).is_some() => p(
                    format!(
                        "migration {v} ({}) is applied, and its file `{}` is there but out of \
                         the chain (the chain's own problems say why: a lost parent, a header \
                         that disagrees with its file name)",
                        r.name,
                        st.file(v)
                            .map_or_else(String::new, |m| m.up_path.display().to_string())
                    ),
                    "repair the chain as its problems say; the file itself is needed as it is",
                ),
                None => p(
                    format!(
                        "migration {v} ({}) is applied to the database but its file is missing",
                        r.name
                    ),
                    "restore the file from version control; a migration that ran must stay in the repository",
                ),
                Some(m) if m.checksum != r.checksum => p(
                    format!(
                        "`{}` was edited after it was applied (checksum differs from the history table)",
                        m.up_path.display()
                    ),
                    "restore the applied version of the file and put further changes in a new migration",
                ),
                Some(_) => {}
            }
            if !r.success {
                p(
                    format!(
                        "migration {v} ({}) is dirty: it stopped part-way ({})",
                        r.name,
                        r.error.as_deref().unwrap_or("no error recorded")
                    ),
                    "fix the cause, then `autogen upgrade --resume`; or repair by hand and record it with `autogen mark`",
                );
            }
        }
        let mut seen_pending: Option<&Migration> = None;
        for m in &st.chain {
            match (applied.contains_key(m.version.as_str()), seen_pending) {
                (false, None) => seen_pending = Some(m),
                (true, Some(gap)) => p(
                    format!(
                        "migration {} is applied but the older {} in its chain is not",
                        m.version, gap.version
                    ),
                    "the chain was rewritten after it ran here: restore the files as they were applied",
                ),
                _ => {}
            }
        }
    }
    out
}

/// Migrations of `streams` not in the history, in the order they must run: by version across
/// services (a service's chain only grows in version), then by service.
pub fn pending(streams: &[Stream], rows: &[history::Row]) -> Vec<Migration> {
    let mut out: Vec<Migration> = streams
        .iter()
        .flat_map(|s| s.chain.iter())
        .filter(|m| {
            !rows
                .iter()
                .any(|r| r.service == m.service && r.version == m.version)
        })
        .cloned()
        .collect();
    out.sort_by(|a, b| (&a.version, &a.service).cmp(&(&b.version, &b.service)));
    out
}

/// Applied migrations (with their files), newest first: the order they are reverted in.
pub fn applied_newest_first(streams: &[Stream], rows: &[history::Row]) -> Vec<Migration> {
    let mut out: Vec<Migration> = streams
        .iter()
        .flat_map(|s| s.chain.iter())
        .filter(|m| {
            rows.iter()
                .any(|r| r.service == m.service && r.version == m.version)
        })
        .cloned()
        .collect();
    out.sort_by(|a, b| (&b.version, &b.service).cmp(&(&a.version, &a.service)));
    out
}

/// What every scratch database of this project is prepared with: the preset, the `[shadow]
/// setup` file, and the roles that any service's migration files name (up and down).
pub fn platform(project: &Project) -> Result<autogen_pg::shadow::Platform, Error> {
    let setup = match &project.shadow_setup {
        None => None,
        Some(path) => {
            let full = project.root.join(path);
            let sql = std::fs::read_to_string(&full).map_err(|e| {
                Error::Config(format!(
                    "{}: `[shadow] setup` names `{}`, which cannot be read ({e}); create it, or \
                     remove the key",
                    crate::config::CONFIG_FILE,
                    full.display()
                ))
            })?;
            Some((path.clone(), sql))
        }
    };
    let (mut roles, mut created) = (BTreeSet::new(), BTreeSet::new());
    for s in &project.services {
        for m in files::list(&project.migrations_dir(&s.name), &s.name)? {
            for text in std::iter::once(&m.up).chain(m.down.as_ref()) {
                let (named, made) = roles::roles(text);
                roles.extend(named);
                created.extend(made);
            }
        }
    }
    // A role one migration creates and another names is the migrations' to create.
    roles.retain(|r| !created.contains(r));
    Ok(autogen_pg::shadow::Platform {
        preset: project.preset.clone(),
        setup,
        roles,
    })
}

/// Problems as one error, or `Ok` when there are none.
pub fn refuse(problems: &[Problem], what: &str) -> Result<(), Error> {
    if problems.is_empty() {
        return Ok(());
    }
    let list = problems
        .iter()
        .map(|p| format!("  [{}] {}\n      fix: {}", p.service, p.message, p.fix))
        .collect::<Vec<_>>()
        .join("\n");
    Err(Error::migration(
        format!("{what}: the migrations do not add up:\n{list}"),
        "`autogen validate` lists the same problems",
    ))
}
