//! Column types in canonical form: every spelling Postgres accepts for a built-in type maps to one
//! value (`int` = `integer` = `int4`), so the comparator can use `==`.

use super::names::{QName, split_qualified};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ColumnType {
    pub base: BaseType,
    pub typmod: Typmod,
    /// Postgres does not enforce array dimensions, so `int[][]` is the same type as `int[]`.
    pub array: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BaseType {
    /// A type in `pg_catalog`, by its `typname` (`int4`, `varchar`, `timestamptz`, ...).
    Builtin(String),
    /// Any other type: an enum, a domain, an extension's type.
    User(QName),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Typmod {
    None,
    /// `varchar(n)`, `char(n)`, `bit(n)`, `varbit(n)`.
    Length(u32),
    /// Fractional-second precision of `timestamp(p)`, `time(p)`, `interval(p)`.
    Precision(u32),
    /// `interval` restricted to fields (`interval day to second`), with an optional precision.
    IntervalFields(IntervalFields, Option<u32>),
    /// `numeric(p,s)`; `numeric(p)` is `numeric(p,0)`.
    Numeric(u32, u32),
}

/// The field restrictions of `interval`, by their bit masks in `atttypmod` (datetime.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IntervalFields(pub u32);

const INTERVAL_FIELDS: &[(&str, u32)] = &[
    ("year to month", 4 | 2),
    ("day to hour", 8 | 1024),
    ("day to minute", 8 | 1024 | 2048),
    ("day to second", 8 | 1024 | 2048 | 4096),
    ("hour to minute", 1024 | 2048),
    ("hour to second", 1024 | 2048 | 4096),
    ("minute to second", 2048 | 4096),
    ("year", 4),
    ("month", 2),
    ("day", 8),
    ("hour", 1024),
    ("minute", 2048),
    ("second", 4096),
];

impl IntervalFields {
    pub fn parse(words: &str) -> Option<IntervalFields> {
        INTERVAL_FIELDS
            .iter()
            .find(|(w, _)| *w == words)
            .map(|(_, m)| IntervalFields(*m))
    }

    pub fn words(&self) -> &'static str {
        INTERVAL_FIELDS
            .iter()
            .find(|(_, m)| *m == self.0)
            .map_or("", |(w, _)| w)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeParseError {
    Malformed(String),
    /// Not a built-in type; the caller resolves it against the model's own types.
    NotBuiltin(QName),
    BadModifier(String),
}

/// Spellings of built-in types, longest first so multi-word names win.
const ALIASES: &[(&str, &str)] = &[
    ("timestamp without time zone", "timestamp"),
    ("timestamp with time zone", "timestamptz"),
    ("time without time zone", "time"),
    ("time with time zone", "timetz"),
    ("character varying", "varchar"),
    ("double precision", "float8"),
    ("bit varying", "varbit"),
    ("smallserial", "int2"),
    ("bigserial", "int8"),
    ("serial2", "int2"),
    ("serial4", "int4"),
    ("serial8", "int8"),
    ("serial", "int4"),
    ("integer", "int4"),
    ("int", "int4"),
    ("smallint", "int2"),
    ("bigint", "int8"),
    ("real", "float4"),
    ("float", "float8"),
    ("decimal", "numeric"),
    ("dec", "numeric"),
    ("boolean", "bool"),
    ("character", "bpchar"),
    ("char", "bpchar"),
];

/// Types of `pg_catalog` that a model may name directly.
const BUILTINS: &[&str] = &[
    "int2",
    "int4",
    "int8",
    "float4",
    "float8",
    "numeric",
    "bool",
    "text",
    "varchar",
    "bpchar",
    "bytea",
    "date",
    "time",
    "timetz",
    "timestamp",
    "timestamptz",
    "interval",
    "uuid",
    "json",
    "jsonb",
    "inet",
    "cidr",
    "macaddr",
    "macaddr8",
    "money",
    "bit",
    "varbit",
    "tsvector",
    "tsquery",
    "xml",
    "point",
    "line",
    "lseg",
    "box",
    "path",
    "polygon",
    "circle",
    "int4range",
    "int8range",
    "numrange",
    "tsrange",
    "tstzrange",
    "daterange",
    "int4multirange",
    "int8multirange",
    "nummultirange",
    "tsmultirange",
    "tstzmultirange",
    "datemultirange",
    "oid",
    "regclass",
    "regtype",
    "regproc",
    "pg_lsn",
    "pg_snapshot",
    "txid_snapshot",
    "name",
    "jsonpath",
];

impl ColumnType {
    pub fn builtin(name: &str) -> ColumnType {
        ColumnType {
            base: BaseType::Builtin(name.to_string()),
            typmod: Typmod::None,
            array: false,
        }
    }

    pub fn is_builtin(&self, name: &str) -> bool {
        matches!(&self.base, BaseType::Builtin(n) if n == name)
    }

    /// Parses a model's spelling. Returns whether it was a `serial` type, which also implies an
    /// owned sequence and a default.
    pub fn parse(text: &str) -> Result<(ColumnType, bool), TypeParseError> {
        let mut rest = text.trim().to_string();
        let mut array = false;
        while let Some(stripped) = rest.strip_suffix("[]") {
            array = true;
            rest = stripped.trim_end().to_string();
        }
        // A quoted name is a user type, read whole: its quotes may hold `(`, `,`, runs of spaces
        // or capitals, which the reading of built-in spellings below would take apart.
        if rest.contains('"') {
            return match split_qualified(&rest).as_deref() {
                Some([n]) => Err(TypeParseError::NotBuiltin(QName::new("", n.clone()))),
                Some([s, n]) => Err(TypeParseError::NotBuiltin(QName::new(s.clone(), n.clone()))),
                _ => Err(TypeParseError::Malformed(text.to_string())),
            };
        }
        let (head, modifiers, tail) = split_modifiers(&rest)?;
        // `timestamp(3) with time zone`: the modifier sits in the middle.
        let name_words = normalize_words(&format!("{head} {tail}"));
        let lower = name_words.to_lowercase();
        if let Some(fields) = lower
            .strip_prefix("interval ")
            .and_then(IntervalFields::parse)
        {
            let precision = match modifiers.as_slice() {
                [] => None,
                [p] if *p <= 6 && fields.words().ends_with("second") => Some(*p),
                _ => {
                    return Err(TypeParseError::BadModifier(format!(
                        "`{text}`: only a field list ending in SECOND takes a precision (0..6)"
                    )));
                }
            };
            return Ok((
                ColumnType {
                    base: BaseType::Builtin("interval".into()),
                    typmod: Typmod::IntervalFields(fields, precision),
                    array,
                },
                false,
            ));
        }
        let serial = lower.starts_with("serial") || lower.ends_with("serial");
        let canonical = ALIASES
            .iter()
            .find(|(alias, _)| *alias == lower)
            .map(|(_, c)| c.to_string())
            .or_else(|| BUILTINS.contains(&lower.as_str()).then(|| lower.clone()));
        let Some(mut base) = canonical else {
            if !modifiers.is_empty() {
                return Err(TypeParseError::BadModifier(format!(
                    "type modifiers are only supported on built-in types, not on `{name_words}`"
                )));
            }
            let parts = split_qualified(&name_words)
                .ok_or_else(|| TypeParseError::Malformed(text.to_string()))?;
            let q = match parts.as_slice() {
                [n] => QName::new("", n.clone()),
                [s, n] => QName::new(s.clone(), n.clone()),
                _ => return Err(TypeParseError::Malformed(text.to_string())),
            };
            return Err(TypeParseError::NotBuiltin(q));
        };
        if serial && array {
            return Err(TypeParseError::BadModifier(
                "a serial type cannot be an array".into(),
            ));
        }
        let typmod = match (base.as_str(), modifiers.as_slice()) {
            (_, []) if base == "bpchar" && lower != "bpchar" => Typmod::Length(1),
            (_, []) => Typmod::None,
            ("varchar" | "bpchar" | "bit" | "varbit", [n]) => Typmod::Length(positive(*n, text)?),
            ("timestamp" | "timestamptz" | "time" | "timetz" | "interval", [p]) if *p <= 6 => {
                Typmod::Precision(*p)
            }
            ("numeric", [p]) => Typmod::Numeric(precision(*p, text)?, 0),
            ("numeric", [p, s]) if *s <= *p => Typmod::Numeric(precision(*p, text)?, *s),
            ("float8", [p]) if lower == "float" => {
                // float(p) is real for p <= 24 and double precision above, as in Postgres.
                match *p {
                    1..=24 => base = "float4".into(),
                    25..=53 => {}
                    _ => {
                        return Err(TypeParseError::BadModifier(format!(
                            "`{text}`: float precision must be 1..53"
                        )));
                    }
                }
                Typmod::None
            }
            _ => {
                return Err(TypeParseError::BadModifier(format!(
                    "`{text}` has modifiers that `{name_words}` does not take"
                )));
            }
        };
        let bit_default = base == "bit" && typmod == Typmod::None;
        Ok((
            ColumnType {
                base: BaseType::Builtin(base),
                typmod: if bit_default {
                    Typmod::Length(1)
                } else {
                    typmod
                },
                array,
            },
            serial,
        ))
    }

    /// Decodes `pg_attribute.atttypmod` for a built-in type.
    pub fn from_catalog(base: BaseType, typmod: i32, array: bool) -> ColumnType {
        let tm = match &base {
            BaseType::Builtin(n) if typmod >= 0 => match n.as_str() {
                "varchar" | "bpchar" => Typmod::Length((typmod - 4).max(0) as u32),
                "bit" | "varbit" => Typmod::Length(typmod as u32),
                "timestamp" | "timestamptz" | "time" | "timetz" => Typmod::Precision(typmod as u32),
                // interval packs a field mask in the high bits; the precision is the low 16.
                "interval" => {
                    // Precision in the low 16 bits (0xFFFF: none), the field mask above it
                    // (0x7FFF: all fields).
                    let precision = (typmod & 0xffff) as u32;
                    let precision = (precision != 0xffff).then_some(precision);
                    match ((typmod >> 16) & 0x7fff) as u32 {
                        0x7fff => precision.map_or(Typmod::None, Typmod::Precision),
                        fields => Typmod::IntervalFields(IntervalFields(fields), precision),
                    }
                }
                "numeric" => {
                    let v = typmod - 4;
                    Typmod::Numeric(((v >> 16) & 0xffff) as u32, (v & 0xffff) as u32)
                }
                _ => Typmod::None,
            },
            _ => Typmod::None,
        };
        ColumnType {
            base,
            typmod: tm,
            array,
        }
    }

    /// Same type family, differing only in modifiers.
    pub fn same_base(&self, other: &ColumnType) -> bool {
        self.base == other.base && self.array == other.array
    }
}

fn positive(n: u32, text: &str) -> Result<u32, TypeParseError> {
    if n == 0 || n > 10_485_760 {
        return Err(TypeParseError::BadModifier(format!(
            "`{text}`: length must be 1..10485760"
        )));
    }
    Ok(n)
}

fn precision(p: u32, text: &str) -> Result<u32, TypeParseError> {
    if p == 0 || p > 1000 {
        return Err(TypeParseError::BadModifier(format!(
            "`{text}`: numeric precision must be 1..1000"
        )));
    }
    Ok(p)
}

fn normalize_words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Splits `name(a,b) rest` into the name, the numbers in parentheses, and what follows.
fn split_modifiers(s: &str) -> Result<(String, Vec<u32>, String), TypeParseError> {
    let Some(open) = s.find('(') else {
        return Ok((s.to_string(), Vec::new(), String::new()));
    };
    let close = s[open..]
        .find(')')
        .map(|i| i + open)
        .ok_or_else(|| TypeParseError::Malformed(s.to_string()))?;
    let mods = s[open + 1..close]
        .split(',')
        .map(|p| p.trim().parse::<u32>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            TypeParseError::BadModifier(format!("`{s}`: modifiers must be whole numbers"))
        })?;
    Ok((s[..open].to_string(), mods, s[close + 1..].to_string()))
}

impl fmt::Display for Typmod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Typmod::None => Ok(()),
            Typmod::Length(n) | Typmod::Precision(n) => write!(f, "({n})"),
            Typmod::IntervalFields(fields, p) => {
                write!(f, " {}", fields.words())?;
                match p {
                    Some(p) => write!(f, "({p})"),
                    None => Ok(()),
                }
            }
            Typmod::Numeric(p, s) => write!(f, "({p},{s})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ColumnType {
        ColumnType::parse(s).unwrap().0
    }

    #[test]
    fn aliases_are_equal() {
        assert_eq!(p("int"), p("INTEGER"));
        assert_eq!(p("int4"), p("serial"));
        assert_eq!(p("double precision"), p("float8"));
        assert_eq!(p("character varying(20)"), p("varchar(20)"));
        assert_eq!(p("timestamp with time zone"), p("timestamptz"));
        assert_eq!(p("timestamp(3) with time zone"), p("timestamptz(3)"));
        assert_eq!(p("text[]"), p("text [][]"));
        assert_eq!(p("numeric(10)"), p("numeric(10,0)"));
        assert_eq!(p("char"), p("character(1)"));
        assert_eq!(p("float(10)"), p("real"));
        assert_eq!(
            p("interval day to second(3)").typmod.to_string(),
            " day to second(3)"
        );
        assert_ne!(p("interval day"), p("interval"));
        assert_ne!(p("timestamp"), p("timestamptz"));
        assert_ne!(p("numeric"), p("numeric(10,2)"));
        assert_ne!(p("varchar"), p("varchar(10)"));
    }

    #[test]
    fn rejects_bad_modifiers() {
        assert!(ColumnType::parse("numeric(2,5)").is_err());
        assert!(ColumnType::parse("text(3)").is_err());
        assert!(ColumnType::parse("varchar(x)").is_err());
        assert!(matches!(
            ColumnType::parse("entry_status"),
            Err(TypeParseError::NotBuiltin(_))
        ));
    }

    #[test]
    fn decodes_catalog_typmods() {
        let t = ColumnType::from_catalog(
            BaseType::Builtin("numeric".into()),
            (12 << 16 | 2) + 4,
            false,
        );
        assert_eq!(t, p("numeric(12,2)"));
        // interval day to second(3), as Postgres 15 stores it.
        let t = ColumnType::from_catalog(
            BaseType::Builtin("interval".into()),
            0x1c08 << 16 | 3,
            false,
        );
        assert_eq!(t, p("interval day to second(3)"));
        let t = ColumnType::from_catalog(
            BaseType::Builtin("interval".into()),
            0x7fff << 16 | 2,
            false,
        );
        assert_eq!(t, p("interval(2)"));
        let t = ColumnType::from_catalog(BaseType::Builtin("varchar".into()), 204, false);
        assert_eq!(t, p("varchar(200)"));
    }
}
