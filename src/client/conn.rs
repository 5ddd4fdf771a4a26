//! One live WebSocket connection to a chatify server: a reader task that routes replies to the
//! request that is waiting for them (matched by `rid`) and everything else to an event stream,
//! and a writer task fed by a queue. [`Connection::request`] sends a frame with a fresh `rid`
//! and awaits its reply with a timeout. Accepts server frames of at least 8 MiB.
//! Used by `client::session` (authentication, reconnect, resume) and nothing else directly.
//!
//! Both queues are bounded. Inbound, the reader charges every frame's size to a byte budget
//! ([`INBOUND_QUEUE_BYTES`]) before queueing it, and the budget is given back when the consumer
//! takes the event: when the budget is spent the reader stops reading the socket (back-pressure;
//! a server that cannot send then closes us with 1013 and we resume by seq). A reply never
//! waits behind that queue, but it does wait behind the frames before it on the socket: when a
//! request is pending and the queue stays full for [`STALL_GRACE`], the consumer may itself be
//! the one waiting for that reply, so the reader drops the connection (pending requests fail at
//! once with `Disconnected`) and the session resumes and catches up by seq. Outbound, at most
//! [`OUTBOUND_CAPACITY`] frames wait for the writer; a request waits for room within its own
//! timeout, a fire-and-forget frame is refused with [`ClientError::Busy`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::proto::{self, ClientFrame, ErrorCode, ServerFrame};

/// Largest server frame this client accepts (16 MiB; the protocol asks for at least 8 MiB).
pub const MAX_INBOUND_FRAME: usize = 2 * proto::CLIENT_MAX_INBOUND_FRAME;

/// Bytes of server frames the reader may queue before it stops reading the socket.
pub const INBOUND_QUEUE_BYTES: usize = 4 * 1024 * 1024;
/// Charged per queued event on top of its size, so tiny frames are bounded in number too.
const INBOUND_EVENT_OVERHEAD: usize = 256;
/// How long the inbound queue may stay full while a request waits for its reply.
pub const STALL_GRACE: Duration = Duration::from_secs(2);
/// Frames that may wait for the writer task.
pub const OUTBOUND_CAPACITY: usize = 256;

/// Errors of the protocol client, which callers can branch on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("{0:?} is not a chatify server address (use ws://host:port or wss://host:port)")]
    BadUrl(String),
    #[error("cannot connect to {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("not connected to the server")]
    Disconnected,
    #[error("the server did not answer within {} s", .0.as_secs())]
    Timeout(Duration),
    /// The send queue is full: the server is not reading what we send.
    #[error("the server is not keeping up; not sent")]
    Busy,
    /// The server refused the request with an `err` frame.
    #[error("{message}")]
    Server { code: ErrorCode, message: String },
    #[error("unexpected reply from the server: {0}")]
    Unexpected(String),
    /// No saved session was usable and no password was given.
    #[error("a password is needed to log in as {0}")]
    PasswordNeeded(String),
    #[error("{0}")]
    Storage(String),
    /// TLS trust: plain ws:// refused, a changed pinned certificate, an untrusted certificate.
    #[error("{0}")]
    Trust(String),
}

