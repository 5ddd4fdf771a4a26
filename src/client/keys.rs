//! The client's key ring: the identity key (`<config dir>/identity.key`, or `$CHATIFY_KEY_FILE`,
//! created on first connect), sealed-channel keys (derived from the passphrase with Argon2id,
//! checked against the channel's `kcv`, cached 0600 per server and channel so later runs and the
//! one-shot tools need neither the passphrase nor Argon2 again), DM keys (X25519 with the peer's
//! announced key), fingerprints, and trust on first use of peers' keys (`/trust`).
//! Also the encrypt/decrypt helpers for channel messages, edits and DMs (PROTOCOL.md §10).
//! Used by `client::app`, the one-shot tools and the bridge. No terminal, no network.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::crypto::{
    self, ChannelKeys, CryptoError, Identity, KdfParams, KdfPolicy, Key32, TrustCheck, TrustStore,
};
use crate::proto::{self, ChannelInfo, ChannelMode, CreateChannel, DmEvent, KdfSpec};

/// File name of the identity key in the config dir (the same file `chatify keygen` writes).
pub const IDENTITY_FILE_NAME: &str = "identity.key";
/// Directory of the trust stores (pinned peer keys) in the config dir: one file per server, so
/// `bob` on one server is never mistaken for (or warned about as) `bob` on another.
pub const TRUST_DIR: &str = "trusted-keys";
/// Directory of cached channel keys in the config dir.
pub const CHANNEL_KEY_DIR: &str = "channel-keys";
/// The trust store of one server: `<config dir>/trusted-keys/<digest of the server URL>.json`.
pub fn trust_file(config_dir: &Path, server: &str) -> PathBuf {
    let server = server.trim_end_matches('/');
    let digest = blake3::derive_key("chatify 2026-11 trust store name v1", server.as_bytes());
    let name: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    config_dir.join(TRUST_DIR).join(format!("{name}.json"))
}

/// TEST ONLY: in a build with the `test-weak-kdf` cargo feature, when this environment variable
/// is `1`, new sealed channels are created with tiny Argon2 parameters and weak parameters are
/// accepted when joining. A build without the feature (every release build) never reads it.
/// It makes passphrases cheap to brute-force; it exists so integration tests run in seconds.
pub const WEAK_KDF_TEST_ENV: &str = "CHATIFY_TEST_WEAK_KDF";

/// Errors of the key ring that callers (and users) can act on.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("wrong passphrase for #{channel}")]
    WrongPassphrase { channel: String },
    #[error("no key for #{channel}: /join #{channel} and enter its passphrase")]
    NoChannelKey { channel: String },
    #[error(
        "#{channel} is missing its salt, kdf or kcv; the server sent an incomplete sealed channel"
    )]
    IncompleteChannel { channel: String },
    #[error("no public key known for {user} (you need to share a channel with them)")]
    NoPeerKey { user: String },
    #[error("{user}'s key changed (pinned {pinned}, now {announced}); check it and /trust {user}")]
    UntrustedKey {
        user: String,
        pinned: String,
        announced: String,
    },
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The key is not at hand for a reason the caller already put into words (no passphrase
    /// given, no identity key file).
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Storage(String),
}

/// What learning a peer's announced key meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerKeyStatus {
    /// First time we see this user's key: pinned now.
    Pinned { fingerprint: String },
    /// Same as the pinned key.
    Known,
    /// Differs from the pinned key: DMs with this user are refused until `/trust user`.
    Changed { pinned: String, announced: String },
}

/// The identity key file: `$CHATIFY_KEY_FILE` when set, else `<config dir>/identity.key`.
pub fn identity_file(config_dir: &Path) -> PathBuf {
    match std::env::var_os("CHATIFY_KEY_FILE").filter(|value| !value.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => config_dir.join(IDENTITY_FILE_NAME),
    }
}

/// Whether the test-only weak-KDF override is on (see [`WEAK_KDF_TEST_ENV`]).
#[cfg(feature = "test-weak-kdf")]
pub fn weak_kdf_for_tests_from_env() -> bool {
    std::env::var(WEAK_KDF_TEST_ENV).is_ok_and(|value| value == "1")
}

