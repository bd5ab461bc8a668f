//! Live catalog -> `ir::Schema`.
//!
//! Input: a connection and a schema filter. Output: the IR of every selected schema. Each object
//! kind is read for all tables at once from `pg_catalog` (see `queries/`), so the number of queries
//! is fixed: [`QUERY_COUNT`], whatever the size of the database. Objects that belong to an
//! extension are skipped. Nothing here writes to the database.

mod assemble;

use crate::error::Error;
use crate::filter::SchemaFilter;
use crate::ir::Schema;
use postgres::types::Type;
use postgres::{Client, NoTls, Row};

pub(crate) const QUERIES: &[(&str, &str)] = &[
    ("schemas", include_str!("queries/schemas.sql")),
    ("extensions", include_str!("queries/extensions.sql")),
    ("enums", include_str!("queries/enums.sql")),
    ("domains", include_str!("queries/domains.sql")),
    ("sequences", include_str!("queries/sequences.sql")),
    ("tables", include_str!("queries/tables.sql")),
    ("columns", include_str!("queries/columns.sql")),
    ("constraints", include_str!("queries/constraints.sql")),
    ("indexes", include_str!("queries/indexes.sql")),
];

/// Catalog queries per inspection, plus the one `SET` that fixes how expressions are printed.
pub const QUERY_COUNT: usize = 9;

/// Connects to `url` (a `postgres://` URL or a libpq key=value string).
pub fn connect(url: &str) -> Result<Client, Error> {
    Client::connect(url, NoTls).map_err(|e| Error::Connect {
        url: redact(url),
        message: error_text(&e),
    })
}

/// Reads every schema the filter selects.
pub fn inspect(client: &mut Client, filter: &SchemaFilter) -> Result<Schema, Error> {
    // With an empty search_path, pg_get_expr qualifies every name outside pg_catalog, so the
    // same expression reads the same whatever the role's search_path is.
    client
        .batch_execute("SET search_path = ''")
        .map_err(|e| Error::Inspect {
            query: "SET search_path".into(),
            message: error_text(&e),
        })?;
    let all = run(client, "schemas", None)?;
    let schemas: Vec<Row> = all
        .into_iter()
        .filter(|r| filter.matches(&r.get::<_, String>("name")))
        .collect();
    let names: Vec<String> = schemas.iter().map(|r| r.get("name")).collect();
    let mut q = |name: &str| run(client, name, Some(&names));
    let rows = assemble::Rows {
        extensions: q("extensions")?,
        enums: q("enums")?,
        domains: q("domains")?,
        sequences: q("sequences")?,
        tables: q("tables")?,
        columns: q("columns")?,
        constraints: q("constraints")?,
        indexes: q("indexes")?,
        schemas,
    };
    assemble::assemble(rows)
}

/// An object of a kind autogen may not manage, as `unmanaged.sql` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogObject {
    pub schema: String,
    /// `view`, `function`, `trigger`, `table`, ...
    pub kind: String,
    pub name: String,
}

/// Every user object by schema, kind and name (one query), for `check` to find what no model
/// declares.
pub fn catalog_objects(client: &mut Client) -> Result<Vec<CatalogObject>, Error> {
    let rows = client
        .query_typed(include_str!("queries/unmanaged.sql"), &[])
        .map_err(|e| Error::Inspect {
            query: "unmanaged".into(),
            message: error_text(&e),
        })?;
    Ok(rows
        .iter()
        .map(|r| CatalogObject {
            schema: r.get("schema"),
            kind: r.get("kind"),
            name: r.get("name"),
        })
        .collect())
}

/// One round trip per query: typed parameters let the driver skip the separate prepare step.
fn run(client: &mut Client, name: &str, schemas: Option<&Vec<String>>) -> Result<Vec<Row>, Error> {
    let sql = QUERIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
        .unwrap_or_default();
    let result = match schemas {
        Some(s) => client.query_typed(sql, &[(s, Type::TEXT_ARRAY)]),
        None => client.query_typed(sql, &[]),
    };
    result.map_err(|e| Error::Inspect {
        query: name.to_string(),
        message: error_text(&e),
    })
}

/// The server's message when there is one, rather than the driver's generic "db error".
pub fn error_text(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = db.message().to_string();
            if let Some(d) = db.detail() {
                s.push_str(&format!(" ({d})"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!("; hint: {h}"));
            }
            s
        }
        None => e.to_string(),
    }
}

/// Hides a password in a URL (or a libpq `key=value` string) before it goes into a message.
pub fn redact(url: &str) -> String {
    if !url.contains("://") {
        let Some(start) = url.find("password=") else {
            return url.to_string();
        };
        let value = &url[start + "password=".len()..];
        let mut end = value.find(' ').unwrap_or(value.len());
        if let Some(quoted) = value.strip_prefix('\'') {
            // A quoted value ends at the first quote not escaped by a backslash.
            let mut escaped = false;
            for (i, c) in quoted.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '\'' if !escaped => {
                        end = i + 2;
                        break;
                    }
                    _ => escaped = false,
                }
            }
        }
        return format!("{}password=***{}", &url[..start], &value[end..]);
    }
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((creds, host)) = rest.split_once('@') {
            if let Some((user, _)) = creds.split_once(':') {
                return format!("{scheme}://{user}:***@{host}");
            }
        }
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(
            super::redact("host='h' password='se cr\\'et' user='u'"),
            "host='h' password=*** user='u'"
        );
    }
}
