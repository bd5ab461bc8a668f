//! Functions and procedures.
//!
//! A function is only comparable as Postgres stores it: its argument list and result as
//! `pg_get_function_arguments` / `pg_get_function_result` print them (read with an empty
//! `search_path`, so every type outside `pg_catalog` is qualified), its body as `prosrc` (or, for
//! a SQL-standard body, `pg_get_function_sqlbody`), and its attributes from `pg_proc`. A model's
//! function is normalized through the shadow before it is compared. Its identity is its name and
//! the types of its input arguments (its signature): overloads are distinct objects.

use super::{ColumnType, ObjectId, ObjectKind, QName};
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
}

/// A function's key among a schema's functions: its name and signature.
pub type FunctionKey = (QName, String);

/// Pseudo-types and other `pg_catalog` types an argument may have that columns never do, so a
/// model's unqualified use of them is not taken for a type of the function's own schema.
const CATALOG_ONLY_TYPES: [&str; 16] = [
    "any",
    "anyelement",
    "anyarray",
    "anynonarray",
    "anyenum",
    "anyrange",
    "anymultirange",
    "anycompatible",
    "anycompatiblearray",
    "anycompatiblenonarray",
    "anycompatiblerange",
    "record",
    "cstring",
    "internal",
    "trigger",
    "void",
];

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
            ..f.clone()
        };
        strip(self) == strip(other)
    }

    /// Whether `CREATE OR REPLACE` can turn `self` into `after`: Postgres refuses to change the
    /// kind, the result type (OUT parameters included), an input parameter's name, or to remove
    /// a parameter's default.
    pub fn replaceable_by(&self, after: &Function) -> bool {
        let args = |f: &Function| -> Vec<(String, bool)> {
            split_top_level(&f.arguments)
                .iter()
                .map(|a| {
                    let (decl, default) = split_default(a);
                    (decl.to_string(), default.is_some())
                })
                .collect()
        };
        let (before, later) = (args(self), args(after));
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

/// Splits at top-level commas (outside parentheses, brackets and quotes).
pub fn split_top_level(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut cur = String::new();
    for c in text.chars() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                cur.push(c);
            }
            None => match c {
                '\'' | '"' => {
                    quote = Some(c);
                    cur.push(c);
                }
                '(' | '[' => {
                    depth += 1;
                    cur.push(c);
                }
                ')' | ']' => {
                    depth -= 1;
                    cur.push(c);
                }
                ',' if depth == 0 => out.push(std::mem::take(&mut cur).trim().to_string()),
                _ => cur.push(c),
            },
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// An argument's declaration and its default (`DEFAULT expr` or `= expr`), if any.
fn split_default(arg: &str) -> (&str, Option<&str>) {
    // ASCII folding keeps byte offsets, so `lower` and `arg` index alike.
    let lower = arg.to_ascii_lowercase();
    let mut quote = None;
    for (i, c) in arg.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '=' => return (arg[..i].trim(), Some(arg[i + 1..].trim())),
                _ if lower[i..].starts_with("default")
                    && (i == 0 || arg[..i].ends_with(char::is_whitespace))
                    && lower[i + 7..].starts_with(char::is_whitespace) =>
                {
                    return (arg[..i].trim(), Some(arg[i + 7..].trim()));
                }
                _ => {}
            },
        }
    }
    (arg.trim(), None)
}

/// One argument of a declared argument list: its mode, name and type as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Argument {
    /// `in`, `out`, `inout` or `variadic`.
    pub mode: String,
    pub name: Option<String>,
    pub ty: String,
    pub default: Option<String>,
}

impl Argument {
    /// Whether it is part of the call signature (every mode but OUT).
    pub fn is_input(&self) -> bool {
        self.mode != "out"
    }
}

/// Reads `[mode] [name] type [DEFAULT expr]` items. A type of several words (`double
/// precision`, `character varying(20)`) is told from `name type` by whether the whole reads as a
/// built-in type.
pub fn parse_arguments(text: &str) -> Result<Vec<Argument>, String> {
    let mut out = Vec::new();
    for item in split_top_level(text) {
        let (decl, default) = split_default(&item);
        let mut words: Vec<&str> = decl.split_whitespace().collect();
        if words.is_empty() {
            return Err(format!("`{item}` declares no argument"));
        }
        let mut mode = "in".to_string();
        let take_mode = |w: &str| {
            let l = w.to_lowercase();
            matches!(l.as_str(), "in" | "out" | "inout" | "variadic").then_some(l)
        };
        if let Some(m) = take_mode(words[0]).filter(|_| words.len() > 1) {
            mode = m;
            words.remove(0);
        }
        let whole = words.join(" ");
        let is_type = |t: &str| {
            ColumnType::parse(t).is_ok() || CATALOG_ONLY_TYPES.contains(&t.to_lowercase().as_str())
        };
        let (name, ty) = if words.len() == 1 || is_type(&whole) {
            (None, whole)
        } else {
            let rest = words[1..].join(" ");
            // `a IN integer`: the mode may follow the name.
            let (m, rest) = match rest.split_once(' ').map(|(m, r)| (take_mode(m), r)) {
                Some((Some(m), r)) => (Some(m), r.to_string()),
                _ => (None, rest),
            };
            if let Some(m) = m {
                mode = m;
            }
            (Some(unquote(words[0])), rest)
        };
        out.push(Argument {
            mode,
            name,
            ty,
            default: default.map(str::to_string),
        });
    }
    Ok(out)
}

