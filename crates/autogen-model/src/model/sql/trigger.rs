//! `CREATE [CONSTRAINT] TRIGGER` of a SQL model file -> a [`TriggerDoc`], clause by clause, as
//! Postgres's grammar has them; the checks Postgres makes are left to the model's conversion.

use super::cursor::Cursor;
use crate::model::doc::TriggerDoc;

/// What `CREATE TRIGGER` declares: the relation (schema as written), the trigger's name and the
/// rest. The cursor is past `CREATE [OR REPLACE] [CONSTRAINT] TRIGGER`.
pub(super) type Parsed = (Option<String>, String, String, TriggerDoc);

type Failure = (String, String);

fn fail<T>(message: String, help: &str) -> Result<T, Failure> {
    Err((message, help.to_string()))
}

pub(super) fn parse(c: &mut Cursor, constraint: bool) -> Result<Parsed, Failure> {
    let Some(name) = c.ident() else {
        return fail(
            "`CREATE TRIGGER` names no trigger".into(),
            "write `CREATE TRIGGER name BEFORE ... ON table ... EXECUTE FUNCTION f()`",
        );
    };
    let what = format!("trigger `{name}`");
    let mut doc = TriggerDoc {
        constraint,
        ..TriggerDoc::default()
    };
    doc.timing = if c.eat("before") {
        "before".into()
    } else if c.eat("after") {
        "after".into()
    } else if c.eat("instead") && c.eat("of") {
        "instead of".into()
    } else {
        return fail(
            format!("{what}: BEFORE, AFTER or INSTEAD OF expected"),
            "write when it fires: `BEFORE INSERT`, `AFTER UPDATE`, `INSTEAD OF DELETE`",
        );
    };
    loop {
        let event = ["insert", "update", "delete", "truncate"]
            .into_iter()
            .find(|e| c.eat(e));
        let Some(event) = event else {
            return fail(
                format!("{what}: an event (INSERT, UPDATE, DELETE, TRUNCATE) expected"),
                "list its events joined by OR: `INSERT OR UPDATE OF title`",
            );
        };
        doc.events.push(event.into());
        if event == "update" && c.eat("of") {
            loop {
                let Some(col) = c.ident() else {
                    return fail(
                        format!("{what}: `UPDATE OF` names no column"),
                        "write `UPDATE OF column, ...`",
                    );
                };
                doc.columns.push(col);
                if !c.eat_char(',') {
                    break;
                }
            }
        }
        if !c.eat("or") {
            break;
        }
    }
    if !c.eat("on") {
        return fail(
            format!("{what}: `ON table` expected after its events"),
            "write `... ON table ...`",
        );
    }
    let Some((schema, relation)) = c.qualified() else {
        return fail(format!("{what}: `ON` names no table"), "name its table");
    };
    if c.eat("from") {
        let Some((s, t)) = c.qualified() else {
            return fail(
                format!("{what}: `FROM` names no table"),
                "name the referenced table",
            );
        };
        doc.from = Some(match s {
            Some(s) => format!("{}.{}", quote(&s), quote(&t)),
            None => quote(&t),
        });
    }
    if c.eat("not") {
        if !c.eat("deferrable") {
            return fail(
                format!("{what}: `NOT DEFERRABLE` expected"),
                "write `NOT DEFERRABLE`, `DEFERRABLE` or `DEFERRABLE INITIALLY DEFERRED`",
            );
        }
    } else {
        let deferrable = c.eat("deferrable");
        if c.eat("initially") {
            if c.eat("deferred") {
                doc.deferrable = Some("initially_deferred".into());
            } else if c.eat("immediate") {
                doc.deferrable = Some("deferrable".into());
            } else {
                return fail(
                    format!("{what}: `INITIALLY` is followed by neither DEFERRED nor IMMEDIATE"),
                    "write `INITIALLY DEFERRED` or `INITIALLY IMMEDIATE`",
                );
            }
        } else if deferrable {
            doc.deferrable = Some("deferrable".into());
        }
    }
    if c.eat("referencing") {
        loop {
            let old = if c.eat("old") {
                true
            } else if c.eat("new") {
                false
            } else {
                break;
            };
            if !c.eat("table") {
                return fail(
                    format!("{what}: `REFERENCING OLD|NEW TABLE` expected"),
                    "write `REFERENCING NEW TABLE AS name`",
                );
            }
            c.eat("as");
            let Some(n) = c.ident() else {
                return fail(
                    format!("{what}: a transition table without a name"),
                    "write `REFERENCING NEW TABLE AS name`",
                );
            };
            if old {
                doc.old_table = Some(n);
            } else {
                doc.new_table = Some(n);
            }
        }
    }
    if c.eat("for") {
        c.eat("each");
        doc.for_each = if c.eat("row") {
            Some("row".into())
        } else if c.eat("statement") {
            Some("statement".into())
        } else {
            return fail(
                format!("{what}: `FOR EACH` is followed by neither ROW nor STATEMENT"),
                "write `FOR EACH ROW` or `FOR EACH STATEMENT`",
            );
        };
    }
    if c.eat("when") {
        let Some(cond) = c.paren_list() else {
            return fail(
                format!("{what}: `WHEN` without a condition in parentheses"),
                "write `WHEN (condition)`",
            );
        };
        doc.when = Some(cond.join(", "));
    }
    if !(c.eat("execute") && (c.eat("function") || c.eat("procedure"))) {
        return fail(
            format!("{what}: `EXECUTE FUNCTION f(...)` expected"),
            "end the trigger with `EXECUTE FUNCTION function_name(arguments)`",
        );
    }
    let Some((fs, f)) = c.qualified() else {
        return fail(
            format!("{what}: `EXECUTE FUNCTION` names no function"),
            "name its function",
        );
    };
    doc.function = match fs {
        Some(s) => format!("{}.{}", quote(&s), quote(&f)),
        None => quote(&f),
    };
    let Some(args) = c.paren_list() else {
        return fail(
            format!("{what}: the function's arguments are not in parentheses"),
            "write `EXECUTE FUNCTION f()` or `f('a', 'b')`",
        );
    };
    for a in args.into_iter().filter(|a| !a.is_empty()) {
        // Postgres passes each argument as a string: a literal's text, a number or bare word
        // as written.
        let mut ac = Cursor::new(&a);
        let text = if a.starts_with('\'') {
            ac.literal()
                .filter(|_| ac.rest().trim().is_empty())
                .ok_or_else(|| {
                    (
                        format!("{what}: argument `{a}` is not one string literal"),
                        "write each argument as a literal: 'text' or a number".to_string(),
                    )
                })?
        } else {
            a.clone()
        };
        doc.arguments.push(text);
    }
    if !c.rest().trim().is_empty() {
        return fail(
            format!("{what}: `{}` is not read", c.rest().trim()),
            "nothing follows the function's arguments in CREATE TRIGGER",
        );
    }
    Ok((schema, relation, name, doc))
}

