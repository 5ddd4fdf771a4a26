//! The sending side of one connection as the rest of the server sees it: `ConnHandle` holds the
//! outbound queues (`outbox::Outbox`: the bounded text queue and the lossy voice queue) and the
//! close request.
//! Every sender (reply path, fan-out dispatcher, presence, voice relay) pushes without waiting,
//! so nothing ever waits on a slow client: a full text queue closes the connection with 1013
//! instead. The text queue is bounded both in frames and in bytes, so a client that never reads
//! cannot pin large replies (a `joined` with a big `hist`, history pages) in server memory by the
//! thousand; its bytes (until the writer has flushed them to the socket) are also charged to the
//! server-wide `outbound_budget::OutboundBudget`, which closes the largest queues first when it
//! is full. A broadcast charges that budget once for all its receivers
//! ([`ConnHandle::send_text_uncharged`]). The connection's writer task (socket_writer.rs) owns
//! the receiving ends.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};

use bytes::Bytes;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::outbound_budget::OutboundBudget;
pub use super::outbox::{Outbound, TextQueue};
use super::outbox::{Outbox, PushRefused};
use crate::model::UserName;
use crate::proto::ServerFrame;

/// Close code sent to a client whose outbound queue overflowed ("try again later").
pub const CLOSE_SLOW_CONSUMER: u16 = 1013;
/// Close code for server shutdown ("going away").
pub const CLOSE_GOING_AWAY: u16 = 1001;
/// Close code for an oversized client message.
pub const CLOSE_TOO_BIG: u16 = 1009;
/// Close code for an authentication timeout or an idle client (policy violation).
pub const CLOSE_POLICY: u16 = 1008;
/// Close code for the server refusing more connections.
pub const CLOSE_TRY_AGAIN: u16 = 1013;

/// A request to close a connection, honoured by its writer task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseRequest {
    pub code: u16,
    /// Write what is already queued before the close frame (false: close at once).
    pub drain_queue: bool,
}

/// How much a connection's outbound queues hold at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLimits {
    /// Text frames queued before the connection is closed with 1013.
    pub frames: usize,
    /// Bytes of text frames queued before the connection is closed with 1013.
    pub bytes: usize,
    /// Voice frames queued; more are dropped.
    pub voice: usize,
}

/// The server's handle on one connection.
#[derive(Debug)]
pub struct ConnHandle {
    pub id: u64,
    /// The authenticated user as registered, set once at login.
    user: OnceLock<UserName>,
    /// The text and voice queues.
    text: Arc<Outbox>,
    /// The server-wide budget queued text is also charged to.
    budget: OutboundBudget,
    close_code: AtomicU16,
    close_drain: AtomicBool,
    close_notify: Notify,
    /// The client asked for `presences` frames at `auth` (set before it is subscribed).
    presence_batches: AtomicBool,
}

/// The receiving ends owned by the connection's writer task.
#[derive(Debug)]
pub struct OutboundQueues {
    /// The text and voice frames queued.
    pub text: TextQueue,
}

impl ConnHandle {
    /// A new handle and the queues its writer drains: at most `limits.frames` text frames and
    /// `limits.bytes` bytes of them queued (also charged to `budget`), and `limits.voice` voice
    /// frames.
    pub fn new(
        id: u64,
        limits: QueueLimits,
        budget: OutboundBudget,
    ) -> (ConnHandle, OutboundQueues) {
        let outbox = Arc::new(Outbox::new(
            limits.frames.max(2),
            limits.bytes,
            limits.voice.max(1),
        ));
        let handle = ConnHandle {
            id,
            user: OnceLock::new(),
            text: outbox.clone(),
            budget: budget.clone(),
            close_code: AtomicU16::new(0),
            close_drain: AtomicBool::new(false),
            close_notify: Notify::new(),
            presence_batches: AtomicBool::new(false),
        };
        let queues = OutboundQueues {
            text: TextQueue::new(outbox, budget),
        };
        (handle, queues)
    }

    /// Bytes queued for this connection (or taken by its writer and not yet flushed).
    pub fn queued_bytes(&self) -> usize {
        self.text.queued_bytes()
    }

    /// The server-wide budget this connection's queued text is charged to.
    pub(crate) fn budget(&self) -> &OutboundBudget {
        &self.budget
    }

