//! Integration tests of the SQLite event store through its public API (`chatify::store`): appends
//! and ordering, group commit under concurrency, history/catch-up/DM queries, folding, rewind,
//! search (full-text and blind), accounts/sessions/channels, reopening, migrations from older
//! schemas, and refusal of newer schemas and foreign files with the file left untouched.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chatify::proto::{self, ChannelMode, KdfSpec, SearchSort, ServerFrame};
use chatify::store::migrations::{self, MigrateOptions, MigrateProgress};
use chatify::store::{
    AppendOp, Appended, HistoryQuery, NewChannel, Reader, SearchOptions, Store, StoreError,
    StoreOptions,
};

const WAIT: Duration = Duration::from_secs(10);
const T0: i64 = 1_764_000_000_000;

/// A test database with a clock the test moves.
struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    clock: Arc<AtomicI64>,
    store: Store,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture::with(|_| {})
    }

    fn with(adjust: impl FnOnce(&mut StoreOptions)) -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("nested").join("chat.db");
        let clock = Arc::new(AtomicI64::new(T0));
        let mut options = clock_options(&clock);
        adjust(&mut options);
        let store = Store::open(&path, options).expect("open store");
        Fixture {
            _dir: dir,
            path,
            clock,
            store,
        }
    }

    fn set_time(&self, ms: i64) {
        self.clock.store(ms, Ordering::SeqCst);
    }

    fn reopen(&mut self) {
        self.store.close();
        self.store = Store::open(&self.path, clock_options(&self.clock)).expect("reopen store");
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Reader) -> Result<T, StoreError> + Send + 'static,
    ) -> T {
        tokio::time::timeout(WAIT, self.store.read(f))
            .await
            .expect("read in time")
            .expect("read succeeds")
    }

    async fn append(&self, op: AppendOp) -> Result<Appended, StoreError> {
        tokio::time::timeout(WAIT, self.store.append_wait(op))
            .await
            .expect("append in time")
    }

    async fn msg(&self, channel: &str, sender: &str, text: &str) -> Appended {
        self.append(msg_op(channel, sender, text))
            .await
            .expect("msg appended")
    }

    async fn users(&self, names: &[&str]) {
        for name in names {
            self.store
                .create_account(name, "$argon2id$v=19$fake", Some("pk"), T0)
                .await
                .expect("account created");
        }
    }

    async fn channel(&self, name: &str, mode: ChannelMode, members: &[&str]) {
        let sealed = mode == ChannelMode::Sealed;
        self.store
            .create_channel(NewChannel {
                name: name.into(),
                mode,
                salt: sealed.then(|| "c2FsdHNhbHRzYWx0c2FsdA==".into()),
                kdf: sealed.then(|| KdfSpec {
                    alg: "argon2id".into(),
                    m: 65536,
                    t: 3,
                    p: 1,
                }),
                kcv: sealed.then(|| "a2N2a2N2a2N2a2N2a2N2".into()),
                creator: members.first().copied().unwrap_or("alice").into(),
                now_ms: T0,
            })
            .await
            .expect("channel created");
        for member in members {
            self.store
                .add_member(name, member, T0)
                .await
                .expect("member added");
        }
    }
}

fn clock_options(clock: &Arc<AtomicI64>) -> StoreOptions {
    let clock = clock.clone();
    StoreOptions {
        clock: Some(Arc::new(move || clock.load(Ordering::SeqCst))),
        ..StoreOptions::default()
    }
}

fn msg_op(channel: &str, sender: &str, text: &str) -> AppendOp {
    AppendOp::Msg {
        channel: channel.into(),
        sender: sender.into(),
        c: text.into(),
        enc: None,
        idx: Vec::new(),
        reply_to: None,
    }
}

fn sealed_msg(channel: &str, sender: &str, tokens: &[&str]) -> AppendOp {
    AppendOp::Msg {
        channel: channel.into(),
        sender: sender.into(),
        c: "ZW52ZWxvcGU=".into(),
        enc: Some(proto::ENC_XC20P1.into()),
        idx: tokens.iter().map(|t| t.to_string()).collect(),
        reply_to: None,
    }
}

fn edit_op(channel: &str, sender: &str, target: i64, text: &str) -> AppendOp {
    AppendOp::Edit {
        channel: channel.into(),
        sender: sender.into(),
        target,
        c: text.into(),
        enc: None,
        idx: None,
    }
}

fn delete_op(channel: &str, sender: &str, target: i64) -> AppendOp {
    AppendOp::Delete {
        channel: channel.into(),
        sender: sender.into(),
        target,
    }
}

fn react_op(channel: &str, sender: &str, target: i64, emoji: &str, on: bool) -> AppendOp {
    AppendOp::React {
        channel: channel.into(),
        sender: sender.into(),
        target,
        emoji: emoji.into(),
        on,
    }
}

fn query(limit: u32) -> HistoryQuery {
    HistoryQuery {
        limit,
        ..HistoryQuery::default()
    }
}

fn texts(events: &[proto::MessageEvent]) -> Vec<String> {
    events
        .iter()
        .map(|event| event.c.clone().unwrap_or_else(|| "<deleted>".into()))
        .collect()
}

