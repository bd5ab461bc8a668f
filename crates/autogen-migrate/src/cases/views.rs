//! Views the project does not manage (declared by no model), in the way of a change: Postgres refuses to change a
//! column's type, drop a column or a table, or drop a type while a view reads it (`cannot alter
//! type of a column used by a view or rule`). Found when `revision --from-db` plans against the
//! live database, so the migration is fixed in review, not when `upgrade` fails on it.
//!
//! Input: a service's changes and a connection. Output: one warning per view, naming it, what
//! it reads and the SQL that takes it out of the way and brings it back. Also: the views of
//! other services over a service's objects, which its own plan must move (`foreign_views`).

use crate::error::Error;
use autogen_core::diff::{Blocked, Change, ViewChange};
use autogen_model::ir::QName;
use autogen_model::ir::quote::qname;
use autogen_pg::inspect::{ViewUse, views_over};
use postgres::Client;

/// What the changes alter or drop that a view may read: columns (`None`: the whole table or
/// view) and types.
fn targets(changes: &[Change]) -> (Vec<(QName, Option<String>)>, Vec<QName>) {
    let b = Blocked::of(changes);
    let mut columns: Vec<(QName, Option<String>)> =
        b.columns.into_iter().map(|(t, c)| (t, Some(c))).collect();
    columns.extend(b.relations.into_iter().map(|t| (t, None)));
    // A managed view the plan drops (to re-create it, or for good) cannot go while a view
    // autogen does not manage reads it.
    columns.extend(changes.iter().filter_map(|c| match c {
        Change::View(ViewChange::Drop(v)) => Some((v.name.clone(), None)),
        _ => None,
    }));
    (columns, b.types.into_iter().collect())
}

/// Warnings for `service`'s changes: one per view over what they alter or drop, other than the
/// `managed` ones, which the plan itself drops and re-creates around them.
pub fn blocking(
    client: &mut Client,
    service: &str,
    changes: &[Change],
    managed: &[&QName],
) -> Result<Vec<String>, Error> {
    let (columns, types) = targets(changes);
    let mut uses = views_over(client, &columns, &types)?;
    uses.retain(|u| !managed.contains(&&u.view));
    let dropped_views: Vec<&QName> = changes
        .iter()
        .filter_map(|c| match c {
            Change::View(ViewChange::Drop(v)) => Some(&v.name),
            _ => None,
        })
        .collect();
    // One warning per view, naming everything of it in the way (rows come sorted by view).
    let mut out: Vec<(&ViewUse, Vec<String>)> = Vec::new();
    for u in &uses {
        let what = read(u, &dropped_views);
        match out.last_mut() {
            Some((first, whats)) if first.view == u.view => whats.push(what),
            _ => out.push((u, vec![what])),
        }
    }
    Ok(out
        .into_iter()
        .map(|(u, whats)| warning(service, u, &whats.join(", and ")))
        .collect())
}

/// The views of services other than `service` (from their latest snapshots) that read
/// something in `owned`, and the views that read those, and so on: Postgres drops none of
/// them while another reads it.
pub(crate) fn foreign_views(
    others: &[(String, autogen_model::ir::Schema)],
    service: &str,
    owned: &std::collections::BTreeSet<String>,
) -> Vec<autogen_model::ir::View> {
    let candidates: Vec<&autogen_model::ir::View> = others
        .iter()
        .filter(|(name, _)| name != service)
        .flat_map(|(_, head)| head.views.values())
        .collect();
    let mut picked: std::collections::BTreeMap<autogen_model::ir::QName, autogen_model::ir::View> =
        std::collections::BTreeMap::new();
    loop {
        let before = picked.len();
        for v in &candidates {
            let reads = v.depends_on.iter().any(|d| {
                owned.contains(&d.name.schema)
                    || (d.kind.is_relation() && picked.contains_key(&d.name))
            });
            if reads && !picked.contains_key(&v.name) {
                picked.insert(v.name.clone(), (*v).clone());
            }
        }
        if picked.len() == before {
            break;
        }
    }
    picked.into_values().collect()
}

/// What of `u`'s the migration changes, in words.
fn read(u: &ViewUse, dropped_views: &[&QName]) -> String {
    match (&u.column, u.is_type) {
        (None, false) if dropped_views.contains(&&u.of) => format!(
            "view `{}`, which the migration drops (and creates again, if the model keeps it)",
            u.of
        ),
        (_, true) => format!("type `{}`, which the migration rebuilds or drops", u.of),
        (Some(c), _) => format!(
            "column `{c}` of `{}`, whose type the migration changes or which it drops",
            u.of
        ),
        (None, _) => format!("table `{}`, which the migration drops", u.of),
    }
}

fn warning(service: &str, u: &ViewUse, what: &str) -> String {
    let (kind, create, drop) = if u.materialized {
        (
            "materialized view",
            "CREATE MATERIALIZED VIEW",
            "DROP MATERIALIZED VIEW",
        )
    } else {
        ("view", "CREATE VIEW", "DROP VIEW")
    };
    format!(
        "[{service}] the {kind} `{}` (not managed by autogen) reads {what}: Postgres will refuse \
         the migration while it exists. Edit the migration: put `{drop} {};` before that step \
         and re-create it after (with its grants and comments), as it is defined now:\n  \
         {create} {} AS\n  {}",
        u.view,
        qname(&u.view),
        qname(&u.view),
        u.definition
            .trim()
            .trim_end_matches(';')
            .replace('\n', "\n  ")
    )
}
