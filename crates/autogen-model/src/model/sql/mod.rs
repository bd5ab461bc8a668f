//! SQL model files (`*.sql`) -> a model document. Bodies are easier to write and review as SQL
//! than as YAML strings, so a service may declare its views, functions, triggers and policies
//! as the `CREATE` statements a team already writes; what Postgres makes of them is read back
//! through the shadow, as for a YAML model.
//!
//! Input: the text of one file and the path used in messages. Output: a [`FileDoc`] of one
//! schema's views (with their comments and a materialized view's indexes), functions,
//! triggers, policies and row-level security switches, each with the line it was declared on.
//! Read: `SET search_path` (its first schema is the file's), `CREATE [OR REPLACE]
//! [MATERIALIZED] VIEW`, `CREATE [OR REPLACE] FUNCTION | PROCEDURE`, `CREATE [OR REPLACE]
//! [CONSTRAINT] TRIGGER`, `CREATE POLICY`, `COMMENT ON [MATERIALIZED] VIEW | FUNCTION |
//! PROCEDURE | TRIGGER | POLICY`, `ALTER TABLE ... ENABLE|DISABLE ... TRIGGER`, `ALTER TABLE
//! ... ENABLE|DISABLE|FORCE|NO FORCE ROW LEVEL SECURITY`, and `CREATE [UNIQUE] INDEX` on one of
//! the file's materialized views. Any other statement is an error naming its line: nothing in a
//! model file is ever ignored.

use super::doc::{FileDoc, IndexDoc, ViewDoc};
use super::dump::sp;
use crate::error::ModelError;
use crate::sqltext::{statements, without_comments};
use std::path::Path;

mod cursor;
mod function;
mod grant;
mod policy;
mod trigger;
use cursor::Cursor;

/// The words a statement ends with, if its last words are these (case-insensitive), and the
/// text before them.
fn strip_tail<'a>(text: &'a str, words: &[&str]) -> Option<&'a str> {
    let mut rest = text.trim_end();
    for w in words.iter().rev() {
        let n = w.len();
        if rest.len() < n || !rest[rest.len() - n..].eq_ignore_ascii_case(w) {
            return None;
        }
        let before = &rest[..rest.len() - n];
        if !before.ends_with(|c: char| c.is_whitespace()) {
            return None;
        }
        rest = before.trim_end();
    }
    Some(rest)
}

