//! Connections: URLs and libpq key=value strings read into a target, TLS as `sslmode` says,
//! passwords found as libpq finds them, retries while a server comes up, and the server's own
//! words in messages with passwords hidden. Every module that talks to a database connects
//! through here; nothing here reads a catalog or knows about migrations.

mod connector;
pub mod env;
mod pgpass;
pub mod tls;

use crate::error::Error;
use postgres::Client;

/// Connects to `url` (a `postgres://` URL or a libpq key=value string), with TLS as its
/// `sslmode` says (see [`tls`]).
/// A server that is down, restarting or unreachable is tried again with a doubling pause (from
/// 250 ms, at most 2 s) until `AUTOGEN_CONNECT_WAIT` (default `10s`) has passed; a server that
/// answers with a refusal (wrong password, no such role or database, a certificate that fails
/// the check) is not: trying again would only fill its log and could lock the account.
pub fn connect(url: &str) -> Result<Client, Error> {
    connect_to(&parse_target(url)?, url)
}

/// `url` read as [`connect`] reads it, for a caller that connects to it more than once.
pub fn parse_target(url: &str) -> Result<tls::Target, Error> {
    tls::Target::parse(url).map_err(|message| Error::Connect {
        url: redact(url),
        message,
    })
}

/// [`connect`] to a target already read from `url` (which names it in messages).
pub fn connect_to(target: &tls::Target, url: &str) -> Result<Client, Error> {
    let failed = |message: String| Error::Connect {
        url: redact(url),
        message,
    };
    let connector = target.connector().map_err(failed)?;
    let wait = env::get().connect_wait;
    let started = std::time::Instant::now();
    let mut pause = std::time::Duration::from_millis(250);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let e = match target.connect(&connector) {
            Ok(c) => return Ok(c),
            Err(e) => e,
        };
        let mut message = error_text(&e);
        if let Some(hint) = tls_hint(&e, &message, &target.tls) {
            message.push_str(&hint);
        }
        if let (true, Some(looked)) = (
            message.contains("password missing"),
            &target.password_lookup,
        ) {
            message = format!("the server asks for a password and none was found: {looked}");
        }
        if !transient(&e) || started.elapsed() + pause > wait {
            if attempts > 1 {
                message = format!(
                    "{message} (after {attempts} attempts over {:.1} s)",
                    started.elapsed().as_secs_f64()
                );
            }
            return Err(failed(message));
        }
        env::notice(&format!(
            "cannot reach the database yet ({message}); trying again in {} ms",
            pause.as_millis()
        ));
        std::thread::sleep(pause);
        pause = (pause * 2).min(std::time::Duration::from_secs(2));
    }
}

/// What to do about a connection that TLS (or its absence) stopped.
/// `text`: the error's [`error_text`].
fn tls_hint(e: &postgres::Error, text: &str, tls: &tls::TlsParams) -> Option<String> {
    if let Some(db) = e.as_db_error() {
        let m = db.message();
        // pg_hba.conf has only `hostssl` lines for this client.
        if m.contains("no encryption") && tls.mode == tls::SslMode::Disable {
            return Some(
                "; the server accepts only TLS connections here: remove sslmode=disable (or use \
                 sslmode=require or verify-full)"
                    .into(),
            );
        }
        if m.contains("client certificate") {
            return Some(
                "; this role logs in with a certificate: give sslcert=/path/client.crt and \
                 sslkey=/path/client.key (PKCS#8 PEM) in the connection string"
                    .into(),
            );
        }
        return None;
    }
    if text.contains("server does not support TLS") {
        return Some(
            "; the connection string asks for TLS (sslmode=require or stricter) and autogen never \
             falls back to a plain connection: enable ssl on the server, or use sslmode=prefer"
                .into(),
        );
    }
    if text.starts_with("error performing TLS handshake") {
        let name = if tls.mode == tls::SslMode::VerifyFull {
            ", and the host name in the connection string must be one the certificate names"
        } else {
            ""
        };
        return Some(format!(
            "; the server's certificate did not pass the check: sslrootcert must name the \
             authority that signed it{name}"
        ));
    }
    None
}

/// Whether a failed connection may succeed if tried again: no answer at all, or a server that
/// says it is starting up or has too many connections.
fn transient(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    if let Some(code) = e.code() {
        return *code == SqlState::CANNOT_CONNECT_NOW || *code == SqlState::TOO_MANY_CONNECTIONS;
    }
    // No answer from a server (refused, reset, timed out) is an I/O error; a malformed URL or a
    // failed TLS handshake is not, and does not heal by waiting. (rustls reports a handshake
    // failure as an I/O error carrying its own error.)
    let io = std::error::Error::source(e).and_then(|s| s.downcast_ref::<std::io::Error>());
    let handshake = io
        .and_then(|io| io.get_ref())
        .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some());
    e.is_closed() || (io.is_some() && !handshake)
}

/// The server's message when there is one, rather than the driver's generic "db error".
pub fn error_text(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = db.message().to_string();
            if let Some(d) = db.detail() {
                s.push_str(&format!(" ({d})"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!("; hint: {h}"));
            }
            s
        }
        None => {
            // "error connecting to server" alone hides the reason (refused, no such host).
            let mut s = e.to_string();
            if let Some(src) = std::error::Error::source(e) {
                let cause = src.to_string();
                if !s.contains(&cause) {
                    s.push_str(&format!(": {cause}"));
                }
            }
            s
        }
    }
}

/// Hides a password in a URL (or a libpq `key=value` string) before it goes into a message.
pub fn redact(url: &str) -> String {
    if !url.contains("://") {
        let Some(start) = url.find("password=") else {
            return url.to_string();
        };
        let value = &url[start + "password=".len()..];
        let mut end = value.find(' ').unwrap_or(value.len());
        if let Some(quoted) = value.strip_prefix('\'') {
            // A quoted value ends at the first quote not escaped by a backslash.
            let mut escaped = false;
            for (i, c) in quoted.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '\'' if !escaped => {
                        end = i + 2;
                        break;
                    }
                    _ => escaped = false,
                }
            }
        }
        return format!("{}password=***{}", &url[..start], &value[end..]);
    }
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((creds, host)) = rest.split_once('@') {
            if let Some((user, _)) = creds.split_once(':') {
                return format!("{scheme}://{user}:***@{host}");
            }
        }
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(
            super::redact("host='h' password='se cr\\'et' user='u'"),
            "host='h' password=*** user='u'"
        );
    }
}
