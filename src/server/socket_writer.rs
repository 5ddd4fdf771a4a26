//! The writer task of one connection: drains the bounded text queue (batching frames into one
//! socket write), the lossy voice queue, and sends WebSocket pings. Every write races the
//! connection's close request, so a client that stopped reading cannot hold the task: a close
//! request interrupts the write, queues the close frame and gives it `close_grace` to get out.
//! Returns the sink so the reader can reunite the socket for a clean shutdown.

use std::sync::Arc;
use std::time::Duration;

use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Bytes, Error as WsError, Message, Utf8Bytes};

use super::outbound::{CloseRequest, ConnHandle, Outbound, OutboundQueues};

/// Frames written per socket flush at most.
const MAX_BATCH: usize = 256;

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
        let step = tokio::select! {
            biased;
            request = conn.closed_requested() => Err(request),
            item = queues.text.recv() => Ok(WriterInput::Text(item)),
            Some(voice) = queues.voice.recv() => Ok(WriterInput::Voice(voice)),
            _ = ping.tick() => Ok(WriterInput::Ping),
        };
        let input = match step {
            Ok(input) => input,
            Err(request) => break Some(Closing::requested(request)),
        };
        let outcome = tokio::select! {
            biased;
            request = conn.closed_requested() => Err(request),
            result = write_input(&mut sink, input, &mut queues) => Ok(result),
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
    Text(Option<Outbound>),
    Voice(Bytes),
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
        // Unreachable while the handle (which owns the sender) lives; close normally.
        WriterInput::Text(None) => Ok(Flow::Close(1000, "")),
        WriterInput::Text(Some(first)) => write_batch(sink, first, queues).await,
        WriterInput::Voice(frame) => {
            sink.send(Message::Binary(frame)).await?;
            Ok(Flow::Continue)
        }
        WriterInput::Ping => {
            sink.send(Message::Ping(Bytes::new())).await?;
            Ok(Flow::Continue)
        }
    }
}

async fn write_batch<S>(
    sink: &mut WsSink<S>,
    first: Outbound,
    queues: &mut OutboundQueues,
) -> Result<Flow, WsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut next = Some(first);
    let mut written = 0;
    let mut flow = Flow::Continue;
    while let Some(item) = next.take() {
        match item {
            Outbound::Text(text) => sink.feed(Message::Text(text)).await?,
            Outbound::Close(code, reason) => {
                flow = Flow::Close(code, reason);
                break;
            }
        }
        written += 1;
        if written < MAX_BATCH {
            next = queues.text.try_recv();
        }
    }
    sink.flush().await?;
    queues.text.written();
    Ok(flow)
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
            while let Some(item) = queues.text.try_recv() {
                match item {
                    Outbound::Text(text) => sink.feed(Message::Text(text)).await?,
                    Outbound::Close(_, why) => {
                        reason = why;
                        break;
                    }
                }
            }
        }
        let frame = CloseFrame {
            code: CloseCode::from(closing.code),
            reason: Utf8Bytes::from_static(reason_for(closing.code, reason)),
        };
        sink.send(Message::Close(Some(frame))).await
    };
    let _ = tokio::time::timeout(grace, work).await;
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
