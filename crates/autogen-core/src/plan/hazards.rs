//! What can go wrong when a change runs, derived from the change itself.

use crate::diff::{Change, ViewChange};
use autogen_model::ir::convert::{
    fits, labels_cut, missing_labels, no_rewrite, silently_changes_values,
};

use autogen_model::ir::{BaseType, Column, Constraint, QName};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hazard {
    /// Stored data is removed. `tables`: those whose rows or values go (for the size estimate
    /// and the migration header; empty for a sequence).
    DataLoss { what: String, tables: Vec<QName> },
    /// The table is rewritten, holding an ACCESS EXCLUSIVE lock for the duration.
    TableRewrite,
    /// Blocks reads and writes of the table while it runs (a full scan or validation).
    AccessExclusiveLock(String),
    /// Blocks writes (not reads) to the table while it runs.
    BlocksWrites(String),
    /// Can fail on rows that exist now.
    MayFail(String),
    /// The undo of a data-removing step: the structure comes back, the data does not.
    NotRestored,
    /// Runs outside a transaction block, so a failure can leave part of its work behind.
    OutsideTransaction(String),
    /// A materialized view left without rows (`WITH NO DATA`): reading it fails until it is
    /// refreshed.
    NotPopulated(QName),
    /// What Postgres does not record as a dependency (a call from a plpgsql body or a SQL
    /// string body): neither checked nor ordered around.
    Untracked(String),
    /// Who may read or write which rows changes beyond the step's own object: row-level
    /// security switched, a policy dropped.
    Access(String),
}

impl fmt::Display for Hazard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hazard::DataLoss { what, .. } => write!(f, "data loss: {what}"),
            Hazard::TableRewrite => write!(
                f,
                "table rewrite: rewrites every row under an ACCESS EXCLUSIVE lock"
            ),
            Hazard::AccessExclusiveLock(why) => write!(f, "access-exclusive lock: {why}"),
            Hazard::BlocksWrites(why) => write!(f, "blocks writes: {why}"),
            Hazard::MayFail(why) => write!(f, "may fail on existing rows: {why}"),
            Hazard::NotRestored => write!(
                f,
                "data not restored: this undoes a step that removed data; the data removed then is not brought back"
            ),
            Hazard::OutsideTransaction(why) => write!(f, "outside a transaction: {why}"),
            Hazard::Untracked(why) => write!(f, "not tracked by Postgres: {why}"),
            Hazard::Access(why) => write!(f, "access: {why}"),
            Hazard::NotPopulated(v) => write!(
                f,
                "not populated: `{v}` is created WITH NO DATA; reading it fails until `REFRESH MATERIALIZED VIEW` runs"
            ),
        }
    }
}

/// Whether a column's change can be made with SET NOT NULL proven by a validated CHECK (no scan
/// under the ACCESS EXCLUSIVE lock): only when NOT NULL is added and nothing else in the change
/// needs that lock for long (a rewrite) or needs NOT NULL first (an identity).
pub fn online_not_null(before: &Column, after: &Column) -> bool {
    let rewrite = (before.ty != after.ty && !no_rewrite(&before.ty, &after.ty))
        || before.collation != after.collation;
    before.nullable && !after.nullable && before.identity == after.identity && !rewrite
}

/// The lock most ALTER TABLE forms take: short, but it queues behind every running query on the
/// table and everything queued after it waits too; `lock_timeout` bounds that wait.
fn brief_lock() -> Hazard {
    Hazard::AccessExclusiveLock("brief, to change the table definition".into())
}

