//! The outbox's contract with its writer: a push wakes a parked writer once (not a busy one),
//! a close request wakes it too, everything queued is taken in one batch, and every byte is
//! given back whether it was flushed or discarded.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::server::outbound::{
    CLOSE_GOING_AWAY, CLOSE_SLOW_CONSUMER, ConnHandle, Outbound, OutboundQueues, QueueLimits,
};
use crate::server::outbound_budget::OutboundBudget;

/// A waker that counts how often it was woken.
#[derive(Default)]
struct CountingWaker {
    wakes: AtomicUsize,
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

fn open(frames: usize, bytes: usize, budget: &OutboundBudget) -> (ConnHandle, OutboundQueues) {
    let limits = QueueLimits {
        frames,
        bytes,
        voice: 1,
    };
    ConnHandle::new(7, limits, budget.clone())
}

fn texts_of(queues: &mut OutboundQueues) -> Vec<String> {
    let mut texts = Vec::new();
    while let Some(item) = queues.text.next_item() {
        match item {
            Outbound::Text(text) => texts.push(text.as_str().to_owned()),
            Outbound::Close(code, _) => texts.push(format!("close {code}")),
        }
    }
    texts
}

#[test]
fn a_parked_writer_is_woken_once_by_a_burst_and_takes_it_in_one_batch() {
    let budget = OutboundBudget::new(1 << 20);
    let (handle, mut queues) = open(100, 1 << 20, &budget);
    let counter = Arc::new(CountingWaker::default());
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    let never_stop = || false;
    assert_eq!(queues.text.poll_fill(&mut cx, never_stop), Poll::Pending);
    for n in 0..3 {
        handle.send_text(&Utf8Bytes::from(format!("f{n}")));
    }
    assert_eq!(counter.wakes.load(Ordering::SeqCst), 1, "one wake per park");
    assert_eq!(queues.text.poll_fill(&mut cx, never_stop), Poll::Ready(()));
    // Not parked while it writes: pushes meanwhile wake nobody and wait for the next batch.
    handle.send_text(&Utf8Bytes::from_static("f3"));
    assert_eq!(counter.wakes.load(Ordering::SeqCst), 1);
    assert_eq!(texts_of(&mut queues), ["f0", "f1", "f2"]);
    assert_eq!((handle.queued_bytes(), budget.queued_bytes()), (8, 8));
    queues.text.written();
    assert_eq!((handle.queued_bytes(), budget.queued_bytes()), (2, 2));
    assert_eq!(queues.text.poll_fill(&mut cx, never_stop), Poll::Ready(()));
    assert_eq!(texts_of(&mut queues), ["f3"]);
    queues.text.written();
    assert_eq!(queues.text.poll_fill(&mut cx, never_stop), Poll::Pending);
    assert_eq!((handle.queued_bytes(), budget.queued_bytes()), (0, 0));
}

#[test]
fn a_close_request_wakes_the_parked_writer_and_a_full_queue_closes_with_1013() {
    let budget = OutboundBudget::new(1 << 20);
    let (handle, mut queues) = open(8, 1 << 20, &budget);
    let counter = Arc::new(CountingWaker::default());
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    assert_eq!(queues.text.poll_fill(&mut cx, || false), Poll::Pending);
    handle.request_close(CLOSE_GOING_AWAY, true);
    assert_eq!(counter.wakes.load(Ordering::SeqCst), 1);
    // A request made between the writer's check and its parking is seen by the re-check.
    let (other, mut other_queues) = open(8, 1 << 20, &budget);
    let ready = other_queues.text.poll_fill(&mut cx, || {
        other.request_close(CLOSE_GOING_AWAY, false);
        other.close_request().is_some()
    });
    assert_eq!(ready, Poll::Ready(()));
    // Frames over the queue's depth close the connection as a slow consumer.
    let (slow, _slow_queues) = open(8, 1 << 20, &budget);
    for _ in 0..9 {
        slow.send_text(&Utf8Bytes::from_static("x"));
    }
    assert_eq!(
        slow.close_request().map(|request| request.code),
        Some(CLOSE_SLOW_CONSUMER)
    );
    assert_eq!(slow.queued_bytes(), 8, "the refused frame is not charged");
}

#[test]
fn a_broadcast_push_is_charged_by_its_caller_and_discard_frees_everything() {
    let budget = OutboundBudget::new(1 << 20);
    let (handle, mut queues) = open(8, 1 << 20, &budget);
    let text = Utf8Bytes::from_static("12345");
    assert!(handle.send_text_uncharged(&text));
    handle.send_close(CLOSE_GOING_AWAY, "bye");
    assert!(handle.send_text_uncharged(&text));
    budget.charge(2 * text.len());
    assert!(queues.text.try_fill());
    assert_eq!(texts_of(&mut queues), ["12345", "close 1001", "12345"]);
    // Handed out and not flushed yet: still charged until the queue goes.
    assert_eq!(budget.queued_bytes(), 10);
    queues.text.discard();
    assert!(handle.is_closing(), "a discarded queue refuses more");
    assert!(!handle.send_text_uncharged(&text));
    drop(queues);
    assert_eq!((handle.queued_bytes(), budget.queued_bytes()), (0, 0));
}

#[test]
fn a_writer_releasing_before_the_broadcast_charges_leaves_the_budget_sane() {
    let budget = OutboundBudget::new(100);
    budget.release(40);
    assert_eq!(
        budget.queued_bytes(),
        0,
        "briefly below zero reads as empty"
    );
    budget.charge(40);
    budget.charge(30);
    assert_eq!((budget.queued_bytes(), budget.peak_bytes()), (30, 30));
    assert_eq!(
        budget.slow_closes(),
        0,
        "nothing over the limit, nothing shed"
    );
}

#[test]
fn a_voice_frame_wakes_the_parked_writer_and_frames_beyond_the_voice_queue_are_dropped() {
    let budget = OutboundBudget::new(1 << 20);
    let limits = QueueLimits {
        frames: 8,
        bytes: 1 << 20,
        voice: 2,
    };
    let (handle, mut queues) = ConnHandle::new(9, limits, budget.clone());
    let counter = Arc::new(CountingWaker::default());
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    assert_eq!(queues.text.poll_fill(&mut cx, || false), Poll::Pending);
    for n in 0..5u8 {
        handle.send_voice(&bytes::Bytes::from(vec![n]));
    }
    assert_eq!(counter.wakes.load(Ordering::SeqCst), 1);
    assert_eq!(queues.text.poll_fill(&mut cx, || false), Poll::Ready(()));
    assert!(queues.text.next_item().is_none(), "no text queued");
    let voice: Vec<_> = std::iter::from_fn(|| queues.text.next_voice()).collect();
    assert_eq!(
        voice,
        [vec![0u8], vec![1u8]],
        "the oldest two kept, the rest dropped"
    );
    assert_eq!(
        handle.close_request(),
        None,
        "a full voice queue closes nothing"
    );
    assert_eq!(budget.queued_bytes(), 0, "voice is not charged");
}