/// Whether the test-only weak-KDF override is on: never, in a build without the
/// `test-weak-kdf` feature (the environment is not even read).
#[cfg(not(feature = "test-weak-kdf"))]
pub fn weak_kdf_for_tests_from_env() -> bool {
    false
}

/// Derives a sealed channel's root key from its passphrase and the server's `salt`/`kdf`/`kcv`,
/// refusing weak parameters (unless `policy` allows them) and a wrong passphrase. This runs
/// Argon2id (about a second): call it off the async runtime.
pub fn derive_channel_root(
    channel: &str,
    passphrase: &str,
    salt_b64: &str,
    kdf: &KdfSpec,
    kcv_b64: &str,
    policy: KdfPolicy,
) -> Result<Key32, KeyError> {
    let salt = decode_b64(salt_b64, "salt")?;
    let kcv = crypto::decode_kcv(kcv_b64)?;
    let params = KdfParams::from_spec(kdf)?;
    let root = crypto::channel_root(passphrase, &salt, &params, policy)?;
    if !ChannelKeys::from_root(&root).check_kcv(&kcv) {
        return Err(KeyError::WrongPassphrase {
            channel: channel.to_string(),
        });
    }
    Ok(root)
}

/// Makes the `create` block of a new sealed channel and its root key: a random salt, the
/// default KDF parameters (tiny ones under the test-only override) and the key check value.
pub fn new_sealed_channel(
    passphrase: &str,
    weak_for_tests: bool,
) -> Result<(CreateChannel, Key32), KeyError> {
    let (params, policy) = if weak_for_tests {
        (
            KdfParams {
                m_kib: 64,
                t: 1,
                p: 1,
            },
            KdfPolicy::AllowWeakForTests,
        )
    } else {
        (KdfParams::DEFAULT, KdfPolicy::EnforceFloor)
    };
    let salt = crypto::random_salt();
    let root = crypto::channel_root(passphrase, &salt, &params, policy)?;
    let create = CreateChannel {
        mode: ChannelMode::Sealed,
        salt: Some(STANDARD.encode(salt)),
        kdf: Some(params.to_spec()),
        kcv: Some(ChannelKeys::from_root(&root).kcv_b64()),
    };
    Ok((create, root))
}

/// Identity, channel keys, DM keys and pins for one user on one server.
pub struct KeyRing {
    config_dir: PathBuf,
    server: String,
    me: String,
    identity: Identity,
    channels: HashMap<String, ChannelKeys>,
    announced: HashMap<String, [u8; 32]>,
    dm_keys: HashMap<String, Key32>,
    trust: TrustStore,
    policy: KdfPolicy,
}

#[derive(Serialize, Deserialize)]
struct CachedChannelKey {
    server: String,
    channel: String,
    salt: String,
    kcv: String,
    root: String,
}

impl KeyRing {
    /// Opens the key ring: loads the identity key (creating it when absent; the flag says so)
    /// and the trust store. `weak_kdf_for_tests` is the test-only override.
    pub fn open(
        config_dir: &Path,
        server: &str,
        me: &str,
        weak_kdf_for_tests: bool,
    ) -> Result<(KeyRing, bool), KeyError> {
        let (identity, created) = Identity::load_or_generate(&identity_file(config_dir))?;
        let trust = TrustStore::load(&trust_file(config_dir, server))?;
        let policy = if weak_kdf_for_tests {
            KdfPolicy::AllowWeakForTests
        } else {
            KdfPolicy::EnforceFloor
        };
        let ring = KeyRing {
            config_dir: config_dir.to_path_buf(),
            server: server.trim_end_matches('/').to_string(),
            me: me.to_string(),
            identity,
            channels: HashMap::new(),
            announced: HashMap::new(),
            dm_keys: HashMap::new(),
            trust,
            policy,
        };
        Ok((ring, created))
    }

    /// The KDF policy for joining channels (the floor, unless the test override is on).
    pub fn kdf_policy(&self) -> KdfPolicy {
        self.policy
    }

