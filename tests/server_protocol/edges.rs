//! Extreme numbers and odd combinations at the boundary: huge limits are clamped, extreme
//! `before`/`after`/`at`/`since`/`until`/`id` values answer normally (no panic, no closed
//! connection), and every direct reply echoes `rid`.

use serde_json::json;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extreme_numbers_get_normal_replies() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    alice.say("general", "hello", "m").await;
    let max = i64::MAX;
    let min = i64::MIN;
    let huge = 1_000_000_000_000u64;
    let cases = [
        (
            json!({"t": "history", "ch": "general", "limit": huge}),
            "history",
        ),
        (
            json!({"t": "history", "ch": "general", "before": min}),
            "history",
        ),
        (
            json!({"t": "history", "ch": "general", "after": max}),
            "history",
        ),
        (
            json!({"t": "history", "ch": "general", "after": min}),
            "history",
        ),
        (
            json!({"t": "history", "ch": "general", "since": max, "until": min}),
            "history",
        ),
        (
            json!({"t": "history", "dm": "alice", "before": max}),
            "history",
        ),
        (
            json!({"t": "history", "dm": "alice", "before": min}),
            "history",
        ),
        (
            json!({"t": "rewind", "ch": "general", "at": max, "limit": huge}),
            "rewind",
        ),
        (json!({"t": "rewind", "ch": "general", "at": min}), "rewind"),
        (
            json!({"t": "search", "ch": "general", "q": "hello", "limit": huge}),
            "search",
        ),
        (
            json!({"t": "search", "q": "\"unclosed", "limit": 0}),
            "search",
        ),
        (json!({"t": "history", "ch": "general", "limit": -1}), "err"),
        (
            json!({"t": "edit", "ch": "general", "id": min, "c": "x"}),
            "err",
        ),
        (
            json!({"t": "react", "ch": "general", "id": max, "emoji": "x", "on": true}),
            "err",
        ),
    ];
    for (i, (frame, kind)) in cases.into_iter().enumerate() {
        let rid = format!("x{i}");
        let reply = alice.request(frame.clone(), &rid).await;
        assert_eq!(
            (&reply["t"], &reply["rid"]),
            (&json!(kind), &json!(rid)),
            "{frame}: {reply}"
        );
    }
    let page = alice
        .request(
            json!({"t": "history", "ch": "general", "limit": huge}),
            "big",
        )
        .await;
    assert_eq!(texts(&page["events"]), ["hello"], "a huge limit is clamped");
    let page = alice
        .request(json!({"t": "history", "dm": "alice", "before": max}), "dm")
        .await;
    assert_eq!(page["more"], false, "{page}");
    let pong = alice.request(json!({"t": "ping"}), "alive").await;
    assert_eq!(pong["t"], "pong");
}

/// PROTOCOL.md §5: `search` results are newest first. Ranking by relevance is the added
/// `sort: "rank"`, never the default for a client that does not ask for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_is_newest_first_unless_rank_is_asked_for() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    alice.say("general", "deploy deploy deploy", "m1").await;
    let filler = "and then a long list of other words about lunch plans and the weather";
    alice
        .say("general", &format!("deploy {filler}"), "m2")
        .await;
    let search = json!({"t": "search", "ch": "general", "q": "deploy"});
    let newest = alice.request(search.clone(), "s1").await;
    assert_eq!(seqs(&newest["events"]), [2, 1], "{newest}");
    let mut ranked = search;
    ranked["sort"] = json!("rank");
    let ranked = alice.request(ranked, "s2").await;
    assert_eq!(seqs(&ranked["events"]), [1, 2], "{ranked}");
}
