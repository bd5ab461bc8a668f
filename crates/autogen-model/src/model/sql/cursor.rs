//! A cursor over one SQL statement: words, identifiers (folded as Postgres folds them),
//! parenthesized lists and string literals, for the SQL model file reader.

/// A statement's words and punctuation, quotes kept, as the parser walks them.
#[derive(Clone)]
pub(super) struct Cursor<'a> {
    pub text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(text: &'a str) -> Cursor<'a> {
        Cursor { text, pos: 0 }
    }

    pub(super) fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    pub(super) fn advance(&mut self, bytes: usize) {
        self.pos = (self.pos + bytes).min(self.text.len());
    }

    pub(super) fn skip_space(&mut self) {
        let r = self.rest();
        self.pos += r.len() - r.trim_start().len();
    }

    /// Consumes `word` (case-insensitive, whole word) if it comes next.
    pub(super) fn eat(&mut self, word: &str) -> bool {
        self.skip_space();
        let r = self.rest();
        let n = word.len();
        let matches = r.len() >= n
            && r[..n].eq_ignore_ascii_case(word)
            && !r[n..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
        if matches {
            self.pos += n;
        }
        matches
    }

    pub(super) fn eat_char(&mut self, c: char) -> bool {
        self.skip_space();
        if self.rest().starts_with(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// One identifier: double-quoted as written, bare folded to lower case as Postgres does.
    pub(super) fn ident(&mut self) -> Option<String> {
        self.skip_space();
        let r = self.rest();
        if let Some(body) = r.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = body.char_indices().peekable();
            while let Some((i, c)) = chars.next() {
                if c == '"' {
                    if chars.peek().is_some_and(|(_, d)| *d == '"') {
                        chars.next();
                        out.push('"');
                        continue;
                    }
                    self.pos += 1 + i + 1;
                    return (!out.is_empty()).then_some(out);
                }
                out.push(c);
            }
            return None;
        }
        let len = r
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .unwrap_or(r.len());
        if len == 0 || r.starts_with(|c: char| c.is_ascii_digit() || c == '$') {
            return None;
        }
        self.pos += len;
        Some(r[..len].to_lowercase())
    }

    /// `name` or `schema.name`.
    pub(super) fn qualified(&mut self) -> Option<(Option<String>, String)> {
        let first = self.ident()?;
        if self.rest().starts_with('.') {
            self.pos += 1;
            let second = self.ident()?;
            Some((Some(first), second))
        } else {
            Some((None, first))
        }
    }

    /// The text inside the parentheses that come next, split at its top-level commas.
    pub(super) fn paren_list(&mut self) -> Option<Vec<String>> {
        self.skip_space();
        let r = self.rest();
        if !r.starts_with('(') {
            return None;
        }
        let mut depth = 0;
        let mut quote: Option<char> = None;
        let mut items = Vec::new();
        let mut start = 1;
        for (i, c) in r.char_indices() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None => match c {
                    '\'' | '"' => quote = Some(c),
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            items.push(r[start..i].trim().to_string());
                            self.pos += i + 1;
                            return Some(items);
                        }
                    }
                    ',' if depth == 1 => {
                        items.push(r[start..i].trim().to_string());
                        start = i + 1;
                    }
                    _ => {}
                },
            }
        }
        None
    }

    /// A string literal: `'...'` with `''` for a quote.
    pub(super) fn literal(&mut self) -> Option<String> {
        self.skip_space();
        let body = self.rest().strip_prefix('\'')?;
        let mut out = String::new();
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().is_some_and(|(_, d)| *d == '\'') {
                    chars.next();
                    out.push('\'');
                    continue;
                }
                self.pos += 1 + i + 1;
                return Some(out);
            }
            out.push(c);
        }
        None
    }
}
