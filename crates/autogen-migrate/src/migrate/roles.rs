//! The roles a migration file names: `GRANT ... TO`, `REVOKE ... FROM`, a policy's `TO`,
//! `OWNER TO`, `AUTHORIZATION`, `FOR ROLE`, `SET ROLE`. A scratch database needs them before
//! the file can run there.
//!
//! Input: SQL text. Output: role names as Postgres would resolve them (bare words folded to
//! lower case, quoted ones as written), minus the pseudo-roles (`PUBLIC`, `CURRENT_USER`, ...)
//! and the roles the text creates itself. It reads words outside strings, quoted identifiers,
//! dollar quotes and comments; it never executes or rewrites anything.

use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// A bare word, folded to lower case.
    Word(String),
    /// A quoted identifier, as written.
    Quoted(String),
    Comma,
    Semicolon,
    Open,
    Close,
    Other,
}

fn tokens(sql: &str) -> Vec<Tok> {
    let c: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '-' && c.get(i + 1) == Some(&'-') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && c.get(i + 1) == Some(&'*') {
            // Block comments nest in Postgres.
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if ch == '\'' {
            i += 1;
            while i < c.len() {
                if c[i] == '\'' && c.get(i + 1) == Some(&'\'') {
                    i += 2;
                } else if c[i] == '\'' {
                    i += 1;
                    break;
                } else {
                    i += 1;
                }
            }
            out.push(Tok::Other);
        } else if ch == '"' {
            let mut name = String::new();
            i += 1;
            while i < c.len() {
                if c[i] == '"' && c.get(i + 1) == Some(&'"') {
                    name.push('"');
                    i += 2;
                } else if c[i] == '"' {
                    i += 1;
                    break;
                } else {
                    name.push(c[i]);
                    i += 1;
                }
            }
            out.push(Tok::Quoted(name));
        } else if ch == '$' && dollar_tag(&c, i).is_some() {
            let tag = dollar_tag(&c, i).unwrap_or_default();
            let tag: Vec<char> = tag.chars().collect();
            i += tag.len();
            while i < c.len() && !c[i..].starts_with(&tag) {
                i += 1;
            }
            i = (i + tag.len()).min(c.len());
            out.push(Tok::Other);
        } else if ch.is_alphanumeric() || ch == '_' {
            let mut w = String::new();
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_' || c[i] == '$') {
                w.push(c[i]);
                i += 1;
            }
            out.push(Tok::Word(w.to_lowercase()));
        } else {
            out.push(match ch {
                ',' => Tok::Comma,
                ';' => Tok::Semicolon,
                '(' => Tok::Open,
                ')' => Tok::Close,
                _ => Tok::Other,
            });
            i += 1;
        }
    }
    out
}

/// `$tag$` (or `$$`) starting at `i`, if one does.
fn dollar_tag(c: &[char], i: usize) -> Option<String> {
    let mut j = i + 1;
    while j < c.len() && (c[j].is_alphanumeric() || c[j] == '_') {
        j += 1;
    }
    let inner: String = c[i + 1..j.min(c.len())].iter().collect();
    (c.get(j) == Some(&'$') && !inner.starts_with(|x: char| x.is_ascii_digit()))
        .then(|| format!("${inner}$"))
}

const PSEUDO: &[&str] = &[
    "public",
    "current_user",
    "session_user",
    "current_role",
    "none",
];

fn name(t: &Tok) -> Option<String> {
    match t {
        Tok::Word(w) => Some(w.clone()),
        Tok::Quoted(q) => Some(q.clone()),
        _ => None,
    }
}

/// A comma-separated list of role specifications from `i` (`GROUP` prefixes skipped).
fn role_list(toks: &[Tok], mut i: usize, out: &mut BTreeSet<String>) {
    loop {
        if toks.get(i) == Some(&Tok::Word("group".into())) {
            i += 1;
        }
        let Some(n) = toks.get(i).and_then(name) else {
            return;
        };
        let pseudo = matches!(toks[i], Tok::Word(_)) && PSEUDO.contains(&n.as_str());
        if !pseudo {
            out.insert(n);
        }
        i += 1;
        if toks.get(i) != Some(&Tok::Comma) {
            return;
        }
        i += 1;
    }
}

fn is(t: Option<&Tok>, word: &str) -> bool {
    matches!(t, Some(Tok::Word(w)) if w == word)
}

/// The roles `sql` names and does not create.
pub fn named_roles(sql: &str) -> BTreeSet<String> {
    let (named, created) = roles(sql);
    named.difference(&created).cloned().collect()
}

