//! Qualified names and the names Postgres gives to objects created without one.

use serde::{Deserialize, Serialize};
use std::fmt;

/// NAMEDATALEN - 1: Postgres silently truncates longer identifiers.
pub const MAX_IDENTIFIER_BYTES: usize = 63;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct QName {
    pub schema: String,
    pub name: String,
}

impl QName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> QName {
        QName {
            schema: schema.into(),
            name: name.into(),
        }
    }

    /// Parses `schema.name` or `name` (then in `default_schema`). Double quotes may wrap either
    /// part, so a dot inside a name stays possible: `"my.schema"."t"`.
    pub fn parse(text: &str, default_schema: &str) -> Option<QName> {
        let parts = split_qualified(text)?;
        match parts.as_slice() {
            [name] => Some(QName::new(default_schema, name.clone())),
            [schema, name] => Some(QName::new(schema.clone(), name.clone())),
            _ => None,
        }
    }
}

impl fmt::Display for QName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

/// Splits `a.b` into parts, honouring double-quoted parts (with `""` as an escaped quote).
pub(crate) fn split_qualified(text: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = text.trim().chars().peekable();
    let mut quoted_part = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if cur.is_empty() && !quoted_part => {
                quoted_part = true;
                loop {
                    match chars.next()? {
                        '"' if chars.peek() == Some(&'"') => {
                            chars.next();
                            cur.push('"');
                        }
                        '"' => break,
                        other => cur.push(other),
                    }
                }
            }
            '.' => {
                if cur.is_empty() {
                    return None;
                }
                parts.push(std::mem::take(&mut cur));
                quoted_part = false;
            }
            c if quoted_part => {
                // Text after a closing quote within the same part is malformed.
                let _ = c;
                return None;
            }
            c => cur.push(c),
        }
    }
    if cur.is_empty() {
        return None;
    }
    parts.push(cur);
    Some(parts)
}

/// Cuts `name` to at most 63 bytes without splitting a character, as Postgres does.
pub fn truncate_identifier(name: &str) -> String {
    clip(name, MAX_IDENTIFIER_BYTES).to_string()
}

fn clip(s: &str, max_bytes: usize) -> &str {
    if s.len() <= max_bytes {
        return s;
    }
    let mut end = max_bytes;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The name Postgres chooses for an unnamed constraint or index (`makeObjectName`):
/// `<table>_<columns>_<label>`, where the table and column parts are shortened, the longer one
/// first, until the whole fits in 63 bytes.
pub fn default_constraint_name(table: &str, columns: &[&str], label: &str) -> String {
    let name2 = columns.join("_");
    let overhead = label.len() + 1 + if name2.is_empty() { 0 } else { 1 };
    let avail = MAX_IDENTIFIER_BYTES.saturating_sub(overhead);
    let mut n1 = table.len();
    let mut n2 = name2.len();
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let p1 = clip(table, n1);
    let p2 = clip(&name2, n2);
    if p2.is_empty() {
        format!("{p1}_{label}")
    } else {
        format!("{p1}_{p2}_{label}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quoted_parts() {
        assert_eq!(
            QName::parse(r#""my.schema"."Ta""ble""#, "public"),
            Some(QName::new("my.schema", "Ta\"ble"))
        );
        assert_eq!(
            QName::parse("users", "auth"),
            Some(QName::new("auth", "users"))
        );
        assert_eq!(QName::parse("a.b.c", "x"), None);
        assert_eq!(QName::parse("a.", "x"), None);
    }

    #[test]
    fn default_names_follow_postgres() {
        assert_eq!(
            default_constraint_name("entries", &["user_id", "title"], "key"),
            "entries_user_id_title_key"
        );
        assert_eq!(
            default_constraint_name("entries", &[], "pkey"),
            "entries_pkey"
        );
        let long = "a".repeat(40);
        let name = default_constraint_name(&long, &[&"b".repeat(40)], "fkey");
        // Postgres 15 gives this exact name for CREATE TABLE aaa..(40) (bbb..(40) int REFERENCES ..).
        assert_eq!(name, format!("{}_{}_fkey", "a".repeat(29), "b".repeat(28)));
        assert_eq!(name.len(), 63);
    }
}
