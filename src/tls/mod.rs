//! TLS for both ends of a chatify connection (wss://), on rustls with the `ring` provider.
//! `server` owns the server's certificate: loaded from `--tls-cert/--tls-key` or generated once
//! for `--tls-self-signed`, and swapped on SIGHUP without touching open connections. `client`
//! owns how the client trusts a server: the system roots (rustls-native-certs), a private CA
//! (`--ca-file`), or a certificate pinned on first use (`pins`), and the refusal to send
//! credentials over plain `ws://` to another machine. Nothing here logs keys.

pub mod client;
pub mod pins;
pub mod server;

use std::path::PathBuf;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;

pub use client::{ClientTls, ConnectSecurity};
pub use server::ServerTls;

/// Errors of the TLS layer that callers can branch on.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("reading {path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("{path} holds no {what}")]
    Empty { path: PathBuf, what: &'static str },
    #[error("the TLS certificate or key is not usable: {0}")]
    Config(String),
    #[error("generating a self-signed certificate: {0}")]
    Generate(String),
    #[error("saving {path}: {reason}")]
    Save { path: PathBuf, reason: String },
}

/// The one crypto provider chatify uses (ring), passed explicitly so nothing depends on a
/// process-wide default being installed.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// SHA-256 of a DER certificate as uppercase hex pairs joined by colons: the format of
/// `openssl x509 -noout -fingerprint -sha256`, so an operator can compare the two.
pub fn certificate_fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    let pairs: Vec<String> = digest
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect();
    pairs.join(":")
}

#[cfg(test)]
mod tests {
    #[test]
    fn fingerprints_are_sha256_in_openssl_format() {
        // SHA-256 of the empty input.
        let empty = super::certificate_fingerprint(b"");
        assert!(empty.starts_with("E3:B0:C4:42:98:FC:1C:14"), "{empty}");
        assert_eq!(empty.len(), 32 * 3 - 1);
    }
}