fn sha(path: &Path) -> blake3::Hash {
    blake3::hash(&std::fs::read(path).expect("read database file"))
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

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
    let seqs: Vec<i64> = acks.iter().filter_map(|ack| ack.seq).collect();
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
    fx.store.append(
        msg_op("general", "alice", "first"),
        Box::new(move |result| {
            let _ = entered.send(());
            let _ = hold.recv_timeout(WAIT);
            let _ = first_acks.send(result.map(|a| a.seq));
        }),
    );
    tokio::time::timeout(WAIT, writer_held)
        .await
        .expect("writer reached the callback")
        .expect("callback ran");
    for n in 0..250 {
        let acks = acks.clone();
        fx.store.append(
            msg_op("general", "alice", &format!("queued {n}")),
            Box::new(move |result| {
                let _ = acks.send(result.map(|a| a.seq));
            }),
        );
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
async fn history_pages_backwards_by_seq_time_and_author() {
    let fx = Fixture::new();
    fx.users(&["alice", "Bob"]).await;
    for n in 1..=120 {
        fx.set_time(T0 + n * 1000);
        let sender = if n % 3 == 0 { "Bob" } else { "alice" };
        fx.msg("general", sender, &format!("m{n}")).await;
    }
    let page = fx.read(|r| r.history("general", &query(50))).await;
    assert_eq!(page.events.first().map(|e| e.seq), Some(71));
    assert_eq!(page.events.last().map(|e| e.seq), Some(120));
    assert!(page.more);
    let older = HistoryQuery {
        before_seq: Some(71),
        ..query(50)
    };
    let page = fx.read(move |r| r.history("general", &older)).await;
    assert_eq!(
        (page.events[0].seq, page.events[49].seq, page.more),
        (21, 70, true)
    );
    let oldest = HistoryQuery {
        before_seq: Some(21),
        ..query(50)
    };
    let page = fx.read(move |r| r.history("general", &oldest)).await;
    assert_eq!((page.events.len(), page.more), (20, false));
    assert_eq!(texts(&page.events)[0], "m1");

    // since inclusive, until exclusive; the newest `limit` inside the window.
    let window = HistoryQuery {
        since_ms: Some(T0 + 10_000),
        until_ms: Some(T0 + 20_000),
        ..query(5)
    };
    let page = fx.read(move |r| r.history("general", &window)).await;
    assert_eq!(texts(&page.events), ["m15", "m16", "m17", "m18", "m19"]);
    assert!(page.more);
    let whole_window = HistoryQuery {
        since_ms: Some(T0 + 10_000),
        until_ms: Some(T0 + 20_000),
        ..query(50)
    };
    let page = fx.read(move |r| r.history("general", &whole_window)).await;
    assert_eq!((page.events.len(), page.more), (10, false));

    let by_bob = HistoryQuery {
        from: Some("bob".into()),
        before_seq: Some(100),
        ..query(3)
    };
    let page = fx.read(move |r| r.history("general", &by_bob)).await;
    assert_eq!(texts(&page.events), ["m93", "m96", "m99"]);
    assert!(page.events.iter().all(|e| e.u == "Bob"));
    assert!(page.more);
    let empty = fx.read(|r| r.history("nowhere", &query(50))).await;
    assert_eq!((empty.events.len(), empty.more), (0, false));
}

#[tokio::test]
async fn catch_up_returns_raw_frames_exactly_as_broadcast() {
    let fx = Fixture::new();
    fx.users(&["alice", "bob"]).await;
    let mut broadcast = Vec::new();
    let hello = fx.msg("general", "alice", "hello").await;
    broadcast.push(hello.frame.clone());
    for op in [
        edit_op("general", "alice", hello.id, "hello, fixed"),
        react_op("general", "bob", hello.id, "👍", true),
        msg_op("general", "bob", "hi"),
        delete_op("general", "alice", hello.id),
    ] {
        broadcast.push(fx.append(op).await.expect("appended").frame);
    }
    let page = fx.read(|r| r.history_after("general", 0, 100)).await;
    assert_eq!(page.events, broadcast);
    assert!(!page.more);
    let tail = fx.read(|r| r.history_after("general", 3, 1)).await;
    assert_eq!(tail.events, broadcast[3..4].to_vec());
    assert!(tail.more);
    let ServerFrame::Edit(edit) = &broadcast[1] else {
        panic!("an edit frame");
    };
    assert_eq!(
        (edit.id, edit.seq, edit.c.as_str()),
        (hello.id, 2, "hello, fixed")
    );
}

#[tokio::test]
async fn history_folds_edits_deletes_and_reactions() {
    let fx = Fixture::new();
    fx.users(&["alice", "bob", "carol"]).await;
    fx.channel("ops", ChannelMode::Open, &["alice", "bob"])
        .await;
    let a = fx.msg("general", "alice", "draft").await;
    let b = fx.msg("general", "bob", "second").await;
    let ops_msg = fx.msg("ops", "alice", "in ops").await;
    fx.set_time(T0 + 5_000);
    fx.append(edit_op("general", "alice", a.id, "better"))
        .await
        .expect("edit");
    fx.set_time(T0 + 6_000);
    fx.append(edit_op("general", "ALICE", a.id, "best"))
        .await
        .expect("edit by author, any case");
    for (user, emoji, on) in [
        ("bob", "👍", true),
        ("carol", "👍", true),
        ("bob", "🎉", true),
        ("bob", "🎉", false),
    ] {
        fx.append(react_op("general", user, a.id, emoji, on))
            .await
            .expect("react");
    }
    fx.append(react_op("general", "carol", b.id, "👀", true))
        .await
        .expect("react");
    fx.append(delete_op("general", "bob", b.id))
        .await
        .expect("delete");

    let rejected = [
        (edit_op("general", "bob", a.id, "not mine"), "forbidden"),
        (delete_op("general", "carol", a.id), "forbidden"),
        (
            edit_op("general", "bob", b.id, "deleted"),
            "no_such_message",
        ),
        (
            react_op("general", "alice", b.id, "👍", true),
            "no_such_message",
        ),
        (
            edit_op("general", "alice", 999_999, "unknown"),
            "no_such_message",
        ),
        (
            edit_op("general", "alice", ops_msg.id, "other channel"),
            "no_such_message",
        ),
        (
            react_op("general", "alice", ops_msg.id, "👍", true),
            "no_such_message",
        ),
    ];
    for (op, expected) in rejected {
        let outcome = match fx.append(op).await {
            Err(StoreError::Forbidden) => "forbidden",
            Err(StoreError::NoSuchMessage) => "no_such_message",
            other => panic!("unexpected outcome {other:?}"),
        };
        assert_eq!(outcome, expected);
    }

    let page = fx.read(|r| r.history("general", &query(50))).await;
    assert_eq!(page.events.len(), 2, "one object per message");
    let folded_a = &page.events[0];
    assert_eq!(folded_a.c.as_deref(), Some("best"));
    assert_eq!(folded_a.edited, Some(T0 + 6_000));
    assert_eq!((folded_a.ts, folded_a.seq, folded_a.id), (T0, 1, a.id));
    let reacts = folded_a.reacts.clone().expect("reactions");
    assert_eq!(reacts.len(), 1);
    assert_eq!(reacts["👍"], vec!["bob".to_string(), "carol".to_string()]);
    let folded_b = &page.events[1];
    assert!(folded_b.deleted);
    assert_eq!(
        (folded_b.id, folded_b.seq, folded_b.u.as_str()),
        (b.id, 2, "bob")
    );
    assert_eq!(
        (folded_b.c.clone(), folded_b.edited, folded_b.reacts.clone()),
        (None, None, None)
    );
    let json = serde_json::to_value(ServerFrame::Msg(folded_b.clone())).expect("json");
    assert_eq!(json.get("c"), None);
    assert_eq!(json["deleted"], true);
    // The channel's seqs went on counting edits, reactions and the delete; no rejected op took one.
    let last = fx
        .read(|r| r.channel("general"))
        .await
        .expect("general")
        .last_seq;
    assert_eq!(last, 2 + 2 + 4 + 1 + 1);
}

#[tokio::test]
async fn rewind_shows_messages_as_they_stood() {
    let fx = Fixture::new();
    fx.users(&["alice", "bob"]).await;
    let first = fx.msg("general", "alice", "original").await;
    fx.set_time(T0 + 2_000);
    fx.append(edit_op("general", "alice", first.id, "edited"))
        .await
        .expect("edit");
    fx.set_time(T0 + 2_500);
    fx.append(react_op("general", "bob", first.id, "👍", true))
        .await
        .expect("react");
    fx.set_time(T0 + 3_000);
    fx.append(delete_op("general", "alice", first.id))
        .await
        .expect("delete");
    fx.set_time(T0 + 4_000);
    fx.msg("general", "bob", "later").await;

    let at = |ms: i64| {
        let fx_store = fx.store.clone();
        async move {
            fx_store
                .read(move |r| r.rewind("general", ms, 50))
                .await
                .expect("rewind")
        }
    };
    assert!(at(T0 - 1).await.is_empty());
    let before_edit = at(T0 + 1_999).await;
    assert_eq!(texts(&before_edit), ["original"]);
    assert_eq!(before_edit[0].edited, None);
    let at_edit = at(T0 + 2_000).await;
    assert_eq!(
        (texts(&at_edit), at_edit[0].edited),
        (vec!["edited".to_string()], Some(T0 + 2_000))
    );
    assert_eq!(at_edit[0].reacts, None);
    let reacted = at(T0 + 2_999).await;
    assert_eq!(
        reacted[0].reacts.as_ref().map(|r| r["👍"].clone()),
        Some(vec!["bob".to_string()])
    );
    let deleted = at(T0 + 3_500).await;
    assert_eq!(texts(&deleted), ["<deleted>"]);
    assert!(deleted[0].deleted);
    let now = at(T0 + 4_000).await;
    assert_eq!(texts(&now), ["<deleted>", "later"]);
    let current = fx.read(|r| r.history("general", &query(50))).await;
    assert_eq!(now, current.events, "rewind to now equals folded history");
    let last_one = fx
        .store
        .read(|r| r.rewind("general", T0 + 4_000, 1))
        .await
        .expect("rewind");
    assert_eq!(texts(&last_one), ["later"]);
}

fn search_options(sort: SearchSort) -> SearchOptions {
    SearchOptions {
        sort,
        ..SearchOptions::default()
    }
}

async fn search(fx: &Fixture, channels: &[&str], q: &str, sort: SearchSort) -> Vec<String> {
    let channels: Vec<String> = channels.iter().map(|c| c.to_string()).collect();
    let q = q.to_string();
    let found = fx
        .read(move |r| r.search(&channels, &q, &search_options(sort)))
        .await;
    texts(&found)
}

#[tokio::test]
async fn full_text_search_matches_words_prefixes_and_phrases_in_given_channels() {
    let fx = Fixture::new();
    fx.users(&["alice", "bob"]).await;
    fx.channel("ops", ChannelMode::Open, &["alice"]).await;
    fx.channel("vault", ChannelMode::Sealed, &["alice"]).await;
    fx.msg("general", "alice", "the deploy failed again").await;
    fx.msg("general", "bob", "deployment went fine").await;
    fx.msg(
        "general",
        "bob",
        "failed to deploy: the build failed, failed, failed",
    )
    .await;
    fx.msg("ops", "alice", "ops deploy failed too").await;
    fx.msg("general", "alice", "Le café est prêt").await;
    let gone = fx
        .msg("general", "alice", "secret deploy failed plan")
        .await;
    fx.append(delete_op("general", "alice", gone.id))
        .await
        .expect("delete");
    let edited = fx.msg("general", "bob", "old wording").await;
    fx.append(edit_op(
        "general",
        "bob",
        edited.id,
        "new wording about rollback",
    ))
    .await
    .expect("edit");

    let newest = search(&fx, &["general"], "deploy failed", SearchSort::Newest).await;
    assert_eq!(
        newest,
        [
            "failed to deploy: the build failed, failed, failed",
            "the deploy failed again"
        ]
    );
    let ranked = search(&fx, &["general"], "failed deploy", SearchSort::Rank).await;
    assert_eq!(
        ranked[0], "failed to deploy: the build failed, failed, failed",
        "bm25 ranks more hits first"
    );
    assert_eq!(ranked.len(), 2);
    let phrase = search(&fx, &["general"], "\"deploy failed\"", SearchSort::Newest).await;
    assert_eq!(phrase, ["the deploy failed again"]);
    let prefix = search(&fx, &["general"], "deploy*", SearchSort::Newest).await;
    assert_eq!(prefix.len(), 3);
    assert!(prefix.contains(&"deployment went fine".to_string()));
    let both = search(
        &fx,
        &["general", "ops"],
        "deploy failed",
        SearchSort::Newest,
    )
    .await;
    assert_eq!(both[0], "ops deploy failed too");
    assert_eq!(both.len(), 3);
    assert_eq!(
        search(&fx, &["ops"], "deployment", SearchSort::Rank)
            .await
            .len(),
        0
    );
    assert_eq!(search(&fx, &[], "deploy", SearchSort::Rank).await.len(), 0);
    // Unicode folding: case and diacritics.
    assert_eq!(
        search(&fx, &["general"], "CAFE pret", SearchSort::Rank).await,
        ["Le café est prêt"]
    );
    // Deleted messages are gone from the index; edited ones are found by their new text only.
    assert!(
        search(&fx, &["general"], "secret", SearchSort::Rank)
            .await
            .is_empty()
    );
    assert!(
        search(&fx, &["general"], "old", SearchSort::Rank)
            .await
            .is_empty()
    );
    assert_eq!(
        search(&fx, &["general"], "rollback", SearchSort::Rank).await,
        ["new wording about rollback"]
    );
    // FTS syntax in the input is text, never an SQL or FTS error.
    for hostile in [
        "NEAR(deploy failed)",
        "deploy OR x",
        "c:deploy",
        "\"",
        "(((",
        "*",
        "deploy\" OR \"x",
        "'; DROP TABLE events; --",
        "ch6765:x",
    ] {
        let hostile = hostile.to_string();
        let result = fx
            .store
            .read(move |r| {
                r.search(
                    &["general".to_string()],
                    &hostile,
                    &SearchOptions::default(),
                )
            })
            .await;
        assert!(result.is_ok(), "query {result:?} must not fail");
    }
    let short_prefix = fx
        .store
        .read(|r| r.search(&["general".to_string()], "d*", &SearchOptions::default()))
        .await;
    assert!(matches!(short_prefix, Err(StoreError::BadQuery(_))));
    // Author and time filters, and the limit.
    let filtered = SearchOptions {
        from: Some("BOB".into()),
        sort: SearchSort::Newest,
        limit: 1,
        ..SearchOptions::default()
    };
    let found = fx
        .read(move |r| r.search(&["general".to_string()], "deploy*", &filtered))
        .await;
    assert_eq!(
        texts(&found),
        ["failed to deploy: the build failed, failed, failed"]
    );
}

#[tokio::test]
async fn blind_search_follows_current_tokens() {
    let fx = Fixture::new();
    fx.users(&["alice", "bob"]).await;
    fx.channel("vault", ChannelMode::Sealed, &["alice", "bob"])
        .await;
    fx.channel("other", ChannelMode::Sealed, &["alice"]).await;
    let one = fx
        .append(sealed_msg("vault", "alice", &["tA", "tB", "tA"]))
        .await
        .expect("msg");
    let two = fx
        .append(sealed_msg("vault", "bob", &["tB", "tC"]))
        .await
        .expect("msg");
    fx.append(sealed_msg("other", "alice", &["tA", "tB"]))
        .await
        .expect("msg");
    let blind = |tokens: &[&str]| {
        let tokens: Vec<String> = tokens.iter().map(|t| t.to_string()).collect();
        let store = fx.store.clone();
        async move {
            let found = store
                .read(move |r| r.search_blind("vault", &tokens, &SearchOptions::default()))
                .await
                .expect("blind search");
            found.iter().map(|m| m.id).collect::<Vec<i64>>()
        }
    };
    assert_eq!(blind(&["tB"]).await, [two.id, one.id], "newest first");
    assert_eq!(blind(&["tA", "tB"]).await, [one.id]);
    assert_eq!(blind(&["tA", "tC"]).await, Vec::<i64>::new());
    assert_eq!(blind(&[]).await, Vec::<i64>::new());
    // An edit with idx replaces the tokens; one without keeps them.
    let edit = |target: i64, idx: Option<Vec<String>>| AppendOp::Edit {
        channel: "vault".into(),
        sender: "alice".into(),
        target,
        c: "bmV3".into(),
        enc: Some(proto::ENC_XC20P1.into()),
        idx,
    };
    fx.append(edit(one.id, None))
        .await
        .expect("edit keeps tokens");
    assert_eq!(blind(&["tA"]).await, [one.id]);
    fx.append(edit(one.id, Some(vec!["tZ".into()])))
        .await
        .expect("edit replaces tokens");
    assert_eq!(blind(&["tA"]).await, Vec::<i64>::new());
    assert_eq!(blind(&["tZ"]).await, [one.id]);
    let found = fx
        .read(|r| r.search_blind("vault", &["tZ".to_string()], &SearchOptions::default()))
        .await;
    assert_eq!(found[0].c.as_deref(), Some("bmV3"));
    assert_eq!(found[0].enc.as_deref(), Some(proto::ENC_XC20P1));
    fx.append(delete_op("vault", "bob", two.id))
        .await
        .expect("delete");
    assert_eq!(blind(&["tB"]).await, Vec::<i64>::new());
    // idx is stored for search but never broadcast or returned.
    let raw = fx.read(|r| r.history_after("vault", 0, 10)).await;
    let json = serde_json::to_string(&raw.events).expect("json");
    assert!(!json.contains("idx") && !json.contains("tZ"));
}

#[tokio::test]
async fn direct_messages_have_their_own_scope_and_history() {
    let fx = Fixture::new();
    fx.users(&["alice", "Bob", "carol"]).await;
    let mut sent = Vec::new();
    for n in 0..5 {
        fx.set_time(T0 + n * 1000);
        let (from, to) = if n % 2 == 0 {
            ("alice", "bob")
        } else {
            ("Bob", "alice")
        };
        let op = AppendOp::Dm {
            from: from.into(),
            to: to.into(),
            c: format!("Y2lwaGVy{n}"),
            enc: proto::ENC_XC20P1.into(),
        };
        let appended = fx.append(op).await.expect("dm");
        assert_eq!(appended.seq, None);
        let ServerFrame::Dm(dm) = appended.frame else {
            panic!("a dm frame");
        };
        sent.push(dm);
    }
    assert_eq!(sent[0].to, "Bob", "the recipient as registered");
    fx.append(AppendOp::Dm {
        from: "alice".into(),
        to: "carol".into(),
        c: "eA==".into(),
        enc: proto::ENC_XC20P1.into(),
    })
    .await
    .expect("dm to carol");
    let unknown = fx
        .append(AppendOp::Dm {
            from: "alice".into(),
            to: "nobody".into(),
            c: "eA==".into(),
            enc: proto::ENC_XC20P1.into(),
        })
        .await;
    assert!(matches!(unknown, Err(StoreError::NoSuchUser)));
    let page = fx.read(|r| r.dm_history("BOB", "alice", &query(3))).await;
    assert_eq!(page.events, sent[2..].to_vec());
    assert!(page.more);
    let before = sent[2].id;
    let older = HistoryQuery {
        before_id: Some(before),
        ..query(3)
    };
    let page = fx.read(move |r| r.dm_history("alice", "bob", &older)).await;
    assert_eq!((page.events, page.more), (sent[..2].to_vec(), false));
    let window = HistoryQuery {
        since_ms: Some(T0 + 1000),
        until_ms: Some(T0 + 3000),
        ..query(10)
    };
    let page = fx
        .read(move |r| r.dm_history("alice", "bob", &window))
        .await;
    assert_eq!(page.events, sent[1..3].to_vec());
    let from_bob = HistoryQuery {
        from: Some("bob".into()),
        ..query(10)
    };
    let page = fx
        .read(move |r| r.dm_history("alice", "bob", &from_bob))
        .await;
    assert_eq!(page.events, vec![sent[1].clone(), sent[3].clone()]);
    assert_eq!(fx.read(|r| r.last_seq("@alice:bob")).await, 5);
    assert_eq!(
        fx.read(|r| r.last_seq("#general")).await,
        0,
        "DMs take no channel seq"
    );
}

#[tokio::test]
async fn accounts_and_sessions_with_expiry() {
    let fx = Fixture::new();
    let account = fx
        .store
        .create_account("Alice", "$argon2id$phc", None, T0)
        .await
        .expect("created");
    assert_eq!(account.name, "Alice");
    let taken = fx
        .store
        .create_account("alice", "$argon2id$x", None, T0)
        .await;
    assert!(matches!(taken, Err(StoreError::UserExists)));
    let found = fx
        .read(|r| r.account("ALICE"))
        .await
        .expect("case-insensitive");
    assert_eq!(
        (
            found.name.as_str(),
            found.password_phc.as_str(),
            found.pk.clone()
        ),
        ("Alice", "$argon2id$phc", None)
    );
    fx.store
        .set_public_key("alice", "cGs=")
        .await
        .expect("pk set");
    assert_eq!(
        fx.read(|r| r.account("alice"))
            .await
            .and_then(|a| a.pk)
            .as_deref(),
        Some("cGs=")
    );
    assert!(matches!(
        fx.store.set_public_key("nobody", "x").await,
        Err(StoreError::NoSuchUser)
    ));
    assert_eq!(fx.read(|r| r.user_channels("alice")).await, ["general"]);

    let token = *blake3::hash(b"token").as_bytes();
    let day = 24 * 60 * 60 * 1000;
    fx.store
        .create_session("alice", token, T0)
        .await
        .expect("session");
    assert!(matches!(
        fx.store.create_session("nobody", token, T0).await,
        Err(StoreError::NoSuchUser)
    ));
    let user = fx
        .read(move |r| r.session_user(&token, T0 + 29 * day))
        .await;
    assert_eq!(user.as_deref(), Some("Alice"));
    fx.store
        .touch_session(token, T0 + 29 * day)
        .await
        .expect("touch");
    let user = fx
        .read(move |r| r.session_user(&token, T0 + 58 * day))
        .await;
    assert_eq!(
        user.as_deref(),
        Some("Alice"),
        "use restarts the 30-day clock"
    );
    assert_eq!(
        fx.read(move |r| r.session_user(&token, T0 + 60 * day))
            .await,
        None
    );
    let unknown = *blake3::hash(b"other").as_bytes();
    assert_eq!(fx.read(move |r| r.session_user(&unknown, T0)).await, None);
    assert!(matches!(
        fx.store.touch_session(unknown, T0).await,
        Err(StoreError::NoSuchUser)
    ));
    fx.store.delete_session(token).await.expect("logout");
    assert_eq!(
        fx.read(move |r| r.session_user(&token, T0 + 29 * day))
            .await,
        None
    );
}

#[tokio::test]
async fn channels_and_memberships() {
    let fx = Fixture::new();
    fx.users(&["alice", "bob", "carol"]).await;
    fx.channel("vault", ChannelMode::Sealed, &["alice", "bob"])
        .await;
    let again = fx
        .store
        .create_channel(NewChannel {
            name: "vault".into(),
            mode: ChannelMode::Open,
            salt: None,
            kdf: None,
            kcv: None,
            creator: "carol".into(),
            now_ms: T0 + 1,
        })
        .await
        .expect("existing channel");
    assert_eq!(
        again.mode,
        ChannelMode::Sealed,
        "create of an existing channel is ignored"
    );
    assert_eq!(again.created_by, "alice");
    assert_eq!(again.kdf.as_ref().map(|k| k.m), Some(65536));
    assert!(again.salt.is_some() && again.kcv.is_some());
    assert_eq!(again.members, ["alice", "bob"]);
    fx.store
        .add_member("vault", "alice", T0)
        .await
        .expect("idempotent join");
    assert!(matches!(
        fx.store.add_member("nowhere", "alice", T0).await,
        Err(StoreError::NoSuchChannel)
    ));
    assert!(matches!(
        fx.store.add_member("vault", "nobody", T0).await,
        Err(StoreError::NoSuchUser)
    ));
    fx.store
        .remove_member("general", "carol")
        .await
        .expect("leave");
    let sharing = fx.read(|r| r.users_sharing_channels("carol")).await;
    assert!(sharing.is_empty());
    let sharing: Vec<String> = fx
        .read(|r| r.users_sharing_channels("Alice"))
        .await
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(sharing, ["bob"]);
    assert!(fx.read(|r| r.is_member("vault", "BOB")).await);
    assert!(!fx.read(|r| r.is_member("vault", "carol")).await);
    fx.msg("general", "alice", "x").await;
    let all = fx.read(|r| r.channels()).await;
    let names: Vec<(&str, i64, usize)> = all
        .iter()
        .map(|c| (c.name.as_str(), c.last_seq, c.members.len()))
        .collect();
    assert_eq!(names, [("general", 1, 2), ("vault", 0, 2)]);
    fx.store
        .set_read_marker("alice", "#general", 5, T0)
        .await
        .expect("marker");
    fx.store
        .set_read_marker("alice", "#general", 3, T0 + 1)
        .await
        .expect("marker never moves back");
    let markers = fx.read(|r| r.read_markers("ALICE")).await;
    assert_eq!(markers.len(), 1);
    assert_eq!((markers[0].scope.as_str(), markers[0].seq), ("#general", 5));
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
        search(&fx, &["general"], "restart", SearchSort::Newest)
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
    let reader = Reader::open(&path).expect("read-only open");
    assert_eq!(
        reader
            .history("general", &query(10))
            .expect("history")
            .events
            .len(),
        2
    );
}

/// Rows as chatify at schema version 1 wrote them (no FTS, no blind-token index yet).
fn fill_v1(path: &Path) {
    let conn = rusqlite::Connection::open(path).expect("open v1 database");
    conn.execute_batch(
        r#"
        INSERT INTO accounts VALUES ('alice', '$argon2id$a', 'cGtB', 1000), ('Bob', '$argon2id$b', NULL, 1000);
        INSERT INTO sessions VALUES (x'0101010101010101010101010101010101010101010101010101010101010101', 'alice', 1000, 1000);
        INSERT INTO channels VALUES ('general', 'open', NULL, NULL, NULL, 'alice', 1000),
            ('vault', 'sealed', 'c2FsdA==', '{"alg":"argon2id","m":65536,"t":3,"p":1}', 'a2N2', 'alice', 1000);
        INSERT INTO memberships VALUES ('general', 'alice', 1000), ('general', 'Bob', 1000), ('vault', 'alice', 1000);
        INSERT INTO events VALUES
            (1, 2000, 'msg', '#general', 1, 'alice', NULL, '{"c":"migrated deploy notes"}'),
            (2, 2001, 'msg', '#general', 2, 'Bob', NULL, '{"c":"doomed words"}'),
            (3, 2002, 'edit', '#general', 3, 'alice', 1, '{"c":"migrated rollback notes"}'),
            (4, 2003, 'delete', '#general', 4, 'Bob', 2, '{}'),
            (5, 2004, 'msg', '#vault', 1, 'alice', NULL, '{"c":"ZW5j","enc":"xc20p1","idx":["old1","old2"]}'),
            (6, 2005, 'edit', '#vault', 2, 'alice', 5, '{"c":"ZW5jMg==","enc":"xc20p1","idx":["new1","new2"]}'),
            (7, 2006, 'msg', '#vault', 3, 'alice', NULL, '{"c":"ZW5j","enc":"xc20p1","idx":["new2"]}'),
            (8, 2007, 'edit', '#vault', 4, 'alice', 7, '{"c":"ZW5jMw==","enc":"xc20p1"}'),
            (9, 2008, 'dm', '@alice:bob', 1, 'alice', NULL, '{"to":"Bob","c":"ZG0=","enc":"xc20p1"}');
        INSERT INTO messages (id, scope, seq, ts, sender, c, enc, reply_to, edited_ms, deleted, reacts) VALUES
            (1, '#general', 1, 2000, 'alice', 'migrated rollback notes', NULL, NULL, 2002, 0, NULL),
            (2, '#general', 2, 2001, 'Bob', NULL, NULL, NULL, NULL, 1, NULL),
            (5, '#vault', 1, 2004, 'alice', 'ZW5jMg==', 'xc20p1', NULL, 2005, 0, NULL),
            (7, '#vault', 3, 2006, 'alice', 'ZW5jMw==', 'xc20p1', NULL, 2007, 0, NULL);
        "#,
    )
    .expect("v1 rows");
}

#[test]
fn migrating_a_v1_database_with_rows_keeps_data_and_backfills_indexes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("old.db");
    migrations::create_at_version(&path, 1).expect("v1 database");
    fill_v1(&path);
    let status = migrations::status(&path).expect("status");
    assert_eq!((status.current, status.target), (1, 2));
    assert_eq!(
        status.pending.iter().map(|s| s.version).collect::<Vec<_>>(),
        [2]
    );

    // Refused without auto-migration, with a hint; nothing changes.
    let before = sha(&path);
    let refused = Store::open(
        &path,
        StoreOptions {
            auto_migrate: false,
            ..StoreOptions::default()
        },
    );
    let Err(
        error @ StoreError::NeedsMigration {
            found: 1,
            target: 2,
            ..
        },
    ) = refused
    else {
        panic!("expected NeedsMigration");
    };
    assert!(error.to_string().contains("chatify migrate --db"));
    let dry = MigrateOptions {
        dry_run: true,
        ..MigrateOptions::default()
    };
    let report = migrations::migrate(&path, &dry, &mut |_| {
        panic!("a dry run reports no progress")
    })
    .expect("dry run");
    assert!(report.dry_run && report.steps.len() == 1 && report.backup.is_none());
    assert_eq!(sha(&path), before, "dry run changes nothing");
    assert!(matches!(
        Reader::open(&path),
        Err(StoreError::NeedsMigration { .. })
    ));

    let mut events = Vec::new();
    let report = migrations::migrate(&path, &MigrateOptions::default(), &mut |e| events.push(e))
        .expect("migrate");
    assert_eq!((report.from, report.to), (1, 2));
    let backup = report.backup.expect("a backup");
    assert!(
        backup
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("old.db.backup-v1-"))
    );
    assert_eq!(
        migrations::status(&backup).expect("backup status").current,
        1
    );
    assert!(events.contains(&MigrateProgress::StepStarted {
        version: 2,
        description: migrations::STEPS[1].description
    }));
    assert!(events.contains(&MigrateProgress::StepRows {
        version: 2,
        done: 3,
        total: 3
    }));
    assert!(events.contains(&MigrateProgress::StepFinished { version: 2 }));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, MigrateProgress::BackupFinished { .. }))
    );
    assert_eq!(migrations::status(&path).expect("status").current, 2);
    let again = migrations::migrate(&path, &MigrateOptions::default(), &mut |_| {}).expect("no-op");
    assert!(again.steps.is_empty() && again.backup.is_none());

    let reader = Reader::open(&path).expect("current schema");
    assert_eq!(reader.schema_version().expect("version"), 2);
    assert_eq!(
        reader.account("ALICE").expect("query").map(|a| a.pk),
        Some(Some("cGtB".into()))
    );
    assert_eq!(
        reader
            .session_user(&[1; 32], 1000)
            .expect("query")
            .as_deref(),
        Some("alice")
    );
    let general = reader.history("general", &query(10)).expect("history");
    assert_eq!(
        texts(&general.events),
        ["migrated rollback notes", "<deleted>"]
    );
    let all = vec!["general".to_string()];
    let found = reader
        .search(&all, "rollback", &SearchOptions::default())
        .expect("search");
    assert_eq!(found.iter().map(|m| m.id).collect::<Vec<_>>(), [1]);
    assert!(
        reader
            .search(&all, "deploy", &SearchOptions::default())
            .expect("search")
            .is_empty(),
        "edited away"
    );
    assert!(
        reader
            .search(&all, "doomed", &SearchOptions::default())
            .expect("search")
            .is_empty(),
        "deleted"
    );
    let blind = |tokens: &[&str]| {
        let tokens: Vec<String> = tokens.iter().map(|t| t.to_string()).collect();
        reader
            .search_blind("vault", &tokens, &SearchOptions::default())
            .expect("blind")
            .iter()
            .map(|m| m.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        blind(&["old1"]),
        Vec::<i64>::new(),
        "replaced by the edit's idx"
    );
    assert_eq!(blind(&["new1"]), [5]);
    assert_eq!(
        blind(&["new2"]),
        [7, 5],
        "an edit without idx keeps the message's tokens"
    );
    assert_eq!(
        reader
            .dm_history("bob", "alice", &query(5))
            .expect("dms")
            .events
            .len(),
        1
    );
    drop(reader);

    // The server opens it and carries on from the migrated counters.
    let store = Store::open(&path, StoreOptions::default()).expect("open migrated");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let appended = runtime
        .block_on(store.append_wait(msg_op("general", "Bob", "after migration")))
        .expect("append");
    assert_eq!(appended.seq, Some(5));
    assert!(appended.id > 9);
    store.close();
}