    /// Whether new channels are made with the test-only weak parameters.
    pub fn weak_kdf_for_tests(&self) -> bool {
        self.policy == KdfPolicy::AllowWeakForTests
    }

    /// Our public key, base64, for `auth.pk`.
    pub fn public_key_b64(&self) -> String {
        self.identity.public_b64()
    }

    /// Our fingerprint.
    pub fn my_fingerprint(&self) -> String {
        self.identity.fingerprint()
    }

    /// Sets our username as the server spells it (AAD uses it lowercased anyway).
    pub fn set_me(&mut self, me: &str) {
        self.me = me.to_string();
    }

    /// Whether we hold the key of a sealed channel.
    pub fn has_channel_key(&self, channel: &str) -> bool {
        self.channels.contains_key(channel)
    }

    /// Installs a verified channel root key and caches it on disk (0600).
    pub fn install_channel_root(
        &mut self,
        channel: &str,
        salt_b64: &str,
        kcv_b64: &str,
        root: &Key32,
    ) -> Result<(), KeyError> {
        self.channels
            .insert(channel.to_string(), ChannelKeys::from_root(root));
        let cached = CachedChannelKey {
            server: self.server.clone(),
            channel: channel.to_string(),
            salt: salt_b64.to_string(),
            kcv: kcv_b64.to_string(),
            root: STANDARD.encode(root.as_bytes()),
        };
        let text = Zeroizing::new(
            serde_json::to_string(&cached).map_err(|e| KeyError::Storage(e.to_string()))?,
        );
        let path = self.channel_cache_path(channel);
        if let Some(dir) = path.parent() {
            crate::paths::create_private_dir(dir)
                .map_err(|e| KeyError::Storage(format!("{e:#}")))?;
        }
        crate::paths::write_private_file(&path, text.as_bytes())
            .map_err(|e| KeyError::Storage(format!("caching the key of #{channel}: {e:#}")))
    }

    /// Loads the cached key of a sealed channel when it matches the channel's current salt and
    /// kcv (a re-created channel invalidates the cache). Returns whether a key is now held.
    pub fn load_cached_channel_key(
        &mut self,
        channel: &str,
        salt_b64: &str,
        kcv_b64: &str,
    ) -> bool {
        if self.channels.contains_key(channel) {
            return true;
        }
        let Some(root) = self.read_cached_root(channel, salt_b64, kcv_b64) else {
            return false;
        };
        let keys = ChannelKeys::from_root(&root);
        let matches = crypto::decode_kcv(kcv_b64).is_ok_and(|kcv| keys.check_kcv(&kcv));
        if matches {
            self.channels.insert(channel.to_string(), keys);
        }
        matches
    }

    /// Loads the cached keys of every sealed channel in `channels` (e.g. `ok.channels`);
    /// returns the names of the sealed channels that stay locked (no usable cached key).
    pub fn unlock_cached(&mut self, channels: &[ChannelInfo]) -> Vec<String> {
        let mut locked = Vec::new();
        for info in channels
            .iter()
            .filter(|info| info.mode == ChannelMode::Sealed)
        {
            let unlocked = match (&info.salt, &info.kcv) {
                (Some(salt), Some(kcv)) => self.load_cached_channel_key(&info.ch, salt, kcv),
                _ => false,
            };
            if !unlocked {
                locked.push(info.ch.clone());
            }
        }
        locked
    }

    /// Forgets a channel's key (in memory and on disk), e.g. after a wrong cached key.
    pub fn forget_channel_key(&mut self, channel: &str) {
        self.channels.remove(channel);
        let _ = std::fs::remove_file(self.channel_cache_path(channel));
    }

    /// Encrypts a channel message (`kind` is `msg` or `edit:<id>`); returns `c` and the blind
    /// tokens for `idx`.
    pub fn seal_channel(
        &self,
        channel: &str,
        kind: &str,
        text: &str,
    ) -> Result<(String, Vec<String>), KeyError> {
        self.seal_channel_as(channel, &self.me, kind, text)
    }

