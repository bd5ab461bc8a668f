//! Live catalog -> `ir::Schema`.
//!
//! Input: a connection and a schema filter. Output: the IR of every selected schema. Each object
//! kind is read for all tables at once from `pg_catalog` (see `queries/`), so the number of queries
//! is fixed: [`QUERY_COUNT`], whatever the size of the database. Objects that belong to an
//! extension are skipped. Nothing here writes to the database.

mod assemble;
mod function_rows;
mod trigger_rows;

use crate::conn::error_text;
use crate::error::Error;
use crate::filter::SchemaFilter;
use autogen_model::ir::{QName, Schema};
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::Type;
use postgres::{Client, Row};

pub(crate) const QUERIES: &[(&str, &str)] = &[
    ("schemas", include_str!("queries/schemas.sql")),
    ("extensions", include_str!("queries/extensions.sql")),
    ("enums", include_str!("queries/enums.sql")),
    ("domains", include_str!("queries/domains.sql")),
    ("sequences", include_str!("queries/sequences.sql")),
    ("tables", include_str!("queries/tables.sql")),
    ("columns", include_str!("queries/columns.sql")),
    ("constraints", include_str!("queries/constraints.sql")),
    ("views", include_str!("queries/views.sql")),
    ("indexes", include_str!("queries/indexes.sql")),
    ("functions", include_str!("queries/functions.sql")),
    // After tables and views: each trigger goes onto its relation.
    ("triggers", include_str!("queries/triggers.sql")),
    ("policies", include_str!("queries/policies.sql")),
    // Last: each grant goes onto its object.
    ("grants", include_str!("queries/grants.sql")),
];

/// Catalog queries per inspection, after the one statement that sets up the session.
pub const QUERY_COUNT: usize = 14;

/// Which of `relations` and `types` (quoted qualified names) the database has, relations first:
/// one round trip, however many names.
pub fn existing(
    client: &mut Client,
    relations: &[String],
    types: &[String],
) -> Result<Vec<String>, Error> {
    client
        .query_one(
            "SELECT ARRAY(SELECT n FROM unnest($1::text[]) n WHERE to_regclass(n) IS NOT NULL) \
                 || ARRAY(SELECT n FROM unnest($2::text[]) n WHERE to_regtype(n) IS NOT NULL)",
            &[&relations, &types],
        )
        .map(|r| r.get(0))
        .map_err(|e| Error::Inspect {
            query: "existing objects".into(),
            message: error_text(&e),
        })
}

/// Reads every schema the filter selects.
pub fn inspect(client: &mut Client, filter: &SchemaFilter) -> Result<Schema, Error> {
    inspect_versioned(client, filter).map(|(schema, _)| schema)
}

/// [`inspect`], and the server's `server_version_num`, read in the same round trip as the
/// session settings.
pub fn inspect_versioned(
    client: &mut Client,
    filter: &SchemaFilter,
) -> Result<(Schema, u32), Error> {
    // With an empty search_path, pg_get_expr qualifies every name outside pg_catalog, so the
    // same expression reads the same whatever the role's search_path is. JIT off: the catalog
    // queries' row-count guesses cross jit_above_cost on large catalogs, and compiling them
    // took longer (about a second at 5,000 tables) than running them.
    let version: i32 = client
        .query_typed(
            "SELECT set_config('search_path', '', false), set_config('jit', 'off', false), \
             current_setting('server_version_num')::int4",
            &[],
        )
        .and_then(|rows| rows.first().map(|r| r.try_get(2)).unwrap_or(Ok(0)))
        .map_err(|e| Error::Inspect {
            query: "session settings".into(),
            message: error_text(&e),
        })?;
    let version = version.max(0) as u32;
    let mut schema = Schema::default();
    let mut names = Vec::new();
    for_each_row(client, "schemas", None, version, |r| {
        let name: String = r.get("name");
        if filter.matches(&name) {
            assemble::add_row(&mut schema, "schemas", r)?;
            names.push(name);
        }
        Ok(())
    })?;
    for (query, _) in &QUERIES[1..] {
        for_each_row(client, query, Some(&names), version, |r| {
            assemble::add_row(&mut schema, query, r)
        })?;
    }
    Ok((schema, version))
}

/// An object of a kind autogen may not manage, as `unmanaged.sql` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogObject {
    pub schema: String,
    /// `view`, `function`, `trigger`, `table`, ...
    pub kind: String,
    pub name: String,
}

/// The kinds of object a model declares; every other kind in [`catalog_objects`] is unmanaged.
pub const MANAGED_KINDS: [&str; 10] = [
    "table",
    "trigger",
    "policy",
    "function",
    "procedure",
    "sequence",
    "enum",
    "domain",
    "view",
    "materialized view",
];

/// Objects in the schemas `filter` selects of kinds no model declares yet (views, functions,
/// triggers, policies, ...), as `kind schema.name`: what `diff`, `dump` and `init --from-db`
/// leave out, and so must name.
pub fn unmanaged(client: &mut Client, filter: &SchemaFilter) -> Result<Vec<String>, Error> {
    Ok(unmanaged_objects(client, filter)?
        .iter()
        .map(CatalogObject::describe)
        .collect())
}

/// [`unmanaged`], as objects.
pub fn unmanaged_objects(
    client: &mut Client,
    filter: &SchemaFilter,
) -> Result<Vec<CatalogObject>, Error> {
    Ok(catalog_objects(client)?
        .into_iter()
        .filter(|o| filter.matches(&o.schema) && !MANAGED_KINDS.contains(&o.kind.as_str()))
        .collect())
}

