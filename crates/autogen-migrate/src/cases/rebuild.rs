//! `autogen revision --rebuild VERSION`: a lost migration written again from the snapshots on
//! both sides of it (its parent's and its own), byte-identical to what `revision` wrote when
//! the model said nothing the snapshots do not keep (rename hints, `using:` conversions).

use super::revision::Revision;
use crate::config::{Project, Service};
use crate::error::Error;
use crate::migrate::chain::{empty_hash, schema_hash};
use crate::migrate::files::{self, Header, slug};
use autogen_core::plan::{Hazard, PlanOptions, plan_down_with, plan_with};
use autogen_core::render::{RenderOptions, script};
use autogen_model::ir::Schema;
use autogen_model::model::load_snapshot;
use std::path::Path;

/// The up and down files of `version` of `service`, rebuilt (not written).
pub fn rebuild(
    project: &Project,
    service: &Service,
    version: &str,
    message: &str,
    online: bool,
) -> Result<Revision, Error> {
    let name = &service.name;
    let snapshots = project.snapshots_dir(name);
    let own_path = snapshots.join(format!("{version}.yaml"));
    if !own_path.exists() {
        return Err(Error::migration(
            format!(
                "there is no snapshot `{}`: a migration is rebuilt from its own snapshot and its parent's",
                own_path.display()
            ),
            "restore the snapshot from version control; without it the migration cannot be rebuilt",
        ));
    }
    let dir = project.migrations_dir(name);
    if let Some(m) = files::list(&dir, name)?
        .into_iter()
        .find(|m| m.version == version || m.file_version == version)
    {
        return Err(Error::migration(
            format!(
                "`{}` exists: --rebuild writes only a migration whose files are lost",
                m.up_path.display()
            ),
            "delete its files first if they are wrong, or leave them as they are",
        ));
    }
    let parent = parent_of(&snapshots, version)?;
    let from = match &parent {
        Some(p) => read_snapshot(&snapshots.join(format!("{p}.yaml")))?,
        None => Schema::default(),
    };
    let to = read_snapshot(&own_path)?;
    let changes = autogen_core::diff::diff(&from, &to);
    if changes.is_empty() {
        return Err(Error::migration(
            format!(
                "migration {version} of `{name}` changes nothing in the snapshots: its SQL was \
                 written by hand (`revision --empty`), and only version control has it"
            ),
            "restore its files from version control",
        ));
    }
    let opts = PlanOptions { online };
    let plan = plan_with(changes.clone(), opts);
    let down = plan_down_with(&changes, opts);
    let destructive = plan.steps.iter().any(|s| {
        s.hazards
            .iter()
            .any(|h| matches!(h, Hazard::DataLoss { .. }))
    });
    let before = match &parent {
        Some(_) => schema_hash(&from),
        None => empty_hash(),
    };
    let after = schema_hash(&to);
    let header = Header {
        service: name,
        version,
        parent: parent.as_deref(),
        message,
        before: &before,
        after: &after,
        destructive,
    };
    let render = RenderOptions {
        time_zone: project.time_zone.clone(),
    };
    let stem = format!("{version}_{}", slug(message));
    Ok(Revision {
        service: name.clone(),
        version: version.to_string(),
        up_path: dir.join(format!("{stem}.up.sql")),
        down_path: dir.join(format!("{stem}.down.sql")),
        snapshot_path: own_path,
        up: header.render("up", &super::destructive::header_lines(&plan)) + &script(&plan, &render),
        down: header.render("down", &super::destructive::header_lines(&down))
            + &script(&down, &render),
        snapshot: String::new(),
    })
}

/// Writes the up and down files of a rebuilt migration (its snapshot is already there).
pub fn write(r: &Revision) -> Result<(), Error> {
    files::write_file(&r.up_path, &r.up)?;
    files::write_file(&r.down_path, &r.down)
}

fn read_snapshot(path: &Path) -> Result<Schema, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(load_snapshot(path, &text)?)
}

/// The version before `version` among the service's snapshots: one snapshot per migration, so
/// the one just before is the parent's.
fn parent_of(dir: &Path, version: &str) -> Result<Option<String>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut best: Option<String> = None;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(v) = name.strip_suffix(".yaml") else {
            continue;
        };
        if files::is_version(v) && v < version && best.as_deref().is_none_or(|b| v > b) {
            best = Some(v.to_string());
        }
    }
    Ok(best)
}
