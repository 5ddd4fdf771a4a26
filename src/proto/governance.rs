//! Governance frames added to protocol v1 (docs/PROTOCOL.md §11): the moderation requests
//! (`invite`, `kick`, `ban`, `unban`, `mute`, `unmute`, `op`, `deop`, `topic`, `mode`), channel
//! discovery (`list`), the live admin request (`admin`), and what the server sends back: the
//! `sys` part of a system line (a moderation event shown in history), the `list` page, the `admin`
//! reply and the `invited` notice. One struct per frame; pure data, no I/O.

use serde::{Deserialize, Serialize};

use super::ChannelMode;

pub use crate::model::governance::{ChannelSettings, ModAction, SysEvent, describe_settings};
pub use crate::model::limits::{
    LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT, MAX_MUTE_SECS, MAX_REASON_BYTES, MAX_TOPIC_BYTES,
};

/// `invite`, `kick`, `ban`, `unban`, `unmute`, `op`, `deop`: an action on one account in a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModTargetFrame {
    pub ch: String,
    pub u: String,
    /// Shown in the system line (kick and ban); at most [`MAX_REASON_BYTES`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `mute`: `u` may not speak in `ch` for `secs` seconds (a timeout).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MuteFrame {
    pub ch: String,
    pub u: String,
    pub secs: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `topic`: sets the channel topic (empty clears it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicFrame {
    pub ch: String,
    pub topic: String,
}

/// `mode`: changes a channel's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeFrame {
    pub ch: String,
    #[serde(flatten)]
    pub settings: ChannelSettings,
}

/// `list`: one page of the listed channels, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListFrame {
    /// Channels named after this one (the last `ch` of the previous page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// What a server admin may do to an account through a live session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminAction {
    /// Disable the account: its sessions are revoked and its connections closed at once.
    Disable,
    /// Enable a disabled account.
    Enable,
    /// Close every connection of the account (it may log in again).
    Disconnect,
    /// Revoke every saved session of the account and close its connections.
    RevokeSessions,
}

impl AdminAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AdminAction::Disable => "disable",
            AdminAction::Enable => "enable",
            AdminAction::Disconnect => "disconnect",
            AdminAction::RevokeSessions => "revoke_sessions",
        }
    }
}

/// `admin` (client → server): a server admin's action on an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminFrame {
    pub action: AdminAction,
    pub u: String,
}

/// One entry of a `list` page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedChannel {
    pub ch: String,
    pub mode: ChannelMode,
    #[serde(default)]
    pub topic: String,
    pub members: u32,
}

/// `list` (server → client): a page of listed channels, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPage {
    pub channels: Vec<ListedChannel>,
    /// More listed channels follow the last one.
    pub more: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rid: Option<String>,
}

/// `admin` (server → client): what an admin action did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminReply {
    pub action: AdminAction,
    pub u: String,
    /// Connections closed.
    pub closed: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rid: Option<String>,
}

/// `invited` (server → client): someone invited you into a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitedNotice {
    pub ch: String,
    pub by: String,
    pub mode: ChannelMode,
    pub ts: i64,
}

/// A member's role in a channel, as shown in `who`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelRole {
    Member,
    Op,
    Owner,
}

impl ChannelRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelRole::Member => "member",
            ChannelRole::Op => "op",
            ChannelRole::Owner => "owner",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_requests_flatten_their_settings() {
        let request: ModeFrame =
            serde_json::from_str(r#"{"ch":"ops","invite_only":true,"retention":3600}"#)
                .expect("decodes");
        assert_eq!(request.settings.invite_only, Some(true));
        assert_eq!(request.settings.retention, Some(3600));
        assert_eq!(request.settings.listed, None);
    }
}
