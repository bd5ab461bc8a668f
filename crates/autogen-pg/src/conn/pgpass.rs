//! Passwords found the way libpq finds them when the connection string gives none:
//! `PGPASSWORD`, then the password file (`PGPASSFILE`, else `~/.pgpass`), which is ignored when
//! its group or others may read it. Teams keep production passwords there precisely so that
//! they never appear in a URL, a shell history or `autogen.toml`.

use postgres::config::Host;
use std::path::{Path, PathBuf};

/// Fills `config`'s password if it has none; returns where it looked, for the message a
/// server's "password missing" gets (`None` when the connection string had one).
pub fn fill(config: &mut postgres::Config) -> Option<String> {
    if config.get_password().is_some() {
        return None;
    }
    let env = super::env::get();
    if let Some(p) = &env.pg_password {
        config.password(p.clone().into_encoded_bytes());
        return None;
    }
    let Some(file) = password_file() else {
        return Some(
            "looked in the connection string and PGPASSWORD; no PGPASSFILE or HOME for a \
             password file"
                .into(),
        );
    };
    let shown = file.display();
    let looked = |why: &str| {
        Some(format!(
            "looked in the connection string, PGPASSWORD and {shown} ({why})"
        ))
    };
    let text = match readable(&file) {
        Ok(text) => text,
        Err(why) => return looked(&why),
    };
    let key = Key::of(config);
    match find(&text, &key) {
        Some(p) => {
            config.password(p.into_bytes());
            None
        }
        None => looked(&format!(
            "no line matches host `{}`, port {}, database `{}`, user `{}`",
            key.host, key.port, key.dbname, key.user
        )),
    }
}

fn password_file() -> Option<PathBuf> {
    let env = super::env::get();
    if let Some(f) = &env.pg_pass_file {
        return Some(f.clone());
    }
    env.home.as_ref().map(|h| h.join(".pgpass"))
}

/// The file's text, or why it was not used (libpq's rules: a regular file that only its owner
/// may read or write).
fn readable(file: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(file).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "not found".to_string(),
        _ => format!("cannot read it: {e}"),
    })?;
    if !meta.is_file() {
        return Err("not a plain file".into());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(format!(
                "ignored: its permissions are {mode:04o}, and a password file must be readable \
                 by its owner only; run `chmod 0600 {}`",
                file.display()
            ));
        }
    }
    std::fs::read_to_string(file).map_err(|e| format!("cannot read it: {e}"))
}

/// What a line of the password file is matched against.
#[derive(Debug)]
struct Key {
    host: String,
    port: u16,
    dbname: String,
    user: String,
}

impl Key {
    fn of(config: &postgres::Config) -> Key {
        let user = config
            .get_user()
            .map(str::to_string)
            .or_else(|| super::env::get().user.clone())
            .unwrap_or_default();
        // A Unix socket is matched as `localhost`, as libpq does for its default socket.
        let host = match config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            _ => "localhost".into(),
        };
        Key {
            host,
            port: config.get_ports().first().copied().unwrap_or(5432),
            dbname: config
                .get_dbname()
                .map_or_else(|| user.clone(), str::to_string),
            user,
        }
    }
}

/// The password of the first line matching `key`; `*` matches anything, `\:` and `\\` escape.
fn find(text: &str, key: &Key) -> Option<String> {
    let port = key.port.to_string();
    let wanted = [key.host.as_str(), &port, &key.dbname, &key.user];
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .find_map(|line| {
            let fields = fields(line);
            if fields.len() < 5 {
                return None;
            }
            let matches = fields[..4]
                .iter()
                .zip(wanted)
                .all(|(f, w)| f == "*" || f == w);
            matches.then(|| fields[4..].join(":"))
        })
}

fn fields(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = line.trim_end_matches('\r').chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(n), Some(last)) = (chars.next(), out.last_mut()) {
                    last.push(n);
                }
            }
            ':' if out.len() < 5 => out.push(String::new()),
            _ => {
                if let Some(last) = out.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(host: &str, port: u16, db: &str, user: &str) -> Key {
        Key {
            host: host.into(),
            port,
            dbname: db.into(),
            user: user.into(),
        }
    }

    #[test]
    fn the_first_matching_line_wins_with_wildcards_and_escapes() {
        let text = "# a comment\n\
                    db.example.com:5432:app:alice:first\n\
                    *:*:app:bob:se\\:cr\\\\et\n\
                    *:*:*:*:fallback:with:colons\n";
        let find = |k: Key| find(text, &k);
        assert_eq!(
            find(key("db.example.com", 5432, "app", "alice")).as_deref(),
            Some("first")
        );
        assert_eq!(
            find(key("other", 6543, "app", "bob")).as_deref(),
            Some("se:cr\\et")
        );
        assert_eq!(
            find(key("db.example.com", 5433, "app", "alice")).as_deref(),
            Some("fallback:with:colons")
        );
        assert_eq!(find_in("h:1:d:u:p\n", key("h", 2, "d", "u")), None);
    }

    fn find_in(text: &str, k: Key) -> Option<String> {
        find(text, &k)
    }
}
