//! One live WebSocket connection to a chatify server: a reader task that routes replies to the
//! request that is waiting for them (matched by `rid`) and everything else to an event stream,
//! and a writer task fed by a queue. [`Connection::request`] sends a frame with a fresh `rid`
//! and awaits its reply with a timeout. Accepts server frames of at least 8 MiB.
//! Used by `client::session` (authentication, reconnect, resume) and nothing else directly.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::proto::{self, ClientFrame, ErrorCode, ServerFrame};

/// Largest server frame this client accepts (16 MiB; the protocol asks for at least 8 MiB).
pub const MAX_INBOUND_FRAME: usize = 2 * proto::CLIENT_MAX_INBOUND_FRAME;

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

/// A live connection. Cheap to share behind an `Arc`; every method takes `&self`.
#[derive(Debug)]
pub struct Connection {
    outbound: mpsc::UnboundedSender<Message>,
    pending: Arc<Mutex<HashMap<String, oneshot::Sender<ServerFrame>>>>,
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
) -> Result<(Connection, mpsc::UnboundedReceiver<ConnEvent>), ClientError> {
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
    let (outbound, outbound_rx) = mpsc::unbounded_channel();
    let (events, events_rx) = mpsc::unbounded_channel();
    let pending = Arc::new(Mutex::new(HashMap::new()));
    let closed = Arc::new(AtomicBool::new(false));
    let kill = Arc::new(tokio::sync::Notify::new());
    tokio::spawn(write_loop(sink, outbound_rx));
    let reader = Reader {
        events,
        pending: pending.clone(),
        closed: closed.clone(),
        kill: kill.clone(),
    };
    tokio::spawn(reader.run(stream));
    let connection = Connection {
        outbound,
        pending,
        next_rid: AtomicU64::new(1),
        closed,
        kill,
    };
    Ok((connection, events_rx))
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
        if let Err(error) = self.send_text(proto::encode_client_frame(frame, Some(&rid))) {
            self.lock_pending().remove(&rid);
            return Err(error);
        }
        let outcome = tokio::time::timeout(timeout, reply_rx).await;
        self.lock_pending().remove(&rid);
        match outcome {
            Err(_) => Err(ClientError::Timeout(timeout)),
            Ok(Err(_)) => Err(ClientError::Disconnected),
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

    /// Closes the connection politely (close code 1000).
    pub fn close(&self) {
        let _ = self.send_message(Message::Close(None));
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
            .send(message)
            .map_err(|_| ClientError::Disconnected)
    }

    fn lock_pending(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<ServerFrame>>> {
        // A poisoned map only means another task panicked mid-insert; the map itself is fine.
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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
    mut outbound: mpsc::UnboundedReceiver<Message>,
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
    events: mpsc::UnboundedSender<ConnEvent>,
    pending: Arc<Mutex<HashMap<String, oneshot::Sender<ServerFrame>>>>,
    closed: Arc<AtomicBool>,
    kill: Arc<tokio::sync::Notify>,
}

impl Reader {
    async fn run(self, mut stream: futures_util::stream::SplitStream<WsStream>) {
        let (code, reason) = loop {
            let next = tokio::select! {
                next = stream.next() => next,
                () = self.kill.notified() => break (None, "the server stopped answering".to_string()),
            };
            match next {
                Some(Ok(Message::Text(text))) => {
                    route_text(text.as_str(), &self.events, &self.pending)
                }
                Some(Ok(Message::Binary(bytes))) => {
                    if let Some((from, payload)) = split_voice(&bytes) {
                        let _ = self.events.send(ConnEvent::Voice { from, payload });
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    break match frame {
                        Some(frame) => (Some(u16::from(frame.code)), frame.reason.to_string()),
                        None => (None, "closed by the server".to_string()),
                    };
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => break (None, describe_ws_error(&error)),
                None => break (None, "connection lost".to_string()),
            }
        };
        self.closed.store(true, Ordering::Release);
        // Dropping the waiting senders wakes every pending request with `Disconnected`.
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
        let _ = self.events.send(ConnEvent::Closed { code, reason });
    }
}

fn route_text(
    text: &str,
    events: &mpsc::UnboundedSender<ConnEvent>,
    pending: &Mutex<HashMap<String, oneshot::Sender<ServerFrame>>>,
) {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        tracing::debug!("ignoring a server frame that is not JSON");
        return;
    };
    let rid = value
        .get("rid")
        .and_then(|rid| rid.as_str())
        .map(str::to_string);
    let frame = match serde_json::from_value::<ServerFrame>(value) {
        Ok(frame) => frame,
        Err(error) => {
            tracing::debug!("ignoring a server frame this client does not know: {error}");
            return;
        }
    };
    let waiter = rid.and_then(|rid| {
        pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&rid)
    });
    match waiter {
        Some(waiter) => {
            let _ = waiter.send(frame);
        }
        None => {
            let _ = events.send(ConnEvent::Frame(frame));
        }
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
