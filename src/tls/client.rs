//! How the client decides to trust a server. `wss://` certificates are verified against the
//! system roots (rustls-native-certs: the operating system's store, so a CA an administrator
//! added there works and the list is updated with the OS), or only against `--ca-file` for a
//! private CA. A certificate no root vouches for (a `serve --tls-self-signed` box) is pinned on
//! first use; a later, different certificate for that server is refused loudly, as ssh does.
//! `ConnectSecurity::check_plaintext` refuses plain `ws://` to another machine, because the
//! first frame carries a password or a session token, unless the user passed `--allow-insecure`.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::{TlsError, certificate_fingerprint, pins, provider};

/// The client's transport settings (`--ca-file`, `--allow-insecure`, the pin directory).
#[derive(Debug, Clone, Default)]
pub struct ConnectSecurity {
    /// Trust only this CA bundle (PEM) instead of the system roots; no pinning.
    pub ca_file: Option<PathBuf>,
    /// Where certificate pins live (the client config dir); `None`: an unverifiable certificate
    /// is refused, since there is nowhere to remember it.
    pub pin_dir: Option<PathBuf>,
    /// Send credentials over plain `ws://` to a non-loopback host anyway.
    pub allow_insecure: bool,
    /// What to tell the user about certificates pinned on first use (shared by clones, so a
    /// caller sees the notice even when the connection it came from was refused later).
    pub notices: Arc<Mutex<Vec<String>>>,
}

/// Why a TLS connection was not established.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    #[error(
        "refusing to send a password or session token over unencrypted ws:// to {host}: \
         anyone on the network could read it; use wss:// (the server needs --tls-cert/--tls-key \
         or --tls-self-signed) or pass --allow-insecure if you accept that"
    )]
    Plaintext { host: String },
    #[error(
        "WARNING: THE TLS CERTIFICATE OF {server} HAS CHANGED!\n\
         Someone could be intercepting the connection, or the server's certificate was replaced.\n\
         Pinned:    SHA-256 {pinned}\n\
         Presented: SHA-256 {presented}\n\
         Refusing to connect. If the change is expected, check the new fingerprint with the\n\
         server's operator, then remove {pin_file} and connect again."
    )]
    Changed {
        server: String,
        pinned: String,
        presented: String,
        pin_file: PathBuf,
    },
    #[error("the certificate of {server} is not trusted: {reason}")]
    Untrusted { server: String, reason: String },
    #[error("{0}")]
    Setup(String),
}

impl ConnectSecurity {
    /// Refuses plain `ws://` to a host that is not this machine, unless `allow_insecure`.
    pub fn check_plaintext(&self, secure: bool, host: &str) -> Result<(), TrustError> {
        if secure || self.allow_insecure || is_loopback_host(host) {
            return Ok(());
        }
        Err(TrustError::Plaintext {
            host: host.to_string(),
        })
    }

    /// Takes the notices collected so far (certificates pinned on first use).
    pub fn take_notices(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.notices))
    }

    /// The TLS client for one connection to `host:port`.
    pub fn client_tls(&self, host: &str, port: u16) -> Result<ClientTls, TrustError> {
        let provider = provider();
        let server = format!("{}:{port}", host.to_ascii_lowercase());
        let (mode, pin_dir) = match &self.ca_file {
            Some(ca_file) => {
                let roots = Arc::new(load_ca_file(ca_file).map_err(setup)?);
                (Mode::Strict(webpki(roots, &provider)?), None)
            }
            None => {
                let pinned = match &self.pin_dir {
                    Some(dir) => pins::load_pin(dir, &server).map_err(setup)?,
                    None => None,
                };
                let roots = system_roots();
                let verifier = if roots.is_empty() {
                    None
                } else {
                    Some(webpki(roots, &provider)?)
                };
                let can_pin = self.pin_dir.is_some();
                let mode = Mode::Tofu {
                    verifier,
                    pinned,
                    can_pin,
                };
                (mode, self.pin_dir.clone())
            }
        };
        let verdict = Arc::new(Mutex::new(Verdict::Pending));
        let verifier = Arc::new(ChatifyVerifier {
            mode,
            provider: provider.clone(),
            verdict: verdict.clone(),
        });
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| TrustError::Setup(error.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        let bare_host = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(bare_host.to_string())
            .map_err(|_| TrustError::Setup(format!("{host:?} is not a valid TLS server name")))?;
        Ok(ClientTls {
            connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
            name,
            server,
            pin_dir,
            verdict,
            notices: self.notices.clone(),
        })
    }
}

/// `localhost` or a loopback IP address (`127.0.0.0/8`, `::1`).
pub fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn setup(error: TlsError) -> TrustError {
    TrustError::Setup(error.to_string())
}

fn webpki(
    roots: Arc<RootCertStore>,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, TrustError> {
    WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .map_err(|error| TrustError::Setup(format!("building the certificate verifier: {error}")))
}

fn load_ca_file(path: &Path) -> Result<RootCertStore, TlsError> {
    let file_error = |error: &dyn std::fmt::Display| TlsError::File {
        path: path.to_path_buf(),
        reason: error.to_string(),
    };
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|error| file_error(&error))? {
        let cert = cert.map_err(|error| file_error(&error))?;
        roots.add(cert).map_err(|error| file_error(&error))?;
    }
    if roots.is_empty() {
        return Err(TlsError::Empty {
            path: path.to_path_buf(),
            what: "PEM CA certificate",
        });
    }
    Ok(roots)
}

/// The operating system's trusted roots, read once per process (unparsable entries skipped).
fn system_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            for error in &found.errors {
                tracing::debug!(%error, "reading a system root certificate failed");
            }
            let mut roots = RootCertStore::empty();
            roots.add_parsable_certificates(found.certs);
            Arc::new(roots)
        })
        .clone()
}

