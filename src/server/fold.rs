//! The in-memory ring of a channel's most recent messages in FOLDED form (PROTOCOL.md §5): the
//! last `capacity` `msg` events with later edits, deletions and reactions applied. The fan-out
//! dispatcher applies every committed channel event in `seq` order; `join` copies the ring into
//! `joined.hist` without touching SQLite. Re-applying an event the ring already reflects is
//! harmless (every operation is "set to"), which lets the ring be loaded lazily from the store.
//! The folding itself is `model::fold`, the same code the store and the client call.

use std::collections::VecDeque;

use crate::model::fold;
use crate::proto::{MessageEvent, ServerFrame};

/// Recent folded messages of one channel, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Ring {
    events: VecDeque<MessageEvent>,
    capacity: usize,
}

impl Ring {
    /// A ring seeded with folded messages (oldest first), keeping the newest `capacity`.
    pub fn from_folded(events: Vec<MessageEvent>, capacity: usize) -> Ring {
        let mut ring = Ring {
            events: VecDeque::with_capacity(events.len().min(capacity)),
            capacity,
        };
        for event in events {
            ring.push_message(event);
        }
        ring
    }

    /// The folded messages, oldest first.
    pub fn snapshot(&self) -> Vec<MessageEvent> {
        self.events.iter().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Applies one raw channel event (`msg`, `edit`, `delete`, `react`); other frames are ignored.
    pub fn apply(&mut self, frame: &ServerFrame) {
        if let ServerFrame::Msg(message) = frame {
            self.push_message(message.clone());
        } else if let Some((target, change)) = frame.change()
            && let Some(message) = self.find(target)
        {
            fold::apply(message, &change);
        }
    }

    fn push_message(&mut self, message: MessageEvent) {
        if self.capacity == 0 {
            return;
        }
        if self
            .events
            .back()
            .is_some_and(|last| message.seq <= last.seq)
        {
            // Already reflected (a re-application after a lazy load), or out of order.
            return;
        }
        if self.events.len() >= self.capacity {
            self.events.pop_front();
        }
        self.events.push_back(message);
    }

    fn find(&mut self, id: i64) -> Option<&mut MessageEvent> {
        self.events.iter_mut().rev().find(|m| m.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{DeleteEvent, EditEvent, ReactEvent};

    fn msg(id: i64, seq: i64, c: &str) -> ServerFrame {
        ServerFrame::Msg(MessageEvent {
            ch: "general".into(),
            id,
            seq,
            u: "alice".into(),
            c: Some(c.into()),
            ts: id * 10,
            enc: None,
            reply_to: None,
            edited: None,
            deleted: false,
            reacts: None,
        })
    }

    fn react(target: i64, seq: i64, user: &str, on: bool) -> ServerFrame {
        ServerFrame::React(ReactEvent {
            ch: "general".into(),
            id: target,
            seq,
            u: user.into(),
            emoji: "👍".into(),
            on,
            ts: 1000 + seq,
        })
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
        ring.apply(&ServerFrame::Edit(EditEvent {
            ch: "general".into(),
            id: 1,
            seq: 2,
            u: "alice".into(),
            c: "hello, fixed".into(),
            ts: 77,
            enc: None,
        }));
        ring.apply(&react(1, 3, "bob", true));
        ring.apply(&react(1, 4, "carol", true));
        ring.apply(&react(1, 5, "bob", false));
        ring.apply(&react(1, 5, "bob", false));
        let folded = &ring.snapshot()[0];
        assert_eq!(folded.c.as_deref(), Some("hello, fixed"));
        assert_eq!(folded.edited, Some(77));
        let reacts = folded.reacts.clone().unwrap_or_default();
        assert_eq!(reacts.get("👍"), Some(&vec!["carol".to_string()]));

        ring.apply(&ServerFrame::Delete(DeleteEvent {
            ch: "general".into(),
            id: 1,
            seq: 6,
            u: "alice".into(),
            ts: 90,
        }));
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
