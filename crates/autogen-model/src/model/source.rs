//! What `diff --from/--to` accepts besides a database: a model file or folder, a snapshot file,
//! or a folder of snapshots at a version (`snapshots/app@20260101000000`, or the project's
//! `snapshots@VERSION` for every service at once). Snapshots are in the model format, so the
//! schema a migration produced can be compared with anything without a checkout of that commit.

use super::{load_path, load_snapshot};
use crate::error::Error;
use crate::ir::Schema;
use std::path::{Path, PathBuf};

/// A loaded source; `snapshot` when it was read from snapshots (already as Postgres stores it,
/// so it needs no normalization).
pub struct Source {
    pub schema: Schema,
    pub snapshot: bool,
}

/// Loads `spec` (see the module header).
pub fn load(spec: &str) -> Result<Source, Error> {
    let (path, version) = match spec.rsplit_once('@') {
        Some((p, v)) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
            (Path::new(p), Some(v))
        }
        _ => (Path::new(spec), None),
    };
    if path.is_file() && version.is_none() {
        let text = read(path)?;
        if is_snapshot(&text) {
            return Ok(Source {
                schema: load_snapshot(path, &text)?,
                snapshot: true,
            });
        }
        return model(path);
    }
    let services = snapshot_dirs(path)?;
    if services.is_empty() {
        if let Some(v) = version {
            return Err(Error::Usage(format!(
                "`{spec}`: `{}` holds no snapshots (files named VERSION.yaml) to take version {v} from",
                path.display()
            )));
        }
        return model(path);
    }
    let mut schema = Schema::default();
    let mut found = false;
    for dir in services {
        let Some(file) = at_version(&dir, version)? else {
            continue;
        };
        found = true;
        let text = read(&file)?;
        schema.merge(load_snapshot(&file, &text)?);
    }
    if !found {
        return Err(Error::Usage(format!(
            "`{spec}`: no snapshot at or before version {} under `{}`",
            version.unwrap_or("?"),
            path.display()
        )));
    }
    Ok(Source {
        schema,
        snapshot: true,
    })
}

fn model(path: &Path) -> Result<Source, Error> {
    Ok(Source {
        schema: load_path(path)?,
        snapshot: false,
    })
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// A snapshot's top level is `schemas:`; a model file's is `schema:`, `tables:`, ...
fn is_snapshot(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("schemas:"))
}

/// Snapshot file names: the migration's version.
fn version_of(p: &Path) -> Option<&str> {
    let stem = p.file_stem()?.to_str()?;
    let yaml = p.extension().is_some_and(|e| e == "yaml");
    (yaml && !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_digit())).then_some(stem)
}

fn entries(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    out.sort();
    Ok(out)
}

/// `dir` itself when it holds snapshot files (one service), else its subfolders that do (the
/// project's `snapshots/`); empty when it is a model folder.
fn snapshot_dirs(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let here = entries(dir)?;
    let files: Vec<&PathBuf> = here.iter().filter(|p| p.is_file()).collect();
    if !files.is_empty() {
        let all = files.iter().all(|p| version_of(p).is_some());
        return Ok(if all {
            vec![dir.to_path_buf()]
        } else {
            Vec::new()
        });
    }
    let mut out = Vec::new();
    for sub in here.iter().filter(|p| p.is_dir()) {
        let inner = entries(sub)?;
        if !inner.is_empty() && inner.iter().all(|p| version_of(p).is_some()) {
            out.push(sub.clone());
        }
    }
    Ok(out)
}

/// The service's snapshot at `version`: the last one at or before it (the head when none is
/// given), since a service's schema stays as its last migration left it.
fn at_version(dir: &Path, version: Option<&str>) -> Result<Option<PathBuf>, Error> {
    let mut best: Option<(String, PathBuf)> = None;
    for p in entries(dir)? {
        let Some(v) = version_of(&p).map(str::to_string) else {
            continue;
        };
        // Versions are timestamps of one width; compare as numbers so widths cannot mislead.
        let key = |s: &str| (s.len(), s.to_string());
        if version.is_some_and(|want| key(&v) > key(want)) {
            continue;
        }
        if best.as_ref().is_none_or(|(b, _)| key(&v) > key(b)) {
            best = Some((v, p));
        }
    }
    Ok(best.map(|(_, p)| p))
}