impl ClientError {
    /// The server's error code, when the server refused.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ClientError::Server { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// What the reader task reports besides replies.
#[derive(Debug)]
pub enum ConnEvent {
    /// An unsolicited server frame (a broadcast, presence, …).
    Frame(ServerFrame),
    /// A voice frame: sender and payload.
    Voice { from: String, payload: Vec<u8> },
    /// The connection ended; `code` is the WebSocket close code when the server sent one.
    Closed { code: Option<u16>, reason: String },
}

/// The event stream of one connection, bounded in bytes: taking an event gives its share of
/// [`INBOUND_QUEUE_BYTES`] back to the reader.
#[derive(Debug)]
pub struct ConnEvents {
    receiver: mpsc::UnboundedReceiver<(ConnEvent, OwnedSemaphorePermit)>,
}

impl ConnEvents {
    /// The next event; `None` once the reader has ended and everything was taken.
    pub async fn recv(&mut self) -> Option<ConnEvent> {
        let (event, _budget) = self.receiver.recv().await?;
        Some(event)
    }
}

type PendingReplies = Arc<Mutex<HashMap<String, oneshot::Sender<ServerFrame>>>>;

/// A live connection. Cheap to share behind an `Arc`; every method takes `&self`.
#[derive(Debug)]
pub struct Connection {
    outbound: mpsc::Sender<Message>,
    pending: PendingReplies,
    /// Woken when a request starts waiting, so a reader stuck on a full queue re-checks.
    request_waiting: Arc<tokio::sync::Notify>,
    next_rid: AtomicU64,
    closed: Arc<AtomicBool>,
    kill: Arc<tokio::sync::Notify>,
}

/// Opens a WebSocket to `url` (`ws://host:port`, `wss://host:port`, or `host:port`) with the
/// transport rules of `security`.
pub async fn connect(
    url: &str,
    security: &crate::tls::ConnectSecurity,
    timeout: Duration,
) -> Result<(Connection, ConnEvents), ClientError> {
    let url = normalize_url(url)?;
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_INBOUND_FRAME))
        .max_frame_size(Some(MAX_INBOUND_FRAME));
    let attempt = super::dial::dial(&url, security, config);
    let socket =
        tokio::time::timeout(timeout, attempt)
            .await
            .map_err(|_| ClientError::Connect {
                url: url.clone(),
                reason: "timed out".into(),
            })??;
    let (sink, stream) = socket.split();
    let (outbound, outbound_rx) = mpsc::channel(OUTBOUND_CAPACITY);
    let (events, events_rx) = mpsc::unbounded_channel();
    let pending = PendingReplies::default();
    let request_waiting = Arc::new(tokio::sync::Notify::new());
    let closed = Arc::new(AtomicBool::new(false));
    let kill = Arc::new(tokio::sync::Notify::new());
    tokio::spawn(write_loop(sink, outbound_rx));
    let reader = Reader {
        events,
        budget: Arc::new(Semaphore::new(INBOUND_QUEUE_BYTES)),
        pending: pending.clone(),
        request_waiting: request_waiting.clone(),
        closed: closed.clone(),
        kill: kill.clone(),
    };
    tokio::spawn(reader.run(stream));
    let connection = Connection {
        outbound,
        pending,
        request_waiting,
        next_rid: AtomicU64::new(1),
        closed,
        kill,
    };
    Ok((
        connection,
        ConnEvents {
            receiver: events_rx,
        },
    ))
}

/// Accepts `ws://…`, `wss://…` and a bare `host[:port]` (taken as `ws://`, port 8765 when none).
pub fn normalize_url(url: &str) -> Result<String, ClientError> {
    let url = url.trim();
    if url.is_empty() || url.contains(char::is_whitespace) {
        return Err(ClientError::BadUrl(url.to_string()));
    }
    if url.starts_with("ws://") || url.starts_with("wss://") {
        return Ok(url.to_string());
    }
    if url.contains("://") {
        return Err(ClientError::BadUrl(url.to_string()));
    }
    // A bare host means chatify's port, not the WebSocket default of 80.
    let (authority, rest) = url.split_at(url.find('/').unwrap_or(url.len()));
    let has_port = match authority.strip_prefix('[') {
        Some(_) => authority.contains("]:"),
        None => authority.contains(':'),
    };
    if has_port {
        Ok(format!("ws://{url}"))
    } else {
        Ok(format!("ws://{authority}:{DEFAULT_PORT}{rest}"))
    }
}

/// The port `chatify serve` listens on by default, assumed for a bare `--server HOST`.
pub const DEFAULT_PORT: u16 = 8765;

/// Splits a server voice frame `[n][n bytes of sender][payload]`.
pub fn split_voice(bytes: &[u8]) -> Option<(String, Vec<u8>)> {
    let (&length, rest) = bytes.split_first()?;
    let length = usize::from(length);
    if rest.len() < length {
        return None;
    }
    let from = std::str::from_utf8(&rest[..length]).ok()?.to_string();
    Some((from, rest[length..].to_vec()))
}

impl Connection {
    /// Sends a frame that expects no reply (`typing`, `status`).
    pub fn send(&self, frame: &ClientFrame) -> Result<(), ClientError> {
        self.send_text(proto::encode_client_frame(frame, None))
    }

    /// Sends a binary voice payload.
    pub fn send_voice(&self, payload: Vec<u8>) -> Result<(), ClientError> {
        self.send_message(Message::Binary(payload.into()))
    }

