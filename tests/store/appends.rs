//! Appends: id/seq/ts assignment, group commit under concurrency, commit-order callbacks,
//! reopening, and shutdown from inside a callback.

use super::*;

#[tokio::test]
async fn appends_assign_increasing_ids_gap_free_seqs_and_monotonic_ts() {
    let fx = Fixture::new();
    fx.users(&["alice", "bob"]).await;
    fx.channel("ops", ChannelMode::Open, &["alice"]).await;
    let first = fx.msg("general", "alice", "one").await;
    fx.set_time(T0 - 50_000); // the clock goes backwards: ts must not
    let second = fx.msg("general", "bob", "two").await;
    let other = fx.msg("ops", "alice", "elsewhere").await;
    fx.set_time(T0 + 10);
    let third = fx.msg("general", "alice", "three").await;
    assert_eq!(
        [first.seq, second.seq, other.seq, third.seq],
        [Some(1), Some(2), Some(1), Some(3)]
    );
    assert!(first.id < second.id && second.id < other.id && other.id < third.id);
    assert_eq!([first.ts, second.ts, third.ts], [T0, T0, T0 + 10]);
    let ServerFrame::Msg(frame) = &third.frame else {
        panic!("a msg frame, got {:?}", third.frame);
    };
    assert_eq!(
        (frame.ch.as_str(), frame.u.as_str(), frame.c.as_deref()),
        ("general", "alice", Some("three"))
    );
    let channel = fx
        .read(|reader| reader.channel("general"))
        .await
        .expect("general exists");
    assert_eq!(channel.last_seq, 3);
    assert_eq!(
        channel.members,
        vec!["alice".to_string(), "bob".to_string()]
    );
    let unknown = fx.append(msg_op("nowhere", "alice", "x")).await;
    assert!(matches!(unknown, Err(StoreError::NoSuchChannel)));
    assert_eq!(fx.msg("general", "bob", "four").await.seq, Some(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_are_all_acked_persisted_and_contiguous() {
    let fx = Fixture::new();
    fx.users(&["alice"]).await;
    let store = fx.store.clone();
    let mut tasks = Vec::new();
    for task in 0..16 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut acks = Vec::new();
            for n in 0..50 {
                let op = msg_op("general", "alice", &format!("task {task} message {n}"));
                acks.push(store.append_wait(op).await.expect("acked"));
            }
            acks
        }));
    }
    let mut acks = Vec::new();
    for task in tasks {
        acks.extend(
            tokio::time::timeout(WAIT, task)
                .await
                .expect("in time")
                .expect("task"),
        );
    }
    acks.sort_by_key(|ack| ack.id);
    let seqs: Vec<i64> = acks.iter().filter_map(|ack| ack.channel_seq()).collect();
    assert_eq!(seqs, (1..=800).collect::<Vec<i64>>());
    assert!(acks.windows(2).all(|pair| pair[0].ts <= pair[1].ts));
    let page = fx
        .read(|reader| reader.history_after("general", 0, 500))
        .await;
    assert_eq!(page.events.len(), 500);
    assert!(page.more);
    let rest = fx
        .read(|reader| reader.history_after("general", 500, 500))
        .await;
    assert_eq!(rest.events.len(), 300);
    assert!(!rest.more);
}

