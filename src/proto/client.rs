//! Client-to-server frame types of PROTOCOL.md: [`ClientFrame`], one struct per frame
//! (`MsgFrame`, `EditFrame`, …, as mini-redis has one struct per command) and the small types
//! they carry (`join.create`, KDF parameters, search sort). Decoded by the server through
//! [`super::decode_client_frame`], and the same struct flows on to the frame's handler; built by
//! the client library and the one-shot tools.

use serde::{Deserialize, Deserializer, Serialize};

use super::governance::{AdminFrame, ListFrame, ModTargetFrame, ModeFrame, MuteFrame, TopicFrame};
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

/// `auth`: log in, register, or resume a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthFrame {
    pub u: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pw: Option<SecretString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pk: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub register: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<SecretString>,
    /// Added: this client understands `presences` (many users' presence in one frame), so the
    /// server sends it online/offline/status changes of channel members coalesced that way.
    #[serde(default, skip_serializing_if = "is_false")]
    pub presences: bool,
}

/// `join`: join a channel, creating it with `create` when it does not exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinFrame {
    pub ch: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<CreateChannel>,
}

/// `leave`, and the added `who`: frames that name only a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelFrame {
    pub ch: String,
}

/// `revoke` (added): end one of your sessions by its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeFrame {
    pub id: String,
}

/// `mark` (added): moves your read marker of a channel (`ch` with `seq`) or of a DM
/// conversation (`dm` with the id of the latest DM seen). Also the shape of each `markers`
/// entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkFrame {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dm: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
}

/// `password` (added): change your password; `pw` is the current one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PasswordFrame {
    pub pw: SecretString,
    pub new_pw: SecretString,
}

/// `msg`: a message to a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsgFrame {
    pub ch: String,
    pub c: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idx: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<i64>,
    /// Added: the relayed author (`name@network`); bridge accounts only.
    #[serde(default, rename = "as", skip_serializing_if = "Option::is_none")]
    pub relayed_as: Option<String>,
}

/// `edit`: new text for message `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditFrame {
    pub ch: String,
    pub id: i64,
    pub c: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idx: Option<Vec<String>>,
    /// Added: the relayed author (`name@network`); bridge accounts only.
    #[serde(default, rename = "as", skip_serializing_if = "Option::is_none")]
    pub relayed_as: Option<String>,
}

/// `delete`: removes message `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteFrame {
    pub ch: String,
    pub id: i64,
    /// Added: the relayed author (`name@network`); bridge accounts only.
    #[serde(default, rename = "as", skip_serializing_if = "Option::is_none")]
    pub relayed_as: Option<String>,
}

/// `react`: adds (`on`) or removes an emoji reaction to message `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactFrame {
    pub ch: String,
    pub id: i64,
    pub emoji: String,
    pub on: bool,
}

/// `dm`: an encrypted direct message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmFrame {
    pub to: String,
    pub c: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enc: Option<String>,
    /// Added: the id of a DM of the same conversation this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<i64>,
}

/// Added, `dm_edit`: new text (a new envelope, AAD kind `edit:<id>`) for your DM `id` to `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmEditFrame {
    pub to: String,
    pub id: i64,
    pub c: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enc: Option<String>,
}

/// Added, `dm_delete`: removes your DM `id` to `to` (its text is purged from the server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmDeleteFrame {
    pub to: String,
    pub id: i64,
}

/// Added, `dm_react`: adds (`on`) or removes a reaction to DM `id` of the conversation with
/// `to` (either party's DM).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmReactFrame {
    pub to: String,
    pub id: i64,
    pub emoji: String,
    pub on: bool,
}

