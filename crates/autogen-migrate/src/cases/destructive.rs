//! Which migrations lose data, and how much data a live database holds where they would.
//!
//! Input: migration files and, for the estimate, a connection. Output: the data-loss steps of a
//! migration, read from the `-- loses-data:` lines `revision` writes into its header: the plan's
//! typed hazards, serialized (step number and tables), so rewording a hazard's message changes
//! nothing here. Snapshots cannot stand in for them, since a snapshot keeps no rename hints and
//! a renamed column would read as dropped. Files written before those lines existed are read
//! from their `-- hazard: data loss:` comments, the only record they carry. Statements written
//! by hand carry neither and are the reviewer's to judge.

use crate::error::Error;
use crate::migrate::Migration;
use autogen_core::plan::{Hazard, Plan};
use autogen_model::ir::QName;
use autogen_pg::conn::error_text;
use postgres::Client;

/// The header key of a data-loss step.
const KEY: &str = "loses-data:";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loss {
    /// The step, as its comment names it (`drop column `body` from `journal.entries``), or
    /// `step N` when the file has no such comment.
    pub step: String,
    /// What is lost, as the step's hazard comment says; empty when it says nothing.
    pub what: String,
    /// The tables whose rows or values go.
    pub tables: Vec<QName>,
}

impl Loss {
    /// `step (what)`, or the step alone when its comments say nothing of the loss.
    pub fn describe(&self) -> String {
        if self.what.is_empty() {
            self.step.clone()
        } else {
            format!("{} ({})", self.step, self.what)
        }
    }

    /// What is lost, or the step when its comments do not say.
    pub fn what_or_step(&self) -> &str {
        if self.what.is_empty() {
            &self.step
        } else {
            &self.what
        }
    }
}

/// The header lines that record `plan`'s data-loss steps: `-- loses-data: N` and the tables,
/// one line per table.
pub fn header_lines(plan: &Plan) -> String {
    let mut out = String::new();
    for (i, step) in plan.steps.iter().enumerate() {
        let mut tables: Vec<&QName> = Vec::new();
        let mut loses = false;
        for h in &step.hazards {
            if let Hazard::DataLoss { tables: t, .. } = h {
                loses = true;
                for q in t {
                    if !tables.contains(&q) {
                        tables.push(q);
                    }
                }
            }
        }
        if !loses {
            continue;
        }
        if tables.is_empty() {
            out.push_str(&format!("-- {KEY} {}\n", i + 1));
        }
        for t in tables {
            out.push_str(&format!("-- {KEY} {} {}\n", i + 1, table_text(t)));
        }
    }
    out
}

