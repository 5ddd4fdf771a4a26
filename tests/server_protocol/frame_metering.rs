//! Issue 9 point 6 against the real server: every frame an authenticated account can repeat is
//! metered by the per-frame policy table (`server::frame_policy`). Queries, `status`, `who` and
//! voice are charged by cost to the `reads` bucket — a 500-row `history` costs far more than a
//! `ping` — and `typing` to the `sends` bucket. The buckets are given a burst and almost no
//! refill, so what is refused depends on cost alone, not on timing.

use crate::common::*;
use chatify::server::ServerConfig;
use serde_json::{Value, json};

/// A burst of 1 000 read units and 30 sends, refilled at one unit per 1 000 s.
fn metered_config() -> ServerConfig {
    ServerConfig {
        read_rate: 0.001,
        read_burst: 1_000,
        rate_limit: 0.001,
        rate_burst: 30,
        ..test_config()
    }
}

#[tokio::test]
async fn a_500_row_history_drains_the_reads_bucket_while_a_ping_still_passes() {
    let server = TestServer::start(metered_config()).await;
    let mut alice = register(&server, "alice").await;
    let page = json!({"t": "history", "ch": "general", "limit": 500});
    let first = alice.request(page.clone(), "h1").await;
    assert_eq!(first["t"], "history", "{first}");
    // 510 of 1 000 units are gone: a second 500-row page is refused …
    alice.expect_err(page, "h2", "rate_limited").await;
    // … while the cheap frames still fit in what is left.
    let pong = alice.request(json!({"t": "ping"}), "p1").await;
    assert_eq!(pong["t"], "pong", "{pong}");
    let small = alice
        .request(json!({"t": "history", "ch": "general", "limit": 5}), "h3")
        .await;
    assert_eq!(small["t"], "history", "{small}");
}

/// Sends `frame` `count` times on a fresh connection of `user`'s session and waits for a
/// `rate_limited` error among the replies (panics after the receive timeout if none comes).
async fn flood_until_rate_limited(server: &TestServer, user: &Client, frame: Value, count: usize) {
    let (mut client, ok) = resume(server, &user.user, &user.session).await;
    assert_eq!(ok["t"], "ok", "{ok}");
    for n in 0..count {
        let mut frame = frame.clone();
        frame["rid"] = json!(format!("f{n}"));
        client.send_json(frame).await;
    }
    let refused = client
        .recv_matching(|reply| reply["t"] == "err" && reply["code"] == "rate_limited")
        .await;
    assert_eq!(refused["code"], "rate_limited", "{frame}: {refused}");
    client.close().await;
}

#[tokio::test]
async fn status_typing_who_search_and_rewind_floods_are_refused_with_rate_limited() {
    let server = TestServer::start(metered_config()).await;
    let alice = register(&server, "alice").await;
    let floods = [
        (json!({"t": "status", "state": "away", "text": "brb"}), 12),
        (json!({"t": "typing", "ch": "general", "on": true}), 32),
        (json!({"t": "who", "ch": "general"}), 52),
        (json!({"t": "search", "q": "hello", "limit": 500}), 3),
        (
            json!({"t": "rewind", "ch": "general", "at": 0, "limit": 500}),
            3,
        ),
        (json!({"t": "users", "limit": 200}), 6),
    ];
    for (frame, count) in floods {
        flood_until_rate_limited(&server, &alice, frame, count).await;
    }
}

#[tokio::test]
async fn a_voice_flood_is_refused_with_rate_limited() {
    let server = TestServer::start(metered_config()).await;
    let mut alice = register(&server, "alice").await;
    let joined = alice
        .request(json!({"t": "vjoin", "room": "general"}), "v1")
        .await;
    assert_eq!(joined["t"], "vjoined", "{joined}");
    // A full 4 KiB voice frame costs 9 units: 1 000 units pay for at most 109 of them.
    for _ in 0..120 {
        alice.send_binary(vec![0u8; 4096]).await;
    }
    let refused = alice
        .recv_matching(|reply| reply["t"] == "err" && reply["code"] == "rate_limited")
        .await;
    assert_eq!(refused["rid"], Value::Null, "{refused}");
}