/// `history`: a page of a channel's or a DM's events.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HistoryFrame {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dm: Option<String>,
    #[serde(
        default,
        deserialize_with = "deserialize_limit",
        skip_serializing_if = "Option::is_none"
    )]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<i64>,
    /// Added: only events by this user (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// `search`: full-text (`q`) or blind-token (`idx`) search.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SearchFrame {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idx: Option<Vec<String>>,
    #[serde(
        default,
        deserialize_with = "deserialize_limit",
        skip_serializing_if = "Option::is_none"
    )]
    pub limit: Option<u32>,
    /// Added: `rank` (default) or `newest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<SearchSort>,
    /// Added: time window and author filters, as in `history`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// `rewind`: a channel as it stood at time `at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewindFrame {
    pub ch: String,
    pub at: i64,
    #[serde(
        default,
        deserialize_with = "deserialize_limit",
        skip_serializing_if = "Option::is_none"
    )]
    pub limit: Option<u32>,
}

/// `typing`: to a channel (`ch`) or a DM peer (`to`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypingFrame {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    pub on: bool,
}

/// `status`: the sender's presence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusFrame {
    pub state: PresenceState,
    #[serde(default)]
    pub text: String,
}

/// `vjoin`: enter a voice room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VjoinFrame {
    pub room: String,
}

/// Added: `users`, the next page of the users sharing a channel with you, by name after `after`
/// (when `ok.users_more` or a previous page's `more` said more follow).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct UsersFrame {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Only this user (added): how a client learns one DM peer's key without listing anyone else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub u: Option<String>,
    #[serde(
        default,
        deserialize_with = "deserialize_limit",
        skip_serializing_if = "Option::is_none"
    )]
    pub limit: Option<u32>,
}

/// Every frame a client may send, one struct per frame. `rid` is read separately by
/// [`super::decode_client_frame`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "lowercase")]
pub enum ClientFrame {
    Auth(AuthFrame),
    Join(JoinFrame),
    Leave(ChannelFrame),
    Msg(MsgFrame),
    Edit(EditFrame),
    Delete(DeleteFrame),
    React(ReactFrame),
    Dm(DmFrame),
    /// Added: edit, delete or react to a DM (PROTOCOL.md §11.2).
    #[serde(rename = "dm_edit")]
    DmEdit(DmEditFrame),
    #[serde(rename = "dm_delete")]
    DmDelete(DmDeleteFrame),
    #[serde(rename = "dm_react")]
    DmReact(DmReactFrame),
    History(HistoryFrame),
    Search(SearchFrame),
    Rewind(RewindFrame),
    Typing(TypingFrame),
    Status(StatusFrame),
    Vjoin(VjoinFrame),
    Vleave {},
    Ping {},
    /// Added: list a channel's members with their presence.
    Who(ChannelFrame),
    /// Added: end this connection's session (the token stops working) and close.
    Logout {},
    /// Added: list your sessions.
    Sessions {},
    /// Added: end one of your sessions by its `id` (from `sessions`).
    Revoke(RevokeFrame),
    /// Added: change your password (`pw` the current one); every other session ends.
    Password(PasswordFrame),
    /// Added: page through the users sharing a channel with you.
    Users(UsersFrame),
    /// Added: move a read marker (never backwards).
    Mark(MarkFrame),
    /// Added: list your read markers.
    Markers {},
    /// Added: what a channel is (open or sealed, with the salt, KDF and kcv of a sealed one)
    /// without joining it, so a passphrase is checked before anyone sees a join.
    Info(ChannelFrame),
    /// Added (governance, PROTOCOL.md §11): moderation requests.
    Invite(ModTargetFrame),
    Kick(ModTargetFrame),
    Ban(ModTargetFrame),
    Unban(ModTargetFrame),
    Mute(MuteFrame),
    Unmute(ModTargetFrame),
    Op(ModTargetFrame),
    Deop(ModTargetFrame),
    Topic(TopicFrame),
    Mode(ModeFrame),
    /// Added: a page of the listed channels.
    List(ListFrame),
    /// Added: a server admin's action on an account.
    Admin(AdminFrame),
}

/// Reads a `limit`: any non-negative integer, saturated to `u32::MAX` (the handlers then clamp
/// it to the maximum page size, PROTOCOL.md §5), so a huge value is clamped rather than refused.
fn deserialize_limit<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    let limit = Option::<u64>::deserialize(deserializer)?;
    Ok(limit.map(|value| u32::try_from(value).unwrap_or(u32::MAX)))
}
