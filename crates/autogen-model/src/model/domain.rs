//! `domains:` of the model files -> `ir::Domain`. Runs after enums are known and before tables, so
//! a domain may be over an enum or another domain, and a column may use any domain of the model.

use super::context::{Ctx, Origin, check_ident};
use super::doc::{FileDoc, Flex};
use super::table::{expr, resolve_type};
use crate::error::ModelError;
use crate::ir::{BaseType, Domain, QName, default_constraint_name};
use std::collections::BTreeMap;
use std::path::PathBuf;

pub(crate) fn convert_domains(
    ctx: &mut Ctx,
    docs: &[(PathBuf, FileDoc)],
) -> Result<(), ModelError> {
    // Names first: a domain's base may be a domain declared later or in another file.
    for (path, doc) in docs {
        let schema = doc.schema.clone().unwrap_or_else(|| "public".into());
        for (name, spanned) in &doc.domains {
            let at = Origin::of(path, spanned);
            check_ident(name, "domain", &at)?;
            let q = QName::new(schema.clone(), name.clone());
            if let Some(prev) = ctx.types.get(&q) {
                return Err(at.error(
                    format!("type `{q}` is also declared at {}", prev.describe()),
                    "enums and domains share one namespace per schema: rename one",
                ));
            }
            ctx.types.insert(q, at);
        }
    }
    for (path, doc) in docs {
        let schema = doc.schema.clone().unwrap_or_else(|| "public".into());
        for (name, spanned) in &doc.domains {
            let at = Origin::of(path, spanned);
            let Flex(d) = &spanned.value;
            let q = QName::new(schema.clone(), name.clone());
            let what = format!("domain `{q}`");
            let (base, serial) = resolve_type(ctx, &d.ty, &schema, &what, &at)?;
            if serial {
                return Err(at.error(
                    format!("{what} is over `{}`", d.ty),
                    "serial is a column shorthand, not a type: use integer or bigint",
                ));
            }
            let mut checks = BTreeMap::new();
            if let Some(c) = &d.check {
                let n = default_constraint_name(&q.name, &[], "check");
                checks.insert(n, expr(c, &format!("check of {what}"), &at)?);
            }
            for (n, c) in &d.checks {
                check_ident(n, &format!("check of {what}"), &at)?;
                if checks.contains_key(n) {
                    return Err(at.error(
                        format!("{what} has two checks named `{n}`"),
                        "`check:` is named `<domain>_check`: give the other one another name",
                    ));
                }
                checks.insert(n.clone(), expr(c, &format!("check `{n}` of {what}"), &at)?);
            }
            ctx.schema.domains.insert(
                q.clone(),
                Domain {
                    name: q.clone(),
                    base,
                    collation: d.collation.clone(),
                    default: d
                        .default
                        .as_deref()
                        .map(|e| expr(e, &format!("default of {what}"), &at))
                        .transpose()?,
                    not_null: d.not_null,
                    checks,
                    comment: d.comment.clone(),
                    grants: Default::default(),
                },
            );
        }
    }
    // A domain cannot be over itself, directly or through others.
    for q in ctx.schema.domains.keys() {
        let mut seen = vec![q.clone()];
        let mut cur = q.clone();
        while let Some(BaseType::User(next)) = ctx.schema.domains.get(&cur).map(|d| &d.base.base) {
            if seen.contains(next) {
                let at = ctx
                    .types
                    .get(q)
                    .cloned()
                    .unwrap_or_else(|| Origin::file(&docs[0].0));
                return Err(at.error(
                    format!("domain `{q}` is defined in terms of itself"),
                    "base the domain on a built-in type, an enum or another domain",
                ));
            }
            seen.push(next.clone());
            cur = next.clone();
        }
    }
    Ok(())
}
