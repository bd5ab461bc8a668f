//! autogen-model: the schema IR and the loaders that build it from what a service declares.
//!
//! Owns [`ir`] (the one schema representation every stage of autogen talks through, with how
//! names and types are spelled in SQL and how a column type converts), [`model`] (YAML model
//! files, SQL model files, the interchange format, snapshots, and the runtime of
//! `#[derive(Table)]` / `#[derive(PgEnum)]`), [`sqltext`] (SQL text split into statements),
//! and their [`Error`].
//!
//! This is the crate a Rust service depends on to declare its tables. It must not talk to a
//! database, and depends on nothing but serde, the YAML parser and the derive: no Postgres
//! driver, no TLS, no command-line parser. It reads model files and prints nothing, except
//! [`Model::export`], the whole of a service's export program, which writes the model to
//! standard output for the CLI to read.

pub mod error;
pub mod ir;
pub mod model;
pub mod sqltext;

pub use autogen_derive::{PgEnum, Table};
pub use error::{Error, ModelError, Result};
pub use model::rust::{Model, PgEnum, SqlType, Table};
