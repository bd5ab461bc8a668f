//! Views explained per object: what differs in a view, and a view dropped and created again by
//! the same changes read as one view that differs (or that only made way for a change under it).

use super::{Drift, each, explain, one};
use autogen_core::diff::{Change, ViewChange};
use autogen_model::ir::View;

/// A query on one line, shortened: enough to recognise it in a report.
fn query_text(q: &str) -> String {
    let one_line = q.split_whitespace().collect::<Vec<_>>().join(" ");
    const MAX: usize = 160;
    if one_line.chars().count() > MAX {
        let cut: String = one_line.chars().take(MAX).collect();
        format!("`{cut}...`")
    } else {
        format!("`{one_line}`")
    }
}

fn view_differences(before: &View, after: &View) -> Vec<String> {
    let mut out = Vec::new();
    if before.query != after.query {
        out.push(format!(
            "query changed from {} to {}",
            query_text(&before.query),
            query_text(&after.query)
        ));
    }
    let cols = |v: &View| {
        v.columns
            .iter()
            .map(|c| format!("{} {}", c.name, c.ty))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !before.same_column_names(after) && before.query == after.query {
        out.push(format!(
            "columns changed from ({}) to ({})",
            cols(before),
            cols(after)
        ));
    }
    if before.options != after.options {
        let opts = |v: &View| {
            let o: Vec<String> = v.options.iter().map(|(k, x)| format!("{k}={x}")).collect();
            if o.is_empty() {
                "none".to_string()
            } else {
                o.join(", ")
            }
        };
        out.push(format!(
            "options changed from {} to {}",
            opts(before),
            opts(after)
        ));
    }
    if before.with_data != after.with_data {
        out.push(
            if after.with_data {
                "now populated"
            } else {
                "now not populated"
            }
            .into(),
        );
    }
    for n in before
        .indexes
        .keys()
        .filter(|n| !after.indexes.contains_key(*n))
    {
        out.push(format!("index {n} removed"));
    }
    for (n, i) in &after.indexes {
        match before.indexes.get(n) {
            None => out.push(format!("index {n} added")),
            Some(b) if b != i => out.push(format!("index {n} changed")),
            Some(_) => {}
        }
    }
    out.extend(super::comment_difference(&before.comment, &after.comment));
    out
}

pub(super) fn view_drift(c: &ViewChange) -> Vec<Drift> {
    match c {
        ViewChange::Create(v) => one(v.name.to_string(), format!("{} added", v.kind_text())),
        ViewChange::Drop(v) => one(v.name.to_string(), format!("{} removed", v.kind_text())),
        ViewChange::Replace { before, after } | ViewChange::Alter { before, after } => {
            each(after.name.to_string(), view_differences(before, after))
        }
    }
}

/// A view dropped and created again by the same changes is one view that differs (or that
/// only had to make way for a change to what it reads).
pub(super) fn pair_views(changes: &[Change]) -> Vec<Drift> {
    let mut dropped = std::collections::BTreeMap::new();
    for c in changes {
        if let Change::View(ViewChange::Drop(v)) = c {
            dropped.insert(v.name.clone(), v);
        }
    }
    let mut out = Vec::new();
    for c in changes {
        match c {
            Change::View(ViewChange::Create(v)) if dropped.contains_key(&v.name) => {
                let before = dropped[&v.name];
                let what = view_differences(before, v);
                if what.is_empty() {
                    out.extend(one(
                        v.name.to_string(),
                        format!(
                            "{} dropped and re-created around a change to what it reads",
                            v.kind_text()
                        ),
                    ));
                }
                out.extend(each(v.name.to_string(), what));
            }
            Change::View(ViewChange::Drop(v))
                if changes.iter().any(
                    |o| matches!(o, Change::View(ViewChange::Create(n)) if n.name == v.name),
                ) => {}
            other => out.extend(explain(other)),
        }
    }
    out
}
