//! SQL text -> statements with their line numbers. Statements end at `;` outside quotes,
//! dollar quotes and comments, so function bodies and hand-written SQL split correctly. Used by
//! the migration runner (its files) and by SQL model files alike.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sql: String,
    /// 1-based line of the statement's first character in the text.
    pub line: usize,
}

/// The statements of `text`, in order.
pub fn statements(text: &str) -> Vec<Statement> {
    pieces(text, None)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Statement(s) => Some(s),
            Piece::Marker => None,
        })
        .collect()
}

/// `sql` without its comments (outside quotes and dollar quotes): a line comment becomes the
/// end of its line, a block comment a space.
pub fn without_comments(sql: &str) -> String {
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    let mut line = 0;
    while i < b.len() {
        if b[i] == b'-' && b.get(i + 1) == Some(&b'-') {
            i = sql[i..].find('\n').map_or(b.len(), |n| i + n);
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            i = block_comment_end(sql, i, &mut line);
            out.push(' ');
        } else {
            let end = skip_token(sql, i, &mut line);
            out.push_str(&sql[i..end]);
            i = end;
        }
    }
    out
}

/// The index past the block comment that starts at `i` (block comments nest in Postgres),
/// counting its newlines.
fn block_comment_end(text: &str, mut i: usize, line: &mut usize) -> usize {
    let b = text.as_bytes();
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
                *line += 1;
            }
            i += 1;
        }
    }
    i
}

/// A statement, or a marker line between statements.
pub enum Piece {
    Statement(Statement),
    Marker,
}

/// The statements of `text` and, where a line between statements starts with `marker`, a
/// [`Piece::Marker`].
pub fn pieces(text: &str, marker: Option<&str>) -> Vec<Piece> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    // Start of the statement being read (byte, line), once a non-comment character is seen.
    let mut start: Option<(usize, usize)> = None;
    // Depth inside `BEGIN ATOMIC` bodies, where `;` ends no statement.
    let mut atomic = 0usize;
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
                if start.is_none()
                    && at_line_start
                    && marker.is_some_and(|m| text[i..end].starts_with(m))
                {
                    out.push(Piece::Marker);
                }
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => i = block_comment_end(text, i, &mut line),
            b';' if atomic == 0 => {
                finish(&mut out, &mut start, i);
                i += 1;
            }
            c if c.is_ascii_whitespace() => i += 1,
            c if (c.is_ascii_alphabetic() || c == b'_') && !after_word(b, i) => {
                if start.is_none() {
                    start = Some((i, line));
                }
                let end = text[i..]
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                    .map_or(b.len(), |n| i + n);
                // A SQL-standard body (`BEGIN ATOMIC ... END`) holds `;`s of its own; a CASE
                // inside it ends with END too.
                let word = &text[i..end];
                let after = text[end..].trim_start();
                let opens_atomic = word.eq_ignore_ascii_case("begin")
                    && after.get(..6).is_some_and(|w| {
                        w.eq_ignore_ascii_case("atomic")
                            && !after[6..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
                    });
                if opens_atomic || (atomic > 0 && word.eq_ignore_ascii_case("case")) {
                    atomic += 1;
                } else if atomic > 0 && word.eq_ignore_ascii_case("end") {
                    atomic -= 1;
                }
                i = end;
            }
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

/// Whether the byte at `i` continues a word (so is not the start of one).
fn after_word(b: &[u8], i: usize) -> bool {
    i > 0
        && (b[i - 1].is_ascii_alphanumeric()
            || b[i - 1] == b'_'
            || b[i - 1] == b'$'
            || b[i - 1] >= 0x80)
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

    #[test]
    fn comments_go_and_quoted_text_stays() {
        assert_eq!(
            without_comments("SELECT 1 -- one\n, '--x' /* a /* b */ c */ AS \"/*y\"\n"),
            "SELECT 1 \n, '--x'   AS \"/*y\"\n"
        );
        assert_eq!(
            without_comments("SELECT $$ -- kept $$"),
            "SELECT $$ -- kept $$"
        );
    }

    #[test]
    fn a_sql_standard_body_is_one_statement() {
        let text = "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;\n  SELECT a;\nEND;\nSELECT begin_atomic, \"end\" FROM t;\nCREATE VIEW v AS SELECT 1";
        let st = statements(text);
        assert_eq!(
            st.len(),
            3,
            "{:?}",
            st.iter().map(|s| &s.sql).collect::<Vec<_>>()
        );
        assert!(st[0].sql.ends_with("SELECT a;\nEND"), "{}", st[0].sql);
        assert_eq!(st[1].line, 6);
        assert_eq!(st[2].sql, "CREATE VIEW v AS SELECT 1");
    }
}
