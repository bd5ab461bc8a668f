//! What `autogen health` reads from a live database: the server, the privileges migrations
//! need, who holds the migration lock, which sessions wait on a lock. Read-only: nothing here
//! takes a lock or writes.

use crate::error::Error;
use crate::migrate::runner::LOCK_KEY;
use autogen_pg::conn::error_text;
use postgres::Client;

fn query_error(what: &str, e: &postgres::Error) -> Error {
    Error::migration(
        format!("could not read {what}: {}", error_text(e)),
        "check that the role can read pg_catalog and pg_stat_activity",
    )
}

pub struct Server {
    pub version: String,
    pub version_num: i32,
    pub database: String,
    pub user: String,
    /// The TLS version of this session; `None`: not encrypted.
    pub tls: Option<String>,
}

pub fn server(client: &mut Client) -> Result<Server, Error> {
    let r = client
        .query_one(
            "SELECT current_setting('server_version'), current_setting('server_version_num')::int4, \
             current_database()::text, current_user::text, \
             (SELECT version FROM pg_catalog.pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl)",
            &[],
        )
        .map_err(|e| query_error("the server version", &e))?;
    Ok(Server {
        version: r.get(0),
        version_num: r.get(1),
        database: r.get(2),
        user: r.get(3),
        tls: r.get(4),
    })
}

/// A privilege migrations need that the role lacks, as a sentence.
pub fn missing_privileges(client: &mut Client, schemas: &[String]) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    let r = client
        .query_one(
            "SELECT has_database_privilege(current_database(), 'CREATE'), \
                    EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'autogen'), \
                    EXISTS (SELECT 1 FROM pg_catalog.pg_class c \
                            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                            WHERE n.nspname = 'autogen' AND c.relname = 'history')",
            &[],
        )
        .map_err(|e| query_error("the privileges", &e))?;
    let (create_db, has_schema, has_history): (bool, bool, bool) = (r.get(0), r.get(1), r.get(2));
    if has_history {
        let ok: bool = client
            // By oid: naming the table would itself fail without USAGE on its schema.
            .query_one(
                "SELECT has_schema_privilege(n.oid, 'USAGE') \
                        AND has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE') \
                 FROM pg_catalog.pg_class c \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = 'autogen' AND c.relname = 'history'",
                &[],
            )
            .map_err(|e| query_error("the privileges", &e))?
            .get(0);
        if !ok {
            out.push("cannot read and write the history table `autogen.history`".to_string());
        }
    } else if !has_schema && !create_db {
        out.push(
            "cannot create the schema `autogen` for the history (no CREATE on the database)"
                .to_string(),
        );
    }
    let rows = client
        .query(
            "SELECT s.name, n.oid IS NOT NULL, \
                    n.oid IS NOT NULL AND has_schema_privilege(n.oid, 'USAGE, CREATE') \
             FROM unnest($1::text[]) AS s(name) \
             LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = s.name \
             ORDER BY 1",
            &[&schemas],
        )
        .map_err(|e| query_error("the privileges", &e))?;
    for r in rows {
        let (name, exists, usable): (String, bool, bool) = (r.get(0), r.get(1), r.get(2));
        if !exists && !create_db {
            out.push(format!(
                "cannot create the schema `{name}` (no CREATE on the database)"
            ));
        } else if exists && !usable {
            out.push(format!("no USAGE and CREATE on the schema `{name}`"));
        }
    }
    // ALTER and DROP need ownership (or membership in the owning role).
    let rows = client
        .query(
            "SELECT n.nspname::text, c.relname::text, pg_get_userbyid(c.relowner)::text \
             FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'S') \
               AND NOT pg_has_role(c.relowner, 'USAGE') \
             ORDER BY 1, 2",
            &[&schemas],
        )
        .map_err(|e| query_error("the privileges", &e))?;
    for r in rows {
        let (schema, name, owner): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        out.push(format!(
            "`{schema}.{name}` belongs to `{owner}`: migrations cannot alter or drop it"
        ));
    }
    Ok(out)
}

