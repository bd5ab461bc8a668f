//! SQL expressions (defaults, CHECKs, index predicates, generated columns).
//!
//! Two expressions are only truly comparable once Postgres has parsed them; that is the shadow
//! database's job. Offline we only remove differences that cannot change meaning: whitespace
//! outside literals and quoted identifiers, and one pair of parentheses around the whole.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Expr(String);

impl Expr {
    pub fn new(text: &str) -> Expr {
        let collapsed = collapse_whitespace(text);
        Expr(strip_outer_parens(&collapsed).to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text without a cast to `ty` after one string literal: Postgres stores the default
    /// `'light'` of a `varchar` column as `'light'::character varying`, which means the same.
    pub fn without_cast_to(&self, ty: &super::ColumnType) -> &str {
        let s = self.0.as_str();
        let Some(end) = literal_end(s) else {
            return s;
        };
        let Some(cast) = s[end..].strip_prefix("::") else {
            return s;
        };
        let same = match (super::ColumnType::parse(cast), &ty.base) {
            (Ok((t, false)), _) => t.same_base(ty),
            // A user type; stored unqualified when its schema is on the search path.
            (Err(super::TypeParseError::NotBuiltin(q)), super::BaseType::User(b)) => {
                q.name == b.name
                    && (q.schema.is_empty() || q.schema == b.schema)
                    && cast.trim_end().ends_with("[]") == ty.array
            }
            _ => false,
        };
        if same { &s[..end] } else { s }
    }
}

/// The byte just past a leading `'...'` literal (`''` inside it is a quote), if `s` starts with
/// one.
fn literal_end(s: &str) -> Option<usize> {
    let mut chars = s.char_indices();
    if chars.next()?.1 != '\'' {
        return None;
    }
    let mut prev_quote = false;
    for (i, c) in chars {
        if c == '\'' {
            prev_quote = !prev_quote;
        } else if prev_quote {
            return Some(i);
        }
    }
    prev_quote.then_some(s.len())
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    let mut pending_space = false;
    for c in text.trim().chars() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c.is_whitespace() => pending_space = true,
            None => {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                if c == '\'' || c == '"' {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

/// `(a > 0)` becomes `a > 0`, but `(a) + (b)` stays.
fn strip_outer_parens(s: &str) -> &str {
    let mut cur = s;
    while cur.starts_with('(') && cur.ends_with(')') && wraps_whole(cur) {
        cur = cur[1..cur.len() - 1].trim();
    }
    cur
}

fn wraps_whole(s: &str) -> bool {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 && i != s.len() - 1 {
                        return false;
                    }
                }
                _ => {}
            },
        }
    }
    depth == 0
}

/// Rejects text that is not a single expression: unbalanced quotes or parentheses, or a `;`
/// outside a literal, which would let a model smuggle a second statement into a migration.
pub fn check_expression(text: &str) -> Result<(), String> {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut prev = '\0';
    for c in text.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth < 0 {
                        return Err("a `)` has no matching `(`".into());
                    }
                }
                ';' => return Err("`;` is not allowed in an expression".into()),
                '-' if prev == '-' => {
                    return Err("`--` comments are not allowed in an expression".into());
                }
                '*' if prev == '/' => {
                    return Err("`/*` comments are not allowed in an expression".into());
                }
                _ => {}
            },
        }
        prev = c;
    }
    if quote.is_some() {
        return Err("a quote is not closed".into());
    }
    if depth != 0 {
        return Err("a `(` is not closed".into());
    }
    if text.trim().is_empty() {
        return Err("the expression is empty".into());
    }
    Ok(())
}

/// The column names an expression may refer to: its bare words folded to lower case (as
/// Postgres folds them) and its double-quoted identifiers as written; string literals skipped.
/// Function names and keywords come out too, which is harmless where the result is only matched
/// against a table's column names.
pub fn identifiers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                for d in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                }
            }
            '"' => {
                let mut name = String::new();
                while let Some(d) = chars.next() {
                    if d == '"' {
                        if chars.peek() == Some(&'"') {
                            chars.next();
                            name.push('"');
                            continue;
                        }
                        break;
                    }
                    name.push(d);
                }
                out.push(name);
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut word = c.to_lowercase().to_string();
                while let Some(&d) = chars.peek() {
                    if d.is_alphanumeric() || d == '_' || d == '$' {
                        word.extend(d.to_lowercase());
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(word);
            }
            c if c.is_ascii_digit() => {
                while chars
                    .peek()
                    .is_some_and(|d| d.is_alphanumeric() || *d == '.')
                {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_fold_words_and_keep_quoted_names() {
        assert_eq!(
            identifiers(r#"lower(Name) || 'b c' || "Full ""Name""" + x1"#),
            vec!["lower", "name", "Full \"Name\"", "x1"]
        );
    }

    #[test]
    fn normalizes_only_meaningless_differences() {
        assert_eq!(
            Expr::new("(length(title)  >  0)"),
            Expr::new("length(title) > 0")
        );
        assert_eq!(Expr::new("(a) + (b)").as_str(), "(a) + (b)");
        assert_ne!(Expr::new("'a  b'"), Expr::new("'a b'"));
        assert_ne!(Expr::new("a > 0"), Expr::new("a>0"));
    }

    #[test]
    fn rejects_statement_smuggling() {
        assert!(check_expression("1); drop table x; select (1").is_err());
        assert!(check_expression("'it''s; fine'").is_ok());
        assert!(check_expression("now() -- x").is_err());
        assert!(check_expression("(a").is_err());
    }
}
