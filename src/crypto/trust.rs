//! Trust on first use for peers' identity keys (DESIGN.md §4): the first key seen for a user is
//! pinned; a later, different key is reported loudly (with both fingerprints) and not accepted
//! until the user says so (`/trust user`). Persisted as JSON, mode 0600, in the config dir
//! (`{"version":1,"peers":{"bob":"<base64 public key>"}}`). Used by the client.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{CryptoError, decode_public_key, encode_public_key, fingerprint};

const STORE_VERSION: u32 = 1;
const MAX_STORE_BYTES: u64 = 16 * 1024 * 1024;

/// The outcome of checking a peer's key against the pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustCheck {
    /// No key was pinned for this user; this one now is (call [`TrustStore::save`]).
    FirstUse,
    /// The key is the pinned one.
    Match,
    /// The key differs from the pinned one; the pin is unchanged. Warn loudly.
    Changed {
        pinned_fingerprint: String,
        new_fingerprint: String,
    },
}

/// Pinned identity keys of other users, keyed by lowercase username.
#[derive(Debug, Clone)]
pub struct TrustStore {
    path: PathBuf,
    peers: BTreeMap<String, [u8; 32]>,
}

#[derive(Serialize, Deserialize)]
struct StoreFile {
    version: u32,
    peers: BTreeMap<String, String>,
}

impl TrustStore {
    /// An empty store that will be saved at `path`.
    pub fn new(path: &Path) -> Self {
        TrustStore {
            path: path.to_path_buf(),
            peers: BTreeMap::new(),
        }
    }

    /// Reads the store at `path`; a missing file is an empty store.
    pub fn load(path: &Path) -> Result<Self, CryptoError> {
        let store_error = |reason: String| CryptoError::TrustStore {
            path: path.to_path_buf(),
            reason,
        };
        let text = match read_limited(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::new(path));
            }
            Err(error) => return Err(store_error(format!("cannot read: {error}"))),
        };
        let file: StoreFile = serde_json::from_str(&text)
            .map_err(|error| store_error(format!("not a trust store: {error}")))?;
        if file.version != STORE_VERSION {
            return Err(store_error(format!(
                "unsupported version {} (expected {STORE_VERSION})",
                file.version
            )));
        }
        let mut peers = BTreeMap::new();
        for (user, public_b64) in file.peers {
            let public = decode_public_key(&public_b64)
                .map_err(|error| store_error(format!("entry for {user:?}: {error}")))?;
            peers.insert(user.to_ascii_lowercase(), public);
        }
        Ok(TrustStore {
            path: path.to_path_buf(),
            peers,
        })
    }

    /// Checks `public` against the key pinned for `user`, pinning it if there is none.
    pub fn check(&mut self, user: &str, public: &[u8; 32]) -> TrustCheck {
        let user = user.to_ascii_lowercase();
        match self.peers.get(&user) {
            None => {
                self.peers.insert(user, *public);
                TrustCheck::FirstUse
            }
            Some(pinned) if pinned == public => TrustCheck::Match,
            Some(pinned) => TrustCheck::Changed {
                pinned_fingerprint: fingerprint(pinned),
                new_fingerprint: fingerprint(public),
            },
        }
    }

    /// Pins `public` for `user`, replacing any earlier pin.
    pub fn trust(&mut self, user: &str, public: &[u8; 32]) {
        self.peers.insert(user.to_ascii_lowercase(), *public);
    }

    /// Removes the pin of `user`; whether there was one.
    pub fn forget(&mut self, user: &str) -> bool {
        self.peers.remove(&user.to_ascii_lowercase()).is_some()
    }

    /// The key pinned for `user`, if any.
    pub fn pinned(&self, user: &str) -> Option<[u8; 32]> {
        self.peers.get(&user.to_ascii_lowercase()).copied()
    }

    /// Where the store is saved.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the store atomically with mode 0600.
    pub fn save(&self) -> Result<(), CryptoError> {
        let file = StoreFile {
            version: STORE_VERSION,
            peers: self
                .peers
                .iter()
                .map(|(user, public)| (user.clone(), encode_public_key(public)))
                .collect(),
        };
        let mut text =
            serde_json::to_string_pretty(&file).map_err(|error| CryptoError::TrustStore {
                path: self.path.clone(),
                reason: format!("cannot encode: {error}"),
            })?;
        text.push('\n');
        crate::paths::write_private_file(&self.path, text.as_bytes()).map_err(|error| {
            CryptoError::TrustStore {
                path: self.path.clone(),
                reason: format!("cannot write: {error:#}"),
            }
        })
    }
}

fn read_limited(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut text = String::new();
    file.take(MAX_STORE_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_STORE_BYTES {
        return Err(std::io::Error::other("file is too large"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Identity;

    #[test]
    fn pins_on_first_use_and_reports_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = TrustStore::load(&dir.path().join("trust.json")).expect("empty");
        let bob = Identity::generate();
        let impostor = Identity::generate();
        assert_eq!(store.check("Bob", &bob.public), TrustCheck::FirstUse);
        assert_eq!(store.check("bob", &bob.public), TrustCheck::Match);
        assert_eq!(
            store.check("bob", &impostor.public),
            TrustCheck::Changed {
                pinned_fingerprint: bob.fingerprint(),
                new_fingerprint: impostor.fingerprint(),
            }
        );
        assert_eq!(
            store.pinned("BOB"),
            Some(bob.public),
            "a change does not re-pin"
        );
        store.trust("bob", &impostor.public);
        assert_eq!(store.check("bob", &impostor.public), TrustCheck::Match);
        assert!(store.forget("bob"));
        assert!(!store.forget("bob"));
        assert_eq!(store.pinned("bob"), None);
    }

    #[test]
    fn persists_with_mode_0600() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub").join("trust.json");
        let bob = Identity::generate();
        let carol = Identity::generate();
        let mut store = TrustStore::load(&path).expect("empty");
        store.check("bob", &bob.public);
        store.trust("Carol", &carol.public);
        store.save().expect("save");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let mut reloaded = TrustStore::load(&path).expect("load");
        assert_eq!(reloaded.path(), path.as_path());
        assert_eq!(reloaded.check("bob", &bob.public), TrustCheck::Match);
        assert_eq!(reloaded.pinned("carol"), Some(carol.public));
        assert!(matches!(
            reloaded.check("carol", &bob.public),
            TrustCheck::Changed { .. }
        ));
    }

    #[test]
    fn corrupt_store_is_an_error_not_an_empty_store() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("trust.json");
        for contents in [
            "not json",
            r#"{"version":2,"peers":{}}"#,
            r#"{"version":1,"peers":{"bob":"AAAA"}}"#,
        ] {
            std::fs::write(&path, contents).expect("write");
            assert!(
                matches!(TrustStore::load(&path), Err(CryptoError::TrustStore { .. })),
                "{contents}"
            );
        }
    }
}
