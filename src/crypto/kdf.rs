//! Sealed-channel key derivation (DESIGN.md §4): `root = Argon2id(passphrase, salt)`, then the
//! message, search and check keys with `blake3::derive_key` and the key check value (`kcv`) that
//! lets a client report a wrong passphrase at once. Also the KDF parameter policy: a joining client
//! refuses parameters below the floor unless explicitly running under a test-only override.
//! Used by the client when creating or joining a sealed channel.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroize;

use super::{CryptoError, Key32};
use crate::proto::KdfSpec;

/// Length of a sealed channel's random salt.
pub const SALT_LEN: usize = 16;

const CONTEXT_MESSAGE_KEY: &str = "chatify 2026-11 channel message key v1";
const CONTEXT_SEARCH_KEY: &str = "chatify 2026-11 channel search key v1";
const CONTEXT_CHECK_KEY: &str = "chatify 2026-11 channel check v1";
const KCV_INPUT: &[u8] = b"chatify key check";
const KDF_ALGORITHM: &str = "argon2id";

/// Ceilings that stop a hostile server or channel creator from making a client allocate or
/// spin for long: the protocol's phone-class limits, also enforced by the server at creation.
const MAX_M_KIB: u32 = crate::proto::KDF_MAX_M_KIB;
const MAX_T: u32 = crate::proto::KDF_MAX_T;
const MAX_P: u32 = crate::proto::KDF_MAX_P;

/// Argon2id cost parameters of a sealed channel: memory in KiB, passes, lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

/// Whether [`derive_channel_keys`] enforces the parameter floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KdfPolicy {
    /// Refuse parameters below [`KdfParams::FLOOR`] and salts shorter than 16 bytes.
    EnforceFloor,
    /// Accept anything Argon2 itself accepts. Only for tests that must run fast.
    AllowWeakForTests,
}

impl KdfParams {
    /// What new sealed channels use: m=64 MiB, t=3, p=1.
    pub const DEFAULT: KdfParams = KdfParams {
        m_kib: 65536,
        t: 3,
        p: 1,
    };
    /// The weakest parameters a client accepts from a server: m=19 MiB, t=2, p=1.
    pub const FLOOR: KdfParams = KdfParams {
        m_kib: 19456,
        t: 2,
        p: 1,
    };

    /// The wire form (`create.kdf` / `joined.kdf`).
    pub fn to_spec(&self) -> KdfSpec {
        KdfSpec {
            alg: KDF_ALGORITHM.to_string(),
            m: self.m_kib,
            t: self.t,
            p: self.p,
        }
    }

    /// Reads the wire form. Refuses algorithms other than `argon2id` and absurd sizes; the floor
    /// is checked later, by [`derive_channel_keys`], according to its [`KdfPolicy`].
    pub fn from_spec(spec: &KdfSpec) -> Result<Self, CryptoError> {
        if spec.alg != KDF_ALGORITHM {
            return Err(CryptoError::BadKdf(format!(
                "unsupported algorithm {:?} (only argon2id)",
                spec.alg.chars().take(32).collect::<String>()
            )));
        }
        let params = KdfParams {
            m_kib: spec.m,
            t: spec.t,
            p: spec.p,
        };
        params.check_sane()?;
        Ok(params)
    }

    /// Whether any parameter is below [`KdfParams::FLOOR`].
    pub fn is_below_floor(&self) -> bool {
        self.m_kib < Self::FLOOR.m_kib || self.t < Self::FLOOR.t || self.p < Self::FLOOR.p
    }

    /// Fails with [`CryptoError::WeakKdf`] when the policy enforces the floor and these
    /// parameters are below it.
    pub fn enforce(&self, policy: KdfPolicy) -> Result<(), CryptoError> {
        if policy == KdfPolicy::EnforceFloor && self.is_below_floor() {
            return Err(CryptoError::WeakKdf {
                m_kib: self.m_kib,
                t: self.t,
                p: self.p,
            });
        }
        Ok(())
    }

