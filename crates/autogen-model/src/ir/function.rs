//! Functions and procedures.
//!
//! A function is only comparable as Postgres stores it: its argument list and result as
//! `pg_get_function_arguments` / `pg_get_function_result` print them (read with an empty
//! `search_path`, so every type outside `pg_catalog` is qualified), its body as `prosrc` (or, for
//! a SQL-standard body, `pg_get_function_sqlbody`), and its attributes from `pg_proc`. A model's
//! function is normalized through the shadow before it is compared. Its identity is its name and
//! the types of its input arguments (its signature): overloads are distinct objects.

use super::arguments::split_top_level_defaults;
use super::{ObjectId, ObjectKind, QName};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Volatility {
    Immutable,
    Stable,
    #[default]
    Volatile,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Parallel {
    Safe,
    Restricted,
    #[default]
    Unsafe,
}

impl Volatility {
    pub fn word(self) -> &'static str {
        match self {
            Volatility::Immutable => "IMMUTABLE",
            Volatility::Stable => "STABLE",
            Volatility::Volatile => "VOLATILE",
        }
    }
}

impl Parallel {
    pub fn word(self) -> &'static str {
        match self {
            Parallel::Safe => "SAFE",
            Parallel::Restricted => "RESTRICTED",
            Parallel::Unsafe => "UNSAFE",
        }
    }
}

/// `CREATE FUNCTION` or `CREATE PROCEDURE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    pub name: QName,
    pub procedure: bool,
    /// The input argument types, `, `-separated, as `format_type` spells them without modifiers
    /// (`integer, character varying`): with the name, what tells overloads apart.
    pub signature: String,
    /// The argument list with modes, names and defaults, as `pg_get_function_arguments` prints
    /// it once normalized.
    pub arguments: String,
    /// `pg_get_function_result` (`integer`, `SETOF text`, `TABLE(id integer)`, `trigger`);
    /// `None` for a procedure.
    pub returns: Option<String>,
    pub language: String,
    /// `prosrc`, or a SQL-standard body (`BEGIN ATOMIC ... END`, `RETURN ...`) as Postgres
    /// prints it.
    pub body: String,
    /// The body is SQL-standard: Postgres parsed it when the function was created, so what it
    /// reads had to exist then, and is recorded in `pg_depend`.
    pub sql_body: bool,
    pub volatility: Volatility,
    pub strict: bool,
    pub security_definer: bool,
    pub leakproof: bool,
    pub parallel: Parallel,
    /// `procost`, as Postgres prints a `real` (`100`, `0.5`); `None`: the default for its
    /// language (1 for C and internal functions, 100 otherwise).
    pub cost: Option<String>,
    /// `prorows` of a set-returning function; `None`: the default (1000).
    pub rows: Option<String>,
    /// `SET` clauses as `proconfig` stores them (`search_path=public, pg_temp`), in order.
    pub config: Vec<String>,
    pub comment: Option<String>,
    /// The relations and types it uses (its arguments', result's and a SQL-standard body's). Not
    /// compared: it follows from the rest.
    pub depends_on: BTreeSet<ObjectId>,
    /// Read as Postgres stores it (from a catalog, a shadow or a snapshot). Not compared.
    pub normalized: bool,
    /// Compared and changed by `diff::grants`, not by [`Function::same`].
    #[serde(default, skip_serializing_if = "super::Acl::is_empty")]
    pub grants: super::Acl,
}

/// A function's key among a schema's functions: its name and signature.
pub type FunctionKey = (QName, String);

impl Function {
    pub fn key(&self) -> FunctionKey {
        (self.name.clone(), self.signature.clone())
    }

    pub fn id(&self) -> ObjectId {
        ObjectId {
            kind: ObjectKind::Function,
            name: self.name.clone(),
            column: Some(self.signature.clone()),
        }
    }

