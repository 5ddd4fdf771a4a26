//! The writer task of one connection: drains the bounded text queue and the lossy voice queue
//! (everything queued at a wake-up goes out as one batch and one flush), and sends WebSocket
//! pings. It parks on its outbox (`outbox::TextQueue::poll_fill`), so a push wakes it only when
//! it sleeps, and a close request wakes it there too. Every write that cannot complete at once
//! races the connection's close request, so a client that stopped reading cannot hold the task:
//! a close request interrupts the write, queues the close frame and gives it `close_grace` to
//! get out. Returns the sink so the reader can reunite the socket for a clean shutdown.

use std::future::poll_fn;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Bytes, Error as WsError, Message, Utf8Bytes};

use super::outbound::{CloseRequest, ConnHandle, Outbound, OutboundQueues};

/// The sending half of a connection's WebSocket.
pub type WsSink<S> = SplitSink<WebSocketStream<S>, Message>;

/// Timing knobs of the writer.
#[derive(Debug, Clone, Copy)]
pub struct WriterTiming {
    pub ping_interval: Duration,
    pub close_grace: Duration,
}

enum Flow {
    Continue,
    Close(u16, &'static str),
}

/// Runs until the connection closes; returns the sink.
pub async fn run_writer<S>(
    mut sink: WsSink<S>,
    mut queues: OutboundQueues,
    conn: Arc<ConnHandle>,
    timing: WriterTiming,
) -> WsSink<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let start = tokio::time::Instant::now() + timing.ping_interval;
    let mut ping = tokio::time::interval_at(start, timing.ping_interval);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let close = loop {
        let input = next_input(&mut queues, &conn, &mut ping).await;
        let input = match input {
            WriterInput::Closing(request) => break Some(Closing::requested(request)),
            input => input,
        };
        // The write is polled first: when the socket takes it at once, the close request is
        // not even looked at (the next wait checks it); only a blocked write races it.
        let outcome = tokio::select! {
            biased;
            result = write_input(&mut sink, input, &mut queues) => Ok(result),
            request = conn.closed_requested() => Err(request),
        };
        match outcome {
            Ok(Ok(Flow::Continue)) => {}
            Ok(Ok(Flow::Close(code, reason))) => {
                // Mark the handle closing so nobody queues more behind the close frame.
                conn.request_close(code, false);
                break Some(Closing {
                    code,
                    reason,
                    drain_queue: false,
                });
            }
            Ok(Err(_)) => break None,
            Err(request) => break Some(Closing::requested(request)),
        }
    };
    if let Some(closing) = close {
        finish(&mut sink, &mut queues, closing, timing.close_grace).await;
    }
    sink
}

/// Waits for the next thing to do, in this order: a close request, queued text or voice (taken
/// into the queue's batches), a ping.
async fn next_input(
    queues: &mut OutboundQueues,
    conn: &ConnHandle,
    ping: &mut tokio::time::Interval,
) -> WriterInput {
    poll_fn(|cx| {
        if let Some(request) = conn.close_request() {
            return Poll::Ready(WriterInput::Closing(request));
        }
        if queues
            .text
            .poll_fill(cx, || conn.close_request().is_some())
            .is_ready()
        {
            return Poll::Ready(match conn.close_request() {
                Some(request) => WriterInput::Closing(request),
                None => WriterInput::Queued,
            });
        }
        if ping.poll_tick(cx).is_ready() {
            return Poll::Ready(WriterInput::Ping);
        }
        Poll::Pending
    })
    .await
}

/// How the writer closes the connection.
#[derive(Debug, Clone, Copy)]
struct Closing {
    code: u16,
    reason: &'static str,
    drain_queue: bool,
}

impl Closing {
    fn requested(request: CloseRequest) -> Closing {
        Closing {
            code: request.code,
            reason: "",
            drain_queue: request.drain_queue,
        }
    }
}

enum WriterInput {
    Closing(CloseRequest),
    /// The queue's batches hold text or voice frames.
    Queued,
    Ping,
}

async fn write_input<S>(
    sink: &mut WsSink<S>,
    input: WriterInput,
    queues: &mut OutboundQueues,
) -> Result<Flow, WsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match input {
        WriterInput::Closing(request) => Ok(Flow::Close(request.code, "")),
        WriterInput::Queued => write_batch(sink, queues).await,
        WriterInput::Ping => {
            sink.send(Message::Ping(Bytes::new())).await?;
            Ok(Flow::Continue)
        }
    }
}

/// Feeds every text frame of the batch taken at this wake-up, then every voice frame, to the sink (tungstenite writes its
/// buffer out whenever it passes `ServerConfig::write_buffer_size`), then flushes once.
async fn write_batch<S>(sink: &mut WsSink<S>, queues: &mut OutboundQueues) -> Result<Flow, WsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    while let Some(item) = queues.text.next_item() {
        match item {
            Outbound::Text(text) => sink.feed(Message::Text(text)).await?,
            Outbound::Close(code, reason) => {
                sink.flush().await?;
                queues.text.written();
                return Ok(Flow::Close(code, reason));
            }
        }
    }
    while let Some(voice) = queues.text.next_voice() {
        sink.feed(Message::Binary(voice)).await?;
    }
    sink.flush().await?;
    queues.text.written();
    Ok(Flow::Continue)
}

/// Writes what should still go out, then the close frame, within `grace`.
async fn finish<S>(
    sink: &mut WsSink<S>,
    queues: &mut OutboundQueues,
    closing: Closing,
    grace: Duration,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if !closing.drain_queue {
        // What is queued will never be written: free it now, not after the grace period.
        queues.text.discard();
    }
    let work = async {
        let mut reason = closing.reason;
        if closing.drain_queue {
            reason = feed_what_is_queued(sink, queues).await?.unwrap_or(reason);
        }
        let frame = CloseFrame {
            code: CloseCode::from(closing.code),
            reason: Utf8Bytes::from_static(reason_for(closing.code, reason)),
        };
        sink.send(Message::Close(Some(frame))).await
    };
    let _ = tokio::time::timeout(grace, work).await;
}

/// Feeds everything queued (up to a queued close frame, whose reason it returns) to the sink.
async fn feed_what_is_queued<S>(
    sink: &mut WsSink<S>,
    queues: &mut OutboundQueues,
) -> Result<Option<&'static str>, WsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    while queues.text.try_fill() {
        while let Some(item) = queues.text.next_item() {
            match item {
                Outbound::Text(text) => sink.feed(Message::Text(text)).await?,
                Outbound::Close(_, why) => return Ok(Some(why)),
            }
        }
    }
    Ok(None)
}

fn reason_for(code: u16, given: &'static str) -> &'static str {
    if !given.is_empty() {
        return given;
    }
    match code {
        super::outbound::CLOSE_SLOW_CONSUMER => {
            "outbound queue full; reconnect and catch up with history after"
        }
        super::outbound::CLOSE_GOING_AWAY => "server shutting down",
        super::outbound::CLOSE_TOO_BIG => "frame too large",
        _ => "",
    }
}