/// The hazards of a step; `online` for its lock-friendly form (see `render`).
pub(crate) fn hazards(c: &Change, online: bool) -> Vec<Hazard> {
    use Change::*;
    match c {
        DropTable(t) => vec![
            Hazard::DataLoss {
                what: format!("drops table `{}` and all its rows", t.name),
                tables: vec![t.name.clone()],
            },
            Hazard::AccessExclusiveLock(format!(
                "brief, on `{}` and on the tables its foreign keys reference",
                t.name
            )),
        ],
        RenameTable { .. } | RenameColumn { .. } | RenameConstraint { .. } => vec![brief_lock()],
        DropConstraint { .. } => vec![brief_lock()],
        DropIndex(i) => vec![Hazard::AccessExclusiveLock(format!(
            "brief, on `{}`, to drop the index",
            i.table
        ))],
        DropColumn { table, column } => vec![
            Hazard::DataLoss {
                what: format!("drops column `{}` of `{table}` and its values", column.name),
                tables: vec![table.clone()],
            },
            brief_lock(),
        ],
        DropSequence(s) => vec![Hazard::DataLoss {
            what: format!("drops sequence `{}` and its current value", s.name),
            tables: Vec::new(),
        }],
        AddColumn { column, .. } => {
            let mut h = Vec::new();
            if !column.nullable
                && column.default.is_none()
                && column.identity.is_none()
                && column.generated.is_none()
            {
                h.push(Hazard::MayFail(
                    "a NOT NULL column without a default cannot be added to a table that has rows"
                        .into(),
                ));
            }
            if column.generated.is_some()
                || column.identity.is_some()
                || column
                    .default
                    .as_ref()
                    .is_some_and(|d| volatile(d.as_str()))
            {
                h.push(Hazard::TableRewrite);
            } else {
                h.push(brief_lock());
            }
            h
        }
        AlterColumn {
            table,
            before,
            after,
            conversion,
        } => {
            let mut h = Vec::new();
            if before.ty != after.ty || before.collation != after.collation {
                let ty = autogen_model::ir::quote::column_type(&after.ty);
                if !no_rewrite(&before.ty, &after.ty) {
                    h.push(Hazard::TableRewrite);
                }
                if let Some(e) = &conversion.using {
                    h.push(Hazard::MayFail(format!(
                        "every value of `{}` is converted by the model's `using: {}`",
                        after.name,
                        e.as_str()
                    )));
                }
                let cut = conversion.using.is_none()
                    && (silently_changes_values(&before.ty, &after.ty)
                        || labels_cut(&after.ty, conversion));
                if cut {
                    h.push(Hazard::DataLoss {
                        what: format!(
                            "values of `{}` in `{table}` are cut or rounded to fit `{ty}`",
                            after.name
                        ),
                        tables: vec![table.clone()],
                    });
                }
                // A cast to a shorter string cuts and never refuses; numbers can also overflow.
                let strings = matches!(&after.ty.base, BaseType::Builtin(y)
                    if matches!(y.as_str(), "varchar" | "bpchar" | "bit" | "varbit"));
                let missing = missing_labels(conversion);
                let fails = if conversion.using.is_some() || (cut && strings) {
                    None
                } else if !missing.is_empty() {
                    let list: Vec<String> = missing.iter().map(|l| format!("`{l}`")).collect();
                    Some(format!(
                        "rows holding {} (labels that `{ty}` lacks) make the conversion fail; \
                         declare `using:` on the column to map them",
                        list.join(", ")
                    ))
                } else if !fits(&before.ty, &after.ty, conversion) {
                    Some(format!("values that do not fit `{ty}` are refused or changed"))
                } else {
                    None
                };
                h.extend(fails.map(Hazard::MayFail));
            }
            let not_null = before.nullable && !after.nullable;
            if not_null && online {
                h.push(Hazard::MayFail(
                    "validating the helper check `IS NOT NULL` fails if a row holds NULL".into(),
                ));
                h.push(Hazard::AccessExclusiveLock(
                    "brief, for SET NOT NULL: the validated check proves there is no NULL, so it does not scan"
                        .into(),
                ));
            } else if not_null {
                h.push(Hazard::MayFail(
                    "SET NOT NULL fails if a row holds NULL".into(),
                ));
                h.push(Hazard::AccessExclusiveLock(
                    "SET NOT NULL scans the whole table".into(),
                ));
            }
            if !h.contains(&Hazard::TableRewrite)
                && !h.iter().any(|x| matches!(x, Hazard::AccessExclusiveLock(_)))
            {
                h.push(brief_lock());
            }
            h
        }
        AddConstraint { constraint, .. } => match constraint {
            Constraint::Check(_) if online => vec![
                Hazard::MayFail(
                    "rows that violate the check fail VALIDATE; the constraint stays NOT VALID until they are fixed"
                        .into(),
                ),
                Hazard::AccessExclusiveLock(
                    "brief, to add the check NOT VALID; VALIDATE then reads every row without blocking reads or writes"
                        .into(),
                ),
            ],
            Constraint::ForeignKey(f) if online => vec![
                Hazard::MayFail(
                    "rows without a matching referenced row fail VALIDATE; the key stays NOT VALID until they are fixed"
                        .into(),
                ),
                Hazard::BlocksWrites(format!(
                    "brief, on this table and `{}`, to add the key NOT VALID; VALIDATE then checks every row without blocking writes",
                    f.ref_table
                )),
            ],
            Constraint::Check(_) => vec![
                Hazard::MayFail("rows that violate the check".into()),
                Hazard::AccessExclusiveLock("validates every row".into()),
            ],
            Constraint::ForeignKey(_) => vec![
                Hazard::MayFail("rows without a matching referenced row".into()),
                Hazard::BlocksWrites("validates every row, locking both tables".into()),
            ],
            Constraint::PrimaryKey(_) | Constraint::Unique(_) | Constraint::Exclusion(_) => vec![
                Hazard::MayFail("duplicate (or NULL, for a primary key) values".into()),
                Hazard::AccessExclusiveLock("builds the index that enforces it".into()),
            ],
        },
        CreateIndex(i) if online => {
            let mut h = vec![Hazard::OutsideTransaction(format!(
                "CREATE INDEX CONCURRENTLY cannot run in one; if the build fails it leaves `{}` behind INVALID, which `autogen upgrade --resume` drops and builds again",
                i.name
            ))];
            if i.unique {
                h.push(Hazard::MayFail("duplicate values".into()));
            }
            h
        }
        CreateIndex(i) => {
            let mut h = vec![Hazard::BlocksWrites(format!(
                "builds `{}` without CONCURRENTLY",
                i.name
            ))];
            if i.unique {
                h.push(Hazard::MayFail("duplicate values".into()));
            }
            h
        }
        RebuildEnum {
            before,
            after,
            remap,
            usages,
        } => {
            let mut h = Vec::new();
            let removed = before.values_missing_from(after);
            let unmapped: Vec<String> = removed
                .iter()
                .filter(|v| !remap.contains_key(**v))
                .map(|v| format!("`{v}`"))
                .collect();
            if !unmapped.is_empty() {
                h.push(Hazard::MayFail(format!(
                    "rows holding the removed value(s) {} fail the conversion",
                    unmapped.join(", ")
                )));
            }
            if !remap.is_empty() {
                let mut tables: Vec<QName> = usages.iter().map(|u| u.table.clone()).collect();
                tables.dedup();
                h.push(Hazard::DataLoss {
                    what: format!(
                        "rows holding removed values are rewritten: {}",
                        remap
                            .iter()
                            .map(|(a, b)| format!("`{a}` -> `{b}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    tables,
                });
            }
            if !usages.is_empty() {
                h.push(Hazard::TableRewrite);
            }
            h
        }
        AlterDomain { before, after } => {
            let mut h = Vec::new();
            let added: Vec<String> = after
                .checks
                .iter()
                .filter(|(n, e)| before.checks.get(*n) != Some(*e))
                .map(|(n, _)| format!("`{n}`"))
                .collect();
            if !added.is_empty() {
                h.push(Hazard::MayFail(format!(
                    "stored values that violate {} (every column of the domain is checked)",
                    added.join(", ")
                )));
            }
            if after.not_null && !before.not_null {
                h.push(Hazard::MayFail(
                    "SET NOT NULL fails if a column of the domain holds NULL".into(),
                ));
            }
            if !h.is_empty() {
                h.push(Hazard::BlocksWrites(
                    "scans every table with a column of the domain".into(),
                ));
            }
            h
        }
        RebuildDomain { after, usages, .. } => {
            let mut h = vec![Hazard::MayFail(format!(
                "values that do not convert to `{}`",
                autogen_model::ir::quote::column_type(&after.base)
            ))];
            if !usages.is_empty() {
                h.push(Hazard::TableRewrite);
            }
            h
        }
        View(v) => view_hazards(v),
        Function(f) => function_hazards(f),
        Trigger(t) => trigger_hazards(t),
        Policy(p) => policy_hazards(p),
        Grant(g) => grant_hazards(g),
        _ => Vec::new(),
    }
}

/// What each role gains or loses on an object that stays; GRANT and REVOKE take no lock on it
/// (none shows in `pg_locks`, measured on Postgres 15). On an object the plan creates, or
/// creates again, the grants only say what it is given.
fn grant_hazards(c: &crate::diff::GrantChange) -> Vec<Hazard> {
    if c.step != crate::diff::GrantStep::Alter {
        return Vec::new();
    }
    let list = |ps: &[autogen_model::ir::Privilege]| {
        ps.iter().map(|p| p.sql()).collect::<Vec<_>>().join(", ")
    };
    let mut out = Vec::new();
    for (on, role, before, after) in c.each() {
        let what = on.describe();
        let (revoke, revoke_option, grant, grant_option) =
            crate::render::privilege_delta(before, after);
        let who = if role == autogen_model::ir::PUBLIC_ROLE {
            "every role (PUBLIC)".to_string()
        } else {
            format!("`{role}`")
        };
        if !revoke.is_empty() {
            out.push(Hazard::Access(format!(
                "{who} loses {} on `{what}`",
                list(&revoke)
            )));
        }
        if !revoke_option.is_empty() {
            out.push(Hazard::Access(format!(
                "{who} can no longer grant {} on `{what}` (nor can the roles it granted them to keep them)",
                list(&revoke_option)
            )));
        }
        let gained: Vec<_> = grant.iter().chain(&grant_option).copied().collect();
        if !gained.is_empty() {
            out.push(Hazard::Access(format!(
                "{who} gains {} on `{what}`",
                list(&gained)
            )));
        }
    }
    out
}

/// CREATE, ALTER and DROP POLICY and the row-level security switches take ACCESS EXCLUSIVE on
/// the table (measured on Postgres 15); a comment does not.
fn policy_hazards(c: &crate::diff::PolicyChange) -> Vec<Hazard> {
    use crate::diff::PolicyChange::*;
    let t = c.table();
    let lock = |what: &str| Hazard::AccessExclusiveLock(format!("brief, on `{t}`, to {what}"));
    match c {
        Create { .. } => vec![lock("add the policy")],
        Drop {
            policy, recreate, ..
        } => {
            let mut h = vec![lock("drop the policy")];
            if !recreate {
                h.push(Hazard::Access(if policy.restrictive {
                    format!(
                        "the rows of `{t}` that the restrictive policy `{}` held back become visible to its roles",
                        policy.name
                    )
                } else {
                    format!(
                        "the roles of `{}` lose the rows of `{t}` that only it let through",
                        policy.name
                    )
                }));
            }
            h
        }
        Alter { before, after, .. } if before.same_definition(after) => Vec::new(),
        Alter { .. } => vec![lock("alter the policy")],
        RowSecurity { before, after, .. } => {
            let mut h = vec![lock("switch row-level security")];
            if after.enabled && !before.enabled {
                h.push(Hazard::Access(format!(
                    "roles other than the owner of `{t}` (and BYPASSRLS roles) see and write only the rows its policies let through; none, without a policy for them"
                )));
            }
            if before.enabled && !after.enabled {
                h.push(Hazard::Access(format!(
                    "every role with privileges on `{t}` sees and writes all its rows; its policies stop applying"
                )));
            }
            if after.forced && !before.forced {
                h.push(Hazard::Access(format!(
                    "the owner of `{t}` is held to its policies too"
                )));
            }
            h
        }
    }
}

fn trigger_hazards(c: &crate::diff::TriggerChange) -> Vec<Hazard> {
    use crate::diff::TriggerChange::*;
    let on = &c.on().relation;
    match c {
        Drop { .. } => vec![Hazard::AccessExclusiveLock(format!(
            "brief, on `{on}`, to drop the trigger"
        ))],
        Create { .. } | Replace { .. } => vec![Hazard::BlocksWrites(format!(
            "briefly, on `{on}` (SHARE ROW EXCLUSIVE), to add the trigger"
        ))],
        Alter { before, after, .. } if before.enabled != after.enabled => {
            vec![Hazard::BlocksWrites(format!(
                "briefly, on `{on}` (SHARE ROW EXCLUSIVE), to change when the trigger fires"
            ))]
        }
        Alter { .. } => Vec::new(),
    }
}

fn function_hazards(c: &crate::diff::FunctionChange) -> Vec<Hazard> {
    use crate::diff::FunctionChange::*;
    match c {
        Drop(f, _) => vec![Hazard::Untracked(format!(
            "function bodies that call `{}` (plpgsql, or SQL in a string) are not recorded as depending on it, and fail when next called",
            f.describe()
        ))],
        Create(f, u) if u.by_tables && u.reads_tables && f.language == "sql" && !f.sql_body => {
            vec![Hazard::Untracked(format!(
                "the body of `{}` is created before the tables it may read, so it is checked when first called, not now",
                f.describe()
            ))]
        }
        _ => Vec::new(),
    }
}

fn view_hazards(c: &ViewChange) -> Vec<Hazard> {
    match c {
        ViewChange::Create(v) if v.materialized && !v.with_data => {
            vec![Hazard::NotPopulated(v.name.clone())]
        }
        ViewChange::Alter { before, after } if after.materialized && !after.with_data => {
            if before.with_data {
                vec![Hazard::NotPopulated(after.name.clone())]
            } else {
                Vec::new()
            }
        }
        ViewChange::Alter { before, after } if after.materialized && !before.with_data => {
            vec![Hazard::AccessExclusiveLock(format!(
                "REFRESH runs the query of `{}` and blocks reads of it meanwhile",
                after.name
            ))]
        }
        _ => Vec::new(),
    }
}

/// Defaults Postgres cannot store once for all existing rows (it must compute one per row).
fn volatile(expr: &str) -> bool {
    let e = expr.to_lowercase();
    [
        "random(",
        "gen_random_uuid(",
        "uuid_generate",
        "nextval(",
        "clock_timestamp(",
        "timeofday(",
    ]
    .iter()
    .any(|f| e.contains(f))
}
