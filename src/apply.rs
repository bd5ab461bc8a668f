//! Executes a plan on a live database: each transaction group in one transaction, so a failing
//! statement leaves the database as it was before that group.

use crate::error::Error;
use crate::inspect::error_text;
use crate::plan::Plan;
use crate::render::{RenderOptions, statements};
use postgres::Client;

/// Runs every step of `plan`; returns the number of statements executed.
pub fn apply_plan(client: &mut Client, plan: &Plan, opts: &RenderOptions) -> Result<usize, Error> {
    let mut n = 0;
    for group in plan.transactions() {
        let mut tx = client.transaction().map_err(|e| Error::Apply {
            statement: n,
            sql: "BEGIN".into(),
            message: error_text(&e),
        })?;
        for step in group {
            for sql in statements(&step.change, opts) {
                n += 1;
                tx.batch_execute(&sql).map_err(|e| Error::Apply {
                    statement: n,
                    sql: sql.clone(),
                    message: error_text(&e),
                })?;
            }
        }
        tx.commit().map_err(|e| Error::Apply {
            statement: n,
            sql: "COMMIT".into(),
            message: error_text(&e),
        })?;
    }
    Ok(n)
}