/// A TLS client for one connection attempt.
pub struct ClientTls {
    connector: tokio_rustls::TlsConnector,
    name: ServerName<'static>,
    server: String,
    pin_dir: Option<PathBuf>,
    verdict: Arc<Mutex<Verdict>>,
    notices: Arc<Mutex<Vec<String>>>,
}

impl ClientTls {
    /// The TLS handshake over `tcp`. When the server's certificate is pinned now (first use),
    /// a notice naming its fingerprint is added to the `ConnectSecurity`'s notices.
    pub async fn handshake(&self, tcp: TcpStream) -> Result<TlsStream<TcpStream>, TrustError> {
        let result = self.connector.connect(self.name.clone(), tcp).await;
        let verdict = std::mem::replace(&mut *lock(&self.verdict), Verdict::Pending);
        let stream = match (result, &verdict) {
            (Ok(stream), _) => stream,
            (Err(_), Verdict::Changed { pinned, presented }) => {
                return Err(TrustError::Changed {
                    server: self.server.clone(),
                    pinned: pinned.clone(),
                    presented: presented.clone(),
                    pin_file: self.pin_file(),
                });
            }
            (Err(error), _) => {
                return Err(TrustError::Untrusted {
                    server: self.server.clone(),
                    reason: error.to_string(),
                });
            }
        };
        if let (Verdict::FirstUse { fingerprint }, Some(dir)) = (verdict, &self.pin_dir) {
            let path = pins::save_pin(dir, &self.server, &fingerprint).map_err(setup)?;
            lock(&self.notices).push(format!(
                "{} presented a certificate no authority vouches for; pinned it on first \
                     use (SHA-256 {fingerprint}) in {}. Compare it with the fingerprint the \
                     server printed at start; a different certificate will be refused.",
                self.server,
                path.display()
            ));
        }
        Ok(stream)
    }

    fn pin_file(&self) -> PathBuf {
        match &self.pin_dir {
            Some(dir) => pins::pin_path(dir, &self.server),
            None => PathBuf::new(),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What the verifier decided during the handshake.
#[derive(Debug)]
enum Verdict {
    Pending,
    /// A root vouched for the certificate.
    Verified,
    /// The pinned certificate.
    Pinned,
    /// No root vouched and nothing was pinned: pin this one once the handshake succeeds.
    FirstUse {
        fingerprint: String,
    },
    Changed {
        pinned: String,
        presented: String,
    },
}

#[derive(Debug)]
enum Mode {
    /// `--ca-file`: only that CA, no pinning.
    Strict(Arc<WebPkiServerVerifier>),
    /// System roots; a certificate they do not vouch for is pinned on first use.
    Tofu {
        verifier: Option<Arc<WebPkiServerVerifier>>,
        pinned: Option<String>,
        /// There is a pin directory to remember a first-use certificate in.
        can_pin: bool,
    },
}

#[derive(Debug)]
struct ChatifyVerifier {
    mode: Mode,
    provider: Arc<CryptoProvider>,
    verdict: Arc<Mutex<Verdict>>,
}

impl ChatifyVerifier {
    fn set(&self, verdict: Verdict) {
        *lock(&self.verdict) = verdict;
    }
}

impl ServerCertVerifier for ChatifyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let by_roots = |verifier: &WebPkiServerVerifier| {
            verifier.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        };
        match &self.mode {
            Mode::Strict(verifier) => {
                let verified = by_roots(verifier)?;
                self.set(Verdict::Verified);
                Ok(verified)
            }
            Mode::Tofu {
                pinned: Some(pinned),
                ..
            } => {
                let presented = certificate_fingerprint(end_entity);
                if bool::from(subtle::ConstantTimeEq::ct_eq(
                    pinned.as_bytes(),
                    presented.as_bytes(),
                )) {
                    self.set(Verdict::Pinned);
                    return Ok(ServerCertVerified::assertion());
                }
                self.set(Verdict::Changed {
                    pinned: pinned.clone(),
                    presented,
                });
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::ApplicationVerificationFailure,
                ))
            }
            Mode::Tofu {
                verifier,
                pinned: None,
                can_pin,
            } => {
                let checked = match verifier {
                    Some(verifier) => by_roots(verifier),
                    None => Err(rustls::Error::InvalidCertificate(
                        CertificateError::UnknownIssuer,
                    )),
                };
                match checked {
                    Ok(verified) => {
                        self.set(Verdict::Verified);
                        Ok(verified)
                    }
                    Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer))
                        if *can_pin =>
                    {
                        let fingerprint = certificate_fingerprint(end_entity);
                        self.set(Verdict::FirstUse { fingerprint });
                        Ok(ServerCertVerified::assertion())
                    }
                    Err(other) => Err(other),
                }
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
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
        rustls::crypto::verify_tls13_signature(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ws_is_refused_to_other_machines_only() {
        let strict = ConnectSecurity::default();
        assert!(strict.check_plaintext(false, "127.0.0.1").is_ok());
        assert!(strict.check_plaintext(false, "127.8.9.1").is_ok());
        assert!(strict.check_plaintext(false, "[::1]").is_ok());
        assert!(strict.check_plaintext(false, "LocalHost").is_ok());
        assert!(strict.check_plaintext(true, "chat.example").is_ok());
        let refused = strict.check_plaintext(false, "chat.example");
        assert!(matches!(refused, Err(TrustError::Plaintext { .. })));
        assert!(strict.check_plaintext(false, "10.0.0.1").is_err());
        let insisting = ConnectSecurity {
            allow_insecure: true,
            ..ConnectSecurity::default()
        };
        assert!(insisting.check_plaintext(false, "chat.example").is_ok());
    }
}
