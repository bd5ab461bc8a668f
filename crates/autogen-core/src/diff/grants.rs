//! Privileges: for each object on both sides, the grants to the roles the comparison manages,
//! compared as ACLs (privilege by privilege, grant option included), and the `GRANT` /
//! `REVOKE` steps between them.
//!
//! Which roles: the target's `managed_roles` when it names them (a model), else the source's,
//! else every role (two databases compared). Grants to any other role are never revoked or
//! granted, with one exception that keeps them: an object the plan drops and creates again (a
//! view or function replaced, a type rebuilt) gets back what those roles had on it.
//!
//! An object the plan creates gets exactly the model's grants: when the model names its roles,
//! the step first revokes everything from them (`ALTER DEFAULT PRIVILEGES`, as Supabase sets
//! for `anon` and `authenticated`, would otherwise leave more than the model says). Revoking a
//! table privilege also revokes it from every column (Postgres does so), so a column grant the
//! model keeps is granted again after such a revoke.
//!
//! Input: both schemas and the changes the other kinds produced (this runs last). Output:
//! `Change::Grant` steps, one per object whose grants change.

use super::change::{Change, FunctionChange, GrantChange, GrantStep, ViewChange};
use autogen_model::ir::{Acl, AclKind, GrantTarget, Privileges, Schema};
use std::collections::{BTreeMap, BTreeSet};

pub(super) fn diff_grants(from: &Schema, to: &Schema, out: &mut Vec<Change>) {
    let managed = to.managed_roles.as_ref().or(from.managed_roles.as_ref());
    if !from.has_grants() && !to.has_grants() && managed.is_none_or(|m| m.is_empty()) {
        return;
    }
    let recreated = recreated(out, to);
    let ctx = Roles {
        managed,
        // Only a database's side knows what roles the model does not speak for hold.
        from_database: from.managed_roles.is_none(),
        reset: managed
            .map(|m| m.iter().cloned().collect())
            .unwrap_or_default(),
    };
    let mut steps = Vec::new();
    for (target, after) in to.acls() {
        // Column privileges travel with their table's step.
        if matches!(target, GrantTarget::Column(..)) {
            continue;
        }
        let before = from.acl(&target);
        let step = match before {
            None => GrantStep::Created,
            Some(_) if recreated.contains(&target) => GrantStep::Recreated,
            Some(_) => GrantStep::Alter,
        };
        let reset = if step == GrantStep::Alter {
            Vec::new()
        } else {
            ctx.reset.clone()
        };
        let roles = ctx.changes(target.kind(), step, before, after, &reset, &|_: &str| {
            Privileges::new()
        });
        let mut columns = BTreeMap::new();
        let mut new_columns = BTreeMap::new();
        let table = match &target {
            GrantTarget::Table(q) => to.tables.get(q).map(|t| (q, t)),
            _ => None,
        };
        if let Some((q, t)) = table {
            // What the table's revokes take off every column, per role.
            let taken: BTreeMap<&String, Privileges> =
                roles.iter().map(|(r, (b, a))| (r, lost(b, a))).collect();
            for c in t.columns.keys() {
                let col = GrantTarget::Column(q.clone(), c.clone());
                let after = to.acl(&col).cloned().unwrap_or_default();
                let before = match step {
                    GrantStep::Alter if !recreated.contains(&col) => from.acl(&col),
                    _ => None,
                };
                // A column's ACL starts empty: default privileges are for whole objects.
                let step = if before.is_some() {
                    GrantStep::Alter
                } else {
                    GrantStep::Created
                };
                let cascaded =
                    |role: &str| taken.get(&role.to_string()).cloned().unwrap_or_default();
                let changes = ctx.changes(AclKind::Column, step, before, &after, &[], &cascaded);
                if !changes.is_empty() {
                    match before {
                        Some(_) => columns.insert(c.clone(), changes),
                        None => new_columns.insert(c.clone(), changes),
                    };
                }
            }
        }
        let changed =
            roles.values().any(|(b, a)| b != a) || !columns.is_empty() || !new_columns.is_empty();
        if !changed && reset.is_empty() {
            continue;
        }
        let replaced = match (step, before) {
            (GrantStep::Recreated, Some(b)) => {
                b.0.iter()
                    .filter(|(_, p)| !p.is_empty())
                    .map(|(r, p)| (r.clone(), p.clone()))
                    .collect()
            }
            _ => BTreeMap::new(),
        };
        steps.push(GrantChange {
            on: target,
            step,
            reset,
            roles,
            columns,
            new_columns,
            replaced,
        });
    }
    out.extend(steps.into_iter().map(Change::Grant));
}

