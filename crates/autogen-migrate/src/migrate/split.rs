//! A migration file -> statements with their line numbers, grouped into the units the runner
//! executes: transactions, and statements that Postgres refuses inside one.
//!
//! Statements end at `;` outside quotes, dollar quotes and comments, so hand-written SQL with
//! function bodies splits correctly. A `-- autogen:commit` line ends a transaction (an enum value
//! added before it can be used after it).

use autogen_core::render::COMMIT_MARKER;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sql: String,
    /// 1-based line of the statement's first character in the file.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// False for a statement that cannot run in a transaction block; such a unit has one statement.
    pub transactional: bool,
    pub statements: Vec<Statement>,
}

/// Whether Postgres refuses to run the statement inside a transaction block.
pub fn needs_own_transaction(sql: &str) -> bool {
    let words: Vec<String> = sql
        .split_whitespace()
        .take(6)
        .map(|w| w.to_ascii_uppercase())
        .collect();
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let concurrently = w.contains(&"CONCURRENTLY");
    matches!(
        w.as_slice(),
        ["CREATE", "INDEX", ..] | ["CREATE", "UNIQUE", "INDEX", ..] | ["DROP", "INDEX", ..] | ["REINDEX", ..]
            if concurrently
    ) || matches!(
        w.as_slice(),
        ["VACUUM", ..]
            | ["CREATE", "DATABASE", ..]
            | ["DROP", "DATABASE", ..]
            | ["ALTER", "SYSTEM", ..]
            | ["CREATE", "TABLESPACE", ..]
            | ["DROP", "TABLESPACE", ..]
    )
}

/// Splits `text` into execution units, in order. Empty units are left out.
pub fn split(text: &str) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut current = Unit {
        transactional: true,
        statements: Vec::new(),
    };
    let flush = |units: &mut Vec<Unit>, cur: &mut Unit| {
        if !cur.statements.is_empty() {
            units.push(std::mem::replace(
                cur,
                Unit {
                    transactional: true,
                    statements: Vec::new(),
                },
            ));
        }
    };
    for piece in pieces(text) {
        match piece {
            Piece::Commit => flush(&mut units, &mut current),
            Piece::Statement(s) if needs_own_transaction(&s.sql) => {
                flush(&mut units, &mut current);
                units.push(Unit {
                    transactional: false,
                    statements: vec![s],
                });
            }
            Piece::Statement(s) => current.statements.push(s),
        }
    }
    flush(&mut units, &mut current);
    units
}

enum Piece {
    Statement(Statement),
    Commit,
}

fn pieces(text: &str) -> Vec<Piece> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    // Start of the statement being read (byte, line), once a non-comment character is seen.
    let mut start: Option<(usize, usize)> = None;
    let finish = |out: &mut Vec<Piece>, start: &mut Option<(usize, usize)>, end: usize| {
        if let Some((s, l)) = start.take() {
            let sql = text[s..end].trim().to_string();
            if !sql.is_empty() {
                out.push(Piece::Statement(Statement { sql, line: l }));
            }
        }
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
                let at_line_start = text[..i]
                    .rsplit('\n')
                    .next()
                    .is_some_and(|p| p.trim().is_empty());
                if start.is_none() && at_line_start && text[i..end].starts_with(COMMIT_MARKER) {
                    out.push(Piece::Commit);
                }
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                // Block comments nest in Postgres.
                let mut depth = 0;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        if b[i] == b'\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                }
            }
            b';' => {
                finish(&mut out, &mut start, i);
                i += 1;
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                if start.is_none() {
                    start = Some((i, line));
                }
                i = skip_token(text, i, &mut line);
            }
        }
    }
    finish(&mut out, &mut start, b.len());
    out
}

/// Skips one quoted string, quoted identifier, dollar-quoted body or plain character; returns
/// the index after it and counts the newlines inside.
fn skip_token(text: &str, i: usize, line: &mut usize) -> usize {
    let b = text.as_bytes();
    let count = |from: usize, to: usize, line: &mut usize| {
        *line += text[from..to].matches('\n').count();
    };
    match b[i] {
        q @ (b'\'' | b'"') => {
            // E'...' strings allow backslash escapes.
            let escapes = q == b'\''
                && i > 0
                && matches!(b[i - 1], b'e' | b'E')
                && (i < 2 || !(b[i - 2].is_ascii_alphanumeric() || b[i - 2] == b'_'));
            let mut j = i + 1;
            while j < b.len() {
                if escapes && b[j] == b'\\' {
                    j += 2;
                    continue;
                }
                if b[j] == q {
                    if b.get(j + 1) == Some(&q) {
                        j += 2;
                        continue;
                    }
                    break;
                }
                j += 1;
            }
            let end = (j + 1).min(b.len());
            count(i, end, line);
            end
        }
        b'$' => {
            let tag_end = text[i + 1..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .map(|n| i + 1 + n);
            match tag_end {
                Some(t)
                    if b[t] == b'$'
                        && !text[i + 1..t].starts_with(|c: char| c.is_ascii_digit()) =>
                {
                    let tag = &text[i..=t];
                    let body_end = text[t + 1..]
                        .find(tag)
                        .map_or(b.len(), |n| t + 1 + n + tag.len());
                    count(i, body_end, line);
                    body_end
                }
                _ => i + 1,
            }
        }
        _ => i + text[i..].chars().next().map_or(1, char::len_utf8),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqls(text: &str) -> Vec<(bool, Vec<(String, usize)>)> {
        split(text)
            .into_iter()
            .map(|u| {
                (
                    u.transactional,
                    u.statements.into_iter().map(|s| (s.sql, s.line)).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn quotes_comments_and_dollar_bodies_do_not_split() {
        let text = "-- header; not a statement\nCREATE TABLE \"a;b\" (x text DEFAULT 'it''s; ok');\n\
                    /* block; /* nested; */ still */\nCREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n\
                    SELECT E'\\';'; SELECT $1";
        let got = sqls(text);
        assert_eq!(got.len(), 1);
        let stmts = &got[0].1;
        assert_eq!(stmts.len(), 4, "{stmts:?}");
        assert_eq!(stmts[0].1, 2);
        assert!(stmts[0].0.starts_with("CREATE TABLE \"a;b\""));
        assert_eq!(stmts[1].1, 4);
        assert!(stmts[1].0.ends_with("LANGUAGE sql"));
        assert_eq!(stmts[2].0, "SELECT E'\\';'");
        assert_eq!(stmts[3].0, "SELECT $1");
    }

    #[test]
    fn commit_markers_and_concurrent_indexes_make_units() {
        let text = "ALTER TYPE t ADD VALUE 'x';\n\n-- autogen:commit -- why\n\nUPDATE a SET s = 'x';\n\
                    CREATE INDEX CONCURRENTLY i ON a (s);\nSELECT 1;\n";
        let got = sqls(text);
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!(
            got[0],
            (true, vec![("ALTER TYPE t ADD VALUE 'x'".into(), 1)])
        );
        assert_eq!(got[1], (true, vec![("UPDATE a SET s = 'x'".into(), 5)]));
        assert_eq!(
            got[2],
            (
                false,
                vec![("CREATE INDEX CONCURRENTLY i ON a (s)".into(), 6)]
            )
        );
        assert_eq!(got[3], (true, vec![("SELECT 1".into(), 7)]));
    }
}
