//! Functions and procedures: created, dropped, replaced in place (`CREATE OR REPLACE`) where
//! Postgres allows it, dropped and created again where it does not (a new result type, a
//! renamed argument, a default taken away).
//!
//! A function whose signature uses a type being rebuilt is dropped and created around the
//! rebuild. The defaults, CHECKs and indexes that call a function dropped to come back are
//! dropped before it and added again after.
//!
//! Input: both schemas and the changes the other kinds produced. Output: `Change::Function` steps, each with how its schema uses it (see
//! [`FunctionUse`]), which `plan::order` turns into its place among the other steps. Views over a
//! function dropped here are dropped and created again around it by `diff::views`.

use super::change::{Change, FunctionChange, FunctionUse};
use autogen_model::ir::{Column, Constraint, Function, IndexKey, ObjectKind, Schema, identifiers};
use std::collections::BTreeSet;

/// The words of every table expression, and the names of the views and tables of a schema,
/// read once.
struct Uses {
    table_words: BTreeSet<String>,
    views: BTreeSet<String>,
    tables: BTreeSet<String>,
}

impl Uses {
    fn of(s: &Schema) -> Uses {
        let table_words = s
            .tables
            .values()
            .flat_map(|t| t.expressions())
            .flat_map(|e| identifiers(e.as_str()))
            .collect();
        Uses {
            table_words,
            views: s.views.keys().map(|q| q.name.clone()).collect(),
            tables: s.tables.keys().map(|q| q.name.clone()).collect(),
        }
    }

    fn of_function(&self, f: &Function) -> FunctionUse {
        // Only a SQL body is read when the function is created; other languages' bodies are
        // read when called.
        let words = if f.language == "sql" {
            identifiers(&f.body)
        } else {
            Vec::new()
        };
        FunctionUse {
            by_tables: self.table_words.contains(&f.name.name),
            reads_views: words.iter().any(|w| self.views.contains(w)),
            reads_tables: words.iter().any(|w| self.tables.contains(w)),
            recreate: false,
        }
    }
}

pub(super) fn diff_functions(from: &Schema, to: &Schema, out: &mut Vec<Change>) {
    if from.functions.is_empty() && to.functions.is_empty() {
        return;
    }
    // A type rebuilt (renamed away, created anew, dropped) cannot go while a function's
    // signature uses it: such a function is dropped before and created after, even unchanged.
    let rebuilt: BTreeSet<autogen_model::ir::QName> = out
        .iter()
        .filter_map(|c| match c {
            Change::RebuildEnum { before, .. } => Some(before.name.clone()),
            Change::RebuildDomain { before, .. } => Some(before.name.clone()),
            _ => None,
        })
        .collect();
    let over_rebuilt = |f: &Function| {
        f.depends_on.iter().any(|d| {
            matches!(d.kind, ObjectKind::Enum | ObjectKind::Domain) && rebuilt.contains(&d.name)
        })
    };
    let (old_uses, new_uses) = (Uses::of(from), Uses::of(to));
    let mut changes = Vec::new();
    let mut push = |c: FunctionChange| changes.push(c);
    for (key, old) in &from.functions {
        if !to.functions.contains_key(key) {
            push(FunctionChange::Drop(old.clone(), old_uses.of_function(old)));
        }
    }
    for (key, f) in &to.functions {
        let uses = new_uses.of_function(f);
        match from.functions.get(key) {
            None => push(FunctionChange::Create(f.clone(), uses)),
            Some(old) if !over_rebuilt(old) && old.same(f) => {}
            Some(old)
                if !over_rebuilt(old)
                    && old.same(&Function {
                        comment: old.comment.clone(),
                        ..f.clone()
                    }) =>
            {
                push(FunctionChange::Comment {
                    before: old.clone(),
                    after: f.clone(),
                })
            }
            Some(old) if !over_rebuilt(old) && old.replaceable_by(f) => {
                push(FunctionChange::Replace {
                    before: old.clone(),
                    after: f.clone(),
                    uses,
                })
            }
            // Not replaceable in place, or in the way of a type's rebuild.
            Some(old) => {
                let again = |u: FunctionUse| FunctionUse {
                    recreate: true,
                    ..u
                };
                push(FunctionChange::Drop(
                    old.clone(),
                    again(old_uses.of_function(old)),
                ));
                push(FunctionChange::Create(f.clone(), again(uses)));
            }
        }
    }
    let recreated: BTreeSet<String> = changes
        .iter()
        .filter_map(|c| match c {
            FunctionChange::Drop(f, u) if u.recreate => Some(f.name.name.clone()),
            _ => None,
        })
        .collect();
    out.extend(callees_first(changes).into_iter().map(Change::Function));
    make_way_in_tables(from, to, &recreated, out);
}

