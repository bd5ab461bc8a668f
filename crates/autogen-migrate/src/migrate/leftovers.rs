//! What a lock-friendly step that failed part-way leaves behind: an index whose CONCURRENTLY
//! build failed (INVALID: updated on every write, never used by a query) and a constraint added
//! NOT VALID whose VALIDATE failed (it checks new rows only). The comparator sees neither as a
//! difference, so they are looked for here, by `upgrade`, `status`, `check` and `health`.

use crate::error::Error;
use autogen_model::ir::quote::{ident, qname};
use autogen_pg::conn::error_text;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    InvalidIndex,
    NotValidConstraint,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    pub kind: Kind,
    pub schema: String,
    pub table: String,
    pub name: String,
}

impl Leftover {
    pub fn table_name(&self) -> autogen_model::ir::QName {
        autogen_model::ir::QName::new(self.schema.clone(), self.table.clone())
    }

    /// What to do about it.
    pub fn fix(&self) -> &'static str {
        match self.kind {
            Kind::InvalidIndex => {
                "fix what made the build fail (duplicate values, a timeout), then `autogen upgrade --resume` \
                 drops the invalid index and builds it again"
            }
            Kind::NotValidConstraint => {
                "fix the rows that violate it, then `autogen upgrade --resume` runs the VALIDATE again"
            }
        }
    }
}

impl fmt::Display for Leftover {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::InvalidIndex => write!(
                f,
                "index `{}.{}` on `{}` is INVALID: a CREATE INDEX CONCURRENTLY failed part-way; \
                 the index slows every write and no query uses it",
                self.schema,
                self.name,
                self.table_name()
            ),
            Kind::NotValidConstraint => write!(
                f,
                "constraint `{}` on `{}` is NOT VALID: its VALIDATE has not succeeded, so rows \
                 that existed before it are not checked",
                self.name,
                self.table_name()
            ),
        }
    }
}

const QUERY: &str = "\
SELECT 'i', n.nspname::text, t.relname::text, x.relname::text
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class x ON x.oid = i.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
WHERE NOT i.indisvalid AND ($1::text[] IS NULL OR n.nspname = ANY($1))
UNION ALL
SELECT 'c', n.nspname::text, t.relname::text, c.conname::text
FROM pg_catalog.pg_constraint c
JOIN pg_catalog.pg_class t ON t.oid = c.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
WHERE NOT c.convalidated AND c.contype IN ('c', 'f') AND ($1::text[] IS NULL OR n.nspname = ANY($1))
ORDER BY 2, 3, 4";

/// The leftovers in `schemas` (every schema for `None`), sorted.
pub fn find(
    client: &mut postgres::Client,
    schemas: Option<&[String]>,
) -> Result<Vec<Leftover>, Error> {
    let rows = client.query(QUERY, &[&schemas]).map_err(|e| {
        Error::migration(
            format!("could not look for invalid indexes: {}", error_text(&e)),
            "check the connection and that the role can read pg_catalog",
        )
    })?;
    Ok(rows
        .iter()
        .map(|r| Leftover {
            kind: if r.get::<_, &str>(0) == "i" {
                Kind::InvalidIndex
            } else {
                Kind::NotValidConstraint
            },
            schema: r.get(1),
            table: r.get(2),
            name: r.get(3),
        })
        .collect())
}

/// The invalid index among `found` that `sql` (a `CREATE INDEX CONCURRENTLY` as the renderer
/// writes it) would build again, if any.
pub fn rebuilt_by<'a>(found: &'a [Leftover], sql: &str) -> Option<&'a Leftover> {
    found.iter().find(|l| {
        l.kind == Kind::InvalidIndex
            && sql.contains(&format!(
                "CONCURRENTLY {} ON {}",
                ident(&l.name),
                qname(&l.table_name())
            ))
    })
}

/// `DROP INDEX CONCURRENTLY` for an invalid index: it takes no lock that blocks the table.
pub fn drop_sql(l: &Leftover) -> String {
    format!(
        "DROP INDEX CONCURRENTLY IF EXISTS {}",
        qname(&autogen_model::ir::QName::new(
            l.schema.clone(),
            l.name.clone()
        ))
    )
}
