//! `CREATE [OR REPLACE] FUNCTION | PROCEDURE` in a SQL model file -> a [`FunctionDoc`].
//!
//! Reads the clauses Postgres documents for both (RETURNS, LANGUAGE, volatility, strictness,
//! SECURITY, LEAKPROOF, PARALLEL, COST, ROWS, SET, `AS` with a quoted or dollar-quoted body, and
//! SQL-standard `BEGIN ATOMIC ... END` / `RETURN` bodies). A clause it does not read (WINDOW,
//! TRANSFORM, SUPPORT, `SET ... FROM CURRENT`, a C function's object file) is an error: nothing
//! in a model file is ever ignored.

use super::cursor::Cursor;
use crate::model::doc::FunctionDoc;

/// Words that start a clause after the argument list: where a RETURNS type or a SET value ends.
const CLAUSES: [&str; 22] = [
    "language",
    "transform",
    "window",
    "immutable",
    "stable",
    "volatile",
    "not",
    "leakproof",
    "called",
    "returns",
    "strict",
    "external",
    "security",
    "parallel",
    "cost",
    "rows",
    "support",
    "set",
    "as",
    "begin",
    "return",
    "reset",
];

/// The text up to the next clause word outside parentheses and quotes, consumed.
fn until_clause(c: &mut Cursor) -> String {
    c.skip_space();
    let r = c.rest();
    let b = r.as_bytes();
    let mut depth = 0i32;
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < b.len() {
        let ch = b[i];
        if let Some(q) = quote {
            if ch == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match ch {
            b'\'' | b'"' => quote = Some(ch),
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth -= 1,
            _ if depth == 0
                && (ch.is_ascii_alphabetic())
                && (i == 0 || b[i - 1].is_ascii_whitespace() || b[i - 1] == b')') =>
            {
                let end = r[i..]
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .map_or(r.len(), |n| i + n);
                let word = r[i..end].to_ascii_lowercase();
                if CLAUSES.contains(&word.as_str()) {
                    break;
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    let out = r[..i].trim().to_string();
    c.advance(i);
    out
}

/// A number (COST, ROWS).
fn number(c: &mut Cursor) -> Option<f64> {
    c.skip_space();
    let r = c.rest();
    let n = r
        .find(|ch: char| !(ch.is_ascii_digit() || ch == '.' || ch == 'e' || ch == 'E'))
        .unwrap_or(r.len());
    let v = r[..n].parse().ok()?;
    c.advance(n);
    Some(v)
}

/// A body: `'...'` (with `''` for a quote) or `$tag$...$tag$`.
fn quoted_body(c: &mut Cursor) -> Option<String> {
    c.skip_space();
    if c.rest().starts_with('\'') {
        return c.literal();
    }
    let r = c.rest();
    let rest = r.strip_prefix('$')?;
    let tag_len = rest.find('$')?;
    let tag = &r[..tag_len + 2];
    if !tag[1..tag.len() - 1]
        .chars()
        .all(|ch| ch.is_alphanumeric() || ch == '_')
    {
        return None;
    }
    let body_end = r[tag.len()..].find(tag)? + tag.len();
    let body = r[tag.len()..body_end].to_string();
    c.advance(body_end + tag.len());
    Some(body)
}

/// A SET value as `proconfig` would hold it: literals unquoted; in a list of names (the search
/// path), a literal that is not a plain name double-quoted, as Postgres writes it.
fn config_value(setting: &str, text: &str) -> String {
    let list = setting == "search_path"
        || setting.ends_with("_tablespaces")
        || setting.ends_with("_libraries");
    crate::ir::split_top_level(text)
        .iter()
        .map(
            |item| match item.strip_prefix('\'').and_then(|i| i.strip_suffix('\'')) {
                Some(inner) => {
                    let inner = inner.replace("''", "'");
                    let plain = !inner.is_empty()
                        && inner.chars().all(|ch| {
                            ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_' || ch == '$'
                        });
                    if plain || !list || item == "''" {
                        inner
                    } else {
                        format!("\"{}\"", inner.replace('"', "\"\""))
                    }
                }
                None => item.clone(),
            },
        )
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads a function or procedure after `CREATE [OR REPLACE] FUNCTION`: the schema (if
/// qualified), the name and the document; or what is wrong, with what to do.
pub(super) fn parse(
    c: &mut Cursor,
    procedure: bool,
) -> Result<(Option<String>, String, FunctionDoc), (String, String)> {
    let kind = if procedure { "procedure" } else { "function" };
    let err = |m: String, h: &str| (m, h.to_string());
    let (schema, name) = c.qualified().ok_or_else(|| {
        err(
            format!("`CREATE {}` names no {kind}", kind.to_uppercase()),
            "name it",
        )
    })?;
    let arguments = c
        .paren_list()
        .ok_or_else(|| {
            err(
                format!("{kind} `{name}`: no argument list"),
                "write `()` when it takes none",
            )
        })?
        .join(", ");
    let mut d = FunctionDoc {
        procedure,
        arguments: if arguments.trim().is_empty() {
            String::new()
        } else {
            arguments
        },
        ..FunctionDoc::default()
    };
    let mut body = None;
    loop {
        c.skip_space();
        if c.rest().is_empty() {
            break;
        }
        if c.eat("returns") {
            if c.eat("null") {
                if !(c.eat("on") && c.eat("null") && c.eat("input")) {
                    return Err(err(
                        format!("{kind} `{name}`: `RETURNS NULL` without `ON NULL INPUT`"),
                        "write RETURNS NULL ON NULL INPUT, or STRICT",
                    ));
                }
                d.strict = true;
            } else {
                let t = until_clause(c);
                if t.is_empty() {
                    return Err(err(
                        format!("{kind} `{name}`: `RETURNS` names no type"),
                        "write what it returns",
                    ));
                }
                d.returns = Some(t);
            }
        } else if c.eat("language") {
            let lang = c.ident().or_else(|| c.literal()).ok_or_else(|| {
                err(
                    format!("{kind} `{name}`: `LANGUAGE` names none"),
                    "write LANGUAGE sql, plpgsql, ...",
                )
            })?;
            d.language = Some(lang.to_lowercase());
        } else if c.eat("immutable") {
            d.volatility = Some("immutable".into());
        } else if c.eat("stable") {
            d.volatility = Some("stable".into());
        } else if c.eat("volatile") {
            d.volatility = Some("volatile".into());
        } else if c.eat("not") {
            if !c.eat("leakproof") {
                return Err(err(
                    format!("{kind} `{name}`: `NOT` without `LEAKPROOF`"),
                    "write NOT LEAKPROOF",
                ));
            }
            d.leakproof = false;
        } else if c.eat("leakproof") {
            d.leakproof = true;
        } else if c.eat("called") {
            if !(c.eat("on") && c.eat("null") && c.eat("input")) {
                return Err(err(
                    format!("{kind} `{name}`: `CALLED` without `ON NULL INPUT`"),
                    "write CALLED ON NULL INPUT",
                ));
            }
            d.strict = false;
        } else if c.eat("strict") {
            d.strict = true;
        } else if c.eat("external") || c.eat("security") {
            c.eat("security");
            if c.eat("definer") {
                d.security_definer = true;
            } else if c.eat("invoker") {
                d.security_definer = false;
            } else {
                return Err(err(
                    format!("{kind} `{name}`: `SECURITY` is neither DEFINER nor INVOKER"),
                    "write SECURITY DEFINER or SECURITY INVOKER",
                ));
            }
        } else if c.eat("parallel") {
            let p = c.ident().unwrap_or_default();
            if !matches!(p.as_str(), "safe" | "restricted" | "unsafe") {
                return Err(err(
                    format!("{kind} `{name}`: `PARALLEL {p}` is not a parallel mode"),
                    "write PARALLEL SAFE, RESTRICTED or UNSAFE",
                ));
            }
            d.parallel = Some(p);
        } else if c.eat("cost") {
            d.cost = Some(number(c).ok_or_else(|| {
                err(
                    format!("{kind} `{name}`: `COST` without a number"),
                    "write COST 100",
                )
            })?);
        } else if c.eat("rows") {
            d.rows = Some(number(c).ok_or_else(|| {
                err(
                    format!("{kind} `{name}`: `ROWS` without a number"),
                    "write ROWS 1000",
                )
            })?);
        } else if c.eat("set") {
            let setting = c.ident().ok_or_else(|| {
                err(
                    format!("{kind} `{name}`: `SET` names no setting"),
                    "write SET search_path = ...",
                )
            })?;
            if c.eat("from") {
                return Err(err(
                    format!(
                        "{kind} `{name}`: `SET {setting} FROM CURRENT` is not read from a model file"
                    ),
                    "write the value itself: SET search_path = public",
                ));
            }
            if !(c.eat("to") || c.eat_char('=')) {
                return Err(err(
                    format!("{kind} `{name}`: `SET {setting}` without `TO` or `=`"),
                    "write SET setting = value",
                ));
            }
            let value = config_value(&setting, &until_clause(c));
            d.set.insert(setting, value);
        } else if c.eat("as") {
            let b = quoted_body(c).ok_or_else(|| {
                err(
                    format!("{kind} `{name}`: the body after `AS` is not a quoted string"),
                    "write AS $$ ... $$",
                )
            })?;
            c.skip_space();
            if c.rest().starts_with(',') {
                return Err(err(
                    format!(
                        "{kind} `{name}`: a C function's object file is not read from a model file"
                    ),
                    "manage C functions in a hand-written migration",
                ));
            }
            body = Some(b);
        } else if c
            .rest()
            .get(..5)
            .is_some_and(|w| w.eq_ignore_ascii_case("begin"))
            || c.rest()
                .get(..6)
                .is_some_and(|w| w.eq_ignore_ascii_case("return"))
        {
            // A SQL-standard body ends the statement.
            body = Some(c.rest().trim().to_string());
            c.advance(c.rest().len());
        } else {
            let word = c
                .rest()
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
            return Err(err(
                format!("{kind} `{name}`: `{word}` is not read from a model file"),
                "a model function reads RETURNS, LANGUAGE, IMMUTABLE/STABLE/VOLATILE, STRICT, SECURITY DEFINER, LEAKPROOF, PARALLEL, COST, ROWS, SET and its body; manage WINDOW, TRANSFORM and SUPPORT functions in a hand-written migration",
            ));
        }
    }
    d.body = body.ok_or_else(|| {
        err(
            format!("{kind} `{name}` has no body"),
            "write AS $$ ... $$ or BEGIN ATOMIC ... END",
        )
    })?;
    Ok((schema, name, d))
}