#[tokio::test]
async fn auto_migration_at_open_writes_a_backup_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("auto.db");
    migrations::create_at_version(&path, 1).expect("v1 database");
    fill_v1(&path);
    let store = Store::open(&path, StoreOptions::default()).expect("auto-migrated");
    let backups: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_name().to_string_lossy().contains(".backup-v1-"))
        .collect();
    assert_eq!(backups.len(), 1);
    let found = store
        .read(|r| {
            r.search(
                &["general".to_string()],
                "rollback",
                &SearchOptions::default(),
            )
        })
        .await
        .expect("search");
    assert_eq!(found.len(), 1);
    store.close();
}

fn make_newer(path: &Path, by_meta: bool, by_user_version: bool, keep_wal_mode: bool) {
    let store = Store::open(path, StoreOptions::default()).expect("create");
    store.close();
    drop(store);
    let conn = rusqlite::Connection::open(path).expect("open");
    if by_meta {
        conn.execute(
            "UPDATE schema_meta SET value = '7' WHERE key = 'schema_version'",
            [],
        )
        .expect("bump meta");
    }
    if by_user_version {
        conn.pragma_update(None, "user_version", 7)
            .expect("bump user_version");
    }
    if !keep_wal_mode {
        conn.pragma_update(None, "journal_mode", "DELETE")
            .expect("leave WAL");
    }
    drop(conn);
    for suffix in ["-wal", "-shm"] {
        assert!(!sidecar(path, suffix).exists());
    }
}

