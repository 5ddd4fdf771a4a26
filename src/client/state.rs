//! The client's picture of the conversation: joined channels (mode, sealed-channel parameters,
//! unread counts), DM conversations (unread counts), users and their presence, the current
//! [`Place`] (a channel or a DM) and the channel to return to from a DM, the voice room, recent
//! mentions, who is typing where, a bounded cache of recent messages (for reply quotes,
//! reactions, edits and to avoid showing a message twice), and the day of the last printed
//! line. Also the [`LineQueue`] of display lines. Updated by `client::events` handlers and
//! `client::app`; read by the REPL's prompt and completer.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use tokio::sync::mpsc;

use super::render::{self, Body, RenderOptions, ReplyQuote, Scope};
use super::typing::TypingBoard;
use crate::proto::{ChannelInfo, ChannelMode, PresenceState, UserInfo};

/// Messages remembered for quotes, reactions and edits.
const MESSAGE_CACHE: usize = 5000;
/// Mentions remembered for `/mentions`.
pub(crate) const MENTIONS_KEPT: usize = 100;

/// The queue of display lines shared by the event handlers and the command executor; the REPL
/// (or pipe printer) drains it. Bounded by [`LineBudget`](super::line_budget::LineBudget).
#[derive(Clone, Debug)]
pub struct LineQueue {
    sender: mpsc::UnboundedSender<String>,
    budget: std::sync::Arc<super::line_budget::LineBudget>,
}

impl LineQueue {
    /// A queue and the receiving end the printer reads.
    pub fn new() -> (LineQueue, super::line_budget::LineReceiver) {
        let (sender, receiver) = mpsc::unbounded_channel();
        let budget = std::sync::Arc::default();
        let lines = super::line_budget::LineReceiver {
            receiver,
            budget: std::sync::Arc::clone(&budget),
        };
        (LineQueue { sender, budget }, lines)
    }

    /// Waits until the printer has room (see [`super::line_budget`]).
    pub async fn wait_for_room(&self) {
        self.budget.wait_for_room().await;
    }

    /// Queues one line, with every control sequence but colours, the bell and newlines
    /// neutralised ([`render::terminal_safe`]): whatever a handler forgot to clean, no untrusted
    /// escape sequence reaches the terminal.
    pub fn push(&self, line: String) {
        self.budget.charge();
        if self.sender.send(render::terminal_safe(&line)).is_err() {
            self.budget.release();
        }
    }

    /// Queues several lines in order.
    pub fn extend(&self, lines: impl IntoIterator<Item = String>) {
        for line in lines {
            self.push(line);
        }
    }
}

/// Where plain text goes: a channel, or the DM with a user (named as registered when known;
/// compared case-insensitively, like usernames).
#[derive(Debug, Clone, Eq)]
pub enum Place {
    Channel(String),
    Dm(String),
}

impl PartialEq for Place {
    fn eq(&self, other: &Place) -> bool {
        match (self, other) {
            (Place::Channel(a), Place::Channel(b)) => a == b,
            (Place::Dm(a), Place::Dm(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        }
    }
}

impl std::fmt::Display for Place {
    /// `#general` or `@bob`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Channel(name) => write!(f, "#{name}"),
            Place::Dm(peer) => write!(f, "@{peer}"),
        }
    }
}

/// A DM conversation seen or opened in this run.
#[derive(Debug, Clone, Default)]
pub struct DmState {
    /// The peer's name as registered (or as typed, until the server shows it).
    pub peer: String,
    pub unread: u32,
    /// The id of the latest DM of this conversation seen (for the read marker).
    pub latest_id: Option<i64>,
}

/// A joined channel.
#[derive(Debug, Clone)]
pub struct ChannelState {
    pub mode: ChannelMode,
    pub unread: u32,
    /// Mentions of you here since you last looked (switched here or ran `/mentions`).
    pub unseen_mentions: u32,
    pub salt: Option<String>,
    pub kdf: Option<crate::proto::KdfSpec>,
    pub kcv: Option<String>,
}

/// Someone we share a channel with.
#[derive(Debug, Clone)]
pub struct UserState {
    pub name: String,
    pub state: PresenceState,
    pub text: String,
}

/// A remembered message.
#[derive(Debug, Clone)]
pub struct MessageRecord {
    pub scope: Scope,
    pub author: String,
    pub body: Body,
    pub reacts: BTreeMap<String, Vec<String>>,
}

/// Everything the client knows about the conversation.
#[derive(Debug, Default)]
pub struct ChatState {
    pub me: String,
    pub channels: BTreeMap<String, ChannelState>,
    /// DM conversations by lowercase peer name.
    pub dms: BTreeMap<String, DmState>,
    pub current: Option<Place>,
    /// The channel to return to when leaving a DM.
    pub previous_channel: Option<String>,
    pub typing: TypingBoard,
    pub users: BTreeMap<String, UserState>,
    pub voice_room: Option<String>,
    pub mentions: VecDeque<String>,
    messages: HashMap<i64, MessageRecord>,
    message_order: VecDeque<i64>,
    last_day: Option<chrono::NaiveDate>,
}

