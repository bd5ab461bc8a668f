//! `triggers:` of a table or view in the model files (or `CREATE TRIGGER` in SQL files) ->
//! `ir::Trigger` on its relation. Runs after tables, views and functions, so a trigger finds its
//! relation in any file of the service, and its function among the model's.
//!
//! What Postgres would refuse (a column list on an INSTEAD OF trigger, a transition table on a
//! BEFORE one, ...) is a model error here, with its line; the `WHEN` condition is checked to be
//! one expression and read back through the shadow.

use super::context::{Ctx, Origin, check_ident};
use super::doc::{FileDoc, TriggerDoc};
use super::table::deferrable;
use crate::error::ModelError;
use crate::ir::{
    QName, Trigger, TriggerEnabled, TriggerEvent, TriggerTiming, check_expression, split_qualified,
};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Trigger functions Postgres ships in `pg_catalog`, which a model names unqualified.
const BUILTIN_TRIGGER_FUNCTIONS: [&str; 3] = [
    "suppress_redundant_updates_trigger",
    "tsvector_update_trigger",
    "tsvector_update_trigger_column",
];

pub(crate) fn convert_triggers(
    ctx: &mut Ctx,
    docs: &[(PathBuf, FileDoc)],
) -> Result<(), ModelError> {
    let mut seen: BTreeMap<(QName, String), Origin> = BTreeMap::new();
    for (path, doc) in docs {
        let schema = doc.schema.clone().unwrap_or_else(|| "public".into());
        let mut all: Vec<(String, String, &TriggerDoc, Origin)> = Vec::new();
        for (table, t) in &doc.tables {
            for (name, d) in &t.value.triggers {
                all.push((table.clone(), name.clone(), &d.value, Origin::of(path, d)));
            }
        }
        for (view, v) in &doc.views {
            for (name, d) in &v.value.triggers {
                all.push((view.clone(), name.clone(), &d.value, Origin::of(path, d)));
            }
        }
        for t in &doc.sql_triggers {
            let at = Origin {
                path: path.clone(),
                line: t.line,
                column: 1,
            };
            all.push((t.relation.clone(), t.name.clone(), &t.doc, at));
        }
        for (relation, name, d, at) in all {
            let q = QName::new(schema.clone(), relation);
            check_ident(&name, "trigger", &at)?;
            if let Some(other) = seen.get(&(q.clone(), name.clone())) {
                return Err(at.error(
                    format!(
                        "trigger `{name}` on `{q}` is declared twice: also at {}",
                        other.describe()
                    ),
                    "declare each trigger once (trigger names are unique per table)",
                ));
            }
            let t = convert(ctx, &q, &name, d, &at)?;
            seen.insert((q.clone(), name.clone()), at.clone());
            if let Some(table) = ctx.schema.tables.get_mut(&q) {
                table.triggers.insert(name, t);
            } else if let Some(view) = ctx.schema.views.get_mut(&q) {
                if view.materialized {
                    return Err(at.error(
                        format!("trigger `{name}` is on the materialized view `{q}`"),
                        "Postgres has no triggers on materialized views: put it on a table",
                    ));
                }
                view.triggers.insert(name, t);
            } else {
                return Err(at.error(
                    format!("trigger `{name}` is on `{q}`, which is no table or view of this model"),
                    "declare the trigger under the `triggers:` of its table or view, in the same schema",
                ));
            }
        }
    }
    Ok(())
}

