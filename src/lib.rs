//! autogen keeps PostgreSQL schemas in step with declared models.
//!
//! The pipeline, one crate per stage (each may use only the crates before it):
//!
//! ```text
//!  YAML model ─┐                                     ┌─> render ─> up.sql / down.sql
//!  Rust model ─┤  autogen-model        autogen-core  │
//!  live DB ────┼─> ir::Schema ─> diff ─> plan ───────┤
//!  (shadow) ───┘  (autogen-pg)                       └─> apply (autogen-pg)
//!                        migration files, history, runner, check: autogen-migrate
//! ```
//!
//! This crate is the command-line tool: [`cli`] parses arguments, prints and chooses exit codes,
//! and is the only place that writes to the terminal. It re-exports the library crates' modules
//! under one roof for programs that embed the whole of autogen; a Rust service that only
//! declares tables depends on `autogen-model` instead.

pub use autogen_core::{diff, plan, render};
pub use autogen_migrate::{Error, Result, cases, check, config, error, migrate};
pub use autogen_model::{ir, model};
pub use autogen_pg::{apply, conn, filter, inspect, shadow};

pub mod cli;
