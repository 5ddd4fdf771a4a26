//! Client-to-server frame types of PROTOCOL.md: [`ClientFrame`] and the small types it carries
//! (`join.create`, KDF parameters, search sort). Decoded by the server through
//! [`super::decode_client_frame`]; built by the client library and the one-shot tools.

use serde::{Deserialize, Deserializer, Serialize};

use super::{ChannelMode, PresenceState, SecretString, is_false};

/// KDF parameters of a sealed channel, as carried in `create.kdf` / `joined.kdf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfSpec {
    pub alg: String,
    pub m: u32,
    pub t: u32,
    pub p: u32,
}

/// `join.create`: how to create the channel if it does not exist yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateChannel {
    pub mode: ChannelMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdf: Option<KdfSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kcv: Option<String>,
}

/// `search.sort` (added to v1): `newest` (the default, as PROTOCOL.md §5 orders `search`) or
/// `rank` (bm25 best match first, ties newest first; open channels only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SearchSort {
    Rank,
    #[default]
    Newest,
}

/// Every frame a client may send. `rid` is read separately by [`decode_client_frame`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "lowercase")]
pub enum ClientFrame {
    Auth {
        u: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pw: Option<SecretString>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pk: Option<String>,
        #[serde(default, skip_serializing_if = "is_false")]
        register: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<SecretString>,
    },
    Join {
        ch: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        create: Option<CreateChannel>,
    },
    Leave {
        ch: String,
    },
    Msg {
        ch: String,
        c: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        enc: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        idx: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<i64>,
    },
    Edit {
        ch: String,
        id: i64,
        c: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        enc: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        idx: Option<Vec<String>>,
    },
    Delete {
        ch: String,
        id: i64,
    },
    React {
        ch: String,
        id: i64,
        emoji: String,
        on: bool,
    },
    Dm {
        to: String,
        c: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        enc: Option<String>,
    },
    History {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ch: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dm: Option<String>,
        #[serde(
            default,
            deserialize_with = "deserialize_limit",
            skip_serializing_if = "Option::is_none"
        )]
        limit: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<i64>,
        /// Added: only events by this user (case-insensitive).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
    },
    Search {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ch: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        q: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        idx: Option<Vec<String>>,
        #[serde(
            default,
            deserialize_with = "deserialize_limit",
            skip_serializing_if = "Option::is_none"
        )]
        limit: Option<u32>,
        /// Added: `rank` (default) or `newest`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sort: Option<SearchSort>,
        /// Added: time window and author filters, as in `history`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
    },
    Rewind {
        ch: String,
        at: i64,
        #[serde(
            default,
            deserialize_with = "deserialize_limit",
            skip_serializing_if = "Option::is_none"
        )]
        limit: Option<u32>,
    },
    Typing {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ch: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        on: bool,
    },
    Status {
        state: PresenceState,
        #[serde(default)]
        text: String,
    },
    Vjoin {
        room: String,
    },
    Vleave {},
    Ping {},
    /// Added: list a channel's members with their presence.
    Who {
        ch: String,
    },
}

/// Reads a `limit`: any non-negative integer, saturated to `u32::MAX` (the handlers then clamp
/// it to the maximum page size, PROTOCOL.md §5), so a huge value is clamped rather than refused.
fn deserialize_limit<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    let limit = Option::<u64>::deserialize(deserializer)?;
    Ok(limit.map(|value| u32::try_from(value).unwrap_or(u32::MAX)))
}
