//! Wire protocol v1: every frame type of `PROTOCOL.md` as serde types, the error codes, the
//! limits, and the name rules for users and channels. Pure data and validation, no I/O. The
//! frame types live in `client.rs` (client to server) and `server.rs` (server to client) and are
//! re-exported here, so every path is `chatify::proto::*`.
//! Used by the server (decode client frames, encode replies once per broadcast), the client
//! library (encode commands, decode events), the one-shot tools and the tests.

use serde::{Deserialize, Serialize};

mod client;
mod client_decode;
#[cfg(test)]
mod decode_tests;
pub mod governance;
mod server;

pub use crate::model::message::MessageEvent;
pub use client::{
    AuthFrame, ChannelFrame, ClientFrame, CreateChannel, DeleteFrame, DmDeleteFrame, DmEditFrame,
    DmFrame, DmReactFrame, EditFrame, HistoryFrame, JoinFrame, KdfSpec, MarkFrame, MsgFrame,
    PasswordFrame, ReactFrame, RevokeFrame, RewindFrame, SearchFrame, SearchSort, StatusFrame,
    TypingFrame, UsersFrame, VjoinFrame,
};
pub use server::{
    ChannelInfo, DeleteEvent, DmDeleteEvent, DmEditEvent, DmEvent, DmReactEvent, EditEvent,
    PresenceEntry, ReactEvent, ServerFrame, ServerInfo, SessionInfo, UserInfo,
};

pub use crate::model::limits::{
    CLIENT_MAX_INBOUND_FRAME, DEFAULT_MAX_FRAME, HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT,
    JOIN_HISTORY, KDF_MAX_M_KIB, KDF_MAX_P, KDF_MAX_T, MAX_RID_LEN, MAX_VOICE_PAYLOAD,
    MIN_PASSWORD_CHARS, PROTO_VERSION, SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT,
};
pub use crate::model::{ChannelName, NameError, Scope, UserName};

/// Added close code: the connection's session was ended elsewhere (`logout`, `revoke`, or a
/// `password` change). A client must not log in again by itself after it.
pub const CLOSE_SESSION_REVOKED: u16 = 4001;

/// Envelope format name used in `enc`.
pub const ENC_XC20P1: &str = "xc20p1";

/// Error codes of `PROTOCOL.md` (§Errors), serialized in snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadFrame,
    UnknownType,
    TooLarge,
    NotAuthenticated,
    AuthFailed,
    UserExists,
    RegistrationClosed,
    BadUsername,
    WeakPassword,
    BadChannel,
    NotMember,
    NoSuchMessage,
    NoSuchUser,
    Forbidden,
    MustEncrypt,
    RateLimited,
    Unavailable,
    Internal,
    /// Added: `revoke` of an id that names none of your sessions.
    NoSuchSession,
    /// Added: the account already has as many connections open as the server allows.
    TooManyConnections,
    /// Added (governance): the channel is invite-only and you were not invited.
    InviteOnly,
    /// Added (governance): you are banned from the channel.
    Banned,
    /// Added (governance): you are muted in the channel (or it is moderated and you are no operator).
    Muted,
    /// Added (governance): the account is disabled by a server admin.
    AccountDisabled,
    /// Added: an unknown code from a newer server, kept so clients never fail to decode.
    #[serde(other)]
    Other,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadFrame => "bad_frame",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::NotAuthenticated => "not_authenticated",
            ErrorCode::AuthFailed => "auth_failed",
            ErrorCode::UserExists => "user_exists",
            ErrorCode::RegistrationClosed => "registration_closed",
            ErrorCode::BadUsername => "bad_username",
            ErrorCode::WeakPassword => "weak_password",
            ErrorCode::BadChannel => "bad_channel",
            ErrorCode::NotMember => "not_member",
            ErrorCode::NoSuchMessage => "no_such_message",
            ErrorCode::NoSuchUser => "no_such_user",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::MustEncrypt => "must_encrypt",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
            ErrorCode::NoSuchSession => "no_such_session",
            ErrorCode::TooManyConnections => "too_many_connections",
            ErrorCode::InviteOnly => "invite_only",
            ErrorCode::Banned => "banned",
            ErrorCode::Muted => "muted",
            ErrorCode::AccountDisabled => "account_disabled",
            ErrorCode::Other => "other",
        }
    }
}

