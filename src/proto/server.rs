//! Server-to-client frame types of PROTOCOL.md: [`ServerFrame`] and the events and records it
//! carries (`ok` users and channels, message/edit/delete/react/dm events). Encoded once per
//! broadcast by the server; decoded by the client library through [`super::decode_server_frame`].

use serde::{Deserialize, Serialize};

use super::governance::{AdminReply, ChannelRole, InvitedNotice, ListPage};
use super::{ChannelMode, ErrorCode, KdfSpec, MessageEvent, PresenceState, SecretString, is_false};
pub use crate::model::DmEvent;
use crate::model::fold::Change;

/// `ok.server`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    pub name: String,
    pub version: String,
    pub max_frame: usize,
}

/// One entry of `ok.users`, and of `who.members` (added).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub u: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pk: Option<String>,
    pub online: bool,
    pub state: PresenceState,
    #[serde(default)]
    pub text: String,
    /// Added, in `who` only: the member's role in the channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<ChannelRole>,
    /// Added, in `who` only: a server admin.
    #[serde(default, skip_serializing_if = "is_false")]
    pub admin: bool,
    /// Added, in `who` only: muted in the channel until this time (Unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted_until: Option<i64>,
}

/// One entry of `presences.users` (added): a user's presence, as a `presence` frame carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceEntry {
    pub u: String,
    pub state: PresenceState,
    #[serde(default)]
    pub text: String,
}

/// One entry of `sessions.sessions` (added): a session of yours, most recently used first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Names the session for `revoke`; not the token (it cannot log anyone in).
    pub id: String,
    /// When it was created (the password login), Unix ms.
    pub created: i64,
    /// When it was last used to log in (or created), Unix ms.
    pub last_used: i64,
    /// The session of the connection that asked.
    pub current: bool,
}

/// One entry of `ok.channels`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelInfo {
    pub ch: String,
    pub mode: ChannelMode,
    pub members: u32,
    pub seq: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdf: Option<KdfSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kcv: Option<String>,
}

/// The `edit` broadcast; `id` names the target message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditEvent {
    pub ch: String,
    pub id: i64,
    pub seq: i64,
    pub u: String,
    pub c: String,
    pub ts: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enc: Option<String>,
}

/// The `delete` broadcast; `id` names the target message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteEvent {
    pub ch: String,
    pub id: i64,
    pub seq: i64,
    pub u: String,
    pub ts: i64,
}

/// The `react` broadcast; `id` names the target message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactEvent {
    pub ch: String,
    pub id: i64,
    pub seq: i64,
    pub u: String,
    pub emoji: String,
    pub on: bool,
    pub ts: i64,
}

/// Added: the `dm_edit` broadcast. `id` names the DM; `from` is its author (only the author
/// edits), `to` the other party; `c` is a new envelope (AAD kind `edit:<id>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmEditEvent {
    pub id: i64,
    pub from: String,
    pub to: String,
    pub c: String,
    pub enc: String,
    pub ts: i64,
}

/// Added: the `dm_delete` broadcast. `id` names the DM; `from` is its author, `to` the other
/// party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmDeleteEvent {
    pub id: i64,
    pub from: String,
    pub to: String,
    pub ts: i64,
}

/// Added: the `dm_react` broadcast. `id` names the DM; `from` reacted (either party may), `to`
/// is the other party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmReactEvent {
    pub id: i64,
    pub from: String,
    pub to: String,
    pub emoji: String,
    pub on: bool,
    pub ts: i64,
}

