//! A connection's outbound queues (its "outbox"): a `Mutex` over the text queue (a `VecDeque`
//! bounded in frames and in bytes) and the lossy voice queue (bounded in frames; a frame beyond
//! that is dropped), shared by every sender (through `outbound::ConnHandle`) and the
//! connection's writer task (through [`TextQueue`]). A push is one uncontended lock, a `push_back` and a counter; it
//! wakes the writer only when the writer is parked on an empty queue (its waker is registered),
//! so a broadcast to a thousand busy connections wakes each at most once. The writer takes
//! everything queued in one swap and writes it as one batch. Bytes stay counted (here and in
//! the server-wide `outbound_budget::OutboundBudget`) from the push until the writer has flushed
//! them to the socket, or until the queue is discarded.

use std::collections::VecDeque;
use std::mem;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::outbound_budget::OutboundBudget;

/// One item of a connection's outbound text queue.
#[derive(Debug)]
pub enum Outbound {
    /// A serialized server frame, shared between all receivers of a broadcast.
    Text(Utf8Bytes),
    /// Send this close frame after everything queued before it, then stop.
    Close(u16, &'static str),
}

impl Outbound {
    /// The bytes this item counts against the queue's and the server's budgets.
    fn charged_bytes(&self) -> usize {
        match self {
            Outbound::Text(text) => text.len(),
            Outbound::Close(..) => 0,
        }
    }
}

/// Why a push was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PushRefused {
    /// The queue holds its most frames.
    FramesFull,
    /// The frame would take the queued bytes over the connection's byte limit.
    BytesFull,
    /// The writer has discarded the queue (the connection is closing).
    Discarded,
}

/// The shared part of a connection's text queue.
#[derive(Debug)]
pub(crate) struct Outbox {
    state: Mutex<OutboxState>,
    /// Set once the queue is discarded; read without the lock by `ConnHandle::is_closing`.
    discarded: AtomicBool,
    max_frames: usize,
    max_bytes: usize,
    max_voice: usize,
}

#[derive(Debug, Default)]
struct OutboxState {
    items: VecDeque<Outbound>,
    /// Bytes queued here, plus those the writer has taken and not yet flushed.
    bytes: usize,
    /// Voice frames (not charged: at most `max_voice` of them).
    voice: VecDeque<Bytes>,
    /// The parked writer's waker; `Some` only while the writer waits on an empty queue.
    parked_writer: Option<Waker>,
}