    /// The authenticated user, if any.
    pub fn user(&self) -> Option<&UserName> {
        self.user.get()
    }

    pub(crate) fn set_user(&self, name: &UserName) {
        let _ = self.user.set(name.clone());
    }

    /// The client understands `presences` (`auth.presences`); set before it is subscribed.
    pub(crate) fn set_presence_batches(&self) {
        self.presence_batches.store(true, Ordering::Release);
    }

    pub fn wants_presence_batches(&self) -> bool {
        self.presence_batches.load(Ordering::Acquire)
    }

    /// Queues an already serialized frame. A full queue closes the connection with 1013.
    pub fn send_text(&self, text: &Utf8Bytes) {
        if self.send_text_uncharged(text) {
            self.budget.charge(text.len());
        }
    }

    /// Queues an already serialized frame without charging the server-wide budget: the caller
    /// charges what was queued right after (a broadcast charges once for all its receivers).
    /// Returns whether it was queued. A full queue closes the connection with 1013.
    pub fn send_text_uncharged(&self, text: &Utf8Bytes) -> bool {
        if self.close_request().is_some() {
            // Nothing queued behind a close will be written.
            return false;
        }
        match self.text.push(Outbound::Text(text.clone())) {
            Ok(()) => true,
            Err(refused) => {
                self.refused(refused);
                false
            }
        }
    }

    /// Serializes and queues one frame for this connection only.
    pub fn send_frame(&self, frame: &ServerFrame) {
        self.send_text(&Utf8Bytes::from(frame.to_json()));
    }

    /// Queues a close frame behind what is already queued (or closes at once if the queue is full).
    pub fn send_close(&self, code: u16, reason: &'static str) {
        if self.is_closing() {
            return;
        }
        if self.text.push(Outbound::Close(code, reason)).is_err() {
            self.request_close(code, false);
        }
    }

    /// Queues a voice frame; dropped silently when this receiver is behind.
    pub fn send_voice(&self, frame: &Bytes) {
        if !self.is_closing() {
            self.text.push_voice(frame.clone());
        }
    }

    /// Asks the writer to close the connection with `code` (the first request wins).
    pub fn request_close(&self, code: u16, drain_queue: bool) {
        if self
            .close_code
            .compare_exchange(0, code, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.close_drain.store(drain_queue, Ordering::Release);
            // The reader waits on the notify, the writer (when parked) on its outbox.
            self.close_notify.notify_waiters();
            self.text.wake_writer();
        }
    }

    /// The pending close request, if any.
    pub fn close_request(&self) -> Option<CloseRequest> {
        match self.close_code.load(Ordering::Acquire) {
            0 => None,
            code => Some(CloseRequest {
                code,
                drain_queue: self.close_drain.load(Ordering::Acquire),
            }),
        }
    }

    /// Whether a close has been requested or the writer has discarded the queue.
    pub fn is_closing(&self) -> bool {
        self.close_code.load(Ordering::Acquire) != 0 || self.text.is_discarded()
    }

    /// Resolves once a close has been requested. A `Notified` created before `notify_waiters`
    /// completes even if first polled afterwards, so checking after creating it loses nothing.
    pub async fn closed_requested(&self) -> CloseRequest {
        loop {
            let notified = self.close_notify.notified();
            if let Some(request) = self.close_request() {
                return request;
            }
            notified.await;
        }
    }

    /// Closes this connection for not reading (counted by the server-wide budget).
    fn close_slow(&self) {
        if self.close_request().is_none() {
            self.budget.note_slow_close();
        }
        self.request_close(CLOSE_SLOW_CONSUMER, false);
    }

