//! Views and materialized views: created, dropped, replaced in place where Postgres allows it,
//! and dropped and re-created around the changes Postgres refuses under them.
//!
//! Input: both schemas and the changes the other kinds produced. Output: `Change::View` steps in
//! an order that is already right for their phase (see `plan::order`): creations with what they
//! read first, drops with their readers first. Inverting the list reverses it, which keeps both
//! orders right for the down plan.

use super::change::{Change, ViewChange};
use autogen_model::ir::{ObjectId, ObjectKind, QName, Schema, View};
use std::collections::{BTreeMap, BTreeSet};

/// What changes do that Postgres refuses while a view reads it (`cannot alter type of a column
/// used by a view or rule`): columns whose type changes or that go, relations that go, types
/// rebuilt or dropped, functions dropped.
#[derive(Default)]
pub struct Blocked {
    pub columns: BTreeSet<(QName, String)>,
    pub relations: BTreeSet<QName>,
    pub types: BTreeSet<QName>,
    /// Functions dropped (to go, or to come back changed), by name and signature.
    pub functions: BTreeSet<(QName, String)>,
}

impl Blocked {
    pub fn of(changes: &[Change]) -> Blocked {
        let mut b = Blocked::default();
        for c in changes {
            match c {
                Change::AlterColumn {
                    table,
                    before,
                    after,
                    ..
                } if before.ty != after.ty
                    || before.collation != after.collation
                    || before.generated != after.generated =>
                {
                    b.columns.insert((table.clone(), before.name.clone()));
                }
                Change::DropColumn { table, column } => {
                    b.columns.insert((table.clone(), column.name.clone()));
                }
                Change::DropTable(t) => {
                    b.relations.insert(t.name.clone());
                }
                Change::RebuildEnum { before, usages, .. } => {
                    b.types.insert(before.name.clone());
                    b.columns
                        .extend(usages.iter().map(|u| (u.table.clone(), u.column.clone())));
                }
                Change::RebuildDomain { before, usages, .. } => {
                    b.types.insert(before.name.clone());
                    b.columns
                        .extend(usages.iter().map(|u| (u.table.clone(), u.column.clone())));
                }
                Change::DropEnum(e) => {
                    b.types.insert(e.name.clone());
                }
                Change::DropDomain(d) => {
                    b.types.insert(d.name.clone());
                }
                Change::Function(crate::diff::FunctionChange::Drop(f, _)) => {
                    b.functions.insert(f.key());
                }
                _ => {}
            }
        }
        b
    }

    fn blocks(&self, dep: &ObjectId) -> bool {
        match dep.kind {
            ObjectKind::Enum | ObjectKind::Domain | ObjectKind::Type => {
                self.types.contains(&dep.name)
            }
            ObjectKind::Function => self
                .functions
                .contains(&(dep.name.clone(), dep.column.clone().unwrap_or_default())),
            _ => {
                self.relations.contains(&dep.name)
                    || dep
                        .column
                        .as_ref()
                        .is_some_and(|c| self.columns.contains(&(dep.name.clone(), c.clone())))
            }
        }
    }
}

/// Whether `after` differs from `before` only in what changes without touching the query: a
/// comment, or a materialized view's storage options, indexes and populated state.
fn in_place(before: &View, after: &View) -> bool {
    before.query == after.query
        && before.same_column_names(after)
        && before.materialized == after.materialized
        && (before.materialized || before.options == after.options)
}

/// Whether `after` can replace `before` with `CREATE OR REPLACE VIEW`: Postgres keeps a view's
/// existing columns (same names, same types, same order) and allows new ones only at the end.
fn replaceable(before: &View, after: &View) -> bool {
    !before.materialized
        && !after.materialized
        && after.columns.len() >= before.columns.len()
        && after.columns[..before.columns.len()] == before.columns[..]
}

