//! The outbox: every stored event the user submits (a channel message, a DM, an edit, a
//! deletion, a reaction) is queued here, in order, and sent one at a time by the app's sender
//! task (`app::outbox_sender`), so nothing typed is lost to timing. While the connection is
//! down (from `Disconnected` until the resume's `CaughtUp`) lines wait, visibly; a line whose
//! request failed without an answer (the connection dropped, or no answer in time) is *in
//! doubt* and is settled after the resume: if the server's replay holds our own event with the
//! same scope and the same body (a sealed or DM envelope is unique, its nonce is random) it was
//! stored and is not sent again, otherwise it is resent. The queue is bounded
//! ([`OUTBOX_CAPACITY`]): a line that does not fit is refused at once, by name.
//! Pure bookkeeping, no I/O; used by `client::app`.

use std::collections::VecDeque;

use tokio::sync::watch;

use crate::proto::{ClientFrame, ServerFrame};

/// Lines that may wait to be sent at once.
pub const OUTBOX_CAPACITY: usize = 200;

/// How a submitted event shows up again when the server stored it: our own `msg` in a
/// channel or our own `dm` to a peer, with exactly this body.
#[derive(Debug, Clone, PartialEq, Eq)]
enum OwnEcho {
    Msg {
        channel: String,
        body: String,
    },
    Dm {
        peer: String,
        body: String,
    },
    /// Edits, deletions and reactions: sending them twice changes nothing a reader sees
    /// (a repeated deletion's `no_such_message` counts as done), so they are simply resent.
    Unmatched,
}

impl OwnEcho {
    fn of_request(frame: &ClientFrame) -> OwnEcho {
        match frame {
            ClientFrame::Msg(msg) => OwnEcho::Msg {
                channel: msg.ch.clone(),
                body: msg.c.clone(),
            },
            ClientFrame::Dm(dm) => OwnEcho::Dm {
                peer: dm.to.to_ascii_lowercase(),
                body: dm.c.clone(),
            },
            _ => OwnEcho::Unmatched,
        }
    }

    fn of_event(frame: &ServerFrame, me: &str) -> Option<OwnEcho> {
        match frame {
            ServerFrame::Msg(message) if message.u.eq_ignore_ascii_case(me) => Some(OwnEcho::Msg {
                channel: message.ch.clone(),
                body: message.c.clone()?,
            }),
            ServerFrame::Dm(dm) if dm.from.eq_ignore_ascii_case(me) => Some(OwnEcho::Dm {
                peer: dm.to.to_ascii_lowercase(),
                body: dm.c.clone(),
            }),
            _ => None,
        }
    }
}

/// One queued event.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    /// Rises by one per submitted line, for the whole run.
    pub number: u64,
    pub frame: ClientFrame,
    /// What the user sees of it: the place and the start of the text.
    pub label: String,
    /// How many times it was handed out for sending.
    pub attempts: u32,
    echo: OwnEcho,
    /// The request failed without an answer in this connection generation.
    in_doubt_since: Option<u64>,
    /// Our own event with this body was seen: the server stored it.
    confirmed: bool,
}

/// What the sender should do next.
#[derive(Debug)]
pub enum NextStep {
    /// Send this (the head, again when `attempts > 1`).
    Send(OutboxItem),
    /// The head was stored after all (seen in the replay); it was removed.
    Confirmed(OutboxItem),
    /// Nothing to do until the outbox changes.
    Wait,
    /// The outbox was closed.
    Closed,
}

/// Why a line was not queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxFull {
    pub waiting: usize,
}

#[derive(Debug, Default)]
struct Queue {
    items: VecDeque<OutboxItem>,
    /// Connected and caught up: sending is possible.
    ready: bool,
    /// Counts the times the outbox became ready (the first login, every resume).
    generation: u64,
    next_number: u64,
    closed: bool,
    /// Lines queued while not ready, announced as sent once the queue is empty again.
    queued_offline: usize,
}

/// The queue shared by the app (which pushes and observes) and its sender task.
pub struct Outbox {
    queue: std::sync::Mutex<Queue>,
    /// Bumped on every change; the sender waits on it.
    changes: watch::Sender<u64>,
}

impl Default for Outbox {
    fn default() -> Self {
        Outbox::new()
    }
}

impl Outbox {
    /// An empty outbox, not ready until [`Outbox::set_ready`].
    pub fn new() -> Outbox {
        Outbox {
            queue: std::sync::Mutex::new(Queue::default()),
            changes: watch::Sender::new(0),
        }
    }

    fn with<R>(&self, change: impl FnOnce(&mut Queue) -> R) -> R {
        self.with_version(change).0
    }

    /// Changes the queue and bumps the change counter under the same lock, so a waiter that
    /// read the counter with the queue never misses a later change.
    fn with_version<R>(&self, change: impl FnOnce(&mut Queue) -> R) -> (R, u64) {
        let mut queue = self
            .queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let result = change(&mut queue);
        self.changes.send_modify(|version| *version += 1);
        (result, *self.changes.borrow())
    }

    fn read<R>(&self, look: impl FnOnce(&Queue) -> R) -> R {
        let queue = self
            .queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        look(&queue)
    }

