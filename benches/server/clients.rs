//! The lean load generator of `benches/server`: raw tokio-tungstenite clients with a small read
//! buffer that resume a session and then only count frames — a `msg` frame is recognised by its
//! `{"t":"msg"` prefix, never JSON-parsed — and, when a message carries a `|t=NANOS|` send stamp,
//! record its end-to-end latency. Per-subscriber counters let the sender keep the subscribers
//! within a window so no server queue overflows.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Longest wait for any single reply during set-up.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(20);

/// The prefix of a serialized `msg` broadcast (`ServerFrame` is tagged by `t`, tag first).
const MSG_PREFIX: &str = r#"{"t":"msg""#;
const ACK_PREFIX: &str = r#"{"t":"ack""#;
/// The send stamp a latency message carries in its text: `|t=<nanos since BASE>|`.
const STAMP: &str = "|t=";

/// The instant send stamps count from (shared by sender and subscribers: one process).
pub fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

/// What the subscriber tasks have seen, per subscriber.
pub struct Tally {
    /// `msg` frames received, per subscriber.
    pub messages: Vec<AtomicU64>,
    /// Latency samples (nanoseconds) of stamped messages, per subscriber.
    pub latencies: Vec<Mutex<Vec<u64>>>,
    /// Frames of any kind received by all subscribers.
    pub frames: AtomicU64,
    /// Subscribers whose connection ended.
    pub ended: AtomicU64,
    /// Per subscriber: its connection is still open.
    pub alive: Vec<AtomicBool>,
    /// Latency recording on/off.
    pub recording: AtomicBool,
}

impl Tally {
    pub fn new(subscribers: usize) -> Tally {
        Tally {
            messages: (0..subscribers).map(|_| AtomicU64::new(0)).collect(),
            latencies: (0..subscribers).map(|_| Mutex::new(Vec::new())).collect(),
            frames: AtomicU64::new(0),
            ended: AtomicU64::new(0),
            alive: (0..subscribers).map(|_| AtomicBool::new(true)).collect(),
            recording: AtomicBool::new(false),
        }
    }

    pub fn message_counts(&self) -> Vec<u64> {
        self.messages
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect()
    }

    pub fn total_messages(&self) -> u64 {
        self.messages
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }

    /// The fewest messages any still-connected subscriber has received beyond its `baseline`
    /// (`u64::MAX` when none is connected).
    pub fn min_progress(&self, baseline: &[u64]) -> u64 {
        self.messages
            .iter()
            .zip(baseline)
            .zip(&self.alive)
            .filter(|(_, alive)| alive.load(Ordering::Relaxed))
            .map(|((c, b), _)| c.load(Ordering::Relaxed).saturating_sub(*b))
            .min()
            .unwrap_or(u64::MAX)
    }

    /// Every recorded latency sample, drained.
    pub fn take_latencies(&self) -> Vec<u64> {
        let mut all = Vec::new();
        for slot in &self.latencies {
            if let Ok(mut samples) = slot.lock() {
                all.append(&mut samples);
            }
        }
        all
    }
}

