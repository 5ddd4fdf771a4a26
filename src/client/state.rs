//! The client's picture of the conversation: joined channels (mode, sealed-channel parameters,
//! unread counts), users and their presence, the current channel and voice room, recent
//! mentions, a bounded cache of recent messages (for reply quotes, reactions, edits and to avoid
//! showing a message twice), and the day of the last printed line. Also the [`LineQueue`] of
//! display lines. Updated by `client::events` handlers and `client::app`; read by the REPL's
//! prompt and completer.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use tokio::sync::mpsc;

use super::render::{self, Body, RenderOptions, ReplyQuote, Scope};
use crate::proto::{ChannelInfo, ChannelMode, PresenceState, UserInfo};

/// Messages remembered for quotes, reactions and edits.
const MESSAGE_CACHE: usize = 5000;
/// Mentions remembered for `/mentions`.
pub(crate) const MENTIONS_KEPT: usize = 100;

/// The queue of display lines shared by the event handlers and the command executor; the REPL
/// (or pipe printer) drains it.
#[derive(Clone, Debug)]
pub struct LineQueue {
    sender: mpsc::UnboundedSender<String>,
}

impl LineQueue {
    /// A queue and the receiving end the printer reads.
    pub fn new() -> (LineQueue, mpsc::UnboundedReceiver<String>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (LineQueue { sender }, receiver)
    }

    /// Queues one line, with every control sequence but colours, the bell and newlines
    /// neutralised ([`render::terminal_safe`]): whatever a handler forgot to clean, no untrusted
    /// escape sequence reaches the terminal.
    pub fn push(&self, line: String) {
        let _ = self.sender.send(render::terminal_safe(&line));
    }

    /// Queues several lines in order.
    pub fn extend(&self, lines: impl IntoIterator<Item = String>) {
        for line in lines {
            self.push(line);
        }
    }
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
    pub current: Option<String>,
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
        if self
            .current
            .as_ref()
            .is_some_and(|current| !self.channels.contains_key(current))
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
        self.current = Some(channel.to_string());
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
        let users = record.reacts.entry(emoji.to_string()).or_default();
        users.retain(|known| !known.eq_ignore_ascii_case(user));
        if on {
            users.push(user.to_string());
        }
        record.reacts.retain(|_, users| !users.is_empty());
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

/// Channels with unread messages, as `(name, count)`, for `/unread` and the prompt.
pub fn unread_summary(state: &ChatState) -> Vec<(String, u32)> {
    state
        .channels
        .iter()
        .filter(|(_, c)| c.unread > 0)
        .map(|(name, c)| (name.clone(), c.unread))
        .collect()
}

/// Names of users we know about, for completion.
pub fn known_user_names(state: &ChatState) -> BTreeSet<String> {
    state.users.values().map(|user| user.name.clone()).collect()
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
