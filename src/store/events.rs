//! The store's own event types, independent of the wire protocol: [`LoggedEvent`] (one committed
//! entry of the event log: id, per-scope seq and ts assigned at commit, the sender, and an
//! [`EventBody`]). The server turns these into frames (`server::frames`); nothing here knows how
//! they are encoded on the wire. A channel message with its edits, deletion and reactions applied
//! (what history, search, rewind and the server's ring show) is the model's one message type,
//! [`MessageEvent`], folded with the one fold, `model::fold`. [`EventKind`] is the `kind` column of
//! an `events` row.

use crate::model::fold::Change;
use crate::model::governance::{ModAction, SysEvent};
use crate::model::{DmEvent, MessageEvent};

/// What was said, by kind. Channel names are canonical (no `#`); users as registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventBody {
    /// A new channel message (`c` is ciphertext in a sealed channel, `enc` then names the format).
    Msg {
        channel: String,
        c: String,
        enc: Option<String>,
        reply_to: Option<i64>,
    },
    /// The author replaced the text of message `target`.
    Edit {
        channel: String,
        target: i64,
        c: String,
        enc: Option<String>,
    },
    /// The author deleted message `target`.
    Delete { channel: String, target: i64 },
    /// A deleted channel message as read back from the log: its `msg` event once the deletion
    /// purged its text (same id, seq, ts and sender; no text, and every edit of it reads as a
    /// `Delete`). It stands for the folded deleted message.
    Purged {
        channel: String,
        reply_to: Option<i64>,
    },
    /// The sender added (`on`) or removed a reaction on message `target`.
    React {
        channel: String,
        target: i64,
        emoji: String,
        on: bool,
    },
    /// An end-to-end encrypted direct message to `to`. A deleted DM read back from the log has
    /// its text purged (`c` empty).
    Dm {
        to: String,
        c: String,
        enc: String,
        reply_to: Option<i64>,
    },
    /// The sender (the author) replaced the text of their DM `target` to `to`.
    DmEdit {
        to: String,
        target: i64,
        c: String,
        enc: String,
    },
    /// The sender (the author) deleted their DM `target` to `to`.
    DmDelete { to: String, target: i64 },
    /// The sender added (`on`) or removed a reaction to DM `target` of the conversation with
    /// `to` (the other party).
    DmReact {
        to: String,
        target: i64,
        emoji: String,
        on: bool,
    },
    /// A system line: a moderation action by the sender, recorded in the channel's history
    /// (stored as a `msg` event whose payload has `sys`; `c` says it in words). A moderator's
    /// deletion of someone else's message is the `delete` event followed, in the same commit,
    /// by this line (`sys.act` = delete): the `delete` has the seq just before the line's.
    Sys {
        channel: String,
        c: String,
        sys: SysEvent,
    },
}

/// One committed event of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEvent {
    /// Global position in the log: ids rise in commit order across every scope.
    pub id: i64,
    /// Position within the event's scope (`#channel` or the DM pair): 1, 2, 3… without gaps.
    pub seq: i64,
    /// Unix ms, never lower than an earlier event's.
    pub ts: i64,
    /// The user who caused it, as registered.
    pub sender: String,
    pub body: EventBody,
}

impl LoggedEvent {
    /// The channel of a channel event; `None` for a DM.
    pub fn channel(&self) -> Option<&str> {
        match &self.body {
            EventBody::Msg { channel, .. }
            | EventBody::Edit { channel, .. }
            | EventBody::Delete { channel, .. }
            | EventBody::Purged { channel, .. }
            | EventBody::React { channel, .. }
            | EventBody::Sys { channel, .. } => Some(channel),
            EventBody::Dm { .. }
            | EventBody::DmEdit { .. }
            | EventBody::DmDelete { .. }
            | EventBody::DmReact { .. } => None,
        }
    }

    /// The other party of a DM event (`dm`, or an edit, deletion or reaction of one), the
    /// sender being the first; `None` for a channel event. Both receive the event.
    pub fn dm_peer(&self) -> Option<&str> {
        match &self.body {
            EventBody::Dm { to, .. }
            | EventBody::DmEdit { to, .. }
            | EventBody::DmDelete { to, .. }
            | EventBody::DmReact { to, .. } => Some(to),
            _ => None,
        }
    }

    /// The seq a client sees: a channel event's seq; `None` for a DM (DM frames carry no seq).
    pub fn channel_seq(&self) -> Option<i64> {
        self.channel().map(|_| self.seq)
    }