impl ChatState {
    pub fn new(me: &str) -> Self {
        ChatState {
            me: me.to_string(),
            ..Default::default()
        }
    }

    /// Replaces channels and users with what `ok` says (first login and every reconnect).
    pub fn apply_welcome(&mut self, channels: &[ChannelInfo], users: &[UserInfo]) {
        let previous = std::mem::take(&mut self.channels);
        for info in channels {
            let mut state = channel_state(info.mode, &info.salt, &info.kdf, &info.kcv, 0);
            if let Some(before) = previous.get(&info.ch) {
                state.unread = before.unread;
                state.unseen_mentions = before.unseen_mentions;
            }
            self.channels.insert(info.ch.clone(), state);
        }
        self.users = users
            .iter()
            .map(|user| {
                (
                    user.u.to_ascii_lowercase(),
                    user_state(&user.u, user.state, &user.text),
                )
            })
            .collect();
        if let Some(Place::Channel(current)) = &self.current
            && !self.channels.contains_key(current)
        {
            self.current = None;
        }
    }

    /// Records a joined channel.
    pub fn add_channel(
        &mut self,
        name: &str,
        mode: ChannelMode,
        salt: &Option<String>,
        kdf: &Option<crate::proto::KdfSpec>,
        kcv: &Option<String>,
    ) {
        self.channels
            .insert(name.to_string(), channel_state(mode, salt, kdf, kcv, 0));
    }

    /// Makes `channel` current and clears its unread and mention counts.
    pub fn switch_to(&mut self, channel: &str) {
        if let Some(state) = self.channels.get_mut(channel) {
            state.unread = 0;
            state.unseen_mentions = 0;
        }
        self.current = Some(Place::Channel(channel.to_string()));
    }

    /// Makes the DM with `peer` current (remembering the channel we came from) and clears its
    /// unread count. Returns the peer's name as registered when known.
    pub fn switch_to_dm(&mut self, peer: &str) -> String {
        let key = peer.to_ascii_lowercase();
        let name = self
            .users
            .get(&key)
            .map(|user| user.name.clone())
            .or_else(|| self.dms.get(&key).map(|dm| dm.peer.clone()))
            .unwrap_or_else(|| peer.to_string());
        if let Some(Place::Channel(channel)) = &self.current {
            self.previous_channel = Some(channel.clone());
        }
        let entry = self.dms.entry(key).or_default();
        entry.peer = name.clone();
        entry.unread = 0;
        self.current = Some(Place::Dm(name.clone()));
        name
    }

    /// Leaves the current DM for the channel we came from (or any joined channel); returns the
    /// channel now current, if any.
    pub fn leave_dm(&mut self) -> Option<String> {
        let back = self
            .previous_channel
            .take()
            .filter(|channel| self.channels.contains_key(channel))
            .or_else(|| self.channels.keys().next().cloned());
        match &back {
            Some(channel) => self.switch_to(channel),
            None => self.current = None,
        }
        back
    }

    /// The current channel, when the current place is a channel.
    pub fn current_channel(&self) -> Option<&str> {
        match &self.current {
            Some(Place::Channel(channel)) => Some(channel),
            _ => None,
        }
    }

    /// The peer of the current DM, when the current place is a DM.
    pub fn current_dm(&self) -> Option<&str> {
        match &self.current {
            Some(Place::Dm(peer)) => Some(peer),
            _ => None,
        }
    }

    /// A DM from or to `peer` arrived: counted unread unless that DM is current or the
    /// message is our own.
    pub fn count_dm(&mut self, peer: &str, from_me: bool) {
        let place = Place::Dm(peer.to_string());
        let here = self.current.as_ref() == Some(&place);
        let entry = self.dms.entry(peer.to_ascii_lowercase()).or_default();
        if entry.peer.is_empty() {
            entry.peer = peer.to_string();
        }
        if !here && !from_me {
            entry.unread = entry.unread.saturating_add(1);
        }
    }

    /// Notes that DM `id` with `peer` was shown.
    pub fn note_dm_id(&mut self, peer: &str, id: i64) {
        let entry = self.dms.entry(peer.to_ascii_lowercase()).or_default();
        if entry.peer.is_empty() {
            entry.peer = peer.to_string();
        }
        entry.latest_id = entry.latest_id.max(Some(id));
    }

    /// The id of the latest DM with `peer` seen in this run.
    pub fn latest_dm_id(&self, peer: &str) -> Option<i64> {
        self.dms.get(&peer.to_ascii_lowercase())?.latest_id
    }

