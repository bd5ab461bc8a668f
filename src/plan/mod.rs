//! Changes -> an ordered, annotated plan.
//!
//! Input: a `ChangeSet` from `diff`. Output: steps in dependency order, each with typed hazards
//! derived from the change (never from SQL text) and the transaction boundaries the runner must
//! respect. Nothing here produces SQL.

mod hazards;
mod order;

pub use hazards::{Hazard, type_change_is_lossy};

use crate::diff::{Change, invert};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub change: Change,
    pub hazards: Vec<Hazard>,
    /// The runner must commit what came before this step and start a new transaction here.
    pub commit_before: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub steps: Vec<Step>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The steps grouped into the transactions the runner executes, in order.
    pub fn transactions(&self) -> Vec<&[Step]> {
        let mut out = Vec::new();
        let mut start = 0;
        for (i, s) in self.steps.iter().enumerate() {
            if s.commit_before && i > start {
                out.push(&self.steps[start..i]);
                start = i;
            }
        }
        if start < self.steps.len() {
            out.push(&self.steps[start..]);
        }
        out
    }
}

/// Orders `changes` for execution.
pub fn plan(changes: Vec<Change>) -> Plan {
    build(changes, &[])
}

/// The plan that undoes `up`: its inverted changes, with a note on each step that cannot bring
/// back the data its counterpart removed.
pub fn plan_down(up: &[Change]) -> Plan {
    let lossy: Vec<Change> = up
        .iter()
        .filter(|c| c.loses_data())
        .flat_map(|c| invert(std::slice::from_ref(c)))
        .collect();
    build(invert(up), &lossy)
}

fn build(changes: Vec<Change>, not_restored: &[Change]) -> Plan {
    let created: Vec<crate::ir::QName> = changes
        .iter()
        .filter_map(|c| match c {
            Change::CreateTable(t) => Some(t.name.clone()),
            _ => None,
        })
        .collect();
    let ordered = order::order(changes);
    let mut steps: Vec<Step> = ordered
        .into_iter()
        .map(|change| {
            let mut hazards = hazards::hazards(&change);
            // A table created by this same plan is empty: checks on its rows cannot fail.
            if let Change::AddConstraint { table, .. } = &change {
                if created.contains(table) {
                    hazards.clear();
                }
            }
            if not_restored.contains(&change) {
                hazards.push(Hazard::NotRestored);
            }
            Step {
                change,
                hazards,
                commit_before: false,
            }
        })
        .collect();
    // A value added by ALTER TYPE ... ADD VALUE cannot be used until it is committed, so the
    // additions are committed before anything that may use them.
    let last_add = steps
        .iter()
        .rposition(|s| matches!(s.change, Change::AddEnumValue { .. }));
    if let Some(i) = last_add {
        if i + 1 < steps.len() {
            steps[i + 1].commit_before = true;
        }
    }
    Plan { steps }
}
