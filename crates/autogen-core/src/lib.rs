//! autogen-core: the comparator, the planner and the renderer.
//!
//! ```text
//!  ir::Schema, ir::Schema ─> diff ─> Vec<Change> ─> plan ─> Plan (steps, typed hazards,
//!                                                            transaction boundaries)
//!                                                     └──> render ─> SQL text, batches
//! ```
//!
//! Pure functions of the IR: nothing here reads a file, opens a connection, reads the
//! environment or prints, so every stage is unit-tested without Postgres. `diff` knows nothing
//! of plans, `plan` nothing of SQL text, and `render` is the only producer of SQL.

pub mod diff;
pub mod plan;
pub mod render;
