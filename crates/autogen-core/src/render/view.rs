//! DDL for views and materialized views. A view's query is pasted as Postgres stores it (read
//! back from the catalog or the shadow) or, for a model, as a single validated query; names and
//! option values go through `ir::quote`.

use super::ddl::{create_index, drop_index};
use crate::diff::ViewChange;
use autogen_model::ir::View;
use autogen_model::ir::quote::{ident, literal, qname};

pub(super) fn describe(c: &ViewChange) -> String {
    match c {
        ViewChange::Create(v) => format!("create {} `{}`", v.kind_text(), v.name),
        ViewChange::Drop(v) => format!("drop {} `{}`", v.kind_text(), v.name),
        ViewChange::Replace { after, .. } => format!("replace view `{}`", after.name),
        ViewChange::Alter { after, .. } => format!("alter {} `{}`", after.kind_text(), after.name),
    }
}

pub(super) fn statements(c: &ViewChange) -> Vec<String> {
    match c {
        ViewChange::Create(v) => create(v, false),
        ViewChange::Drop(v) => vec![format!("DROP {} {}", keyword(v), qname(&v.name))],
        ViewChange::Replace { before, after } => {
            let mut out = create(after, true);
            // `create` sets a comment only when there is one; a replacement may remove it.
            if after.comment.is_none() && before.comment.is_some() {
                out.push(comment(after));
            }
            out
        }
        ViewChange::Alter { before, after } => alter(before, after),
    }
}

fn keyword(v: &View) -> &'static str {
    if v.materialized {
        "MATERIALIZED VIEW"
    } else {
        "VIEW"
    }
}

/// `a = 'b'` per option; a dotted name (`toast.autovacuum_enabled`) quoted part by part.
fn option_list(v: &View, keys: impl Iterator<Item = String>) -> String {
    keys.map(|k| {
        let name = k.split('.').map(ident).collect::<Vec<_>>().join(".");
        match v.options.get(&k) {
            Some(value) => format!("{name} = {}", literal(value)),
            None => name,
        }
    })
    .collect::<Vec<_>>()
    .join(", ")
}

fn create(v: &View, or_replace: bool) -> Vec<String> {
    let mut sql = format!(
        "CREATE {}{} {}",
        if or_replace { "OR REPLACE " } else { "" },
        keyword(v),
        qname(&v.name)
    );
    // A model's view not yet normalized may name its columns; once normalized they are
    // aliases in the query and naming them again would be redundant but harmless.
    let named: Vec<&str> = v
        .columns
        .iter()
        .filter(|c| c.ty.is_empty())
        .map(|c| c.name.as_str())
        .collect();
    if !named.is_empty() && named.len() == v.columns.len() {
        sql.push_str(&format!(
            " ({})",
            named
                .iter()
                .map(|c| ident(c))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !v.options.is_empty() {
        sql.push_str(&format!(
            " WITH ({})",
            option_list(v, v.options.keys().cloned())
        ));
    }
    sql.push_str(" AS\n");
    sql.push_str(&v.query);
    if v.materialized {
        sql.push_str(if v.with_data {
            "\nWITH DATA"
        } else {
            "\nWITH NO DATA"
        });
    }
    let mut out = vec![sql];
    out.extend(v.indexes.values().map(|i| create_index(i, false)));
    if v.comment.is_some() {
        out.push(comment(v));
    }
    out
}

fn comment(v: &View) -> String {
    format!(
        "COMMENT ON {} {} IS {}",
        keyword(v),
        qname(&v.name),
        v.comment.as_deref().map_or_else(|| "NULL".into(), literal)
    )
}

/// Same query and columns: a plain view's comment; a materialized view's storage options,
/// indexes, populated state and comment.
fn alter(before: &View, after: &View) -> Vec<String> {
    let q = qname(&after.name);
    let mut out = Vec::new();
    let reset: Vec<String> = before
        .options
        .keys()
        .filter(|k| !after.options.contains_key(*k))
        .cloned()
        .collect();
    if !reset.is_empty() {
        out.push(format!(
            "ALTER MATERIALIZED VIEW {q} RESET ({})",
            option_list(after, reset.into_iter())
        ));
    }
    let set: Vec<String> = after
        .options
        .iter()
        .filter(|(k, v)| before.options.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .collect();
    if !set.is_empty() {
        out.push(format!(
            "ALTER MATERIALIZED VIEW {q} SET ({})",
            option_list(after, set.into_iter())
        ));
    }
    for (n, i) in &before.indexes {
        if after.indexes.get(n) != Some(i) {
            out.push(drop_index(i));
        }
    }
    if before.with_data != after.with_data {
        out.push(format!(
            "REFRESH MATERIALIZED VIEW {q}{}",
            if after.with_data { "" } else { " WITH NO DATA" }
        ));
    }
    for (n, i) in &after.indexes {
        if before.indexes.get(n) != Some(i) {
            out.push(create_index(i, false));
        }
    }
    if before.comment != after.comment {
        out.push(comment(after));
    }
    out
}
