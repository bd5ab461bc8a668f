//! Connection strings as libpq reads them, TLS included.
//!
//! The driver (`tokio-postgres`) knows `sslmode` only as `disable`, `prefer` and `require`, and
//! rejects `verify-ca`, `verify-full`, `sslrootcert`, `sslcert` and `sslkey` as unknown. Users
//! copy their URLs from libpq tools and hosting dashboards, so those keys are taken out of the
//! string here, the rest goes to the driver, and the TLS connector is set up to do what libpq
//! would do with them:
//!
//! | sslmode     | TLS                          | server certificate checked           |
//! |-------------|------------------------------|--------------------------------------|
//! | disable     | never                        | -                                    |
//! | allow       | if the server offers it      | no (as prefer)                       |
//! | prefer      | if the server offers it      | against a root file if there is one  |
//! | require     | always                       | against a root file if there is one  |
//! | verify-ca   | always                       | chain, against the root file         |
//! | verify-full | always                       | chain and host name                  |
//!
//! The root file is `sslrootcert`, else `~/.postgresql/root.crt`; `sslrootcert=system` means the
//! system's trusted roots. A stricter mode never falls back to a plain connection.

use super::connector::connector;
pub use super::connector::{SslMode, TlsParams};
use std::path::PathBuf;
use tokio_postgres_rustls::MakeRustlsConnect as MakeTlsConnector;

/// A connection string taken apart: the driver's configuration and how to do TLS.
#[derive(Clone)]
pub struct Target {
    pub config: postgres::Config,
    pub tls: TlsParams,
    /// Where a password was looked for when the connection string had none and nothing was
    /// found (said if the server then asks for one).
    pub password_lookup: Option<String>,
}

/// How a target's connections are made.
#[derive(Clone)]
pub enum Connector {
    /// No TLS can apply: `sslmode=disable`, or only Unix sockets (libpq ignores `sslmode` there).
    Plain,
    Tls(MakeTlsConnector),
}

impl Target {
    /// Reads a `postgres://` URL or a libpq `key=value` string. Errors are messages for the
    /// user (they never include a password).
    pub fn parse(url: &str) -> Result<Target, String> {
        let (rest, tls) = split(url)?;
        let mut config: postgres::Config = rest
            .parse()
            .map_err(|e| format!("cannot read the connection string: {e}"))?;
        let tcp = config
            .get_hosts()
            .iter()
            .any(|h| matches!(h, postgres::config::Host::Tcp(_)));
        config.ssl_mode(match tls.mode {
            // TLS is for TCP: over a Unix socket libpq ignores sslmode, and the server would
            // refuse the TLS request anyway.
            _ if !tcp => postgres::config::SslMode::Disable,
            SslMode::Disable => postgres::config::SslMode::Disable,
            // The driver cannot try plain first and TLS second; either way both are accepted.
            SslMode::Allow | SslMode::Prefer => postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                postgres::config::SslMode::Require
            }
        });
        let password_lookup = super::pgpass::fill(&mut config);
        Ok(Target {
            config,
            tls,
            password_lookup,
        })
    }

    /// The connector for this target; reads the certificate files, so a missing or broken file
    /// is reported before any connection is tried. Made once per process and TLS settings.
    pub fn connector(&self) -> Result<Connector, String> {
        if self.config.get_ssl_mode() == postgres::config::SslMode::Disable {
            return Ok(Connector::Plain);
        }
        type Cache = Vec<((TlsParams, Option<PathBuf>), MakeTlsConnector)>;
        static CACHE: std::sync::Mutex<Cache> = std::sync::Mutex::new(Vec::new());
        let key = (self.tls.clone(), home_root_cert());
        let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, c)) = cache.iter().find(|(k, _)| *k == key) {
            return Ok(Connector::Tls(c.clone()));
        }
        let made = connector(&key.0, key.1.as_deref())?;
        cache.push((key, made.clone()));
        Ok(Connector::Tls(made))
    }

    /// Connects once.
    pub fn connect(&self, how: &Connector) -> Result<postgres::Client, postgres::Error> {
        how.connect(&self.config)
    }
}

impl Connector {
    /// Connects once to `config` (a target's configuration, its database changed, say).
    pub fn connect(&self, config: &postgres::Config) -> Result<postgres::Client, postgres::Error> {
        match self {
            Connector::Plain => config.connect(postgres::NoTls),
            Connector::Tls(tls) => config.connect(tls.clone()),
        }
    }
}

fn home_root_cert() -> Option<PathBuf> {
    let path = super::env::get()
        .home
        .as_ref()?
        .join(".postgresql/root.crt");
    path.is_file().then_some(path)
}

const KEYS: [&str; 4] = ["sslmode", "sslrootcert", "sslcert", "sslkey"];

