//! Execution order. Changes fall into phases (drops of dependents before what they depend on,
//! creations after); within a phase the comparator's deterministic order is kept, except that new
//! tables are sorted so a table comes after the tables it references, and dropped tables the
//! other way round. Foreign keys that would point at a table not yet created (a cycle, or a table
//! whose keys change in this plan) are split out of CREATE TABLE into ADD CONSTRAINT steps.

use crate::diff::Change;
use autogen_model::ir::{Constraint, QName, Table};
use std::collections::{BTreeMap, BTreeSet};

/// The phase of the renames (tables, columns, constraints, indexes).
pub(super) const RENAME_PHASE: u16 = 60;

pub(super) fn phase(c: &Change) -> u16 {
    use Change::*;
    match c {
        // Views go before anything they read is changed or dropped, and come back once it all
        // exists (the views module has ordered them among themselves).
        View(crate::diff::ViewChange::Drop(_)) => 40,
        View(_) => 130,
        Function(f) => function_phase(f),
        // Triggers go before anything they stand on (their relation, function, columns, the
        // views they are on) changes or goes, and come back once it all exists.
        Trigger(crate::diff::TriggerChange::Drop { .. }) => 38,
        Trigger(_) => 137,
        // Policies likewise; row-level security is switched on once the table's policies
        // exist, and off before they go, so no step closes a table to every role.
        Policy(p) => policy_phase(p),
        // Once every object they are on exists again; a table's own before its columns', as
        // the comparator orders them.
        Grant(_) => 139,
        CreateSchema(_) => 0,
        CreateExtension(_) | AlterExtensionSchema { .. } => 10,
        RenameEnum { .. }
        | CreateEnum(_)
        | RenameEnumValue { .. }
        | AddEnumValue { .. }
        | CreateDomain(_) => 20,
        CreateSequence(_) => 30,
        AlterSequence { before, after }
            if before.owned_by.is_some() && after.owned_by.is_none() =>
        {
            40
        }
        AlterSequence { before, after } if before.owned_by != after.owned_by => 130,
        AlterSequence { .. } => 30,
        DropConstraint {
            constraint: Constraint::ForeignKey(_),
            ..
        } => 40,
        DropConstraint { .. } | DropIndex(_) => 50,
        RenameTable { .. } | RenameColumn { .. } | RenameConstraint { .. } | RenameIndex { .. } => {
            RENAME_PHASE
        }
        DropColumn { .. } => 70,
        DropTable(_) => 80,
        RebuildEnum { .. } | RebuildDomain { .. } => 90,
        CreateTable(_) => 100,
        // A default that only goes, goes early: before a function it calls is dropped.
        AlterColumn { before, after, .. }
            if before.default.is_some()
                && *after
                    == (autogen_model::ir::Column {
                        default: None,
                        ..before.clone()
                    }) =>
        {
            52
        }
        AddColumn { .. } | AlterColumn { .. } | AlterDomain { .. } => 110,
        AddConstraint {
            constraint: Constraint::ForeignKey(_),
            ..
        } => 130,
        AddConstraint { .. } | CreateIndex(_) => 120,
        SetComment { .. } => 140,
        DropSequence(_) | DropDomain(_) => 150,
        DropEnum(_) => 160,
        DropExtension(_) => 170,
        DropSchema(_) => 180,
    }
}

fn policy_phase(p: &crate::diff::PolicyChange) -> u16 {
    use crate::diff::PolicyChange::*;
    match p {
        Drop { .. } => 38,
        Create { .. } | Alter { .. } => 137,
        RowSecurity { before, after, .. }
            if (after.enabled && !before.enabled) || (after.forced && !before.forced) =>
        {
            138
        }
        RowSecurity { .. } => 37,
    }
}

/// A function called by a table's expressions exists before the tables and goes after them;
/// one whose signature or SQL-standard body uses a relation goes before the relations go; one
/// whose SQL body reads a view comes after the views; the rest come once the tables and their
/// columns exist (a SQL body is checked against them when it is created) and before what may
/// call them (constraints, indexes, views) is created. One dropped to be created again goes
/// once the views, CHECKs and indexes that call it are gone; if tables call it, it comes back
/// after the types rebuilt under it and before the new tables.
fn function_phase(c: &crate::diff::FunctionChange) -> u16 {
    use crate::diff::FunctionChange::*;
    match c {
        Drop(_, u) if u.recreate => 55,
        Create(_, u) if u.by_tables && u.recreate => 95,
        Create(_, u) if u.by_tables => 46,
        Drop(f, u) if f.uses_relations() && !u.by_tables => 75,
        Drop(..) => 145,
        Create(_, u) | Replace { uses: u, .. } if u.reads_views => 135,
        Create(..) | Replace { .. } => 115,
        Comment { .. } => 140,
    }
}

