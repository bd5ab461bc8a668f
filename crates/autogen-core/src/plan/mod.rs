//! Changes -> an ordered, annotated plan.
//!
//! Input: a `ChangeSet` from `diff`. Output: steps in dependency order, each with typed hazards
//! derived from the change (never from SQL text) and the transaction boundaries the runner must
//! respect. Nothing here produces SQL.

mod hazards;
mod names;
mod order;

pub use hazards::{Hazard, online_not_null};

use crate::diff::{Change, invert};
use autogen_model::ir::{Constraint, QName};

/// How steps are planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    /// Build indexes and validate constraints on tables that already exist without blocking
    /// their readers and writers (CONCURRENTLY, NOT VALID + VALIDATE), at the cost of steps that
    /// run outside one transaction.
    pub online: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions { online: true }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub change: Change,
    pub hazards: Vec<Hazard>,
    /// The runner must commit what came before this step and start a new transaction here.
    pub commit_before: bool,
    /// Rendered in its lock-friendly form: CREATE INDEX CONCURRENTLY, or a constraint added NOT
    /// VALID and validated in a transaction of its own (see `render`).
    pub online: bool,
}

impl Step {
    /// Postgres refuses the step inside a transaction block (CREATE INDEX CONCURRENTLY): it runs
    /// on its own, after what came before it is committed.
    pub fn outside_transaction(&self) -> bool {
        self.online && matches!(self.change, Change::CreateIndex(_))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub steps: Vec<Step>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The steps grouped into transactions by their enum-value commits, in order. Online steps
    /// need more boundaries than these: running such a plan goes through its rendered script.
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

/// Orders `changes` for execution, online where a table already exists.
pub fn plan(changes: Vec<Change>) -> Plan {
    plan_with(changes, PlanOptions::default())
}

/// Orders `changes` for execution.
pub fn plan_with(changes: Vec<Change>, opts: PlanOptions) -> Plan {
    build(changes, &[], opts, false)
}

/// The plan that undoes `up`: its inverted changes, with a note on each step that cannot bring
/// back the data its counterpart removed.
pub fn plan_down(up: &[Change]) -> Plan {
    plan_down_with(up, PlanOptions::default())
}

/// [`plan_down`] with options.
pub fn plan_down_with(up: &[Change], opts: PlanOptions) -> Plan {
    let lossy: Vec<Change> = up
        .iter()
        .filter(|c| c.loses_data())
        .flat_map(|c| invert(std::slice::from_ref(c)))
        .collect();
    build(invert(up), &lossy, opts, true)
}

/// The table a change creates something on: for changes that have a lock-friendly form, and
/// for those whose hazards a table created by the same plan does not have.
fn target_table(c: &Change) -> Option<&QName> {
    match c {
        Change::AddColumn { table, .. }
        | Change::AlterColumn { table, .. }
        | Change::AddConstraint { table, .. } => Some(table),
        Change::CreateIndex(i) => Some(&i.table),
        Change::Trigger(t) => Some(&t.on().relation),
        Change::Policy(p) => Some(p.table()),
        Change::Grant(g) => g.on.relation(),
        _ => None,
    }
}

/// Whether the change has a lock-friendly form (on a table that already exists).
fn has_online_form(c: &Change) -> bool {
    match c {
        Change::CreateIndex(_) => true,
        Change::AddConstraint { constraint, .. } => {
            matches!(constraint, Constraint::Check(_) | Constraint::ForeignKey(_))
        }
        Change::AlterColumn { before, after, .. } => online_not_null(before, after),
        _ => false,
    }
}

fn build(mut changes: Vec<Change>, not_restored: &[Change], opts: PlanOptions, down: bool) -> Plan {
    // Names as they are when each step runs, around the renames of the same plan.
    let renames = names::of(&changes, down);
    for c in &mut changes {
        renames.fix(c, down);
    }
    let not_restored: Vec<Change> = not_restored
        .iter()
        .cloned()
        .map(|mut c| {
            renames.fix(&mut c, down);
            c
        })
        .collect();
    let created: Vec<QName> = changes
        .iter()
        .filter_map(|c| match c {
            Change::CreateTable(t) => Some(t.name.clone()),
            _ => None,
        })
        .collect();
    // A trigger or policy dropped with its table (so that the down plan brings it back) locks
    // nothing and exposes no row the DROP TABLE does not.
    let dropped: Vec<QName> = changes
        .iter()
        .filter_map(|c| match c {
            Change::DropTable(t) => Some(t.name.clone()),
            _ => None,
        })
        .collect();
    let ordered = order::order(changes);
    let mut steps: Vec<Step> = ordered
        .into_iter()
        .map(|change| {
            // A table created by this same plan is empty and unused: nothing on it can fail,
            // wait or block anyone, so it needs neither hazards nor the online form.
            let new_table = target_table(&change).is_some_and(|t| created.contains(t));
            let with_table = matches!(
                change,
                Change::Trigger(_) | Change::Policy(_) | Change::Grant(_)
            ) && target_table(&change).is_some_and(|t| dropped.contains(t));
            let online = opts.online && !new_table && has_online_form(&change);
            let mut hazards = if new_table || with_table {
                Vec::new()
            } else {
                hazards::hazards(&change, online)
            };
            if not_restored.contains(&change) {
                hazards.push(Hazard::NotRestored);
            }
            Step {
                change,
                hazards,
                commit_before: false,
                online,
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
