//! Identifier and literal quoting: the only way model text reaches SQL.

use crate::ir::{BaseType, ColumnType, QName, Typmod};

/// Quotes an identifier unless it is a plain lower-case name that is not a keyword.
pub fn ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !crate::ir::needs_quotes(name);
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

pub fn qname(q: &QName) -> String {
    format!("{}.{}", ident(&q.schema), ident(&q.name))
}

pub fn ident_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| ident(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A string literal. `standard_conforming_strings` is on in every supported Postgres, so only
/// the quote needs doubling.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Text for a `--` comment line: a newline or carriage return in a name would end the comment
/// and turn the rest of the name into SQL, so every control character is escaped (`\n`,
/// `\u{1b}`), and so are the bidirectional overrides that can make a reviewer read text other
/// than what runs.
pub fn comment_text(text: &str) -> std::borrow::Cow<'_, str> {
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if hidden(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A collation name as stored in the IR: bare (in `pg_catalog`) or `schema.name`.
pub fn collation(name: &str) -> String {
    match QName::parse(name, "") {
        Some(q) if !q.schema.is_empty() => qname(&q),
        _ => ident(name),
    }
}

/// The SQL spelling of a column type, in the short form people write.
pub fn column_type(ty: &ColumnType) -> String {
    let mut out = match &ty.base {
        BaseType::User(q) => qname(q),
        BaseType::Builtin(name) => {
            let m = ty.typmod;
            match name.as_str() {
                "int2" => "smallint".into(),
                "int4" => "integer".into(),
                "int8" => "bigint".into(),
                "float4" => "real".into(),
                "float8" => "double precision".into(),
                "bool" => "boolean".into(),
                "varchar" => format!("varchar{m}"),
                "bpchar" if m == Typmod::None => "bpchar".into(),
                "bpchar" => format!("char{m}"),
                "varbit" => format!("bit varying{m}"),
                "timestamp" | "timestamptz" | "time" | "timetz" | "interval" | "numeric"
                | "bit" => {
                    format!("{name}{m}")
                }
                other => ident(other),
            }
        }
    };
    if ty.array {
        out.push_str("[]");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_stay_on_one_line() {
        assert_eq!(comment_text("drop table `a.b`"), "drop table `a.b`");
        assert_eq!(
            comment_text("t`\nDROP TABLE x; --\r\u{1b}[2J\u{202e}"),
            "t`\\nDROP TABLE x; --\\r\\u{1b}[2J\\u{202e}"
        );
        assert!(!comment_text("a\u{85}b\u{2028}c").contains(['\u{85}', '\u{2028}']));
    }

    #[test]
    fn quotes_what_needs_it() {
        assert_eq!(ident("users"), "users");
        assert_eq!(ident("user"), "\"user\"");
        assert_eq!(ident("Users"), "\"Users\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(ident("größe"), "\"größe\"");
        assert_eq!(ident("with space"), "\"with space\"");
        assert_eq!(ident("1abc"), "\"1abc\"");
        assert_eq!(literal("it's"), "'it''s'");
    }

    #[test]
    fn spells_types_briefly() {
        let t = |s| column_type(&ColumnType::parse(s).unwrap().0);
        assert_eq!(t("character varying(20)"), "varchar(20)");
        assert_eq!(t("timestamp(3) with time zone"), "timestamptz(3)");
        assert_eq!(t("numeric(12,2)"), "numeric(12,2)");
        assert_eq!(t("int[]"), "integer[]");
        assert_eq!(t("character"), "char(1)");
    }
}
