//! Row-level security and policies explained per table (`public.notes: policy "Read notes":
//! USING changed from ... to ...`): a policy's name is often a sentence, so it is quoted after
//! the table rather than dotted onto it. A policy dropped and created again by the same changes
//! reads as one policy that differs.

use super::{Drift, each, one};
use autogen_core::diff::{Change, PolicyChange};
use autogen_model::ir::{Policy, QName, RowSecurity};
use std::collections::{BTreeMap, BTreeSet};

fn label(p: &Policy) -> String {
    format!("policy \"{}\"", p.name.replace('"', "\"\""))
}

fn differences(before: &Policy, after: &Policy) -> Vec<String> {
    let mut out = Vec::new();
    let mut text = |what: &str, b: String, a: String| {
        if b != a {
            out.push(format!("{what} changed from `{b}` to `{a}`"));
        }
    };
    text(
        "command",
        before.command.sql().into(),
        after.command.sql().into(),
    );
    let kind = |p: &Policy| {
        if p.restrictive {
            "restrictive"
        } else {
            "permissive"
        }
        .to_string()
    };
    text("kind", kind(before), kind(after));
    let roles = |p: &Policy| p.roles.iter().cloned().collect::<Vec<_>>().join(", ");
    text("roles", roles(before), roles(after));
    let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
    text("USING", or_none(&before.using), or_none(&after.using));
    text("WITH CHECK", or_none(&before.check), or_none(&after.check));
    out.extend(super::comment_difference(&before.comment, &after.comment));
    out.into_iter()
        .map(|w| format!("{}: {w}", label(after)))
        .collect()
}

fn switches(before: &RowSecurity, after: &RowSecurity) -> Vec<String> {
    let mut out = Vec::new();
    if before.enabled != after.enabled {
        out.push(if after.enabled {
            "row-level security enabled".to_string()
        } else {
            "row-level security disabled".to_string()
        });
    }
    if before.forced != after.forced {
        out.push(if after.forced {
            "row-level security forced".to_string()
        } else {
            "row-level security no longer forced".to_string()
        });
    }
    out
}

pub(super) fn policy_drift(c: &PolicyChange) -> Vec<Drift> {
    let object = c.table().to_string();
    match c {
        PolicyChange::Create { policy, .. } => one(object, format!("{} added", label(policy))),
        PolicyChange::Drop { policy, .. } => one(object, format!("{} removed", label(policy))),
        PolicyChange::Alter { before, after, .. } => each(object, differences(before, after)),
        PolicyChange::RowSecurity { before, after, .. } => each(object, switches(before, after)),
    }
}

/// The drift of policies dropped and created again by `changes`, read as one policy each, and
/// the changes left to explain on their own.
pub(super) fn pair_policies(changes: Vec<Change>) -> (Vec<Drift>, Vec<Change>) {
    let key = |t: &QName, p: &Policy| (t.clone(), p.name.clone());
    let dropped: BTreeMap<(QName, String), Policy> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Policy(PolicyChange::Drop { table, policy, .. }) => {
                Some((key(table, policy), policy.clone()))
            }
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    let mut paired = BTreeSet::new();
    for c in &changes {
        if let Change::Policy(PolicyChange::Create { table, policy, .. }) = c {
            if let Some(before) = dropped.get(&key(table, policy)) {
                out.extend(each(table.to_string(), differences(before, policy)));
                paired.insert(key(table, policy));
            }
        }
    }
    let rest = changes
        .into_iter()
        .filter(|c| {
            !matches!(c, Change::Policy(PolicyChange::Drop { table, policy, .. } | PolicyChange::Create { table, policy, .. }) if paired.contains(&key(table, policy)))
        })
        .collect();
    (out, rest)
}
