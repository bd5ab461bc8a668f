//! What the model's conversion passes share: where each object was declared, the schema being
//! built with the names already claimed, and the identifier rules every pass checks.

use crate::error::ModelError;
use crate::ir::{MAX_IDENTIFIER_BYTES, QName, Schema};
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where an object was declared, for messages that name both places of a conflict.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub path: PathBuf,
    pub line: u64,
    pub column: u64,
}

impl Origin {
    pub fn of<T>(path: &Path, s: &Spanned<T>) -> Origin {
        Origin {
            path: path.to_path_buf(),
            line: s.referenced.line(),
            column: s.referenced.column(),
        }
    }

    pub fn file(path: &Path) -> Origin {
        Origin {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
        }
    }

    pub fn error(&self, message: impl Into<String>, help: impl Into<String>) -> ModelError {
        ModelError {
            path: self.path.clone(),
            line: self.line,
            column: self.column,
            message: message.into(),
            help: Some(help.into()),
        }
    }

    pub fn describe(&self) -> String {
        if self.line == 0 {
            self.path.display().to_string()
        } else {
            format!("{}:{}", self.path.display(), self.line)
        }
    }
}

/// Extension-provided types a model may name without a schema, once the extension is declared.
const EXTENSION_TYPES: &[(&str, &str)] = &[
    ("citext", "citext"),
    ("hstore", "hstore"),
    ("ltree", "ltree"),
    ("lquery", "ltree"),
    ("cube", "cube"),
    ("vector", "vector"),
    ("halfvec", "vector"),
    ("geometry", "postgis"),
    ("geography", "postgis"),
];

pub(crate) struct Ctx {
    pub schema: Schema,
    /// Relations (tables, sequences, indexes, key constraints' indexes) share one namespace per
    /// schema in Postgres; this finds two objects that would collide.
    pub relations: BTreeMap<QName, (String, Origin)>,
    pub types: BTreeMap<QName, Origin>,
    pub declared_schemas: BTreeMap<String, Origin>,
    pub pending_sequences: Vec<(QName, String, Origin)>,
    pub table_origins: BTreeMap<QName, Origin>,
    /// Each function's key by the file and label it was declared under.
    pub function_keys: BTreeMap<(PathBuf, String), crate::ir::FunctionKey>,
}

pub(crate) fn check_ident(name: &str, what: &str, at: &Origin) -> Result<(), ModelError> {
    if name.is_empty() {
        return Err(at.error(format!("{what} has an empty name"), "give it a name"));
    }
    if name.len() > MAX_IDENTIFIER_BYTES {
        return Err(at.error(
            format!(
                "{what} `{name}` is {} bytes long; Postgres truncates names to 63 bytes",
                name.len()
            ),
            "shorten the name to at most 63 bytes so the database keeps it as written",
        ));
    }
    if name.contains('\0') {
        return Err(at.error(
            format!("{what} `{name}` contains a NUL character"),
            "remove it",
        ));
    }
    Ok(())
}

impl Ctx {
    pub fn claim_relation(
        &mut self,
        name: QName,
        kind: &str,
        at: &Origin,
    ) -> Result<(), ModelError> {
        if let Some((other_kind, other)) = self.relations.get(&name) {
            return Err(at.error(
                format!("{kind} `{name}` has the same name as the {other_kind} declared at {}", other.describe()),
                "tables, sequences, indexes and key constraints share one namespace per schema: rename one",
            ));
        }
        self.relations.insert(name, (kind.to_string(), at.clone()));
        Ok(())
    }

    /// Resolves a model's type name that is not built in.
    pub fn resolve_user_type(
        &self,
        q: &QName,
        file_schema: &str,
        at: &Origin,
    ) -> Result<QName, ModelError> {
        if !q.schema.is_empty() {
            let q = q.clone();
            // A type of an extension installed in this schema (`accounts.citext`, as a snapshot
            // writes it) is not declared under `enums:` or `domains:`, yet exists.
            let from_extension = EXTENSION_TYPES.iter().any(|(t, ext)| {
                *t == q.name
                    && self
                        .schema
                        .extensions
                        .get(*ext)
                        .is_some_and(|e| e.schema == q.schema)
            });
            if self.declared_schemas.contains_key(&q.schema)
                && !self.types.contains_key(&q)
                && !from_extension
            {
                return Err(at.error(
                    format!("unknown type `{q}`: schema `{}` is declared by this model but has no such enum or domain", q.schema),
                    "declare it under `enums:` or `domains:` in that schema, or correct the name",
                ));
            }
            return Ok(q);
        }
        let local = QName::new(file_schema, q.name.clone());
        if self.types.contains_key(&local) {
            return Ok(local);
        }
        if let Some((_, ext)) = EXTENSION_TYPES.iter().find(|(t, _)| *t == q.name) {
            if let Some(e) = self.schema.extensions.get(*ext) {
                return Ok(QName::new(e.schema.clone(), q.name.clone()));
            }
        }
        let elsewhere: Vec<String> = self
            .types
            .keys()
            .filter(|t| t.name == q.name)
            .map(|t| format!("`{t}`"))
            .collect();
        let help = if elsewhere.is_empty() {
            "declare it under `enums:` or `domains:`, use a built-in type, or qualify a type managed elsewhere with its schema (`extensions.citext`)".to_string()
        } else {
            format!(
                "did you mean {}? types in another schema must be qualified",
                elsewhere.join(" or ")
            )
        };
        Err(at.error(format!("unknown type `{}`", q.name), help))
    }
}
