//! The in-memory ring of a channel's most recent messages in FOLDED form (PROTOCOL.md §5): the
//! last `capacity` messages with later edits, deletions and reactions applied, kept in the
//! store's own types and folded by the one fold (`model::fold`) that the store also uses, so the
//! ring and the database agree by construction. The fan-out dispatcher applies every committed
//! channel event in `seq` order; `join` copies the ring into `joined.hist` without touching
//! SQLite. Re-applying an event the ring already reflects is harmless (every operation is "set
//! to"), which lets the ring be loaded lazily from the store.

use std::collections::VecDeque;

use crate::model::MessageEvent;
use crate::model::fold;
use crate::store::LoggedEvent;

/// Recent folded messages of one channel, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Ring {
    messages: VecDeque<MessageEvent>,
    capacity: usize,
}

impl Ring {
    /// A ring seeded with folded messages (oldest first), keeping the newest `capacity`.
    pub fn from_folded(messages: Vec<MessageEvent>, capacity: usize) -> Ring {
        let mut ring = Ring {
            messages: VecDeque::with_capacity(messages.len().min(capacity)),
            capacity,
        };
        for message in messages {
            ring.push_message(message);
        }
        ring
    }

    /// The folded messages, oldest first.
    pub fn snapshot(&self) -> Vec<MessageEvent> {
        self.messages.iter().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// Applies one committed channel event (`msg`, `edit`, `delete`, `react`, a system line,
    /// which for a moderator's deletion also deletes its target); DMs are ignored.
    pub fn apply(&mut self, event: &LoggedEvent) {
        if let Some((_, target)) = event.moderated_delete() {
            self.fold_into(target, &fold::Change::Delete);
        }
        if let Some(message) = event.to_message() {
            self.push_message(message);
        } else if let Some((target, change)) = event.change()
            && let Some(message) = self.messages.iter_mut().rev().find(|m| m.id == target)
        {
            fold::apply(message, &change);
        }
    }

    fn fold_into(&mut self, target: i64, change: &fold::Change) {
        if let Some(message) = self.messages.iter_mut().rev().find(|m| m.id == target) {
            fold::apply(message, change);
        }
    }

    /// Drops the messages posted before `before_ms` (a retention purge deleted them).
    pub fn forget_before(&mut self, before_ms: i64) {
        self.messages.retain(|message| message.ts >= before_ms);
    }

    fn push_message(&mut self, message: MessageEvent) {
        if self.capacity == 0 {
            return;
        }
        if self
            .messages
            .back()
            .is_some_and(|last| message.seq <= last.seq)
        {
            // Already reflected (a re-application after a lazy load), or out of order.
            return;
        }
        if self.messages.len() >= self.capacity {
            self.messages.pop_front();
        }
        self.messages.push_back(message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::EventBody;

    fn event(id: i64, seq: i64, ts: i64, user: &str, body: EventBody) -> LoggedEvent {
        LoggedEvent {
            id,
            seq,
            ts,
            sender: user.into(),
            body,
        }
    }

    fn msg(id: i64, seq: i64, c: &str) -> LoggedEvent {
        let body = EventBody::Msg {
            channel: "general".into(),
            c: c.into(),
            enc: None,
            reply_to: None,
        };
        event(id, seq, id * 10, "alice", body)
    }

    fn react(target: i64, seq: i64, user: &str, on: bool) -> LoggedEvent {
        let body = EventBody::React {
            channel: "general".into(),
            target,
            emoji: "👍".into(),
            on,
        };
        event(100 + seq, seq, 1000 + seq, user, body)
    }

    #[test]
    fn keeps_the_newest_capacity_messages_in_seq_order() {
        let mut ring = Ring::from_folded(Vec::new(), 3);
        for i in 1..=5 {
            ring.apply(&msg(i, i, "x"));
        }
        let seqs: Vec<i64> = ring.snapshot().iter().map(|m| m.seq).collect();
        assert_eq!(seqs, vec![3, 4, 5]);
        ring.apply(&msg(4, 4, "again"));
        assert_eq!(ring.len(), 3);
    }

    #[test]
    fn folds_edits_reactions_and_deletions() {
        let mut ring = Ring::from_folded(Vec::new(), 10);
        ring.apply(&msg(1, 1, "hello"));
        let edit = EventBody::Edit {
            channel: "general".into(),
            target: 1,
            c: "hello, fixed".into(),
            enc: None,
        };
        ring.apply(&event(102, 2, 77, "alice", edit));
        ring.apply(&react(1, 3, "bob", true));
        ring.apply(&react(1, 4, "carol", true));
        ring.apply(&react(1, 5, "bob", false));
        ring.apply(&react(1, 5, "bob", false));
        let folded = &ring.snapshot()[0];
        assert_eq!(folded.c.as_deref(), Some("hello, fixed"));
        assert_eq!(folded.edited, Some(77));
        let reacts = folded.reacts.clone().unwrap_or_default();
        assert_eq!(reacts.get("👍"), Some(&vec!["carol".to_string()]));

        let delete = EventBody::Delete {
            channel: "general".into(),
            target: 1,
        };
        ring.apply(&event(106, 6, 90, "alice", delete));
        ring.apply(&react(1, 7, "dave", true));
        let folded = &ring.snapshot()[0];
        assert!(folded.deleted);
        assert_eq!(
            (folded.c.clone(), folded.edited, folded.reacts.clone()),
            (None, None, None)
        );
        assert_eq!((folded.id, folded.seq, folded.ts), (1, 1, 10));
    }

    #[test]
    fn removing_the_last_reaction_drops_the_map() {
        let mut ring = Ring::from_folded(Vec::new(), 10);
        ring.apply(&msg(1, 1, "hello"));
        ring.apply(&react(1, 2, "bob", true));
        ring.apply(&react(1, 3, "BOB", false));
        assert_eq!(ring.snapshot()[0].reacts, None);
    }
}