    /// Sends `frame` with a fresh `rid` and waits for the reply that echoes it. An `err` reply
    /// becomes [`ClientError::Server`].
    pub async fn request(
        &self,
        frame: &ClientFrame,
        timeout: Duration,
    ) -> Result<ServerFrame, ClientError> {
        let rid = format!("r{}", self.next_rid.fetch_add(1, Ordering::Relaxed));
        let (reply_tx, reply_rx) = oneshot::channel();
        self.lock_pending().insert(rid.clone(), reply_tx);
        self.request_waiting.notify_one();
        let text = proto::encode_client_frame(frame, Some(&rid));
        let exchange = async {
            self.send_waiting_for_room(Message::Text(text.into()))
                .await?;
            reply_rx.await.map_err(|_| ClientError::Disconnected)
        };
        let outcome = tokio::time::timeout(timeout, exchange).await;
        self.lock_pending().remove(&rid);
        match outcome {
            Err(_) => Err(ClientError::Timeout(timeout)),
            Ok(Err(error)) => Err(error),
            Ok(Ok(ServerFrame::Err { code, m, .. })) => Err(ClientError::Server {
                code,
                // Shown on stderr by `connect` and the one-shot tools: sanitised here, once.
                message: crate::client::render::printable_line(&m),
            }),
            Ok(Ok(reply)) => Ok(reply),
        }
    }

    /// Whether the connection has ended.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Closes the connection politely (close code 1000); at once when the send queue is full.
    pub fn close(&self) {
        if let Err(ClientError::Busy) = self.send_message(Message::Close(None)) {
            self.abort();
        }
    }

    /// Drops the connection at once, without waiting for the server (e.g. it stopped answering).
    pub fn abort(&self) {
        self.kill.notify_one();
    }

    fn send_text(&self, text: String) -> Result<(), ClientError> {
        self.send_message(Message::Text(text.into()))
    }

    fn send_message(&self, message: Message) -> Result<(), ClientError> {
        if self.is_closed() {
            return Err(ClientError::Disconnected);
        }
        self.outbound
            .try_send(message)
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => ClientError::Busy,
                mpsc::error::TrySendError::Closed(_) => ClientError::Disconnected,
            })
    }

    /// Queues `message` for the writer, waiting while the queue is full (the caller bounds the
    /// wait with its timeout).
    async fn send_waiting_for_room(&self, message: Message) -> Result<(), ClientError> {
        if self.is_closed() {
            return Err(ClientError::Disconnected);
        }
        self.outbound
            .send(message)
            .await
            .map_err(|_| ClientError::Disconnected)
    }

    fn lock_pending(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<ServerFrame>>> {
        lock_replies(&self.pending)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.close();
    }
}

type WsStream = super::dial::Socket;

async fn write_loop(
    mut sink: futures_util::stream::SplitSink<WsStream, Message>,
    mut outbound: mpsc::Receiver<Message>,
) {
    while let Some(message) = outbound.recv().await {
        let closing = matches!(message, Message::Close(_));
        if sink.send(message).await.is_err() || closing {
            break;
        }
    }
    let _ = sink.close().await;
}

struct Reader {
    events: mpsc::UnboundedSender<(ConnEvent, OwnedSemaphorePermit)>,
    budget: Arc<Semaphore>,
    pending: PendingReplies,
    request_waiting: Arc<tokio::sync::Notify>,
    closed: Arc<AtomicBool>,
    kill: Arc<tokio::sync::Notify>,
}

/// Why the reader stopped reading.
struct ReaderEnd {
    code: Option<u16>,
    reason: String,
}

impl ReaderEnd {
    fn local(reason: &str) -> ReaderEnd {
        ReaderEnd {
            code: None,
            reason: reason.to_string(),
        }
    }
}

impl Reader {
    async fn run(self, mut stream: futures_util::stream::SplitStream<WsStream>) {
        let end = loop {
            let next = tokio::select! {
                next = stream.next() => next,
                () = self.kill.notified() => break ReaderEnd::local("the server stopped answering"),
            };
            let event = match next {
                Some(Ok(Message::Text(text))) => match route_text(text.as_str(), &self.pending) {
                    Some(frame) => (ConnEvent::Frame(frame), text.len()),
                    None => continue,
                },
                Some(Ok(Message::Binary(bytes))) => match split_voice(&bytes) {
                    Some((from, payload)) => (ConnEvent::Voice { from, payload }, bytes.len()),
                    None => continue,
                },
                Some(Ok(Message::Close(frame))) => {
                    break match frame {
                        Some(frame) => ReaderEnd {
                            code: Some(u16::from(frame.code)),
                            reason: frame.reason.to_string(),
                        },
                        None => ReaderEnd::local("closed by the server"),
                    };
                }
                Some(Ok(_)) => continue,
                Some(Err(error)) => break ReaderEnd::local(&describe_ws_error(&error)),
                None => break ReaderEnd::local("connection lost"),
            };
            if let Err(end) = self.queue_event(event.0, event.1).await {
                break end;
            }
        };
        self.closed.store(true, Ordering::Release);
        // Dropping the waiting senders wakes every pending request with `Disconnected`.
        lock_replies(&self.pending).clear();
        let closed = ConnEvent::Closed {
            code: end.code,
            reason: end.reason,
        };
        // The last event is owed even when the budget is spent: one more small entry.
        if let Ok(permit) = self.budget.clone().acquire_many_owned(0).await {
            let _ = self.events.send((closed, permit));
        }
    }