    /// Mentions not looked at yet, over all channels (the prompt's `@N`).
    pub fn unseen_mentions(&self) -> u32 {
        self.channels.values().fold(0u32, |sum, channel| {
            sum.saturating_add(channel.unseen_mentions)
        })
    }

    /// Marks every mention as seen (`/mentions` listed them).
    pub fn mark_mentions_seen(&mut self) {
        for channel in self.channels.values_mut() {
            channel.unseen_mentions = 0;
        }
    }

    /// The scope label of a channel.
    pub fn channel_scope(&self, channel: &str) -> Scope {
        let sealed = self
            .channels
            .get(channel)
            .is_some_and(|c| c.mode == ChannelMode::Sealed);
        Scope::Channel {
            name: channel.to_string(),
            sealed,
        }
    }

    /// A remembered message.
    pub fn message(&self, id: i64) -> Option<&MessageRecord> {
        self.messages.get(&id)
    }

    /// A remembered message, to update it.
    pub fn message_mut(&mut self, id: i64) -> Option<&mut MessageRecord> {
        self.messages.get_mut(&id)
    }

    /// The channel a remembered message belongs to.
    pub fn channel_of(&self, id: i64) -> Option<String> {
        match &self.messages.get(&id)?.scope {
            Scope::Channel { name, .. } => Some(name.clone()),
            Scope::Dm { .. } => None,
        }
    }

    /// Records that `user` added (`on`) or took back a reaction; returns the message's
    /// reactions after it (empty when the message is not remembered). Idempotent.
    pub fn apply_reaction(
        &mut self,
        id: i64,
        emoji: &str,
        user: &str,
        on: bool,
    ) -> BTreeMap<String, Vec<String>> {
        let Some(record) = self.messages.get_mut(&id) else {
            return BTreeMap::new();
        };
        crate::model::fold::apply_reaction(&mut record.reacts, user, emoji, on);
        record.reacts.clone()
    }

    /// Whether `me` has reacted to message `id` with `emoji`.
    pub fn my_reaction(&self, id: i64, emoji: &str) -> bool {
        self.messages
            .get(&id)
            .and_then(|record| record.reacts.get(emoji))
            .is_some_and(|users| users.iter().any(|user| user.eq_ignore_ascii_case(&self.me)))
    }

    pub(crate) fn remember(&mut self, id: i64, record: MessageRecord) {
        if self.messages.insert(id, record).is_none() {
            self.message_order.push_back(id);
        }
        while self.message_order.len() > MESSAGE_CACHE {
            if let Some(old) = self.message_order.pop_front() {
                self.messages.remove(&old);
            }
        }
    }

    pub(crate) fn quote(&self, id: i64) -> ReplyQuote {
        let record = self.messages.get(&id);
        ReplyQuote {
            id,
            author: record.map(|r| r.author.clone()),
            snippet: record.and_then(|r| match &r.body {
                Body::Text(text) => Some(text.clone()),
                _ => None,
            }),
        }
    }

    /// A day separator when `ts` falls on a new day.
    pub(crate) fn day_change(&mut self, options: &RenderOptions, ts: i64) -> Option<String> {
        let day = render::day_of(options, ts);
        if self.last_day == Some(day) {
            return None;
        }
        self.last_day = Some(day);
        Some(render::render_day_separator(options, day))
    }
}

/// Channels, then DM conversations, with unread messages, as `(place, count)`, for `/unread`
/// and the prompt.
pub fn unread_summary(state: &ChatState) -> Vec<(Place, u32)> {
    let channels = state
        .channels
        .iter()
        .filter(|(_, c)| c.unread > 0)
        .map(|(name, c)| (Place::Channel(name.clone()), c.unread));
    let dms = state
        .dms
        .values()
        .filter(|dm| dm.unread > 0)
        .map(|dm| (Place::Dm(dm.peer.clone()), dm.unread));
    channels.chain(dms).collect()
}

/// Names of users we know about (everyone we share a channel with, and DM peers), without
/// ourselves, for completion.
pub fn known_user_names(state: &ChatState) -> BTreeSet<String> {
    state
        .users
        .values()
        .map(|user| user.name.clone())
        .chain(state.dms.values().map(|dm| dm.peer.clone()))
        .filter(|name| !name.is_empty() && !name.eq_ignore_ascii_case(&state.me))
        .collect()
}

pub(crate) fn channel_state(
    mode: ChannelMode,
    salt: &Option<String>,
    kdf: &Option<crate::proto::KdfSpec>,
    kcv: &Option<String>,
    unread: u32,
) -> ChannelState {
    ChannelState {
        mode,
        unread,
        unseen_mentions: 0,
        salt: salt.clone(),
        kdf: kdf.clone(),
        kcv: kcv.clone(),
    }
}

pub(crate) fn user_state(name: &str, state: PresenceState, text: &str) -> UserState {
    UserState {
        name: name.to_string(),
        state,
        text: text.to_string(),
    }
}
