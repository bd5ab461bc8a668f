//! Triggers on tables and views: created, dropped, replaced in place (`CREATE OR REPLACE
//! TRIGGER`) where Postgres allows it, altered for their enabled state and comment, and dropped
//! and created again around the changes Postgres refuses under them (`cannot alter type of a
//! column used in a trigger definition`): a column they use changing type or going, a type in
//! their `WHEN` rebuilt, their function dropped to come back changed.
//!
//! Input: both schemas and the changes the other kinds produced (this runs last). Output:
//! `Change::Trigger` steps; `plan::order` drops triggers before anything they stand on changes
//! and creates them once it all exists. A trigger on a relation that goes is dropped first, so
//! the down plan, which creates the relation again, brings the trigger back too.

use super::change::{Change, TriggerChange, TriggerOn, ViewChange};
use super::views::Blocked;
use autogen_model::ir::{QName, Schema, Trigger};
use std::collections::{BTreeMap, BTreeSet};

/// A schema's triggers by relation, with whether the relation is a view.
fn triggers(s: &Schema) -> Vec<(TriggerOn, &BTreeMap<String, Trigger>)> {
    let tables = s.tables.values().map(|t| {
        (
            TriggerOn {
                relation: t.name.clone(),
                view: false,
            },
            &t.triggers,
        )
    });
    let views = s.views.values().map(|v| {
        (
            TriggerOn {
                relation: v.name.clone(),
                view: true,
            },
            &v.triggers,
        )
    });
    tables.chain(views).filter(|(_, t)| !t.is_empty()).collect()
}

fn relation_triggers<'a>(s: &'a Schema, on: &TriggerOn) -> Option<&'a BTreeMap<String, Trigger>> {
    if on.view {
        s.views.get(&on.relation).map(|v| &v.triggers)
    } else {
        s.tables.get(&on.relation).map(|t| &t.triggers)
    }
}

pub(super) fn diff_triggers(from: &Schema, to: &Schema, out: &mut Vec<Change>) {
    let (old, new) = (triggers(from), triggers(to));
    if old.is_empty() && new.is_empty() {
        return;
    }
    let blocked = Blocked::of(out);
    // Views dropped here, to go or to come back: their triggers go with them.
    let views_dropped: BTreeSet<QName> = out
        .iter()
        .filter_map(|c| match c {
            Change::View(ViewChange::Drop(v)) => Some(v.name.clone()),
            _ => None,
        })
        .collect();
    let blocked_types: BTreeSet<&str> = blocked.types.iter().map(|q| q.name.as_str()).collect();
    let in_the_way = |on: &TriggerOn, t: &Trigger| {
        blocked
            .functions
            .contains(&(t.function.clone(), String::new()))
            || t.words().iter().any(|w| {
                blocked.columns.contains(&(on.relation.clone(), w.clone()))
                    || blocked_types.contains(w.as_str())
            })
    };
    let gone = |on: &TriggerOn| {
        if on.view {
            views_dropped.contains(&on.relation) || !to.views.contains_key(&on.relation)
        } else {
            !to.tables.contains_key(&on.relation)
        }
    };
    let mut drops = Vec::new();
    let mut creates = Vec::new();
    let mut alters = Vec::new();
    for (on, ts) in &old {
        let now = relation_triggers(to, on);
        for t in ts.values() {
            let after = now.and_then(|n| n.get(&t.name));
            let drop = |recreate| TriggerChange::Drop {
                on: on.clone(),
                trigger: t.clone(),
                recreate,
            };
            match after {
                _ if gone(on) => drops.push(drop(false)),
                None => drops.push(drop(false)),
                Some(a) if in_the_way(on, t) || (!t.same_definition(a) && !t.replaceable_by(a)) => {
                    drops.push(drop(true));
                    creates.push(TriggerChange::Create {
                        on: on.clone(),
                        trigger: a.clone(),
                        recreate: true,
                    });
                }
                Some(a) if a == t => {}
                Some(a) if t.same_definition(a) => alters.push(TriggerChange::Alter {
                    on: on.clone(),
                    before: t.clone(),
                    after: a.clone(),
                }),
                Some(a) => alters.push(TriggerChange::Replace {
                    on: on.clone(),
                    before: t.clone(),
                    after: a.clone(),
                }),
            }
        }
    }
    for (on, ts) in &new {
        let before = relation_triggers(from, on)
            .filter(|_| !(on.view && views_dropped.contains(&on.relation)));
        for t in ts.values() {
            if before.is_none_or(|b| !b.contains_key(&t.name)) {
                creates.push(TriggerChange::Create {
                    on: on.clone(),
                    trigger: t.clone(),
                    recreate: false,
                });
            }
        }
    }
    out.extend(
        drops
            .into_iter()
            .chain(alters)
            .chain(creates)
            .map(Change::Trigger),
    );
}
