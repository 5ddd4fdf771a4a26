//! Relayed authors (`as` on `msg`/`edit`/`delete`, added for bridges): only accounts the server
//! marks as bridges may use it, the event then carries `u` = `name@network` in the broadcast and
//! in history, and only the same relayed author may edit or delete it.

use serde_json::json;

use crate::common::*;

fn bridge_config() -> chatify::server::ServerConfig {
    chatify::server::ServerConfig {
        bridge_accounts: vec!["Relay".into()],
        ..test_config()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_normal_account_cannot_pose_as_a_relayed_author() {
    let server = TestServer::start(bridge_config()).await;
    let mut mallory = register(&server, "mallory").await;
    let spoof = json!({"t": "msg", "ch": "general", "c": "hi", "as": "alice@discord"});
    mallory.expect_err(spoof, "m1", "forbidden").await;
    let id = mallory.say("general", "mine", "m2").await["id"].clone();
    let edit = json!({"t": "edit", "ch": "general", "id": id, "c": "x", "as": "mallory@discord"});
    mallory.expect_err(edit, "m3", "forbidden").await;
    let delete = json!({"t": "delete", "ch": "general", "id": id, "as": "mallory@discord"});
    mallory.expect_err(delete, "m4", "forbidden").await;
    let history = mallory
        .request(json!({"t": "history", "ch": "general"}), "h")
        .await;
    assert_eq!(
        texts(&history["events"]),
        vec!["mine"],
        "nothing was stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bridge_account_relays_and_only_the_same_author_edits_or_deletes() {
    let server = TestServer::start(bridge_config()).await;
    let mut relay = register(&server, "relay").await;
    let mut alice = register(&server, "alice").await;
    relay.sync().await;
    let frame = json!({"t": "msg", "ch": "general", "c": "from discord", "as": "alice@discord"});
    let ack = relay.request(frame, "r1").await;
    assert_eq!(ack["t"], "ack", "{ack}");
    let id = ack["id"].clone();
    let seen = alice.recv_until("msg").await;
    assert_eq!(seen["u"], "alice@discord");
    assert_eq!(seen["c"], "from discord");

    // The real alice, the bridge as itself, and the bridge as someone else may not touch it.
    let edit = json!({"t": "edit", "ch": "general", "id": id, "c": "hijack"});
    alice.expect_err(edit.clone(), "a1", "forbidden").await;
    relay.expect_err(edit.clone(), "r2", "forbidden").await;
    let mut as_bob = edit.clone();
    as_bob["as"] = json!("bob@discord");
    relay.expect_err(as_bob, "r3", "forbidden").await;

    let mut as_alice = edit;
    as_alice["c"] = json!("edited on discord");
    as_alice["as"] = json!("alice@discord");
    assert_eq!(relay.request(as_alice, "r4").await["t"], "ack");
    let edited = alice.recv_until("edit").await;
    assert_eq!(edited["u"], "alice@discord");
    let delete = json!({"t": "delete", "ch": "general", "id": id, "as": "alice@discord"});
    assert_eq!(relay.request(delete, "r5").await["t"], "ack");
    assert_eq!(alice.recv_until("delete").await["u"], "alice@discord");

    let again = json!({"t": "msg", "ch": "general", "c": "kept", "as": "Zoë_K@discord"});
    assert_eq!(relay.request(again, "r6").await["t"], "ack");
    let history = alice
        .request(json!({"t": "history", "ch": "general"}), "h")
        .await;
    let authors: Vec<_> = history["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["u"].clone())
        .collect();
    assert_eq!(
        authors,
        vec![json!("alice@discord"), json!("Zoë_K@discord")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_relayed_author_is_a_bad_frame() {
    let server = TestServer::start(bridge_config()).await;
    let mut relay = register(&server, "relay").await;
    let long = format!("{}@discord", "x".repeat(33));
    for (n, author) in [
        "alice",
        "a b@discord",
        "alice@Discord",
        "@discord",
        "alice@",
        &long,
    ]
    .into_iter()
    .enumerate()
    {
        let frame = json!({"t": "msg", "ch": "general", "c": "hi", "as": author});
        relay.expect_err(frame, &format!("b{n}"), "bad_frame").await;
    }
}
