//! Row-level security: a table's `ENABLE` / `FORCE ROW LEVEL SECURITY` flags and its policies,
//! sub-objects of the table (policy names are unique per table).
//!
//! A policy is compared by what the catalog stores (`pg_policy`): its command and kind, the
//! roles it applies to (as names, `public` for every role), and its `USING` and `WITH CHECK`
//! expressions as `pg_get_expr` prints them (a model's are normalized through the shadow). Two
//! policies with the same name and different predicates are different, never equal by name.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// `FOR ALL | SELECT | INSERT | UPDATE | DELETE` (`polcmd`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PolicyCommand {
    #[default]
    All,
    Select,
    Insert,
    Update,
    Delete,
}

impl PolicyCommand {
    pub fn from_code(code: &str) -> Option<PolicyCommand> {
        Some(match code {
            "*" => PolicyCommand::All,
            "r" => PolicyCommand::Select,
            "a" => PolicyCommand::Insert,
            "w" => PolicyCommand::Update,
            "d" => PolicyCommand::Delete,
            _ => return None,
        })
    }

    pub fn parse(word: &str) -> Option<PolicyCommand> {
        Some(match word.to_lowercase().as_str() {
            "all" => PolicyCommand::All,
            "select" => PolicyCommand::Select,
            "insert" => PolicyCommand::Insert,
            "update" => PolicyCommand::Update,
            "delete" => PolicyCommand::Delete,
            _ => return None,
        })
    }

    pub fn sql(self) -> &'static str {
        match self {
            PolicyCommand::All => "ALL",
            PolicyCommand::Select => "SELECT",
            PolicyCommand::Insert => "INSERT",
            PolicyCommand::Update => "UPDATE",
            PolicyCommand::Delete => "DELETE",
        }
    }

    /// Whether Postgres accepts a `USING` clause for the command (INSERT has no existing row).
    pub fn takes_using(self) -> bool {
        self != PolicyCommand::Insert
    }

    /// Whether Postgres accepts a `WITH CHECK` clause (SELECT and DELETE write no new row).
    pub fn takes_check(self) -> bool {
        !matches!(self, PolicyCommand::Select | PolicyCommand::Delete)
    }
}

/// The role name that stands for every role (`polroles` holds 0 for it).
pub const PUBLIC_ROLE: &str = "public";

/// `CREATE POLICY`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub name: String,
    pub command: PolicyCommand,
    /// `AS RESTRICTIVE`; `AS PERMISSIVE` (the default) otherwise.
    pub restrictive: bool,
    /// The roles it applies to, sorted; `public` alone for every role.
    pub roles: BTreeSet<String>,
    /// `USING`, without its parentheses, as Postgres prints it once normalized.
    pub using: Option<String>,
    /// `WITH CHECK`, likewise.
    pub check: Option<String>,
    pub comment: Option<String>,
}

impl Policy {
    /// Whether `ALTER POLICY` can turn `self` into `after`: it sets the roles and either
    /// expression, but cannot change the command or kind, nor take an expression away.
    pub fn alterable_to(&self, after: &Policy) -> bool {
        self.command == after.command
            && self.restrictive == after.restrictive
            && (self.using.is_none() || after.using.is_some())
            && (self.check.is_none() || after.check.is_some())
    }

    /// The same policy, but for its comment.
    pub fn same_definition(&self, other: &Policy) -> bool {
        Policy {
            comment: other.comment.clone(),
            ..self.clone()
        } == *other
    }

    /// The words of its expressions: the columns, tables, types and functions they name, and
    /// more, never fewer. Postgres refuses to change the type of, or drop, a column a policy
    /// uses, and to drop a function it calls.
    pub fn words(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for e in self.using.iter().chain(&self.check) {
            out.extend(super::identifiers(e));
        }
        out
    }
}

/// A table's row-level security switches (`relrowsecurity`, `relforcerowsecurity`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowSecurity {
    /// `ENABLE ROW LEVEL SECURITY`: only rows a policy lets through are seen or written.
    pub enabled: bool,
    /// `FORCE ROW LEVEL SECURITY`: the table's owner is held to the policies too.
    pub forced: bool,
}

impl RowSecurity {
    pub fn is_off(&self) -> bool {
        !self.enabled && !self.forced
    }
}
