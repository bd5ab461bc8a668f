//! `roles:` and `grants:` in the model files -> `Schema::managed_roles` and each object's
//! `ir::Acl`. Runs last, once every object of the service exists.
//!
//! A grant names a role the service manages (listed under `roles:` in one of its files), so
//! that a role the model forgets to list is an error here, not a grant silently left alone.
//! What Postgres would refuse (EXECUTE on a table, a privilege a column cannot have) is an
//! error with its line.

use super::context::{Ctx, Origin, check_ident};
use super::doc::{FileDoc, GrantWords, GrantsDoc, SqlGrant};
use super::policy::SESSION_ROLES;
use crate::error::ModelError;
use crate::ir::{Acl, AclKind, FunctionKey, GrantTarget, PUBLIC_ROLE, QName};
use serde_saphyr::Spanned;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub(crate) fn convert_grants(ctx: &mut Ctx, docs: &[(PathBuf, FileDoc)]) -> Result<(), ModelError> {
    let mut roles = BTreeSet::new();
    for (path, doc) in docs {
        let at = Origin::file(path);
        for r in &doc.roles {
            let r = role_name(r, &at)?;
            roles.insert(r);
        }
    }
    for (path, doc) in docs {
        let schema = doc.schema.clone().unwrap_or_else(|| "public".into());
        let q = |name: &str| QName::new(schema.clone(), name.to_string());
        let mut found: Vec<(GrantTarget, &Spanned<GrantsDoc>)> = Vec::new();
        if let Some(g) = &doc.grants {
            if schema == "public" {
                return Err(Origin::of(path, g).error(
                    "grants on schema `public`: the model does not own `public`, so it does not manage its privileges",
                    "move the objects to a schema of the service's own (`schema:`), or grant on `public` in a hand-written migration",
                ));
            }
            found.push((GrantTarget::Schema(schema.clone()), g));
        }
        for (name, e) in &doc.enums {
            if let Some(g) = &e.value.0.grants {
                found.push((GrantTarget::Enum(q(name)), g));
            }
        }
        for (name, d) in &doc.domains {
            if let Some(g) = &d.value.0.grants {
                found.push((GrantTarget::Domain(q(name)), g));
            }
        }
        for (name, s) in &doc.sequences {
            if let Some(g) = &s.value.grants {
                found.push((GrantTarget::Sequence(q(name)), g));
            }
        }
        for (name, t) in &doc.tables {
            if let Some(g) = &t.value.grants {
                found.push((GrantTarget::Table(q(name)), g));
            }
            for (c, col) in &t.value.columns {
                if let Some(g) = &col.value.grants {
                    found.push((GrantTarget::Column(q(name), c.clone()), g));
                }
            }
        }
        for (name, v) in &doc.views {
            if let Some(g) = &v.value.grants {
                found.push((GrantTarget::View(q(name)), g));
            }
        }
        for (label, f) in &doc.functions {
            let (Some(g), Some(key)) = (
                &f.value.grants,
                ctx.function_keys.get(&(path.clone(), label.clone())),
            ) else {
                continue;
            };
            found.push((function_target(ctx, key), g));
        }
        for (target, g) in found {
            let at = Origin::of(path, g);
            let acl = acl_of(&g.value, &target, &roles, path, &at)?;
            merge(ctx, &target, acl);
        }
        for g in &doc.sql_grants {
            let at = Origin {
                path: path.clone(),
                line: g.line,
                column: 1,
            };
            sql_grant(ctx, g, &schema, &roles, path, &at)?;
        }
    }
    ctx.schema.managed_roles = Some(roles);
    Ok(())
}

/// Adds `acl` to what the object already has (a service's files may each grant on it).
fn merge(ctx: &mut Ctx, target: &GrantTarget, acl: Acl) {
    if let Some(a) = ctx.schema.acl_mut(target) {
        for (role, ps) in acl.0 {
            a.0.entry(role.clone()).or_default();
            for (p, option) in ps {
                a.grant(&role, p, option);
            }
        }
    }
}