/// A session of this database, as health reports it.
pub struct Session {
    pub pid: i32,
    pub seconds: i64,
    pub query: String,
    /// The sessions it waits for (empty for the lock holder).
    pub blocked_by: Vec<i32>,
}

/// The session holding autogen's migration lock, if any (another autogen run).
pub fn migration_running(client: &mut Client) -> Result<Option<Session>, Error> {
    let row = client
        .query_opt(
            "SELECT a.pid, coalesce(extract(epoch FROM now() - a.xact_start), \
                    extract(epoch FROM now() - a.backend_start))::int8, \
                    left(coalesce(a.query, ''), 200) \
             FROM pg_catalog.pg_locks l \
             JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.database = \
                   (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) \
               AND l.classid::int8 = $1 AND l.objid::int8 = $2 AND l.objsubid = 1 \
               AND a.pid <> pg_backend_pid() \
             LIMIT 1",
            &[&(LOCK_KEY >> 32), &(LOCK_KEY & 0xffff_ffff)],
        )
        .map_err(|e| query_error("the migration lock", &e))?;
    Ok(row.map(|r| Session {
        pid: r.get(0),
        seconds: r.get(1),
        query: r.get(2),
        blocked_by: Vec::new(),
    }))
}

/// A session holding locks on the project's tables: a migration's `ALTER` waits for every one
/// of them (even a reader's), so these are what a lock timeout ran into.
pub struct Holder {
    pub session: Session,
    /// `pg_stat_activity.state`: `idle in transaction` is the usual culprit.
    pub state: String,
    /// `schema.table (LockMode)`, sorted.
    pub locks: Vec<String>,
}

/// Other sessions holding locks on relations in `schemas`, the longest-running first.
pub fn lock_holders(client: &mut Client, schemas: &[String]) -> Result<Vec<Holder>, Error> {
    let rows = client
        .query(
            "SELECT a.pid, coalesce(extract(epoch FROM now() - a.xact_start), \
                    extract(epoch FROM now() - a.backend_start), 0)::int8, \
                    left(coalesce(a.query, ''), 200), coalesce(a.state, ''), \
                    array_agg(DISTINCT format('%I.%I (%s)', n.nspname, c.relname, l.mode) \
                              ORDER BY format('%I.%I (%s)', n.nspname, c.relname, l.mode)) \
             FROM pg_catalog.pg_locks l \
             JOIN pg_catalog.pg_class c ON c.oid = l.relation \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid \
             WHERE l.granted AND n.nspname = ANY($1) AND a.pid <> pg_backend_pid() \
               AND l.database = (SELECT oid FROM pg_catalog.pg_database \
                                 WHERE datname = current_database()) \
             GROUP BY a.pid, a.xact_start, a.backend_start, a.query, a.state \
             ORDER BY 2 DESC, 1",
            &[&schemas],
        )
        .map_err(|e| query_error("the table locks", &e))?;
    Ok(rows
        .iter()
        .map(|r| Holder {
            session: Session {
                pid: r.get(0),
                seconds: r.get(1),
                query: r.get(2),
                blocked_by: Vec::new(),
            },
            state: r.get(3),
            locks: r.get(4),
        })
        .collect())
}

/// Sessions of this database that wait for a lock another session holds.
pub fn lock_waits(client: &mut Client) -> Result<Vec<Session>, Error> {
    let rows = client
        .query(
            "SELECT a.pid, coalesce(extract(epoch FROM now() - a.query_start), 0)::int8, \
                    left(coalesce(a.query, ''), 200), pg_blocking_pids(a.pid) \
             FROM pg_catalog.pg_stat_activity a \
             WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() \
               AND cardinality(pg_blocking_pids(a.pid)) > 0 \
             ORDER BY a.pid",
            &[],
        )
        .map_err(|e| query_error("the lock waits", &e))?;
    Ok(rows
        .iter()
        .map(|r| Session {
            pid: r.get(0),
            seconds: r.get(1),
            query: r.get(2),
            blocked_by: r.get(3),
        })
        .collect())
}