/// A channel's mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelMode {
    Open,
    Sealed,
}

impl ChannelMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelMode::Open => "open",
            ChannelMode::Sealed => "sealed",
        }
    }
}

/// Presence states of `status` / `presence`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PresenceState {
    Online,
    Away,
    Busy,
    Offline,
}

impl PresenceState {
    pub fn as_str(self) -> &'static str {
        match self {
            PresenceState::Online => "online",
            PresenceState::Away => "away",
            PresenceState::Busy => "busy",
            PresenceState::Offline => "offline",
        }
    }
}

/// Why a client frame was refused before dispatch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FrameError {
    pub code: ErrorCode,
    pub message: String,
    /// The frame's `rid`, when it could be read.
    pub rid: Option<String>,
}

impl FrameError {
    pub fn new(code: ErrorCode, message: impl Into<String>, rid: Option<String>) -> Self {
        FrameError {
            code,
            message: message.into(),
            rid,
        }
    }

    /// The `err` frame for this error.
    pub fn to_frame(&self) -> ServerFrame {
        ServerFrame::error(self.code, self.message.clone(), self.rid.clone())
    }
}

const CLIENT_TYPES: &[&str] = &[
    "auth",
    "join",
    "leave",
    "msg",
    "edit",
    "delete",
    "react",
    "dm",
    "dm_edit",
    "dm_delete",
    "dm_react",
    "history",
    "search",
    "rewind",
    "typing",
    "status",
    "vjoin",
    "vleave",
    "ping",
    "who",
    "logout",
    "sessions",
    "revoke",
    "password",
    "users",
    "mark",
    "markers",
    "info",
    "invite",
    "kick",
    "ban",
    "unban",
    "mute",
    "unmute",
    "op",
    "deop",
    "topic",
    "mode",
    "list",
    "admin",
];

/// Decodes one client text frame: JSON object, valid `rid`, known `t`, fields of the right types.
/// Returns the `rid` beside the frame so every reply can echo it.
pub fn decode_client_frame(text: &str) -> Result<(ClientFrame, Option<String>), FrameError> {
    match client_decode::decode_well_formed_client_frame(text) {
        Some(decoded) => Ok(decoded),
        None => decode_client_frame_explained(text),
    }
}

/// Whether a frame's `rid` is short enough to accept and echo (PROTOCOL.md: at most 64 characters).
fn rid_within_limit(rid: &str) -> bool {
    rid.chars().count() <= MAX_RID_LEN
}

/// [`decode_client_frame`] through a JSON tree, which tells each way a frame can be wrong.
fn decode_client_frame_explained(text: &str) -> Result<(ClientFrame, Option<String>), FrameError> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|_| FrameError::new(ErrorCode::BadFrame, "frame is not valid JSON", None))?;
    let serde_json::Value::Object(map) = &value else {
        return Err(FrameError::new(
            ErrorCode::BadFrame,
            "frame is not a JSON object",
            None,
        ));
    };
    let rid = match map.get("rid") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(rid)) if rid_within_limit(rid) => Some(rid.clone()),
        Some(_) => {
            return Err(FrameError::new(
                ErrorCode::BadFrame,
                "rid must be a string of at most 64 characters",
                None,
            ));
        }
    };
    let frame_type = match map.get("t") {
        Some(serde_json::Value::String(t)) => t.as_str(),
        _ => {
            return Err(FrameError::new(
                ErrorCode::BadFrame,
                "frame has no string field t",
                rid,
            ));
        }
    };
    if !CLIENT_TYPES.contains(&frame_type) {
        let message = format!("unknown frame type {:?}", truncate_for_message(frame_type));
        return Err(FrameError::new(ErrorCode::UnknownType, message, rid));
    }
    let frame = serde_json::from_value::<ClientFrame>(value).map_err(|error| {
        FrameError::new(
            ErrorCode::BadFrame,
            describe_serde_error(&error),
            rid.clone(),
        )
    })?;
    Ok((frame, rid))
}

/// Decodes one server text frame (client side). Unknown frame types are an error the caller may ignore.
pub fn decode_server_frame(text: &str) -> Result<ServerFrame, serde_json::Error> {
    serde_json::from_str(text)
}