fn convert(
    ctx: &Ctx,
    q: &QName,
    name: &str,
    d: &TriggerDoc,
    at: &Origin,
) -> Result<Trigger, ModelError> {
    let what = format!("trigger `{name}` on `{q}`");
    let timing = match d
        .timing
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()[..]
    {
        ["before"] => TriggerTiming::Before,
        ["after"] => TriggerTiming::After,
        ["instead", "of"] => TriggerTiming::InsteadOf,
        _ => {
            return Err(at.error(
                format!("{what}: `timing: {}` is not a trigger timing", d.timing),
                "write `before`, `after` or `instead of`",
            ));
        }
    };
    let mut events = Vec::new();
    for e in &d.events {
        let ev = match e.to_lowercase().as_str() {
            "insert" => TriggerEvent::Insert,
            "update" => TriggerEvent::Update,
            "delete" => TriggerEvent::Delete,
            "truncate" => TriggerEvent::Truncate,
            other => {
                return Err(at.error(
                    format!("{what}: `{other}` is not a trigger event"),
                    "list events among insert, update, delete and truncate",
                ));
            }
        };
        if events.contains(&ev) {
            return Err(at.error(format!("{what} lists `{e}` twice"), "list each event once"));
        }
        events.push(ev);
    }
    if events.is_empty() {
        return Err(at.error(
            format!("{what} fires on no event"),
            "list its events: `events: [insert, update]`",
        ));
    }
    events.sort();
    let for_each_row = match d.for_each.as_deref().map(str::to_lowercase).as_deref() {
        None | Some("statement") => false,
        Some("row") => true,
        Some(other) => {
            return Err(at.error(
                format!("{what}: `for_each: {other}` is neither `row` nor `statement`"),
                "write `for_each: row` or `for_each: statement` (the default)",
            ));
        }
    };
    let view = ctx.schema.views.contains_key(q);
    let refuse = |why: &str, help: &str| Err(at.error(format!("{what}: {why}"), help));
    if let Some(table) = ctx.schema.tables.get(q) {
        for c in &d.columns {
            if !table.columns.contains_key(c) {
                return refuse(
                    &format!("`columns` names `{c}`, which is not a column of the table"),
                    "list columns of the table it is on",
                );
            }
        }
    }
    if !d.columns.is_empty() && !events.contains(&TriggerEvent::Update) {
        return refuse(
            "`columns` is given without an update event",
            "`columns` lists the columns of `UPDATE OF`: add `update` to `events`",
        );
    }
    if timing == TriggerTiming::InsteadOf {
        if !view {
            return refuse(
                "an INSTEAD OF trigger is only for a view",
                "use `before` or `after` on a table",
            );
        }
        if !for_each_row || d.when.is_some() || !d.columns.is_empty() {
            return refuse(
                "an INSTEAD OF trigger is FOR EACH ROW, with no `when` and no `columns`",
                "write `for_each: row` and remove `when` and `columns`",
            );
        }
    } else if view && for_each_row {
        return refuse(
            "a view's BEFORE or AFTER trigger must be FOR EACH STATEMENT",
            "use `timing: instead of` for a row trigger on a view",
        );
    }
    if events.contains(&TriggerEvent::Truncate) && for_each_row {
        return refuse(
            "a TRUNCATE trigger is FOR EACH STATEMENT",
            "remove `for_each: row`, or the truncate event",
        );
    }
    let transition = d.old_table.is_some() || d.new_table.is_some();
    if transition && (timing != TriggerTiming::After || view || d.constraint) {
        return refuse(
            "transition tables (`old_table`, `new_table`) are only for an AFTER trigger on a table",
            "make it `timing: after`, or remove them",
        );
    }
    if transition && events.len() > 1 {
        return refuse(
            "a trigger with transition tables fires on one event only",
            "split it into one trigger per event",
        );
    }
    // With its one event: OLD rows exist for an update or delete, NEW rows for an insert or
    // update.
    let (old_ok, new_ok) = match events.first() {
        Some(TriggerEvent::Update) => (true, true),
        Some(TriggerEvent::Delete) => (true, false),
        Some(TriggerEvent::Insert) => (false, true),
        _ => (false, false),
    };
    if d.old_table.is_some() && !old_ok {
        return refuse(
            "`old_table` needs an update or delete event",
            "remove it, or add the event",
        );
    }
    if d.new_table.is_some() && !new_ok {
        return refuse(
            "`new_table` needs an insert or update event",
            "remove it, or add the event",
        );
    }
    for t in d.old_table.iter().chain(&d.new_table) {
        check_ident(t, &format!("transition table of {what}"), at)?;
    }
    if d.constraint && (timing != TriggerTiming::After || !for_each_row) {
        return refuse(
            "a constraint trigger is AFTER ... FOR EACH ROW",
            "write `timing: after` and `for_each: row`",
        );
    }
    if !d.constraint && (d.deferrable.is_some() || d.from.is_some()) {
        return refuse(
            "`deferrable` and `from` are only for a constraint trigger",
            "add `constraint: true`, or remove them",
        );
    }
    let when = match &d.when {
        Some(w) => {
            let w = w.trim();
            check_expression(w).map_err(|e| {
                at.error(
                    format!("{what}: `when` is not one expression: {e}"),
                    "write one condition over OLD and NEW, without `WHEN` or its parentheses",
                )
            })?;
            Some(w.to_string())
        }
        None => None,
    };
    let function = function(ctx, q, &d.function, &what, at)?;
    let enabled = match d.enabled.as_deref().map(str::to_lowercase).as_deref() {
        None | Some("origin") | Some("enabled") => TriggerEnabled::Origin,
        Some("disabled") => TriggerEnabled::Disabled,
        Some("replica") => TriggerEnabled::Replica,
        Some("always") => TriggerEnabled::Always,
        Some(other) => {
            return refuse(
                &format!("`enabled: {other}` is not a trigger state"),
                "write `origin` (the default), `disabled`, `replica` or `always`",
            );
        }
    };
    if view && enabled != TriggerEnabled::Origin {
        return refuse(
            "a view's trigger cannot be disabled or limited to replicas (Postgres has no ALTER for it)",
            "remove `enabled`",
        );
    }
    let from = match &d.from {
        Some(f) => Some(QName::parse(f, &q.schema).ok_or_else(|| {
            at.error(
                format!("{what}: `from: {f}` is not a table name"),
                "write `table` or `schema.table`",
            )
        })?),
        None => None,
    };
    Ok(Trigger {
        name: name.to_string(),
        timing,
        events,
        columns: d.columns.clone(),
        for_each_row,
        when,
        old_table: d.old_table.clone(),
        new_table: d.new_table.clone(),
        function,
        arguments: d.arguments.clone(),
        constraint: if d.constraint {
            Some(deferrable(d.deferrable.as_deref(), at)?)
        } else {
            None
        },
        from,
        enabled,
        comment: d.comment.clone(),
    })
}

