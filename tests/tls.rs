//! wss:// end to end (issue 9 point 12), with real TLS on loopback: a CA and certificates
//! generated in the test (rcgen), the server's `tls::ServerTls` inside `server::run`, the
//! client library's `ConnectSecurity`, and the binary for SIGHUP reload and the CLI refusals.
//! Cases live in `tests/tls/` by area; this root holds the certificate and server fixtures.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chatify::client::conn::ClientError;
use chatify::client::session::{Session, SessionEvents, SessionOptions};
use chatify::server::ServerConfig;
use chatify::store::{Store, StoreOptions};
use chatify::tls::{ConnectSecurity, ServerTls};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use zeroize::Zeroizing;

#[path = "tls/binary.rs"]
mod binary;
#[path = "tls/trust.rs"]
mod trust;

/// Longest wait for anything in these tests.
const WAIT: Duration = Duration::from_secs(30);
const PASSWORD: &str = "correct horse battery";

/// A private CA that signs certificates for localhost and 127.0.0.1.
struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl TestCa {
    fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("CA key");
        TestCa {
            issuer: CertifiedIssuer::self_signed(params, key).expect("CA certificate"),
        }
    }

    /// Writes the CA certificate to `dir/<file>` and returns its path.
    fn write_ca(&self, dir: &Path, file: &str) -> PathBuf {
        let path = dir.join(file);
        std::fs::write(&path, self.issuer.pem()).expect("write CA");
        path
    }

    /// Issues a server certificate and writes it and its key to `cert` and `key`; returns the
    /// certificate's SHA-256 fingerprint.
    fn issue(&self, cert: &Path, key: &Path) -> String {
        let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        let mut params = CertificateParams::new(names).expect("leaf params");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf_key = KeyPair::generate().expect("leaf key");
        let leaf = params
            .signed_by(&leaf_key, &self.issuer)
            .expect("leaf certificate");
        std::fs::write(cert, leaf.pem()).expect("write cert");
        std::fs::write(key, leaf_key.serialize_pem()).expect("write key");
        chatify::tls::certificate_fingerprint(leaf.der())
    }
}

/// `server::run` with TLS on 127.0.0.1:0 and a temp database, in this process.
struct TlsServer {
    url: String,
    tls: ServerTls,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl TlsServer {
    async fn start(dir: &Path, tls: ServerTls) -> TlsServer {
        let store = Store::open(&dir.join("chatify.db"), StoreOptions::default()).expect("store");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("wss://{}/", listener.local_addr().expect("address"));
        let config = ServerConfig {
            rate_limit: 0.0,
            tls: Some(tls.clone()),
            ..ServerConfig::default()
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(chatify::server::run(listener, store, config, async move {
            let _ = stopped.await;
        }));
        TlsServer {
            url,
            tls,
            stop: Some(stop),
            task,
        }
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let result = tokio::time::timeout(WAIT, &mut self.task)
            .await
            .expect("server stops in time")
            .expect("server task does not panic");
        result.expect("server ran cleanly");
    }
}

/// Client transport settings: trust `ca_file` only, or (without one) the system roots with
/// pins kept in `pin_dir`.
fn security(ca_file: Option<&Path>, pin_dir: Option<&Path>) -> ConnectSecurity {
    ConnectSecurity {
        ca_file: ca_file.map(Path::to_path_buf),
        pin_dir: pin_dir.map(Path::to_path_buf),
        ..ConnectSecurity::default()
    }
}

/// Registers (or logs in as) `user` through the client library with `security`.
async fn log_in(
    url: &str,
    user: &str,
    register: bool,
    security: &ConnectSecurity,
) -> Result<(Session, SessionEvents), ClientError> {
    let mut options = SessionOptions::new(url, user);
    options.password = Some(Zeroizing::new(PASSWORD.to_string()));
    options.register = register;
    options.reconnect = false;
    options.security = security.clone();
    Session::connect(options).await
}

/// The SHA-256 fingerprint of the certificate a fresh TLS handshake to `url` is served,
/// trusting `ca_file`.
async fn presented_fingerprint(url: &str, ca_file: &Path) -> String {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca_file).expect("CA file") {
        roots.add(cert.expect("CA cert")).expect("add CA");
    }
    let config = rustls::ClientConfig::builder_with_provider(chatify::tls::provider())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let address = url
        .trim_start_matches("wss://")
        .trim_end_matches('/')
        .to_string();
    let tcp = tokio::net::TcpStream::connect(&address).await.expect("tcp");
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name");
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let stream = tokio::time::timeout(WAIT, connector.connect(name, tcp))
        .await
        .expect("handshake in time")
        .expect("handshake");
    let leaf = stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|certs| certs.first())
        .expect("a certificate")
        .clone();
    chatify::tls::certificate_fingerprint(&leaf)
}

/// Overwrites the self-signed certificate and key kept beside `db` with a new pair (what an
/// attacker in the middle would present); the server uses it after a reload.
fn replace_self_signed(db: &Path) {
    let (cert_path, key_path) = chatify::tls::server::self_signed_paths(db);
    let replacement = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .expect("another certificate");
    std::fs::write(&cert_path, replacement.cert.pem()).expect("write cert");
    std::fs::write(&key_path, replacement.signing_key.serialize_pem()).expect("write key");
}