/// A SQL model file's `GRANT`: each object found among the service's, each privilege checked
/// against it, for the roles the service manages.
fn sql_grant(
    ctx: &mut Ctx,
    g: &SqlGrant,
    schema: &str,
    roles: &BTreeSet<String>,
    path: &Path,
    at: &Origin,
) -> Result<(), ModelError> {
    for o in &g.objects {
        let q = QName::new(
            o.schema.clone().unwrap_or_else(|| schema.to_string()),
            o.name.clone(),
        );
        let missing = |what: &str| {
            at.error(
                format!(
                    "`GRANT ... ON {} {q}`: the service declares no {what} `{q}`",
                    g.kind.to_uppercase()
                ),
                "grant on an object the service's model files declare",
            )
        };
        let target = match g.kind.as_str() {
            "schema" => {
                if o.name == "public" || !ctx.schema.schemas.contains_key(&o.name) {
                    return Err(at.error(
                        format!("`GRANT ... ON SCHEMA {}`: not a schema the model creates", o.name),
                        "grant on the service's own schema; `public`'s privileges are not the model's",
                    ));
                }
                GrantTarget::Schema(o.name.clone())
            }
            "sequence" => {
                if !ctx.schema.sequences.contains_key(&q) {
                    return Err(missing("sequence"));
                }
                GrantTarget::Sequence(q)
            }
            "type" if ctx.schema.enums.contains_key(&q) => GrantTarget::Enum(q),
            "type" | "domain" if ctx.schema.domains.contains_key(&q) => GrantTarget::Domain(q),
            "type" | "domain" => return Err(missing(&g.kind)),
            "function" | "procedure" => {
                let procedure = g.kind == "procedure";
                let key = match &o.arguments {
                    Some(args) => {
                        let sig = crate::ir::parse_arguments(args)
                            .map(|a| crate::ir::signature_of(&a, &q.schema, procedure))
                            .map_err(|e| {
                                at.error(
                                    format!(
                                        "`GRANT ... ON {} {q}({args})`: {e}",
                                        g.kind.to_uppercase()
                                    ),
                                    "write the argument types as CREATE FUNCTION does",
                                )
                            })?;
                        Some((q.clone(), sig)).filter(|k| ctx.schema.functions.contains_key(k))
                    }
                    None => {
                        let mut same: Vec<&FunctionKey> = ctx
                            .schema
                            .functions
                            .keys()
                            .filter(|(n, _)| *n == q)
                            .collect();
                        if same.len() > 1 {
                            return Err(at.error(
                                format!("`GRANT ... ON {} {q}`: `{q}` has overloads", g.kind.to_uppercase()),
                                "name the one meant with its argument types: `ON FUNCTION name(integer)`",
                            ));
                        }
                        same.pop().cloned()
                    }
                };
                let Some(key) = key else {
                    return Err(missing(&g.kind));
                };
                function_target(ctx, &key)
            }
            _ if ctx.schema.tables.contains_key(&q) => GrantTarget::Table(q),
            _ if ctx.schema.views.contains_key(&q) => GrantTarget::View(q),
            _ if ctx.schema.sequences.contains_key(&q) => GrantTarget::Sequence(q),
            _ => return Err(missing("table or view")),
        };
        for (word, columns) in &g.privileges {
            let word = if g.grant_option {
                format!("{word} with grant option")
            } else {
                word.clone()
            };
            let targets: Vec<GrantTarget> = if columns.is_empty() {
                vec![target.clone()]
            } else {
                let GrantTarget::Table(t) = &target else {
                    return Err(at.error(
                        format!(
                            "`GRANT`: column privileges on {}, which is not a table",
                            target.describe()
                        ),
                        "grant on a table's columns, or on the whole object",
                    ));
                };
                let mut out = Vec::new();
                for c in columns {
                    let c = column_name(c);
                    if !ctx.schema.tables[t].columns.contains_key(&c) {
                        return Err(at.error(
                            format!("`GRANT ... ({c}) ON {t}`: `{t}` has no column `{c}`"),
                            "name a column of the table",
                        ));
                    }
                    out.push(GrantTarget::Column(t.clone(), c));
                }
                out
            };
            for target in targets {
                let mut doc = GrantsDoc::new();
                for r in &g.roles {
                    doc.insert(r.clone(), GrantWords::One(word.clone()));
                }
                let acl = acl_of(&doc, &target, roles, path, at)?;
                merge(ctx, &target, acl);
            }
        }
    }
    Ok(())
}

/// A column as Postgres resolves it: quoted as written, bare folded to lower case.
fn column_name(written: &str) -> String {
    let w = written.trim();
    match w.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => w.to_lowercase(),
    }
}

fn function_target(ctx: &Ctx, key: &FunctionKey) -> GrantTarget {
    GrantTarget::Function {
        key: key.clone(),
        procedure: ctx.schema.functions.get(key).is_some_and(|f| f.procedure),
    }
}

/// A role as Postgres stores it: `PUBLIC` in any case is every role.
fn role_name(r: &str, at: &Origin) -> Result<String, ModelError> {
    if r.eq_ignore_ascii_case(PUBLIC_ROLE) {
        return Ok(PUBLIC_ROLE.to_string());
    }
    if SESSION_ROLES.iter().any(|s| r.eq_ignore_ascii_case(s)) {
        return Err(at.error(
            format!("`{r}` names whoever runs the migration, not a role"),
            "name the role itself",
        ));
    }
    check_ident(r, "role", at)?;
    Ok(r.to_string())
}

fn acl_of(
    doc: &GrantsDoc,
    target: &GrantTarget,
    roles: &BTreeSet<String>,
    path: &Path,
    at: &Origin,
) -> Result<Acl, ModelError> {
    let mut acl = Acl::default();
    let kind: AclKind = target.kind();
    for (role, words) in doc {
        let role = role_name(role, at)?;
        if !roles.contains(&role) {
            return Err(at.error(
                format!(
                    "grant to `{role}` on {}: `{role}` is not a role this service manages",
                    target.describe()
                ),
                if path.extension().is_some_and(|e| e == "sql") {
                    "list it under `roles:` in a YAML model file of the service (`roles: [...]`); autogen leaves the grants of roles it does not manage alone".to_string()
                } else {
                    format!(
                        "list it under `roles:` in {} (or another of the service's model files); autogen leaves the grants of roles it does not manage alone",
                        path.display()
                    )
                },
            ));
        }
        acl.parse_words(&role, &words.words(), kind).map_err(|e| {
            at.error(
                format!("grant to `{role}` on {}: {e}", target.describe()),
                "write the privileges Postgres accepts on it",
            )
        })?;
    }
    Ok(acl)
}
