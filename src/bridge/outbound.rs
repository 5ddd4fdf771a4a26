//! The outbound Discord queue: one FIFO and one worker per Discord channel, so each channel's
//! order is kept while channels proceed independently. A worker waits out `429 retry_after`
//! and retries the same item (order kept), retries transient failures with backoff, and gives
//! up on permanent ones. A channel's backlog is bounded: when it is full (Discord hopeless for
//! that channel) the oldest item is dropped with a log line. After each item the channel's
//! chatify cursor moves forward, so a restarted bridge resends only what was never handled.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinSet;

use super::backoff::Backoff;
use super::health::Health;
use super::idmap::{IdMap, MessageLink, Origin};
use super::seam::{DiscordError, DiscordPost, DiscordSide, PostAs};

/// Longest 429 wait honoured at once (a larger `retry_after` is waited in several steps).
const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);
/// Transient failures of one item before it is given up.
const MAX_TRANSIENT_RETRIES: u32 = 8;

/// One thing to do on Discord for a chatify event.
#[derive(Debug, Clone)]
pub enum OutboundItem {
    Post {
        chatify_channel: String,
        chatify_id: i64,
        seq: i64,
        author: String,
        post: DiscordPost,
    },
    Edit {
        chatify_channel: String,
        target: i64,
        seq: i64,
        post_as: PostAs,
        content: String,
    },
    Delete {
        chatify_channel: String,
        target: i64,
        seq: i64,
        post_as: PostAs,
    },
}

impl OutboundItem {
    fn cursor(&self) -> (&str, i64) {
        match self {
            OutboundItem::Post {
                chatify_channel,
                seq,
                ..
            }
            | OutboundItem::Edit {
                chatify_channel,
                seq,
                ..
            }
            | OutboundItem::Delete {
                chatify_channel,
                seq,
                ..
            } => (chatify_channel, *seq),
        }
    }
}

#[derive(Default)]
struct ChannelQueue {
    items: Mutex<VecDeque<OutboundItem>>,
    ready: Notify,
    /// An item was taken and is not finished yet.
    in_flight: std::sync::atomic::AtomicBool,
    /// Notified after each finished item.
    finished: Notify,
}

impl ChannelQueue {
    fn is_settled(&self) -> bool {
        !self.in_flight.load(std::sync::atomic::Ordering::SeqCst)
            && self
                .items
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_empty()
    }
}

/// The per-channel queues and their workers.
pub struct DiscordOutbox {
    queues: HashMap<u64, Arc<ChannelQueue>>,
    backlog: usize,
    health: Arc<Health>,
    closing: Arc<Notify>,
    closed: Arc<std::sync::atomic::AtomicBool>,
    workers: Mutex<Option<JoinSet<()>>>,
}

struct Worker<D> {
    channel: u64,
    queue: Arc<ChannelQueue>,
    discord: Arc<D>,
    map: IdMap,
    health: Arc<Health>,
    closed: Arc<std::sync::atomic::AtomicBool>,
    closing: Arc<Notify>,
}

impl DiscordOutbox {
    /// Starts one worker per Discord channel in `channels`.
    pub fn start<D: DiscordSide>(
        channels: &[u64],
        discord: Arc<D>,
        map: IdMap,
        health: Arc<Health>,
        backlog: usize,
    ) -> DiscordOutbox {
        let closing = Arc::new(Notify::new());
        let closed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut queues = HashMap::new();
        let mut workers = JoinSet::new();
        for &channel in channels {
            let queue = Arc::new(ChannelQueue::default());
            queues.insert(channel, queue.clone());
            let worker = Worker {
                channel,
                queue,
                discord: discord.clone(),
                map: map.clone(),
                health: health.clone(),
                closed: closed.clone(),
                closing: closing.clone(),
            };
            workers.spawn(worker.run());
        }
        DiscordOutbox {
            queues,
            backlog: backlog.max(1),
            health,
            closing,
            closed,
            workers: Mutex::new(Some(workers)),
        }
    }

    /// Queues `item` for `channel`, dropping the oldest queued item when the backlog is full.
    pub fn enqueue(&self, channel: u64, item: OutboundItem) {
        let Some(queue) = self.queues.get(&channel) else {
            return;
        };
        let mut items = queue.items.lock().unwrap_or_else(|p| p.into_inner());
        items.push_back(item);
        while items.len() > self.backlog {
            if let Some(dropped) = items.pop_front() {
                let (chatify_channel, seq) = dropped.cursor();
                tracing::warn!(
                    discord_channel = channel,
                    chatify_channel,
                    seq,
                    backlog = self.backlog,
                    "Discord backlog full: dropped the oldest queued message"
                );
                self.health.dropped_one();
            }
        }
        drop(items);
        queue.ready.notify_one();
    }

