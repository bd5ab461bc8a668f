//! TLS settings (`sslmode` and the certificate files) and the rustls connector they give: which
//! certificates are trusted and what of the server's certificate is checked for each `sslmode`
//! (see `tls` for the table), and the client certificate when there is one.

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
    pub(super) fn parse(value: &str) -> Result<SslMode, String> {
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

    pub(super) fn name(self) -> &'static str {
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
pub(super) fn connector(
    tls: &TlsParams,
    home_root: Option<&Path>,
) -> Result<MakeTlsConnector, String> {
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
