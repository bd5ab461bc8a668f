//! Row-level security and policies: a table's `ENABLE` / `FORCE ROW LEVEL SECURITY` switched,
//! policies created, dropped, altered in place (`ALTER POLICY`: roles, `USING`, `WITH CHECK`)
//! where Postgres allows it, and dropped and created again where it does not (a new command or
//! kind, an expression taken away) or where a change under them is refused while they stand
//! (`cannot alter type of a column used in a policy definition`, a function, table or view they
//! use dropped).
//!
//! Input: both schemas and the changes the other kinds produced (this runs after them). Output:
//! `Change::Policy` steps; `plan::order` drops policies before anything they use changes and
//! creates them once it all exists, and switches row-level security on after the table's
//! policies exist (off, before they go), so no step leaves a table closed to every role. A
//! policy on a table that goes is dropped first, so the down plan, which creates the table
//! again, brings the policy back too.

use super::change::{Change, PolicyChange, ViewChange};
use super::views::Blocked;
use autogen_model::ir::{Policy, QName, RowSecurity, Schema};
use std::collections::BTreeSet;

pub(super) fn diff_policies(from: &Schema, to: &Schema, out: &mut Vec<Change>) {
    let any = |s: &Schema| {
        s.tables
            .values()
            .any(|t| !t.policies.is_empty() || !t.row_security.is_off())
    };
    if !any(from) && !any(to) {
        return;
    }
    let blocked = Blocked::of(out);
    // Relations going (to go, or to come back changed): tables, and views dropped here.
    let mut relations: BTreeSet<&str> = blocked.relations.iter().map(|q| q.name.as_str()).collect();
    for c in out.iter() {
        if let Change::View(ViewChange::Drop(v)) = c {
            relations.insert(v.name.name.as_str());
        }
    }
    let types: BTreeSet<&str> = blocked.types.iter().map(|q| q.name.as_str()).collect();
    let functions: BTreeSet<&str> = blocked
        .functions
        .iter()
        .map(|(q, _)| q.name.as_str())
        .collect();
    // Words, not resolved names: a policy that may use what changes is dropped and created
    // around it, which costs nothing but a step; one left standing would fail the migration.
    let in_the_way = |table: &QName, p: &Policy| {
        let words = p.words();
        words.iter().any(|w| {
            relations.contains(w.as_str())
                || types.contains(w.as_str())
                || functions.contains(w.as_str())
        }) || blocked
            .columns
            .iter()
            .any(|(t, c)| words.contains(c) && (t == table || words.contains(&t.name)))
    };
    let mut drops = Vec::new();
    let mut alters = Vec::new();
    let mut creates = Vec::new();
    for t in from.tables.values() {
        let now = to.tables.get(&t.name);
        for p in t.policies.values() {
            let drop = |recreate| PolicyChange::Drop {
                table: t.name.clone(),
                policy: p.clone(),
                recreate,
            };
            match now.and_then(|n| n.policies.get(&p.name)) {
                None => drops.push(drop(false)),
                Some(a) if in_the_way(&t.name, p) || !p.alterable_to(a) => {
                    drops.push(drop(true));
                    creates.push(PolicyChange::Create {
                        table: t.name.clone(),
                        policy: a.clone(),
                        recreate: true,
                    });
                }
                Some(a) if a == p => {}
                Some(a) => alters.push(PolicyChange::Alter {
                    table: t.name.clone(),
                    before: p.clone(),
                    after: a.clone(),
                }),
            }
        }
    }
    let mut switches = Vec::new();
    for t in to.tables.values() {
        let before = from.tables.get(&t.name);
        for p in t.policies.values() {
            if before.is_none_or(|b| !b.policies.contains_key(&p.name)) {
                creates.push(PolicyChange::Create {
                    table: t.name.clone(),
                    policy: p.clone(),
                    recreate: false,
                });
            }
        }
        let was = before.map(|b| b.row_security).unwrap_or_default();
        if was != t.row_security {
            switches.push(PolicyChange::RowSecurity {
                table: t.name.clone(),
                before: was,
                after: t.row_security,
            });
        }
    }
    // A table that goes takes its switches with it; its down plan creates it with them again.
    for t in from.tables.values() {
        if !to.tables.contains_key(&t.name) && !t.row_security.is_off() {
            switches.push(PolicyChange::RowSecurity {
                table: t.name.clone(),
                before: t.row_security,
                after: RowSecurity::default(),
            });
        }
    }
    out.extend(
        drops
            .into_iter()
            .chain(alters)
            .chain(creates)
            .chain(switches)
            .map(Change::Policy),
    );
}
