//! Finding and loading each service's model: YAML files (globs from autogen.toml) and the output
//! of models commands (a Rust service's export), as model documents.

use crate::config::{ModelSource, Project, Service};
use crate::error::Error;
use autogen_model::ir::Schema;
use autogen_model::model::{FileDoc, interchange, load_documents, model_schemas, parse_document};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The YAML model files of a service, with their text.
pub(crate) fn service_files(
    project: &Project,
    service: &Service,
) -> Result<Vec<(PathBuf, String)>, Error> {
    let mut paths = BTreeSet::new();
    let globs = service.models.iter().filter_map(|m| match m {
        ModelSource::Glob(g) => Some(g),
        ModelSource::Command(_) => None,
    });
    for pattern in globs {
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

/// Every model document of a service: its YAML files, then the output of each models command,
/// labelled with the file or the Rust origin used in messages.
pub fn service_documents(
    project: &Project,
    service: &Service,
) -> Result<Vec<(PathBuf, FileDoc)>, Error> {
    let mut docs = Vec::new();
    for (path, text) in service_files(project, service)? {
        let doc = parse_document(&path, &text)?;
        docs.push((path, doc));
    }
    for m in &service.models {
        if let ModelSource::Command(argv) = m {
            let text = command_output(project, service, argv)?;
            let label = PathBuf::from(format!("output of `{}`", argv.join(" ")));
            docs.extend(interchange::read(&label, &text)?);
        }
    }
    Ok(docs)
}

/// Outputs of models commands already run by this process: one CLI run loads a service's model
/// several times (alone, and with every other service), and a command such as `cargo run` costs
/// far more than reading files.
static COMMAND_OUTPUTS: Mutex<BTreeMap<(PathBuf, Vec<String>), String>> =
    Mutex::new(BTreeMap::new());

fn command_output(project: &Project, service: &Service, argv: &[String]) -> Result<String, Error> {
    let key = (project.root.clone(), argv.to_vec());
    if let Some(out) = COMMAND_OUTPUTS
        .lock()
        .ok()
        .and_then(|m| m.get(&key).cloned())
    {
        return Ok(out);
    }
    let shown = argv.join(" ");
    let dir = if project.root.as_os_str().is_empty() {
        Path::new(".")
    } else {
        project.root.as_path()
    };
    let output = std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            Error::Config(format!(
                "service `{}`: cannot run the models command `{shown}` in {}: {e}; check that `{}` is installed and on PATH, or correct `models` in autogen.toml",
                service.name,
                dir.display(),
                argv[0]
            ))
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(20).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(Error::Config(format!(
            "service `{}`: the models command `{shown}` failed ({}); its last output:\n{}\nrun it yourself in {} to see why",
            service.name,
            output.status,
            tail.join("\n"),
            dir.display()
        )));
    }
    let text = String::from_utf8(output.stdout).map_err(|_| {
        Error::Config(format!(
            "service `{}`: the models command `{shown}` printed text that is not UTF-8; it must print the model as JSON",
            service.name
        ))
    })?;
    if let Ok(mut m) = COMMAND_OUTPUTS.lock() {
        m.insert(key, text.clone());
    }
    Ok(text)
}

/// A service's model, restricted to what it owns. A document that declares another schema than
/// the service's is an error naming its file or origin.
pub fn load_service_model(project: &Project, service: &Service) -> Result<Schema, Error> {
    let docs = service_documents(project, service)?;
    if let Some(owned) = &service.schema {
        for (path, doc) in &docs {
            // A placeholder of comments only declares nothing, so it claims no schema.
            let nothing = doc.schema.is_none()
                && doc.comment.is_none()
                && doc.extensions.is_empty()
                && doc.enums.is_empty()
                && doc.domains.is_empty()
                && doc.sequences.is_empty()
                && doc.tables.is_empty()
                && doc.views.is_empty();
            if nothing {
                continue;
            }
            let declared = doc.schema.as_deref().unwrap_or("public");
            if declared != owned {
                return Err(Error::migration(
                    format!(
                        "{}: declares schema `{declared}`, but the file belongs to service `{}`, which owns schema `{owned}`",
                        path.display(),
                        service.name
                    ),
                    "set `schema:` in the file (or `schema = ...` on the Rust item) to the service's schema, or move it to the service that owns it",
                ));
            }
        }
    }
    if project.preset.as_deref() == Some("supabase") {
        for (path, doc) in &docs {
            if let Some(r) = doc
                .roles
                .iter()
                .find(|r| autogen_pg::filter::SUPABASE_PLATFORM_ROLES.contains(&r.as_str()))
            {
                return Err(Error::migration(
                    format!(
                        "{}: lists `{r}` under `roles:`, but `{r}` is Supabase's own role: with `preset = \"supabase\"` its grants are the platform's",
                        path.display()
                    ),
                    "remove it from `roles:` (and its grants from the model); the project manages anon, authenticated, service_role and its own roles",
                ));
            }
        }
    }
    let mut model = load_documents(&docs)?;
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
        all.extend(service_documents(project, s)?);
    }
    Ok(load_documents(&all)?)
}

/// Replaces `model`'s views and functions by their forms in `normalized` (the project's models
/// normalized together).
pub fn with_views_of(model: &mut Schema, normalized: &Schema) {
    for (q, v) in model.views.iter_mut() {
        if let Some(n) = normalized.views.get(q) {
            *v = n.clone();
        }
    }
    model.functions = autogen_model::ir::adopt_normalized(&model.functions, &normalized.functions);
}
