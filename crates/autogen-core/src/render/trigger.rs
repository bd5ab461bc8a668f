//! DDL for triggers. Names go through `ir::quote`, arguments as string literals; the `WHEN`
//! condition is pasted as Postgres printed it (or, for a model read without a shadow, as written
//! and checked to be one expression), inside its parentheses.

use crate::diff::{TriggerChange, TriggerOn};
use autogen_model::ir::quote::{ident, literal, qname};
use autogen_model::ir::{Deferrable, Trigger, TriggerEnabled, TriggerEvent};

pub(super) fn describe(c: &TriggerChange) -> String {
    let verb = match c {
        TriggerChange::Create { .. } => "create",
        TriggerChange::Drop { .. } => "drop",
        TriggerChange::Replace { .. } => "replace",
        TriggerChange::Alter { .. } => "alter",
    };
    format!(
        "{verb} trigger `{}` on `{}`",
        c.after().name,
        c.on().relation
    )
}

pub(super) fn statements(c: &TriggerChange) -> Vec<String> {
    match c {
        TriggerChange::Create { on, trigger, .. } => {
            let mut out = vec![create(on, trigger, false)];
            out.extend(state(on, trigger, TriggerEnabled::Origin));
            if trigger.comment.is_some() {
                out.push(comment(on, trigger));
            }
            out
        }
        TriggerChange::Drop { on, trigger, .. } => vec![format!(
            "DROP TRIGGER {} ON {}",
            ident(&trigger.name),
            qname(&on.relation)
        )],
        TriggerChange::Replace { on, before, after } => {
            // Replacing sets the state to the default again; the comment stays.
            let mut out = vec![create(on, after, true)];
            out.extend(state(on, after, TriggerEnabled::Origin));
            if before.comment != after.comment {
                out.push(comment(on, after));
            }
            out
        }
        TriggerChange::Alter { on, before, after } => {
            let mut out: Vec<String> = state(on, after, before.enabled).into_iter().collect();
            if before.comment != after.comment {
                out.push(comment(on, after));
            }
            out
        }
    }
}

/// `ALTER TABLE ... ENABLE|DISABLE ... TRIGGER`, when `t`'s state is not `current`.
fn state(on: &TriggerOn, t: &Trigger, current: TriggerEnabled) -> Option<String> {
    (t.enabled != current).then(|| {
        format!(
            "ALTER TABLE {} {} TRIGGER {}",
            qname(&on.relation),
            t.enabled.sql(),
            ident(&t.name)
        )
    })
}

fn comment(on: &TriggerOn, t: &Trigger) -> String {
    format!(
        "COMMENT ON TRIGGER {} ON {} IS {}",
        ident(&t.name),
        qname(&on.relation),
        t.comment.as_deref().map_or_else(|| "NULL".into(), literal)
    )
}

fn create(on: &TriggerOn, t: &Trigger, replace: bool) -> String {
    let mut sql = String::from("CREATE ");
    if replace {
        sql.push_str("OR REPLACE ");
    }
    if t.constraint.is_some() {
        sql.push_str("CONSTRAINT ");
    }
    sql.push_str(&format!("TRIGGER {} {} ", ident(&t.name), t.timing.sql()));
    let events: Vec<String> = t
        .events
        .iter()
        .map(|e| {
            if *e == TriggerEvent::Update && !t.columns.is_empty() {
                let cols: Vec<String> = t.columns.iter().map(|c| ident(c)).collect();
                format!("UPDATE OF {}", cols.join(", "))
            } else {
                e.sql().to_string()
            }
        })
        .collect();
    sql.push_str(&events.join(" OR "));
    sql.push_str(&format!(" ON {}", qname(&on.relation)));
    if let Some(f) = &t.from {
        sql.push_str(&format!(" FROM {}", qname(f)));
    }
    match t.constraint {
        Some(Deferrable::InitiallyImmediate) => sql.push_str(" DEFERRABLE INITIALLY IMMEDIATE"),
        Some(Deferrable::InitiallyDeferred) => sql.push_str(" DEFERRABLE INITIALLY DEFERRED"),
        Some(Deferrable::No) | None => {}
    }
    if t.old_table.is_some() || t.new_table.is_some() {
        sql.push_str(" REFERENCING");
        if let Some(o) = &t.old_table {
            sql.push_str(&format!(" OLD TABLE AS {}", ident(o)));
        }
        if let Some(n) = &t.new_table {
            sql.push_str(&format!(" NEW TABLE AS {}", ident(n)));
        }
    }
    sql.push_str(if t.for_each_row {
        " FOR EACH ROW"
    } else {
        " FOR EACH STATEMENT"
    });
    if let Some(w) = &t.when {
        sql.push_str(&format!(" WHEN ({w})"));
    }
    let args: Vec<String> = t.arguments.iter().map(|a| literal(a)).collect();
    sql.push_str(&format!(
        " EXECUTE FUNCTION {}({})",
        qname(&t.function),
        args.join(", ")
    ));
    sql
}
