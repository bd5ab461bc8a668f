//! Executes a plan on a live database: each transaction group in one transaction, so a failing
//! statement leaves the database as it was before that group.

use crate::conn::error_text;
use crate::error::Error;
use autogen_core::plan::Plan;
use autogen_core::render::{RenderOptions, batches, statements};
use postgres::Client;

/// Runs every step of `plan` in the units the runner would run its migration file in (one
/// transaction per batch, CONCURRENTLY statements outside any); returns the number of
/// statements executed.
pub fn apply_plan(client: &mut Client, plan: &Plan, opts: &RenderOptions) -> Result<usize, Error> {
    let mut n = 0;
    let fail = |n: usize, sql: &str, e: &postgres::Error| Error::Apply {
        statement: n,
        sql: sql.to_string(),
        message: error_text(e),
    };
    for batch in batches(plan, opts) {
        if !batch.transactional {
            for sql in &batch.statements {
                n += 1;
                client.batch_execute(sql).map_err(|e| fail(n, sql, &e))?;
            }
            continue;
        }
        let mut tx = client.transaction().map_err(|e| fail(n, "BEGIN", &e))?;
        for sql in &batch.statements {
            n += 1;
            tx.batch_execute(sql).map_err(|e| fail(n, sql, &e))?;
        }
        tx.commit().map_err(|e| fail(n, "COMMIT", &e))?;
    }
    Ok(n)
}

/// Statements per round trip in [`apply_scratch`]: few enough that one implicit transaction stays
/// well within a default server's lock table (`max_locks_per_transaction` 64 per connection),
/// many enough that a model of thousands of tables takes tens of round trips, not thousands.
const SCRATCH_BATCH: usize = 100;

/// Runs `plan` on a scratch database, where nothing needs to be atomic: statements go in batches,
/// each batch one round trip and one transaction. When a batch fails, its statements are run
/// again one by one, so the error names the statement that failed.
pub fn apply_scratch(client: &mut Client, plan: &Plan, opts: &RenderOptions) -> Result<(), Error> {
    let mut n = 0;
    for group in plan.transactions() {
        let sqls: Vec<String> = group
            .iter()
            .flat_map(|step| statements(&step.change, opts))
            .collect();
        for batch in sqls.chunks(SCRATCH_BATCH) {
            // A multi-statement simple query is one implicit transaction: all or nothing.
            if client.batch_execute(&batch.join("\n;\n")).is_err() {
                for (i, sql) in batch.iter().enumerate() {
                    client.batch_execute(sql).map_err(|e| Error::Apply {
                        statement: n + i + 1,
                        sql: sql.clone(),
                        message: error_text(&e),
                    })?;
                }
            }
            n += batch.len();
        }
    }
    Ok(())
}
