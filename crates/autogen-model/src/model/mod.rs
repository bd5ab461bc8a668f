//! YAML model files -> `ir::Schema`.
//!
//! Input: a file or a directory of `*.yaml`/`*.yml` files (merged). Output: a validated schema in
//! the IR, or an error naming the file, line and column, the object, and the fix. Nothing here
//! touches a database; expressions stay as written (see `shadow` for their normalization).

mod build;
mod columns;
mod context;
mod doc;
mod domain;
mod dump;
mod function;
mod grant;
pub mod interchange;
mod policy;
pub mod rust;
pub mod source;
mod sql;
mod table;
mod trigger;
mod view;

pub use doc::FileDoc;
pub use dump::dump_files;

use crate::error::{Error, ModelError};
use crate::ir::Schema;
use std::path::{Path, PathBuf};

/// Loads a model file, or every `*.yaml`/`*.yml`/`*.sql` file below a directory.
pub fn load_path(path: &Path) -> Result<Schema, Error> {
    // An empty directory is an empty schema: the start of a project.
    let files = model_files(path)?;
    let mut sources = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|source| Error::Io {
            path: f.clone(),
            source,
        })?;
        sources.push((f, text));
    }
    load_sources(&sources)
}

/// Loads models from in-memory texts, each labelled with the path used in error messages.
pub fn load_sources(sources: &[(PathBuf, String)]) -> Result<Schema, Error> {
    let mut docs = Vec::new();
    for (path, text) in sources {
        docs.push((path.clone(), parse_file(path, text)?));
    }
    Ok(build::build(&docs)?)
}

/// Loads model documents already parsed (YAML files and Rust models together), each labelled
/// with the path or origin used in messages.
pub fn load_documents(docs: &[(PathBuf, FileDoc)]) -> Result<Schema, Error> {
    Ok(build::build(docs)?)
}

/// Parses one YAML model file.
pub fn parse_document(path: &Path, text: &str) -> Result<FileDoc, Error> {
    Ok(parse_file(path, text)?)
}

/// The Postgres schema a model file declares (`public` when it names none).
pub fn declared_schema(path: &Path, text: &str) -> Result<String, Error> {
    Ok(parse_file(path, text)?
        .schema
        .unwrap_or_else(|| "public".to_string()))
}

/// A stored snapshot: the model documents of every schema, in one file.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotDoc {
    #[serde(default)]
    schemas: Vec<FileDoc>,
}

/// The canonical text of a schema as a snapshot (no comments, so it hashes the same for the
/// same schema).
pub fn snapshot_text(schema: &Schema) -> String {
    let doc = SnapshotDoc {
        schemas: dump::dump_docs(schema, true)
            .into_iter()
            .map(|(_, d)| d)
            .collect(),
    };
    serde_saphyr::to_string(&doc).unwrap_or_default()
}

/// Reads a snapshot written by [`snapshot_text`] (comment lines are allowed).
pub fn load_snapshot(path: &Path, text: &str) -> Result<Schema, Error> {
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        // A model's, though empty: it speaks for no role.
        return Ok(Schema {
            managed_roles: Some(Default::default()),
            ..Schema::default()
        });
    }
    let doc: SnapshotDoc = serde_saphyr::from_str(text).map_err(|e| ModelError {
        path: path.to_path_buf(),
        line: e.location().map_or(0, |l| l.line()),
        column: e.location().map_or(0, |l| l.column()),
        message: format!(
            "not a snapshot autogen can read: {}",
            first_line(&e.to_string())
        ),
        help: Some(
            "snapshots are written by `autogen revision`; restore the file from version control"
                .into(),
        ),
    })?;
    let docs: Vec<(PathBuf, FileDoc)> = doc
        .schemas
        .into_iter()
        .map(|d| (path.to_path_buf(), d))
        .collect();
    Ok(build::build(&docs)?)
}

