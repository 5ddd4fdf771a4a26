//! One client connection: the WebSocket handshake (with small tungstenite buffers), the read
//! loop (authentication phase with its deadline, then dispatch of every frame), the idle timeout,
//! the frame size limit (`too_large` then close 1009, with the socket drained so the client sees
//! the close frame rather than a reset), the close handshake, and teardown (registry, voice,
//! presence). The writer task (writer.rs) owns the socket's sending half.

use std::net::SocketAddr;
use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::stream::SplitStream;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::CapacityError;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::auth::authenticate;
use super::errors::Reject;
use super::outbound::{CLOSE_GOING_AWAY, CLOSE_POLICY, CLOSE_TOO_BIG, ConnHandle, QueueLimits};
use super::server_state::{Phase, ServerSession, ServerState, reached};
use super::socket_writer::{WriterTiming, WsSink, run_writer};
use crate::proto::{ClientFrame, ErrorCode, decode_client_frame};

type WsSource<S> = SplitStream<WebSocketStream<S>>;

/// Why the read loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
    /// The client closed, the socket failed, or the writer finished.
    Closed,
    /// The server is shutting down: the shutdown sequence closes the connection with 1001.
    Shutdown,
    /// A message over the frame limit: `too_large` and close 1009 are queued.
    TooLarge,
    /// The client did not authenticate in time or went silent.
    Timeout,
}

/// Serves one accepted socket until it closes.
pub async fn serve_connection<S>(
    state: Arc<ServerState>,
    stream: S,
    address: SocketAddr,
    mut phase: watch::Receiver<Phase>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let accepted_at = Instant::now();
    let Some(ws) = handshake(&state, stream, address).await else {
        return;
    };
    let limits = QueueLimits {
        frames: state.config.queue_depth,
        bytes: state.config.queue_bytes,
        voice: state.config.voice_queue_depth,
    };
    let budget = state.config.outbound_budget.clone();
    let (handle, queues) = ConnHandle::new(state.next_connection_id(), limits, budget.clone());
    let conn = Arc::new(handle);
    state.registry.track_connection(&conn);
    budget.enroll(&conn);
    tracing::debug!(conn = conn.id, %address, "connection opened");
    let (sink, source) = ws.split();
    let timing = WriterTiming {
        ping_interval: state.config.ping_interval,
        close_grace: state.config.close_grace,
    };
    let writer = tokio::spawn(run_writer(sink, queues, conn.clone(), timing));
    let mut reader = ConnectionReader {
        state: state.clone(),
        conn: conn.clone(),
        address,
        session: None,
        auth_deadline: accepted_at + state.config.auth_timeout,
    };
    let (exit, source, writer) = reader.run(source, writer, &mut phase).await;
    let session = reader.session.take();
    // On shutdown, stay subscribed until the drained events are delivered; otherwise leave the
    // registry at once so nobody sees a closing connection as online.
    if exit != Exit::Shutdown
        && let Some(session) = &session
    {
        teardown(&state, session);
    }
    Box::pin(close_connection(
        &state, &conn, exit, source, writer, &mut phase,
    ))
    .await;
    if exit == Exit::Shutdown
        && let Some(session) = &session
    {
        teardown(&state, session);
    }
    state.registry.untrack_connection(conn.id);
    budget.leave(conn.id);
    tracing::debug!(conn = conn.id, "connection closed");
}

/// The WebSocket handshake with the server's buffer sizes and limits, within the auth timeout.
async fn handshake<S>(
    state: &ServerState,
    stream: S,
    address: SocketAddr,
) -> Option<WebSocketStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let config = state.config.websocket_config();
    let handshake = Box::pin(tokio_tungstenite::accept_async_with_config(
        stream,
        Some(config),
    ));
    match timeout(state.config.auth_timeout, handshake).await {
        Ok(Ok(ws)) => Some(ws),
        Ok(Err(error)) => {
            tracing::debug!(%address, %error, "websocket handshake failed");
            None
        }
        Err(_) => None,
    }
}

