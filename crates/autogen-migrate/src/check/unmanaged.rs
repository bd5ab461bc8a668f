//! Objects in the project's schemas that neither a model nor one of the project's migrations
//! declares (views no model declares, functions, triggers, ...), and schemas no service owns.
//!
//! Input: the live database's catalog and what the project accounts for. Output: one finding
//! per object, a warning unless `--strict`. Nothing is changed.

use super::{CheckKind, CheckOptions, Finding, Severity, finding};
use crate::config::Project;
use crate::error::Error;
use crate::migrate;
use autogen_pg::filter::SchemaFilter;
use std::collections::{BTreeMap, BTreeSet};

/// What the project accounts for, for the check of unmanaged objects.
pub(super) struct Known<'a> {
    /// Schema -> the service that owns it.
    pub owned: &'a BTreeMap<String, String>,
    /// Views the services' snapshots declare.
    pub declared: &'a BTreeSet<autogen_model::ir::QName>,
    /// Functions and procedures the services' snapshots declare (any overload of the name).
    pub declared_functions: &'a BTreeSet<autogen_model::ir::QName>,
    /// Triggers the services' snapshots declare, by relation and name.
    pub declared_triggers: &'a BTreeSet<(autogen_model::ir::QName, String)>,
    /// Policies the services' snapshots declare, by table and name.
    pub declared_policies: &'a BTreeSet<(autogen_model::ir::QName, String)>,
    /// Objects (schema, kind, name) the project's own migrations create, hand-written parts
    /// included: found on the replay.
    pub created: &'a BTreeSet<(String, String, String)>,
}

/// Objects in the project's schemas that neither a model nor one of the project's migrations
/// declares (views no model declares, functions, triggers, ...), and schemas no service owns.
pub(super) fn unmanaged(
    project: &Project,
    client: &mut postgres::Client,
    known: &Known,
    opts: &CheckOptions,
) -> Result<Vec<Finding>, Error> {
    let owned = known.owned;
    let severity = if opts.strict {
        Severity::Error
    } else {
        Severity::Warning
    };
    let mut filter = SchemaFilter::default();
    if let Some(p) = &project.preset {
        filter = filter.with_preset(p).map_err(Error::Usage)?;
    }
    let mut out = Vec::new();
    let mut others: BTreeMap<String, usize> = BTreeMap::new();
    for o in autogen_pg::inspect::catalog_objects(client)? {
        if o.schema == migrate::history::SCHEMA || !filter.matches(&o.schema) {
            continue;
        }
        if let Some(service) = owned.get(&o.schema) {
            let view = o.kind == "view" || o.kind == "materialized view";
            let function = o.kind == "function" || o.kind == "procedure";
            let trigger = o.kind == "trigger";
            let policy = o.kind == "policy";
            // Listed as `name on relation`; a policy's name is often a sentence with ` on ` in
            // it, a table's name seldom.
            let tq = o.name.rsplit_once(" on ").map(|(n, r)| {
                (
                    autogen_model::ir::QName::new(o.schema.clone(), r),
                    n.to_string(),
                )
            });
            let q = autogen_model::ir::QName::new(o.schema.clone(), o.name.clone());
            // Listed as `name(arguments)`.
            let fq = autogen_model::ir::QName::new(
                o.schema.clone(),
                o.name.split_once('(').map_or(o.name.as_str(), |(n, _)| n),
            );
            if known
                .created
                .contains(&(o.schema.clone(), o.kind.clone(), o.name.clone()))
                || (view && known.declared.contains(&q))
                || (function && known.declared_functions.contains(&fq))
                || (trigger
                    && tq
                        .as_ref()
                        .is_some_and(|t| known.declared_triggers.contains(t)))
                || (policy
                    && tq
                        .as_ref()
                        .is_some_and(|t| known.declared_policies.contains(t)))
                || (!view
                    && !function
                    && !trigger
                    && !policy
                    && autogen_pg::inspect::MANAGED_KINDS.contains(&o.kind.as_str()))
            {
                continue;
            }
            let (message, fix) = if view || function || trigger || policy {
                (
                    format!("{}, declared by no model or migration", o.kind),
                    "autogen leaves it alone: declare it in the model (`autogen dump` writes its \
                     definition) to manage it, keep it in a hand-written migration (`autogen \
                     revision --empty`), or drop it if it is left over",
                )
            } else {
                (
                    format!("{}, not managed by autogen", o.kind),
                    "autogen does not manage this kind of object: keep it in a hand-written migration \
                     (`autogen revision --empty`), or drop it if it is left over",
                )
            };
            out.push(Finding {
                severity,
                object: Some(format!("{}.{}", o.schema, o.name)),
                ..finding(CheckKind::Unmanaged, service, message, fix)
            });
        } else if opts.all_services {
            *others.entry(o.schema).or_default() += 1;
        }
    }
    for (schema, n) in others {
        out.push(Finding {
            severity,
            object: Some(schema),
            ..finding(
                CheckKind::Unmanaged,
                "database",
                format!("schema owned by no service ({n} object(s))"),
                "give it to a service in autogen.toml, or leave it out with `[database] preset`",
            )
        });
    }
    Ok(out)
}
