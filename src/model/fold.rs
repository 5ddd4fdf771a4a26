//! The one fold (PROTOCOL.md §5): applying edits, deletions and reactions to a message to get the
//! one object that `history`, `search`, `rewind`, `joined.hist` and the client's timeline show.
//! Pure functions over the message types that implement [`Foldable`] (the channel message,
//! [`MessageEvent`], and the direct message, [`DmEvent`]: one fold for both), no I/O. The store calls it to keep
//! each message's current state (columns of its row) and to rebuild a message as it stood at a past time (rewind); the
//! server's in-memory ring calls it for every committed event; the client calls it for the
//! reactions it shows. Written once here, so the three agree by construction.

use std::collections::BTreeMap;

use super::message::{DmEvent, MessageEvent};

/// One change to a message, taken from an `edit`, `delete` or `react` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The text (and envelope format) is replaced; `edited` becomes the edit's `ts`.
    Edit {
        c: String,
        enc: Option<String>,
        ts: i64,
    },
    /// The message is gone: it keeps `id`/`seq`/`u`/`ts` (and `reply_to`), drops the rest.
    Delete,
    /// `user` adds (`on`) or removes their `emoji` reaction.
    React {
        user: String,
        emoji: String,
        on: bool,
    },
}

/// A message the fold can change: what an edit replaces, what a deletion drops, where the
/// reactions are. Implemented by the channel message and the DM, so both fold the same way.
pub trait Foldable {
    /// Whether the message is deleted (a deleted message takes no more changes).
    fn is_deleted(&self) -> bool;
    /// Replaces the text (and its envelope format) as an edit at `ts` does.
    fn replace_text(&mut self, c: &str, enc: Option<&str>, ts: i64);
    /// Drops the text, envelope, edit time and reactions, and marks the message deleted.
    fn mark_deleted(&mut self);
    /// The reactions, `None` when there are none.
    fn reactions_mut(&mut self) -> &mut Option<BTreeMap<String, Vec<String>>>;
}

impl Foldable for MessageEvent {
    fn is_deleted(&self) -> bool {
        self.deleted
    }

    fn replace_text(&mut self, c: &str, enc: Option<&str>, ts: i64) {
        self.c = Some(c.to_string());
        self.enc = enc.map(str::to_string);
        self.edited = Some(ts);
    }

    fn mark_deleted(&mut self) {
        self.deleted = true;
        self.c = None;
        self.enc = None;
        self.edited = None;
        self.reacts = None;
    }

    fn reactions_mut(&mut self) -> &mut Option<BTreeMap<String, Vec<String>>> {
        &mut self.reacts
    }
}

impl Foldable for DmEvent {
    fn is_deleted(&self) -> bool {
        self.deleted
    }

    fn replace_text(&mut self, c: &str, enc: Option<&str>, ts: i64) {
        self.c = c.to_string();
        self.enc = enc.unwrap_or_default().to_string();
        self.edited = Some(ts);
    }

    fn mark_deleted(&mut self) {
        self.deleted = true;
        self.c.clear();
        self.enc.clear();
        self.edited = None;
        self.reacts = None;
    }

    fn reactions_mut(&mut self) -> &mut Option<BTreeMap<String, Vec<String>>> {
        &mut self.reacts
    }
}

/// Applies one change. Changes to a deleted message are ignored (nothing can revive it).
pub fn apply<M: Foldable>(message: &mut M, change: &Change) {
    if message.is_deleted() {
        return;
    }
    match change {
        Change::Edit { c, enc, ts } => message.replace_text(c, enc.as_deref(), *ts),
        Change::Delete => message.mark_deleted(),
        Change::React { user, emoji, on } => {
            let slot = message.reactions_mut();
            let mut reacts = slot.take().unwrap_or_default();
            apply_reaction(&mut reacts, user, emoji, *on);
            *slot = (!reacts.is_empty()).then_some(reacts);
        }
    }
}

/// Applies changes in order (the order of their event ids).
pub fn fold<'a, M: Foldable>(mut message: M, changes: impl IntoIterator<Item = &'a Change>) -> M {
    for change in changes {
        apply(&mut message, change);
    }
    message
}

/// Adds or removes one reaction. Users keep the order in which they reacted; a user appears at
/// most once per emoji (names compare ignoring ASCII case); an emoji with no users left
/// disappears.
pub fn apply_reaction(
    reacts: &mut BTreeMap<String, Vec<String>>,
    user: &str,
    emoji: &str,
    on: bool,
) {
    let same_user = |existing: &String| existing.eq_ignore_ascii_case(user);
    if on {
        let users = reacts.entry(emoji.to_string()).or_default();
        if !users.iter().any(same_user) {
            users.push(user.to_string());
        }
        return;
    }
    if let Some(users) = reacts.get_mut(emoji) {
        users.retain(|existing| !same_user(existing));
        if users.is_empty() {
            reacts.remove(emoji);
        }
    }
}