struct ConnectionReader {
    state: Arc<ServerState>,
    conn: Arc<ConnHandle>,
    address: SocketAddr,
    session: Option<ServerSession>,
    auth_deadline: Instant,
}

impl ConnectionReader {
    async fn run<S>(
        &mut self,
        mut source: WsSource<S>,
        mut writer: JoinHandle<WsSink<S>>,
        phase: &mut watch::Receiver<Phase>,
    ) -> (Exit, WsSource<S>, SocketWriterState<S>)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let idle = self.state.config.idle_timeout;
        let mut last_activity = Instant::now();
        let exit = loop {
            let deadline = match self.session {
                Some(_) => last_activity + idle,
                None => (last_activity + idle).min(self.auth_deadline),
            };
            tokio::select! {
                biased;
                _ = reached(phase, Phase::Draining) => break Exit::Shutdown,
                // Closed by the server (slow consumer): leave the registry at once.
                _ = self.conn.closed_requested() => break Exit::Closed,
                finished = &mut writer => {
                    return (Exit::Closed, source, SocketWriterState::Finished(finished.ok()));
                }
                _ = sleep_until(deadline) => break Exit::Timeout,
                message = source.next() => {
                    last_activity = Instant::now();
                    match message {
                        Some(Ok(message)) => Box::pin(self.handle_message(message)).await,
                        Some(Err(WsError::Capacity(CapacityError::MessageTooLong { .. }))) => break Exit::TooLarge,
                        Some(Err(error)) => {
                            tracing::debug!(conn = self.conn.id, %error, "websocket read failed");
                            break Exit::Closed;
                        }
                        None => break Exit::Closed,
                    }
                }
            }
        };
        (exit, source, SocketWriterState::Running(writer))
    }

    async fn handle_message(&mut self, message: Message) {
        match message {
            Message::Text(text) => self.handle_text(text.as_str()).await,
            Message::Binary(payload) => match &mut self.session {
                Some(session) => super::dispatch::dispatch_voice(session, &payload),
                None => self.conn.send_frame(&not_authenticated().to_frame(None)),
            },
            // Pings are answered by tungstenite; pongs and close frames need nothing here.
            Message::Ping(_) | Message::Pong(_) | Message::Close(_) | Message::Frame(_) => {}
        }
    }

    async fn handle_text(&mut self, text: &str) {
        let (frame, rid) = match decode_client_frame(text) {
            Ok(decoded) => decoded,
            Err(error) => {
                self.conn.send_frame(&error.to_frame());
                return;
            }
        };
        if let Some(session) = &mut self.session {
            // Boxed: the handlers' state lives on the heap only while a frame is being handled,
            // keeping an idle connection's task small.
            Box::pin(super::dispatch::dispatch(session, frame, rid)).await;
            return;
        }
        let ClientFrame::Auth(request) = frame else {
            self.conn.send_frame(&not_authenticated().to_frame(rid));
            return;
        };
        match authenticate(
            &self.state,
            &self.conn,
            request,
            rid.clone(),
            self.address.ip(),
        )
        .await
        {
            Ok(done) => {
                self.session = Some(ServerSession::new(
                    self.state.clone(),
                    self.conn.clone(),
                    done.user,
                    self.address.ip(),
                    done.token_hash,
                    done.account_slot,
                ));
            }
            Err(reject) => self.conn.send_frame(&reject.to_frame(rid)),
        }
    }
}

fn not_authenticated() -> Reject {
    Reject::new(
        ErrorCode::NotAuthenticated,
        "authenticate first: send an auth frame",
    )
}

/// The writer task, still running or already finished (with its sink when it did not fail).
enum SocketWriterState<S> {
    Running(JoinHandle<WsSink<S>>),
    Finished(Option<WsSink<S>>),
}

