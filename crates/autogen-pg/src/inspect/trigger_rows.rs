//! Rows of `queries/triggers.sql` -> `ir::Trigger` on its table or view. Pure, as `assemble` is.

use super::assemble::qn;
use crate::error::Error;
use autogen_model::ir::{
    Deferrable, QName, Schema, Trigger, TriggerEnabled, TriggerEvent, TriggerTiming,
};
use postgres::Row;

/// `tgtype` bits (`pg_trigger.h`).
const ROW: i32 = 1;
const BEFORE: i32 = 2;
const INSTEAD: i32 = 64;

pub(super) fn triggers_row(s: &mut Schema, r: &Row) -> Result<(), Error> {
    let relation = qn(r, "schema", "relation");
    let tgtype: i32 = r.get("tgtype");
    let nargs: i32 = r.get("nargs");
    let raw: Vec<u8> = r.get("args");
    // Each argument ends with a NUL.
    let arguments: Vec<String> = raw
        .split(|b| *b == 0)
        .take(nargs.max(0) as usize)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let definition: String = r.get("definition");
    let enabled: String = r.get("enabled");
    let name: String = r.get("name");
    let t = Trigger {
        timing: if tgtype & INSTEAD != 0 {
            TriggerTiming::InsteadOf
        } else if tgtype & BEFORE != 0 {
            TriggerTiming::Before
        } else {
            TriggerTiming::After
        },
        events: TriggerEvent::ALL
            .into_iter()
            .filter(|e| tgtype & e.bit() != 0)
            .collect(),
        columns: r.get("columns"),
        for_each_row: tgtype & ROW != 0,
        when: when_of(&definition),
        old_table: r.get("old_table"),
        new_table: r.get("new_table"),
        function: qn(r, "function_schema", "function_name"),
        arguments,
        constraint: r.get::<_, bool>("is_constraint").then(|| {
            match (r.get("deferrable"), r.get("initially_deferred")) {
                (false, _) => Deferrable::No,
                (true, false) => Deferrable::InitiallyImmediate,
                (true, true) => Deferrable::InitiallyDeferred,
            }
        }),
        from: r
            .get::<_, Option<String>>("from_name")
            .map(|n| QName::new(r.get::<_, String>("from_schema"), n)),
        enabled: TriggerEnabled::from_code(&enabled).ok_or_else(|| Error::Inspect {
            query: "triggers".into(),
            message: format!("trigger `{name}` on `{relation}` has the unknown state `{enabled}`"),
        })?,
        comment: r.get("comment"),
        name: name.clone(),
    };
    // A trigger on a relation the inspector does not read (none, with the query's filter) is
    // listed by the unmanaged listing instead.
    if let Some(table) = s.tables.get_mut(&relation) {
        table.triggers.insert(name, t);
    } else if let Some(view) = s.views.get_mut(&relation) {
        view.triggers.insert(name, t);
    }
    Ok(())
}

/// The `WHEN` condition of a trigger as `pg_get_triggerdef` prints it, without its
/// parentheses. The keyword is the only upper-case bare `WHEN` outside quotes and parentheses:
/// Postgres quotes any identifier that is not all lower case.
pub(super) fn when_of(definition: &str) -> Option<String> {
    let bytes = definition.as_bytes();
    let mut depth = 0usize;
    for (i, b) in outside_quotes(definition, 0) {
        match b {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b'W' if depth == 0
                && definition[i..].starts_with("WHEN (")
                && i > 0
                && bytes[i - 1] == b' ' =>
            {
                let start = i + "WHEN (".len();
                return group_end(definition, start).map(|end| definition[start..end].to_string());
            }
            _ => {}
        }
    }
    None
}

/// The index of the `)` that closes a group whose text starts at `start`.
fn group_end(text: &str, start: usize) -> Option<usize> {
    let mut depth = 1usize;
    for (i, b) in outside_quotes(text, start) {
        match b {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The bytes of `text` from `start` that are outside string literals and quoted identifiers,
/// with their indexes. A doubled quote inside a quoted part is an escaped one: leaving and
/// entering again reads it right.
fn outside_quotes(text: &str, start: usize) -> impl Iterator<Item = (usize, u8)> + '_ {
    let mut quote: Option<u8> = None;
    text.bytes()
        .enumerate()
        .skip(start)
        .filter(move |&(_, b)| match quote {
            Some(q) => {
                if b == q {
                    quote = None;
                }
                false
            }
            None if b == b'\'' || b == b'"' => {
                quote = Some(b);
                false
            }
            None => true,
        })
}

#[cfg(test)]
mod tests {
    use super::when_of;

    #[test]
    fn the_when_condition_is_found_whatever_the_names_around_it() {
        assert_eq!(
            when_of(
                "CREATE TRIGGER \"WHEN (x)\" BEFORE UPDATE ON app.t FOR EACH ROW WHEN ((old.a IS DISTINCT FROM new.a)) EXECUTE FUNCTION app.f('WHEN (')"
            )
            .as_deref(),
            Some("(old.a IS DISTINCT FROM new.a)")
        );
        assert_eq!(
            when_of(
                "CREATE TRIGGER t AFTER INSERT ON app.t FOR EACH ROW WHEN ((new.note = 'a )'' WHEN (')) EXECUTE FUNCTION app.f()"
            )
            .as_deref(),
            Some("(new.note = 'a )'' WHEN (')")
        );
        assert_eq!(
            when_of(
                "CREATE TRIGGER t AFTER INSERT ON app.t FOR EACH ROW EXECUTE FUNCTION app.f('WHEN (')"
            ),
            None
        );
    }
}