    fn check_sane(&self) -> Result<(), CryptoError> {
        if self.t == 0 || self.p == 0 || self.m_kib < self.p.saturating_mul(8) {
            return Err(CryptoError::BadKdf(format!(
                "m={} KiB, t={}, p={} is not valid Argon2 (t and p at least 1, m at least 8·p)",
                self.m_kib, self.t, self.p
            )));
        }
        if self.m_kib > MAX_M_KIB || self.t > MAX_T || self.p > MAX_P {
            return Err(CryptoError::BadKdf(format!(
                "m={} KiB, t={}, p={} is too expensive to derive (limits: m={MAX_M_KIB} KiB, \
                 t={MAX_T}, p={MAX_P}); refusing before running Argon2",
                self.m_kib, self.t, self.p
            )));
        }
        Ok(())
    }
}

/// A sealed channel's three keys. `Debug` shows no key bytes; all are zeroized on drop.
#[derive(Debug, Clone)]
pub struct ChannelKeys {
    pub message: Key32,
    pub search: Key32,
    pub check: Key32,
}

impl ChannelKeys {
    /// Splits an Argon2id root into the message, search and check keys.
    pub fn from_root(root: &Key32) -> ChannelKeys {
        ChannelKeys {
            message: Key32::from_bytes(blake3::derive_key(CONTEXT_MESSAGE_KEY, root.as_bytes())),
            search: Key32::from_bytes(blake3::derive_key(CONTEXT_SEARCH_KEY, root.as_bytes())),
            check: Key32::from_bytes(blake3::derive_key(CONTEXT_CHECK_KEY, root.as_bytes())),
        }
    }

    /// The key check value: the first 16 bytes of `keyed_hash(check_key, "chatify key check")`.
    pub fn kcv(&self) -> [u8; 16] {
        let hash = blake3::keyed_hash(self.check.as_bytes(), KCV_INPUT);
        let mut kcv = [0u8; 16];
        kcv.copy_from_slice(&hash.as_bytes()[..16]);
        kcv
    }

    /// The key check value as it travels on the wire: standard padded base64.
    pub fn kcv_b64(&self) -> String {
        STANDARD.encode(self.kcv())
    }

    /// Whether `kcv` is this key's check value, compared in constant time.
    pub fn check_kcv(&self, kcv: &[u8]) -> bool {
        let mine = self.kcv();
        kcv.len() == mine.len() && bool::from(subtle::ConstantTimeEq::ct_eq(&mine[..], kcv))
    }

    /// Like [`ChannelKeys::check_kcv`] but fails with [`CryptoError::WrongKey`].
    pub fn require_kcv(&self, kcv: &[u8]) -> Result<(), CryptoError> {
        if self.check_kcv(kcv) {
            Ok(())
        } else {
            Err(CryptoError::WrongKey)
        }
    }
}

/// Decodes a wire key check value (standard base64 of 16 bytes).
pub fn decode_kcv(kcv_b64: &str) -> Result<[u8; 16], CryptoError> {
    let bytes = STANDARD
        .decode(kcv_b64.trim())
        .map_err(|_| CryptoError::BadFormat("kcv is not valid base64".to_string()))?;
    <[u8; 16]>::try_from(bytes.as_slice())
        .map_err(|_| CryptoError::BadFormat(format!("kcv is {} bytes, not 16", bytes.len())))
}

/// `Argon2id(passphrase, salt, params)` → the 32-byte channel root key.
pub fn channel_root(
    passphrase: &str,
    salt: &[u8],
    params: &KdfParams,
    policy: KdfPolicy,
) -> Result<Key32, CryptoError> {
    params.check_sane()?;
    params.enforce(policy)?;
    if salt.len() < argon2::MIN_SALT_LEN {
        return Err(CryptoError::BadKdf(format!(
            "salt is {} bytes; Argon2 needs at least {}",
            salt.len(),
            argon2::MIN_SALT_LEN
        )));
    }
    if policy == KdfPolicy::EnforceFloor && salt.len() < SALT_LEN {
        return Err(CryptoError::BadKdf(format!(
            "salt is {} bytes; channels use {SALT_LEN}",
            salt.len()
        )));
    }
    let argon_params = Params::new(params.m_kib, params.t, params.p, Some(32))
        .map_err(|error| CryptoError::BadKdf(error.to_string()))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
    let mut out = [0u8; 32];
    let result = argon.hash_password_into(passphrase.as_bytes(), salt, &mut out);
    let root = Key32::from_bytes(out);
    out.zeroize();
    result.map_err(|error| CryptoError::BadKdf(error.to_string()))?;
    Ok(root)
}