/// Ends the connection: queues the right close, lets the writer finish within the grace period,
/// then completes the close handshake (or, after an oversized message, drains the raw socket).
async fn close_connection<S>(
    state: &ServerState,
    conn: &ConnHandle,
    exit: Exit,
    mut source: WsSource<S>,
    writer: SocketWriterState<S>,
    phase: &mut watch::Receiver<Phase>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let grace = state.config.close_grace;
    match exit {
        Exit::TooLarge => {
            let reject = Reject::new(
                ErrorCode::TooLarge,
                format!("frames are limited to {} bytes", state.config.max_frame),
            );
            conn.send_frame(&reject.to_frame(None));
            conn.send_close(CLOSE_TOO_BIG, "frame too large");
        }
        Exit::Timeout => conn.send_close(CLOSE_POLICY, "authentication or idle timeout"),
        Exit::Closed => conn.request_close(1000, false),
        // Close with 1001 once the store is flushed and its acks and broadcasts are queued.
        Exit::Shutdown => {
            let _ = timeout(grace * 3, reached(phase, Phase::Closing)).await;
            conn.request_close(CLOSE_GOING_AWAY, true);
        }
    }
    let sink = match writer {
        SocketWriterState::Finished(sink) => sink,
        SocketWriterState::Running(mut handle) => match timeout(grace, &mut handle).await {
            Ok(result) => result.ok(),
            Err(_) => {
                handle.abort();
                None
            }
        },
    };
    if exit == Exit::TooLarge {
        if let Some(sink) = sink
            && let Ok(ws) = source.reunite(sink)
        {
            drain_raw(ws.into_inner(), grace).await;
        }
        return;
    }
    // Read the client's close reply so the socket closes cleanly.
    let _ = timeout(grace, async { while source.next().await.is_some() {} }).await;
}

/// After a protocol-level failure the frame parser is unusable: half-close the socket and discard
/// what the client still sends until it closes, so unread data never turns our close into a reset.
async fn drain_raw<S>(mut stream: S, grace: std::time::Duration)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let _ = stream.shutdown().await;
    let mut scratch = [0u8; 4096];
    let _ = timeout(grace, async {
        loop {
            match stream.read(&mut scratch).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
}

/// Removes an authenticated connection from the registry and voice, announcing offline when it
/// was the user's last.
fn teardown(state: &ServerState, session: &ServerSession) {
    state
        .live_sessions
        .detach(&session.token_hash, session.conn.id);
    super::voice::leave_on_disconnect(state, &session.conn);
    let last = state
        .registry
        .remove_connection(&session.user, session.conn.id);
    for channel in state.registry.user_channels(&session.user) {
        channel.lock().unsubscribe(session.conn.id);
    }
    if last {
        state.presence_gate.forget(&session.user);
        super::presence::announce_presence(
            state,
            &session.user,
            crate::proto::PresenceState::Offline,
            "",
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn future_size<F: std::future::Future>(_: &F) -> usize {
        std::mem::size_of::<F>()
    }

    /// An idle connection's task is allocated at the size of its whole state machine, so the
    /// handlers' (large) futures are boxed; this keeps that from regressing.
    #[tokio::test]
    async fn an_idle_connection_task_stays_small() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = crate::store::Store::open(&dir.path().join("size.db"), Default::default())
            .expect("open store");
        let (fanout, _inbox) = tokio::sync::mpsc::channel(1);
        let state = Arc::new(ServerState::new(store, Default::default(), fanout));
        let (_phase_tx, phase) = watch::channel(Phase::Running);
        let (socket, _peer) = tokio::io::duplex(64);
        let address: SocketAddr = ([127, 0, 0, 1], 1).into();
        let connection = serve_connection(state, socket, address, phase);
        assert!(
            future_size(&connection) <= 1536,
            "{} bytes",
            future_size(&connection)
        );
    }
}