    fn refused(&self, refused: PushRefused) {
        match refused {
            PushRefused::FramesFull => {
                tracing::info!(
                    conn = self.id,
                    "outbound queue full; closing slow connection"
                );
                self.close_slow();
            }
            PushRefused::BytesFull => {
                tracing::info!(
                    conn = self.id,
                    "outbound queue over its byte budget; closing slow connection"
                );
                self.close_slow();
            }
            PushRefused::Discarded => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(frames: usize, bytes: usize) -> QueueLimits {
        QueueLimits {
            frames,
            bytes,
            voice: 1,
        }
    }

    #[test]
    fn queued_bytes_over_the_budget_request_close_1013_and_the_writer_frees_them() {
        let budget = OutboundBudget::new(1 << 20);
        let (handle, mut queues) = ConnHandle::new(1, limits(100, 10), budget.clone());
        let big = Utf8Bytes::from("x".repeat(25));
        // One frame larger than the whole budget still fits into an empty queue.
        handle.send_text(&big);
        assert_eq!(handle.close_request(), None);
        assert!(queues.text.try_fill());
        assert!(matches!(queues.text.next_item(), Some(Outbound::Text(_))));
        // Taken by the writer, it stays charged until it is flushed.
        assert_eq!((handle.queued_bytes(), budget.queued_bytes()), (25, 25));
        queues.text.written();
        assert_eq!((handle.queued_bytes(), budget.queued_bytes()), (0, 0));
        let small = Utf8Bytes::from_static("12345");
        handle.send_text(&small);
        handle.send_text(&small);
        assert_eq!(handle.close_request(), None);
        handle.send_text(&small);
        assert_eq!(
            handle.close_request().map(|r| r.code),
            Some(CLOSE_SLOW_CONSUMER)
        );
    }

    #[test]
    fn full_queue_requests_close_1013_and_first_request_wins() {
        let (handle, _queues) = ConnHandle::new(1, limits(2, 1 << 20), OutboundBudget::default());
        let frame = Utf8Bytes::from_static("{}");
        handle.send_text(&frame);
        handle.send_text(&frame);
        assert_eq!(handle.close_request(), None);
        handle.send_text(&frame);
        assert_eq!(
            handle.close_request(),
            Some(CloseRequest {
                code: CLOSE_SLOW_CONSUMER,
                drain_queue: false
            })
        );
        handle.request_close(CLOSE_GOING_AWAY, true);
        assert_eq!(
            handle.close_request().map(|r| r.code),
            Some(CLOSE_SLOW_CONSUMER)
        );
    }

    #[test]
    fn voice_overflow_is_dropped_without_closing() {
        let (handle, _queues) = ConnHandle::new(1, limits(2, 1 << 20), OutboundBudget::default());
        let frame = Bytes::from_static(b"v");
        for _ in 0..10 {
            handle.send_voice(&frame);
        }
        assert_eq!(handle.close_request(), None);
    }

    #[test]
    fn a_full_server_budget_closes_the_largest_queue_and_dropping_it_returns_its_bytes() {
        let budget = OutboundBudget::new(100);
        let open = |id| {
            let (handle, queues) = ConnHandle::new(id, limits(100, 1 << 20), budget.clone());
            let handle = Arc::new(handle);
            budget.enroll(&handle);
            (handle, queues)
        };
        let (small, _small_queues) = open(1);
        let (large, large_queues) = open(2);
        small.send_text(&Utf8Bytes::from("s".repeat(30)));
        large.send_text(&Utf8Bytes::from("l".repeat(70)));
        assert_eq!(budget.queued_bytes(), 100);
        // The small queue's push takes the total over 100: the largest queue is closed, not it.
        small.send_text(&Utf8Bytes::from("s".repeat(30)));
        assert_eq!(
            large.close_request().map(|r| r.code),
            Some(CLOSE_SLOW_CONSUMER)
        );
        assert_eq!(small.close_request(), None);
        assert_eq!((budget.peak_bytes(), budget.slow_closes()), (130, 1));
        drop(large_queues);
        assert_eq!(budget.queued_bytes(), 60);
    }

    #[tokio::test]
    async fn a_close_request_wakes_every_waiter() {
        let (handle, _queues) = ConnHandle::new(1, limits(2, 1 << 20), OutboundBudget::default());
        let handle = std::sync::Arc::new(handle);
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let handle = handle.clone();
                tokio::spawn(async move { handle.closed_requested().await })
            })
            .collect();
        tokio::task::yield_now().await;
        handle.request_close(CLOSE_GOING_AWAY, true);
        for waiter in waiters {
            let request = tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
                .await
                .expect("woken")
                .expect("task");
            assert_eq!(request.code, CLOSE_GOING_AWAY);
        }
    }
}