pub(super) fn diff_views(from: &Schema, to: &Schema, out: &mut Vec<Change>) {
    let blocked = Blocked::of(out);
    // Views of `from` that must go before the other changes run: their readers go too, since
    // Postgres refuses to drop a view another one reads.
    let mut recreate: BTreeSet<QName> = from
        .views
        .values()
        .filter(|v| v.depends_on.iter().any(|d| blocked.blocks(d)))
        .map(|v| v.name.clone())
        .collect();
    let mut replaced = Vec::new();
    for (name, v) in &to.views {
        let Some(old) = from.views.get(name) else {
            continue;
        };
        if recreate.contains(name) || old.same(v) {
            continue;
        }
        if in_place(old, v) {
            continue;
        }
        if replaceable(old, v) {
            // Its undo removes the new columns, which only a drop and create can do: the
            // views that read it must then be out of the way too.
            if v.columns.len() > old.columns.len() {
                replaced.push(name.clone());
            }
        } else {
            recreate.insert(name.clone());
        }
    }
    close_over_readers(&from.views, &mut recreate, &replaced);

    let mut drops = Vec::new();
    let mut creates = Vec::new();
    for (name, old) in &from.views {
        match to.views.get(name) {
            None => drops.push(old.clone()),
            Some(v) if recreate.contains(name) => {
                drops.push(old.clone());
                // Its grants come back with `diff::grants`.
                creates.push(v.clone());
            }
            Some(_) => {}
        }
    }
    let mut alters = Vec::new();
    for (name, v) in &to.views {
        match from.views.get(name) {
            None => creates.push(v.clone()),
            Some(_) if recreate.contains(name) => {}
            Some(old) if old.same(v) => {}
            Some(old) => {
                alters.push(if in_place(old, v) {
                    ViewChange::Alter {
                        before: old.clone(),
                        after: v.clone(),
                    }
                } else {
                    ViewChange::Replace {
                        before: old.clone(),
                        after: v.clone(),
                    }
                });
            }
        }
    }
    // Readers first when dropping; what is read first when creating.
    let mut drops = readers_last(drops);
    drops.reverse();
    out.extend(drops.into_iter().map(|v| Change::View(ViewChange::Drop(v))));
    let creates = readers_last(creates);
    let mut all: Vec<ViewChange> = creates.into_iter().map(ViewChange::Create).collect();
    all.extend(alters);
    // Replacements and creations are interleaved so each comes after what it reads.
    let order = readers_last(all.iter().map(|c| c.after().clone()).collect());
    let position: BTreeMap<QName, usize> = order
        .iter()
        .enumerate()
        .map(|(i, v)| (v.name.clone(), i))
        .collect();
    all.sort_by_key(|c| position.get(&c.after().name).copied().unwrap_or(usize::MAX));
    out.extend(all.into_iter().map(Change::View));
}

/// Adds to `set` every view of `views` that reads one in `set` or in `also`, transitively.
fn close_over_readers(views: &BTreeMap<QName, View>, set: &mut BTreeSet<QName>, also: &[QName]) {
    let mut frontier: Vec<QName> = set.iter().chain(also).cloned().collect();
    while let Some(n) = frontier.pop() {
        for v in views.values() {
            if v.reads_relation(&n) && set.insert(v.name.clone()) {
                frontier.push(v.name.clone());
            }
        }
    }
}

/// The views, each after the ones among them it reads; ties by name.
fn readers_last(views: Vec<View>) -> Vec<View> {
    let names: BTreeSet<QName> = views.iter().map(|v| v.name.clone()).collect();
    let mut pending: BTreeMap<QName, (View, BTreeSet<QName>)> = views
        .into_iter()
        .map(|v| {
            let deps: BTreeSet<QName> = v.reads_among(names.iter()).into_iter().cloned().collect();
            (v.name.clone(), (v, deps))
        })
        .collect();
    let mut out = Vec::new();
    while !pending.is_empty() {
        // Postgres cannot store views that read each other; a cycle here comes from a model
        // whose view words merely look alike, and name order is as good as any.
        let next = pending
            .iter()
            .find(|(_, (_, d))| d.is_empty())
            .map(|(n, _)| n.clone())
            .or_else(|| pending.keys().next().cloned());
        let Some(next) = next else { break };
        if let Some((v, _)) = pending.remove(&next) {
            out.push(v);
        }
        for (_, d) in pending.values_mut() {
            d.remove(&next);
        }
    }
    out
}