/// Reads one SQL model file.
pub(crate) fn parse(path: &Path, text: &str) -> Result<FileDoc, ModelError> {
    let mut doc = FileDoc::default();
    let mut schema: Option<String> = None;
    for st in statements(text) {
        // Comments are no part of what Postgres stores; a query keeps its own lines.
        let st = crate::sqltext::Statement {
            sql: without_comments(&st.sql).trim().to_string(),
            line: st.line,
        };
        let at = |message: String, help: &str| ModelError {
            path: path.to_path_buf(),
            line: st.line as u64,
            column: 1,
            message,
            help: Some(help.to_string()),
        };
        let mut c = Cursor::new(&st.sql);
        // The file's schema: unqualified names in it are that schema's.
        let mut take_schema = |s: Option<String>, c: &Cursor| -> Result<String, ModelError> {
            let s = s
                .or_else(|| schema.clone())
                .unwrap_or_else(|| "public".into());
            match &schema {
                Some(prev) if prev != &s => Err(at(
                    format!(
                        "`{}` is in schema `{s}`, but this file's objects are in `{prev}`",
                        c.text.lines().next().unwrap_or_default()
                    ),
                    "a SQL model file holds one schema's objects, as a YAML one does: move it to a file of its own",
                )),
                _ => {
                    schema = Some(s.clone());
                    Ok(s)
                }
            }
        };
        if c.eat("set") {
            if !(c.eat("search_path") && (c.eat("to") || c.eat_char('='))) {
                return Err(at(
                    format!("`{}` is not read from a model file", st.sql),
                    "only `SET search_path TO schema` is: it names the file's schema",
                ));
            }
            let first = c.ident().ok_or_else(|| {
                at(
                    "`SET search_path` names no schema".into(),
                    "write `SET search_path TO schema`",
                )
            })?;
            if schema.is_some() {
                return Err(at(
                    "`SET search_path` comes after the file's first object".into(),
                    "put it first: it names the schema of every object in the file",
                ));
            }
            schema = Some(first);
            continue;
        }
        if c.eat("alter") {
            if let Some((s, table, force, on)) = policy::parse_switch(&mut c) {
                take_schema(s, &c)?;
                doc.sql_row_security.push(super::doc::SqlRowSecurity {
                    table,
                    force,
                    on,
                    line: st.line as u64,
                });
                continue;
            }
            let (s, relation, name, state) =
                trigger::parse_state(&mut c, first_line(&st.sql)).map_err(|(m, h)| at(m, &h))?;
            let s = take_schema(s, &c)?;
            let Some(t) = earlier_trigger(&mut doc, &relation, &name) else {
                return Err(at(
                    format!(
                        "`{}`: no trigger `{name}` on `{s}.{relation}` earlier in this file",
                        first_line(&st.sql)
                    ),
                    "set a trigger's state after its CREATE TRIGGER, in the same file",
                ));
            };
            t.doc.enabled = Some(state.into());
            continue;
        }
        if c.eat("grant") {
            let g = grant::parse(&mut c, st.line as u64).map_err(|(m, h)| at(m, &h))?;
            for o in &g.objects {
                take_schema(o.schema.clone(), &c)?;
            }
            doc.sql_grants.push(g);
            continue;
        }
        if c.eat("revoke") {
            return Err(at(
                format!(
                    "`{}`: a model states what each role may do, so a REVOKE has nothing to take away",
                    first_line(&st.sql)
                ),
                "leave the privilege out of the model's GRANTs (list `public` under `roles:` in a YAML file of the service to take PUBLIC's default EXECUTE or USAGE away)",
            ));
        }
        if c.eat("comment") {
            if !c.eat("on") {
                return Err(unread(&at, &st.sql));
            }
            if c.eat("policy") {
                let (s, table, name) =
                    comment_target(&mut c, "POLICY").map_err(|(m, h)| at(m, &h))?;
                let s = take_schema(s, &c)?;
                let text = comment_text(&mut c, &at)?;
                let Some(p) = doc
                    .sql_policies
                    .iter_mut()
                    .find(|p| p.table == table && p.name == name)
                else {
                    return Err(at(
                        format!(
                            "`COMMENT ON POLICY {name} ON {s}.{table}`: no such policy earlier in this file"
                        ),
                        "comment on a policy after its CREATE POLICY, in the same file",
                    ));
                };
                p.doc.comment = text;
                continue;
            }
            if c.eat("trigger") {
                let (s, relation, name) =
                    comment_target(&mut c, "TRIGGER").map_err(|(m, h)| at(m, &h))?;
                let s = take_schema(s, &c)?;
                let text = comment_text(&mut c, &at)?;
                let Some(t) = earlier_trigger(&mut doc, &relation, &name) else {
                    return Err(at(
                        format!(
                            "`COMMENT ON TRIGGER {name} ON {s}.{relation}`: no such trigger earlier in this file"
                        ),
                        "comment on a trigger after its CREATE TRIGGER, in the same file",
                    ));
                };
                t.doc.comment = text;
                continue;
            }
            let procedure = c.eat("procedure");
            if procedure || c.eat("function") {
                let kind = if procedure { "procedure" } else { "function" };
                let (s, name) = c.qualified().ok_or_else(|| {
                    at(
                        format!("`COMMENT ON {}` names none", kind.to_uppercase()),
                        "name it with its arguments",
                    )
                })?;
                let s = take_schema(s, &c)?;
                let args = c.paren_list().map(|a| a.join(", "));
                let text = comment_text(&mut c, &at)?;
                let signature = |a: &str| {
                    crate::ir::parse_arguments(a)
                        .map(|a| crate::ir::signature_of(&a, &s, procedure))
                        .unwrap_or_default()
                };
                let wanted = args.as_deref().map(signature);
                let found: Vec<&String> = doc
                    .functions
                    .iter()
                    .filter(|(label, f)| {
                        f.value.name.as_deref().unwrap_or(label.as_str()) == name
                            && f.value.procedure == procedure
                            && wanted
                                .as_ref()
                                .is_none_or(|w| *w == signature(&f.value.arguments))
                    })
                    .map(|(label, _)| label)
                    .collect();
                let [label] = found.as_slice() else {
                    return Err(at(
                        format!(
                            "`COMMENT ON {} {s}.{name}`: no single such {kind} earlier in this file",
                            kind.to_uppercase()
                        ),
                        "comment on a function after its CREATE, in the same file, naming its argument types",
                    ));
                };
                let label = (*label).clone();
                if let Some(f) = doc.functions.get_mut(&label) {
                    f.value.comment = text;
                }
                continue;
            }
            let materialized = c.eat("materialized");
            if !c.eat("view") {
                return Err(at(
                    format!("`{}` is not read from a model file", first_line(&st.sql)),
                    "a SQL model file comments on its views only; comment on a table in its YAML file",
                ));
            }
            let (s, name) = c
                .qualified()
                .ok_or_else(|| at("`COMMENT ON VIEW` names no view".into(), "name the view"))?;
            let s = take_schema(s, &c)?;
            let text = comment_text(&mut c, &at)?;
            let Some(v) = doc.views.get_mut(&name) else {
                return Err(at(
                    format!("`COMMENT ON VIEW {s}.{name}`: no such view earlier in this file"),
                    "comment on a view after its CREATE VIEW, in the same file",
                ));
            };
            if v.value.materialized != materialized {
                return Err(at(
                    format!(
                        "`{s}.{name}` is {}a materialized view",
                        if v.value.materialized { "" } else { "not " }
                    ),
                    "write COMMENT ON MATERIALIZED VIEW for a materialized view, COMMENT ON VIEW for a view",
                ));
            }
            v.value.comment = text;
            continue;
        }
        if !c.eat("create") {
            return Err(unread(&at, &st.sql));
        }
        let replace = c.eat("or") && c.eat("replace");
        if !replace && c.eat("policy") {
            let (s, table, name, p) = policy::parse(&mut c).map_err(|(m, h)| at(m, &h))?;
            take_schema(s, &c)?;
            if doc
                .sql_policies
                .iter()
                .any(|o| o.table == table && o.name == name)
            {
                return Err(at(
                    format!("policy `{name}` on `{table}` is created twice in this file"),
                    "declare each policy once",
                ));
            }
            doc.sql_policies.push(super::doc::SqlPolicy {
                table,
                name,
                doc: p,
                line: st.line as u64,
            });
            continue;
        }
        let constraint = c.eat("constraint");
        if constraint || c.eat("trigger") {
            if constraint && !c.eat("trigger") {
                return Err(unread(&at, &st.sql));
            }
            let (s, relation, name, t) =
                trigger::parse(&mut c, constraint).map_err(|(m, h)| at(m, &h))?;
            take_schema(s, &c)?;
            if earlier_trigger(&mut doc, &relation, &name).is_some() {
                return Err(at(
                    format!("trigger `{name}` on `{relation}` is created twice in this file"),
                    "declare each trigger once",
                ));
            }
            doc.sql_triggers.push(super::doc::SqlTrigger {
                relation,
                name,
                doc: t,
                line: st.line as u64,
            });
            continue;
        }
        let procedure = c.eat("procedure");
        if procedure || c.eat("function") {
            let (s, name, f) = function::parse(&mut c, procedure).map_err(|(m, h)| at(m, &h))?;
            let s = take_schema(s, &c)?;
            let sig = crate::ir::parse_arguments(&f.arguments)
                .map(|a| crate::ir::signature_of(&a, &s, procedure))
                .unwrap_or_default();
            let clash = doc.functions.iter().any(|(label, g)| {
                g.value.name.as_deref().unwrap_or(label.as_str()) == name
                    && crate::ir::parse_arguments(&g.value.arguments)
                        .map(|a| crate::ir::signature_of(&a, &s, g.value.procedure))
                        .unwrap_or_default()
                        == sig
            });
            if clash {
                return Err(at(
                    format!("function `{s}.{name}({sig})` is created twice in this file"),
                    "declare each function once",
                ));
            }
            let mut f = f;
            let label = if doc.functions.contains_key(&name) {
                f.name = Some(name.clone());
                format!("{name}({sig})")
            } else {
                name
            };
            doc.sql_lines
                .insert(format!("function {label}"), st.line as u64);
            doc.functions.insert(label, sp(f));
            continue;
        }
        let unique = !replace && c.eat("unique");
        if c.eat("index") {
            let name = c.ident().filter(|n| n != "on").ok_or_else(|| {
                at(
                    "an index of a SQL model file needs a name".into(),
                    "write `CREATE INDEX name ON view (...)`: a name Postgres makes up would not compare",
                )
            })?;
            if !c.eat("on") {
                return Err(at(
                    format!("index `{name}`: `ON` expected"),
                    "write `CREATE INDEX name ON view (...)`",
                ));
            }
            c.eat("only");
            let (s, view) = c.qualified().ok_or_else(|| {
                at(
                    format!("index `{name}` names no view"),
                    "write `CREATE INDEX name ON view (...)`",
                )
            })?;
            let s = take_schema(s, &c)?;
            let method = if c.eat("using") { c.ident() } else { None };
            let columns = c.paren_list().ok_or_else(|| {
                at(
                    format!("index `{name}`: no list of keys"),
                    "write the keys in parentheses",
                )
            })?;
            let include = if c.eat("include") {
                c.paren_list().unwrap_or_default()
            } else {
                Vec::new()
            };
            let predicate = if c.eat("where") {
                Some(c.rest().trim().to_string())
            } else {
                None
            };
            if predicate.is_none() && !c.rest().trim().is_empty() {
                return Err(at(
                    format!("index `{name}`: `{}` is not read", c.rest().trim()),
                    "a SQL model file reads CREATE INDEX name ON view [USING method] (keys) [INCLUDE (...)] [WHERE ...]",
                ));
            }
            let Some(v) = doc.views.get_mut(&view).filter(|v| v.value.materialized) else {
                return Err(at(
                    format!(
                        "index `{name}` is on `{s}.{view}`, which is not a materialized view earlier in this file"
                    ),
                    "declare a table's indexes in its YAML file; here, index a materialized view after its CREATE",
                ));
            };
            let doc_index = IndexDoc {
                columns,
                unique,
                method,
                include,
                predicate,
                ..IndexDoc::default()
            };
            v.value.indexes.insert(name.clone(), sp(doc_index));
            doc.sql_lines.insert(name, st.line as u64);
            continue;
        }
        let materialized = c.eat("materialized");
        if !c.eat("view") {
            return Err(unread(&at, &st.sql));
        }
        if replace && materialized {
            return Err(at(
                "Postgres has no CREATE OR REPLACE MATERIALIZED VIEW".into(),
                "write CREATE MATERIALIZED VIEW",
            ));
        }
        c.eat("if");
        let (s, name) = c
            .qualified()
            .ok_or_else(|| at("`CREATE VIEW` names no view".into(), "name the view"))?;
        let s = take_schema(s, &c)?;
        let mut view = ViewDoc {
            materialized,
            ..ViewDoc::default()
        };
        if c.rest().trim_start().starts_with('(') {
            for col in c.paren_list().unwrap_or_default() {
                let mut cc = Cursor::new(&col);
                view.columns.push(cc.ident().ok_or_else(|| {
                    at(
                        format!("view `{s}.{name}`: `{col}` is not a column name"),
                        "list the columns' names",
                    )
                })?);
            }
        }
        if c.eat("with") {
            for option in c.paren_list().ok_or_else(|| {
                at(
                    format!("view `{s}.{name}`: `WITH` without options"),
                    "write `WITH (option = value, ...)`",
                )
            })? {
                let (key, value) = match option.split_once('=') {
                    Some((k, v)) => (
                        k.trim().to_lowercase(),
                        v.trim().trim_matches('\'').to_string(),
                    ),
                    None => (option.trim().to_lowercase(), "true".to_string()),
                };
                let on = matches!(value.to_lowercase().as_str(), "true" | "on" | "yes" | "1");
                match (materialized, key.as_str()) {
                    (false, "security_barrier") => view.security_barrier = on,
                    (false, "security_invoker") => view.security_invoker = on,
                    (false, "check_option") => view.check_option = Some(value.to_lowercase()),
                    (true, _) => {
                        view.storage.insert(key, value);
                    }
                    (false, other) => {
                        return Err(at(
                            format!("view `{s}.{name}`: `{other}` is not an option of a view"),
                            "a view takes security_barrier, security_invoker and check_option",
                        ));
                    }
                }
            }
        }
        if !c.eat("as") {
            return Err(at(
                format!("view `{s}.{name}`: `AS` expected"),
                "write `CREATE VIEW name AS SELECT ...`",
            ));
        }
        let mut query = c.rest().trim();
        if materialized {
            if let Some(q) = strip_tail(query, &["with", "no", "data"]) {
                query = q;
                view.with_data = Some(false);
            } else if let Some(q) = strip_tail(query, &["with", "data"]) {
                query = q;
            }
        } else {
            for (words, option) in [
                (&["with", "cascaded", "check", "option"][..], "cascaded"),
                (&["with", "local", "check", "option"][..], "local"),
                (&["with", "check", "option"][..], "cascaded"),
            ] {
                if let Some(q) = strip_tail(query, words) {
                    query = q;
                    view.check_option = Some(option.into());
                    break;
                }
            }
        }
        view.query = query.to_string();
        if doc.views.contains_key(&name) {
            return Err(at(
                format!("view `{s}.{name}` is created twice in this file"),
                "declare each view once",
            ));
        }
        doc.views.insert(name.clone(), sp(view));
        doc.sql_lines.insert(name, st.line as u64);
    }
    doc.schema = schema;
    Ok(doc)
}

