//! `views:` of the model files -> `ir::View`. Runs after tables, so a view and a table (or an
//! index) of the same name in one schema is an error naming both places.
//!
//! A query is kept as written, checked to be one query (no `;`, no comments, balanced quotes
//! and parentheses), to be read back through the shadow. Options are checked here so a typo is
//! a model error with its line, not a failure at apply time.

use super::context::{Ctx, Origin, check_ident};
use super::doc::{FileDoc, ViewDoc};
use super::table::convert_index;
use crate::error::ModelError;
use crate::ir::{ObjectId, QName, View, ViewColumn, check_expression};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Where a view or index was declared: its YAML value's place, or its SQL statement's line.
fn origin<T>(
    path: &std::path::Path,
    doc: &FileDoc,
    name: &str,
    spanned: &serde_saphyr::Spanned<T>,
) -> Origin {
    match doc.sql_lines.get(name) {
        Some(line) => Origin {
            path: path.to_path_buf(),
            line: *line,
            column: 1,
        },
        None => Origin::of(path, spanned),
    }
}

pub(crate) fn convert_views(ctx: &mut Ctx, docs: &[(PathBuf, FileDoc)]) -> Result<(), ModelError> {
    for (path, doc) in docs {
        let schema = doc.schema.clone().unwrap_or_else(|| "public".into());
        for (name, spanned) in &doc.views {
            let at = origin(path, doc, name, spanned);
            let d = &spanned.value;
            let kind = if d.materialized {
                "materialized view"
            } else {
                "view"
            };
            check_ident(name, kind, &at)?;
            let q = QName::new(schema.clone(), name.clone());
            ctx.claim_relation(q.clone(), kind, &at)?;
            let view = convert(ctx, &q, kind, d, &at, (path, doc))?;
            ctx.schema.views.insert(q, view);
        }
    }
    Ok(())
}

/// The query as one validated statement, without a trailing `;` or outer whitespace.
pub(crate) fn query(text: &str, what: &str, at: &Origin) -> Result<String, ModelError> {
    let q = text.trim().trim_end_matches(';').trim_end();
    check_expression(q).map_err(|why| {
        at.error(
            format!("the query of {what} is not one query: {why}"),
            "write a single SELECT (or WITH ... SELECT, VALUES, TABLE) without comments or `;`",
        )
    })?;
    let first = q
        .trim_start_matches('(')
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_lowercase();
    if !matches!(first.as_str(), "select" | "with" | "values" | "table") {
        return Err(at.error(
            format!("the query of {what} starts with `{first}`, not SELECT, WITH, VALUES or TABLE"),
            "a view's query is the part after `AS` in CREATE VIEW",
        ));
    }
    Ok(q.to_string())
}

fn convert(
    ctx: &mut Ctx,
    q: &QName,
    kind: &str,
    d: &ViewDoc,
    at: &Origin,
    (path, doc): (&std::path::Path, &FileDoc),
) -> Result<View, ModelError> {
    let what = format!("{kind} `{q}`");
    let query = query(&d.query, &what, at)?;
    let mut options = BTreeMap::new();
    if d.materialized {
        let view_only = [
            ("security_invoker", d.security_invoker),
            ("security_barrier", d.security_barrier),
            ("check_option", d.check_option.is_some()),
        ];
        if let Some((o, _)) = view_only.iter().find(|(_, set)| *set) {
            return Err(at.error(
                format!("{what} sets `{o}`, which only a view has"),
                "remove it, or make it a view (`materialized: false`)",
            ));
        }
        for (k, v) in &d.storage {
            let ok = !k.is_empty()
                && k.split('.').all(|p| {
                    !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                });
            if !ok {
                return Err(at.error(
                    format!("{what}: `{k}` is not a storage parameter name"),
                    "use a parameter of CREATE TABLE ... WITH, such as `fillfactor` or `autovacuum_enabled`",
                ));
            }
            options.insert(k.clone(), v.clone());
        }
    } else {
        if !d.storage.is_empty() || !d.indexes.is_empty() || d.with_data.is_some() {
            return Err(at.error(
                format!("{what} has `storage`, `indexes` or `with_data`, which only a materialized view has"),
                "remove them, or add `materialized: true`",
            ));
        }
        if d.security_invoker {
            options.insert("security_invoker".into(), "true".into());
        }
        if d.security_barrier {
            options.insert("security_barrier".into(), "true".into());
        }
        if let Some(c) = &d.check_option {
            let c = c.to_lowercase();
            if c != "local" && c != "cascaded" {
                return Err(at.error(
                    format!("{what}: `check_option: {c}` is neither `local` nor `cascaded`"),
                    "write `check_option: local` or `check_option: cascaded`",
                ));
            }
            options.insert("check_option".into(), c);
        }
    }
    if !d.column_types.is_empty() && d.column_types.len() != d.columns.len() {
        return Err(at.error(
            format!(
                "{what} has {} column types for {} columns",
                d.column_types.len(),
                d.columns.len()
            ),
            "snapshots are written by `autogen revision`; restore the file from version control",
        ));
    }
    let mut names = BTreeSet::new();
    for c in &d.columns {
        check_ident(c, &format!("column of {what}"), at)?;
        if !names.insert(c) {
            return Err(at.error(
                format!("{what} names column `{c}` twice"),
                "give each column its own name",
            ));
        }
    }
    let columns = d
        .columns
        .iter()
        .enumerate()
        .map(|(i, name)| ViewColumn {
            name: name.clone(),
            ty: d.column_types.get(i).cloned().unwrap_or_default(),
        })
        .collect();
    let mut depends_on = BTreeSet::new();
    for dep in &d.depends_on {
        depends_on.insert(ObjectId::parse(dep).ok_or_else(|| {
            at.error(
                format!("{what}: `{dep}` under `depends_on` is not an object autogen can read"),
                "snapshots are written by `autogen revision`; restore the file from version control",
            )
        })?);
    }
    let mut indexes = BTreeMap::new();
    for (iname, is) in &d.indexes {
        let iat = origin(path, doc, iname, is);
        check_ident(iname, "index", &iat)?;
        ctx.claim_relation(QName::new(q.schema.clone(), iname.clone()), "index", &iat)?;
        indexes.insert(iname.clone(), convert_index(q, iname, &is.value, &iat)?);
    }
    Ok(View {
        name: q.clone(),
        materialized: d.materialized,
        query,
        columns,
        options,
        with_data: d.with_data.unwrap_or(true),
        indexes,
        comment: d.comment.clone(),
        depends_on,
        grants: Default::default(),
        triggers: BTreeMap::new(),
    })
}
