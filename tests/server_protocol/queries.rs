//! Queries: `history` pages (count, `before`, time window, `after` catch-up, clamping), `search`
//! (words, prefixes, phrases, every open channel), and `rewind` as of past moments.

use serde_json::{Value, json};

use crate::common::*;

/// Four messages with distinct timestamps, then an edit of the first and a deletion of the
/// last. Returns the client, the four acks and the edit's ack.
async fn seed(server: &TestServer) -> (Client, Vec<Value>, Value) {
    let mut alice = register(server, "alice").await;
    let mut acks = Vec::new();
    let texts = [
        "deploy failed on prod",
        "retrying the deploy",
        "deployment fixed",
        "lunch?",
    ];
    for (i, text) in texts.iter().enumerate() {
        let ack = alice.say("general", text, &format!("m{i}")).await;
        after_ms(ack["ts"].as_i64().unwrap_or_default()).await;
        acks.push(ack);
    }
    let edit =
        json!({"t": "edit", "ch": "general", "id": acks[0]["id"], "c": "deploy failed on staging"});
    let edited = alice.request(edit, "e").await;
    after_ms(edited["ts"].as_i64().unwrap_or_default()).await;
    alice
        .request(
            json!({"t": "delete", "ch": "general", "id": acks[3]["id"]}),
            "d",
        )
        .await;
    (alice, acks, edited)
}

/// A `history` request on `general` with the fields of `query`.
async fn history(client: &mut Client, query: Value, rid: &str) -> Value {
    let mut frame = json!({"t": "history", "ch": "general"});
    for (k, v) in query.as_object().cloned().unwrap_or_default() {
        frame[k] = v;
    }
    client.request(frame, rid).await
}