    /// [`KeyRing::seal_channel`] for a message whose `u` will be `sender` (a bridge relaying
    /// with `as`: the envelope is bound to the author the readers will see).
    pub fn seal_channel_as(
        &self,
        channel: &str,
        sender: &str,
        kind: &str,
        text: &str,
    ) -> Result<(String, Vec<String>), KeyError> {
        let keys = self.channel_keys(channel)?;
        let envelope = crypto::seal(
            &keys.message,
            &proto::channel_scope(channel),
            sender,
            kind,
            text,
        );
        Ok((envelope, crypto::blind_tokens(&keys.search, text)))
    }

    /// Decrypts a channel message or edit sent by `sender`.
    pub fn open_channel(
        &self,
        channel: &str,
        sender: &str,
        kind: &str,
        envelope: &str,
    ) -> Result<String, KeyError> {
        let keys = self.channel_keys(channel)?;
        Ok(crypto::open(
            &keys.message,
            &proto::channel_scope(channel),
            sender,
            kind,
            envelope,
        )?)
    }

    /// A copy of the keys held for sealed channel `channel` (for the read path's opener).
    pub fn channel_keys_copy(&self, channel: &str) -> Option<ChannelKeys> {
        self.channels.get(channel).cloned()
    }

    /// Blind tokens of search words for a sealed channel.
    pub fn search_tokens(&self, channel: &str, words: &str) -> Result<Vec<String>, KeyError> {
        Ok(crypto::blind_tokens(
            &self.channel_keys(channel)?.search,
            words,
        ))
    }

    /// Records a peer's announced key (`ok.users[].pk`, `key` frames) and checks it against the
    /// pin (pinning it on first use).
    pub fn learn_peer_key(&mut self, user: &str, pk_b64: &str) -> Result<PeerKeyStatus, KeyError> {
        let public = crypto::decode_public_key(pk_b64)?;
        let lower = user.to_ascii_lowercase();
        if self.announced.get(&lower) != Some(&public) {
            self.dm_keys.remove(&lower);
        }
        self.announced.insert(lower, public);
        match self.trust.check(user, &public) {
            TrustCheck::FirstUse => {
                self.save_trust()?;
                Ok(PeerKeyStatus::Pinned {
                    fingerprint: crypto::fingerprint(&public),
                })
            }
            TrustCheck::Match => Ok(PeerKeyStatus::Known),
            TrustCheck::Changed {
                pinned_fingerprint,
                new_fingerprint,
            } => Ok(PeerKeyStatus::Changed {
                pinned: pinned_fingerprint,
                announced: new_fingerprint,
            }),
        }
    }

    /// Pins the key `user` currently announces (after the user compared fingerprints).
    pub fn trust_peer(&mut self, user: &str) -> Result<String, KeyError> {
        let lower = user.to_ascii_lowercase();
        let public = *self
            .announced
            .get(&lower)
            .ok_or_else(|| KeyError::NoPeerKey {
                user: user.to_string(),
            })?;
        self.trust.trust(user, &public);
        self.dm_keys.remove(&lower);
        self.save_trust()?;
        Ok(crypto::fingerprint(&public))
    }

    /// The fingerprint of the key `user` announces, and whether it is the pinned one.
    pub fn peer_fingerprint(&self, user: &str) -> Option<(String, bool)> {
        let public = self.announced.get(&user.to_ascii_lowercase())?;
        let trusted = self.trust.pinned(user).as_ref() == Some(public);
        Some((crypto::fingerprint(public), trusted))
    }

    /// Encrypts a DM to `peer`.
    pub fn seal_dm(&mut self, peer: &str, text: &str) -> Result<String, KeyError> {
        self.seal_dm_as(peer, "dm", text)
    }

    /// Encrypts a DM text to `peer` as `kind` (`dm`, or `edit:<id>` for the new text of DM
    /// `id`): the kind is bound into the envelope, so an edit cannot be replayed as a DM.
    pub fn seal_dm_as(&mut self, peer: &str, kind: &str, text: &str) -> Result<String, KeyError> {
        let key = self.dm_key(peer)?;
        Ok(crypto::seal(
            &key,
            &proto::dm_scope(&self.me, peer),
            &self.me,
            kind,
            text,
        ))
    }

