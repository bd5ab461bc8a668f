//! `autogen reset`: drop what the project's services own and clear their history, so every
//! migration runs again from the start. Only for databases marked disposable; the schemas to drop
//! come from the service's configuration and snapshots, never from what the database holds, and
//! nothing outside them is touched: a dependency from outside is a refusal, not a CASCADE.

use crate::error::Error;
use autogen_model::ir::quote::ident;
use autogen_pg::conn::error_text;
use postgres::Client;

/// Every object in `schemas`, as `kind schema.name` (one catalog query): read before the wipe
/// and after the migrations ran again, the difference is what reset took and no migration
/// brings back, which it must name.
pub fn objects_in(
    client: &mut Client,
    schemas: &[String],
) -> Result<std::collections::BTreeSet<String>, Error> {
    Ok(autogen_pg::inspect::catalog_objects(client)?
        .iter()
        .filter(|o| schemas.contains(&o.schema))
        .map(|o| o.describe())
        .collect())
}

/// Schemas `reset` never drops, whoever claims them: Postgres's, autogen's history, and the
/// platform schemas of Supabase (with or without the preset).
pub fn protected(schema: &str) -> bool {
    schema == crate::migrate::history::SCHEMA
        || schema == "information_schema"
        || schema.starts_with("pg_")
        || autogen_pg::filter::SUPABASE_SCHEMAS.contains(&schema)
}

/// Objects outside `schemas` that depend on objects inside them (a foreign key, a view, a column
/// of one of their types), described by Postgres.
pub fn outside_dependents(client: &mut Client, schemas: &[String]) -> Result<Vec<String>, Error> {
    let rows = client
        .query(
            // Rules, defaults, triggers and policies have no schema of their own: theirs is
            // their table's (a view's rule is how a view depends on the tables it reads).
            "SELECT DISTINCT pg_describe_object(d.classid, d.objid, d.objsubid) \
                    || ' (needs ' || pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid) || ')' \
             FROM pg_catalog.pg_depend d \
             CROSS JOIN LATERAL pg_identify_object(d.refclassid, d.refobjid, d.refobjsubid) r \
             CROSS JOIN LATERAL pg_identify_object(d.classid, d.objid, d.objsubid) o \
             LEFT JOIN pg_catalog.pg_rewrite rw \
                    ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND rw.oid = d.objid \
             LEFT JOIN pg_catalog.pg_attrdef ad \
                    ON d.classid = 'pg_catalog.pg_attrdef'::regclass AND ad.oid = d.objid \
             LEFT JOIN pg_catalog.pg_trigger tg \
                    ON d.classid = 'pg_catalog.pg_trigger'::regclass AND tg.oid = d.objid \
             LEFT JOIN pg_catalog.pg_policy po \
                    ON d.classid = 'pg_catalog.pg_policy'::regclass AND po.oid = d.objid \
             LEFT JOIN pg_catalog.pg_class t \
                    ON t.oid = coalesce(rw.ev_class, ad.adrelid, tg.tgrelid, po.polrelid) \
             LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace \
             WHERE d.deptype IN ('n', 'a') AND r.schema = ANY($1) \
               AND coalesce(o.schema, tn.nspname) IS NOT NULL \
               AND NOT coalesce(o.schema, tn.nspname) = ANY($1) \
             ORDER BY 1",
            &[&schemas],
        )
        .map_err(|e| {
            Error::migration(
                format!("could not read the dependencies: {}", error_text(&e)),
                "check the connection and that the role can read pg_catalog",
            )
        })?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Drops `schemas` and removes the history of `services`, in one transaction.
pub fn wipe(client: &mut Client, schemas: &[String], services: &[String]) -> Result<(), Error> {
    let mut tx = client
        .transaction()
        .map_err(|e| Error::migration(error_text(&e), "check the connection"))?;
    for s in schemas {
        let mut sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", ident(s));
        // `public` exists in every database and no migration creates it: it comes back empty,
        // with the privileges a new database gives it.
        if s == "public" {
            sql.push_str(
                "; CREATE SCHEMA public AUTHORIZATION pg_database_owner; \
                 GRANT USAGE ON SCHEMA public TO PUBLIC",
            );
        }
        tx.batch_execute(&sql).map_err(|e| {
            Error::migration(
                format!("could not drop the schema `{s}`: {}", error_text(&e)),
                "nothing was dropped; fix the cause (ownership, a lock) and run `autogen reset` again",
            )
        })?;
    }
    crate::migrate::history::forget_services(&mut tx, services)?;
    tx.commit()
        .map_err(|e| Error::migration(error_text(&e), "check the connection"))
}
