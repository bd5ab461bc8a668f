//! Domains: created and dropped in dependency order (a domain may be over another), altered in
//! place for default, NOT NULL and CHECKs, rebuilt when the base type or collation changes.

use super::change::{Change, CommentTarget};
use autogen_model::ir::{BaseType, Domain, Schema};
use std::borrow::Cow;

pub(super) fn diff_domains(from: &mut Cow<'_, Schema>, to: &Schema, out: &mut Vec<Change>) {
    let mut created = Vec::new();
    for (name, d) in &to.domains {
        let Some(old) = from.domains.get(name).cloned() else {
            created.push(d.clone());
            continue;
        };
        if old.base != d.base || old.collation != d.collation {
            let usages = super::enums::usages(from, to, name);
            // The rebuild restores each column's target default.
            for u in &usages {
                if let Some(c) = from
                    .to_mut()
                    .tables
                    .get_mut(&u.table)
                    .and_then(|t| t.columns.get_mut(&u.column))
                {
                    c.default = u.default_after.clone();
                }
            }
            out.push(Change::RebuildDomain {
                before: old.clone(),
                after: d.clone(),
                usages,
            });
            continue;
        }
        // Grants are `diff::grants`'s.
        let same_comment = Domain {
            comment: old.comment.clone(),
            grants: old.grants.clone(),
            ..d.clone()
        };
        if same_comment != old {
            out.push(Change::AlterDomain {
                before: old.clone(),
                after: same_comment,
            });
        }
        if old.comment != d.comment {
            out.push(Change::SetComment {
                target: CommentTarget::Domain(name.clone()),
                before: old.comment.clone(),
                after: d.comment.clone(),
            });
        }
    }
    out.extend(bases_first(created).into_iter().map(Change::CreateDomain));
    let dropped: Vec<Domain> = from
        .domains
        .iter()
        .filter(|(n, _)| !to.domains.contains_key(*n))
        .map(|(_, d)| d.clone())
        .collect();
    out.extend(
        bases_first(dropped)
            .into_iter()
            .rev()
            .map(Change::DropDomain),
    );
}

/// Domains ordered so one over another comes after it; otherwise by name.
fn bases_first(mut pending: Vec<Domain>) -> Vec<Domain> {
    let mut out: Vec<Domain> = Vec::new();
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|d| match &d.base.base {
                BaseType::User(b) => !pending.iter().any(|p| &p.name == b),
                BaseType::Builtin(_) => true,
            })
            .unwrap_or(0);
        out.push(pending.remove(ready));
    }
    out
}