#[test]
fn newer_schema_is_refused_and_the_file_stays_byte_identical() {
    let cases = [
        (true, true, false),
        (true, false, false),
        (false, true, false),
        (true, false, true),
        (false, true, true),
    ];
    for (by_meta, by_user_version, wal) in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("future.db");
        make_newer(&path, by_meta, by_user_version, wal);
        let before = sha(&path);
        let expected = format!(
            "database schema version 7 is newer than this chatify supports ({}); upgrade chatify",
            chatify::store::SCHEMA_VERSION
        );
        let opened = Store::open(&path, StoreOptions::default());
        let Err(
            error @ StoreError::NewerSchema {
                found: 7,
                supported: 2,
            },
        ) = opened
        else {
            panic!("expected NewerSchema for meta={by_meta} user_version={by_user_version}");
        };
        assert_eq!(error.to_string(), expected);
        let migrated = migrations::migrate(&path, &MigrateOptions::default(), &mut |_| {});
        assert_eq!(
            migrated.err().map(|e| e.to_string()),
            Some(expected.clone())
        );
        assert!(matches!(
            migrations::status(&path),
            Err(StoreError::NewerSchema { .. })
        ));
        assert!(matches!(
            Reader::open(&path),
            Err(StoreError::NewerSchema { .. })
        ));
        assert_eq!(sha(&path), before, "the database file is byte-identical");
        for suffix in ["-wal", "-shm", "-journal"] {
            assert!(
                !sidecar(&path, suffix).exists(),
                "no {suffix} file was created"
            );
        }
        let entries = std::fs::read_dir(dir.path()).expect("list").count();
        assert_eq!(entries, 1, "no backup or other file was written");
    }
}

