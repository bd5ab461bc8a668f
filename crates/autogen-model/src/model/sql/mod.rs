//! SQL model files (`*.sql`) -> a model document. Bodies are easier to write and review as SQL
//! than as YAML strings, so a service may declare its views and functions as the `CREATE`
//! statements a team already writes; what Postgres makes of them is read back through the
//! shadow, as for a YAML model.
//!
//! Input: the text of one file and the path used in messages. Output: a [`FileDoc`] of one
//! schema's views (with their comments and a materialized view's indexes) and functions, each
//! with the line it was declared on. Read: `SET search_path` (its first schema is the file's),
//! `CREATE [OR REPLACE] [MATERIALIZED] VIEW`, `CREATE [OR REPLACE] FUNCTION | PROCEDURE`,
//! `COMMENT ON [MATERIALIZED] VIEW | FUNCTION | PROCEDURE`, and `CREATE [UNIQUE] INDEX` on one of
//! the file's materialized views. Any other statement is an error naming its line: nothing in a
//! model file is ever ignored.

use super::doc::{FileDoc, IndexDoc, ViewDoc};
use super::dump::sp;
use crate::error::ModelError;
use crate::sqltext::{statements, without_comments};
use std::path::Path;

mod cursor;
mod function;
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
        if c.eat("comment") {
            if !c.eat("on") {
                return Err(unread(&at, &st.sql));
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
                if !c.eat("is") {
                    return Err(at(
                        "`COMMENT ON` without `IS`".into(),
                        "write `COMMENT ON FUNCTION name(args) IS '...'`",
                    ));
                }
                let text = if c.eat("null") {
                    None
                } else {
                    Some(c.literal().ok_or_else(|| {
                        at(
                            "the comment is not a string literal ('...')".into(),
                            "write the comment as '...', doubling any quote inside it",
                        )
                    })?)
                };
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
            let text = if c.eat("is") {
                if c.eat("null") {
                    None
                } else {
                    Some(c.literal().ok_or_else(|| {
                        at(
                            "the comment is not a string literal ('...')".into(),
                            "write the comment as '...', doubling any quote inside it",
                        )
                    })?)
                }
            } else {
                return Err(at(
                    "`COMMENT ON` without `IS`".into(),
                    "write `COMMENT ON VIEW name IS '...'`",
                ));
            };
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

fn first_line(sql: &str) -> &str {
    sql.lines().next().unwrap_or_default()
}

fn unread(at: &impl Fn(String, &str) -> ModelError, sql: &str) -> ModelError {
    at(
        format!("`{}` is not read from a SQL model file", first_line(sql)),
        "a SQL model file declares views and functions (CREATE VIEW, CREATE MATERIALIZED VIEW, CREATE FUNCTION, CREATE PROCEDURE, their COMMENT ON and a materialized view's CREATE INDEX); declare tables, types and the rest in YAML",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load_sources;
    use std::path::PathBuf;

    const FILE: &str = r#"-- Reporting views, as the team writes them.
SET search_path TO reporting;

CREATE OR REPLACE VIEW "Open Notes" (id, who) WITH (security_barrier, check_option = 'local') AS
    SELECT n.id, n.owner   -- the owner's id
    FROM notes.notes n
    WHERE n.state = 'draft; not done'
    WITH LOCAL CHECK OPTION;
COMMENT ON VIEW "Open Notes" IS 'what''s left';

CREATE MATERIALIZED VIEW counts WITH (fillfactor = 70) AS
    SELECT owner, count(*) AS n FROM notes.notes GROUP BY owner
    WITH NO DATA;
CREATE UNIQUE INDEX counts_owner ON counts (owner) WHERE n > 0;
"#;

    #[test]
    fn views_comments_and_indexes_are_read_with_their_lines() {
        let doc = parse(Path::new("r.sql"), FILE).expect("parses");
        assert_eq!(doc.schema.as_deref(), Some("reporting"));
        let open = &doc.views["Open Notes"].value;
        assert_eq!(open.columns, vec!["id", "who"]);
        assert!(open.security_barrier && !open.materialized);
        assert_eq!(open.check_option.as_deref(), Some("local"));
        assert_eq!(open.comment.as_deref(), Some("what's left"));
        assert!(
            open.query.starts_with("SELECT n.id, n.owner"),
            "{}",
            open.query
        );
        assert!(
            open.query.ends_with("WHERE n.state = 'draft; not done'"),
            "{}",
            open.query
        );
        assert!(!open.query.contains("owner's id"));
        let counts = &doc.views["counts"].value;
        assert!(counts.materialized);
        assert_eq!(counts.with_data, Some(false));
        assert_eq!(
            counts.storage.get("fillfactor").map(String::as_str),
            Some("70")
        );
        let idx = &counts.indexes["counts_owner"].value;
        assert!(idx.unique);
        assert_eq!(idx.columns, vec!["owner"]);
        assert_eq!(idx.predicate.as_deref(), Some("n > 0"));
        assert_eq!(doc.sql_lines["Open Notes"], 4);
        assert_eq!(doc.sql_lines["counts"], 11);
        assert_eq!(doc.sql_lines["counts_owner"], 14);
    }

    #[test]
    fn functions_and_procedures_are_read_with_every_clause() {
        let text = "SET search_path TO app;
CREATE OR REPLACE FUNCTION f(a integer, b text DEFAULT 'x;y') RETURNS SETOF app.t
  LANGUAGE plpgsql STABLE STRICT SECURITY DEFINER LEAKPROOF PARALLEL SAFE COST 5 ROWS 20
  SET search_path = 'My S', public SET work_mem TO '8MB'
AS $body$ BEGIN RETURN QUERY SELECT 1; -- kept
END $body$;
CREATE FUNCTION f(a numeric) RETURNS TABLE (x int, y text) LANGUAGE sql
BEGIN ATOMIC
  SELECT 1, 'a';
END;
COMMENT ON FUNCTION f(numeric) IS 'the numeric one';
CREATE PROCEDURE p(INOUT n int) LANGUAGE sql AS 'SELECT n + 1';
";
        let doc = parse(Path::new("f.sql"), text).expect("parses");
        let f = &doc.functions["f"].value;
        assert_eq!(f.arguments, "a integer, b text DEFAULT 'x;y'");
        assert_eq!(f.returns.as_deref(), Some("SETOF app.t"));
        assert_eq!(f.language.as_deref(), Some("plpgsql"));
        assert_eq!(f.volatility.as_deref(), Some("stable"));
        assert!(f.strict && f.security_definer && f.leakproof);
        assert_eq!(f.parallel.as_deref(), Some("safe"));
        assert_eq!((f.cost, f.rows), (Some(5.0), Some(20.0)));
        assert_eq!(f.set["search_path"], "\"My S\", public");
        assert_eq!(f.set["work_mem"], "8MB");
        assert_eq!(f.body, " BEGIN RETURN QUERY SELECT 1; -- kept\nEND ");
        let g = &doc.functions["f(numeric)"].value;
        assert_eq!(g.name.as_deref(), Some("f"));
        assert_eq!(g.returns.as_deref(), Some("TABLE (x int, y text)"));
        assert!(
            g.body.starts_with("BEGIN ATOMIC") && g.body.ends_with("END"),
            "{}",
            g.body
        );
        assert_eq!(g.comment.as_deref(), Some("the numeric one"));
        let p = &doc.functions["p"].value;
        assert!(p.procedure && p.returns.is_none());
        assert_eq!(p.body, "SELECT n + 1");
        assert_eq!(doc.sql_lines["function f(numeric)"], 7);
        let bad = parse(
            Path::new("f.sql"),
            "CREATE FUNCTION w() RETURNS int LANGUAGE sql WINDOW AS 'select 1';",
        )
        .expect_err("refused");
        assert!(
            bad.message.contains("`WINDOW` is not read"),
            "{}",
            bad.message
        );
    }

    #[test]
    fn anything_else_is_an_error_naming_its_line() {
        let bad = |text: &str| {
            parse(Path::new("r.sql"), text)
                .err()
                .map(|e| (e.line, e.message))
        };
        let (line, msg) =
            bad("CREATE VIEW a AS SELECT 1;\n\nCREATE TABLE t (id int);").expect("refused");
        assert_eq!(line, 3);
        assert!(
            msg.contains("`CREATE TABLE t (id int)` is not read"),
            "{msg}"
        );
        let (_, msg) =
            bad("CREATE VIEW a.v AS SELECT 1;\nCREATE VIEW b.v AS SELECT 1;").expect("refused");
        assert!(
            msg.contains("in schema `b`, but this file's objects are in `a`"),
            "{msg}"
        );
        let (_, msg) = bad("CREATE INDEX ON v (x);").expect("refused");
        assert!(msg.contains("needs a name"), "{msg}");
        let (line, msg) =
            bad("CREATE VIEW v AS SELECT 1;\nDROP TABLE notes.notes;").expect("refused");
        assert_eq!(line, 2);
        assert!(msg.contains("DROP TABLE"), "{msg}");
    }

    #[test]
    fn the_same_view_in_yaml_and_sql_names_both_files() {
        let sources = vec![
            (
                PathBuf::from("schema/r.yaml"),
                "schema: reporting\nviews:\n  counts:\n    query: SELECT 1 AS n\n".to_string(),
            ),
            (PathBuf::from("schema/r.sql"), FILE.to_string()),
        ];
        let e = load_sources(&sources).expect_err("a clash").to_string();
        assert!(
            e.contains("schema/r.sql:11") && e.contains("declared at schema/r.yaml:4"),
            "{e}"
        );
    }
}