/// Connects to `url` with a 4 KiB read buffer, resumes `user`'s session and waits for `ok`.
/// Asks for coalesced `presences` frames as the chatify client does, unless
/// `CHATIFY_BENCH_PRESENCES=0` (then every presence change is one `presence` frame, as an older
/// client gets it).
pub async fn connect_and_resume(url: &str, user: &str, token: &str) -> anyhow::Result<Ws> {
    static ASK_FOR_PRESENCES: OnceLock<bool> = OnceLock::new();
    let ask = *ASK_FOR_PRESENCES
        .get_or_init(|| std::env::var("CHATIFY_BENCH_PRESENCES").map_or(true, |v| v != "0"));
    let auth = format!(r#"{{"t":"auth","u":"{user}","session":"{token}","presences":{ask}}}"#);
    connect_and_auth(url, user, &auth).await
}

/// Connects to `url` and logs `user` in with a password (the server runs Argon2 to verify it).
pub async fn connect_and_login(url: &str, user: &str, password: &str) -> anyhow::Result<Ws> {
    let auth = format!(r#"{{"t":"auth","u":"{user}","pw":"{password}"}}"#);
    connect_and_auth(url, user, &auth).await
}

/// Connects to `url` with a 4 KiB read buffer, sends the `auth` frame and waits for `ok`.
async fn connect_and_auth(url: &str, user: &str, auth: &str) -> anyhow::Result<Ws> {
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    let connect = tokio_tungstenite::connect_async_with_config(url, Some(config), true);
    let (mut ws, _) = tokio::time::timeout(REPLY_TIMEOUT, connect)
        .await
        .context("connecting: timed out")?
        .context("connecting")?;
    ws.send(Message::text(auth.to_string()))
        .await
        .context("sending auth")?;
    loop {
        let next = tokio::time::timeout(REPLY_TIMEOUT, ws.next())
            .await
            .context("waiting for ok: timed out")?;
        match next {
            Some(Ok(Message::Text(text))) if text.as_str().starts_with(r#"{"t":"ok""#) => {
                return Ok(ws);
            }
            Some(Ok(Message::Text(text))) if text.as_str().starts_with(r#"{"t":"err""#) => {
                bail!("{user}: auth refused: {}", text.as_str())
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => bail!("{user}: {error}"),
            None => bail!("{user}: connection closed before ok"),
        }
    }
}

/// Reads subscriber `index`'s frames until its connection ends, counting and stamping.
pub async fn subscribe(mut ws: Ws, index: usize, tally: Arc<Tally>) {
    while let Some(next) = ws.next().await {
        let Ok(message) = next else { break };
        let Message::Text(text) = message else {
            continue;
        };
        tally.frames.fetch_add(1, Ordering::Relaxed);
        let text = text.as_str();
        if !text.starts_with(MSG_PREFIX) {
            continue;
        }
        if tally.recording.load(Ordering::Relaxed)
            && let Some(sent) = stamp_of(text)
        {
            let now = u64::try_from(base().elapsed().as_nanos()).unwrap_or(u64::MAX);
            if let Ok(mut samples) = tally.latencies[index].lock() {
                samples.push(now.saturating_sub(sent));
            }
        }
        tally.messages[index].fetch_add(1, Ordering::Relaxed);
    }
    tally.alive[index].store(false, Ordering::Relaxed);
    tally.ended.fetch_add(1, Ordering::Relaxed);
}

/// The sender's two halves: frames go out through `sink`; a task counts the acks coming back
/// and wakes `ack_arrived` (a stored permit, so a wake between a check and the wait is not lost).
pub struct Sender {
    pub sink: SplitSink<Ws, Message>,
    pub acks: Arc<AtomicU64>,
    pub ack_arrived: Arc<tokio::sync::Notify>,
    reader: tokio::task::JoinHandle<()>,
}

impl Sender {
    pub fn new(ws: Ws) -> Sender {
        let (sink, stream) = ws.split();
        let acks = Arc::new(AtomicU64::new(0));
        let ack_arrived = Arc::new(tokio::sync::Notify::new());
        let reader = tokio::spawn(count_acks(stream, acks.clone(), ack_arrived.clone()));
        Sender {
            sink,
            acks,
            ack_arrived,
            reader,
        }
    }

    /// Sends one chat message to `channel`.
    pub async fn say(&mut self, channel: &str, text: &str) -> anyhow::Result<()> {
        let frame = format!(r#"{{"t":"msg","ch":"{channel}","c":"{text}"}}"#);
        self.sink
            .send(Message::text(frame))
            .await
            .context("sending a message")
    }

    pub fn stop(self) {
        self.reader.abort();
    }
}

async fn count_acks(
    mut stream: SplitStream<Ws>,
    acks: Arc<AtomicU64>,
    ack_arrived: Arc<tokio::sync::Notify>,
) {
    while let Some(Ok(message)) = stream.next().await {
        if let Message::Text(text) = message
            && text.as_str().starts_with(ACK_PREFIX)
        {
            acks.fetch_add(1, Ordering::Relaxed);
            ack_arrived.notify_one();
        }
    }
}

/// A message text of `bytes` bytes: `prefix`, then filler (JSON-safe, no escaping needed).
pub fn message_text(prefix: &str, bytes: usize) -> String {
    let mut text = String::with_capacity(bytes);
    text.push_str(prefix);
    let filler = " lorem ipsum dolor sit amet consectetur adipiscing";
    while text.len() < bytes {
        let room = bytes - text.len();
        text.push_str(&filler[..room.min(filler.len())]);
    }
    text
}

/// A latency message: the send stamp of now, padded to `bytes`.
pub fn stamped_text(bytes: usize) -> String {
    let nanos = base().elapsed().as_nanos();
    message_text(&format!("{STAMP}{nanos}|"), bytes)
}

fn stamp_of(text: &str) -> Option<u64> {
    let start = text.find(STAMP)? + STAMP.len();
    let rest = &text[start..];
    let end = rest.find('|')?;
    rest[..end].parse().ok()
}
