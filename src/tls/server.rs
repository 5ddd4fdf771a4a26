//! The server's certificate: `ServerTls` holds the current rustls configuration behind a lock
//! and hands out acceptors; `reload` reads the certificate and key files again and swaps the
//! configuration, so handshakes after a SIGHUP use the new certificate while connections that
//! are already open keep theirs. `--tls-self-signed` generates a certificate once (rcgen) and
//! keeps it beside the database, mode 0600, reusing it on every later start.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use super::{TlsError, certificate_fingerprint, provider};

/// A reloadable TLS server configuration; cheap to clone (shared).
#[derive(Clone)]
pub struct ServerTls {
    inner: Arc<Inner>,
}

struct Inner {
    cert_path: PathBuf,
    key_path: PathBuf,
    current: RwLock<Loaded>,
}

#[derive(Clone)]
struct Loaded {
    config: Arc<rustls::ServerConfig>,
    fingerprint: String,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("cert_path", &self.inner.cert_path)
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

/// Where `--tls-self-signed` keeps its certificate and key: beside the database, named after it.
pub fn self_signed_paths(db: &Path) -> (PathBuf, PathBuf) {
    let stem = db
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "chatify.db".to_string());
    let dir = db.parent().unwrap_or(Path::new("."));
    (
        dir.join(format!("{stem}.tls-cert.pem")),
        dir.join(format!("{stem}.tls-key.pem")),
    )
}

impl ServerTls {
    /// Loads a PEM certificate chain (leaf first) and its PEM private key.
    pub fn from_files(cert_path: &Path, key_path: &Path) -> Result<ServerTls, TlsError> {
        let loaded = load(cert_path, key_path)?;
        Ok(ServerTls {
            inner: Arc::new(Inner {
                cert_path: cert_path.to_path_buf(),
                key_path: key_path.to_path_buf(),
                current: RwLock::new(loaded),
            }),
        })
    }

    /// Uses the self-signed certificate kept beside `db`, generating it (for `names`, plus
    /// `localhost` and the loopback addresses) when there is none. Returns whether it was created.
    pub fn self_signed(db: &Path, names: &[String]) -> Result<(ServerTls, bool), TlsError> {
        let (cert_path, key_path) = self_signed_paths(db);
        let created = !cert_path.exists() || !key_path.exists();
        if created {
            generate_self_signed(&cert_path, &key_path, names)?;
        }
        Ok((ServerTls::from_files(&cert_path, &key_path)?, created))
    }

    /// Reads the files again and uses them for every later handshake. On an error the current
    /// certificate stays in use.
    pub fn reload(&self) -> Result<(), TlsError> {
        let loaded = load(&self.inner.cert_path, &self.inner.key_path)?;
        *self
            .inner
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = loaded;
        Ok(())
    }

    /// An acceptor with the current certificate.
    pub fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.current().config)
    }

    /// SHA-256 fingerprint of the current leaf certificate.
    pub fn fingerprint(&self) -> String {
        self.current().fingerprint
    }

    /// The certificate file in use.
    pub fn cert_path(&self) -> &Path {
        &self.inner.cert_path
    }

    fn current(&self) -> Loaded {
        self.inner
            .current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

fn load(cert_path: &Path, key_path: &Path) -> Result<Loaded, TlsError> {
    let file_error = |path: &Path, error: &dyn std::fmt::Display| TlsError::File {
        path: path.to_path_buf(),
        reason: error.to_string(),
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_path)
        .map_err(|error| file_error(cert_path, &error))?
        .collect::<Result<_, _>>()
        .map_err(|error| file_error(cert_path, &error))?;
    let Some(leaf) = certs.first() else {
        return Err(TlsError::Empty {
            path: cert_path.to_path_buf(),
            what: "PEM certificate",
        });
    };
    let fingerprint = certificate_fingerprint(leaf);
    let key = PrivateKeyDer::from_pem_file(key_path).map_err(|error| match error {
        rustls::pki_types::pem::Error::NoItemsFound => TlsError::Empty {
            path: key_path.to_path_buf(),
            what: "PEM private key",
        },
        other => file_error(key_path, &other),
    })?;
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|error| TlsError::Config(error.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|error| TlsError::Config(error.to_string()))?;
    Ok(Loaded {
        config: Arc::new(config),
        fingerprint,
    })
}

fn generate_self_signed(
    cert_path: &Path,
    key_path: &Path,
    names: &[String],
) -> Result<(), TlsError> {
    let mut alt_names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    for name in names {
        if !name.is_empty() && !alt_names.contains(name) {
            alt_names.push(name.clone());
        }
    }
    let generated = rcgen::generate_simple_self_signed(alt_names)
        .map_err(|error| TlsError::Generate(error.to_string()))?;
    let key_pem = zeroize::Zeroizing::new(generated.signing_key.serialize_pem());
    let save = |path: &Path, contents: &[u8]| {
        crate::paths::write_private_file(path, contents).map_err(|error| TlsError::Save {
            path: path.to_path_buf(),
            reason: format!("{error:#}"),
        })
    };
    // The key first: a crash in between leaves no certificate, so the pair is generated again.
    save(key_path, key_pem.as_bytes())?;
    save(cert_path, generated.cert.pem().as_bytes())
}

#[cfg(test)]
mod tests;
