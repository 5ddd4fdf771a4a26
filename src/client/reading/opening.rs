//! Opening what the read path returns, for either source: how one channel's messages are read
//! ([`ChannelReading`]: open, or sealed with its keys or the reason there are none) and one DM
//! conversation's ([`DmReading`]: through the key ring, or with the DM key computed from an
//! identity file for `--db --as`). The decision itself (sealed means sealed; what does not open
//! is rejected loudly) is `client::events::decrypt`'s, as for live frames. No terminal, no prompts:
//! passphrases and key files are the caller's.

use std::path::Path;

use super::SearchTerms;
use crate::client::events;
use crate::client::keys::{self, KeyError, KeyRing};
use crate::client::render::Body;
use crate::crypto::{self, ChannelKeys, CryptoError, Identity, KdfPolicy, Key32};
use crate::proto::{self, DmEvent, KdfSpec, MessageEvent, SearchSort};

/// How the messages of one channel are read.
#[derive(Debug)]
pub enum ChannelReading {
    Open,
    Sealed {
        channel: String,
        /// The channel's keys, or why they are not at hand (said to the user per message).
        keys: Result<ChannelKeys, String>,
    },
}

/// Why a search cannot be asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchRefused {
    /// A sealed channel whose keys are not at hand.
    #[error("no key for #{channel}")]
    NoChannelKey { channel: String },
    /// A sealed channel's search needs whole words of 2 or more letters or digits.
    #[error("the query has no searchable words")]
    NoSearchableWords,
}

impl ChannelReading {
    pub fn is_sealed(&self) -> bool {
        matches!(self, ChannelReading::Sealed { .. })
    }

    /// The readable body of a folded message of this channel.
    pub fn body(&self, event: &MessageEvent) -> Body {
        match self {
            ChannelReading::Open => events::channel_body(event, false, &|_, _, _| {
                Err(KeyError::Unavailable(
                    "an encrypted message in an open channel".to_string(),
                ))
            }),
            ChannelReading::Sealed { channel, keys } => {
                let scope = proto::channel_scope(channel);
                let open = |sender: &str, kind: &str, c: &str| match keys {
                    Ok(keys) => Ok(crypto::open(&keys.message, &scope, sender, kind, c)?),
                    Err(reason) => Err(KeyError::Unavailable(reason.clone())),
                };
                events::channel_body(event, true, &open)
            }
        }
    }

    /// What a search for `text` asks: the words themselves in an open channel (in `sort`
    /// order), blind tokens made with the channel's search key in a sealed one.
    pub fn search_terms(&self, text: &str, sort: SearchSort) -> Result<SearchTerms, SearchRefused> {
        match self {
            ChannelReading::Open => Ok(SearchTerms::Words {
                q: text.to_string(),
                sort: Some(sort),
            }),
            ChannelReading::Sealed { channel, keys } => {
                let keys = keys.as_ref().map_err(|_| SearchRefused::NoChannelKey {
                    channel: channel.clone(),
                })?;
                let tokens = crypto::blind_tokens(&keys.search, text);
                if tokens.is_empty() {
                    return Err(SearchRefused::NoSearchableWords);
                }
                Ok(SearchTerms::BlindTokens(tokens))
            }
        }
    }
}

/// A sealed channel's keys from its passphrase and the channel's `salt`/`kdf`/`kcv` (weak KDF
/// parameters refused outside the test override; a wrong passphrase refused). Runs Argon2id.
pub fn derive_channel_keys(
    channel: &str,
    passphrase: &str,
    salt_b64: &str,
    kdf: &KdfSpec,
    kcv_b64: &str,
) -> Result<ChannelKeys, KeyError> {
    let policy = if keys::weak_kdf_for_tests_from_env() {
        KdfPolicy::AllowWeakForTests
    } else {
        KdfPolicy::EnforceFloor
    };
    let root = keys::derive_channel_root(channel, passphrase, salt_b64, kdf, kcv_b64, policy)?;
    Ok(ChannelKeys::from_root(&root))
}

/// How the DMs of one conversation are read.
pub enum DmReading<'a> {
    /// Through the key ring (pinned peer keys; the live source).
    Ring(&'a mut KeyRing),
    /// With this DM key, or why there is none (the `--db` source).
    Key(Result<Key32, String>),
}

impl DmReading<'_> {
    /// The readable body of a DM of this conversation.
    pub fn body(&mut self, event: &DmEvent) -> Body {
        match self {
            DmReading::Ring(ring) => events::decrypt_dm(ring, event),
            DmReading::Key(key) => events::dm_body(event, &mut |event| match key {
                Ok(key) => Ok(crypto::open(
                    key,
                    &proto::dm_scope(&event.from, &event.to),
                    &event.from,
                    "dm",
                    &event.c,
                )?),
                Err(reason) => Err(KeyError::Unavailable(reason.clone())),
            }),
        }
    }
}

/// One side of a DM conversation as the database records it: the name and the public key.
pub struct DmParty<'a> {
    pub name: &'a str,
    pub pk: Option<&'a str>,
}

/// Why a DM key cannot be had: a short reason for each message and a longer one, with what to
/// do, for a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmKeyUnavailable {
    pub short: String,
    pub long: String,
}

impl DmKeyUnavailable {
    fn same(reason: String) -> DmKeyUnavailable {
        DmKeyUnavailable {
            short: reason.clone(),
            long: reason,
        }
    }
}

/// The DM key of `me` with `peer` from `me`'s identity key file at `path`, or why it cannot be
/// had (no key file, a key that is not `me`'s, a peer without a public key). A key file that
/// exists but cannot be read is an error.
pub fn dm_key_from_identity_file(
    path: &Path,
    me: &DmParty<'_>,
    peer: &DmParty<'_>,
) -> Result<Result<Key32, DmKeyUnavailable>, CryptoError> {
    let identity = match Identity::load(path) {
        Ok(identity) => identity,
        Err(CryptoError::NoKeyFile { .. }) => {
            return Ok(Err(DmKeyUnavailable {
                short: format!("no identity key for {}", me.name),
                long: format!(
                    "no identity key for {} at {} (pass --key with {}'s key file)",
                    me.name,
                    path.display(),
                    me.name
                ),
            }));
        }
        Err(error) => return Err(error),
    };
    if me.pk != Some(identity.public_b64().as_str()) {
        return Ok(Err(DmKeyUnavailable {
            short: format!("not {}'s identity key", me.name),
            long: format!(
                "the identity key {} is not {}'s (its public key differs from the one {} \
                 registered)",
                path.display(),
                me.name,
                me.name
            ),
        }));
    }
    let Some(peer_pk) = peer.pk else {
        let reason = format!("{} has no public key on record", peer.name);
        return Ok(Err(DmKeyUnavailable::same(reason)));
    };
    let peer_public = crypto::decode_public_key(peer_pk)?;
    Ok(identity
        .dm_key(&peer_public)
        .map_err(|error| DmKeyUnavailable::same(error.to_string())))
}
