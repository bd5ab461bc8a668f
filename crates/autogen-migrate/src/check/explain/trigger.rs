//! Triggers explained per object (`schema.table.trigger`, as constraints are): what differs in
//! a trigger, a trigger dropped and created again by the same changes read as one that differs.

use super::{Drift, each, one};
use autogen_core::diff::{Change, TriggerChange};
use autogen_model::ir::{Deferrable, Trigger};
use std::collections::{BTreeMap, BTreeSet};

fn object(c: &TriggerChange) -> String {
    format!("{}.{}", c.on().relation, c.after().name)
}

fn events(t: &Trigger) -> String {
    let mut out: Vec<String> = t.events.iter().map(|e| e.sql().to_string()).collect();
    if !t.columns.is_empty() {
        out.push(format!("(of {})", t.columns.join(", ")));
    }
    out.join(" ")
}

pub(super) fn trigger_differences(before: &Trigger, after: &Trigger) -> Vec<String> {
    let mut out = Vec::new();
    let mut text = |label: &str, b: String, a: String| {
        if b != a {
            out.push(format!("{label} changed from `{b}` to `{a}`"));
        }
    };
    text(
        "timing",
        before.timing.sql().into(),
        after.timing.sql().into(),
    );
    text("events", events(before), events(after));
    let level = |t: &Trigger| if t.for_each_row { "row" } else { "statement" }.to_string();
    text("level", level(before), level(after));
    let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
    text("WHEN", or_none(&before.when), or_none(&after.when));
    text(
        "old transition table",
        or_none(&before.old_table),
        or_none(&after.old_table),
    );
    text(
        "new transition table",
        or_none(&before.new_table),
        or_none(&after.new_table),
    );
    text(
        "function",
        before.function.to_string(),
        after.function.to_string(),
    );
    text(
        "arguments",
        before.arguments.join(", "),
        after.arguments.join(", "),
    );
    let constraint = |t: &Trigger| {
        match t.constraint {
            None => "no",
            Some(Deferrable::No) => "not deferrable",
            Some(Deferrable::InitiallyImmediate) => "deferrable",
            Some(Deferrable::InitiallyDeferred) => "initially deferred",
        }
        .to_string()
    };
    text("constraint trigger", constraint(before), constraint(after));
    let from = |t: &Trigger| t.from.as_ref().map_or("none".into(), |f| f.to_string());
    text("FROM table", from(before), from(after));
    text(
        "state",
        before.enabled.word().into(),
        after.enabled.word().into(),
    );
    out.extend(super::comment_difference(&before.comment, &after.comment));
    out
}

pub(super) fn trigger_drift(c: &TriggerChange) -> Vec<Drift> {
    match c {
        TriggerChange::Create { .. } => one(object(c), "trigger added"),
        TriggerChange::Drop { .. } => one(object(c), "trigger removed"),
        TriggerChange::Replace { before, after, .. }
        | TriggerChange::Alter { before, after, .. } => {
            each(object(c), trigger_differences(before, after))
        }
    }
}

/// The drift of triggers dropped and created again by `changes`, read as one trigger each, and
/// the changes left to explain on their own.
pub(super) fn pair_triggers(changes: Vec<Change>) -> (Vec<Drift>, Vec<Change>) {
    let dropped: BTreeMap<String, Trigger> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Trigger(t @ TriggerChange::Drop { trigger, .. }) => {
                Some((object(t), trigger.clone()))
            }
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    let mut paired = BTreeSet::new();
    for c in &changes {
        if let Change::Trigger(t @ TriggerChange::Create { trigger, .. }) = c {
            if let Some(before) = dropped.get(&object(t)) {
                out.extend(each(object(t), trigger_differences(before, trigger)));
                paired.insert(object(t));
            }
        }
    }
    let rest = changes
        .into_iter()
        .filter(|c| {
            !matches!(c, Change::Trigger(t @ (TriggerChange::Drop { .. } | TriggerChange::Create { .. })) if paired.contains(&object(t)))
        })
        .collect();
    (out, rest)
}
