//! Triggers, sub-objects of the table or view they are on (trigger names are unique per
//! relation, and `set_updated_at` on every table is the common case).
//!
//! Every part is compared as the catalog stores it: timing, events and level from `tgtype`, the
//! `UPDATE OF` columns from `tgattr`, the arguments from `tgargs`, and the `WHEN` condition as
//! `pg_get_triggerdef` prints it (a model's is normalized through the shadow).

use super::{Deferrable, QName};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TriggerTiming {
    #[default]
    Before,
    After,
    InsteadOf,
}

impl TriggerTiming {
    pub fn sql(self) -> &'static str {
        match self {
            TriggerTiming::Before => "BEFORE",
            TriggerTiming::After => "AFTER",
            TriggerTiming::InsteadOf => "INSTEAD OF",
        }
    }
}

/// The events a trigger fires on, in the order `pg_get_triggerdef` prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TriggerEvent {
    Insert,
    Delete,
    Update,
    Truncate,
}

impl TriggerEvent {
    pub const ALL: [TriggerEvent; 4] = [
        TriggerEvent::Insert,
        TriggerEvent::Delete,
        TriggerEvent::Update,
        TriggerEvent::Truncate,
    ];

    pub fn sql(self) -> &'static str {
        match self {
            TriggerEvent::Insert => "INSERT",
            TriggerEvent::Delete => "DELETE",
            TriggerEvent::Update => "UPDATE",
            TriggerEvent::Truncate => "TRUNCATE",
        }
    }

    /// The `tgtype` bit of this event.
    pub fn bit(self) -> i32 {
        match self {
            TriggerEvent::Insert => 4,
            TriggerEvent::Delete => 8,
            TriggerEvent::Update => 16,
            TriggerEvent::Truncate => 32,
        }
    }
}

/// `tgenabled`: when the trigger fires, as `session_replication_role` decides.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TriggerEnabled {
    /// `ENABLE` (`O`): in the origin and local roles, the default.
    #[default]
    Origin,
    /// `DISABLE` (`D`).
    Disabled,
    /// `ENABLE REPLICA` (`R`).
    Replica,
    /// `ENABLE ALWAYS` (`A`).
    Always,
}

impl TriggerEnabled {
    pub fn from_code(code: &str) -> Option<TriggerEnabled> {
        Some(match code {
            "O" => TriggerEnabled::Origin,
            "D" => TriggerEnabled::Disabled,
            "R" => TriggerEnabled::Replica,
            "A" => TriggerEnabled::Always,
            _ => return None,
        })
    }

    /// The `ALTER TABLE` words that set it.
    pub fn sql(self) -> &'static str {
        match self {
            TriggerEnabled::Origin => "ENABLE",
            TriggerEnabled::Disabled => "DISABLE",
            TriggerEnabled::Replica => "ENABLE REPLICA",
            TriggerEnabled::Always => "ENABLE ALWAYS",
        }
    }

    /// The model's word for it.
    pub fn word(self) -> &'static str {
        match self {
            TriggerEnabled::Origin => "origin",
            TriggerEnabled::Disabled => "disabled",
            TriggerEnabled::Replica => "replica",
            TriggerEnabled::Always => "always",
        }
    }
}

/// `CREATE [CONSTRAINT] TRIGGER`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    pub name: String,
    pub timing: TriggerTiming,
    /// At least one, sorted as [`TriggerEvent::ALL`].
    pub events: Vec<TriggerEvent>,
    /// `UPDATE OF` these columns, in the order given.
    pub columns: Vec<String>,
    /// `FOR EACH ROW`; `FOR EACH STATEMENT` otherwise.
    pub for_each_row: bool,
    /// The `WHEN` condition without its parentheses, as Postgres prints it once normalized.
    pub when: Option<String>,
    /// `REFERENCING OLD TABLE AS`.
    pub old_table: Option<String>,
    /// `REFERENCING NEW TABLE AS`.
    pub new_table: Option<String>,
    /// The trigger function (it takes no arguments).
    pub function: QName,
    /// The string arguments passed to it (`TG_ARGV`).
    pub arguments: Vec<String>,
    /// A constraint trigger, with its deferrable state.
    pub constraint: Option<Deferrable>,
    /// A constraint trigger's `FROM` table.
    pub from: Option<QName>,
    pub enabled: TriggerEnabled,
    pub comment: Option<String>,
}

impl Trigger {
    /// Whether `CREATE OR REPLACE TRIGGER` can turn `self` into `after`: Postgres refuses it for
    /// constraint triggers, either way.
    pub fn replaceable_by(&self, after: &Trigger) -> bool {
        self.constraint.is_none() && after.constraint.is_none()
    }

    /// The same trigger, but for its enabled state and comment (set by `ALTER` and `COMMENT`).
    pub fn same_definition(&self, other: &Trigger) -> bool {
        Trigger {
            enabled: other.enabled,
            comment: other.comment.clone(),
            ..self.clone()
        } == *other
    }

    /// The columns it names (`UPDATE OF`) and the words of its `WHEN` condition, which name the
    /// columns and types it reads: more than it uses, never fewer. Postgres refuses to change
    /// the type of, or drop, a column a trigger uses.
    pub fn words(&self) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = self.columns.iter().cloned().collect();
        if let Some(w) = &self.when {
            out.extend(super::identifiers(w));
        }
        out
    }
}