/// Every frame the server sends. Event variants (`msg`, `edit`, `delete`, `react`, `dm`) are also
/// the elements of `history`/`search`/`rewind` `events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "lowercase")]
pub enum ServerFrame {
    Ok {
        u: String,
        session: SecretString,
        proto: u32,
        server: ServerInfo,
        /// The first page of the users sharing a channel with you, by name.
        users: Vec<UserInfo>,
        /// Added: more users follow `users`; fetch them with `users` requests.
        #[serde(default, skip_serializing_if = "is_false")]
        users_more: bool,
        channels: Vec<ChannelInfo>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<String>,
    },
    Err {
        code: ErrorCode,
        m: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<String>,
    },
    Ack {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<String>,
        id: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<i64>,
        ts: i64,
    },
    Joined {
        ch: String,
        mode: ChannelMode,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        salt: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kdf: Option<KdfSpec>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kcv: Option<String>,
        members: Vec<String>,
        seq: i64,
        /// Added: the channel topic (absent when empty).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        topic: Option<String>,
        /// Serialized as `msg` frames (with `"t":"msg"`), exactly like `history` events.
        #[serde(serialize_with = "serialize_as_msg_frames")]
        hist: Vec<MessageEvent>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<String>,
    },
    Left {
        ch: String,
        /// Added: the operator who removed you (kick or ban); absent when you left yourself.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<String>,
    },
    Member {
        ch: String,
        u: String,
        on: bool,
        ts: i64,
    },
    Msg(MessageEvent),
    Edit(EditEvent),
    Delete(DeleteEvent),
    React(ReactEvent),
    Dm(DmEvent),
    /// Added: a DM's author replaced its text.
    #[serde(rename = "dm_edit")]
    DmEdit(DmEditEvent),
    /// Added: a DM's author deleted it.
    #[serde(rename = "dm_delete")]
    DmDelete(DmDeleteEvent),
    /// Added: a party of the conversation added or removed a reaction to a DM.
    #[serde(rename = "dm_react")]
    DmReact(DmReactEvent),
    History {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ch: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dm: Option<String>,
        events: Vec<ServerFrame>,
        more: bool,
        /// Added: where the channel's retained history begins (Unix ms): everything older was
        /// purged (retention or an operator's purge). Absent when nothing was ever purged.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retained_from: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<String>,
    },
    Search {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ch: Option<String>,
        events: Vec<ServerFrame>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<String>,
    },
    Rewind {
        ch: String,
        at: i64,
        events: Vec<ServerFrame>,
        /// Added: as in `history`; a rewind to before it shows only what was retained.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retained_from: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<String>,
    },
    Typing {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ch: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        u: String,
        on: bool,
    },
    Presence {
        u: String,
        state: PresenceState,
        #[serde(default)]
        text: String,
        ts: i64,
    },
    /// Added: the presence changes of many users in one frame, to a client that asked for it
    /// with `auth.presences`.
    Presences {
        users: Vec<PresenceEntry>,
        ts: i64,
    },
    Key {
        u: String,
        pk: String,
        ts: i64,
    },
    Vjoined {
        room: String,
        members: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<String>,
    },
    Vleft {
        room: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<String>,
    },
    Vmember {
        room: String,
        u: String,
        on: bool,
    },
    Pong {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<String>,
        ts: i64,
    },
    /// Added: reply to `who`.
    Who {
        ch: String,
        members: Vec<UserInfo>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<String>,
    },
    /// Added: reply to `logout`; the server then closes the connection (1000).
    Logout {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<String>,
    },
    /// Added: reply to `sessions`.
    Sessions {
        sessions: Vec<SessionInfo>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<String>,
    },
    /// Added: reply to `revoke`.
    Revoke {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<String>,
    },
    /// Added: reply to `password`: the new password is in force and `revoked` other sessions
    /// ended.
    Password {
        revoked: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<String>,
    },
    /// Added: reply to `users`, one page; `more` says another page follows.
    Users {
        users: Vec<UserInfo>,
        #[serde(default, skip_serializing_if = "is_false")]
        more: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<String>,
    },
    /// Added: reply to `info`: `exists:false` (and nothing else) for a channel nobody created;
    /// otherwise its mode and, when sealed, what a passphrase is checked against.
    Info {
        ch: String,
        exists: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mode: Option<ChannelMode>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        salt: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kdf: Option<KdfSpec>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kcv: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<String>,
    },
    /// Added: reply to `mark` and to `markers`: read markers, each shaped like a `mark` frame
    /// (`ch` with `seq`, or `dm` with `id`).
    Markers {
        markers: Vec<super::client::MarkFrame>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<String>,
    },
    /// Added (governance): reply to `list`.
    List(ListPage),
    /// Added (governance): reply to `admin`.
    Admin(AdminReply),
    /// Added (governance): you were invited into a channel.
    Invited(InvitedNotice),
}

impl ServerFrame {
    /// The message events among a page's `events` (`history`, `search`, `rewind`), in order.
    pub fn message_events(events: Vec<ServerFrame>) -> Vec<MessageEvent> {
        events
            .into_iter()
            .filter_map(|event| match event {
                ServerFrame::Msg(message) => Some(message),
                _ => None,
            })
            .collect()
    }

    /// The DM events among a DM `history` page's `events`, in order.
    pub fn dm_events(events: Vec<ServerFrame>) -> Vec<DmEvent> {
        events
            .into_iter()
            .filter_map(|event| match event {
                ServerFrame::Dm(dm) => Some(dm),
                _ => None,
            })
            .collect()
    }

    /// The change an `edit`, `delete` or `react` event (or a DM's `dm_edit`, `dm_delete`,
    /// `dm_react`) makes to its target message, with the target's id; `None` for every other frame. What the ring and the client fold with.
    pub fn change(&self) -> Option<(i64, Change)> {
        match self {
            ServerFrame::Edit(edit) => Some((
                edit.id,
                Change::Edit {
                    c: edit.c.clone(),
                    enc: edit.enc.clone(),
                    ts: edit.ts,
                },
            )),
            ServerFrame::Delete(delete) => Some((delete.id, Change::Delete)),
            ServerFrame::React(react) => Some((
                react.id,
                Change::React {
                    user: react.u.clone(),
                    emoji: react.emoji.clone(),
                    on: react.on,
                },
            )),
            ServerFrame::DmEdit(edit) => Some((
                edit.id,
                Change::Edit {
                    c: edit.c.clone(),
                    enc: Some(edit.enc.clone()),
                    ts: edit.ts,
                },
            )),
            ServerFrame::DmDelete(delete) => Some((delete.id, Change::Delete)),
            ServerFrame::DmReact(react) => Some((
                react.id,
                Change::React {
                    user: react.from.clone(),
                    emoji: react.emoji.clone(),
                    on: react.on,
                },
            )),
            _ => None,
        }
    }

    /// An `err` frame.
    pub fn error(code: ErrorCode, message: impl Into<String>, rid: Option<String>) -> Self {
        ServerFrame::Err {
            code,
            m: message.into(),
            rid,
        }
    }

    /// Serializes to the JSON text of one WebSocket frame.
    pub fn to_json(&self) -> String {
        // Serializing these types cannot fail: all keys are strings and no map has non-string keys.
        serde_json::to_string(self).unwrap_or_else(|_| {
            r#"{"t":"err","code":"internal","m":"could not encode a reply"}"#.to_string()
        })
    }
}

fn serialize_as_msg_frames<S: serde::Serializer>(
    events: &[MessageEvent],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(events.iter().map(|e| ServerFrame::Msg(e.clone())))
}