    /// The target message and the change an `edit`/`delete`/`react` event (of a channel
    /// message or of a DM) makes to it (for `model::fold`); `None` for a `msg` or a `dm`.
    pub fn change(&self) -> Option<(i64, Change)> {
        match &self.body {
            EventBody::Edit { target, c, enc, .. } => Some((
                *target,
                Change::Edit {
                    c: c.clone(),
                    enc: enc.clone(),
                    ts: self.ts,
                },
            )),
            EventBody::DmEdit { target, c, enc, .. } => Some((
                *target,
                Change::Edit {
                    c: c.clone(),
                    enc: Some(enc.clone()),
                    ts: self.ts,
                },
            )),
            EventBody::Delete { target, .. } | EventBody::DmDelete { target, .. } => {
                Some((*target, Change::Delete))
            }
            EventBody::React {
                target, emoji, on, ..
            }
            | EventBody::DmReact {
                target, emoji, on, ..
            } => Some((
                *target,
                Change::React {
                    user: self.sender.clone(),
                    emoji: emoji.clone(),
                    on: *on,
                },
            )),
            EventBody::Msg { .. }
            | EventBody::Purged { .. }
            | EventBody::Dm { .. }
            | EventBody::Sys { .. } => None,
        }
    }

    /// A moderator's deletion that this system line records, as the `delete` event committed
    /// just before it (same ts, the seq before): `(seq, target)`. `None` for anything else.
    pub fn moderated_delete(&self) -> Option<(i64, i64)> {
        match &self.body {
            EventBody::Sys { sys, .. } if sys.act == ModAction::Delete => {
                sys.msg.map(|target| (self.seq - 1, target))
            }
            _ => None,
        }
    }

    /// The DM a `dm` event created, unfolded; `None` for other kinds.
    pub fn to_dm(&self) -> Option<DmEvent> {
        let EventBody::Dm {
            to,
            c,
            enc,
            reply_to,
        } = &self.body
        else {
            return None;
        };
        Some(DmEvent {
            id: self.id,
            from: self.sender.clone(),
            to: to.clone(),
            c: c.clone(),
            enc: enc.clone(),
            ts: self.ts,
            reply_to: *reply_to,
            edited: None,
            deleted: false,
            reacts: None,
        })
    }

    /// The message a `msg` event created, unfolded (a purged one as deleted); `None` for other
    /// kinds.
    pub fn to_message(&self) -> Option<MessageEvent> {
        if let EventBody::Purged { channel, reply_to } = &self.body {
            return Some(MessageEvent {
                ch: channel.clone(),
                id: self.id,
                seq: self.seq,
                ts: self.ts,
                u: self.sender.clone(),
                c: None,
                enc: None,
                reply_to: *reply_to,
                edited: None,
                deleted: true,
                reacts: None,
                sys: None,
            });
        }
        let (channel, c, enc, reply_to, sys) = match &self.body {
            EventBody::Msg {
                channel,
                c,
                enc,
                reply_to,
            } => (channel, c, enc.clone(), *reply_to, None),
            EventBody::Sys { channel, c, sys } => {
                (channel, c, None, None, Some(Box::new(sys.clone())))
            }
            _ => return None,
        };
        Some(MessageEvent {
            ch: channel.clone(),
            id: self.id,
            seq: self.seq,
            ts: self.ts,
            u: self.sender.clone(),
            c: Some(c.clone()),
            enc,
            reply_to,
            edited: None,
            deleted: false,
            reacts: None,
            sys,
        })
    }
}

/// The `kind` of an `events` row: the only values the schema's `CHECK` on `events.kind` allows.
/// The writer's connection skips `CHECK` constraints (`commit_thread`: SQLite evaluates that
/// `IN` list through a temporary b-tree on every insert), so this type is what keeps the column
/// within them; a test compares `EventKind::ALL` with the schema's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventKind {
    Msg,
    Edit,
    Delete,
    React,
    Dm,
}

impl EventKind {
    /// Every kind, in the schema's order.
    #[cfg(test)]
    pub(crate) const ALL: [EventKind; 5] = [
        EventKind::Msg,
        EventKind::Edit,
        EventKind::Delete,
        EventKind::React,
        EventKind::Dm,
    ];

    /// The value stored in `events.kind`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EventKind::Msg => "msg",
            EventKind::Edit => "edit",
            EventKind::Delete => "delete",
            EventKind::React => "react",
            EventKind::Dm => "dm",
        }
    }
}
