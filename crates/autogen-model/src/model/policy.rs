//! `rls`, `force_rls` and `policies:` of a table in the model files (or `CREATE POLICY` and
//! `ALTER TABLE ... ROW LEVEL SECURITY` in SQL files) -> the table's `ir::RowSecurity` and
//! `ir::Policy`s. Runs after tables and functions, so a SQL file's policy finds its table in any
//! file of the service.
//!
//! What Postgres would refuse or quietly change (`USING` on an INSERT policy, `PUBLIC` listed
//! with other roles, which Postgres drops with a warning) is a model error here, with its line;
//! the expressions are checked to be one expression each and read back through the shadow.

use super::context::{Ctx, Origin, check_ident};
use super::doc::{FileDoc, PolicyDoc};
use crate::error::ModelError;
use crate::ir::{PUBLIC_ROLE, Policy, PolicyCommand, QName, check_expression};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Role specifications Postgres resolves to a role when the policy (or grant) is created, so
/// what it stores depends on who ran the migration.
pub(crate) const SESSION_ROLES: [&str; 3] = ["current_user", "current_role", "session_user"];

pub(crate) fn convert_policies(
    ctx: &mut Ctx,
    docs: &[(PathBuf, FileDoc)],
) -> Result<(), ModelError> {
    let mut seen: BTreeMap<(QName, String), Origin> = BTreeMap::new();
    for (path, doc) in docs {
        let schema = doc.schema.clone().unwrap_or_else(|| "public".into());
        let mut all: Vec<(String, String, &PolicyDoc, Origin)> = Vec::new();
        for (table, t) in &doc.tables {
            for (name, d) in &t.value.policies {
                all.push((table.clone(), name.clone(), &d.value, Origin::of(path, d)));
            }
        }
        let line = |line: u64| Origin {
            path: path.clone(),
            line,
            column: 1,
        };
        for p in &doc.sql_policies {
            all.push((p.table.clone(), p.name.clone(), &p.doc, line(p.line)));
        }
        for (table, name, d, at) in all {
            let q = QName::new(schema.clone(), table);
            check_ident(&name, "policy", &at)?;
            if let Some(other) = seen.get(&(q.clone(), name.clone())) {
                return Err(at.error(
                    format!(
                        "policy `{name}` on `{q}` is declared twice: also at {}",
                        other.describe()
                    ),
                    "declare each policy once (policy names are unique per table)",
                ));
            }
            let p = convert(&q, &name, d, &at)?;
            seen.insert((q.clone(), name.clone()), at.clone());
            table_of(ctx, &q, &format!("policy `{name}`"), &at)?
                .policies
                .insert(name, p);
        }
        for s in &doc.sql_row_security {
            let q = QName::new(schema.clone(), s.table.clone());
            let rs = &mut table_of(ctx, &q, "row-level security", &line(s.line))?.row_security;
            if s.force {
                rs.forced = s.on;
            } else {
                rs.enabled = s.on;
            }
        }
    }
    Ok(())
}

fn table_of<'a>(
    ctx: &'a mut Ctx,
    q: &QName,
    what: &str,
    at: &Origin,
) -> Result<&'a mut crate::ir::Table, ModelError> {
    if ctx.schema.views.contains_key(q) {
        return Err(at.error(
            format!("{what} is on the view `{q}`"),
            "Postgres has row-level security on tables only: put it on the tables the view reads, and make the view `security_invoker`",
        ));
    }
    ctx.schema.tables.get_mut(q).ok_or_else(|| {
        at.error(
            format!("{what} is on `{q}`, which is no table of this model"),
            "declare it on a table of the service, in the same schema",
        )
    })
}

fn convert(q: &QName, name: &str, d: &PolicyDoc, at: &Origin) -> Result<Policy, ModelError> {
    let what = format!("policy `{name}` on `{q}`");
    let refuse = |why: &str, help: &str| Err(at.error(format!("{what}: {why}"), help));
    let command = match &d.command {
        None => PolicyCommand::All,
        Some(c) => match PolicyCommand::parse(c.trim()) {
            Some(c) => c,
            None => {
                return refuse(
                    &format!("`command: {c}` is not a policy command"),
                    "write `all` (the default), `select`, `insert`, `update` or `delete`",
                );
            }
        },
    };
    let mut roles = BTreeSet::new();
    for r in &d.roles {
        let r = r.trim();
        let lower = r.to_lowercase();
        if SESSION_ROLES.contains(&lower.as_str()) {
            return refuse(
                &format!("`{r}` names whichever role runs the migration"),
                "name the role itself",
            );
        }
        let role = if lower == PUBLIC_ROLE {
            PUBLIC_ROLE.to_string()
        } else {
            check_ident(r, &format!("a role of {what}"), at)?;
            r.to_string()
        };
        if !roles.insert(role) {
            return refuse(
                &format!("lists the role `{r}` twice"),
                "list each role once",
            );
        }
    }
    if roles.contains(PUBLIC_ROLE) && roles.len() > 1 {
        return refuse(
            "lists `public` with other roles, and every role is a member of `public`",
            "list `public` alone, or only the other roles (Postgres would keep `public` alone)",
        );
    }
    if roles.is_empty() {
        roles.insert(PUBLIC_ROLE.to_string());
    }
    let expression = |text: &Option<String>, clause: &str| -> Result<Option<String>, ModelError> {
        let Some(t) = text else {
            return Ok(None);
        };
        let t = t.trim();
        check_expression(t).map_err(|e| {
            at.error(
                format!("{what}: `{clause}` is not one expression: {e}"),
                "write one condition over the table's columns, without the keyword or its parentheses",
            )
        })?;
        Ok(Some(t.to_string()))
    };
    let using = expression(&d.using, "using")?;
    let check = expression(&d.with_check, "with_check")?;
    if using.is_some() && !command.takes_using() {
        return refuse(
            "an INSERT policy has no `using` (there is no existing row to test)",
            "write the condition as `with_check`",
        );
    }
    if check.is_some() && !command.takes_check() {
        return refuse(
            &format!(
                "a {} policy has no `with_check` (it writes no new row)",
                command.sql()
            ),
            "write the condition as `using`",
        );
    }
    Ok(Policy {
        name: name.to_string(),
        command,
        restrictive: d.restrictive,
        roles,
        using,
        check,
        comment: d.comment.clone(),
    })
}
