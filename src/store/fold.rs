//! Folding (PROTOCOL.md §5): applying edits, deletions and reactions to a message to get the
//! one object that `history`, `search`, `rewind` and `joined.hist` show. Pure functions, no SQL.
//! The writer uses them to keep the `messages` current-state table, and the reader uses them to
//! rebuild messages as they stood at a past time (rewind), so both agree by construction.

use std::collections::BTreeMap;

use crate::proto::MessageEvent;

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
            apply_react(&mut message.reacts, user, emoji, *on);
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
/// most once per emoji; an emoji with no users left disappears, and so does an empty map.
pub fn apply_react(
    reacts: &mut Option<BTreeMap<String, Vec<String>>>,
    user: &str,
    emoji: &str,
    on: bool,
) {
    if on {
        let users = reacts
            .get_or_insert_with(BTreeMap::new)
            .entry(emoji.to_string())
            .or_default();
        if !users
            .iter()
            .any(|existing| existing.eq_ignore_ascii_case(user))
        {
            users.push(user.to_string());
        }
        return;
    }
    let Some(map) = reacts.as_mut() else {
        return;
    };
    if let Some(users) = map.get_mut(emoji) {
        users.retain(|existing| !existing.eq_ignore_ascii_case(user));
        if users.is_empty() {
            map.remove(emoji);
        }
    }
    if map.is_empty() {
        *reacts = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> MessageEvent {
        MessageEvent {
            ch: "general".into(),
            id: 10,
            seq: 3,
            u: "alice".into(),
            c: Some("hello".into()),
            ts: 1_000,
            enc: None,
            reply_to: Some(7),
            edited: None,
            deleted: false,
            reacts: None,
        }
    }

    fn react(user: &str, emoji: &str, on: bool) -> Change {
        Change::React {
            user: user.into(),
            emoji: emoji.into(),
            on,
        }
    }

    #[test]
    fn latest_edit_wins_and_sets_edited() {
        let edits = [
            Change::Edit {
                c: "one".into(),
                enc: None,
                ts: 2_000,
            },
            Change::Edit {
                c: "two".into(),
                enc: None,
                ts: 3_000,
            },
        ];
        let folded = fold(message(), &edits);
        assert_eq!(folded.c.as_deref(), Some("two"));
        assert_eq!(folded.edited, Some(3_000));
        assert_eq!(folded.ts, 1_000);
    }

    #[test]
    fn delete_keeps_identity_and_drops_content() {
        let changes = [
            react("bob", "👍", true),
            Change::Edit {
                c: "x".into(),
                enc: None,
                ts: 2_000,
            },
            Change::Delete,
            react("carol", "🎉", true),
            Change::Edit {
                c: "revived?".into(),
                enc: None,
                ts: 4_000,
            },
        ];
        let folded = fold(message(), &changes);
        assert!(folded.deleted);
        assert_eq!(
            (folded.id, folded.seq, folded.u.as_str(), folded.ts),
            (10, 3, "alice", 1_000)
        );
        assert_eq!(folded.c, None);
        assert_eq!(folded.enc, None);
        assert_eq!(folded.edited, None);
        assert_eq!(folded.reacts, None);
        assert_eq!(folded.reply_to, Some(7));
    }

    #[test]
    fn reactions_keep_order_dedupe_and_vanish_when_empty() {
        let changes = [
            react("bob", "👍", true),
            react("carol", "👍", true),
            react("Bob", "👍", true),
            react("dave", "🎉", true),
            react("bob", "👍", false),
            react("dave", "🎉", false),
            react("erin", "🤷", false),
        ];
        let folded = fold(message(), &changes);
        let reacts = folded.reacts.expect("one emoji left");
        assert_eq!(reacts.len(), 1);
        assert_eq!(reacts["👍"], vec!["carol".to_string()]);

        let cleared = fold(
            message(),
            &[react("bob", "👍", true), react("bob", "👍", false)],
        );
        assert_eq!(cleared.reacts, None);
    }
}