impl CatalogObject {
    /// `kind schema.name`.
    pub fn describe(&self) -> String {
        format!("{} {}.{}", self.kind, self.schema, self.name)
    }
}

/// A view (or materialized view) that reads something a change is about to alter or drop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewUse {
    pub view: QName,
    pub materialized: bool,
    /// The table (or type) read.
    pub of: QName,
    /// The column read; `None` for the table as a whole, or a type.
    pub column: Option<String>,
    pub is_type: bool,
    /// `pg_get_viewdef`: what re-creates it.
    pub definition: String,
}

/// The views over `columns` (table and column; `None` for any column) and `types`, in one
/// query; what Postgres would refuse to change under them.
pub fn views_over(
    client: &mut Client,
    columns: &[(QName, Option<String>)],
    types: &[QName],
) -> Result<Vec<ViewUse>, Error> {
    if columns.is_empty() && types.is_empty() {
        return Ok(Vec::new());
    }
    let col = |f: fn(&(QName, Option<String>)) -> String| columns.iter().map(f).collect::<Vec<_>>();
    let schemas = col(|c| c.0.schema.clone());
    let tables = col(|c| c.0.name.clone());
    let names = col(|c| c.1.clone().unwrap_or_default());
    let type_schemas: Vec<String> = types.iter().map(|t| t.schema.clone()).collect();
    let type_names: Vec<String> = types.iter().map(|t| t.name.clone()).collect();
    let rows = client
        .query(
            include_str!("queries/views_over.sql"),
            &[&schemas, &tables, &names, &type_schemas, &type_names],
        )
        .map_err(|e| Error::Inspect {
            query: "views_over".into(),
            message: error_text(&e),
        })?;
    Ok(rows
        .iter()
        .map(|r| {
            let what: String = r.get(5);
            ViewUse {
                view: QName::new(r.get::<_, String>(0), r.get::<_, String>(1)),
                materialized: r.get(2),
                of: QName::new(r.get::<_, String>(3), r.get::<_, String>(4)),
                is_type: what == "#type",
                column: (!what.is_empty() && what != "#type").then_some(what),
                definition: r.get(6),
            }
        })
        .collect())
}

/// The privileges granted to others on each of `views` that has any, as `GRANT` would name them
/// (`SELECT to anon`), in one query.
pub fn view_grants(
    client: &mut Client,
    views: &[QName],
) -> Result<Vec<(QName, Vec<String>)>, Error> {
    if views.is_empty() {
        return Ok(Vec::new());
    }
    let schemas: Vec<&str> = views.iter().map(|q| q.schema.as_str()).collect();
    let names: Vec<&str> = views.iter().map(|q| q.name.as_str()).collect();
    let rows = client
        .query(
            "SELECT x.sch, x.nm, array_agg(g.privilege_type || ' to ' || \
                    CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(g.grantee)::text END \
                    ORDER BY 1) \
             FROM unnest($1::text[], $2::text[]) AS x(sch, nm) \
             JOIN pg_catalog.pg_namespace n ON n.nspname = x.sch \
             JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = x.nm \
             CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) g \
             WHERE g.grantee <> g.grantor GROUP BY 1, 2 ORDER BY 1, 2",
            &[&schemas, &names],
        )
        .map_err(|e| Error::Inspect {
            query: "view grants".into(),
            message: error_text(&e),
        })?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                QName::new(r.get::<_, String>(0), r.get::<_, String>(1)),
                r.get(2),
            )
        })
        .collect())
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

/// Runs one catalog query and hands each row to `each` as it arrives, so no query's result is
/// held whole (at 5,000 tables, the column rows alone took 20 MB). Rows come in no order unless
/// the query says: tables, constraints and indexes go into sorted maps, so sorting them on the
/// server would be wasted. One round trip: typed parameters let the driver skip the separate
/// prepare step.
fn for_each_row(
    client: &mut Client,
    name: &str,
    schemas: Option<&Vec<String>>,
    version: u32,
    mut each: impl FnMut(&Row) -> Result<(), Error>,
) -> Result<(), Error> {
    let sql = QUERIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
        .unwrap_or_default();
    // NULLS NOT DISTINCT is new in PostgreSQL 15; before it, every unique index treats NULLs
    // as distinct.
    let sql = if version < 150000 {
        std::borrow::Cow::Owned(sql.replace("i.indnullsnotdistinct", "false"))
    } else {
        std::borrow::Cow::Borrowed(sql)
    };
    // Before PostgreSQL 13, a partition's clone of its parent's trigger is internal.
    let sql = if version < 130000 {
        std::borrow::Cow::Owned(sql.replace("t.tgparentid = 0", "true"))
    } else {
        sql
    };
    // SQL-standard bodies are new in PostgreSQL 14.
    let sql = if version < 140000 {
        std::borrow::Cow::Owned(
            sql.replace("p.prosqlbody IS NOT NULL", "false")
                .replace("pg_catalog.pg_get_function_sqlbody(p.oid)", "NULL"),
        )
    } else {
        sql
    };
    let failed = |e: postgres::Error| Error::Inspect {
        query: name.to_string(),
        message: error_text(&e),
    };
    let params: Vec<(&Vec<String>, Type)> =
        schemas.map(|s| (s, Type::TEXT_ARRAY)).into_iter().collect();
    let mut rows = client.query_typed_raw(&sql, params).map_err(failed)?;
    while let Some(row) = rows.next().map_err(failed)? {
        each(&row)?;
    }
    Ok(())
}