/// Derives a sealed channel's keys from its passphrase and salt (Argon2id, then BLAKE3).
pub fn derive_channel_keys(
    passphrase: &str,
    salt: &[u8],
    params: &KdfParams,
    policy: KdfPolicy,
) -> Result<ChannelKeys, CryptoError> {
    let root = channel_root(passphrase, salt, params, policy)?;
    Ok(ChannelKeys::from_root(&root))
}

/// A fresh random 16-byte channel salt.
pub fn random_salt() -> [u8; SALT_LEN] {
    let mut salt = [0u8; SALT_LEN];
    rand::fill(&mut salt[..]);
    salt
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALT: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    const WEAK: KdfParams = KdfParams {
        m_kib: 64,
        t: 1,
        p: 1,
    };

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn floor_refused_unless_test_override() {
        for params in [
            KdfParams {
                m_kib: 19455,
                ..KdfParams::FLOOR
            },
            KdfParams {
                t: 1,
                ..KdfParams::FLOOR
            },
            WEAK,
        ] {
            let error = derive_channel_keys("pw", &SALT, &params, KdfPolicy::EnforceFloor);
            assert!(
                matches!(error, Err(CryptoError::WeakKdf { .. })),
                "{params:?}"
            );
            assert!(
                derive_channel_keys("pw", &SALT, &params, KdfPolicy::AllowWeakForTests).is_ok()
            );
        }
    }

    #[test]
    fn from_spec_accepts_argon2id_and_rejects_others() {
        let spec = KdfParams::DEFAULT.to_spec();
        assert_eq!(spec.alg, "argon2id");
        assert_eq!((spec.m, spec.t, spec.p), (65536, 3, 1));
        assert_eq!(KdfParams::from_spec(&spec).ok(), Some(KdfParams::DEFAULT));
        let scrypt = KdfSpec {
            alg: "scrypt".to_string(),
            ..spec.clone()
        };
        assert!(matches!(
            KdfParams::from_spec(&scrypt),
            Err(CryptoError::BadKdf(_))
        ));
        let huge = KdfSpec {
            m: u32::MAX,
            ..spec.clone()
        };
        assert!(matches!(
            KdfParams::from_spec(&huge),
            Err(CryptoError::BadKdf(_))
        ));
        let zero_t = KdfSpec { t: 0, ..spec };
        assert!(matches!(
            KdfParams::from_spec(&zero_t),
            Err(CryptoError::BadKdf(_))
        ));
    }

    #[test]
    fn short_salt_refused() {
        let short = [7u8; 8];
        let enforced = channel_root("pw", &short, &KdfParams::FLOOR, KdfPolicy::EnforceFloor);
        assert!(matches!(enforced, Err(CryptoError::BadKdf(_))));
        let tiny = channel_root("pw", &[1, 2, 3], &WEAK, KdfPolicy::AllowWeakForTests);
        assert!(matches!(tiny, Err(CryptoError::BadKdf(_))));
    }

    #[test]
    fn kcv_detects_wrong_passphrase() {
        let right = derive_channel_keys("right", &SALT, &WEAK, KdfPolicy::AllowWeakForTests)
            .expect("derive");
        let wrong = derive_channel_keys("wrong", &SALT, &WEAK, KdfPolicy::AllowWeakForTests)
            .expect("derive");
        let kcv = right.kcv();
        assert!(right.check_kcv(&kcv));
        assert!(!wrong.check_kcv(&kcv));
        assert!(!right.check_kcv(&kcv[..15]));
        assert!(matches!(
            wrong.require_kcv(&kcv),
            Err(CryptoError::WrongKey)
        ));
        assert_eq!(decode_kcv(&right.kcv_b64()).ok(), Some(kcv));
        assert!(matches!(decode_kcv("AAAA"), Err(CryptoError::BadFormat(_))));
        assert!(matches!(
            decode_kcv("not base64!"),
            Err(CryptoError::BadFormat(_))
        ));
    }

    #[test]
    fn channel_keys_debug_is_redacted() {
        let keys = ChannelKeys::from_root(&Key32::from_bytes([9; 32]));
        let shown = format!("{keys:?}");
        assert!(shown.contains("<redacted>"));
        assert!(!shown.contains(&hex(keys.message.as_bytes())[..8]));
    }

    #[test]
    fn random_salts_differ() {
        assert_ne!(random_salt(), random_salt());
    }

    /// RFC 9106 §5.3: Argon2id, version 0x13, with secret and associated data.
    #[test]
    fn rfc9106_argon2id_vector() {
        let params = argon2::ParamsBuilder::new()
            .m_cost(32)
            .t_cost(3)
            .p_cost(4)
            .data(argon2::AssociatedData::new(&[0x04; 12]).expect("12 bytes fit"))
            .output_len(32)
            .build()
            .expect("valid params");
        let argon =
            Argon2::new_with_secret(&[0x03; 8], Algorithm::Argon2id, Version::V0x13, params)
                .expect("valid secret");
        let mut tag = [0u8; 32];
        argon
            .hash_password_into(&[0x01; 32], &[0x02; 16], &mut tag)
            .expect("hash");
        assert_eq!(
            hex(&tag),
            "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"
        );
    }

    /// Official BLAKE3 test vectors (test_vectors/test_vectors.json of the BLAKE3 repository):
    /// the 32-byte keyed_hash and derive_key outputs, input bytes `i % 251`.
    #[test]
    fn blake3_official_keyed_hash_and_derive_key_vectors() {
        const KEY: &[u8; 32] = b"whats the Elvish word for friend";
        const CONTEXT: &str = "BLAKE3 2019-12-27 16:29:52 test vectors context";
        let cases = [
            (
                0,
                "92b2b75604ed3c761f9d6f62392c8a9227ad0ea3f09573e783f1498a4ed60d26",
                "2cc39783c223154fea8dfb7c1b1660f2ac2dcbd1c1de8277b0b0dd39b7e50d7d",
            ),
            (
                1,
                "6d7878dfff2f485635d39013278ae14f1454b8c0a3a2d34bc1ab38228a80c95b",
                "b3e2e340a117a499c6cf2398a19ee0d29cca2bb7404c73063382693bf66cb06c",
            ),
            (
                1023,
                "c951ecdf03288d0fcc96ee3413563d8a6d3589547f2c2fb36d9786470f1b9d6e",
                "74a16c1c3d44368a86e1ca6df64be6a2f64cce8f09220787450722d85725dea5",
            ),
            (
                1024,
                "75c46f6f3d9eb4f55ecaaee480db732e6c2105546f1e675003687c31719c7ba4",
                "7356cd7720d5b66b6d0697eb3177d9f8d73a4a5c5e968896eb6a689684302706",
            ),
            (
                1025,
                "357dc55de0c7e382c900fd6e320acc04146be01db6a8ce7210b7189bd664ea69",
                "effaa245f065fbf82ac186839a249707c3bddf6d3fdda22d1b95a3c970379bcb",
            ),
            (
                3073,
                "68dede9bef00ba89e43f31a6825f4cf433389fedae75c04ee9f0cf16a427c95a",
                "72613c9ec9ff7e40f8f5c173784c532ad852e827dba2bf85b2ab4b76f7079081",
            ),
        ];
        for (length, keyed, derived) in cases {
            let input: Vec<u8> = (0..length).map(|i| (i % 251) as u8).collect();
            assert_eq!(
                hex(blake3::keyed_hash(KEY, &input).as_bytes()),
                keyed,
                "len {length}"
            );
            assert_eq!(
                hex(&blake3::derive_key(CONTEXT, &input)),
                derived,
                "len {length}"
            );
        }
    }
}