#[test]
fn files_that_are_not_chatify_databases_get_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "just some text, long enough to fill a header of one hundred bytes ........................").expect("write");
    let before = sha(&text);
    let Err(error) = Store::open(&text, StoreOptions::default()) else {
        panic!("a text file is not a database");
    };
    assert!(matches!(error, StoreError::NotChatify(_)));
    assert!(
        error.to_string().contains("is not an SQLite database"),
        "{error}"
    );
    assert!(error.to_string().contains("--db"), "{error}");
    assert!(matches!(
        Reader::open(&text),
        Err(StoreError::NotChatify(_))
    ));
    assert!(matches!(
        migrations::status(&text),
        Err(StoreError::NotChatify(_))
    ));
    assert_eq!(sha(&text), before);

    let short = dir.path().join("short.bin");
    std::fs::write(&short, b"SQLite").expect("write");
    assert!(matches!(
        Store::open(&short, StoreOptions::default()),
        Err(StoreError::NotChatify(_))
    ));

    let foreign = dir.path().join("other.sqlite");
    let conn = rusqlite::Connection::open(&foreign).expect("open");
    conn.execute_batch("CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup');")
        .expect("foreign");
    drop(conn);
    let before = sha(&foreign);
    let Err(error) = Store::open(&foreign, StoreOptions::default()) else {
        panic!("another program's database is not chatify's");
    };
    assert!(error.to_string().contains("another program"), "{error}");
    assert_eq!(sha(&foreign), before);

    assert!(matches!(
        Reader::open(&dir.path().join("missing.db")),
        Err(StoreError::NoDatabase(_))
    ));
    assert!(matches!(
        Store::open(dir.path(), StoreOptions::default()),
        Err(StoreError::NotChatify(_))
    ));
}