/// The trigger `name` on `relation` that the file created before the statement being read.
fn earlier_trigger<'a>(
    doc: &'a mut FileDoc,
    relation: &str,
    name: &str,
) -> Option<&'a mut super::doc::SqlTrigger> {
    doc.sql_triggers
        .iter_mut()
        .find(|t| t.relation == relation && t.name == name)
}

/// `name ON table` of `COMMENT ON TRIGGER` or `COMMENT ON POLICY` (`kind`), the cursor past
/// the kind.
fn comment_target(
    c: &mut Cursor,
    kind: &str,
) -> Result<(Option<String>, String, String), (String, String)> {
    let name = c.ident();
    let relation = if c.eat("on") { c.qualified() } else { None };
    match (name, relation) {
        (Some(name), Some((s, relation))) => Ok((s, relation, name)),
        _ => Err((
            format!(
                "`COMMENT ON {kind}` names no {} and table",
                kind.to_lowercase()
            ),
            format!("write `COMMENT ON {kind} name ON table IS '...'`"),
        )),
    }
}

/// `IS 'text'` or `IS NULL` of a `COMMENT ON`.
fn comment_text(
    c: &mut Cursor,
    at: &impl Fn(String, &str) -> ModelError,
) -> Result<Option<String>, ModelError> {
    if !c.eat("is") {
        return Err(at(
            "`COMMENT ON` without `IS`".into(),
            "write `COMMENT ON ... IS '...'`",
        ));
    }
    if c.eat("null") {
        return Ok(None);
    }
    c.literal().map(Some).ok_or_else(|| {
        at(
            "the comment is not a string literal ('...')".into(),
            "write the comment as '...', doubling any quote inside it",
        )
    })
}

fn first_line(sql: &str) -> &str {
    sql.lines().next().unwrap_or_default()
}

fn unread(at: &impl Fn(String, &str) -> ModelError, sql: &str) -> ModelError {
    at(
        format!("`{}` is not read from a SQL model file", first_line(sql)),
        "a SQL model file declares views, functions, triggers and policies (CREATE VIEW, CREATE MATERIALIZED VIEW, CREATE FUNCTION, CREATE PROCEDURE, CREATE TRIGGER, CREATE POLICY, their COMMENT ON, a trigger's ALTER TABLE ... ENABLE|DISABLE TRIGGER, ALTER TABLE ... ENABLE|FORCE ROW LEVEL SECURITY, GRANT and a materialized view's CREATE INDEX); declare tables, types and the rest in YAML",
    )
}

#[cfg(test)]
mod tests;
