//! autogen-migrate: migrations and the use cases built on them.
//!
//! Owns [`config`] (`autogen.toml`), [`migrate`] (migration files and their lexer, the chain,
//! the history table, the runner with its lock and dirty state, the destructive gate, and the
//! use cases `revision`, `validate`, choosing what `upgrade`/`downgrade` run) and [`check`] (the
//! drift check of models, files and a live database).
//!
//! It returns data and errors, never prints (progress goes through `conn::env::notice`), and
//! reaches Postgres only through `autogen-pg`.

use autogen_core::{diff, plan, render};
use autogen_model::{ir, model};
use autogen_pg::{conn, filter, inspect, shadow};

pub mod check;
pub mod config;
pub mod error;
pub mod migrate;

pub use error::{Error, Result};
