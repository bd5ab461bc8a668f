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

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_postgres_rustls::MakeRustlsConnect as MakeTlsConnector;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<SslMode, String> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                    "sslmode `{other}` is not one of disable, allow, prefer, require, verify-ca, \
                     verify-full"
                ));
            }
        })
    }

    fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// The TLS keys of a connection string. libpq's default mode is `prefer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsParams {
    pub mode: SslMode,
    pub root_cert: Option<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
}

impl Default for TlsParams {
    fn default() -> TlsParams {
        TlsParams {
            mode: SslMode::Prefer,
            root_cert: None,
            cert: None,
            key: None,
        }
    }
}

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

/// Checks the server's certificate as libpq's `sslmode` says: against `roots` when there are
/// any (else not at all: encryption without authentication, as `prefer` and `require` give
/// without a root file), and its host name only for `verify-full`. The handshake's signatures
/// are always checked, so the server holds the key of the certificate it shows.
#[derive(Debug)]
struct Verifier {
    chain: Option<Arc<WebPkiServerVerifier>>,
    check_name: bool,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            // The name is checked after the chain: this error means the chain passed.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The client certificate, shown to every server that asks. Given to rustls as a resolver
/// rather than with `with_client_auth_cert`, which parses the certificate to match it with the
/// key and refuses X.509 v1 certificates (what `openssl x509 -req` makes without extensions),
/// though Postgres and libpq accept them; the server checks the pair anyway.
#[derive(Debug)]
struct ClientCert(Arc<CertifiedKey>);

impl ResolvesClientCert for ClientCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// Builds the connector. `home_root`: `~/.postgresql/root.crt` when it exists.
fn connector(tls: &TlsParams, home_root: Option<&Path>) -> Result<MakeTlsConnector, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let system = tls.root_cert.as_deref() == Some("system");
    let root = match tls.root_cert.as_deref() {
        Some("system") => None,
        Some(path) => Some(PathBuf::from(path)),
        None => home_root.map(Path::to_path_buf),
    };
    let verifying = matches!(tls.mode, SslMode::VerifyCa | SslMode::VerifyFull);
    if verifying && root.is_none() && !system {
        return Err(format!(
            "sslmode={} needs the certificate of the authority that signed the server's: give \
             its file as sslrootcert=/path/to/root.crt (or put it at ~/.postgresql/root.crt), \
             or sslrootcert=system to trust the system's roots",
            tls.mode.name()
        ));
    }
    let mut roots = RootCertStore::empty();
    if let Some(path) = &root {
        let pem = std::fs::read(path)
            .map_err(|e| format!("cannot read sslrootcert `{}`: {e}", path.display()))?;
        let certs = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                format!(
                    "sslrootcert `{}` is not a PEM certificate file: {e}",
                    path.display()
                )
            })?;
        if certs.is_empty() {
            return Err(format!(
                "sslrootcert `{}` holds no certificate (expected -----BEGIN CERTIFICATE-----)",
                path.display()
            ));
        }
        // Only the named authority: a certificate some system root signed is not enough.
        for cert in certs {
            roots.add(cert).map_err(|e| {
                format!(
                    "sslrootcert `{}`: a certificate is not usable: {e}",
                    path.display()
                )
            })?;
        }
    } else if system {
        // Read only when asked for: parsing the system's bundle is the slow part of TLS setup.
        let found = rustls_native_certs::load_native_certs();
        for cert in found.certs {
            let _ = roots.add(cert);
        }
        if roots.is_empty() {
            return Err(
                "sslrootcert=system: no trusted roots found on this system (install the \
                 ca-certificates package, or give sslrootcert=/path/to/root.crt)"
                    .into(),
            );
        }
    }
    // With roots, prefer and require check the chain too (as libpq does), and only
    // verify-full checks the host name.
    let chain = if roots.is_empty() {
        None
    } else {
        Some(
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| format!("cannot set up TLS: {e}"))?,
        )
    };
    let verifier = Arc::new(Verifier {
        chain,
        check_name: tls.mode == SslMode::VerifyFull,
        provider: provider.clone(),
    });
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match (&tls.cert, &tls.key) {
        (None, None) => builder.with_no_client_auth(),
        (Some(cert), Some(key)) => {
            let read = |what: &str, path: &str| {
                std::fs::read(path).map_err(|e| format!("cannot read {what} `{path}`: {e}"))
            };
            let chain = CertificateDer::pem_slice_iter(&read("sslcert", cert)?)
                .collect::<Result<Vec<_>, _>>()
                .ok()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| format!("sslcert `{cert}` is not a PEM certificate file"))?;
            let private = PrivateKeyDer::from_pem_slice(&read("sslkey", key)?).map_err(|e| {
                format!("sslkey `{key}` is not a PEM private key (PKCS#8, PKCS#1 or SEC1): {e}")
            })?;
            let signer = provider
                .key_provider
                .load_private_key(private)
                .map_err(|e| format!("sslkey `{key}` is not a usable private key: {e}"))?;
            builder.with_client_cert_resolver(Arc::new(ClientCert(Arc::new(CertifiedKey::new(
                chain, signer,
            )))))
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(
                "sslcert and sslkey go together: give both, or neither (libpq's default files \
                 under ~/.postgresql are not read)"
                    .into(),
            );
        }
    };
    Ok(MakeTlsConnector::new(config))
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