    /// Decrypts a DM (sent by us or to us); a folded DM that was edited carries its latest
    /// edit's envelope, sealed as `edit:<id>`.
    pub fn open_dm(&mut self, dm: &DmEvent) -> Result<String, KeyError> {
        let kind = if dm.edited.is_some() {
            format!("edit:{}", dm.id)
        } else {
            "dm".to_string()
        };
        self.open_dm_text(&dm.from, &dm.to, &kind, &dm.c)
    }

    /// Decrypts one DM text from `from` to `to` sealed as `kind`.
    pub fn open_dm_text(
        &mut self,
        from: &str,
        to: &str,
        kind: &str,
        c: &str,
    ) -> Result<String, KeyError> {
        let peer = if from.eq_ignore_ascii_case(&self.me) {
            to
        } else {
            from
        };
        let key = self.dm_key(peer)?;
        Ok(crypto::open(
            &key,
            &proto::dm_scope(from, to),
            from,
            kind,
            c,
        )?)
    }

    fn dm_key(&mut self, peer: &str) -> Result<Key32, KeyError> {
        let lower = peer.to_ascii_lowercase();
        if let Some(key) = self.dm_keys.get(&lower) {
            return Ok(key.clone());
        }
        let public = *self
            .announced
            .get(&lower)
            .ok_or_else(|| KeyError::NoPeerKey {
                user: peer.to_string(),
            })?;
        if let Some(pinned) = self.trust.pinned(peer).filter(|pinned| *pinned != public) {
            return Err(KeyError::UntrustedKey {
                user: peer.to_string(),
                pinned: crypto::fingerprint(&pinned),
                announced: crypto::fingerprint(&public),
            });
        }
        let key = self.identity.dm_key(&public)?;
        self.dm_keys.insert(lower, key.clone());
        Ok(key)
    }

    fn channel_keys(&self, channel: &str) -> Result<&ChannelKeys, KeyError> {
        self.channels
            .get(channel)
            .ok_or_else(|| KeyError::NoChannelKey {
                channel: channel.to_string(),
            })
    }

    fn save_trust(&self) -> Result<(), KeyError> {
        if let Some(dir) = self.trust.path().parent() {
            crate::paths::create_private_dir(dir)
                .map_err(|error| KeyError::Storage(format!("{error:#}")))?;
        }
        Ok(self.trust.save()?)
    }

    fn channel_cache_path(&self, channel: &str) -> PathBuf {
        let key = format!("{}\n{}", self.server, channel);
        let digest =
            blake3::derive_key("chatify 2026-11 channel key cache name v1", key.as_bytes());
        let name: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        self.config_dir
            .join(CHANNEL_KEY_DIR)
            .join(format!("{name}.json"))
    }

    fn read_cached_root(&self, channel: &str, salt_b64: &str, kcv_b64: &str) -> Option<Key32> {
        let text = Zeroizing::new(std::fs::read_to_string(self.channel_cache_path(channel)).ok()?);
        let cached: CachedChannelKey = serde_json::from_str(&text).ok()?;
        let root_b64 = Zeroizing::new(cached.root);
        let fits = cached.server == self.server
            && cached.channel == channel
            && cached.salt == salt_b64
            && cached.kcv == kcv_b64;
        if !fits {
            return None;
        }
        let bytes = Zeroizing::new(STANDARD.decode(root_b64.as_bytes()).ok()?);
        let root: [u8; 32] = bytes.as_slice().try_into().ok()?;
        Some(Key32::from_bytes(root))
    }
}

fn decode_b64(text: &str, what: &str) -> Result<Vec<u8>, KeyError> {
    STANDARD.decode(text.trim()).map_err(|_| {
        KeyError::Crypto(CryptoError::BadFormat(format!(
            "{what} is not valid base64"
        )))
    })
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