impl Outbox {
    /// An empty outbox holding at most `max_frames` text items and `max_bytes` bytes (a single
    /// larger frame is still accepted into an empty queue), and `max_voice` voice frames.
    pub(crate) fn new(max_frames: usize, max_bytes: usize, max_voice: usize) -> Outbox {
        Outbox {
            state: Mutex::new(OutboxState::default()),
            discarded: AtomicBool::new(false),
            max_frames,
            max_bytes,
            max_voice,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OutboxState> {
        // Nothing panics while holding the lock; a poisoned lock still holds consistent state.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues `item`, waking the writer if it is parked. The caller charges its bytes to the
    /// server-wide budget afterwards.
    pub(crate) fn push(&self, item: Outbound) -> Result<(), PushRefused> {
        let size = item.charged_bytes();
        let waker = {
            let mut state = self.lock();
            if self.discarded.load(Ordering::Relaxed) {
                return Err(PushRefused::Discarded);
            }
            if state.items.len() >= self.max_frames {
                return Err(PushRefused::FramesFull);
            }
            if state.bytes > 0 && state.bytes.saturating_add(size) > self.max_bytes {
                return Err(PushRefused::BytesFull);
            }
            state.items.push_back(item);
            state.bytes += size;
            state.parked_writer.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Queues a voice frame, waking the writer if it is parked; dropped (false) when the voice
    /// queue is full or discarded.
    pub(crate) fn push_voice(&self, frame: Bytes) -> bool {
        let waker = {
            let mut state = self.lock();
            if self.discarded.load(Ordering::Relaxed) || state.voice.len() >= self.max_voice {
                return false;
            }
            state.voice.push_back(frame);
            state.parked_writer.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        true
    }

    /// Bytes queued or taken by the writer and not yet flushed.
    pub(crate) fn queued_bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Whether the writer has discarded the queue.
    pub(crate) fn is_discarded(&self) -> bool {
        self.discarded.load(Ordering::Acquire)
    }

    /// Wakes the writer if it is parked (a close was requested).
    pub(crate) fn wake_writer(&self) {
        let waker = self.lock().parked_writer.take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The writer's end of the outbox: text items and voice frames are taken in batches, fed to the
/// socket one by one, and the text's bytes freed when the writer says they are flushed ([`TextQueue::written`]) or when
/// the queue is discarded or dropped.
#[derive(Debug)]
pub struct TextQueue {
    outbox: std::sync::Arc<Outbox>,
    budget: OutboundBudget,
    /// Taken from the outbox and not yet handed out by [`TextQueue::next_item`].
    batch: VecDeque<Outbound>,
    /// Bytes handed out by [`TextQueue::next_item`] and not yet flushed.
    handed_out: usize,
    /// Voice frames taken from the outbox and not yet handed out.
    voice_batch: VecDeque<Bytes>,
}

impl TextQueue {
    pub(crate) fn new(outbox: std::sync::Arc<Outbox>, budget: OutboundBudget) -> TextQueue {
        TextQueue {
            outbox,
            budget,
            batch: VecDeque::new(),
            handed_out: 0,
            voice_batch: VecDeque::new(),
        }
    }

    /// Takes everything queued (text and voice) into the batches. Ready once they hold something or
    /// `stop()` (checked after the writer is registered, under the lock that wakers are
    /// taken under) says the writer should look elsewhere; otherwise parks the writer.
    pub fn poll_fill(&mut self, cx: &mut Context<'_>, stop: impl Fn() -> bool) -> Poll<()> {
        if !self.batch.is_empty() || !self.voice_batch.is_empty() {
            return Poll::Ready(());
        }
        let mut state = self.outbox.lock();
        if !state.items.is_empty() || !state.voice.is_empty() {
            mem::swap(&mut state.items, &mut self.batch);
            mem::swap(&mut state.voice, &mut self.voice_batch);
            state.parked_writer = None;
            return Poll::Ready(());
        }
        match &mut state.parked_writer {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            parked => *parked = Some(cx.waker().clone()),
        }
        drop(state);
        if stop() {
            return Poll::Ready(());
        }
        Poll::Pending
    }

    /// Takes the text queued into the batch without waiting; whether the batch holds anything.
    pub fn try_fill(&mut self) -> bool {
        if self.batch.is_empty() {
            let mut state = self.outbox.lock();
            mem::swap(&mut state.items, &mut self.batch);
        }
        !self.batch.is_empty()
    }

    /// The next item of the batch taken; it stays charged until [`TextQueue::written`].
    pub fn next_item(&mut self) -> Option<Outbound> {
        let item = self.batch.pop_front()?;
        self.handed_out += item.charged_bytes();
        Some(item)
    }

    /// The next voice frame of the batch taken.
    pub fn next_voice(&mut self) -> Option<Bytes> {
        self.voice_batch.pop_front()
    }

    /// Everything handed out so far has been flushed to the socket: its bytes are free again.
    pub fn written(&mut self) {
        if self.handed_out == 0 {
            return;
        }
        self.outbox.lock().bytes -= self.handed_out;
        self.budget.release(self.handed_out);
        self.handed_out = 0;
    }

    /// Drops everything still queued or taken and not handed out (a connection closed without
    /// draining) and refuses more.
    pub fn discard(&mut self) {
        let mut dropped = mem::take(&mut self.batch);
        self.voice_batch = VecDeque::new();
        let freed = {
            let mut state = self.outbox.lock();
            self.outbox.discarded.store(true, Ordering::Release);
            state.voice = VecDeque::new();
            dropped.append(&mut state.items);
            let freed: usize = dropped.iter().map(Outbound::charged_bytes).sum();
            state.bytes -= freed;
            state.parked_writer = None;
            freed
        };
        self.budget.release(freed);
    }
}

impl Drop for TextQueue {
    fn drop(&mut self) {
        self.discard();
        self.written();
    }
}

#[cfg(test)]
mod tests;
