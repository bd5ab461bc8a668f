//! `GRANT` of a SQL model file -> a [`SqlGrant`]: the privileges (each with its column list),
//! the objects and the roles, clause by clause as Postgres's grammar has them. Which objects
//! exist, which roles the service manages and which privileges an object takes are checked
//! when the model is built, as for a YAML model's `grants:`.

use super::cursor::Cursor;
use crate::model::doc::{GrantObject, SqlGrant};

type Failure = (String, String);

fn fail<T>(message: String, help: &str) -> Result<T, Failure> {
    Err((message, help.to_string()))
}

const PRIVILEGES: [&str; 11] = [
    "select",
    "insert",
    "update",
    "delete",
    "truncate",
    "references",
    "trigger",
    "maintain",
    "usage",
    "create",
    "execute",
];

const KINDS: [&str; 7] = [
    "table",
    "sequence",
    "schema",
    "function",
    "procedure",
    "type",
    "domain",
];

/// The cursor is past `GRANT`; the schema of each object is as written.
pub(super) fn parse(c: &mut Cursor, line: u64) -> Result<SqlGrant, Failure> {
    let mut privileges = Vec::new();
    loop {
        let word = if c.eat("all") {
            c.eat("privileges");
            "all".to_string()
        } else if let Some(p) = PRIVILEGES.into_iter().find(|p| c.eat(p)) {
            p.to_string()
        } else {
            return fail(
                "`GRANT` names no privilege".into(),
                "write `GRANT SELECT, INSERT ON table TO role`; roles granted to roles (`GRANT role TO role`) are not part of a model",
            );
        };
        let columns = if c.rest().trim_start().starts_with('(') {
            c.paren_list().unwrap_or_default()
        } else {
            Vec::new()
        };
        privileges.push((word, columns));
        if !c.eat_char(',') {
            break;
        }
    }
    if !c.eat("on") {
        return fail(
            "`GRANT`: `ON` expected after the privileges".into(),
            "write `GRANT privileges ON [TABLE | SEQUENCE | SCHEMA | FUNCTION | TYPE | ...] name TO role`",
        );
    }
    if c.eat("all") {
        return fail(
            "`GRANT ... ON ALL ... IN SCHEMA` grants on what exists when it runs, which a model cannot state".into(),
            "grant on each object by name",
        );
    }
    let kind = KINDS.into_iter().find(|k| c.eat(k)).unwrap_or("table");
    let mut objects = Vec::new();
    loop {
        let Some((schema, name)) = c.qualified() else {
            return fail(
                format!("`GRANT ... ON {}` names no object", kind.to_uppercase()),
                "name the object after ON",
            );
        };
        let arguments =
            if matches!(kind, "function" | "procedure") && c.rest().trim_start().starts_with('(') {
                Some(c.paren_list().unwrap_or_default().join(", "))
            } else {
                None
            };
        objects.push(GrantObject {
            schema,
            name,
            arguments,
        });
        if !c.eat_char(',') {
            break;
        }
    }
    if !c.eat("to") {
        return fail(
            "`GRANT`: `TO role` expected after the objects".into(),
            "write `... TO role, ...`",
        );
    }
    let mut roles = Vec::new();
    loop {
        c.eat("group");
        let Some(role) = c.ident() else {
            return fail(
                "`GRANT ... TO` names no role".into(),
                "write `TO role, ...` or `TO PUBLIC`",
            );
        };
        roles.push(role);
        if !c.eat_char(',') {
            break;
        }
    }
    let grant_option = c.eat("with") && c.eat("grant") && c.eat("option");
    if !c.rest().trim().is_empty() {
        return fail(
            format!("`GRANT`: `{}` is not read", c.rest().trim()),
            "a model's GRANT ends with its roles and, optionally, WITH GRANT OPTION",
        );
    }
    Ok(SqlGrant {
        kind: kind.to_string(),
        objects,
        privileges,
        roles,
        grant_option,
        line,
    })
}