/// Migrations whose up files lose data and carry no `-- allow-destructive: yes` marker:
/// `upgrade` would refuse them, so `check` and `validate` say so before the deploy does.
pub fn unmarked(streams: &[crate::migrate::Stream]) -> Vec<crate::migrate::Problem> {
    let mut out = Vec::new();
    for m in streams.iter().flat_map(|s| s.chain.iter()) {
        let lost = losses(m);
        if m.allow_destructive || lost.is_empty() {
            continue;
        }
        let steps: Vec<String> = lost.iter().map(Loss::describe).collect();
        out.push(crate::migrate::Problem {
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
    let marked = marked_steps(sql);
    let (names, hazards) = step_comments(sql);
    if marked.is_empty() {
        // Written before the header lines: the hazard comments are what there is.
        return hazards
            .into_iter()
            .map(|(n, what)| Loss {
                step: names.get(&n).cloned().unwrap_or_default(),
                tables: legacy_tables(&what),
                what,
            })
            .collect();
    }
    marked
        .into_iter()
        .map(|(n, tables)| Loss {
            step: names
                .get(&n)
                .cloned()
                .unwrap_or_else(|| format!("step {n}")),
            what: hazards
                .iter()
                .filter(|(k, _)| *k == n)
                .map(|(_, w)| w.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            tables,
        })
        .collect()
}

/// A table as a JSON array `["schema","name"]`: a name may hold a newline, which must not end
/// the comment line (the rest would run as SQL), and JSON escapes it.
fn table_text(t: &QName) -> String {
    serde_json::to_string(&[&t.schema, &t.name]).unwrap_or_default()
}

/// The `-- loses-data:` lines of the header: step numbers with their tables, in order.
fn marked_steps(sql: &str) -> Vec<(usize, Vec<QName>)> {
    let mut out: Vec<(usize, Vec<QName>)> = Vec::new();
    for line in sql.lines().take_while(|l| l.starts_with("--")) {
        let Some(rest) = line.strip_prefix("-- ").and_then(|r| r.strip_prefix(KEY)) else {
            continue;
        };
        let rest = rest.trim();
        let (n, table) = rest.split_once(' ').unwrap_or((rest, ""));
        let Ok(n) = n.parse::<usize>() else {
            continue;
        };
        let table = serde_json::from_str::<[String; 2]>(table)
            .ok()
            .map(|[schema, name]| QName::new(schema, name));
        match out.last_mut() {
            Some((last, tables)) if *last == n => tables.extend(table),
            _ => out.push((n, table.into_iter().collect())),
        }
    }
    out
}

/// The steps' names (`-- N. name`) and their data-loss comments (`-- hazard: data loss: ...`),
/// by step number.
fn step_comments(
    sql: &str,
) -> (
    std::collections::BTreeMap<usize, String>,
    Vec<(usize, String)>,
) {
    let mut names = std::collections::BTreeMap::new();
    let mut hazards = Vec::new();
    let mut step = 0;
    for line in sql.lines() {
        let Some(rest) = line.strip_prefix("-- ") else {
            continue;
        };
        if let Some(what) = rest.strip_prefix("hazard: data loss: ") {
            hazards.push((step, what.to_string()));
        } else if let Some((n, d)) = rest.split_once(". ") {
            if let Ok(n) = n.parse::<usize>() {
                step = n;
                names.insert(n, d.to_string());
            }
        }
    }
    (names, hazards)
}

/// For a file without header lines: the tables a data-loss comment names in backticks.
fn legacy_tables(what: &str) -> Vec<QName> {
    what.split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|name| {
            let (schema, table) = name.split_once('.')?;
            Some(QName::new(schema, table))
        })
        .collect()
}

/// Refuses, before anything runs, migrations whose data-loss steps nobody accepted in the file,
/// naming each step and the data at stake.
pub fn refuse_unaccepted(client: &mut Client, todo: &[Migration]) -> Result<(), Error> {
    let mut lines = Vec::new();
    for m in todo.iter().filter(|m| !m.allow_destructive) {
        for loss in losses(m) {
            let stake = at_stake(client, &loss.tables)?
                .map(|s| format!("\n      at stake: {s}"))
                .unwrap_or_default();
            let what = match loss.what.as_str() {
                "" => String::new(),
                w => format!(": {w}"),
            };
            lines.push(format!("  {}: {}{what}{stake}", m.label(), loss.step));
        }
    }
    if lines.is_empty() {
        return Ok(());
    }
    Err(Error::migration(
        format!(
            "nothing was run: pending migrations would lose data, and their files do not say that was accepted:\n{}",
            lines.join("\n")
        ),
        "review the steps; if they are intended, run `autogen upgrade --allow-destructive`, or add the line \
         `-- allow-destructive: yes` to the file's header (what `autogen revision --allow-destructive` writes) so reviewers see it",
    ))
}

/// Each migration to revert, with the data its down file drops and how much the database holds
/// there.
pub fn revert_list(client: &mut Client, todo: &[Migration]) -> Result<String, Error> {
    let mut out = String::new();
    for m in todo {
        out.push_str(&format!("  {}\n", m.label()));
        for loss in down_losses(m) {
            let stake = at_stake(client, &loss.tables)?
                .map(|s| format!("\n        at stake: {s}"))
                .unwrap_or_default();
            out.push_str(&format!(
                "      data loss: {}{stake}\n",
                loss.what_or_step()
            ));
        }
    }
    Ok(out)
}

/// `about 1,204 rows, 96 kB` for each of `tables` the database has; `None` when it has none.
/// The row count is the planner's estimate (`pg_class.reltuples`): no table is scanned to count.
pub fn at_stake(client: &mut Client, tables: &[QName]) -> Result<Option<String>, Error> {
    let mut parts = Vec::new();
    for t in tables {
        let rows = client
            .query(
                "SELECT c.reltuples::float8, pg_size_pretty(pg_total_relation_size(c.oid)) \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')",
                &[&t.schema, &t.name],
            )
            .map_err(|e| autogen_pg::Error::Inspect {
                query: "row estimate".into(),
                message: error_text(&e),
            })?;
        if let Some(r) = rows.first() {
            let tuples: f64 = r.get(0);
            let size: String = r.get(1);
            parts.push(if tuples < 0.0 {
                format!("`{t}`: {size}, rows unknown (never analyzed)")
            } else {
                format!("`{t}`: about {} rows, {size}", thousands(tuples as u64))
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
    use super::*;
    use autogen_core::diff::Change;
    use autogen_core::plan::Step;

    fn step(hazards: Vec<Hazard>) -> Step {
        Step {
            change: Change::DropSchema(autogen_model::ir::Namespace {
                name: "s".into(),
                comment: None,
                grants: Default::default(),
            }),
            hazards,
            commit_before: false,
            online: false,
        }
    }

    /// The header lines carry the typed hazard: read back, they give the same steps and tables,
    /// whatever the names hold and whatever the comments below them say.
    #[test]
    fn header_lines_round_trip_and_ignore_the_wording() {
        let odd = QName::new("My Schema", "a \"quoted\", table.x\nDROP TABLE y; --");
        let plain = QName::new("journal", "entries");
        let plan = Plan {
            steps: vec![
                step(vec![Hazard::TableRewrite]),
                step(vec![Hazard::DataLoss {
                    what: "drops table `x` and all its rows".into(),
                    tables: vec![odd.clone(), plain.clone()],
                }]),
                step(vec![Hazard::DataLoss {
                    what: "drops sequence `s`".into(),
                    tables: vec![],
                }]),
            ],
        };
        let header = header_lines(&plan);
        assert_eq!(header.lines().count(), 3, "one line per table: {header}");
        // Comments reworded by hand (or by a later version): nothing of them is read.
        let text = format!(
            "-- autogen migration (up)\n{header}\n-- 2. drop the thing\n-- hazard: gone: everything\n\
             DROP TABLE x;\n"
        );
        let lost = losses_in(&text);
        assert_eq!(lost.len(), 2, "{text}");
        assert_eq!(lost[0].step, "drop the thing");
        assert_eq!(lost[0].tables, vec![odd, plain]);
        assert_eq!(
            lost[0].what, "",
            "the reworded comment is not a data-loss message"
        );
        assert_eq!(lost[1].step, "step 3");
        assert!(lost[1].tables.is_empty());
    }

    /// A file written before the header lines existed is still refused from its comments.
    #[test]
    fn files_without_header_lines_are_read_from_their_comments() {
        let text = "-- autogen migration (up)\n\n-- 1. drop column `body` from `journal.entries`\n\
                    -- hazard: data loss: drops column `body` of `journal.entries` and its values\n\
                    ALTER TABLE journal.entries DROP COLUMN body;\n";
        let lost = losses_in(text);
        assert_eq!(lost.len(), 1);
        assert_eq!(lost[0].tables, vec![QName::new("journal", "entries")]);
        assert!(lost[0].what.starts_with("drops column"));
    }

    #[test]
    fn groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1204), "1,204");
        assert_eq!(thousands(12_345_678), "12,345,678");
    }
}