/// The trigger function a model names: `schema.name`, or a function of the model in the
/// trigger's schema, or one Postgres ships. An unqualified name that is none of these is an
/// error: a migration runs with no schema of the service on its search path.
fn function(
    ctx: &Ctx,
    q: &QName,
    text: &str,
    what: &str,
    at: &Origin,
) -> Result<QName, ModelError> {
    let text = text.trim();
    let text = text.strip_suffix("()").unwrap_or(text).trim_end();
    let parts = split_qualified(text).unwrap_or_default();
    let f = match parts.as_slice() {
        [s, n] => QName::new(s.clone(), n.clone()),
        [n] => {
            let local = QName::new(q.schema.clone(), n.clone());
            if ctx
                .schema
                .functions
                .contains_key(&(local.clone(), String::new()))
            {
                local
            } else if BUILTIN_TRIGGER_FUNCTIONS.contains(&n.as_str()) {
                QName::new("pg_catalog", n.clone())
            } else {
                return Err(at.error(
                    format!(
                        "{what}: function `{n}` is no function of schema `{}` in this model",
                        q.schema
                    ),
                    "declare it under `functions:` (returning trigger, with no arguments), or qualify a function managed elsewhere with its schema",
                ));
            }
        }
        _ => {
            return Err(at.error(
                format!("{what}: `function: {text}` is not a function name"),
                "write `name` or `schema.name`; its arguments go under `arguments:`",
            ));
        }
    };
    if let Some(m) = ctx.schema.functions.get(&(f.clone(), String::new())) {
        let returns = m.returns.as_deref().unwrap_or_default().trim();
        if !returns.eq_ignore_ascii_case("trigger") {
            return Err(at.error(
                format!("{what}: function `{f}` returns `{returns}`, not `trigger`"),
                "a trigger function is declared `returns: trigger`, with no arguments",
            ));
        }
    }
    Ok(f)
}
