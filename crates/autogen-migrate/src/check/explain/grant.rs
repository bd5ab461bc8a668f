//! Grants explained per object (`public.notes: anon: SELECT revoked`). Grants set on an object
//! the same changes create say nothing of their own: the object's line says it is added.

use super::{Drift, each};
use autogen_core::diff::{GrantChange, GrantStep};
use autogen_model::ir::{GrantTarget, Privilege};

fn object(t: &GrantTarget) -> String {
    match t {
        GrantTarget::Schema(s) => s.clone(),
        GrantTarget::Column(q, c) => format!("{q}.{c}"),
        GrantTarget::Function { key, .. } => format!("{}({})", key.0, key.1),
        GrantTarget::Table(q)
        | GrantTarget::View(q)
        | GrantTarget::Sequence(q)
        | GrantTarget::Enum(q)
        | GrantTarget::Domain(q) => q.to_string(),
    }
}

fn list(ps: &[Privilege]) -> String {
    ps.iter().map(|p| p.sql()).collect::<Vec<_>>().join(", ")
}

pub(super) fn grant_drift(c: &GrantChange) -> Vec<Drift> {
    if c.step != GrantStep::Alter {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (on, role, before, after) in c.each() {
        let (revoke, revoke_option, grant, grant_option) =
            autogen_core::render::privilege_delta(before, after);
        let who = if role == autogen_model::ir::PUBLIC_ROLE {
            "PUBLIC".to_string()
        } else {
            role.clone()
        };
        let mut whats = Vec::new();
        if !grant.is_empty() {
            whats.push(format!("{who}: {} granted", list(&grant)));
        }
        if !grant_option.is_empty() {
            whats.push(format!(
                "{who}: {} granted with grant option",
                list(&grant_option)
            ));
        }
        if !revoke.is_empty() {
            whats.push(format!("{who}: {} revoked", list(&revoke)));
        }
        if !revoke_option.is_empty() {
            whats.push(format!(
                "{who}: grant option on {} revoked",
                list(&revoke_option)
            ));
        }
        out.extend(each(object(&on), whats));
    }
    out
}
