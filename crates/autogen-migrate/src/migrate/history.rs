//! The history table `autogen.history`: one row per applied migration per service, written in the
//! same transaction as the migration's last statement.

use super::files::Migration;
use crate::error::Error;
use autogen_pg::conn::error_text;
use postgres::GenericClient;

/// The schema that holds the history; `inspect` leaves it out unless asked for by name.
pub const SCHEMA: &str = autogen_pg::filter::RESERVED_SCHEMA;

pub const CREATE: &str = "CREATE SCHEMA IF NOT EXISTS autogen;
CREATE TABLE IF NOT EXISTS autogen.history (
    service text NOT NULL,
    version text NOT NULL,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    duration_ms bigint NOT NULL,
    success boolean NOT NULL,
    -- For a migration that failed after some of its steps were committed: the step to resume at.
    failed_unit integer,
    error text,
    PRIMARY KEY (service, version)
)";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub service: String,
    pub version: String,
    pub name: String,
    pub checksum: String,
    /// As text in UTC, for display.
    pub applied_at: String,
    pub duration_ms: i64,
    pub success: bool,
    pub failed_unit: Option<i32>,
    pub error: Option<String>,
}

fn db(what: &str, e: &postgres::Error) -> Error {
    Error::migration(
        format!("history table: {what} failed: {}", error_text(e)),
        "check that the role may create and write the schema `autogen`",
    )
}

/// Every row, ordered by service and version; empty when the table does not exist yet.
pub fn read(client: &mut impl GenericClient) -> Result<Vec<Row>, Error> {
    let exists: bool = client
        .query_one("SELECT to_regclass('autogen.history') IS NOT NULL", &[])
        .map_err(|e| db("reading", &e))?
        .get(0);
    if !exists {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            "SELECT service, version, name, checksum,
                    to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC',
                    duration_ms, success, failed_unit, error
             FROM autogen.history ORDER BY service, version",
            &[],
        )
        .map_err(|e| db("reading", &e))?;
    Ok(rows
        .iter()
        .map(|r| Row {
            service: r.get(0),
            version: r.get(1),
            name: r.get(2),
            checksum: r.get(3),
            applied_at: r.get(4),
            duration_ms: r.get(5),
            success: r.get(6),
            failed_unit: r.get(7),
            error: r.get(8),
        })
        .collect())
}

pub fn ensure(client: &mut impl GenericClient) -> Result<(), Error> {
    client.batch_execute(CREATE).map_err(|e| db("creating", &e))
}

/// Records `m` as applied, or with `failed` (the unit to resume at, the error) as dirty.
pub fn record(
    client: &mut impl GenericClient,
    m: &Migration,
    duration_ms: i64,
    failed: Option<(i32, &str)>,
) -> Result<(), Error> {
    let (failed_unit, error) = (failed.map(|f| f.0), failed.map(|f| f.1));
    client
        .execute(
            "INSERT INTO autogen.history
                 (service, version, name, checksum, duration_ms, success, failed_unit, error)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (service, version) DO UPDATE SET
                 name = EXCLUDED.name, checksum = EXCLUDED.checksum, applied_at = now(),
                 duration_ms = autogen.history.duration_ms + EXCLUDED.duration_ms,
                 success = EXCLUDED.success, failed_unit = EXCLUDED.failed_unit,
                 error = EXCLUDED.error",
            &[
                &m.service,
                &m.version,
                &m.name(),
                &m.checksum,
                &duration_ms,
                &failed_unit.is_none(),
                &failed_unit,
                &error,
            ],
        )
        .map_err(|e| db("recording", &e))?;
    Ok(())
}

pub fn remove(client: &mut impl GenericClient, service: &str, version: &str) -> Result<(), Error> {
    client
        .execute(
            "DELETE FROM autogen.history WHERE service = $1 AND version = $2",
            &[&service, &version],
        )
        .map_err(|e| db("removing a row", &e))?;
    Ok(())
}

/// Removes every row of `services` (for `reset`, which runs their migrations again).
pub fn forget_services(client: &mut impl GenericClient, services: &[String]) -> Result<(), Error> {
    client
        .execute(
            "DELETE FROM autogen.history WHERE service = ANY($1)",
            &[&services],
        )
        .map_err(|e| db("removing the services' rows", &e))?;
    Ok(())
}