fn take(tls: &mut TlsParams, key: &str, value: String) -> Result<(), String> {
    match key {
        "sslmode" => tls.mode = SslMode::parse(&value)?,
        "sslrootcert" => tls.root_cert = Some(value),
        "sslcert" => tls.cert = Some(value),
        _ => tls.key = Some(value),
    }
    Ok(())
}

/// Takes the TLS keys out of a connection string; returns the rest, for the driver.
fn split(url: &str) -> Result<(String, TlsParams), String> {
    let mut tls = TlsParams::default();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let Some((base, query)) = url.split_once('?') else {
            return Ok((url.to_string(), tls));
        };
        let mut kept = Vec::new();
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = percent_decode(key)?;
            if KEYS.contains(&key.as_str()) {
                take(&mut tls, &key, percent_decode(value)?)?;
            } else {
                kept.push(pair);
            }
        }
        let rest = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return Ok((rest, tls));
    }
    let mut kept = Vec::new();
    for (key, value) in key_values(url)? {
        if KEYS.contains(&key.as_str()) {
            take(&mut tls, &key, value)?;
        } else {
            let quoted = value.replace('\\', "\\\\").replace('\'', "\\'");
            kept.push(format!("{key}='{quoted}'"));
        }
    }
    Ok((kept.join(" "), tls))
}

/// The pairs of a libpq `key=value` string: spaces around `=` allowed, values bare or in single
/// quotes, a backslash escaping the next character.
fn key_values(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(format!(
                "cannot read the connection string: `{key}` has no `=value`"
            ));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    Some('\'') => break,
                    Some('\\') => value.extend(chars.next()),
                    Some(c) => value.push(c),
                    None => {
                        return Err(format!(
                            "cannot read the connection string: the value of `{key}` has no \
                             closing quote"
                        ));
                    }
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key, value));
    }
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    format!("cannot read the connection string: bad `%` escape in `{s}`")
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| format!("cannot read the connection string: `{s}` is not UTF-8 once decoded"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_keys_leave_the_url_and_the_rest_stays() {
        let (rest, tls) = split(
            "postgres://u:p@db.example.com:6543/app?sslmode=verify-full&application_name=x&sslrootcert=%2Fetc%2Fca%20one.crt",
        )
        .unwrap();
        assert_eq!(
            rest,
            "postgres://u:p@db.example.com:6543/app?application_name=x"
        );
        assert_eq!(tls.mode, SslMode::VerifyFull);
        assert_eq!(tls.root_cert.as_deref(), Some("/etc/ca one.crt"));
        let (rest, tls) = split("postgresql://h/db?sslmode=require").unwrap();
        assert_eq!(
            (rest.as_str(), tls.mode),
            ("postgresql://h/db", SslMode::Require)
        );
        let (rest, tls) = split("postgres://h/db").unwrap();
        assert_eq!(
            (rest.as_str(), tls.mode),
            ("postgres://h/db", SslMode::Prefer)
        );
    }

    #[test]
    fn key_value_strings_keep_quoted_values() {
        let (rest, tls) = split(
            "host=h  password = 'se cr\\'et' sslmode = verify-ca sslrootcert='/a b/c.crt' user=u",
        )
        .unwrap();
        assert_eq!(rest, "host='h' password='se cr\\'et' user='u'");
        assert_eq!(tls.mode, SslMode::VerifyCa);
        assert_eq!(tls.root_cert.as_deref(), Some("/a b/c.crt"));
        let config: postgres::Config = rest.parse().unwrap();
        assert_eq!(config.get_password(), Some(&b"se cr'et"[..]));
        assert!(
            split("host=h password='open")
                .unwrap_err()
                .contains("closing quote")
        );
        assert!(
            split("host")
                .unwrap_err()
                .contains("`host` has no `=value`")
        );
    }

    #[test]
    fn bad_values_are_named() {
        let e = split("postgres://h/db?sslmode=verify_full").unwrap_err();
        assert!(e.contains("sslmode `verify_full`"), "{e}");
        let e = split("postgres://h/db?sslrootcert=%zz").unwrap_err();
        assert!(e.contains("bad `%` escape"), "{e}");
    }

    #[test]
    fn verification_without_a_root_is_refused_before_connecting() {
        let mut tls = TlsParams {
            mode: SslMode::VerifyFull,
            ..TlsParams::default()
        };
        let e = connector(&tls, None).err().unwrap();
        assert!(e.contains("sslmode=verify-full needs"), "{e}");
        tls.root_cert = Some("/nonexistent/root.crt".into());
        let e = connector(&tls, None).err().unwrap();
        assert!(
            e.contains("cannot read sslrootcert `/nonexistent/root.crt`"),
            "{e}"
        );
        tls.root_cert = Some("system".into());
        assert!(connector(&tls, None).is_ok());
        tls.cert = Some("/x.crt".into());
        let e = connector(&tls, None).err().unwrap();
        assert!(e.contains("sslcert and sslkey go together"), "{e}");
    }
}