fn kinds(events: &Value) -> Vec<String> {
    let list = events.as_array().cloned().unwrap_or_default();
    list.iter()
        .map(|e| e["t"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_pages_windows_and_catch_up() {
    let server = TestServer::start(test_config()).await;
    let (mut alice, acks, _) = seed(&server).await;
    let ts = |i: usize| acks[i]["ts"].clone();
    let mut ask = async |query: Value, rid: &str| history(&mut alice, query, rid).await;
    let page = ask(json!({"limit": 2}), "h1").await;
    assert_eq!(
        (seqs(&page["events"]), page["more"].clone()),
        (vec![3, 4], json!(true))
    );
    assert_eq!(
        pick(&page, &["t", "ch", "rid"]),
        json!({"t": "history", "ch": "general", "rid": "h1"})
    );
    let page = ask(json!({"before": 3, "limit": 50}), "h2").await;
    assert_eq!(
        (seqs(&page["events"]), page["more"].clone()),
        (vec![1, 2], json!(false))
    );
    let page = ask(json!({"since": ts(1), "until": ts(3)}), "h3").await;
    assert_eq!(
        seqs(&page["events"]),
        vec![2, 3],
        "since inclusive, until exclusive"
    );
    let page = ask(json!({"since": ts(1), "until": ts(3), "limit": 1}), "h3b").await;
    assert_eq!(
        (seqs(&page["events"]), page["more"].clone()),
        (vec![3], json!(true))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_after_a_seq_returns_raw_events_and_bad_combinations_fail() {
    let server = TestServer::start(test_config()).await;
    let (mut alice, _, _) = seed(&server).await;
    let mut ask = async |query: Value, rid: &str| history(&mut alice, query, rid).await;
    let page = ask(json!({"after": 2, "limit": 2}), "h4").await;
    assert_eq!(
        (kinds(&page["events"]), page["more"].clone()),
        (vec!["msg".to_string(), "msg".into()], json!(true))
    );
    let page = ask(json!({"after": 4}), "h5").await;
    assert_eq!(
        kinds(&page["events"]),
        vec!["edit", "delete"],
        "raw events after a seq"
    );
    assert_eq!(seqs(&page["events"]), vec![5, 6]);
    let page = ask(json!({"limit": 100_000}), "h6").await;
    assert_eq!(
        page["events"].as_array().map(Vec::len),
        Some(4),
        "limit is clamped"
    );
    let page = ask(json!({"from": "ALICE", "limit": 1}), "h7").await;
    assert_eq!(seqs(&page["events"]), vec![4]);
    alice
        .expect_err(
            json!({"t": "history", "ch": "general", "after": 1, "before": 3}),
            "x1",
            "bad_frame",
        )
        .await;
    alice
        .expect_err(
            json!({"t": "history", "ch": "general", "after": 1, "since": 3}),
            "x2",
            "bad_frame",
        )
        .await;
    alice
        .expect_err(json!({"t": "history"}), "x3", "bad_frame")
        .await;
    alice
        .expect_err(
            json!({"t": "history", "ch": "general", "dm": "bob"}),
            "x4",
            "bad_frame",
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_words_prefixes_phrases_and_all_open_channels() {
    let server = TestServer::start(test_config()).await;
    let (mut alice, _, _) = seed(&server).await;
    let search = |q: &str| json!({"t": "search", "ch": "general", "q": q, "sort": "newest"});
    let found = alice.request(search("deploy"), "s1").await;
    assert_eq!(
        pick(&found, &["t", "ch", "rid"]),
        json!({"t": "search", "ch": "general", "rid": "s1"})
    );
    assert_eq!(seqs(&found["events"]), vec![2, 1]);
    assert_eq!(
        found["events"][1]["c"], "deploy failed on staging",
        "the latest edit is searched"
    );
    assert_eq!(
        seqs(&alice.request(search("dep*"), "s2").await["events"]),
        vec![3, 2, 1]
    );
    assert_eq!(
        seqs(&alice.request(search("deploy staging"), "s3").await["events"]),
        vec![1],
        "all words"
    );
    let phrase = alice.request(search("\"failed on staging\""), "s4").await;
    assert_eq!(seqs(&phrase["events"]), vec![1]);
    assert_eq!(
        alice.request(search("lunch"), "s5").await["events"],
        json!([]),
        "deleted messages are not found"
    );
    alice.request(json!({"t": "join", "ch": "ops"}), "j").await;
    alice.say("ops", "deploy window tonight", "o1").await;
    let everywhere = alice
        .request(
            json!({"t": "search", "q": "deploy", "sort": "newest"}),
            "s6",
        )
        .await;
    assert!(everywhere.get("ch").is_none());
    let channels: Vec<Value> = everywhere["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["ch"].clone())
        .collect();
    assert_eq!(
        channels,
        vec![json!("ops"), json!("general"), json!("general")]
    );
    alice
        .expect_err(json!({"t": "search", "ch": "general"}), "s7", "bad_frame")
        .await;
    alice
        .expect_err(json!({"t": "search", "idx": ["tok"]}), "s8", "bad_frame")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewind_shows_the_channel_as_it_stood() {
    let server = TestServer::start(test_config()).await;
    let (mut alice, acks, edited) = seed(&server).await;
    let mut at = async |at: &Value, rid: &str| {
        let view = alice
            .request(json!({"t": "rewind", "ch": "general", "at": at}), rid)
            .await;
        assert_eq!(
            pick(&view, &["t", "ch", "at"]),
            json!({"t": "rewind", "ch": "general", "at": at})
        );
        texts(&view["events"])
    };
    let original = [
        "deploy failed on prod",
        "retrying the deploy",
        "deployment fixed",
        "lunch?",
    ];
    assert_eq!(
        at(&acks[1]["ts"], "r1").await,
        original[..2].to_vec(),
        "later messages are absent"
    );
    // "lunch?" was deleted later: its text is gone for good (issue 9 point 11), so every
    // rewind shows it deleted.
    assert_eq!(
        at(&acks[3]["ts"], "r2").await,
        [&original[..3], &["<deleted>"]].concat(),
        "later edits are not applied"
    );
    let after_edit = at(&edited["ts"], "r3").await;
    assert_eq!(
        after_edit,
        vec![
            "deploy failed on staging",
            "retrying the deploy",
            "deployment fixed",
            "<deleted>"
        ]
    );
    let now = json!(i64::MAX / 2);
    assert_eq!(at(&now, "r4").await[3], "<deleted>");
    alice
        .expect_err(
            json!({"t": "rewind", "ch": "nowhere", "at": 1}),
            "r5",
            "not_member",
        )
        .await;
}
