//! autogen keeps PostgreSQL schemas in step with declared models.
//!
//! The pipeline — every stage talks to the next only through the IR:
//!
//! ```text
//!  YAML model ─┐                                   ┌─> render ─> up.sql / down.sql
//!  Rust model ─┤                                   │
//!  live DB ────┼─> ir::Schema ─> diff ─> plan ─────┤
//!  (shadow) ───┘              (Change)  (Plan)     └─> apply
//! ```
//!
//! - [`model::load_path`], [`Model::build`] (Rust structs with `#[derive(Table)]`) and
//!   [`inspect::inspect`] build an [`ir::Schema`];
//!   [`shadow::normalize`] passes a model through a scratch database so its expressions read as
//!   Postgres stores them.
//! - [`diff::diff`] compares two schemas; [`diff::invert`] undoes a change set.
//! - [`plan::plan`] / [`plan::plan_down`] order changes and attach hazards.
//! - [`render::script`] is the only producer of SQL; [`apply::apply_plan`] runs a plan.

pub mod apply;
pub mod check;
pub mod cli;
pub mod config;
pub mod conn;
pub mod diff;
pub mod error;
pub mod filter;
pub mod inspect;
pub mod ir;
pub mod migrate;
pub mod model;
pub mod plan;
pub mod render;
pub mod shadow;

pub use autogen_derive::{PgEnum, Table};
pub use error::{Error, Result};
pub use model::rust::{Model, PgEnum, SqlType, Table};
