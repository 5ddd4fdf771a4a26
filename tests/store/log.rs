//! The store as the event log (`EventLog`): commit callbacks in commit order with gap-free
//! per-scope seqs, range reads by scope and by position, a subscription that replays from a
//! position and then follows new commits, and an append the log cannot take refused at once
//! without its callback.

use chatify::store::{EventBody, EventLog};

use super::*;

#[tokio::test]
async fn the_log_reads_ranges_and_a_subscription_replays_then_follows() {
    let fx = Fixture::new();
    fx.users(&["alice", "bob"]).await;
    let first = fx.msg("general", "alice", "one").await;
    fx.msg("general", "bob", "two").await;
    let log: &dyn EventLog = &fx.store;
    let page = tokio::time::timeout(WAIT, log.read_scope("#general", 0, 10))
        .await
        .expect("in time")
        .expect("read scope");
    let seqs: Vec<i64> = page.events.iter().map(|event| event.seq).collect();
    assert_eq!((seqs, page.more), (vec![1, 2], false));
    let after_first = tokio::time::timeout(WAIT, log.read_after(first.id, 10))
        .await
        .expect("in time")
        .expect("read after");
    assert_eq!(after_first.len(), 1);
    assert_eq!(after_first[0].sender, "bob");

    let mut subscription = log.subscribe(0);
    let replayed = tokio::time::timeout(WAIT, subscription.next_batch(10))
        .await
        .expect("replay in time")
        .expect("replay");
    let texts: Vec<&str> = replayed
        .iter()
        .filter_map(|event| match &event.body {
            EventBody::Msg { c, .. } => Some(c.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["one", "two"]);
    assert_eq!(subscription.position(), replayed[1].id);
    let waiting = tokio::spawn(async move {
        let batch = subscription.next_batch(10).await;
        (batch, subscription.position())
    });
    let third = fx.msg("general", "alice", "three").await;
    let (batch, position) = tokio::time::timeout(WAIT, waiting)
        .await
        .expect("the new commit wakes the subscription")
        .expect("task");
    let batch = batch.expect("next batch");
    assert_eq!(batch.len(), 1);
    assert_eq!(
        (batch[0].id, batch[0].seq, position),
        (third.id, 3, third.id)
    );
}

#[tokio::test]
async fn commit_callbacks_run_in_order_and_a_closed_log_refuses_at_once() {
    let fx = Fixture::new();
    fx.users(&["alice"]).await;
    let (sent, mut received) = tokio::sync::mpsc::unbounded_channel();
    for n in 0..50 {
        let sent = sent.clone();
        let accepted = EventLog::append(
            &fx.store,
            msg_op("general", "alice", &format!("m{n}")),
            Box::new(move |result| {
                let _ = sent.send(result.map(|event| (event.id, event.seq)));
            }),
        );
        accepted.expect("the log takes it");
    }
    let mut committed = Vec::new();
    for _ in 0..50 {
        let result = tokio::time::timeout(WAIT, received.recv())
            .await
            .expect("callback in time")
            .expect("callback");
        committed.push(result.expect("committed"));
    }
    let seqs: Vec<i64> = committed.iter().map(|(_, seq)| *seq).collect();
    assert_eq!(
        seqs,
        (1..=50).collect::<Vec<i64>>(),
        "commit order, no gaps"
    );
    assert!(committed.windows(2).all(|pair| pair[0].0 < pair[1].0));

    fx.store.close();
    let called = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = called.clone();
    let refused = EventLog::append(
        &fx.store,
        msg_op("general", "alice", "too late"),
        Box::new(move |_| flag.store(true, Ordering::SeqCst)),
    );
    assert!(matches!(refused, Err(StoreError::Unavailable(_))));
    assert!(
        !called.load(Ordering::SeqCst),
        "a refused append gets no callback"
    );
}
