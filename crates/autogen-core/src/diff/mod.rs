//! The comparator: two `ir::Schema`s -> the `Change`s that turn the first into the second.
//!
//! Input: `from` and `to` (rename hints are read from `to`). Output: changes in a deterministic
//! order; `plan` orders them for execution. Values are compared with `==` on normalized IR, never
//! as SQL text. Nothing here produces SQL or touches a connection.

mod change;
mod domains;
mod enums;
mod functions;
mod grants;
mod policies;
mod renames;
mod tables;
mod triggers;
mod views;

pub use change::{
    Change, CommentTarget, EnumPosition, FunctionChange, FunctionUse, GrantChange, GrantStep,
    PolicyChange, TriggerChange, TriggerOn, TypeUsage, ViewChange,
};
pub use grants::lost as privileges_lost;
pub use views::Blocked;

use autogen_model::ir::Schema;

/// The changes that turn `from` into `to`.
pub fn diff(from: &Schema, to: &Schema) -> Vec<Change> {
    let mut out = Vec::new();
    // Renames first: afterwards `from` speaks of objects by their new names, and everything else
    // is a plain comparison by name.
    let from = renames::apply(from, to, &mut out);
    for (name, ns) in &to.schemas {
        match from.schemas.get(name) {
            None => out.push(Change::CreateSchema(ns.clone())),
            Some(old) if old.comment != ns.comment => out.push(Change::SetComment {
                target: CommentTarget::Schema(name.clone()),
                before: old.comment.clone(),
                after: ns.comment.clone(),
            }),
            Some(_) => {}
        }
    }
    for (name, ns) in &from.schemas {
        if !to.schemas.contains_key(name) {
            out.push(Change::DropSchema(ns.clone()));
        }
    }
    for (name, e) in &to.extensions {
        match from.extensions.get(name) {
            None => out.push(Change::CreateExtension(e.clone())),
            Some(old) if old != e => out.push(Change::AlterExtensionSchema {
                before: old.clone(),
                after: e.clone(),
            }),
            Some(_) => {}
        }
    }
    for (name, e) in &from.extensions {
        if !to.extensions.contains_key(name) {
            out.push(Change::DropExtension(e.clone()));
        }
    }
    let mut from = from;
    enums::diff_enums(&mut from, to, &mut out);
    domains::diff_domains(&mut from, to, &mut out);
    tables::diff_sequences(&from, to, &mut out);
    let rebuilt: Vec<(autogen_model::ir::QName, String)> = out
        .iter()
        .filter_map(|c| match c {
            Change::RebuildEnum { usages, .. } | Change::RebuildDomain { usages, .. } => {
                Some(usages)
            }
            _ => None,
        })
        .flatten()
        .map(|u| (u.table.clone(), u.column.clone()))
        .collect();
    tables::diff_tables(&from, to, &rebuilt, &mut out);
    functions::diff_functions(&from, to, &mut out);
    views::diff_views(&from, to, &mut out);
    triggers::diff_triggers(&from, to, &mut out);
    policies::diff_policies(&from, to, &mut out);
    grants::diff_grants(&from, to, &mut out);
    out
}

/// The changes that undo `changes`, in reverse order.
pub fn invert(changes: &[Change]) -> Vec<Change> {
    let mut out = Vec::new();
    let mut done_enums = std::collections::BTreeSet::new();
    for c in changes.iter().rev() {
        match c {
            Change::AddEnumValue {
                name,
                from_values,
                to_values,
                usages,
                comment,
                grants,
                ..
            } => {
                if done_enums.insert(name.clone()) {
                    let inv: Vec<_> = usages.iter().map(TypeUsage::inverted).collect();
                    let undo = enums::values_changes(
                        name,
                        to_values,
                        from_values,
                        &Default::default(),
                        &inv,
                        comment,
                        grants,
                    );
                    // Taking a value away rebuilds the type: its grants come back.
                    let rebuilt = undo.iter().any(|c| matches!(c, Change::RebuildEnum { .. }));
                    out.extend(undo);
                    if rebuilt {
                        out.extend(
                            GrantChange::regrant(
                                autogen_model::ir::GrantTarget::Enum(name.clone()),
                                grants,
                            )
                            .map(Change::Grant),
                        );
                    }
                }
            }
            Change::RebuildEnum {
                before,
                after,
                usages,
                ..
            } => {
                let inv: Vec<_> = usages.iter().map(TypeUsage::inverted).collect();
                out.extend(enums::values_changes(
                    &before.name,
                    &after.values,
                    &before.values,
                    &Default::default(),
                    &inv,
                    &before.comment,
                    &before.grants,
                ));
            }
            other => out.extend(other.invert()),
        }
    }
    out
}
