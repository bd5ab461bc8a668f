//! Which migrations lose data, and how much data a live database holds where they would.
//!
//! Input: migration files and, for the estimate, a connection. Output: the data-loss steps of a
//! migration, read from the hazards `revision` wrote into it. Those lines are the plan's typed
//! hazards, serialized; snapshots cannot stand in for them, since a snapshot keeps no rename
//! hints and a renamed column would read as dropped. Statements written by hand carry no hazard
//! lines and are the reviewer's to judge.

use super::Migration;
use crate::error::Error;
use postgres::Client;

pub struct Loss {
    /// The step, as its comment names it (`drop column `body` from `journal.entries``).
    pub step: String,
    /// What is lost.
    pub what: String,
}

/// Migrations whose up files lose data and carry no `-- allow-destructive: yes` marker:
/// `upgrade` would refuse them, so `check` and `validate` say so before the deploy does.
pub fn unmarked(streams: &[super::Stream]) -> Vec<super::Problem> {
    let mut out = Vec::new();
    for m in streams.iter().flat_map(|s| s.chain.iter()) {
        let lost = losses(m);
        if m.allow_destructive || lost.is_empty() {
            continue;
        }
        let steps: Vec<String> = lost
            .iter()
            .map(|l| format!("{} ({})", l.step, l.what))
            .collect();
        out.push(super::Problem {
            service: m.service.clone(),
            message: format!(
                "`{}` loses data and is not marked as reviewed, so `autogen upgrade` will \
                 refuse it: {}",
                m.up_path.display(),
                steps.join("; ")
            ),
            fix: "if the loss is intended, add `-- allow-destructive: yes` to its header in \
                  review (as `autogen revision --allow-destructive` does); else change the \
                  migration"
                .into(),
        });
    }
    out
}

/// The data-loss steps of a migration's up file.
pub fn losses(m: &Migration) -> Vec<Loss> {
    losses_in(&m.up)
}

/// The data-loss steps of a migration's down file (reverting a created table drops its rows).
pub fn down_losses(m: &Migration) -> Vec<Loss> {
    m.down.as_deref().map(losses_in).unwrap_or_default()
}

fn losses_in(sql: &str) -> Vec<Loss> {
    let mut out = Vec::new();
    let mut step = String::new();
    for line in sql.lines() {
        let Some(rest) = line.strip_prefix("-- ") else {
            continue;
        };
        if let Some(what) = rest.strip_prefix("hazard: data loss: ") {
            out.push(Loss {
                step: step.clone(),
                what: what.to_string(),
            });
        } else if let Some((n, d)) = rest.split_once(". ") {
            if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
                step = d.to_string();
            }
        }
    }
    out
}

/// `about 1,204 rows, 96 kB` for each table that `what` (a data-loss hazard's text) names and
/// the database has; `None` when it names none. The row count is the planner's estimate
/// (`pg_class.reltuples`): no table is scanned to count.
pub fn at_stake(client: &mut Client, what: &str) -> Result<Option<String>, Error> {
    let mut parts = Vec::new();
    for name in what.split('`').skip(1).step_by(2) {
        let Some((schema, table)) = name.split_once('.') else {
            continue;
        };
        let rows = client
            .query(
                "SELECT c.reltuples::float8, pg_size_pretty(pg_total_relation_size(c.oid)) \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')",
                &[&schema, &table],
            )
            .map_err(|e| Error::Inspect {
                query: "row estimate".into(),
                message: e.to_string(),
            })?;
        if let Some(r) = rows.first() {
            let tuples: f64 = r.get(0);
            let size: String = r.get(1);
            parts.push(if tuples < 0.0 {
                format!("`{name}`: {size}, rows unknown (never analyzed)")
            } else {
                format!("`{name}`: about {} rows, {size}", thousands(tuples as u64))
            });
        }
    }
    Ok((!parts.is_empty()).then(|| parts.join("; ")))
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1204), "1,204");
        assert_eq!(thousands(12_345_678), "12,345,678");
    }
}