#[test]
fn newer_schema_only_in_the_wal_is_still_refused_without_touching_the_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let live = dir.path().join("live.db");
    Store::open(&live, StoreOptions::default())
        .expect("create")
        .close();
    let conn = rusqlite::Connection::open(&live).expect("open");
    conn.pragma_update(None, "wal_autocheckpoint", 0)
        .expect("no checkpoints");
    conn.execute(
        "UPDATE schema_meta SET value = '9' WHERE key = 'schema_version'",
        [],
    )
    .expect("bump in the WAL");
    // Copy the files as a crash would leave them: the bump exists only in the -wal.
    let crashed = dir.path().join("crashed");
    std::fs::create_dir(&crashed).expect("dir");
    let path = crashed.join("live.db");
    std::fs::copy(&live, &path).expect("copy db");
    std::fs::copy(sidecar(&live, "-wal"), sidecar(&path, "-wal")).expect("copy wal");
    drop(conn);
    let (db_before, wal_before) = (sha(&path), sha(&sidecar(&path, "-wal")));
    let opened = Store::open(&path, StoreOptions::default());
    assert!(matches!(
        opened,
        Err(StoreError::NewerSchema {
            found: 9,
            supported: 2
        })
    ));
    let migrated = migrations::migrate(&path, &MigrateOptions::default(), &mut |_| {});
    assert!(matches!(
        migrated,
        Err(StoreError::NewerSchema { found: 9, .. })
    ));
    assert_eq!(sha(&path), db_before, "main file byte-identical");
    assert_eq!(sha(&sidecar(&path, "-wal")), wal_before, "WAL untouched");
}