/// Which roles' grants a comparison looks at, and whom a new object's step revokes from.
struct Roles<'a> {
    /// `None`: every role.
    managed: Option<&'a BTreeSet<String>>,
    from_database: bool,
    reset: Vec<String>,
}

impl Roles<'_> {
    fn is_managed(&self, r: &str) -> bool {
        self.managed.is_none_or(|m| m.contains(r))
    }

    /// Per role, its privileges on one object when the step runs and after it, where they
    /// differ (or the role is reset). `cascaded` is what a table's revoke in the same step
    /// takes off a column: granted again if the column keeps it.
    fn changes(
        &self,
        kind: AclKind,
        step: GrantStep,
        before: Option<&Acl>,
        after: &Acl,
        reset: &[String],
        cascaded: &dyn Fn(&str) -> Privileges,
    ) -> BTreeMap<String, (Privileges, Privileges)> {
        let mut names: BTreeSet<&String> = after.roles().collect();
        if let Some(b) = before {
            names.extend(b.roles());
        }
        let default = kind.builtin_default();
        names.extend(default.roles());
        names.extend(reset.iter());
        let mut out = BTreeMap::new();
        for role in names {
            let mut want = if self.is_managed(role) {
                after.of(role)
            } else if step == GrantStep::Recreated && self.from_database {
                before.map(|b| b.of(role)).unwrap_or_default()
            } else {
                continue;
            };
            want.retain(|p, _| kind.accepts(*p));
            let have = match step {
                GrantStep::Alter => before.map(|b| b.of(role)).unwrap_or_default(),
                _ if reset.contains(role) || kind == AclKind::Column => Privileges::default(),
                _ => default.of(role),
            };
            let gone = cascaded(role);
            let regrant = want.iter().any(|(p, option)| match gone.get(p) {
                Some(true) => *option,
                Some(false) => true,
                None => false,
            });
            if have != want || reset.contains(role) || regrant {
                out.insert(role.clone(), (have, want));
            }
        }
        out
    }
}

/// What going from `have` to `want` takes away: privileges (false) or only their grant option
/// (true).
pub fn lost(have: &Privileges, want: &Privileges) -> Privileges {
    let mut out = Privileges::new();
    for (p, option) in have {
        match want.get(p) {
            None => {
                out.insert(*p, false);
            }
            Some(false) if *option => {
                out.insert(*p, true);
            }
            Some(_) => {}
        }
    }
    out
}

/// The objects on both sides that the plan drops and creates again: their ACL starts anew.
fn recreated(changes: &[Change], to: &Schema) -> BTreeSet<GrantTarget> {
    let mut out = BTreeSet::new();
    for c in changes {
        let t = match c {
            Change::View(ViewChange::Drop(v)) => GrantTarget::View(v.name.clone()),
            Change::Function(FunctionChange::Drop(f, _)) => GrantTarget::Function {
                key: f.key(),
                procedure: f.procedure,
            },
            Change::RebuildEnum { after, .. } => GrantTarget::Enum(after.name.clone()),
            Change::RebuildDomain { after, .. } => GrantTarget::Domain(after.name.clone()),
            Change::DropEnum(e) => GrantTarget::Enum(e.name.clone()),
            Change::DropDomain(d) => GrantTarget::Domain(d.name.clone()),
            Change::DropSequence(s) => GrantTarget::Sequence(s.name.clone()),
            Change::DropTable(t) => GrantTarget::Table(t.name.clone()),
            Change::DropColumn { table, column } => {
                GrantTarget::Column(table.clone(), column.name.clone())
            }
            Change::DropSchema(n) => GrantTarget::Schema(n.name.clone()),
            _ => continue,
        };
        out.insert(t);
    }
    out.retain(|t| to.acl(t).is_some());
    out
}
