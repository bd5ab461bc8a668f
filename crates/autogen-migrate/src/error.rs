//! The error of everything above the model and the connection: one variant per stage, each
//! carrying the context a user needs to act, and [`Error::help_text`] saying what to do. The
//! errors of the crates below are carried whole (`Model`, `Pg`). Nothing here prints; the CLI decides how an error is shown.

use std::path::PathBuf;
use thiserror::Error;

use autogen_model::Error as ModelLoad;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum Error {
    /// A model that cannot be loaded (its place and what to do are in it).
    #[error(transparent)]
    Model(#[from] autogen_model::Error),

    #[error("cannot read `{path}`: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Talking to Postgres failed (connection, catalog query, statement, shadow).
    #[error(transparent)]
    Pg(#[from] autogen_pg::Error),

    #[error("{0}")]
    Usage(String),

    #[error("{0}")]
    Config(String),

    /// A migration file, the chain of migrations or the history table does not add up.
    #[error("{message}")]
    Migration {
        message: String,
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
        help: Option<String>,
    },
}

impl From<autogen_model::ModelError> for Error {
    fn from(e: autogen_model::ModelError) -> Error {
        Error::Model(e.into())
    }
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
            Error::Model(ModelLoad::Model(m)) => Some((&m.path, m.line, m.column)),
            Error::Statement { file, line, .. } => Some((file, *line as u64, 0)),
            Error::Io { path, .. } | Error::Model(ModelLoad::Io { path, .. }) => Some((path, 0, 0)),
            _ => None,
        }
    }

    /// What to do about it, when the error says.
    pub fn help_text(&self) -> Option<String> {
        match self {
            Error::Model(e) => e.help_text(),
            Error::Io { .. } => Some("check that the path exists and is readable".into()),
            Error::Pg(e) => e.help_text(),
            Error::Config(_) => Some("fix autogen.toml (see the README for its sections)".into()),
            Error::Migration { help, .. } | Error::Statement { help, .. } => help.clone(),
            Error::Usage(_) => None,
        }
    }

    /// The message without the location prefix a model error carries.
    pub fn bare_message(&self) -> String {
        match self {
            Error::Model(ModelLoad::Model(m)) => m.message.clone(),
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
