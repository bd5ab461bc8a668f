//! The names a step must use when a table or column is renamed in the same plan.
//!
//! The comparator speaks of every object by the name it has once the up plan's renames are done.
//! Renames run in one phase: a step of the up plan that runs before them (a constraint dropped
//! early) must name the table and columns as they still are, and a step of the down plan that
//! runs after the renames back (a column type restored) must name them as they are again. Both
//! are the names from before the up plan. Nothing else changes: expressions are left as written.

use super::order::{RENAME_PHASE, phase};
use crate::diff::Change;
use autogen_model::ir::{Constraint, Index, IndexKey, QName};
use std::collections::BTreeMap;

/// Current name -> the name before the renames, for tables and for the columns of each table
/// (keyed by the table's current name).
#[derive(Default)]
pub(super) struct Renames {
    tables: BTreeMap<QName, QName>,
    columns: BTreeMap<(QName, String), String>,
}

impl Renames {
    fn table(&self, t: &QName) -> QName {
        self.tables.get(t).cloned().unwrap_or_else(|| t.clone())
    }

    fn column(&self, t: &QName, c: &str) -> String {
        self.columns
            .get(&(t.clone(), c.to_string()))
            .cloned()
            .unwrap_or_else(|| c.to_string())
    }

    fn columns(&self, t: &QName, cols: &mut [String]) {
        for c in cols {
            *c = self.column(t, c);
        }
    }

    fn index(&self, i: &mut Index) {
        for e in &mut i.elements {
            if let IndexKey::Column(c) = &mut e.key {
                *c = self.column(&i.table, c);
            }
        }
        self.columns(&i.table, &mut i.include);
        i.table = self.table(&i.table);
    }

    fn constraint(&self, t: &QName, c: &mut Constraint) {
        match c {
            Constraint::PrimaryKey(p) => self.columns(t, &mut p.columns),
            Constraint::Unique(u) => self.columns(t, &mut u.columns),
            Constraint::Check(_) => {}
            Constraint::Exclusion(x) => {
                for (e, _) in &mut x.elements {
                    if let IndexKey::Column(col) = &mut e.key {
                        *col = self.column(t, col);
                    }
                }
            }
            Constraint::ForeignKey(f) => {
                self.columns(t, &mut f.columns);
                let target = f.ref_table.clone();
                self.columns(&target, &mut f.ref_columns);
                f.ref_table = self.table(&target);
            }
        }
    }

    fn apply(&self, c: &mut Change) {
        use Change::*;
        match c {
            AddColumn { table, column } | DropColumn { table, column } => {
                column.name = self.column(table, &column.name);
                *table = self.table(table);
            }
            AlterColumn {
                table,
                before,
                after,
                ..
            } => {
                before.name = self.column(table, &before.name);
                after.name = self.column(table, &after.name);
                *table = self.table(table);
            }
            AddConstraint { table, constraint } | DropConstraint { table, constraint } => {
                self.constraint(table, constraint);
                *table = self.table(table);
            }
            CreateIndex(i) | DropIndex(i) => self.index(i),
            Trigger(t) => {
                use crate::diff::TriggerChange as T;
                let (on, triggers) = match t {
                    T::Create { on, trigger, .. } | T::Drop { on, trigger, .. } => {
                        (on, vec![trigger])
                    }
                    T::Replace { on, before, after } | T::Alter { on, before, after } => {
                        (on, vec![before, after])
                    }
                };
                if !on.view {
                    for t in triggers {
                        self.columns(&on.relation, &mut t.columns);
                    }
                }
                on.relation = self.table(&on.relation);
            }
            Policy(p) => {
                use crate::diff::PolicyChange as P;
                let (P::Create { table, .. }
                | P::Drop { table, .. }
                | P::Alter { table, .. }
                | P::RowSecurity { table, .. }) = p;
                *table = self.table(table);
            }
            Grant(g) => {
                if let autogen_model::ir::GrantTarget::Table(q) = &mut g.on {
                    for columns in [&mut g.columns, &mut g.new_columns] {
                        *columns = std::mem::take(columns)
                            .into_iter()
                            .map(|(c, roles)| (self.column(q, &c), roles))
                            .collect();
                    }
                    *q = self.table(q);
                }
            }
            SetComment { target, .. } => match target {
                crate::diff::CommentTarget::Table(q) => *q = self.table(q),
                crate::diff::CommentTarget::Column(q, col) => {
                    *col = self.column(q, col);
                    *q = self.table(q);
                }
                _ => {}
            },
            RebuildEnum { usages, .. }
            | RebuildDomain { usages, .. }
            | AddEnumValue { usages, .. } => {
                for u in usages {
                    u.column = self.column(&u.table, &u.column);
                    u.table = self.table(&u.table);
                }
            }
            _ => {}
        }
    }
}

/// The renames of a plan's changes (`down`: of a down plan, whose renames are inverted).
pub(super) fn of(changes: &[Change], down: bool) -> Renames {
    let mut r = Renames::default();
    for c in changes {
        match c {
            // Up: `from` is the old name. Down (inverted): `to` is.
            Change::RenameTable { from, to } => {
                let (current, old) = if down { (from, to) } else { (to, from) };
                r.tables.insert(current.clone(), old.clone());
            }
            Change::RenameColumn { table, from, to } => {
                let (current, old) = if down { (from, to) } else { (to, from) };
                r.columns
                    .insert((table.clone(), current.clone()), old.clone());
            }
            _ => {}
        }
    }
    r
}

impl Renames {
    /// Renames the references of `c` if it does not run where the comparator's names hold: in
    /// an up plan (`down` false) before the renames, in a down plan after them.
    pub(super) fn fix(&self, c: &mut Change, down: bool) {
        if self.tables.is_empty() && self.columns.is_empty() {
            return;
        }
        let p = phase(c);
        let affected = if down {
            p > RENAME_PHASE
        } else {
            p < RENAME_PHASE
        };
        if affected {
            self.apply(c);
        }
    }
}
