//! End-to-end encryption and account-password primitives (DESIGN.md §4, PROTOCOL.md §10): the
//! channel key derivation (`kdf`), `xc20p1` envelopes (`envelope`), blind search tokens (`blind`),
//! identity keys, DM keys and fingerprints (`identity`), trust-on-first-use pinning (`trust`) and
//! account password hashing (`password`). The client, the one-shot tools and the server (password
//! hashing only) call into it; nothing here logs, and every secret is zeroized on drop and prints
//! as `<redacted>` under `Debug`.
//!
//! Decryption failures: an AEAD cannot tell a wrong key from a tampered message, so [`open`]
//! reports [`CryptoError::Tampered`] ("wrong key or tampered message") for both. A caller that
//! verified the channel key against the channel's key check value (`kcv`) first — see
//! [`ChannelKeys::require_kcv`], which fails with [`CryptoError::WrongKey`] — knows the key is
//! right and can therefore say "tampered" with confidence.

mod blind;
mod envelope;
mod identity;
mod kdf;
mod password;
mod trust;

use std::path::PathBuf;

use zeroize::{Zeroize, ZeroizeOnDrop};

pub use blind::{blind_token, blind_tokens, blind_words};
pub use envelope::{ENVELOPE_NONCE_LEN, ENVELOPE_TAG_LEN, aad, open, seal, seal_with_nonce};
pub use identity::{
    Identity, IdentitySecret, decode_public_key, dm_key, encode_public_key, fingerprint,
};
pub use kdf::{
    ChannelKeys, KdfParams, KdfPolicy, SALT_LEN, channel_root, decode_kcv, derive_channel_keys,
    random_salt,
};
pub use password::{PASSWORD_M_KIB, PASSWORD_P, PASSWORD_T, hash_password, verify_password};
pub use trust::{TrustCheck, TrustStore};

/// A 32-byte symmetric key. Zeroized on drop; `Debug` never shows the bytes.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Key32([u8; 32]);

impl Key32 {
    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Key32(bytes)
    }

    /// The raw key bytes (for caching the key in a 0600 file or feeding a primitive).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Compares two keys in constant time.
    pub fn ct_eq(&self, other: &Key32) -> bool {
        subtle::ConstantTimeEq::ct_eq(&self.0[..], &other.0[..]).into()
    }
}

impl std::fmt::Debug for Key32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key32(<redacted>)")
    }
}

/// Everything that can go wrong in this module. Messages are lowercase, say what happened and,
/// where the user can do something about it, what to do.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The channel's KDF parameters are below the floor (m=19456 KiB, t=2, p=1).
    #[error(
        "refusing weak key-derivation parameters m={m_kib} KiB, t={t}, p={p} \
         (the minimum is m=19456 KiB, t=2, p=1; a server must not be able to weaken them)"
    )]
    WeakKdf { m_kib: u32, t: u32, p: u32 },
    /// The KDF parameters or salt are unusable (unknown algorithm, absurd sizes, short salt).
    #[error("bad key-derivation parameters: {0}")]
    BadKdf(String),
    /// The peer's X25519 public key is a low-order point: the shared secret would be predictable.
    #[error("the peer's public key is invalid (low-order point); refusing to derive a DM key")]
    NonContributory,
    /// The key does not match the channel's key check value: a wrong passphrase.
    #[error("wrong passphrase: the derived key does not match the channel's key check value")]
    WrongKey,
    /// AEAD authentication failed. The AEAD cannot tell a wrong key from tampering.
    #[error("cannot decrypt: wrong key or tampered message")]
    Tampered,
    /// Input that is not in the expected format (envelope, key check value, plaintext encoding).
    #[error("bad format: {0}")]
    BadFormat(String),
    /// A public key that is not base64 of 32 bytes, or does not match its secret key.
    #[error("bad public key: {0}")]
    BadPublicKey(String),
    /// The identity key file could not be read, parsed or written.
    #[error("identity key file {path}: {reason}")]
    KeyFile { path: PathBuf, reason: String },
    /// There is no identity key file at the path.
    #[error("no identity key at {path}; create one with `chatify keygen`")]
    NoKeyFile { path: PathBuf },
    /// The identity key file is accessible by group or others; it is not read.
    #[error(
        "identity key file {path} is accessible by other users (mode {mode:04o}); \
         refusing to use it — run: chmod 600 {path}"
    )]
    InsecureKeyFile { path: PathBuf, mode: u32 },
    /// The trust store could not be read, parsed or written.
    #[error("trust store {path}: {reason}")]
    TrustStore { path: PathBuf, reason: String },
    /// Hashing an account password failed.
    #[error("hashing the password failed: {0}")]
    PasswordHash(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key32_debug_is_redacted() {
        let key = Key32::from_bytes([0xab; 32]);
        let shown = format!("{key:?}");
        assert_eq!(shown, "Key32(<redacted>)");
        assert!(!shown.contains("ab"));
    }

    #[test]
    fn key32_constant_time_comparison() {
        let a = Key32::from_bytes([1; 32]);
        let mut other = [1; 32];
        assert!(a.ct_eq(&Key32::from_bytes(other)));
        other[31] = 2;
        assert!(!a.ct_eq(&Key32::from_bytes(other)));
    }

    #[test]
    fn insecure_key_file_message_says_chmod_600() {
        let error = CryptoError::InsecureKeyFile {
            path: PathBuf::from("/tmp/x/identity.key"),
            mode: 0o644,
        };
        let text = error.to_string();
        assert!(text.contains("chmod 600 /tmp/x/identity.key"), "{text}");
        assert!(text.contains("0644"), "{text}");
    }
}
