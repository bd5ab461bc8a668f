//! Enum lifecycle: values added in place (with their position), renamed, or — when values are
//! removed or reordered, which Postgres cannot do in place — the type rebuilt.

use super::change::{Change, CommentTarget, EnumPosition, TypeUsage};
use autogen_model::ir::{Acl, BaseType, Enum, QName, Schema};
use std::borrow::Cow;
use std::collections::BTreeMap;

pub(super) fn diff_enums(from: &mut Cow<'_, Schema>, to: &Schema, out: &mut Vec<Change>) {
    for (name, e) in &to.enums {
        let Some(old) = from.enums.get(name).cloned() else {
            out.push(Change::CreateEnum(e.clone()));
            continue;
        };
        let mut values = old.values.clone();
        // Value renames named by the model, when the old value exists and the new one does not.
        for (new, prev) in to
            .hints
            .enum_values
            .iter()
            .filter(|((n, _), _)| n == name)
            .map(|((_, v), o)| (v, o))
        {
            if let Some(pos) = values.iter().position(|v| v == prev) {
                if !values.contains(new) {
                    out.push(Change::RenameEnumValue {
                        name: name.clone(),
                        from: prev.clone(),
                        to: new.clone(),
                    });
                    values[pos] = new.clone();
                }
            }
        }
        if values != e.values {
            let remap: BTreeMap<String, String> = to
                .hints
                .enum_remap
                .iter()
                .filter(|((n, removed), _)| {
                    n == name && values.contains(removed) && !e.values.contains(removed)
                })
                .map(|((_, removed), to)| (removed.clone(), to.clone()))
                .collect();
            let usages = usages(from, to, name);
            let changes = values_changes(
                name, &values, &e.values, &remap, &usages, &e.comment, &e.grants,
            );
            if changes
                .iter()
                .any(|c| matches!(c, Change::RebuildEnum { .. }))
            {
                // The rebuild restores each column's target default, so the column itself no
                // longer differs there.
                for u in &usages {
                    let column = from
                        .to_mut()
                        .tables
                        .get_mut(&u.table)
                        .and_then(|t| t.columns.get_mut(&u.column));
                    if let Some(c) = column {
                        c.default = u.default_after.clone();
                    }
                }
            }
            out.extend(changes);
        }
        if old.comment != e.comment {
            out.push(Change::SetComment {
                target: CommentTarget::Enum(name.clone()),
                before: old.comment.clone(),
                after: e.comment.clone(),
            });
        }
    }
    for (name, e) in &from.enums {
        if !to.enums.contains_key(name) {
            out.push(Change::DropEnum(e.clone()));
        }
    }
}

/// Columns typed with the enum or domain in both schemas: the ones a rebuild must convert.
pub(super) fn usages(from: &Schema, to: &Schema, name: &QName) -> Vec<TypeUsage> {
    let mut out = Vec::new();
    for (t, c) in from.type_users(name) {
        let Some(after) = to
            .tables
            .get(&t.name)
            .and_then(|tt| tt.columns.get(&c.name))
        else {
            continue;
        };
        if after.ty.base != BaseType::User(name.clone()) || after.ty.array != c.ty.array {
            continue;
        }
        out.push(TypeUsage {
            table: t.name.clone(),
            column: c.name.clone(),
            array: c.ty.array,
            default_before: c.default.clone(),
            default_after: after.default.clone(),
        });
    }
    out
}

/// Changes from one value list to another: in-place additions when every old value survives in
/// the same relative order, else a rebuild.
pub(super) fn values_changes(
    name: &QName,
    from: &[String],
    to: &[String],
    remap: &BTreeMap<String, String>,
    usages: &[TypeUsage],
    comment: &Option<String>,
    grants: &Acl,
) -> Vec<Change> {
    let kept: Vec<&String> = to.iter().filter(|v| from.contains(v)).collect();
    let same_order = from.len() == kept.len() && from.iter().zip(&kept).all(|(a, b)| a == *b);
    if !same_order {
        let mk = |values: &[String]| Enum {
            name: name.clone(),
            values: values.to_vec(),
            comment: comment.clone(),
            grants: grants.clone(),
        };
        return vec![Change::RebuildEnum {
            before: mk(from),
            after: mk(to),
            remap: remap.clone(),
            usages: usages.to_vec(),
        }];
    }
    let mut out = Vec::new();
    let mut current: Vec<String> = from.to_vec();
    for (i, v) in to.iter().enumerate() {
        if current.contains(v) {
            continue;
        }
        // Anchor on the previous value of the target list: it is already in place.
        let position = match i.checked_sub(1).map(|p| &to[p]) {
            Some(prev) => EnumPosition::After(prev.clone()),
            None => match current.first() {
                Some(first) => EnumPosition::Before(first.clone()),
                None => EnumPosition::End,
            },
        };
        let at = match &position {
            EnumPosition::After(p) => current
                .iter()
                .position(|x| x == p)
                .map_or(current.len(), |x| x + 1),
            EnumPosition::Before(_) => 0,
            EnumPosition::End => current.len(),
        };
        current.insert(at, v.clone());
        out.push(Change::AddEnumValue {
            name: name.clone(),
            value: v.clone(),
            position,
            from_values: from.to_vec(),
            to_values: to.to_vec(),
            usages: usages.to_vec(),
            comment: comment.clone(),
            grants: grants.clone(),
        });
    }
    out
}
