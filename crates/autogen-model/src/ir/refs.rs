//! The column names an expression certainly refers to, read without a database: so that a CHECK,
//! index expression, predicate or generated expression naming a column its table lacks is refused
//! at the model's line, not found later by Postgres in a generated migration.
//!
//! It errs towards silence: a word is taken for a column only where nothing else can stand. Not
//! keywords (any category, so `name` or `value` are never checked), not function names (`f(`),
//! not qualified names (`a.b`), not type names (after `::`, `AS`, `COLLATE`, or before a string
//! as in `date '2020-01-01'`), not named arguments (`x =>`), not the field of `extract(f FROM`.

use super::keywords::is_keyword;

#[derive(Debug, PartialEq)]
enum Tok {
    /// A name, folded to lower case unless quoted.
    Word {
        text: String,
        quoted: bool,
    },
    Str,
    Num,
    Sym(String),
}

fn tokens(text: &str) -> Vec<Tok> {
    let c: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    // The end of a quoted run opened at `i` by `q` (a doubled `q` inside is the character itself),
    // and its text.
    let quoted = |i: usize, q: char| {
        let mut s = String::new();
        let mut j = i + 1;
        while j < c.len() {
            if c[j] == q {
                if c.get(j + 1) == Some(&q) {
                    s.push(q);
                    j += 2;
                    continue;
                }
                return (j + 1, s);
            }
            s.push(c[j]);
            j += 1;
        }
        (j, s)
    };
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '\'' {
            i = quoted(i, '\'').0;
            out.push(Tok::Str);
        } else if ch == '"' {
            let (end, name) = quoted(i, '"');
            i = end;
            out.push(Tok::Word {
                text: name,
                quoted: true,
            });
        } else if ch == '$' {
            // `$1`, or a dollar-quoted string `$tag$...$tag$`.
            let mut j = i + 1;
            while j < c.len() && (c[j].is_alphanumeric() || c[j] == '_') {
                j += 1;
            }
            if c.get(j) == Some(&'$') {
                let tag: String = c[i..=j].iter().collect();
                let rest: String = c[j + 1..].iter().collect();
                let body = rest.find(&tag).map_or(rest.len(), |k| k + tag.len());
                i = j + 1 + rest[..body].chars().count();
            } else {
                i = j;
            }
            out.push(Tok::Str);
        } else if ch.is_ascii_digit() {
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '.') {
                i += 1;
            }
            out.push(Tok::Num);
        } else if ch.is_alphabetic() || ch == '_' {
            let mut word = String::new();
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_' || c[i] == '$') {
                word.extend(c[i].to_lowercase());
                i += 1;
            }
            out.push(Tok::Word {
                text: word,
                quoted: false,
            });
        } else {
            let two: String = c[i..(i + 2).min(c.len())].iter().collect();
            if two == "::" || two == "=>" {
                out.push(Tok::Sym(two));
                i += 2;
            } else {
                out.push(Tok::Sym(ch.to_string()));
                i += 1;
            }
        }
    }
    out
}

/// The words of `text` that can only be column names of the table it belongs to.
pub fn column_refs(text: &str) -> Vec<String> {
    let toks = tokens(text);
    let sym = |k: Option<&Tok>, s: &str| matches!(k, Some(Tok::Sym(x)) if x == s);
    let word = |k: Option<&Tok>, w: &str| matches!(k, Some(Tok::Word { text, quoted: false }) if text == w);
    let mut out = Vec::new();
    for (k, t) in toks.iter().enumerate() {
        let Tok::Word { text, quoted } = t else {
            continue;
        };
        let prev = k.checked_sub(1).and_then(|p| toks.get(p));
        let next = toks.get(k + 1);
        let keyword = !quoted && is_keyword(text);
        let not_a_column = keyword
            || sym(next, "(")
            || sym(next, ".")
            || sym(prev, ".")
            || sym(prev, "::")
            || sym(next, "=>")
            || matches!(next, Some(Tok::Str))
            || word(prev, "as")
            || word(prev, "collate")
            || word(next, "from");
        if !not_a_column && !out.contains(text) {
            out.push(text.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_words_that_must_be_columns_are_taken() {
        assert_eq!(
            column_refs(
                r#"length(nme) > 0 AND "Full ""Name""" <> '' AND auth.uid() = owner_id
                   AND created_at::date > date '2020-01-01' AND kind::public.kind IS NOT NULL
                   AND extract(epoch FROM ts) > 0 AND owner IS NULL AND CAST(n AS numeric) > 1
                   AND name COLLATE "C" > 'a' AND f(x => 1) AND $1 = $q$it's$q$ || E'x'"#
            ),
            vec![
                "nme",
                "Full \"Name\"",
                "owner_id",
                "created_at",
                "kind",
                "ts",
                "n"
            ]
        );
    }
}
