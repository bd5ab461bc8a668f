//! The crate error: one variant per stage, each carrying the context a user needs to act.

use miette::Diagnostic;
use std::path::PathBuf;
use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Error, Diagnostic)]
pub enum Error {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Model(#[from] ModelError),

    #[error("cannot read `{path}`: {source}")]
    #[diagnostic(help("check that the path exists and is readable"))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot connect to the database `{url}`: {message}")]
    #[diagnostic(help("check the URL, that the server is running, and the credentials"))]
    Connect { url: String, message: String },

    #[error("catalog query `{query}` failed: {message}")]
    #[diagnostic(help(
        "autogen supports PostgreSQL 13 and newer; run with a role that can read pg_catalog"
    ))]
    Inspect { query: String, message: String },

    #[error("applying SQL failed at statement {statement}: {message}\n  statement: {sql}")]
    Apply {
        statement: usize,
        sql: String,
        message: String,
    },

    #[error("shadow database: {0}")]
    #[diagnostic(help(
        "pass --dev-url (or set `[shadow] url` in autogen.toml) with a server where autogen may create and drop scratch databases, or install the PostgreSQL server binaries so autogen can start its own"
    ))]
    Shadow(String),

    #[error("{0}")]
    Usage(String),

    #[error("{0}")]
    #[diagnostic(help("fix autogen.toml (see the README for its sections)"))]
    Config(String),

    /// A migration file, the chain of migrations or the history table does not add up.
    #[error("{message}")]
    Migration {
        message: String,
        #[help]
        help: Option<String>,
    },

    /// A statement of a migration file failed on the server.
    #[error("{}:{line}: {message}\n  statement: {statement}{}", file.display(), state_note(dirty))]
    Statement {
        file: PathBuf,
        line: usize,
        statement: String,
        message: String,
        /// Whether earlier parts of the migration stay committed.
        dirty: bool,
        #[help]
        help: Option<String>,
    },
}

fn state_note(dirty: &bool) -> &'static str {
    if *dirty {
        "\n  the steps before it were committed: the service is marked dirty at this migration"
    } else {
        "\n  the migration was rolled back: the database is at the previous version"
    }
}

impl Error {
    /// Where the error is, for machine-readable reports: the file, its 1-based line and column
    /// (0 when unknown).
    pub fn location(&self) -> Option<(&std::path::Path, u64, u64)> {
        match self {
            Error::Model(m) => Some((&m.path, m.line, m.column)),
            Error::Statement { file, line, .. } => Some((file, *line as u64, 0)),
            Error::Io { path, .. } => Some((path, 0, 0)),
            _ => None,
        }
    }

    /// What to do about it, when the error says.
    pub fn help_text(&self) -> Option<String> {
        miette::Diagnostic::help(self).map(|h| h.to_string())
    }

    /// The message without the location prefix a model error carries.
    pub fn bare_message(&self) -> String {
        match self {
            Error::Model(m) => m.message.clone(),
            other => other.to_string(),
        }
    }

    pub fn migration(message: impl Into<String>, help: impl Into<String>) -> Error {
        Error::Migration {
            message: message.into(),
            help: Some(help.into()),
        }
    }
}

/// A model file that cannot be accepted, with where and what to do.
#[derive(Debug, Error, Diagnostic)]
#[error("{}{message}", location_prefix(path, *line, *column))]
pub struct ModelError {
    pub path: PathBuf,
    /// 1-based; 0 when unknown.
    pub line: u64,
    pub column: u64,
    pub message: String,
    #[help]
    pub help: Option<String>,
}

fn location_prefix(path: &std::path::Path, line: u64, column: u64) -> String {
    if line == 0 {
        format!("{}: ", path.display())
    } else {
        format!("{}:{line}:{column}: ", path.display())
    }
}
