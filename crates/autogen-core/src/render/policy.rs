//! DDL for row-level security and policies. Names go through `ir::quote`; `PUBLIC` is the one
//! role written as a keyword. The `USING` and `WITH CHECK` expressions are pasted as Postgres
//! printed them (or, for a model read without a shadow, as written and checked to be one
//! expression), inside their parentheses.

use crate::diff::PolicyChange;
use autogen_model::ir::quote::{ident, literal, qname};
use autogen_model::ir::{PUBLIC_ROLE, Policy, QName, RowSecurity};

pub(super) fn describe(c: &PolicyChange) -> String {
    let t = c.table();
    match c {
        PolicyChange::Create { policy, .. } => format!("create policy `{}` on `{t}`", policy.name),
        PolicyChange::Drop { policy, .. } => format!("drop policy `{}` on `{t}`", policy.name),
        PolicyChange::Alter { after, .. } => format!("alter policy `{}` on `{t}`", after.name),
        PolicyChange::RowSecurity { after, .. } => format!(
            "set row-level security on `{t}` to {}",
            match (after.enabled, after.forced) {
                (true, true) => "enabled, forced",
                (true, false) => "enabled",
                (false, true) => "disabled (forced once enabled)",
                (false, false) => "disabled",
            }
        ),
    }
}

pub(super) fn statements(c: &PolicyChange) -> Vec<String> {
    match c {
        PolicyChange::Create { table, policy, .. } => {
            let mut out = vec![create(table, policy)];
            if policy.comment.is_some() {
                out.push(comment(table, policy));
            }
            out
        }
        PolicyChange::Drop { table, policy, .. } => vec![format!(
            "DROP POLICY {} ON {}",
            ident(&policy.name),
            qname(table)
        )],
        PolicyChange::Alter {
            table,
            before,
            after,
        } => {
            let mut out = Vec::new();
            let mut sql = format!("ALTER POLICY {} ON {}", ident(&after.name), qname(table));
            let start = sql.len();
            if before.roles != after.roles {
                sql.push_str(&format!(" TO {}", roles(after)));
            }
            if before.using != after.using {
                if let Some(u) = &after.using {
                    sql.push_str(&format!(" USING ({u})"));
                }
            }
            if before.check != after.check {
                if let Some(w) = &after.check {
                    sql.push_str(&format!(" WITH CHECK ({w})"));
                }
            }
            if sql.len() > start {
                out.push(sql);
            }
            if before.comment != after.comment {
                out.push(comment(table, after));
            }
            out
        }
        PolicyChange::RowSecurity {
            table,
            before,
            after,
        } => switches(table, before, after),
    }
}

fn switches(table: &QName, before: &RowSecurity, after: &RowSecurity) -> Vec<String> {
    let mut out = Vec::new();
    let alter = |what: &str| format!("ALTER TABLE {} {what} ROW LEVEL SECURITY", qname(table));
    if before.enabled != after.enabled {
        out.push(alter(if after.enabled { "ENABLE" } else { "DISABLE" }));
    }
    if before.forced != after.forced {
        out.push(alter(if after.forced { "FORCE" } else { "NO FORCE" }));
    }
    out
}

fn roles(p: &Policy) -> String {
    let names: Vec<String> = p
        .roles
        .iter()
        .map(|r| {
            if r == PUBLIC_ROLE {
                "PUBLIC".to_string()
            } else {
                ident(r)
            }
        })
        .collect();
    if names.is_empty() {
        "PUBLIC".into()
    } else {
        names.join(", ")
    }
}

fn comment(table: &QName, p: &Policy) -> String {
    format!(
        "COMMENT ON POLICY {} ON {} IS {}",
        ident(&p.name),
        qname(table),
        p.comment.as_deref().map_or_else(|| "NULL".into(), literal)
    )
}

fn create(table: &QName, p: &Policy) -> String {
    let mut sql = format!("CREATE POLICY {} ON {}", ident(&p.name), qname(table));
    if p.restrictive {
        sql.push_str(" AS RESTRICTIVE");
    }
    sql.push_str(&format!(" FOR {} TO {}", p.command.sql(), roles(p)));
    if let Some(u) = &p.using {
        sql.push_str(&format!(" USING ({u})"));
    }
    if let Some(w) = &p.check {
        sql.push_str(&format!(" WITH CHECK ({w})"));
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;
    use autogen_model::ir::PolicyCommand;

    #[test]
    fn names_and_roles_are_quoted_and_public_is_a_keyword() {
        let p = Policy {
            name: "Read \"own\" notes".into(),
            command: PolicyCommand::Select,
            restrictive: true,
            roles: ["authenticated".to_string(), "Team Lead".to_string()].into(),
            using: Some("(owner = auth.uid())".into()),
            check: None,
            comment: Some("it's theirs".into()),
        };
        let t = QName::new("My App", "notes");
        let c = PolicyChange::Create {
            table: t.clone(),
            policy: p.clone(),
            recreate: false,
        };
        assert_eq!(
            statements(&c),
            vec![
                "CREATE POLICY \"Read \"\"own\"\" notes\" ON \"My App\".notes AS RESTRICTIVE FOR SELECT TO \"Team Lead\", authenticated USING ((owner = auth.uid()))".to_string(),
                "COMMENT ON POLICY \"Read \"\"own\"\" notes\" ON \"My App\".notes IS 'it''s theirs'".to_string(),
            ]
        );
        let public = Policy {
            roles: [PUBLIC_ROLE.to_string()].into(),
            comment: None,
            ..p.clone()
        };
        let alter = PolicyChange::Alter {
            table: t,
            before: p,
            after: public,
        };
        assert_eq!(
            statements(&alter),
            vec![
                "ALTER POLICY \"Read \"\"own\"\" notes\" ON \"My App\".notes TO PUBLIC".to_string(),
                "COMMENT ON POLICY \"Read \"\"own\"\" notes\" ON \"My App\".notes IS NULL"
                    .to_string(),
            ]
        );
    }
}