/// Encodes a client frame with an optional `rid`.
pub fn encode_client_frame(frame: &ClientFrame, rid: Option<&str>) -> String {
    let mut value = serde_json::to_value(frame).unwrap_or(serde_json::Value::Null);
    if let (Some(rid), serde_json::Value::Object(map)) = (rid, &mut value) {
        map.insert(
            "rid".to_string(),
            serde_json::Value::String(rid.to_string()),
        );
    }
    value.to_string()
}

/// Checks a username: 1–32 of `[A-Za-z0-9_-]` ([`UserName::parse`] with a `bad_username` error).
pub fn validate_username(name: &str) -> Result<(), FrameError> {
    UserName::parse(name).map(drop).map_err(FrameError::from)
}

/// Checks a relayed author (`msg`/`edit`/`delete` `as`, added): `name@network`, where `name` is
/// 1 to 32 characters (at most 96 bytes) without whitespace, control characters or `@`, and
/// `network` is 1 to 16 of `a-z`, `0-9` and `-`. It can never equal an account name, which has
/// no `@`.
pub fn validate_relayed_author(value: &str) -> Result<(), FrameError> {
    let valid_name = |name: &str| {
        let count = name.chars().count();
        (1..=32).contains(&count)
            && name.len() <= 96
            && !name
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '@')
    };
    let valid_network = |network: &str| {
        (1..=16).contains(&network.len())
            && network
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    match value.rsplit_once('@') {
        Some((name, network)) if valid_name(name) && valid_network(network) => Ok(()),
        _ => Err(FrameError::new(
            ErrorCode::BadFrame,
            "as must be name@network: a name of 1 to 32 characters without spaces or @, and a network of a-z, 0-9 and -",
            None,
        )),
    }
}

/// Canonical channel name: strips one leading `#`, lowercases, checks `[a-z0-9_-]{1,32}`
/// ([`ChannelName::parse`] with a `bad_channel` error).
pub fn normalize_channel(name: &str) -> Result<String, FrameError> {
    ChannelName::parse(name)
        .map(String::from)
        .map_err(FrameError::from)
}

/// The storage scope of a DM between two users: `@a:b` with both names lowercased and sorted
/// ([`Scope::dm`] for typed names). Text that is no username gets `@a:b` as given (in the
/// order given), which names no stored scope.
pub fn dm_scope(user_a: &str, user_b: &str) -> String {
    match (UserName::parse(user_a), UserName::parse(user_b)) {
        (Ok(a), Ok(b)) => Scope::dm(&a, &b).to_string(),
        _ => format!("@{user_a}:{user_b}"),
    }
}

/// The storage scope of a channel: `#name`.
pub fn channel_scope(channel: &str) -> String {
    format!("#{channel}")
}

impl From<NameError> for FrameError {
    fn from(error: NameError) -> FrameError {
        let code = match error {
            NameError::User => ErrorCode::BadUsername,
            NameError::Channel | NameError::Scope => ErrorCode::BadChannel,
        };
        FrameError::new(code, error.to_string(), None)
    }
}

pub(crate) use crate::model::message::is_false;

fn truncate_for_message(text: &str) -> String {
    text.chars().take(32).collect()
}

fn describe_serde_error(error: &serde_json::Error) -> String {
    // serde's messages name the field and expected type; strip the position suffix.
    let text = error.to_string();
    let text = match text.find(" at line ") {
        Some(cut) => &text[..cut],
        None => text.as_str(),
    };
    // They also quote the offending value ("invalid type: string \"…\", expected i64"), which
    // is client-sized: keep its start and the "expected …" part, so `m` stays one short sentence.
    match text.rfind(", expected ") {
        Some(cut) => format!(
            "{}{}",
            shorten(&text[..cut], MAX_ECHOED_CHARS),
            shorten(&text[cut..], MAX_ECHOED_CHARS)
        ),
        None => shorten(text, MAX_ECHOED_CHARS),
    }
}

/// Most characters of each part of a serde message echoed in an `err`.
const MAX_ECHOED_CHARS: usize = 96;

fn shorten(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// A password or session token inside a frame: serialized as the plain string, never printed by
/// `Debug`, and wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(secret: impl Into<String>) -> Self {
        SecretString(secret.into())
    }

    /// The secret itself, for the one place that needs it (hashing, comparing, saving 0600).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Takes the secret out; the caller becomes responsible for not leaking it.
    pub fn into_inner(mut self) -> String {
        std::mem::take(&mut self.0)
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("<redacted>")
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}
