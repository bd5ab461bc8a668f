//! Expressions that name a column their table does not have (a typo in a CHECK, an index
//! expression or predicate, a generated column), refused at the model's line: Postgres would
//! refuse them only when the generated migration runs.

use super::context::Origin;
use super::doc::TableDoc;
use crate::error::ModelError;
use crate::ir::{Expr, IndexKey, Table, column_refs};
use std::path::Path;

/// Checks every expression of `t`, which `doc` (in `path`) declared.
pub(super) fn check(path: &Path, t: &Table, doc: &TableDoc, at: &Origin) -> Result<(), ModelError> {
    let q = &t.name;
    for (cname, cs) in &doc.columns {
        let cat = Origin::of(path, cs);
        if let Some(text) = &cs.value.check {
            known(t, text, &format!("the check of `{q}.{cname}`"), &cat)?;
        }
        if let Some(text) = &cs.value.generated {
            known(
                t,
                text,
                &format!("the generated expression of `{q}.{cname}`"),
                &cat,
            )?;
        }
    }
    for (cn, text) in &doc.checks {
        known(t, text, &format!("check `{cn}` of `{q}`"), at)?;
    }
    for (xname, xs) in &doc.exclusions {
        let xat = Origin::of(path, xs);
        if let Some(x) = t.exclusions.get(xname) {
            let what = format!("exclusion `{xname}` of `{q}`");
            for (e, _) in &x.elements {
                if let IndexKey::Expression(e) = &e.key {
                    known(t, e.as_str(), &what, &xat)?;
                }
            }
            predicate(t, x.predicate.as_ref(), &what, &xat)?;
        }
    }
    for (iname, is) in &doc.indexes {
        let iat = Origin::of(path, is);
        if let Some(i) = t.indexes.get(iname) {
            let what = format!("index `{iname}` of `{q}`");
            for e in &i.elements {
                if let IndexKey::Expression(e) = &e.key {
                    known(t, e.as_str(), &what, &iat)?;
                }
            }
            predicate(t, i.predicate.as_ref(), &what, &iat)?;
        }
    }
    Ok(())
}

fn predicate(t: &Table, p: Option<&Expr>, what: &str, at: &Origin) -> Result<(), ModelError> {
    match p {
        Some(p) => known(t, p.as_str(), &format!("the `where` of {what}"), at),
        None => Ok(()),
    }
}

fn known(t: &Table, text: &str, what: &str, at: &Origin) -> Result<(), ModelError> {
    let Some(name) = column_refs(text)
        .into_iter()
        .find(|n| !t.columns.contains_key(n))
    else {
        return Ok(());
    };
    let columns: Vec<&str> = t.columns.keys().map(String::as_str).collect();
    let folded = t
        .columns
        .keys()
        .find(|c| c.to_lowercase() == name && **c != name)
        .map(|c| format!(" (`{c}` has capitals: write it in double quotes, `\"{c}\"`)"))
        .unwrap_or_default();
    Err(at.error(
        format!(
            "{what} names `{name}`, which is not a column of `{}`{folded}",
            t.name
        ),
        format!(
            "correct the name or add the column; `{}` has: {}",
            t.name,
            columns.join(", ")
        ),
    ))
}