    /// Waits (at most `limit`) until `channel`'s queue is empty and idle, so that everything
    /// the bridge was posting there is in the id map (a Discord reply to a message the bridge
    /// has only just posted then still finds its target).
    pub async fn settled(&self, channel: u64, limit: Duration) {
        let Some(queue) = self.queues.get(&channel) else {
            return;
        };
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let finished = queue.finished.notified();
            if queue.is_settled() {
                return;
            }
            if tokio::time::timeout_at(deadline, finished).await.is_err() {
                return;
            }
        }
    }

    /// Items waiting in all queues.
    pub fn depth(&self) -> usize {
        self.queues
            .values()
            .map(|q| q.items.lock().unwrap_or_else(|p| p.into_inner()).len())
            .sum()
    }

    /// Stops taking work and lets the workers finish what is queued, for at most `grace`.
    pub async fn close(&self, grace: Duration) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
        self.closing.notify_waiters();
        for queue in self.queues.values() {
            queue.ready.notify_one();
        }
        let taken = self
            .workers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let Some(mut workers) = taken else {
            return;
        };
        let drained = tokio::time::timeout(grace, async {
            while workers.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            let left = self.depth();
            tracing::warn!(left, "shutdown: Discord queue not drained in time");
            workers.abort_all();
        }
    }
}

impl<D: DiscordSide> Worker<D> {
    async fn run(self) {
        loop {
            let next = {
                let mut items = self.queue.items.lock().unwrap_or_else(|p| p.into_inner());
                let next = items.pop_front();
                self.queue
                    .in_flight
                    .store(next.is_some(), std::sync::atomic::Ordering::SeqCst);
                next
            };
            match next {
                Some(item) => {
                    self.perform(item).await;
                    self.queue
                        .in_flight
                        .store(false, std::sync::atomic::Ordering::SeqCst);
                    self.queue.finished.notify_waiters();
                }
                None if self.closed.load(std::sync::atomic::Ordering::SeqCst) => return,
                None => {
                    tokio::select! {
                        _ = self.queue.ready.notified() => {}
                        _ = self.closing.notified() => {}
                    }
                }
            }
        }
    }

    /// Does one item with retries, then moves the cursor past it.
    async fn perform(&self, item: OutboundItem) {
        let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
        let mut transient = 0;
        loop {
            match self.attempt(&item).await {
                Ok(()) => break,
                Err(DiscordError::RateLimited(wait)) => {
                    self.health.met_rate_limit();
                    tokio::time::sleep(wait.min(MAX_RATE_LIMIT_WAIT)).await;
                }
                Err(DiscordError::Transient(why)) if transient < MAX_TRANSIENT_RETRIES => {
                    transient += 1;
                    self.health.note_error(format!("discord: {why}"));
                    tokio::time::sleep(backoff.next_delay()).await;
                }
                Err(error) => {
                    tracing::warn!(discord_channel = self.channel, %error, "gave up relaying a chatify event to Discord");
                    self.health.note_error(format!("discord: {error}"));
                    self.health.dropped_one();
                    break;
                }
            }
        }
        let (chatify_channel, seq) = item.cursor();
        if let Err(error) = self.map.advance_cursor(chatify_channel, seq) {
            tracing::warn!(%error, "could not save the relay cursor");
        }
    }

    async fn attempt(&self, item: &OutboundItem) -> Result<(), DiscordError> {
        match item {
            OutboundItem::Post {
                chatify_channel,
                chatify_id,
                author,
                post,
                ..
            } => {
                if self.already_posted(*chatify_id) {
                    return Ok(());
                }
                let discord_id = self.discord.post(post).await?;
                self.health.relayed_to_discord();
                let link = MessageLink {
                    chatify_id: *chatify_id,
                    chatify_channel: chatify_channel.clone(),
                    discord_channel: self.channel,
                    discord_id,
                    origin: Origin::Chatify,
                    author: author.clone(),
                };
                self.map.record(&link).map_err(map_error)
            }
            OutboundItem::Edit {
                target,
                post_as,
                content,
                ..
            } => match self.target(*target)? {
                Some(link) => {
                    let (channel, id) = (link.discord_channel, link.discord_id);
                    self.discord.edit(channel, id, post_as, content).await
                }
                None => Ok(()),
            },
            OutboundItem::Delete {
                target, post_as, ..
            } => match self.target(*target)? {
                Some(link) => {
                    let (channel, id) = (link.discord_channel, link.discord_id);
                    self.discord.delete(channel, id, post_as).await
                }
                None => Ok(()),
            },
        }
    }

    /// Whether this chatify message already has a Discord twin (a replay after a reconnect).
    fn already_posted(&self, chatify_id: i64) -> bool {
        matches!(self.map.by_chatify(chatify_id), Ok(Some(_)))
    }

    /// The Discord twin of a chatify message the bridge posted (edits and deletions of anything
    /// else are not relayed: Discord-origin messages belong to their Discord authors).
    fn target(&self, chatify_id: i64) -> Result<Option<MessageLink>, DiscordError> {
        let link = self.map.by_chatify(chatify_id).map_err(map_error)?;
        Ok(link.filter(|l| l.origin == Origin::Chatify))
    }
}

fn map_error(error: super::idmap::IdMapError) -> DiscordError {
    DiscordError::Transient(error.to_string())
}
