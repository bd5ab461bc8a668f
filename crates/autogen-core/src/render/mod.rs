//! The only producer of SQL text.
//!
//! Input: a `Plan`. Output: statements per step and the script a reviewer reads: one statement
//! per change, each preceded by a comment naming it and its hazards. Every identifier goes
//! through `ir::quote`; model expressions are inserted only as validated single expressions.

mod ddl;
mod domain;
mod function;
mod grant;
mod objects;
mod policy;
mod trigger;
mod view;

pub use ddl::{describe, online_phases, statements};
pub use grant::delta as privilege_delta;

use crate::plan::{Plan, Step};
use autogen_model::ir::quote;

/// Options that change the SQL of some steps.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// The zone `timestamp` values are taken to be in when converted to or from `timestamptz`.
    pub time_zone: String,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            time_zone: "UTC".into(),
        }
    }
}

/// Marks where the runner must commit and start a new transaction.
pub const COMMIT_MARKER: &str = "-- autogen:commit";

/// A step's statements in the transactions they need: one group unless the step is online.
pub fn step_phases(step: &Step, opts: &RenderOptions) -> Vec<Vec<String>> {
    if step.online {
        online_phases(&step.change, opts)
    } else {
        vec![statements(&step.change, opts)]
    }
}

/// Statements that run together: in one transaction, or (`transactional: false`) one statement
/// that Postgres refuses inside a transaction block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub transactional: bool,
    pub statements: Vec<String>,
}

/// The plan's statements in the units the runner executes, from the plan's own boundaries (its
/// commits, online phases and steps that run outside a transaction): the same units the
/// migration-file lexer finds in [`script`]'s text, without writing and reading that text.
pub fn batches(plan: &Plan, opts: &RenderOptions) -> Vec<Batch> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    let flush = |out: &mut Vec<Batch>, current: &mut Vec<String>| {
        if !current.is_empty() {
            out.push(Batch {
                transactional: true,
                statements: std::mem::take(current),
            });
        }
    };
    for step in &plan.steps {
        if step.commit_before || step.outside_transaction() {
            flush(&mut out, &mut current);
        }
        for (k, phase) in step_phases(step, opts).into_iter().enumerate() {
            if k > 0 {
                flush(&mut out, &mut current);
            }
            if step.outside_transaction() {
                out.extend(phase.into_iter().map(|sql| Batch {
                    transactional: false,
                    statements: vec![sql],
                }));
            } else {
                current.extend(phase);
            }
        }
    }
    flush(&mut out, &mut current);
    out
}

/// The reviewable script for a plan.
pub fn script(plan: &Plan, opts: &RenderOptions) -> String {
    let mut out = String::new();
    for (i, step) in plan.steps.iter().enumerate() {
        if step.commit_before {
            out.push_str(COMMIT_MARKER);
            out.push_str(
                " -- the enum values added above must be committed before they can be used\n\n",
            );
        }
        let step_name = describe(&step.change);
        out.push_str(&format!(
            "-- {}. {}\n",
            i + 1,
            quote::comment_text(&step_name)
        ));
        for h in &step.hazards {
            out.push_str(&format!(
                "-- hazard: {}\n",
                quote::comment_text(&h.to_string())
            ));
        }
        for (k, phase) in step_phases(step, opts).iter().enumerate() {
            if k > 0 {
                out.push_str(COMMIT_MARKER);
                out.push_str(" -- in a transaction of its own, after the lock above is released\n");
            }
            for s in phase {
                out.push_str(s);
                out.push_str(";\n");
            }
        }
        out.push('\n');
    }
    out
}
