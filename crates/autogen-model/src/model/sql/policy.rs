//! `CREATE POLICY` and `ALTER TABLE ... ROW LEVEL SECURITY` of a SQL model file -> a
//! [`PolicyDoc`] and a table's switches, clause by clause as Postgres's grammar has them; the
//! checks Postgres makes are left to the model's conversion.

use super::cursor::Cursor;
use crate::model::doc::PolicyDoc;

/// What `CREATE POLICY` declares: the table (schema as written), the policy's name and the
/// rest. The cursor is past `CREATE POLICY`.
pub(super) type Parsed = (Option<String>, String, String, PolicyDoc);

type Failure = (String, String);

fn fail<T>(message: String, help: &str) -> Result<T, Failure> {
    Err((message, help.to_string()))
}

pub(super) fn parse(c: &mut Cursor) -> Result<Parsed, Failure> {
    let Some(name) = c.ident() else {
        return fail(
            "`CREATE POLICY` names no policy".into(),
            "write `CREATE POLICY name ON table ...`",
        );
    };
    let what = format!("policy `{name}`");
    if !c.eat("on") {
        return fail(
            format!("{what}: `ON table` expected after its name"),
            "write `CREATE POLICY name ON table ...`",
        );
    }
    let Some((schema, table)) = c.qualified() else {
        return fail(format!("{what}: `ON` names no table"), "name its table");
    };
    let mut doc = PolicyDoc::default();
    if c.eat("as") {
        if c.eat("restrictive") {
            doc.restrictive = true;
        } else if !c.eat("permissive") {
            return fail(
                format!("{what}: `AS` is followed by neither PERMISSIVE nor RESTRICTIVE"),
                "write `AS PERMISSIVE` or `AS RESTRICTIVE`",
            );
        }
    }
    if c.eat("for") {
        let command = ["all", "select", "insert", "update", "delete"]
            .into_iter()
            .find(|w| c.eat(w));
        let Some(command) = command else {
            return fail(
                format!("{what}: `FOR` names no command"),
                "write `FOR ALL`, `FOR SELECT`, `FOR INSERT`, `FOR UPDATE` or `FOR DELETE`",
            );
        };
        doc.command = Some(command.into());
    }
    if c.eat("to") {
        loop {
            let Some(role) = c.ident() else {
                return fail(
                    format!("{what}: `TO` names no role"),
                    "write `TO role, ...` or `TO PUBLIC`",
                );
            };
            doc.roles.push(role);
            if !c.eat_char(',') {
                break;
            }
        }
    }
    if c.eat("using") {
        let Some(e) = c.paren_list() else {
            return fail(
                format!("{what}: `USING` without an expression in parentheses"),
                "write `USING (condition)`",
            );
        };
        doc.using = Some(e.join(", "));
    }
    if c.eat("with") {
        let expr = if c.eat("check") { c.paren_list() } else { None };
        let Some(e) = expr else {
            return fail(
                format!("{what}: `WITH CHECK` without an expression in parentheses"),
                "write `WITH CHECK (condition)`",
            );
        };
        doc.with_check = Some(e.join(", "));
    }
    if !c.rest().trim().is_empty() {
        return fail(
            format!("{what}: `{}` is not read", c.rest().trim()),
            "CREATE POLICY reads: name ON table [AS PERMISSIVE|RESTRICTIVE] [FOR command] [TO roles] [USING (...)] [WITH CHECK (...)]",
        );
    }
    Ok((schema, table, name, doc))
}

/// `ALTER TABLE [ONLY] t ENABLE | DISABLE | FORCE | NO FORCE ROW LEVEL SECURITY`, the cursor
/// past `ALTER`: the table (schema as written), whether it is the `FORCE` switch, and whether
/// it is turned on. `None` when the statement is not one of these (the cursor is then as it
/// was).
pub(super) fn parse_switch(c: &mut Cursor) -> Option<(Option<String>, String, bool, bool)> {
    let mut k = c.clone();
    if !k.eat("table") {
        return None;
    }
    k.eat("only");
    let (schema, table) = k.qualified()?;
    let (force, on) = if k.eat("enable") {
        (false, true)
    } else if k.eat("disable") {
        (false, false)
    } else if k.eat("force") {
        (true, true)
    } else if k.eat("no") && k.eat("force") {
        (true, false)
    } else {
        return None;
    };
    if !(k.eat("row") && k.eat("level") && k.eat("security") && k.rest().trim().is_empty()) {
        return None;
    }
    *c = k;
    Some((schema, table, force, on))
}
