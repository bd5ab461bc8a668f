//! autogen-pg: everything that talks to PostgreSQL without knowing about migration files.
//!
//! Owns [`conn`] (connection strings, TLS, passwords as libpq finds them, retries, and the
//! process [`conn::env`]ironment read once), [`inspect`] (the live catalog read into the IR in a
//! fixed number of bulk queries), [`filter`] (which schemas a run sees), [`shadow`] (scratch
//! databases and ephemeral clusters where a model is normalized) and [`apply`] (running a plan).
//!
//! It must not know about migration files, the history table or the project file, and it never
//! prints: progress goes through [`conn::env::notice`].

pub mod apply;
pub mod conn;
pub mod error;
pub mod filter;
pub mod inspect;
pub mod shadow;

pub use error::{Error, Result};
