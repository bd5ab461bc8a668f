//! Argument lists as `CREATE FUNCTION` writes them: split, read (`[mode] [name] type [DEFAULT
//! expr]`), and turned into the signature Postgres would store, for a model read before the
//! shadow has.

use super::{ColumnType, QName};

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

/// Each argument's declaration, and whether it has a default: what `CREATE OR REPLACE` may not
/// change (a declaration) or take away (a default).
pub(crate) fn split_top_level_defaults(arguments: &str) -> Vec<(String, bool)> {
    split_top_level(arguments)
        .iter()
        .map(|a| {
            let (decl, default) = split_default(a);
            (decl.to_string(), default.is_some())
        })
        .collect()
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
}