#[tokio::test]
async fn queued_requests_are_committed_together_and_acked_in_order() {
    let fx = Fixture::with(|options| options.batch_max = 100);
    fx.users(&["alice"]).await;
    let before = fx.store.stats();
    // The first request's callback holds the writer until everything else is queued.
    let (release, hold) = std::sync::mpsc::channel::<()>();
    let (entered, writer_held) = tokio::sync::oneshot::channel::<()>();
    let (acks, mut acked) = tokio::sync::mpsc::unbounded_channel();
    let first_acks = acks.clone();
    fx.store
        .append(
            msg_op("general", "alice", "first"),
            Box::new(move |result| {
                let _ = entered.send(());
                let _ = hold.recv_timeout(WAIT);
                let _ = first_acks.send(result.map(|a| a.channel_seq()));
            }),
        )
        .expect("queued");
    tokio::time::timeout(WAIT, writer_held)
        .await
        .expect("writer reached the callback")
        .expect("callback ran");
    for n in 0..250 {
        let acks = acks.clone();
        fx.store
            .append(
                msg_op("general", "alice", &format!("queued {n}")),
                Box::new(move |result| {
                    let _ = acks.send(result.map(|a| a.channel_seq()));
                }),
            )
            .expect("queued");
    }
    release.send(()).expect("writer waiting");
    let mut seqs = Vec::new();
    for _ in 0..251 {
        let ack = tokio::time::timeout(WAIT, acked.recv())
            .await
            .expect("ack in time");
        seqs.push(ack.expect("ack").expect("appended").expect("has seq"));
    }
    assert_eq!(
        seqs,
        (1..=251).collect::<Vec<i64>>(),
        "acks in commit order"
    );
    let after = fx.store.stats();
    assert_eq!(after.requests - before.requests, 251);
    // 1 batch for the first request, then 250 queued ones in batches of at most 100.
    assert_eq!(after.transactions - before.transactions, 4);
}

#[tokio::test]
async fn reopening_keeps_everything_and_continues_counters() {
    let mut fx = Fixture::new();
    fx.users(&["alice"]).await;
    let first = fx.msg("general", "alice", "before restart").await;
    fx.append(react_op("general", "alice", first.id, "👍", true))
        .await
        .expect("react");
    fx.store
        .create_session("alice", [7; 32], T0)
        .await
        .expect("session");
    let path = fx.path.clone();
    fx.reopen();
    fx.set_time(T0 - 10);
    let second = fx.msg("general", "alice", "after restart").await;
    assert_eq!(second.seq, Some(3));
    assert!(second.id > first.id && second.ts >= first.ts);
    let page = fx.read(|r| r.history("general", &query(10))).await;
    assert_eq!(texts(&page.events), ["before restart", "after restart"]);
    assert!(page.events[0].reacts.is_some());
    assert_eq!(
        fx.read(|r| r.session_user(&[7; 32], T0)).await.as_deref(),
        Some("alice")
    );
    assert_eq!(
        super::search::search_texts(&fx, &["general"], "restart", SearchSort::Newest)
            .await
            .len(),
        2
    );
    fx.store.close();
    let closed = fx
        .store
        .append_wait(msg_op("general", "alice", "too late"))
        .await;
    assert!(matches!(closed, Err(StoreError::Unavailable(_))));
    let reader = StoreReader::open(&path).expect("read-only open");
    assert_eq!(
        reader
            .history("general", &query(10))
            .expect("history")
            .events
            .len(),
        2
    );
}

#[tokio::test]
async fn the_last_handle_may_be_dropped_inside_a_callback() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("chat.db");
    let store = Store::open(&path, StoreOptions::default()).expect("open");
    store
        .create_account("alice", "phc", None, T0)
        .await
        .expect("account");
    let last_handle = store.clone();
    let (dropped, store_dropped) = std::sync::mpsc::channel::<()>();
    let (acked, ack) = tokio::sync::oneshot::channel();
    store
        .append(
            msg_op("general", "alice", "bye"),
            Box::new(move |result| {
                let _ = store_dropped.recv_timeout(WAIT);
                drop(last_handle); // the writer thread now drops the last Store handle
                let _ = acked.send(result.map(|appended| appended.channel_seq()));
            }),
        )
        .expect("queued");
    drop(store);
    dropped.send(()).expect("callback waiting");
    let seq = tokio::time::timeout(WAIT, ack)
        .await
        .expect("acked in time");
    assert_eq!(seq.expect("callback ran").expect("appended"), Some(1));
    let reader = tokio::task::spawn_blocking(move || {
        let store = Store::open(&path, StoreOptions::default()).expect("reopen");
        let events = store
            .read_blocking(|r| r.history("general", &query(5)))
            .expect("history")
            .events;
        store.close();
        events
    });
    let events = tokio::time::timeout(WAIT, reader)
        .await
        .expect("in time")
        .expect("task");
    assert_eq!(texts(&events), ["bye"]);
}
