//! The one fold (PROTOCOL.md §5): applying edits, deletions and reactions to a message to get the
//! one object that `history`, `search`, `rewind`, `joined.hist` and the client's timeline show.
//! Pure functions over the one message type, [`MessageEvent`], no I/O. The store calls it to keep
//! its current-state table and to rebuild a message as it stood at a past time (rewind); the
//! server's in-memory ring calls it for every committed event; the client calls it for the
//! reactions it shows. Written once here, so the three agree by construction.

use std::collections::BTreeMap;

use super::message::MessageEvent;

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

/// Applies one change. Changes to a deleted message are ignored (nothing can revive it).
pub fn apply(message: &mut MessageEvent, change: &Change) {
    if message.deleted {
        return;
    }
    match change {
        Change::Edit { c, enc, ts } => {
            message.c = Some(c.clone());
            message.enc = enc.clone();
            message.edited = Some(*ts);
        }
        Change::Delete => {
            message.deleted = true;
            message.c = None;
            message.enc = None;
            message.edited = None;
            message.reacts = None;
        }
        Change::React { user, emoji, on } => {
            let mut reacts = message.reacts.take().unwrap_or_default();
            apply_reaction(&mut reacts, user, emoji, *on);
            message.reacts = (!reacts.is_empty()).then_some(reacts);
        }
    }
}

/// Applies changes in order (the order of their event ids).
pub fn fold<'a>(
    mut message: MessageEvent,
    changes: impl IntoIterator<Item = &'a Change>,
) -> MessageEvent {
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