fn parse_file(path: &Path, text: &str) -> Result<FileDoc, ModelError> {
    if text.trim().is_empty() {
        // Most likely a file saved before it was written, or truncated: saying so beats
        // reading it as an empty model. A file of comments only is a deliberate placeholder
        // (what `autogen init` writes) and declares nothing.
        return Err(ModelError {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message: "the file is empty: it declares nothing".into(),
            help: Some(
                "write its model (`schema:` and `tables:`, see the README), or delete the file"
                    .into(),
            ),
        });
    }
    if path.extension().and_then(|e| e.to_str()) == Some("sql") {
        return sql::parse(path, text);
    }
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Ok(FileDoc::default());
    }
    // Duplicate keys are an error by default in serde-saphyr: a second table with the same name
    // must never silently replace the first.
    serde_saphyr::from_str::<FileDoc>(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((0, 0));
        let mut message = first_line(&e.to_string());
        let (mut line, mut column) = (line, column);
        // Only for what the parser says about syntax; serde's own errors come from valid YAML.
        let syntax = ![
            "unknown field",
            "duplicate",
            "budget",
            "invalid type",
            "missing field",
            "unknown variant",
        ]
        .iter()
        .any(|m| message.contains(m));
        if let Some((text, l, c)) = unclosed(text, line).filter(|_| syntax) {
            // The parser notices only where the bracket should have closed, and names whatever
            // it found there ("invalid boolean"); the open bracket is what to fix.
            message = text;
            (line, column) = (l, c);
        }
        let help = if message.contains("is not closed") {
            Some(
                "close it on the same line, or write the entry in block style (one key per line)"
                    .to_string(),
            )
        } else if message.contains("budget breached") {
            message = format!(
                "the file is larger than one model file may be ({message}): reading stopped here"
            );
            Some(
                "split the model into several files (one per table or per area); \
                 the limit keeps a hostile file (an alias bomb) from exhausting memory"
                    .to_string(),
            )
        } else if message.contains("unknown field") {
            Some(
                "remove or correct the key; the model format is described in the README"
                    .to_string(),
            )
        } else if message.to_lowercase().contains("duplicate") {
            // The library's wording names its own settings ("set DuplicateKeyPolicy").
            if let Some(key) = message
                .strip_prefix("duplicate mapping key: ")
                .map(|r| r.split(", set ").next().unwrap_or(r).to_string())
            {
                message = format!("duplicate key `{key}`: it appears twice in the same mapping");
            }
            Some("each name may appear once; rename or merge the two entries".to_string())
        } else if message == "invalid boolean" {
            message = "expected `true` or `false` here".into();
            None
        } else if message.contains("did not find expected key") {
            message = "this line's indentation does not match the keys above it".into();
            Some("indent each key of a mapping by the same number of spaces".to_string())
        } else {
            None
        };
        ModelError {
            path: path.to_path_buf(),
            line,
            column,
            message,
            help,
        }
    })
}

/// The first `{` or `[` (outside quotes) left open on its line, at or before line `upto`, as a
/// message with its 1-based line and column; also a quote left open. Flow collections in
/// model files are one-liners (`{ type: text, nullable: true }`), so one open at the end of its
/// line is the mistake.
fn unclosed(text: &str, upto: u64) -> Option<(String, u64, u64)> {
    // A flow collection may span lines; one still open at the error's line is the mistake.
    let mut open: Vec<(char, u64, usize)> = Vec::new();
    for (n, l) in text.lines().enumerate().take(upto.max(1) as usize) {
        let chars: Vec<char> = l.chars().collect();
        let mut quote: Option<(char, usize)> = None;
        // The last character before `i` that is not a space (linear: hostile files have lines
        // of a million brackets).
        let mut last: Option<char> = None;
        let mut i = 0;
        while i < chars.len() {
            let ch = chars[i];
            match quote {
                Some(('"', _)) if ch == '\\' => i += 1,
                Some((q, _)) if ch == q => quote = None,
                Some(_) => {}
                None => {
                    // A quote opens a string only where a value starts; `it's` is plain text.
                    let starts = last.is_none_or(|c| matches!(c, ':' | '-' | '[' | '{' | ','));
                    match ch {
                        '#' if i == 0 || chars[i - 1] == ' ' => break,
                        '"' | '\'' if starts => quote = Some((ch, i)),
                        '{' | '[' if starts || !open.is_empty() => open.push((ch, n as u64, i)),
                        '}' | ']' => {
                            open.pop();
                        }
                        _ => {}
                    }
                }
            }
            if !ch.is_whitespace() {
                last = Some(ch);
            }
            i += 1;
        }
        let line = n as u64 + 1;
        if let Some((q, i)) = quote {
            return Some((
                format!("the string opened with {q} here is not closed on its line"),
                line,
                i as u64 + 1,
            ));
        }
    }
    open.first().map(|(b, n, i)| {
        let (kind, close) = if *b == '{' {
            ("mapping", '}')
        } else {
            ("list", ']')
        };
        (
            format!("the flow {kind} `{b}` opened here is not closed (no matching `{close}`)"),
            n + 1,
            *i as u64 + 1,
        )
    })
}

/// The message without the location the YAML library adds (we print our own).
fn first_line(s: &str) -> String {
    let mut line = s.lines().next().unwrap_or(s).trim();
    line = line.strip_prefix("error: ").unwrap_or(line);
    if let Some(rest) = line.strip_prefix("line ") {
        if let Some((_, msg)) = rest.split_once(": ") {
            line = msg;
        }
    }
    match line.rfind(" at line ") {
        Some(i) => line[..i].to_string(),
        None => line.to_string(),
    }
}

fn model_files(path: &Path) -> Result<Vec<PathBuf>, Error> {
    let meta = std::fs::metadata(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| Error::Io {
                path: dir.clone(),
                source,
            })?;
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "sql")
            ) {
                out.push(p);
            }
        }
    }
    // Sorted so that merging (and every message about it) is the same on every machine.
    out.sort();
    Ok(out)
}

/// The schemas a model declares objects in.
pub fn model_schemas(model: &Schema) -> std::collections::BTreeSet<String> {
    let mut s: std::collections::BTreeSet<String> = model.schemas.keys().cloned().collect();
    s.extend(model.tables.keys().map(|q| q.schema.clone()));
    s.extend(model.enums.keys().map(|q| q.schema.clone()));
    s.extend(model.domains.keys().map(|q| q.schema.clone()));
    s.extend(model.sequences.keys().map(|q| q.schema.clone()));
    s.extend(model.views.keys().map(|q| q.schema.clone()));
    s.extend(model.functions.keys().map(|(q, _)| q.schema.clone()));
    s
}
