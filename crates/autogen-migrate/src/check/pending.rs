//! The views in the way of a service's pending migrations, said by `check` before `upgrade`
//! finds out: views no model declares that read what the migrations change (Postgres refuses
//! the step), and views the migrations drop and create again that have grants in the database
//! to roles the model does not manage (they come back without them).
//!
//! Input: the snapshot the database is at, the service's latest, every service's latest, and
//! the database. Output: warnings. Nothing is changed.

use super::{CheckKind, Finding, Severity, finding};
use crate::error::Error;
use autogen_core::diff::{Change, ViewChange, diff};
use autogen_model::ir::{QName, Schema};

pub(super) fn views(
    svc: &crate::config::Service,
    expected: &Schema,
    head: &Schema,
    heads: &[(String, Schema)],
    client: &mut postgres::Client,
) -> Result<Vec<Finding>, Error> {
    // As `revision` planned them: with the other services' views over this one's objects.
    let service = svc.name.as_str();
    let owned = crate::migrate::owned_schemas(svc, expected, head);
    let foreign = crate::cases::views::foreign_views(heads, service, &owned);
    let (mut from, mut to) = (expected.clone(), head.clone());
    for v in &foreign {
        from.views
            .entry(v.name.clone())
            .or_insert_with(|| v.clone());
        to.views.entry(v.name.clone()).or_insert_with(|| v.clone());
    }
    let changes = diff(&from, &to);
    let mut out = Vec::new();
    let recreated: Vec<QName> = changes
        .iter()
        .filter_map(|c| match c {
            Change::View(ViewChange::Drop(v)) if to.views.contains_key(&v.name) => {
                Some(v.name.clone())
            }
            _ => None,
        })
        .collect();
    // The migration grants again what the model says for the roles it manages; any other
    // role's grants on the view are lost with it.
    let manages = |role: &str| {
        to.managed_roles.as_ref().is_some_and(|m| {
            m.contains(role) || (role == "PUBLIC" && m.contains(autogen_model::ir::PUBLIC_ROLE))
        })
    };
    for (view, grants) in autogen_pg::inspect::view_grants(client, &recreated)? {
        let lost: Vec<String> = grants
            .into_iter()
            .filter(|g| !g.rsplit_once(" to ").is_some_and(|(_, role)| manages(role)))
            .collect();
        if lost.is_empty() {
            continue;
        }
        out.push(Finding {
            severity: Severity::Warning,
            object: Some(view.to_string()),
            ..finding(
                CheckKind::Database,
                service,
                format!(
                    "a pending migration drops and creates again this view, which has grants \
                     here to roles the model does not manage, that it does not restore: {}",
                    lost.join(", ")
                ),
                "list the roles under `roles:` in the service's model (and their grants on the \
                 view), or add the GRANT statements to the migration after its CREATE VIEW; \
                 `revision --from-db` writes them itself",
            )
        });
    }
    let managed: Vec<&QName> = from.views.keys().chain(to.views.keys()).collect();
    for w in crate::cases::views::blocking(client, service, &changes, &managed)? {
        out.push(Finding {
            severity: Severity::Warning,
            ..finding(
                CheckKind::Database,
                service,
                w.trim_start_matches(&format!("[{service}] ")).to_string(),
                "unless a pending migration already moves it (by hand), add the DROP and the \
                 CREATE above around the step, or declare the view in the model",
            )
        });
    }
    Ok(out)
}
