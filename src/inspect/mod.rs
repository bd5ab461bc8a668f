//! Live catalog -> `ir::Schema`.
//!
//! Input: a connection and a schema filter. Output: the IR of every selected schema. Each object
//! kind is read for all tables at once from `pg_catalog` (see `queries/`), so the number of queries
//! is fixed: [`QUERY_COUNT`], whatever the size of the database. Objects that belong to an
//! extension are skipped. Nothing here writes to the database.

mod assemble;
mod pgpass;
pub mod tls;

use crate::error::Error;
use crate::filter::SchemaFilter;
use crate::ir::Schema;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::Type;
use postgres::{Client, Row};

pub(crate) const QUERIES: &[(&str, &str)] = &[
    ("schemas", include_str!("queries/schemas.sql")),
    ("extensions", include_str!("queries/extensions.sql")),
    ("enums", include_str!("queries/enums.sql")),
    ("domains", include_str!("queries/domains.sql")),
    ("sequences", include_str!("queries/sequences.sql")),
    ("tables", include_str!("queries/tables.sql")),
    ("columns", include_str!("queries/columns.sql")),
    ("constraints", include_str!("queries/constraints.sql")),
    ("indexes", include_str!("queries/indexes.sql")),
];

/// Catalog queries per inspection, after the one statement that sets up the session.
pub const QUERY_COUNT: usize = 9;

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
    let wait = std::env::var("AUTOGEN_CONNECT_WAIT")
        .ok()
        .and_then(|w| crate::config::parse_duration(&w))
        .unwrap_or(std::time::Duration::from_secs(10));
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
        eprintln!(
            "cannot reach the database yet ({message}); trying again in {} ms",
            pause.as_millis()
        );
        std::thread::sleep(pause);
        pause = (pause * 2).min(std::time::Duration::from_secs(2));
    }
}

/// Which of `relations` and `types` (quoted qualified names) the database has, relations first:
/// one round trip, however many names.
pub fn existing(
    client: &mut Client,
    relations: &[String],
    types: &[String],
) -> Result<Vec<String>, Error> {
    client
        .query_one(
            "SELECT ARRAY(SELECT n FROM unnest($1::text[]) n WHERE to_regclass(n) IS NOT NULL) \
                 || ARRAY(SELECT n FROM unnest($2::text[]) n WHERE to_regtype(n) IS NOT NULL)",
            &[&relations, &types],
        )
        .map(|r| r.get(0))
        .map_err(|e| Error::migration(error_text(&e), "check the connection"))
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
    // failed TLS handshake is not, and does not heal by waiting.
    e.is_closed()
        || std::error::Error::source(e)
            .is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some())
}

/// Reads every schema the filter selects.
pub fn inspect(client: &mut Client, filter: &SchemaFilter) -> Result<Schema, Error> {
    inspect_versioned(client, filter).map(|(schema, _)| schema)
}

/// [`inspect`], and the server's `server_version_num`, read in the same round trip as the
/// session settings.
pub fn inspect_versioned(
    client: &mut Client,
    filter: &SchemaFilter,
) -> Result<(Schema, u32), Error> {
    // With an empty search_path, pg_get_expr qualifies every name outside pg_catalog, so the
    // same expression reads the same whatever the role's search_path is. JIT off: the catalog
    // queries' row-count guesses cross jit_above_cost on large catalogs, and compiling them
    // took longer (about a second at 5,000 tables) than running them.
    let version: i32 = client
        .query_typed(
            "SELECT set_config('search_path', '', false), set_config('jit', 'off', false), \
             current_setting('server_version_num')::int4",
            &[],
        )
        .and_then(|rows| rows.first().map(|r| r.try_get(2)).unwrap_or(Ok(0)))
        .map_err(|e| Error::Inspect {
            query: "session settings".into(),
            message: error_text(&e),
        })?;
    let version = version.max(0) as u32;
    let mut schema = Schema::default();
    let mut names = Vec::new();
    for_each_row(client, "schemas", None, version, |r| {
        let name: String = r.get("name");
        if filter.matches(&name) {
            assemble::add_row(&mut schema, "schemas", r)?;
            names.push(name);
        }
        Ok(())
    })?;
    for (query, _) in &QUERIES[1..] {
        for_each_row(client, query, Some(&names), version, |r| {
            assemble::add_row(&mut schema, query, r)
        })?;
    }
    Ok((schema, version))
}

/// An object of a kind autogen may not manage, as `unmanaged.sql` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogObject {
    pub schema: String,
    /// `view`, `function`, `trigger`, `table`, ...
    pub kind: String,
    pub name: String,
}

/// The kinds of object a model declares; every other kind in [`catalog_objects`] is unmanaged.
pub const MANAGED_KINDS: [&str; 4] = ["table", "sequence", "enum", "domain"];

/// Objects in the schemas `filter` selects of kinds no model declares yet (views, functions,
/// triggers, policies, ...), as `kind schema.name`: what `diff`, `dump` and `init --from-db`
/// leave out, and so must name.
pub fn unmanaged(client: &mut Client, filter: &SchemaFilter) -> Result<Vec<String>, Error> {
    Ok(catalog_objects(client)?
        .into_iter()
        .filter(|o| filter.matches(&o.schema) && !MANAGED_KINDS.contains(&o.kind.as_str()))
        .map(|o| format!("{} {}.{}", o.kind, o.schema, o.name))
        .collect())
}

/// Every user object by schema, kind and name (one query), for `check` to find what no model
/// declares.
pub fn catalog_objects(client: &mut Client) -> Result<Vec<CatalogObject>, Error> {
    let rows = client
        .query_typed(include_str!("queries/unmanaged.sql"), &[])
        .map_err(|e| Error::Inspect {
            query: "unmanaged".into(),
            message: error_text(&e),
        })?;
    Ok(rows
        .iter()
        .map(|r| CatalogObject {
            schema: r.get("schema"),
            kind: r.get("kind"),
            name: r.get("name"),
        })
        .collect())
}

/// Runs one catalog query and hands each row to `each` as it arrives, so no query's result is
/// held whole (at 5,000 tables, the column rows alone took 20 MB). Rows come in no order unless
/// the query says: tables, constraints and indexes go into sorted maps, so sorting them on the
/// server would be wasted. One round trip: typed parameters let the driver skip the separate
/// prepare step.
fn for_each_row(
    client: &mut Client,
    name: &str,
    schemas: Option<&Vec<String>>,
    version: u32,
    mut each: impl FnMut(&Row) -> Result<(), Error>,
) -> Result<(), Error> {
    let sql = QUERIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
        .unwrap_or_default();
    // NULLS NOT DISTINCT is new in PostgreSQL 15; before it, every unique index treats NULLs
    // as distinct.
    let sql = if version < 150000 {
        std::borrow::Cow::Owned(sql.replace("i.indnullsnotdistinct", "false"))
    } else {
        std::borrow::Cow::Borrowed(sql)
    };
    let failed = |e: postgres::Error| Error::Inspect {
        query: name.to_string(),
        message: error_text(&e),
    };
    let params: Vec<(&Vec<String>, Type)> =
        schemas.map(|s| (s, Type::TEXT_ARRAY)).into_iter().collect();
    let mut rows = client.query_typed_raw(&sql, params).map_err(failed)?;
    while let Some(row) = rows.next().map_err(failed)? {
        each(&row)?;
    }
    Ok(())
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
