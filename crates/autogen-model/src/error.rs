//! The model's errors: a file that cannot be accepted (with its place and what to do), a file
//! that cannot be read, a source named wrongly. Plain data with a help text; how they are shown
//! is the program's business.

use std::path::{Path, PathBuf};
use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Model(#[from] ModelError),

    #[error("cannot read `{path}`: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// What to do about it.
    pub fn help_text(&self) -> Option<String> {
        match self {
            Error::Model(m) => m.help.clone(),
            Error::Io { .. } => Some("check that the path exists and is readable".into()),
            Error::Usage(_) => None,
        }
    }
}

/// A model file that cannot be accepted, with where and what to do.
#[derive(Debug, Error)]
#[error("{}{message}", location_prefix(path, *line, *column))]
pub struct ModelError {
    pub path: PathBuf,
    /// 1-based; 0 when unknown.
    pub line: u64,
    pub column: u64,
    pub message: String,
    pub help: Option<String>,
}

fn location_prefix(path: &Path, line: u64, column: u64) -> String {
    if line == 0 {
        format!("{}: ", path.display())
    } else {
        format!("{}:{line}:{column}: ", path.display())
    }
}
