//! Long-term X25519 identity keys (DESIGN.md §4): generating them, the 0600 key file (refused
//! when group- or world-accessible), public-key encoding, fingerprints, and the DM key two users
//! share. Used by `chatify keygen`, by the client at auth (it sends the public key) and for DMs.
//!
//! Key file format (text, so a user can see what it is):
//! ```text
//! # chatify identity key (X25519). Keep it secret: mode 0600.
//! secret: <standard base64 of the 32-byte secret>
//! public: <standard base64 of the 32-byte public key>
//! ```
//! The `public:` line is informative; on load it must match the secret.

use std::io::Read;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use super::{CryptoError, Key32};

const CONTEXT_DM_KEY: &str = "chatify 2026-11 dm key v1";
const CONTEXT_FINGERPRINT: &str = "chatify 2026-11 fingerprint v1";
const FINGERPRINT_BYTES: usize = 10;
const MAX_KEY_FILE_BYTES: u64 = 4096;

/// An X25519 static secret key. Zeroized on drop; `Debug` never shows it.
#[derive(Clone)]
pub struct IdentitySecret(StaticSecret);

impl IdentitySecret {
    /// A fresh random secret from the operating system's generator.
    pub fn generate() -> Self {
        IdentitySecret(StaticSecret::random())
    }

    /// Wraps raw secret bytes (clamping happens inside X25519).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        IdentitySecret(StaticSecret::from(bytes))
    }

    /// The matching public key.
    pub fn public_key(&self) -> [u8; 32] {
        PublicKey::from(&self.0).to_bytes()
    }
}

impl std::fmt::Debug for IdentitySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdentitySecret(<redacted>)")
    }
}

/// A user's identity key pair.
#[derive(Debug, Clone)]
pub struct Identity {
    pub secret: IdentitySecret,
    pub public: [u8; 32],
}

impl Identity {
    /// A fresh random key pair.
    pub fn generate() -> Self {
        Self::from_secret(IdentitySecret::generate())
    }

    /// The key pair of a given secret.
    pub fn from_secret(secret: IdentitySecret) -> Self {
        let public = secret.public_key();
        Identity { secret, public }
    }

    /// Reads a key file. Refuses a file that group or others can access (with a message saying
    /// to `chmod 600` it), a missing file ([`CryptoError::NoKeyFile`]) and a malformed one.
    pub fn load(path: &Path) -> Result<Self, CryptoError> {
        let key_file_error = |reason: String| CryptoError::KeyFile {
            path: path.to_path_buf(),
            reason,
        };
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(CryptoError::NoKeyFile {
                    path: path.to_path_buf(),
                });
            }
            Err(error) => return Err(key_file_error(format!("cannot open: {error}"))),
        };
        let metadata = file
            .metadata()
            .map_err(|error| key_file_error(format!("cannot stat: {error}")))?;
        if !metadata.is_file() {
            return Err(key_file_error("not a regular file".to_string()));
        }
        check_private_mode(path, &metadata)?;
        let mut text = Zeroizing::new(String::new());
        file.take(MAX_KEY_FILE_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|error| key_file_error(format!("cannot read: {error}")))?;
        if text.len() as u64 > MAX_KEY_FILE_BYTES {
            return Err(key_file_error("too large to be a key file".to_string()));
        }
        parse_key_file(&text).map_err(key_file_error)
    }

    /// Loads the key file, or creates it (mode 0600) with a fresh key when there is none, as
    /// the client does on first connect. The flag says whether the key was just created.
    pub fn load_or_generate(path: &Path) -> Result<(Self, bool), CryptoError> {
        match Self::load(path) {
            Ok(identity) => Ok((identity, false)),
            Err(CryptoError::NoKeyFile { .. }) => {
                let identity = Self::generate();
                identity.save(path)?;
                Ok((identity, true))
            }
            Err(error) => Err(error),
        }
    }

    /// Writes the key file atomically with mode 0600 (creating missing parent directories).
    pub fn save(&self, path: &Path) -> Result<(), CryptoError> {
        let secret = Zeroizing::new(STANDARD.encode(self.secret.0.as_bytes()));
        let text = Zeroizing::new(format!(
            "# chatify identity key (X25519). Keep it secret: mode 0600.\n\
             secret: {}\npublic: {}\n",
            secret.as_str(),
            self.public_b64()
        ));
        crate::paths::write_private_file(path, text.as_bytes()).map_err(|error| {
            CryptoError::KeyFile {
                path: path.to_path_buf(),
                reason: format!("cannot write: {error:#}"),
            }
        })
    }

    /// The public key as sent in `auth.pk`: standard base64.
    pub fn public_b64(&self) -> String {
        encode_public_key(&self.public)
    }

    /// The fingerprint of this identity's public key.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.public)
    }

    /// The DM key shared with `peer_public` (see [`dm_key`]).
    pub fn dm_key(&self, peer_public: &[u8; 32]) -> Result<Key32, CryptoError> {
        dm_key(&self.secret, &self.public, peer_public)
    }
}

