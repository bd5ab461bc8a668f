//! `GRANT` and `REVOKE`. Role names go through `ir::quote`; `PUBLIC` is the one role written as
//! a keyword. A function is named by its signature as `DROP FUNCTION` names it.

use crate::diff::{GrantChange, GrantStep};
use autogen_model::ir::quote::{ident, qname};
use autogen_model::ir::{GrantTarget, PUBLIC_ROLE, Privilege, Privileges};

pub(super) fn describe(c: &GrantChange) -> String {
    let what = c.on.describe();
    match c.step {
        GrantStep::Alter => format!("change grants on `{what}`"),
        GrantStep::Created => format!("set grants on new `{what}`"),
        GrantStep::Recreated => format!("grant again on re-created `{what}`"),
    }
}

fn role(r: &str) -> String {
    if r == PUBLIC_ROLE {
        "PUBLIC".into()
    } else {
        ident(r)
    }
}

/// `ON TABLE x`, and for a column the column list that goes before it.
fn object(on: &GrantTarget) -> (String, String) {
    match on {
        GrantTarget::Schema(s) => (String::new(), format!("SCHEMA {}", ident(s))),
        GrantTarget::Table(q) | GrantTarget::View(q) => {
            (String::new(), format!("TABLE {}", qname(q)))
        }
        GrantTarget::Column(q, c) => (format!(" ({})", ident(c)), format!("TABLE {}", qname(q))),
        GrantTarget::Sequence(q) => (String::new(), format!("SEQUENCE {}", qname(q))),
        GrantTarget::Function { key, procedure } => (
            String::new(),
            format!(
                "{} {}({})",
                if *procedure { "PROCEDURE" } else { "FUNCTION" },
                qname(&key.0),
                key.1
            ),
        ),
        GrantTarget::Enum(q) => (String::new(), format!("TYPE {}", qname(q))),
        GrantTarget::Domain(q) => (String::new(), format!("DOMAIN {}", qname(q))),
    }
}

/// `SELECT, INSERT`; for a column each privilege takes the column list (`SELECT ("a"),
/// UPDATE ("a")`): Postgres reads a privilege without one as the whole table's.
fn list(ps: &[Privilege], columns: &str) -> String {
    ps.iter()
        .map(|p| format!("{}{columns}", p.sql()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn statements(c: &GrantChange) -> Vec<String> {
    let (columns, on) = object(&c.on);
    let mut out = Vec::new();
    if !c.reset.is_empty() && c.step != GrantStep::Alter {
        out.push(format!(
            "REVOKE ALL{columns} ON {on} FROM {}",
            c.reset
                .iter()
                .map(|r| role(r))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out.extend(role_statements(&c.roles, &columns, &on, &|_: &str| {
        Privileges::new()
    }));
    // A privilege revoked on the table is gone from its columns too (Postgres does so).
    let taken = |r: &str| {
        c.roles
            .get(r)
            .map(|(b, a)| crate::diff::privileges_lost(b, a))
            .unwrap_or_default()
    };
    for (column, roles) in c.columns.iter().chain(&c.new_columns) {
        let list = format!(" ({})", ident(column));
        out.extend(role_statements(roles, &list, &on, &taken));
    }
    out
}

/// Revokes, then grants, per role. `taken` is what an earlier statement of the step took off
/// already.
fn role_statements(
    roles: &std::collections::BTreeMap<String, (Privileges, Privileges)>,
    columns: &str,
    on: &str,
    taken: &dyn Fn(&str) -> Privileges,
) -> Vec<String> {
    let mut revokes = Vec::new();
    let mut grants = Vec::new();
    for (r, (before, after)) in roles {
        let mut before = before.clone();
        for (p, only_option) in taken(r) {
            if only_option {
                if let Some(o) = before.get_mut(&p) {
                    *o = false;
                }
            } else {
                before.remove(&p);
            }
        }
        let (revoke, revoke_option, grant, grant_option) = delta(&before, after);
        let who = role(r);
        if !revoke.is_empty() {
            revokes.push(format!(
                "REVOKE {} ON {on} FROM {who}",
                list(&revoke, columns)
            ));
        }
        if !revoke_option.is_empty() {
            revokes.push(format!(
                "REVOKE GRANT OPTION FOR {} ON {on} FROM {who}",
                list(&revoke_option, columns)
            ));
        }
        if !grant.is_empty() {
            grants.push(format!("GRANT {} ON {on} TO {who}", list(&grant, columns)));
        }
        if !grant_option.is_empty() {
            grants.push(format!(
                "GRANT {} ON {on} TO {who} WITH GRANT OPTION",
                list(&grant_option, columns)
            ));
        }
    }
    revokes.extend(grants);
    revokes
}

/// From `before` to `after`: privileges to revoke, grant options to revoke, privileges to
/// grant, privileges to grant with grant option.
pub type Delta = (
    Vec<Privilege>,
    Vec<Privilege>,
    Vec<Privilege>,
    Vec<Privilege>,
);

pub fn delta(before: &Privileges, after: &Privileges) -> Delta {
    let mut d: Delta = Default::default();
    for (p, option) in before {
        match after.get(p) {
            None => d.0.push(*p),
            Some(false) if *option => d.1.push(*p),
            _ => {}
        }
    }
    for (p, option) in after {
        match (before.get(p), option) {
            (None, false) => d.2.push(*p),
            (None | Some(false), true) => d.3.push(*p),
            _ => {}
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use autogen_model::ir::QName;
    use std::collections::BTreeMap;

    fn privs(ps: &[(Privilege, bool)]) -> Privileges {
        ps.iter().copied().collect()
    }

    #[test]
    fn each_difference_is_its_own_statement_and_names_are_quoted() {
        use Privilege::*;
        let c = GrantChange {
            on: GrantTarget::Table(QName::new("App", "my table")),
            step: GrantStep::Alter,
            reset: Vec::new(),
            roles: BTreeMap::new(),
            columns: BTreeMap::from([(
                "Bio\"x".to_string(),
                BTreeMap::from([
                    (
                        "Reader".to_string(),
                        (
                            privs(&[(Select, true), (Update, false), (References, false)]),
                            privs(&[(Select, false), (Insert, true)]),
                        ),
                    ),
                    (
                        "public".to_string(),
                        (privs(&[]), privs(&[(Select, false)])),
                    ),
                ]),
            )]),
            new_columns: BTreeMap::new(),
            replaced: BTreeMap::new(),
        };
        assert_eq!(
            statements(&c),
            vec![
                r#"REVOKE UPDATE ("Bio""x"), REFERENCES ("Bio""x") ON TABLE "App"."my table" FROM "Reader""#,
                r#"REVOKE GRANT OPTION FOR SELECT ("Bio""x") ON TABLE "App"."my table" FROM "Reader""#,
                r#"GRANT INSERT ("Bio""x") ON TABLE "App"."my table" TO "Reader" WITH GRANT OPTION"#,
                r#"GRANT SELECT ("Bio""x") ON TABLE "App"."my table" TO PUBLIC"#,
            ]
        );
    }
}