/// `ALTER TABLE [ONLY] t ENABLE|DISABLE [REPLICA|ALWAYS] TRIGGER name`, the cursor past
/// `ALTER`: the relation (schema as written), the trigger and its state in the model's words.
pub(super) fn parse_state(
    c: &mut Cursor,
    statement: &str,
) -> Result<(Option<String>, String, String, &'static str), Failure> {
    let what = |c: &mut Cursor| {
        if !(c.eat("table") || c.eat("view")) {
            return None;
        }
        c.eat("only");
        let relation = c.qualified()?;
        let state = if c.eat("disable") {
            "disabled"
        } else if c.eat("enable") {
            if c.eat("replica") {
                "replica"
            } else if c.eat("always") {
                "always"
            } else {
                "origin"
            }
        } else {
            return None;
        };
        if !c.eat("trigger") {
            return None;
        }
        let name = c.ident()?;
        Some((relation, name, state))
    };
    match what(c) {
        Some(((s, relation), name, state)) => Ok((s, relation, name, state)),
        None => fail(
            format!("`{statement}` is not read from a model file"),
            "a SQL model file alters only a trigger's state (`ALTER TABLE t ENABLE|DISABLE [REPLICA|ALWAYS] TRIGGER name`) and row-level security (`ALTER TABLE t ENABLE|DISABLE|FORCE|NO FORCE ROW LEVEL SECURITY`)",
        ),
    }
}

/// A name as the model's own text for it: quoted when it would not read back unquoted.
fn quote(name: &str) -> String {
    crate::ir::quote::ident(name)
}