/// The roles `sql` names, and those it creates.
pub fn roles(sql: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let toks = tokens(sql);
    let mut named = BTreeSet::new();
    let mut created = BTreeSet::new();
    for stmt in toks.split(|t| *t == Tok::Semicolon) {
        // Only words outside parentheses: `TO` inside a policy's USING is an expression's.
        let mut depth = 0i32;
        let top: Vec<&Tok> = stmt
            .iter()
            .filter(|t| {
                match t {
                    Tok::Open => depth += 1,
                    Tok::Close => depth -= 1,
                    _ => {}
                }
                depth == 0 && !matches!(t, Tok::Open | Tok::Close)
            })
            .collect();
        let top: Vec<Tok> = top.into_iter().cloned().collect();
        let first = top.first().and_then(name).unwrap_or_default();
        let second = top.get(1).and_then(name).unwrap_or_default();
        if first == "create" && matches!(second.as_str(), "role" | "user" | "group") {
            if let Some(n) = top.get(2).and_then(name) {
                created.insert(n);
            }
        }
        let grant_like = first == "grant" || first == "revoke";
        let default_privileges = first == "alter" && second == "default";
        let policy = matches!(first.as_str(), "create" | "alter") && second == "policy";
        for (i, t) in top.iter().enumerate() {
            let prev = if i > 0 { top.get(i - 1) } else { None };
            match t {
                Tok::Word(w) if w == "to" && is(prev, "owner") => {
                    role_list(&top, i + 1, &mut named)
                }
                Tok::Word(w) if w == "authorization" => role_list(&top, i + 1, &mut named),
                Tok::Word(w) if w == "by" && is(prev, "granted") => {
                    role_list(&top, i + 1, &mut named)
                }
                Tok::Word(w)
                    if w == "role" && (is(prev, "for") || is(prev, "set") || is(prev, "local")) =>
                {
                    role_list(&top, i + 1, &mut named)
                }
                Tok::Word(w) if w == "user" && is(prev, "for") && default_privileges => {
                    role_list(&top, i + 1, &mut named)
                }
                Tok::Word(w) if w == "to" && (grant_like || default_privileges || policy) => {
                    role_list(&top, i + 1, &mut named)
                }
                Tok::Word(w)
                    if w == "from"
                        && (first == "revoke" || default_privileges)
                        && top[..i].iter().any(|t| is(Some(t), "revoke")) =>
                {
                    role_list(&top, i + 1, &mut named)
                }
                _ => {}
            }
        }
        // `GRANT role TO role`: no ON, so what is granted is a role too.
        if grant_like && !top.iter().any(|t| is(Some(t), "on")) {
            let start = if first == "revoke" && is(top.get(1), "admin") {
                4
            } else {
                1
            };
            role_list(&top, start, &mut named);
        }
    }
    (named, created)
}

#[cfg(test)]
mod tests {
    use super::named_roles;

    fn roles(sql: &str) -> Vec<String> {
        named_roles(sql).into_iter().collect()
    }

    #[test]
    fn grants_policies_and_owners_name_roles() {
        let sql = r#"
            GRANT SELECT, INSERT ON public.notes TO authenticated, "Reader Role";
            REVOKE ALL ON TABLE public.notes FROM anon;
            CREATE POLICY "own notes" ON public.notes FOR SELECT TO authenticated
              USING (owner = auth.uid() AND 'TO fake' <> $$TO other$$);
            ALTER TABLE public.notes OWNER TO postgres;
            CREATE SCHEMA private AUTHORIZATION supabase_admin;
            ALTER DEFAULT PRIVILEGES FOR ROLE migrator IN SCHEMA public GRANT SELECT ON TABLES TO service_role;
            GRANT reporting TO analyst WITH ADMIN OPTION;
            -- GRANT x TO commented;
            GRANT USAGE ON SCHEMA public TO PUBLIC, CURRENT_USER;
        "#;
        assert_eq!(
            roles(sql),
            [
                "Reader Role",
                "analyst",
                "anon",
                "authenticated",
                "migrator",
                "postgres",
                "reporting",
                "service_role",
                "supabase_admin"
            ]
        );
    }

    #[test]
    fn roles_the_file_creates_are_left_to_it() {
        let sql = "CREATE ROLE app_reader NOLOGIN; GRANT SELECT ON t TO app_reader, anon;";
        assert_eq!(roles(sql), ["anon"]);
    }

    #[test]
    fn plain_ddl_names_no_role() {
        let sql = "CREATE TABLE t (id int, \"to\" text); ALTER TABLE t RENAME COLUMN a TO b; \
                   INSERT INTO t SELECT 1 FROM s; ALTER TYPE e RENAME VALUE 'x' TO 'y';";
        assert!(roles(sql).is_empty(), "{:?}", roles(sql));
    }
}