/// The key two users share for their DMs:
/// `derive_key("chatify 2026-11 dm key v1", X25519(mine, peer) ‖ lower pk ‖ higher pk)`, the
/// public keys ordered bytewise. Fails with [`CryptoError::NonContributory`] for a low-order peer
/// key and [`CryptoError::BadPublicKey`] when `my_public` is not the public key of `my_secret`.
pub fn dm_key(
    my_secret: &IdentitySecret,
    my_public: &[u8; 32],
    peer_public: &[u8; 32],
) -> Result<Key32, CryptoError> {
    if my_secret.public_key() != *my_public {
        return Err(CryptoError::BadPublicKey(
            "your public key does not match your secret key".to_string(),
        ));
    }
    let shared = my_secret.0.diffie_hellman(&PublicKey::from(*peer_public));
    if !shared.was_contributory() {
        return Err(CryptoError::NonContributory);
    }
    let (lower, higher) = if my_public <= peer_public {
        (my_public, peer_public)
    } else {
        (peer_public, my_public)
    };
    let mut material = Zeroizing::new([0u8; 96]);
    material[..32].copy_from_slice(shared.as_bytes());
    material[32..64].copy_from_slice(lower);
    material[64..].copy_from_slice(higher);
    Ok(Key32::from_bytes(blake3::derive_key(
        CONTEXT_DM_KEY,
        &material[..],
    )))
}

/// A short, human-comparable rendering of a public key: the first 10 bytes of
/// `derive_key("chatify 2026-11 fingerprint v1", public)` as five space-separated groups of four
/// hex digits, e.g. `3f2a 9c01 77de 0b4e a6f3`.
pub fn fingerprint(public: &[u8; 32]) -> String {
    let digest = blake3::derive_key(CONTEXT_FINGERPRINT, public);
    digest[..FINGERPRINT_BYTES]
        .chunks(2)
        .map(|pair| pair.iter().map(|b| format!("{b:02x}")).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Standard base64 of a public key (the `pk` wire form).
pub fn encode_public_key(public: &[u8; 32]) -> String {
    STANDARD.encode(public)
}

/// Reads a public key from standard base64 of 32 bytes (surrounding whitespace ignored).
pub fn decode_public_key(b64: &str) -> Result<[u8; 32], CryptoError> {
    let bytes = STANDARD
        .decode(b64.trim())
        .map_err(|_| CryptoError::BadPublicKey("not valid base64".to_string()))?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| CryptoError::BadPublicKey(format!("{} bytes, not 32", bytes.len())))
}

#[cfg(unix)]
fn check_private_mode(path: &Path, metadata: &std::fs::Metadata) -> Result<(), CryptoError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CryptoError::InsecureKeyFile {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private_mode(_path: &Path, _metadata: &std::fs::Metadata) -> Result<(), CryptoError> {
    Ok(())
}

fn parse_key_file(text: &str) -> Result<Identity, String> {
    let mut secret_b64 = None;
    let mut public_b64 = None;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once(':') {
            Some(("secret", value)) => secret_b64 = Some(value.trim()),
            Some(("public", value)) => public_b64 = Some(value.trim()),
            _ => return Err("unrecognised line (expected `secret:` and `public:`)".to_string()),
        }
    }
    let secret_b64 = secret_b64.ok_or("no `secret:` line")?;
    let bytes = Zeroizing::new(
        STANDARD
            .decode(secret_b64)
            .map_err(|_| "the secret is not valid base64".to_string())?,
    );
    if bytes.len() != 32 {
        return Err(format!("the secret is {} bytes, not 32", bytes.len()));
    }
    let mut secret = Zeroizing::new([0u8; 32]);
    secret.copy_from_slice(&bytes);
    let identity = Identity::from_secret(IdentitySecret::from_bytes(*secret));
    if let Some(public_b64) = public_b64 {
        let public = decode_public_key(public_b64).map_err(|error| error.to_string())?;
        if public != identity.public {
            return Err("the `public:` line does not match the secret".to_string());
        }
    }
    Ok(identity)
}

#[cfg(test)]
#[path = "identity_tests.rs"]
mod tests;
