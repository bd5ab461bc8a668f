//! The chain of one service's migrations: each names its parent, so the order is the files'
//! own, not their names'. Every way the chain can be broken is a `Problem` with its fix.

use super::files::{Migration, sha256_hex};
use autogen_model::ir::Schema;
use autogen_model::model::{load_snapshot, snapshot_text};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub service: String,
    pub message: String,
    pub fix: String,
}

/// The hash every first migration starts from.
pub fn empty_hash() -> String {
    schema_hash(&Schema::default())
}

pub fn schema_hash(schema: &Schema) -> String {
    sha256_hex(snapshot_text(schema).as_bytes())
}

/// Orders `migrations` by their parent links. Returns the chain from the base to the head, and
/// every problem found; the chain is only trustworthy when there are none.
pub fn order(service: &str, migrations: &[Migration]) -> (Vec<Migration>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut p = |message: String, fix: &str| {
        problems.push(Problem {
            service: service.to_string(),
            message,
            fix: fix.to_string(),
        })
    };
    let mut by_version: BTreeMap<&str, &Migration> = BTreeMap::new();
    for m in migrations {
        if m.file_version != m.version {
            p(
                format!(
                    "`{}` declares version {} but its file name says {}",
                    m.up_path.display(),
                    m.version,
                    m.file_version
                ),
                "make the file name and the `-- version:` line agree (rename the file, or the \
                 down file and snapshot with it)",
            );
        }
        if let Some(prev) = by_version.insert(&m.version, m) {
            p(
                format!(
                    "version {} is used twice: `{}` and `{}`",
                    m.version,
                    prev.up_path.display(),
                    m.up_path.display()
                ),
                "delete one of them (and its snapshot) and generate it again with `autogen revision`",
            );
        }
        if m.down.is_none() {
            p(
                format!("`{}` has no down file", m.up_path.display()),
                "restore the .down.sql file from version control, or write the SQL that undoes the migration",
            );
        }
    }
    let mut children: BTreeMap<Option<&str>, Vec<&Migration>> = BTreeMap::new();
    for m in by_version.values() {
        children.entry(m.parent.as_deref()).or_default().push(m);
        if let Some(parent) = &m.parent {
            match by_version.get(parent.as_str()) {
                None => p(
                    format!(
                        "`{}` has parent {parent}, which is not among the migrations of service `{service}`",
                        m.up_path.display()
                    ),
                    &format!(
                        "restore the parent migration from version control, or write it again \
                         from the snapshots: `autogen revision --rebuild {parent} --service \
                         {service} -m \"<its message>\"`; if its snapshot is lost too, rebuild \
                         a baseline with `autogen init --from-db`"
                    ),
                ),
                Some(pm) if pm.version >= m.version => p(
                    format!(
                        "`{}` (version {}) is not newer than its parent {parent}",
                        m.up_path.display(),
                        m.version
                    ),
                    "versions grow along the chain: generate the migration again with `autogen revision`",
                ),
                Some(pm) if pm.after != m.before => p(
                    format!(
                        "`{}` starts from a schema other than the one its parent {parent} leaves",
                        m.up_path.display()
                    ),
                    "the parent was edited or replaced after this migration was made: delete this \
                     migration and its snapshot and generate it again with `autogen revision`",
                ),
                Some(_) => {}
            }
        } else if m.before != empty_hash() {
            p(
                format!(
                    "`{}` has no parent but does not start from an empty schema",
                    m.up_path.display()
                ),
                "set its `-- parent:` line to the version it was made after",
            );
        }
    }
    for (parent, kids) in &children {
        if kids.len() > 1 {
            let names: Vec<String> = kids
                .iter()
                .map(|k| format!("`{}`", k.up_path.display()))
                .collect();
            let what = match parent {
                Some(v) => format!("parent {v}"),
                None => "no parent (two bases)".into(),
            };
            p(
                format!(
                    "{} share {what}: they were made on parallel branches",
                    names.join(" and ")
                ),
                "keep the one already applied, delete the other (with its snapshot) and run \
                 `autogen revision` again on the merged models",
            );
        }
    }
    let mut chain = Vec::new();
    let mut at: Option<&str> = None;
    while let Some(next) = children.get(&at).and_then(|k| k.first()) {
        if chain.len() > migrations.len() {
            break;
        }
        chain.push((*next).clone());
        at = Some(next.version.as_str());
    }
    (chain, problems)
}

/// Checks the stored snapshots against the chain: the head must have one, and every snapshot
/// must hash to what its migration's header says it produces.
pub fn check_snapshots(service: &str, dir: &Path, chain: &[Migration]) -> Vec<Problem> {
    let mut out = Vec::new();
    for (i, m) in chain.iter().enumerate() {
        let path = dir.join(format!("{}.yaml", m.version));
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(_) if i + 1 < chain.len() => continue,
            Err(_) => {
                out.push(Problem {
                    service: service.into(),
                    message: format!("the latest migration {} has no snapshot `{}`", m.version, path.display()),
                    fix: "restore the snapshot from version control; `autogen revision` compares the models with it".into(),
                });
                continue;
            }
        };
        match load_snapshot(&path, &text) {
            Ok(s) if schema_hash(&s) == m.after => {}
            Ok(_) => out.push(Problem {
                service: service.into(),
                message: format!(
                    "snapshot `{}` is not the schema that migration {} produces (hashes differ)",
                    path.display(),
                    m.version
                ),
                fix:
                    "snapshots are written by `autogen revision`: restore it from version control, \
                      or delete the migration and its snapshot and generate them again"
                        .into(),
            }),
            Err(e) => out.push(Problem {
                service: service.into(),
                message: format!("{e}"),
                fix: "restore the snapshot from version control".into(),
            }),
        }
    }
    out
}
