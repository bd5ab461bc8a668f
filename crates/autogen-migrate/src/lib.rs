//! autogen-migrate: migrations and the use cases built on them.
//!
//! Owns [`config`] (`autogen.toml`), [`migrate`] (migration files and their lexer, the chain,
//! the history table, the runner with its lock and dirty state), [`cases`] (the use cases on
//! them: `revision`, the destructive gate, choosing what `upgrade`/`downgrade` run, `reset`,
//! `health`) and [`check`] (the drift check of models, files and a live database, and
//! `validate`). `migrate` knows nothing of the use cases; they, and `check`, use it.
//!
//! It returns data and errors, never prints (progress goes through `conn::env::notice`), and
//! reaches Postgres only through `autogen-pg`.

pub mod cases;
pub mod check;
pub mod config;
pub mod error;
pub mod migrate;

pub use error::{Error, Result};