    /// `function` or `procedure`, for messages and SQL.
    pub fn kind_text(&self) -> &'static str {
        if self.procedure {
            "procedure"
        } else {
            "function"
        }
    }

    /// `schema.name(signature)`, for messages.
    pub fn describe(&self) -> String {
        format!("{}({})", self.name, self.signature)
    }

    /// The same function: everything Postgres stores compared, nothing derived from it.
    pub fn same(&self, other: &Function) -> bool {
        let strip = |f: &Function| Function {
            depends_on: BTreeSet::new(),
            normalized: false,
            grants: Default::default(),
            ..f.clone()
        };
        strip(self) == strip(other)
    }

    /// Whether `CREATE OR REPLACE` can turn `self` into `after`: Postgres refuses to change the
    /// kind, the result type (OUT parameters included), an input parameter's name, or to remove
    /// a parameter's default.
    pub fn replaceable_by(&self, after: &Function) -> bool {
        let (before, later) = (
            split_top_level_defaults(&self.arguments),
            split_top_level_defaults(&after.arguments),
        );
        self.procedure == after.procedure
            && self.returns == after.returns
            && before.len() == later.len()
            && before
                .iter()
                .zip(&later)
                .all(|((a, had), (b, has))| a == b && (!had || *has))
    }

    /// Whether it must come after the tables and views (and go before them): its arguments or
    /// result use a relation's row type, or its SQL-standard body reads relations.
    pub fn uses_relations(&self) -> bool {
        self.depends_on.iter().any(|d| d.kind.is_relation())
    }
}

/// Cost as Postgres prints a `real`, or `None` for the language's default.
pub fn cost_text(cost: f64, language: &str) -> Option<String> {
    let default = if matches!(language, "c" | "internal") {
        1.0
    } else {
        100.0
    };
    (cost != default).then(|| format!("{}", cost as f32))
}

pub fn rows_text(rows: f64) -> Option<String> {
    (rows != 0.0 && rows != 1000.0).then(|| format!("{}", rows as f32))
}

/// The form `normalized` (what the shadow read back of `model`) gives `f`, one of `model`'s
/// functions: found by its key, or, when the shadow spells its signature otherwise than the
/// model's guess did, as the one function of its name left unmatched on both sides.
pub fn normalized_form<'a>(
    f: &Function,
    model: &BTreeMap<FunctionKey, Function>,
    normalized: &'a BTreeMap<FunctionKey, Function>,
) -> Option<&'a Function> {
    if let Some(n) = normalized.get(&f.key()) {
        return Some(n);
    }
    let left: Vec<&Function> = normalized
        .values()
        .filter(|n| n.name == f.name && !model.contains_key(&n.key()))
        .collect();
    let unmatched = model
        .values()
        .filter(|m| m.name == f.name && !normalized.contains_key(&m.key()))
        .count();
    match left.as_slice() {
        [n] if unmatched == 1 => Some(n),
        _ => None,
    }
}

/// `model`'s functions in their `normalized` forms (see [`normalized_form`]); one not found
/// keeps its model form.
pub fn adopt_normalized(
    model: &BTreeMap<FunctionKey, Function>,
    normalized: &BTreeMap<FunctionKey, Function>,
) -> BTreeMap<FunctionKey, Function> {
    model
        .values()
        .map(|f| {
            let n = normalized_form(f, model, normalized).unwrap_or(f);
            (n.key(), n.clone())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacing_keeps_names_results_and_defaults() {
        let f = |args: &str, returns: &str| Function {
            name: QName::new("app", "f"),
            procedure: false,
            signature: String::new(),
            arguments: args.into(),
            returns: Some(returns.into()),
            language: "sql".into(),
            body: "select 1".into(),
            sql_body: false,
            volatility: Volatility::Volatile,
            strict: false,
            security_definer: false,
            leakproof: false,
            parallel: Parallel::Unsafe,
            cost: None,
            rows: None,
            config: Vec::new(),
            comment: None,
            depends_on: BTreeSet::new(),
            normalized: true,
            grants: Default::default(),
        };
        let base = f("a integer DEFAULT 1", "integer");
        assert!(base.replaceable_by(&f("a integer DEFAULT 2", "integer")));
        assert!(!base.replaceable_by(&f("a integer", "integer")));
        assert!(f("a integer", "integer").replaceable_by(&f("a integer DEFAULT 2", "integer")));
        assert!(!base.replaceable_by(&f("b integer DEFAULT 1", "integer")));
        assert!(!base.replaceable_by(&f("a integer DEFAULT 1", "bigint")));
    }
}