    /// Queues `frame`; returns how many lines wait before it and whether sending is possible
    /// right now, or [`OutboxFull`].
    pub fn push(&self, frame: ClientFrame, label: String) -> Result<(usize, bool), OutboxFull> {
        self.with(|queue| {
            if queue.items.len() >= OUTBOX_CAPACITY {
                return Err(OutboxFull {
                    waiting: queue.items.len(),
                });
            }
            queue.next_number += 1;
            let ahead = queue.items.len();
            if !queue.ready {
                queue.queued_offline += 1;
            }
            queue.items.push_back(OutboxItem {
                number: queue.next_number,
                echo: OwnEcho::of_request(&frame),
                frame,
                label,
                attempts: 0,
                in_doubt_since: None,
                confirmed: false,
            });
            Ok((ahead, queue.ready))
        })
    }

    /// Lines waiting (including one being sent).
    pub fn waiting(&self) -> usize {
        self.read(|queue| queue.items.len())
    }

    /// The labels of the waiting lines, oldest first.
    pub fn labels(&self) -> Vec<String> {
        self.read(|queue| queue.items.iter().map(|item| item.label.clone()).collect())
    }

    /// Connected and caught up (the first login, or a resume's `CaughtUp`): starts a new
    /// generation, so a line in doubt is settled and resent if it was not seen.
    pub fn set_ready(&self) {
        self.with(|queue| {
            queue.ready = true;
            queue.generation += 1;
        });
    }

    /// The connection dropped: nothing is sent until [`Outbox::set_ready`].
    pub fn set_not_ready(&self) {
        self.with(|queue| queue.ready = false);
    }

    /// Whether sending is possible now.
    pub fn is_ready(&self) -> bool {
        self.read(|queue| queue.ready)
    }

    /// Stops the sender; returns the lines that were never sent.
    pub fn close(&self) -> Vec<OutboxItem> {
        self.with(|queue| {
            queue.closed = true;
            queue.items.drain(..).collect()
        })
    }

    /// An event the server sent (live or replayed): when it is our own copy of the head, the
    /// head was stored.
    pub fn observe(&self, frame: &ServerFrame, me: &str) {
        let Some(echo) = OwnEcho::of_event(frame, me) else {
            return;
        };
        let matched = self.read(|queue| {
            queue
                .items
                .front()
                .is_some_and(|head| head.attempts > 0 && !head.confirmed && head.echo == echo)
        });
        if matched {
            self.with(|queue| {
                if let Some(head) = queue.items.front_mut() {
                    head.confirmed = true;
                }
            });
        }
    }

    /// What the sender does next (see [`NextStep`]), and the change counter to wait on with
    /// [`Outbox::changed_since`] when it is [`NextStep::Wait`].
    pub fn next_step(&self) -> (NextStep, u64) {
        self.with_version(|queue| {
            if queue.closed {
                return NextStep::Closed;
            }
            let (ready, generation) = (queue.ready, queue.generation);
            let Some(head) = queue.items.front_mut() else {
                return NextStep::Wait;
            };
            if head.confirmed && head.in_doubt_since.is_some() {
                let done = queue.items.pop_front().expect("the head exists");
                return NextStep::Confirmed(done);
            }
            let settled = head.in_doubt_since.is_none_or(|since| generation > since);
            if !ready || !settled || (head.attempts > 0 && head.in_doubt_since.is_none()) {
                return NextStep::Wait;
            }
            head.in_doubt_since = None;
            head.attempts += 1;
            NextStep::Send(head.clone())
        })
    }

    /// The server answered line `number` (stored, or refused): it leaves the queue. Returns
    /// how many lines queued while offline were sent, once the queue is empty.
    pub fn finish(&self, number: u64) -> Option<usize> {
        self.with(|queue| {
            if queue
                .items
                .front()
                .is_some_and(|head| head.number == number)
            {
                queue.items.pop_front();
            }
            if queue.items.is_empty() && queue.queued_offline > 0 {
                return Some(std::mem::take(&mut queue.queued_offline));
            }
            None
        })
    }

    /// Line `number` got no answer (the connection dropped or the request timed out): it waits
    /// for the next generation, or for its own event to be seen.
    pub fn mark_in_doubt(&self, number: u64) {
        self.with(|queue| {
            let generation = queue.generation;
            if let Some(head) = queue.items.front_mut()
                && head.number == number
            {
                head.in_doubt_since = Some(generation);
            }
        });
    }

    /// Waits until anything changed after `seen` (the counter [`Outbox::next_step`] returned).
    pub async fn changed_since(&self, seen: u64) {
        let mut watcher = self.changes.subscribe();
        let _ = watcher.wait_for(|version| *version != seen).await;
    }

    /// Waits (at most `limit`) until the outbox is empty.
    pub async fn drained(&self, limit: std::time::Duration) -> bool {
        let mut watcher = self.changes.subscribe();
        let empty = async {
            // The queue lock is never taken inside the watch's lock (see `with_version`).
            while self.waiting() > 0 {
                if watcher.changed().await.is_err() {
                    return;
                }
            }
        };
        tokio::time::timeout(limit, empty).await.is_ok()
    }
}

#[cfg(test)]
mod tests;
