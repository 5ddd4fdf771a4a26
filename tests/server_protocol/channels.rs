//! Channels and everything not stored: joining and leaving, membership errors, typing,
//! status and `who`, and the voice relay.

use serde_json::{Value, json};

use crate::common::*;

fn no_binary(events: &[Received]) -> bool {
    events.iter().all(|r| !matches!(r, Received::Binary(_)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leave_membership_and_channel_errors() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let mut bob = register(&server, "bob").await;
    alice
        .expect_err(json!({"t": "join", "ch": "bad name!"}), "b1", "bad_channel")
        .await;
    alice
        .expect_err(
            json!({"t": "msg", "ch": "nowhere", "c": "hi"}),
            "n1",
            "not_member",
        )
        .await;
    alice.request(json!({"t": "join", "ch": "ops"}), "j").await;
    bob.expect_err(
        json!({"t": "msg", "ch": "ops", "c": "hi"}),
        "n2",
        "not_member",
    )
    .await;
    bob.expect_err(json!({"t": "history", "ch": "ops"}), "n3", "not_member")
        .await;
    bob.expect_err(json!({"t": "leave", "ch": "ops"}), "n4", "not_member")
        .await;
    bob.request(json!({"t": "join", "ch": "ops"}), "j2").await;
    let left = bob.request(json!({"t": "leave", "ch": "ops"}), "l1").await;
    assert_eq!(left, json!({"t": "left", "ch": "ops", "rid": "l1"}));
    let in_ops = |f: &Value| f["t"] == "member" && f["ch"] == "ops";
    let member = alice.recv_matching(in_ops).await;
    assert_eq!(pick(&member, &["u", "on"]), json!({"u": "bob", "on": true}));
    let member = alice.recv_matching(in_ops).await;
    assert_eq!(
        pick(&member, &["u", "on"]),
        json!({"u": "bob", "on": false})
    );
    alice.say("ops", "bob cannot see this", "m1").await;
    assert!(bob.sync_texts().await.iter().all(|f| f["t"] != "msg"));
    let left = bob
        .request(json!({"t": "leave", "ch": "#general"}), "l2")
        .await;
    assert_eq!(left["t"], "left", "leaving general is allowed");
    let (_again, ok) = login(&server, "bob").await;
    assert_eq!(ok["channels"], json!([]), "membership survives reconnects");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_status_and_who() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let mut bob = register(&server, "bob").await;
    alice
        .send_json(json!({"t": "typing", "ch": "general", "on": true}))
        .await;
    let typing = bob.recv_until("typing").await;
    assert_eq!(
        typing,
        json!({"t": "typing", "ch": "general", "u": "alice", "on": true})
    );
    alice
        .send_json(json!({"t": "typing", "to": "bob", "on": false}))
        .await;
    let typing = bob.recv_until("typing").await;
    assert_eq!(
        typing,
        json!({"t": "typing", "to": "bob", "u": "alice", "on": false})
    );
    let seen = alice.sync_texts().await;
    assert!(
        seen.iter().all(|f| f["t"] != "typing"),
        "never to the sender"
    );
    alice
        .expect_err(json!({"t": "typing", "on": true}), "t0", "bad_frame")
        .await;
    bob.send_json(json!({"t": "status", "state": "busy", "text": "focus"}))
        .await;
    bob.sync().await;
    let who = alice
        .request(json!({"t": "who", "ch": "general"}), "w")
        .await;
    let members = who["members"].as_array().expect("members").clone();
    let bob_entry = members
        .iter()
        .find(|m| m["u"] == "bob")
        .expect("bob listed");
    let expected = json!({"u": "bob", "pk": bob.pk, "online": true, "state": "busy", "text": "focus", "role": "member"});
    assert_eq!(bob_entry, &expected);
    let pong = alice.request(json!({"t": "ping"}), "p").await;
    assert_eq!(pong["rid"], "p");
    assert!(pong["ts"].as_i64().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voice_frames_reach_the_others_in_the_room_with_the_sender_prefix() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let mut bob = register(&server, "bob").await;
    let mut carol = register(&server, "carol").await;
    alice
        .expect_err(json!({"t": "vjoin", "room": "secret"}), "v0", "not_member")
        .await;
    let joined = alice
        .request(json!({"t": "vjoin", "room": "general"}), "v1")
        .await;
    assert_eq!(
        joined,
        json!({"t": "vjoined", "room": "general", "members": ["alice"], "rid": "v1"})
    );
    let joined = bob
        .request(json!({"t": "vjoin", "room": "#general"}), "v2")
        .await;
    assert_eq!(joined["members"], json!(["alice", "bob"]));
    let vmember = alice.recv_until("vmember").await;
    assert_eq!(
        vmember,
        json!({"t": "vmember", "room": "general", "u": "bob", "on": true})
    );
    alice.send_binary(vec![1, 2, 3, 4]).await;
    assert_eq!(
        bob.recv_binary().await,
        [&[5u8][..], b"alice", &[1, 2, 3, 4]].concat()
    );
    assert!(no_binary(&alice.sync().await), "never echoed to the sender");
    carol.send_binary(vec![9; 10]).await;
    assert!(no_binary(&carol.sync().await));
    assert!(
        no_binary(&bob.sync().await),
        "from a connection in no room: dropped"
    );
    alice.send_binary(vec![0; 4097]).await;
    assert_eq!(alice.recv_until("err").await["code"], "too_large");
    alice.send_binary(vec![0; 4096]).await;
    assert_eq!(
        bob.recv_binary().await.len(),
        4096 + 6,
        "the connection stayed open"
    );
    let left = bob.request(json!({"t": "vleave"}), "v3").await;
    assert_eq!(left, json!({"t": "vleft", "room": "general", "rid": "v3"}));
    assert_eq!(alice.recv_until("vmember").await["on"], false);
    bob.expect_err(json!({"t": "vleave"}), "v4", "not_member")
        .await;
}
