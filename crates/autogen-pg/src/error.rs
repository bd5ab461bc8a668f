//! The errors of talking to Postgres: a connection refused, a catalog query or a statement that
//! failed, a shadow database that cannot be had. Each carries the server's own words and the
//! place; `help_text` says what to do.

use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum Error {
    #[error("cannot connect to the database `{url}`: {message}")]
    Connect { url: String, message: String },

    #[error("catalog query `{query}` failed: {message}")]
    Inspect { query: String, message: String },

    #[error("applying SQL failed at statement {statement}: {message}\n  statement: {sql}")]
    Apply {
        statement: usize,
        sql: String,
        message: String,
    },

    #[error("shadow database: {0}")]
    Shadow(String),

    /// Postgres refused part of a model in the shadow, where it is created to be read back as
    /// Postgres stores it: the model needs correcting, not the shadow.
    #[error("{0}")]
    Refused(String),
}

const CONNECT_HELP: &str = "check the URL, that the server is running, and the credentials";
const INSPECT_HELP: &str =
    "autogen supports PostgreSQL 13 and newer; run with a role that can read pg_catalog";
const SHADOW_HELP: &str = "pass --dev-url (or set `[shadow] url` in autogen.toml) with a server where autogen may create and drop scratch databases, or install the PostgreSQL server binaries so autogen can start its own";

const REFUSED_HELP: &str = "the model is created in a scratch database to read it as Postgres stores it, and Postgres refused this part; a table the project does not own is there only with the columns its foreign keys name: describe what else is read in the `[shadow] setup` file";

impl Error {
    /// What to do about it.
    pub fn help_text(&self) -> Option<String> {
        match self {
            Error::Connect { .. } => Some(CONNECT_HELP.into()),
            Error::Inspect { .. } => Some(INSPECT_HELP.into()),
            Error::Apply { .. } => None,
            Error::Shadow(_) => Some(SHADOW_HELP.into()),
            Error::Refused(_) => Some(REFUSED_HELP.into()),
        }
    }
}
