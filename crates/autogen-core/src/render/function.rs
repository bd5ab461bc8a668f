//! DDL for functions and procedures. The argument list, result and body are pasted as Postgres
//! prints them (read back from the catalog or the shadow) or, for a model read without a shadow,
//! as written; the body goes inside a dollar quote whose tag it does not contain. Names, setting
//! values and comments go through `ir::quote`.

use crate::diff::{FunctionChange, FunctionUse};
use autogen_model::ir::Function;
use autogen_model::ir::quote::{ident, literal, qname};

pub(super) fn describe(c: &FunctionChange) -> String {
    let f = c.after();
    let verb = match c {
        FunctionChange::Create(..) => "create",
        FunctionChange::Drop(..) => "drop",
        FunctionChange::Replace { .. } => "replace",
        FunctionChange::Comment { .. } => "comment on",
    };
    format!("{verb} {} `{}`", f.kind_text(), f.describe())
}

pub(super) fn statements(c: &FunctionChange) -> Vec<String> {
    match c {
        FunctionChange::Create(f, uses) => create(f, false, uses),
        FunctionChange::Drop(f, _) => vec![format!("DROP {} {}", keyword(f), signature(f))],
        FunctionChange::Replace {
            before,
            after,
            uses,
        } => {
            let mut out = create(after, true, uses);
            // `create` sets a comment only when there is one; a replacement may remove it.
            if after.comment.is_none() && before.comment.is_some() {
                out.push(comment(after));
            }
            out
        }
        FunctionChange::Comment { after, .. } => vec![comment(after)],
    }
}

fn keyword(f: &Function) -> &'static str {
    if f.procedure { "PROCEDURE" } else { "FUNCTION" }
}

/// `schema.name(types)`: how DROP and COMMENT ON name one overload.
fn signature(f: &Function) -> String {
    format!("{}({})", qname(&f.name), f.signature)
}

fn comment(f: &Function) -> String {
    format!(
        "COMMENT ON {} {} IS {}",
        keyword(f),
        signature(f),
        f.comment.as_deref().map_or_else(|| "NULL".into(), literal)
    )
}

/// Settings whose value is a list of names (`search_path = a, b`): each element is given as a
/// literal of its own, as `pg_get_functiondef` writes them, or the list would be one name.
const LIST_SETTINGS: [&str; 5] = [
    "search_path",
    "temp_tablespaces",
    "session_preload_libraries",
    "shared_preload_libraries",
    "local_preload_libraries",
];

/// One `SET` clause from a `proconfig` entry (`search_path=public, "My Schema"`).
fn set_clause(entry: &str) -> String {
    let (name, value) = entry.split_once('=').unwrap_or((entry, ""));
    let key = name.split('.').map(ident).collect::<Vec<_>>().join(".");
    if !LIST_SETTINGS.contains(&name) {
        return format!("SET {key} TO {}", literal(value));
    }
    let elements: Vec<String> = split_names(value).iter().map(|e| literal(e)).collect();
    format!("SET {key} TO {}", elements.join(", "))
}

/// A list setting's elements with their double quotes taken off.
fn split_names(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur).trim().to_string()),
            c if !quoted && c.is_whitespace() => {}
            c => cur.push(c),
        }
    }
    out.push(cur.trim().to_string());
    out
}

/// A dollar-quote tag the body does not contain.
fn tag_for(body: &str) -> String {
    let mut n = 0;
    loop {
        let tag = if n == 0 {
            "$function$".to_string()
        } else {
            format!("$function{n}$")
        };
        if !body.contains(&tag) {
            return tag;
        }
        n += 1;
    }
}

fn create(f: &Function, or_replace: bool, uses: &FunctionUse) -> Vec<String> {
    let mut sql = format!(
        "CREATE {}{} {}({})",
        if or_replace { "OR REPLACE " } else { "" },
        keyword(f),
        qname(&f.name),
        f.arguments
    );
    if let Some(r) = &f.returns {
        sql.push_str(&format!("\n RETURNS {r}"));
    }
    sql.push_str(&format!("\n LANGUAGE {}", ident(&f.language)));
    let mut attrs = Vec::new();
    if !f.procedure {
        attrs.push(f.volatility.word().to_string());
        if f.strict {
            attrs.push("STRICT".into());
        }
        if f.leakproof {
            attrs.push("LEAKPROOF".into());
        }
        attrs.push(format!("PARALLEL {}", f.parallel.word()));
    }
    if f.security_definer {
        attrs.push("SECURITY DEFINER".into());
    }
    if !f.procedure {
        if let Some(c) = &f.cost {
            attrs.push(format!("COST {c}"));
        }
        if let Some(r) = &f.rows {
            attrs.push(format!("ROWS {r}"));
        }
    }
    if !attrs.is_empty() {
        sql.push_str("\n ");
        sql.push_str(&attrs.join(" "));
    }
    for c in &f.config {
        sql.push_str("\n ");
        sql.push_str(&set_clause(c));
    }
    if f.sql_body {
        sql.push('\n');
        sql.push_str(&f.body);
    } else {
        let tag = tag_for(&f.body);
        sql.push_str(&format!("\nAS {tag}{}{tag}", f.body));
    }
    let mut out = Vec::new();
    // Created before the tables that call it, a SQL body could read tables that do not exist
    // yet: it is checked when first called instead, as `pg_dump` restores functions.
    let unchecked =
        uses.by_tables && uses.reads_tables && !or_replace && f.language == "sql" && !f.sql_body;
    if unchecked {
        out.push("SET check_function_bodies = off".to_string());
    }
    out.push(sql);
    if unchecked {
        out.push("RESET check_function_bodies".to_string());
    }
    if f.comment.is_some() {
        out.push(comment(f));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_settings_are_given_element_by_element() {
        assert_eq!(
            set_clause("search_path=public, \"My \"\"S\"\"\", pg_temp"),
            "SET search_path TO 'public', 'My \"S\"', 'pg_temp'"
        );
        assert_eq!(set_clause("search_path=\"\""), "SET search_path TO ''");
        assert_eq!(set_clause("work_mem=64MB"), "SET work_mem TO '64MB'");
    }

    #[test]
    fn the_tag_is_not_in_the_body() {
        assert_eq!(tag_for("select 1"), "$function$");
        assert_eq!(tag_for("select '$function$'"), "$function1$");
    }
}
