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

// The IR is the model crate's; these names let the stages say `crate::ir` as they always have.
use autogen_model::ir;

pub mod diff;
pub mod plan;
pub mod render;
