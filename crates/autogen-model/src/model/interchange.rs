//! The model interchange format: how a program (a service's export command) hands its model to
//! the CLI without the CLI knowing anything of that program.
//!
//! Version 1 is JSON:
//!
//! ```json
//! { "autogen_model": 1,
//!   "documents": [ { "origin": "journal-model/src/lib.rs:12:8",
//!                    "model": { "schema": "journal", "tables": { ... } } } ] }
//! ```
//!
//! Each `model` is a model document exactly as in a YAML model file (full mapping forms), so a
//! model read from a command is validated and converted by the same code as a YAML file. `origin`
//! is where the document's objects were declared; messages about them name it.

use super::doc::FileDoc;
use crate::error::ModelError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Out<'a> {
    autogen_model: u32,
    documents: Vec<OutDoc<'a>>,
}

#[derive(Serialize)]
struct OutDoc<'a> {
    origin: String,
    model: &'a FileDoc,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct In {
    autogen_model: u32,
    documents: Vec<InDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InDoc {
    origin: String,
    model: FileDoc,
}

/// Only the version, read before the rest so a newer format is reported as such rather than as
/// an unknown key.
#[derive(Deserialize)]
struct Probe {
    autogen_model: Option<u32>,
}

pub(crate) fn write(documents: &[(PathBuf, FileDoc)]) -> String {
    let out = Out {
        autogen_model: VERSION,
        documents: documents
            .iter()
            .map(|(p, d)| OutDoc {
                origin: p.display().to_string(),
                model: d,
            })
            .collect(),
    };
    // Serializing plain data with string keys cannot fail.
    let mut text = serde_json::to_string_pretty(&out).unwrap_or_default();
    text.push('\n');
    text
}

/// Reads a command's output; `source` names the command in messages. Each document comes back
/// labelled with its origin.
pub fn read(source: &Path, text: &str) -> Result<Vec<(PathBuf, FileDoc)>, ModelError> {
    let err = |e: serde_json::Error, message: String, help: &str| ModelError {
        path: source.to_path_buf(),
        line: e.line() as u64,
        column: e.column() as u64,
        message,
        help: Some(help.to_string()),
    };
    let probe: Probe = serde_json::from_str(text).map_err(|e| {
        let start: String = text.trim_start().chars().take(60).collect();
        err(
            e,
            format!(
                "the models command did not print autogen's model interchange format (JSON); its output starts with `{}`",
                start.lines().next().unwrap_or_default()
            ),
            "the command must print only the model on standard output (autogen_model::Model::export); send logs to standard error",
        )
    })?;
    match probe.autogen_model {
        Some(VERSION) => {}
        Some(v) => {
            return Err(ModelError {
                path: source.to_path_buf(),
                line: 0,
                column: 0,
                message: format!(
                    "the model is in interchange format version {v}; this autogen reads version {VERSION}"
                ),
                help: Some(if v > VERSION {
                    "upgrade the autogen CLI to the version the service's autogen crate has".into()
                } else {
                    "upgrade the autogen crate the service's model is built with".into()
                }),
            });
        }
        None => {
            return Err(ModelError {
                path: source.to_path_buf(),
                line: 0,
                column: 0,
                message: "the models command's output has no `autogen_model` version".into(),
                help: Some(
                    "print the model with autogen::Model::export, or add \"autogen_model\": 1 as the README describes".into(),
                ),
            });
        }
    }
    let parsed: In = serde_json::from_str(text).map_err(|e| {
        let message = format!(
            "the model interchange text is not valid: {}",
            super::first_line(&e.to_string())
        );
        err(
            e,
            message,
            "the format is described in the README under \"declaring models in Rust\"",
        )
    })?;
    debug_assert_eq!(parsed.autogen_model, VERSION);
    Ok(parsed
        .documents
        .into_iter()
        .map(|d| (PathBuf::from(d.origin), d.model))
        .collect())
}