    /// Queues one event once its size fits the byte budget, waiting (and so not reading the
    /// socket) while it does not. `Err` when the connection must end instead.
    async fn queue_event(&self, event: ConnEvent, size: usize) -> Result<(), ReaderEnd> {
        let cost = size
            .saturating_add(INBOUND_EVENT_OVERHEAD)
            .min(INBOUND_QUEUE_BYTES);
        let cost = u32::try_from(cost).unwrap_or(u32::MAX);
        let permit = loop {
            let waiting = !lock_replies(&self.pending).is_empty();
            let room = self.budget.clone().acquire_many_owned(cost);
            tokio::select! {
                permit = room => break permit.map_err(|_| ReaderEnd::local("connection lost"))?,
                () = self.kill.notified() => return Err(ReaderEnd::local("the server stopped answering")),
                () = self.request_waiting.notified(), if !waiting => continue,
                () = tokio::time::sleep(STALL_GRACE), if waiting => {
                    tracing::info!("inbound queue full while a reply is awaited; resuming");
                    return Err(ReaderEnd::local(
                        "this client fell behind the server; resuming",
                    ));
                }
            }
        };
        self.events
            .send((event, permit))
            .map_err(|_| ReaderEnd::local("connection lost"))
    }
}

fn lock_replies(
    pending: &Mutex<HashMap<String, oneshot::Sender<ServerFrame>>>,
) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<ServerFrame>>> {
    // A poisoned map only means another task panicked mid-insert; the map itself is fine.
    pending
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Decodes a text frame: a reply goes to its waiting request (and `None` is returned), any
/// other frame is returned for the event queue; undecodable frames are dropped.
fn route_text(
    text: &str,
    pending: &Mutex<HashMap<String, oneshot::Sender<ServerFrame>>>,
) -> Option<ServerFrame> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        tracing::debug!("ignoring a server frame that is not JSON");
        return None;
    };
    let rid = value
        .get("rid")
        .and_then(|rid| rid.as_str())
        .map(str::to_string);
    let frame = match serde_json::from_value::<ServerFrame>(value) {
        Ok(frame) => frame,
        Err(error) => {
            tracing::debug!("ignoring a server frame this client does not know: {error}");
            return None;
        }
    };
    match rid.and_then(|rid| lock_replies(pending).remove(&rid)) {
        Some(waiter) => {
            let _ = waiter.send(frame);
            None
        }
        None => Some(frame),
    }
}

pub(super) fn describe_ws_error(error: &tokio_tungstenite::tungstenite::Error) -> String {
    use tokio_tungstenite::tungstenite::Error;
    match error {
        Error::Io(io) => io.to_string(),
        Error::Protocol(
            tokio_tungstenite::tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
        )
        | Error::ConnectionClosed
        | Error::AlreadyClosed => "connection lost (the server went away)".to_string(),
        Error::Capacity(_) => "a server frame was too large".to_string(),
        Error::Http(response) => format!("the server answered HTTP {}", response.status()),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_normalized_or_refused() {
        assert_eq!(normalize_url("ws://h:1/").as_deref(), Ok("ws://h:1/"));
        assert_eq!(normalize_url("wss://h").as_deref(), Ok("wss://h"));
        assert_eq!(
            normalize_url("127.0.0.1:8765").as_deref(),
            Ok("ws://127.0.0.1:8765")
        );
        assert_eq!(
            normalize_url("localhost").as_deref(),
            Ok("ws://localhost:8765")
        );
        assert_eq!(
            normalize_url("chat.example/x").as_deref(),
            Ok("ws://chat.example:8765/x")
        );
        assert_eq!(normalize_url("[::1]").as_deref(), Ok("ws://[::1]:8765"));
        assert_eq!(normalize_url("[::1]:9").as_deref(), Ok("ws://[::1]:9"));
        assert!(normalize_url("http://h").is_err());
        assert!(normalize_url("").is_err());
        assert!(normalize_url("a b").is_err());
    }

    #[test]
    fn voice_frames_split_into_sender_and_payload() {
        let mut frame = vec![3];
        frame.extend_from_slice(b"bob");
        frame.extend_from_slice(&[1, 2, 3]);
        assert_eq!(
            split_voice(&frame),
            Some(("bob".to_string(), vec![1, 2, 3]))
        );
        assert_eq!(split_voice(&[5, b'a']), None);
        assert_eq!(split_voice(&[]), None);
    }
}
