//! Presence coalescing (issue 13; issue 9 point 6): a `status` flood from one user reaches the
//! members of a shared channel as one announcement now and one of the latest state later, never
//! one frame per `status`, so a member who is not reading is not closed with 1013.

use std::time::Duration;

use chatify::clock::Clock;
use chatify::server::ServerConfig;
use serde_json::{Value, json};

use crate::common::*;

/// Statuses alice sends in her flood.
const FLOOD: usize = 2_000;

fn presence_of_alice(frames: &[Value]) -> Vec<Value> {
    frames
        .iter()
        .filter(|frame| frame["t"] == "presence" && frame["u"] == "alice")
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_flood_reaches_a_member_as_two_announcements_and_does_not_close_them() {
    // The clock stands still, so every status after the first falls inside the interval
    // however slowly this machine runs the flood; the interval is long enough for the flood.
    let config = ServerConfig {
        clock: Clock::from_fn(|| 1_800_000_000_000),
        presence_interval: Duration::from_secs(3),
        queue_depth: 64,
        ..test_config()
    };
    let server = TestServer::start(config).await;
    let mut alice = register(&server, "alice").await;
    register(&server, "bob").await.close().await;
    // bob is in #general with a small receive buffer and reads nothing during the flood.
    let mut bob = Client::connect_with_small_buffer(&server).await;
    let auth = json!({"t": "auth", "u": "bob", "pw": password_of("bob"), "rid": "a"});
    bob.send_json(auth).await;
    assert_eq!(bob.recv_rid("a").await["t"], "ok"); // subscribed to #general before `ok`
    let text = "x".repeat(200);
    for n in 0..FLOOD {
        let state = if n % 2 == 0 { "busy" } else { "away" };
        let status = json!({"t": "status", "state": state, "text": format!("{n} {text}")});
        alice.send_json(status).await;
    }
    alice.sync().await; // the server has handled every status
    let last_text = format!("{} {text}", FLOOD - 1);

    let mut seen = Vec::new();
    loop {
        match bob.recv_any().await {
            Received::Text(frame) => {
                let done = frame["t"] == "presence" && frame["text"] == last_text.as_str();
                seen.push(frame);
                if done {
                    break;
                }
            }
            other => panic!("bob was not kept: {other:?}"),
        }
    }
    seen.extend(bob.sync_texts().await);
    let announced = presence_of_alice(&seen);
    assert_eq!(announced.len(), 2, "one now, one coalesced: {announced:?}");
    assert_eq!(announced[0]["state"], "busy");
    assert_eq!(announced[0]["text"], format!("0 {text}"));
    assert_eq!(announced[1]["state"], "away", "the latest state");

    // The registry had the latest state all along (`who` does not wait for the interval).
    let who = bob.request(json!({"t": "who", "ch": "general"}), "w").await;
    let entry = who["members"]
        .as_array()
        .expect("members")
        .iter()
        .find(|member| member["u"] == "alice")
        .expect("alice listed")
        .clone();
    assert_eq!(entry["text"], last_text.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_users_status_change_is_announced_at_once() {
    let config = ServerConfig {
        presence_interval: Duration::from_secs(3600),
        ..test_config()
    };
    let server = TestServer::start(config).await;
    let mut alice = register(&server, "alice").await;
    let mut bob = register(&server, "bob").await;
    alice.sync().await;
    alice
        .send_json(json!({"t": "status", "state": "away", "text": "lunch"}))
        .await;
    let presence = bob.recv_until("presence").await;
    assert_eq!(
        pick(&presence, &["u", "state", "text"]),
        json!({"u": "alice", "state": "away", "text": "lunch"})
    );
    assert!(
        presence_of_alice(&alice.sync_texts().await).is_empty(),
        "not echoed to the connection that sent it"
    );
}
