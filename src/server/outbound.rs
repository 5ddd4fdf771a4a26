//! The sending side of one connection as the rest of the server sees it: `ConnHandle` holds the
//! bounded outbound text queue, the lossy voice queue and the close request. Every sender (reply
//! path, fan-out dispatcher, presence, voice relay) uses `try_send` only, so nothing ever waits on a
//! slow client: a full text queue closes the connection with 1013 instead. The connection's
//! writer task (connection.rs) owns the receiving ends.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};

use bytes::Bytes;
use tokio::sync::{Notify, mpsc};
use tokio_tungstenite::tungstenite::Utf8Bytes;

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

/// One item of a connection's outbound text queue.
#[derive(Debug)]
pub enum Outbound {
    /// A serialized server frame, shared between all receivers of a broadcast.
    Text(Utf8Bytes),
    /// Send this close frame after everything queued before it, then stop.
    Close(u16, &'static str),
}

/// A request to close a connection, honoured by its writer task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseRequest {
    pub code: u16,
    /// Write what is already queued before the close frame (false: close at once).
    pub drain_queue: bool,
}

/// The server's handle on one connection.
#[derive(Debug)]
pub struct ConnHandle {
    pub id: u64,
    /// The authenticated user as registered, set once at login.
    user: OnceLock<String>,
    text: mpsc::Sender<Outbound>,
    voice: mpsc::Sender<Bytes>,
    close_code: AtomicU16,
    close_drain: AtomicBool,
    close_notify: Notify,
}

/// The receiving ends owned by the connection's writer task.
#[derive(Debug)]
pub struct OutboundQueues {
    pub text: mpsc::Receiver<Outbound>,
    pub voice: mpsc::Receiver<Bytes>,
}

impl ConnHandle {
    /// A new handle and the queues its writer drains.
    pub fn new(id: u64, queue_depth: usize, voice_depth: usize) -> (ConnHandle, OutboundQueues) {
        let (text_tx, text_rx) = mpsc::channel(queue_depth.max(2));
        let (voice_tx, voice_rx) = mpsc::channel(voice_depth.max(1));
        let handle = ConnHandle {
            id,
            user: OnceLock::new(),
            text: text_tx,
            voice: voice_tx,
            close_code: AtomicU16::new(0),
            close_drain: AtomicBool::new(false),
            close_notify: Notify::new(),
        };
        let queues = OutboundQueues {
            text: text_rx,
            voice: voice_rx,
        };
        (handle, queues)
    }

    /// The authenticated user, if any.
    pub fn user(&self) -> Option<&str> {
        self.user.get().map(String::as_str)
    }

    pub(crate) fn set_user(&self, name: &str) {
        let _ = self.user.set(name.to_string());
    }

    /// Queues an already serialized frame. A full queue closes the connection with 1013.
    pub fn send_text(&self, text: &Utf8Bytes) {
        self.push(Outbound::Text(text.clone()));
    }

    /// Serializes and queues one frame for this connection only.
    pub fn send_frame(&self, frame: &ServerFrame) {
        self.push(Outbound::Text(Utf8Bytes::from(frame.to_json())));
    }

    /// Queues a close frame behind what is already queued (or closes at once if the queue is full).
    pub fn send_close(&self, code: u16, reason: &'static str) {
        if self.is_closing() {
            return;
        }
        if self.text.try_send(Outbound::Close(code, reason)).is_err() {
            self.request_close(code, false);
        }
    }

    /// Queues a voice frame; dropped silently when this receiver is behind.
    pub fn send_voice(&self, frame: &Bytes) {
        if !self.is_closing() {
            let _ = self.voice.try_send(frame.clone());
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
            self.close_notify.notify_one();
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

    /// Whether a close has been requested or the writer is gone.
    pub fn is_closing(&self) -> bool {
        self.close_code.load(Ordering::Acquire) != 0 || self.text.is_closed()
    }

    /// Resolves once a close has been requested.
    pub async fn closed_requested(&self) -> CloseRequest {
        loop {
            let notified = self.close_notify.notified();
            if let Some(request) = self.close_request() {
                return request;
            }
            notified.await;
        }
    }

    fn push(&self, item: Outbound) {
        match self.text.try_send(item) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::info!(
                    conn = self.id,
                    "outbound queue full; closing slow connection"
                );
                self.request_close(CLOSE_SLOW_CONSUMER, false);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_queue_requests_close_1013_and_first_request_wins() {
        let (handle, _queues) = ConnHandle::new(1, 2, 1);
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
        let (handle, _queues) = ConnHandle::new(1, 2, 1);
        let frame = Bytes::from_static(b"v");
        for _ in 0..10 {
            handle.send_voice(&frame);
        }
        assert_eq!(handle.close_request(), None);
    }
}
