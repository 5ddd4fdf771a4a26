//! The `xc20p1` message envelope (PROTOCOL.md §10): XChaCha20-Poly1305 with a random 24-byte
//! nonce, AAD `chatify:v1:<scope>:<lowercase sender>:<kind>`, carried as standard padded base64
//! of `nonce ‖ ciphertext ‖ tag`. Byte-compatible with libsodium's
//! `crypto_aead_xchacha20poly1305_ietf`. Used by the client for channel messages, edits and DMs.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use super::{CryptoError, Key32};

/// Length of the random nonce at the start of an envelope.
pub const ENVELOPE_NONCE_LEN: usize = 24;
/// Length of the Poly1305 tag at the end of an envelope.
pub const ENVELOPE_TAG_LEN: usize = 16;

/// The associated data bound to an envelope: `chatify:v1:<scope>:<lowercase sender>:<kind>`.
/// `scope` is `#channel` or `@a:b` (see `proto::channel_scope` / `proto::dm_scope`); `kind` is
/// `msg`, `dm` or `edit:<target id>`. Usernames are ASCII (`proto::validate_username`), so the
/// sender is lowercased the way `proto::dm_scope` lowercases.
pub fn aad(scope: &str, sender: &str, kind: &str) -> String {
    format!("chatify:v1:{scope}:{}:{kind}", sender.to_ascii_lowercase())
}

/// Encrypts `plaintext` under `key` with a fresh random nonce; returns the `c` field.
pub fn seal(key: &Key32, scope: &str, sender: &str, kind: &str, plaintext: &str) -> String {
    let mut nonce = [0u8; ENVELOPE_NONCE_LEN];
    rand::fill(&mut nonce[..]);
    seal_with_nonce(key, &nonce, scope, sender, kind, plaintext)
}

/// [`seal`] with a caller-chosen nonce. Only for reproducing fixed test vectors: reusing a nonce
/// under the same key destroys confidentiality, so real messages go through [`seal`].
pub fn seal_with_nonce(
    key: &Key32,
    nonce: &[u8; ENVELOPE_NONCE_LEN],
    scope: &str,
    sender: &str,
    kind: &str,
    plaintext: &str,
) -> String {
    let cipher = XChaCha20Poly1305::new(&(*key.as_bytes()).into());
    let associated = aad(scope, sender, kind);
    let payload = Payload {
        msg: plaintext.as_bytes(),
        aad: associated.as_bytes(),
    };
    let ciphertext = cipher
        .encrypt(&XNonce::from(*nonce), payload)
        .expect("XChaCha20-Poly1305 encryption only fails beyond 256 GiB of plaintext");
    let mut envelope = Vec::with_capacity(ENVELOPE_NONCE_LEN + ciphertext.len());
    envelope.extend_from_slice(nonce);
    envelope.extend_from_slice(&ciphertext);
    STANDARD.encode(envelope)
}