pub(super) fn order(changes: Vec<Change>) -> Vec<Change> {
    let touched: BTreeSet<QName> = changes
        .iter()
        .filter_map(|c| match c {
            Change::AddConstraint { table, .. }
            | Change::DropConstraint { table, .. }
            | Change::RenameConstraint { table, .. }
            | Change::AlterColumn { table, .. }
            | Change::RenameColumn { table, .. } => Some(table.clone()),
            Change::RenameTable { to, .. } => Some(to.clone()),
            _ => None,
        })
        .collect();
    let mut created = Vec::new();
    let mut dropped = Vec::new();
    let mut rest = Vec::new();
    for c in changes {
        match c {
            Change::CreateTable(t) => created.push(t),
            Change::DropTable(t) => dropped.push(t),
            other => rest.push(other),
        }
    }
    let (created, split_fks) = order_created(created, &touched);
    rest.extend(split_fks);
    let (dropped, dropped_fks) = order_dropped(dropped);
    rest.extend(dropped_fks);
    rest.extend(created.into_iter().map(Change::CreateTable));
    rest.extend(dropped.into_iter().map(Change::DropTable));
    // A stable sort keeps the order each phase was given in.
    rest.sort_by_key(phase);
    rest
}

/// New tables, each after the new tables it references (ties by name). Returns the tables with
/// the foreign keys that must be added afterwards removed, and those foreign keys.
fn order_created(tables: Vec<Table>, touched: &BTreeSet<QName>) -> (Vec<Table>, Vec<Change>) {
    let names: BTreeSet<QName> = tables.iter().map(|t| t.name.clone()).collect();
    let deps = |t: &Table| -> BTreeSet<QName> {
        t.foreign_keys
            .values()
            .map(|f| f.ref_table.clone())
            .filter(|r| names.contains(r) && r != &t.name)
            .collect()
    };
    let order = topo(tables.iter().map(|t| (t.name.clone(), deps(t))).collect());
    let mut by_name: BTreeMap<QName, Table> =
        tables.into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    let mut split = Vec::new();
    for name in order {
        let Some(mut t) = by_name.remove(&name) else {
            continue;
        };
        let fks = std::mem::take(&mut t.foreign_keys);
        for (fname, fk) in fks {
            let inline = fk.ref_table == t.name
                || done.contains(&fk.ref_table)
                || (!names.contains(&fk.ref_table) && !touched.contains(&fk.ref_table));
            if inline {
                t.foreign_keys.insert(fname, fk);
            } else {
                split.push(Change::AddConstraint {
                    table: t.name.clone(),
                    constraint: Constraint::ForeignKey(fk),
                });
            }
        }
        done.insert(name);
        out.push(t);
    }
    (out, split)
}

/// Dropped tables, referencing tables first. Foreign keys between dropped tables that form a
/// cycle are dropped beforehand.
fn order_dropped(tables: Vec<Table>) -> (Vec<Table>, Vec<Change>) {
    let names: BTreeSet<QName> = tables.iter().map(|t| t.name.clone()).collect();
    let deps = |t: &Table| -> BTreeSet<QName> {
        t.foreign_keys
            .values()
            .map(|f| f.ref_table.clone())
            .filter(|r| names.contains(r) && r != &t.name)
            .collect()
    };
    let mut order = topo(tables.iter().map(|t| (t.name.clone(), deps(t))).collect());
    order.reverse();
    let position: BTreeMap<&QName, usize> = order.iter().enumerate().map(|(i, n)| (n, i)).collect();
    let mut pre = Vec::new();
    for t in &tables {
        for fk in t.foreign_keys.values() {
            // A table dropped before the one that references it would fail.
            let (Some(me), Some(target)) = (position.get(&t.name), position.get(&fk.ref_table))
            else {
                continue;
            };
            if target < me {
                pre.push(Change::DropConstraint {
                    table: t.name.clone(),
                    constraint: Constraint::ForeignKey(fk.clone()),
                });
            }
        }
    }
    let mut by_name: BTreeMap<QName, Table> =
        tables.into_iter().map(|t| (t.name.clone(), t)).collect();
    (
        order.iter().filter_map(|n| by_name.remove(n)).collect(),
        pre,
    )
}

/// Kahn's algorithm with ties broken by name; nodes left in a cycle follow in name order.
fn topo(nodes: BTreeMap<QName, BTreeSet<QName>>) -> Vec<QName> {
    let mut remaining = nodes;
    let mut out = Vec::new();
    loop {
        let ready: Option<QName> = remaining
            .iter()
            .find(|(_, d)| d.is_empty())
            .map(|(n, _)| n.clone());
        let next = match ready {
            Some(n) => n,
            None => match remaining.keys().next() {
                // A cycle: take the first by name; its unmet references become separate steps.
                Some(n) => n.clone(),
                None => break,
            },
        };
        remaining.remove(&next);
        for d in remaining.values_mut() {
            d.remove(&next);
        }
        out.push(next);
    }
    out
}