fn unquote(word: &str) -> String {
    match word.strip_prefix('"').and_then(|w| w.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => word.to_lowercase(),
    }
}

/// The signature of a declared argument list, spelled as `format_type` would spell it once
/// Postgres has read it; unqualified user types are taken to be in `schema`. A best guess for a
/// model read without a shadow: the shadow's reading replaces it.
pub fn signature_of(arguments: &[Argument], schema: &str, procedure: bool) -> String {
    // A procedure's OUT arguments are part of its identity (PostgreSQL 14 on).
    arguments
        .iter()
        .filter(|a| a.is_input() || procedure)
        .map(|a| spell_type(&a.ty, schema))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How `format_type(oid, NULL)` spells a type: modifiers dropped, SQL-standard names.
pub fn spell_type(text: &str, schema: &str) -> String {
    let lower = text.trim().to_lowercase();
    if CATALOG_ONLY_TYPES.contains(&lower.as_str()) {
        return lower;
    }
    match ColumnType::parse(text) {
        Ok((ty, _)) => {
            let base = match &ty.base {
                super::BaseType::Builtin(b) => match b.as_str() {
                    "int2" => "smallint",
                    "int4" => "integer",
                    "int8" => "bigint",
                    "float4" => "real",
                    "float8" => "double precision",
                    "bool" => "boolean",
                    "varchar" => "character varying",
                    "bpchar" => "character",
                    "varbit" => "bit varying",
                    "timestamptz" => "timestamp with time zone",
                    "timestamp" => "timestamp without time zone",
                    "timetz" => "time with time zone",
                    "time" => "time without time zone",
                    other => other,
                }
                .to_string(),
                super::BaseType::User(q) => super::quote::qname(q),
            };
            if ty.array { format!("{base}[]") } else { base }
        }
        Err(super::TypeParseError::NotBuiltin(q)) => {
            let q = if q.schema.is_empty() {
                QName::new(schema, q.name)
            } else {
                q
            };
            let array = text.trim_end().ends_with("[]");
            let base = super::quote::qname(&q);
            if array { format!("{base}[]") } else { base }
        }
        Err(_) => text.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_read_with_modes_names_and_defaults() {
        let a = parse_arguments(
            "a integer, OUT b text, double precision, \"Who\" varchar(20) DEFAULT 'x, y', VARIADIC rest int[] = '{}'",
        )
        .expect("reads");
        assert_eq!(a.len(), 5);
        assert_eq!(a[0].name.as_deref(), Some("a"));
        assert_eq!(a[1].mode, "out");
        assert_eq!(a[2].name, None);
        assert_eq!(a[2].ty, "double precision");
        assert_eq!(a[3].name.as_deref(), Some("Who"));
        assert_eq!(a[3].default.as_deref(), Some("'x, y'"));
        assert_eq!(a[4].mode, "variadic");
        assert_eq!(a[4].default.as_deref(), Some("'{}'"));
        assert_eq!(
            signature_of(&a, "app", false),
            "integer, double precision, character varying, integer[]"
        );
        let user = parse_arguments("m mood, t \"Ext\".\"T\"").expect("reads");
        assert_eq!(signature_of(&user, "app", false), "app.mood, \"Ext\".\"T\"");
    }

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
        };
        let base = f("a integer DEFAULT 1", "integer");
        assert!(base.replaceable_by(&f("a integer DEFAULT 2", "integer")));
        assert!(!base.replaceable_by(&f("a integer", "integer")));
        assert!(f("a integer", "integer").replaceable_by(&f("a integer DEFAULT 2", "integer")));
        assert!(!base.replaceable_by(&f("b integer DEFAULT 1", "integer")));
        assert!(!base.replaceable_by(&f("a integer DEFAULT 1", "bigint")));
    }
}