/// The defaults, CHECKs and indexes of tables that stay which call a function dropped to come
/// back: Postgres refuses the `DROP FUNCTION` under them, so they are dropped before and added
/// again after (unless the comparison already changes them). Found by the function's name
/// among their words: more than call it, never fewer.
fn make_way_in_tables(
    from: &Schema,
    to: &Schema,
    recreated: &BTreeSet<String>,
    out: &mut Vec<Change>,
) {
    if recreated.is_empty() {
        return;
    }
    let calls = |e: &autogen_model::ir::Expr| {
        identifiers(e.as_str())
            .iter()
            .any(|w| recreated.contains(w))
    };
    let mut extra = Vec::new();
    for (q, old) in &from.tables {
        let Some(new) = to.tables.get(q) else {
            continue;
        };
        // A default goes early (a default dropped is its own phase) and comes back with the
        // rest of the column's change, if any.
        for oc in old.columns.values() {
            let (Some(d), Some(nc)) = (&oc.default, new.columns.get(&oc.name)) else {
                continue;
            };
            if !calls(d) {
                continue;
            }
            let a = Column {
                comment: None,
                ..oc.clone()
            };
            let bare = Column {
                default: None,
                ..a.clone()
            };
            let existing = out.iter().position(|c| {
                matches!(c, Change::AlterColumn { table, before, .. } if table == q && before.name == oc.name)
            });
            let (after, conversion) = match existing.map(|i| out.remove(i)) {
                Some(Change::AlterColumn {
                    after, conversion, ..
                }) => (after, conversion),
                _ => (
                    Column {
                        comment: None,
                        ..nc.clone()
                    },
                    Default::default(),
                ),
            };
            extra.push(Change::AlterColumn {
                table: q.clone(),
                before: a,
                after: bare.clone(),
                conversion: Default::default(),
            });
            if after != bare {
                extra.push(Change::AlterColumn {
                    table: q.clone(),
                    before: bare,
                    after,
                    conversion,
                });
            }
        }
        for (name, check) in &old.checks {
            let touched = out.iter().any(|c| matches!(c, Change::DropConstraint { table, constraint } if table == q && constraint.name() == name));
            if touched || !calls(&check.expr) {
                continue;
            }
            extra.push(Change::DropConstraint {
                table: q.clone(),
                constraint: Constraint::Check(check.clone()),
            });
            if let Some(again) = new.checks.get(name) {
                extra.push(Change::AddConstraint {
                    table: q.clone(),
                    constraint: Constraint::Check(again.clone()),
                });
            }
        }
        for (name, index) in &old.indexes {
            let touched = out
                .iter()
                .any(|c| matches!(c, Change::DropIndex(i) if &i.table == q && &i.name == name));
            let expressions = index
                .elements
                .iter()
                .filter_map(|e| match &e.key {
                    IndexKey::Expression(x) => Some(x),
                    IndexKey::Column(_) => None,
                })
                .chain(&index.predicate);
            if touched || !expressions.into_iter().any(calls) {
                continue;
            }
            extra.push(Change::DropIndex(index.clone()));
            if let Some(again) = new.indexes.get(name) {
                extra.push(Change::CreateIndex(again.clone()));
            }
        }
    }
    out.extend(extra);
}

/// The changes in their order, except that a function created or replaced comes after the
/// functions created or replaced here whose names its SQL body names: Postgres checks a SQL
/// body when it is created, so what it calls must exist by then. Ties, and cycles (which only
/// words that look alike can make), keep the comparator's order.
fn callees_first(changes: Vec<FunctionChange>) -> Vec<FunctionChange> {
    let made = |c: &FunctionChange| {
        matches!(
            c,
            FunctionChange::Create(..) | FunctionChange::Replace { .. }
        )
    };
    let names: BTreeSet<String> = changes
        .iter()
        .filter(|c| made(c))
        .map(|c| c.after().name.name.clone())
        .collect();
    let mut pending: Vec<(FunctionChange, BTreeSet<String>)> = changes
        .into_iter()
        .map(|c| {
            let f = c.after();
            let calls: BTreeSet<String> = if made(&c) && f.language == "sql" {
                identifiers(&f.body)
                    .into_iter()
                    .filter(|w| names.contains(w) && *w != f.name.name)
                    .collect()
            } else {
                BTreeSet::new()
            };
            (c, calls)
        })
        .collect();
    let mut out = Vec::new();
    while !pending.is_empty() {
        let waiting: BTreeSet<String> = pending
            .iter()
            .filter(|(c, _)| made(c))
            .map(|(c, _)| c.after().name.name.clone())
            .collect();
        let next = pending
            .iter()
            .position(|(_, calls)| calls.iter().all(|n| !waiting.contains(n)))
            .unwrap_or(0);
        out.push(pending.remove(next).0);
    }
    out
}
