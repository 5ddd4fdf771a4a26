//! What must survive: edits and deletions both ways after a bridge restart (the durable id
//! map), the same webhook across restarts, a chatify server restart mid-stream with nothing
//! lost either way, and a burst of 200 messages under 429s with order kept.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::common::*;
use crate::fake_discord::FakeDiscord;
use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_and_deletions_cross_both_ways_after_a_bridge_restart() {
    let server = TestServer::start(bridge_server_config()).await;
    let mut alice = accounts(&server).await;
    let discord = Arc::new(FakeDiscord::new());
    let home = BridgeHome::new();
    let config = general_config(&server.url, true);
    let bridge = home.start(&config, &discord).await;
    let first = alice.say("general", "first", "a1").await["id"].clone();
    let second = alice.say("general", "second", "a2").await["id"].clone();
    let posted = discord.wait_until("two posts", |p| p.len() == 2).await;
    let bob_id = discord.user_says(GENERAL, (55, "bob"), "bob speaks", None);
    let bob_msg = alice
        .recv_matching(|f| f["t"] == "msg" && f["u"] == "bob@discord")
        .await;
    // Stopped as soon as alice sees the broadcast: the bridge records bob's pair after the
    // server's ack, which may come later, so stopping must let that relay finish (else bob's
    // edit below would be lost after the restart).
    bridge.stop().await;

    let bridge = home.start(&config, &discord).await;
    let edit = json!({"t": "edit", "ch": "general", "id": first, "c": "first, edited"});
    assert_eq!(alice.request(edit, "e1").await["t"], "ack");
    let delete = json!({"t": "delete", "ch": "general", "id": second});
    assert_eq!(alice.request(delete, "d1").await["t"], "ack");
    let after = discord
        .wait_until("the edit and the deletion", |p| {
            p.len() == 2 && p[0].content == "first, edited" && p[1].deleted
        })
        .await;
    assert_eq!(
        after[0].id, posted[0].id,
        "the same Discord message was edited"
    );

    discord.user_edits(GENERAL, bob_id, (55, "bob"), "bob speaks, edited");
    let edited = alice
        .recv_matching(|f| f["t"] == "edit" && f["u"] == "bob@discord")
        .await;
    assert_eq!(edited["id"], bob_msg["id"]);
    assert_eq!(edited["u"], "bob@discord");
    assert_eq!(edited["c"], "bob speaks, edited");
    discord.user_deletes(GENERAL, bob_id);
    let deleted = alice
        .recv_matching(|f| f["t"] == "delete" && f["u"] == "bob@discord")
        .await;
    assert_eq!(deleted["id"], bob_msg["id"]);
    bridge.stop().await;
    assert_eq!(
        discord.posted().len(),
        2,
        "no new posts: only edits and a deletion"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_is_found_again_on_every_restart_never_created_twice() {
    let server = TestServer::start(bridge_server_config()).await;
    let mut alice = accounts(&server).await;
    let discord = Arc::new(FakeDiscord::new());
    discord.add_foreign_webhook(GENERAL, "someone else's");
    let home = BridgeHome::new();
    let config = general_config(&server.url, true);
    for round in 0..3 {
        let bridge = home.start(&config, &discord).await;
        alice
            .say("general", &format!("round {round}"), &format!("r{round}"))
            .await;
        discord
            .wait_until("the round's post", |p| p.len() == round + 1)
            .await;
        bridge.stop().await;
    }
    assert_eq!(
        discord.webhook_counts(),
        (2, 3, 1),
        "(webhooks, lookups, created)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chatify_server_restart_mid_stream_loses_nothing_either_way() {
    let server = TestServer::start(bridge_server_config()).await;
    let addr = server.addr.to_string();
    let mut alice = accounts(&server).await;
    let discord = Arc::new(FakeDiscord::new());
    let home = BridgeHome::new();
    let bridge = home
        .start(&general_config(&server.url, true), &discord)
        .await;
    for n in 0..5 {
        alice
            .say("general", &format!("before {n}"), &format!("b{n}"))
            .await;
    }
    alice.close().await;
    let dir = server.stop().await;
    // While chatify is down, Discord keeps talking.
    for n in 0..5 {
        discord.user_says(GENERAL, (55, "bob"), &format!("during {n}"), None);
    }
    let server = TestServer::start_in_at(dir, bridge_server_config(), &addr).await;
    let (mut alice, _) = login(&server, "alice").await;
    for n in 0..5 {
        alice
            .say("general", &format!("after {n}"), &format!("c{n}"))
            .await;
    }
    let posted = discord
        .wait_until("ten chatify messages", |p| p.len() == 10)
        .await;
    let contents: Vec<String> = posted.iter().map(|m| m.content.clone()).collect();
    let expected: Vec<String> = (0..5)
        .map(|n| format!("before {n}"))
        .chain((0..5).map(|n| format!("after {n}")))
        .collect();
    assert_eq!(contents, expected);
    // The bridge may relay some of them before alice is back (it reconnects on its own), so
    // what is already stored comes from history and the rest live; ids are unique per message.
    let stored = alice
        .request(json!({"t": "history", "ch": "general", "limit": 100}), "h0")
        .await;
    let mut from_discord = std::collections::BTreeMap::new();
    for event in stored["events"].as_array().into_iter().flatten() {
        if event["u"] == "bob@discord" {
            let text = event["c"].as_str().unwrap_or_default().to_string();
            from_discord.insert(event["id"].as_i64(), text);
        }
    }
    while from_discord.len() < 5 {
        let frame = alice
            .recv_matching(|f| f["t"] == "msg" && f["u"] == "bob@discord")
            .await;
        let text = frame["c"].as_str().unwrap_or_default().to_string();
        from_discord.insert(frame["id"].as_i64(), text);
    }
    let from_discord: Vec<String> = from_discord.into_values().collect();
    let expected: Vec<String> = (0..5).map(|n| format!("during {n}")).collect();
    assert_eq!(
        from_discord, expected,
        "every Discord message, once, in order"
    );
    bridge.stop().await;
    let history = alice
        .request(json!({"t": "history", "ch": "general", "limit": 100}), "h")
        .await;
    let during = texts(&history["events"])
        .into_iter()
        .filter(|t| t.starts_with("during"))
        .count();
    assert_eq!(during, 5, "no duplicates in chatify");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_200_under_429s_arrives_complete_and_in_order() {
    let server = TestServer::start(bridge_server_config()).await;
    let mut alice = accounts(&server).await;
    let discord = Arc::new(FakeDiscord::new());
    discord.rate_limit_every(7, Duration::from_millis(20));
    let home = BridgeHome::new();
    let bridge = home
        .start(&general_config(&server.url, true), &discord)
        .await;
    for n in 0..200 {
        let frame =
            json!({"t": "msg", "ch": "general", "c": format!("burst {n}"), "rid": format!("m{n}")});
        alice.send_json(frame).await;
    }
    let posted = discord.wait_until("200 posts", |p| p.len() == 200).await;
    let contents: Vec<String> = posted.iter().map(|m| m.content.clone()).collect();
    let expected: Vec<String> = (0..200).map(|n| format!("burst {n}")).collect();
    assert_eq!(contents, expected, "complete and in order");
    assert!(
        discord.rate_limited_count() >= 25,
        "the fake answered 429 about every 7th post ({})",
        discord.rate_limited_count()
    );
    bridge.stop().await;
}