/// Decrypts and authenticates an envelope. [`CryptoError::BadFormat`] for input that is not an
/// envelope at all (bad base64, too short) or whose plaintext is not UTF-8;
/// [`CryptoError::Tampered`] when authentication fails — a wrong key, a modified envelope, or
/// a different scope, sender or kind than it was sealed with (the AEAD cannot tell these apart).
pub fn open(
    key: &Key32,
    scope: &str,
    sender: &str,
    kind: &str,
    envelope_b64: &str,
) -> Result<String, CryptoError> {
    let envelope = STANDARD
        .decode(envelope_b64)
        .map_err(|_| CryptoError::BadFormat("envelope is not valid base64".to_string()))?;
    if envelope.len() < ENVELOPE_NONCE_LEN + ENVELOPE_TAG_LEN {
        return Err(CryptoError::BadFormat(format!(
            "envelope is {} bytes, shorter than nonce and tag ({})",
            envelope.len(),
            ENVELOPE_NONCE_LEN + ENVELOPE_TAG_LEN
        )));
    }
    let (nonce, sealed) = envelope.split_at(ENVELOPE_NONCE_LEN);
    let nonce: [u8; ENVELOPE_NONCE_LEN] = nonce
        .try_into()
        .expect("split_at gave exactly ENVELOPE_NONCE_LEN bytes");
    let cipher = XChaCha20Poly1305::new(&(*key.as_bytes()).into());
    let associated = aad(scope, sender, kind);
    let payload = Payload {
        msg: sealed,
        aad: associated.as_bytes(),
    };
    let plaintext = cipher
        .decrypt(&XNonce::from(nonce), payload)
        .map_err(|_| CryptoError::Tampered)?;
    String::from_utf8(plaintext).map_err(|error| {
        let mut bytes = error.into_bytes();
        zeroize::Zeroize::zeroize(&mut bytes);
        CryptoError::BadFormat("decrypted message is not UTF-8".to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("test hex"))
            .collect()
    }

    fn test_key() -> Key32 {
        Key32::from_bytes([0x42; 32])
    }

    /// draft-irtf-cfrg-xchacha-03 §A.3.1: the AEAD_XChaCha20_Poly1305 test vector.
    #[test]
    fn xchacha20poly1305_draft_vector() {
        let key: [u8; 32] = std::array::from_fn(|i| 0x80 + i as u8);
        let nonce: [u8; 24] = std::array::from_fn(|i| 0x40 + i as u8);
        let aad = unhex("50515253c0c1c2c3c4c5c6c7");
        let plaintext = b"Ladies and Gentlemen of the class of '99: If I could offer you only one \
            tip for the future, sunscreen would be it.";
        let expected = unhex(concat!(
            "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb",
            "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452",
            "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9",
            "21f9664c97637da9768812f615c68b13b52e",
            "c0875924c1c7987947deafd8780acf49"
        ));
        let cipher = XChaCha20Poly1305::new(&key.into());
        let sealed = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .expect("encrypt");
        assert_eq!(sealed, expected);
        let opened = cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &expected,
                    aad: &aad,
                },
            )
            .expect("decrypt");
        assert_eq!(opened, plaintext);
    }

    #[test]
    fn aad_lowercases_sender_only() {
        assert_eq!(
            aad("#ops", "Alice", "edit:42"),
            "chatify:v1:#ops:alice:edit:42"
        );
        assert_eq!(
            aad("@alice:bob", "BOB", "dm"),
            "chatify:v1:@alice:bob:bob:dm"
        );
    }

    #[test]
    fn seal_then_open_roundtrips_with_random_nonces() {
        let key = test_key();
        let first = seal(&key, "#ops", "alice", "msg", "hello 🌍");
        let second = seal(&key, "#ops", "alice", "msg", "hello 🌍");
        assert_ne!(first, second, "nonces must be random");
        for envelope in [&first, &second] {
            let opened = open(&key, "#ops", "Alice", "msg", envelope).expect("open");
            assert_eq!(opened, "hello 🌍");
        }
    }

    #[test]
    fn every_flipped_byte_is_detected() {
        let key = test_key();
        let envelope = seal(&key, "#ops", "alice", "msg", "attack at dawn");
        let raw = STANDARD.decode(&envelope).expect("own envelope");
        for index in 0..raw.len() {
            let mut tampered = raw.clone();
            tampered[index] ^= 0x01;
            let result = open(&key, "#ops", "alice", "msg", &STANDARD.encode(&tampered));
            assert!(matches!(result, Err(CryptoError::Tampered)), "byte {index}");
        }
    }

    #[test]
    fn changed_scope_sender_or_kind_is_detected() {
        let key = test_key();
        let envelope = seal(&key, "#ops", "alice", "msg", "hi");
        for (scope, sender, kind) in [
            ("#dev", "alice", "msg"),
            ("@alice:bob", "alice", "msg"),
            ("#ops", "bob", "msg"),
            ("#ops", "alice", "dm"),
            ("#ops", "alice", "edit:1"),
        ] {
            let result = open(&key, scope, sender, kind, &envelope);
            assert!(
                matches!(result, Err(CryptoError::Tampered)),
                "{scope} {sender} {kind}"
            );
        }
        let wrong_key = Key32::from_bytes([0x43; 32]);
        let result = open(&wrong_key, "#ops", "alice", "msg", &envelope);
        assert!(matches!(result, Err(CryptoError::Tampered)));
    }

    #[test]
    fn malformed_envelopes_are_bad_format() {
        let key = test_key();
        for input in ["", "!!!not base64", "QUJD", &STANDARD.encode([0u8; 39])] {
            let result = open(&key, "#ops", "alice", "msg", input);
            assert!(
                matches!(result, Err(CryptoError::BadFormat(_))),
                "{input:?}"
            );
        }
    }

    #[test]
    fn non_utf8_plaintext_is_bad_format() {
        let key = test_key();
        let nonce = [7u8; ENVELOPE_NONCE_LEN];
        let cipher = XChaCha20Poly1305::new(&(*key.as_bytes()).into());
        let associated = aad("#ops", "alice", "msg");
        let sealed = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &[0xff, 0xfe],
                    aad: associated.as_bytes(),
                },
            )
            .expect("encrypt");
        let envelope = STANDARD.encode([&nonce[..], &sealed].concat());
        let result = open(&key, "#ops", "alice", "msg", &envelope);
        assert!(matches!(result, Err(CryptoError::BadFormat(_))));
    }
}
