//! DDL for domains.

use super::objects::{comment_sql, set_aside_name};
use crate::diff::{CommentTarget, TypeUsage};
use autogen_model::ir::Domain;
use autogen_model::ir::quote::{collation, column_type, ident, qname};

pub(super) fn create(d: &Domain) -> Vec<String> {
    let mut sql = format!(
        "CREATE DOMAIN {} AS {}",
        qname(&d.name),
        column_type(&d.base)
    );
    if let Some(c) = &d.collation {
        sql.push_str(&format!(" COLLATE {}", collation(c)));
    }
    if let Some(e) = &d.default {
        sql.push_str(&format!(" DEFAULT {e}"));
    }
    if d.not_null {
        sql.push_str(" NOT NULL");
    }
    for (n, e) in &d.checks {
        sql.push_str(&format!(" CONSTRAINT {} CHECK ({e})", ident(n)));
    }
    let mut v = vec![sql];
    if d.comment.is_some() {
        v.push(comment_sql(
            &CommentTarget::Domain(d.name.clone()),
            &d.comment,
        ));
    }
    v
}

pub(super) fn alter(before: &Domain, after: &Domain) -> Vec<String> {
    let q = qname(&after.name);
    let mut v = Vec::new();
    // Checks that go or change are dropped before anything can trip over them.
    for n in before.checks.keys() {
        if before.checks.get(n) != after.checks.get(n) {
            v.push(format!("ALTER DOMAIN {q} DROP CONSTRAINT {}", ident(n)));
        }
    }
    if before.default != after.default {
        v.push(match &after.default {
            Some(e) => format!("ALTER DOMAIN {q} SET DEFAULT {e}"),
            None => format!("ALTER DOMAIN {q} DROP DEFAULT"),
        });
    }
    if before.not_null != after.not_null {
        let verb = if after.not_null { "SET" } else { "DROP" };
        v.push(format!("ALTER DOMAIN {q} {verb} NOT NULL"));
    }
    for (n, e) in &after.checks {
        if before.checks.get(n) != Some(e) {
            v.push(format!(
                "ALTER DOMAIN {q} ADD CONSTRAINT {} CHECK ({e})",
                ident(n)
            ));
        }
    }
    v
}

/// Postgres cannot change a domain's base type or collation: the old domain steps aside under a
/// temporary name, columns move to the new one through its base type, and the old one goes.
pub(super) fn rebuild(before: &Domain, after: &Domain, usages: &[TypeUsage]) -> Vec<String> {
    let old = set_aside_name(&after.name);
    let mut v = vec![format!(
        "ALTER DOMAIN {} RENAME TO {}",
        qname(&before.name),
        ident(&old.name)
    )];
    v.extend(create(after));
    let base = column_type(&after.base);
    for u in usages {
        let t = qname(&u.table);
        let c = ident(&u.column);
        if u.default_before.is_some() {
            v.push(format!("ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT"));
        }
        let (via, target) = if u.array {
            (format!("{base}[]"), format!("{}[]", qname(&after.name)))
        } else {
            (base.clone(), qname(&after.name))
        };
        v.push(format!(
            "ALTER TABLE {t} ALTER COLUMN {c} TYPE {target} USING {c}::{via}::{target}"
        ));
        if let Some(d) = &u.default_after {
            v.push(format!("ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {d}"));
        }
    }
    v.push(format!("DROP DOMAIN {}", qname(&old)));
    v
}
