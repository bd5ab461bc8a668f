//! The use cases, built on the migration files, the history table and the runner (`migrate`):
//! writing a revision (and rebuilding a lost one), choosing what `upgrade` and `downgrade` run
//! and what must be refused first (data loss nobody accepted, services whose dependencies are
//! missing), `reset` of a disposable database, `health`, and loading one side of a comparison.
//!
//! Input: a project, its migration streams and, where a case needs one, a connection. Output:
//! files to write, migrations to run, reports and errors; nothing here prints.

pub mod compare;
pub mod dependents;
pub mod destructive;
pub mod health;
pub mod rebuild;
pub mod reset;
mod revision;
pub mod select;
pub(crate) mod views;

pub use revision::{Revision, RevisionOptions, Written, revision, write as write_revisions};
