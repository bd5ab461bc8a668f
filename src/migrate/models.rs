//! Finding and loading each service's model files (globs from autogen.toml).

use crate::config::{Project, Service};
use crate::error::Error;
use crate::ir::Schema;
use crate::model::{declared_schema, load_sources, model_schemas};
use std::collections::BTreeSet;
use std::path::PathBuf;

pub(crate) fn service_files(
    project: &Project,
    service: &Service,
) -> Result<Vec<(PathBuf, String)>, Error> {
    let mut paths = BTreeSet::new();
    for pattern in &service.models {
        let full = if project.root.as_os_str().is_empty() {
            pattern.clone()
        } else {
            format!(
                "{}/{}",
                glob::Pattern::escape(&project.root.display().to_string()),
                pattern
            )
        };
        let found = glob::glob(&full).map_err(|e| {
            Error::Config(format!(
                "service `{}`: models pattern `{pattern}` is not a valid glob: {e}",
                service.name
            ))
        })?;
        for p in found.flatten() {
            if p.is_file() {
                paths.insert(p);
            }
        }
    }
    let mut out = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).map_err(|source| Error::Io {
            path: p.clone(),
            source,
        })?;
        // Paths in messages are relative to the project, as the user wrote them.
        let shown = p.strip_prefix(&project.root).unwrap_or(&p).to_path_buf();
        out.push((shown, text));
    }
    Ok(out)
}

/// The schemas a service owns: its `schema`, or for a lone service what its model and snapshot
/// declare.
pub fn owned_schemas(service: &Service, model: &Schema, snapshot: &Schema) -> BTreeSet<String> {
    match &service.schema {
        Some(s) => BTreeSet::from([s.clone()]),
        None => {
            let mut s = model_schemas(model);
            s.extend(model_schemas(snapshot));
            s
        }
    }
}

/// A service's model, restricted to what it owns. A file that declares another schema than the
/// service's is an error naming the file.
pub fn load_service_model(project: &Project, service: &Service) -> Result<Schema, Error> {
    let files = service_files(project, service)?;
    if let Some(owned) = &service.schema {
        for (path, text) in &files {
            let declared = declared_schema(path, text)?;
            if &declared != owned {
                return Err(Error::migration(
                    format!(
                        "{}: declares schema `{declared}`, but the file belongs to service `{}`, which owns schema `{owned}`",
                        path.display(),
                        service.name
                    ),
                    "set `schema:` in the file to the service's schema, or move the file to the service that owns it",
                ));
            }
        }
    }
    let mut model = load_sources(&files)?;
    if let Some(owned) = &service.schema {
        let owned = owned.clone();
        // Extensions may live in a shared schema (`extensions` on Supabase); they stay.
        let extensions = model.extensions.clone();
        model.retain_schemas(|s| s == owned);
        model.extensions = extensions;
    }
    Ok(model)
}

/// Every service's model files loaded together: the same table or type declared by two services
/// is an error naming both files, and foreign keys between services are checked.
pub fn load_all_models(project: &Project) -> Result<Schema, Error> {
    let mut all = Vec::new();
    for s in &project.services {
        all.extend(service_files(project, s)?);
    }
    load_sources(&all)
}
