//! DM edits, deletions, reactions and replies (docs/PROTOCOL.md §11.2): only the author edits or
//! deletes, either party reacts, both parties' connections receive each change, a target must
//! be a live DM of the same conversation, and DM `history` returns the DMs folded (edited text,
//! deleted tombstone without text, reactions, `reply_to`). The server only ever sees envelopes.

use serde_json::{Value, json};

use crate::common::*;

/// alice's DM to bob (an opaque envelope as far as the server knows); returns its ack.
async fn dm(from: &mut Client, to: &str, c: &str, rid: &str) -> Value {
    let ack = from
        .request(json!({"t": "dm", "to": to, "c": c, "enc": "xc20p1"}), rid)
        .await;
    assert_eq!(ack["t"], "ack", "{ack}");
    ack
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dm_changes_reach_both_parties_and_history_folds_them() {
    let server = TestServer::start(test_config()).await;
    let mut bob = register(&server, "bob").await;
    let mut alice = register(&server, "alice").await;
    let (mut alice_phone, _) = login(&server, "alice").await;
    let first = dm(&mut alice, "bob", "Zmlyc3Q=", "d1").await;
    let id = first["id"].as_i64().expect("id");
    let reply = alice
        .request(
            json!({"t": "dm", "to": "bob", "c": "cmVwbHk=", "enc": "xc20p1", "reply_to": id}),
            "d2",
        )
        .await;
    let reply_id = reply["id"].as_i64().expect("id");
    let edit = json!({"t": "dm_edit", "to": "bob", "id": id, "c": "ZWRpdGVk", "enc": "xc20p1"});
    let ack = alice.request(edit, "e1").await;
    assert_eq!(ack["t"], "ack", "{ack}");
    assert!(
        ack["id"].as_i64() > Some(reply_id),
        "the ack names the edit's own id"
    );
    assert!(ack.get("seq").is_none(), "DM events carry no seq");
    let expected_edit = json!({"t": "dm_edit", "id": id, "from": "alice", "to": "bob",
        "c": "ZWRpdGVk", "enc": "xc20p1", "ts": ack["ts"]});
    assert_eq!(bob.recv_until("dm_edit").await, expected_edit);
    assert_eq!(alice_phone.recv_until("dm_edit").await, expected_edit);
    let react = json!({"t": "dm_react", "to": "alice", "id": id, "emoji": "👍", "on": true});
    assert_eq!(bob.request(react, "r1").await["t"], "ack");
    let reacted = alice.recv_until("dm_react").await;
    assert_eq!(
        pick(&reacted, &["id", "from", "to", "emoji", "on"]),
        json!({"id": id, "from": "bob", "to": "alice", "emoji": "👍", "on": true})
    );
    let delete = json!({"t": "dm_delete", "to": "bob", "id": reply_id});
    assert_eq!(alice.request(delete, "x1").await["t"], "ack");
    let deleted = bob.recv_until("dm_delete").await;
    assert_eq!(
        pick(&deleted, &["id", "from"]),
        json!({"id": reply_id, "from": "alice"})
    );

    let page = bob
        .request(json!({"t": "history", "dm": "alice"}), "h")
        .await;
    let events = page["events"].as_array().expect("events");
    assert_eq!(events.len(), 2, "the changes fold into the two DMs: {page}");
    assert_eq!(
        pick(&events[0], &["id", "c", "enc", "reacts"]),
        json!({"id": id, "c": "ZWRpdGVk", "enc": "xc20p1", "reacts": {"👍": ["bob"]}})
    );
    assert_eq!(events[0]["edited"], ack["ts"]);
    assert_eq!(
        events[1],
        json!({"t": "dm", "id": reply_id, "from": "alice", "to": "bob", "ts": reply["ts"],
            "reply_to": id, "deleted": true}),
        "a deleted DM is a tombstone without its text"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dm_changes_are_refused_to_others_and_outside_the_conversation() {
    let server = TestServer::start(test_config()).await;
    let mut carol = register(&server, "carol").await;
    let mut bob = register(&server, "bob").await;
    let mut alice = register(&server, "alice").await;
    let to_bob = dm(&mut alice, "bob", "dG8gYm9i", "d1").await["id"].clone();
    let to_carol = dm(&mut alice, "carol", "dG8gY2Fyb2w=", "d2").await["id"].clone();
    let channel_msg = alice.say("general", "open", "m1").await["id"].clone();

    let edit_others =
        json!({"t": "dm_edit", "to": "alice", "id": to_bob, "c": "aGk=", "enc": "xc20p1"});
    bob.expect_err(edit_others, "e1", "forbidden").await;
    let delete_others = json!({"t": "dm_delete", "to": "alice", "id": to_bob});
    bob.expect_err(delete_others, "e2", "forbidden").await;
    let other_conversation =
        json!({"t": "dm_react", "to": "alice", "id": to_carol, "emoji": "👍", "on": true});
    bob.expect_err(other_conversation, "e3", "no_such_message")
        .await;
    let spoof = json!({"t": "dm_delete", "to": "carol", "id": to_bob});
    alice.expect_err(spoof, "e4", "no_such_message").await;
    let channel_target =
        json!({"t": "dm_react", "to": "alice", "id": channel_msg, "emoji": "👍", "on": true});
    bob.expect_err(channel_target, "e5", "no_such_message")
        .await;
    let plaintext = json!({"t": "dm_edit", "to": "bob", "id": to_bob, "c": "plain"});
    alice.expect_err(plaintext, "e6", "must_encrypt").await;
    let nobody = json!({"t": "dm_delete", "to": "nobody", "id": to_bob});
    alice.expect_err(nobody, "e7", "no_such_user").await;
    let bad_emoji = json!({"t": "dm_react", "to": "alice", "id": to_bob, "emoji": "", "on": true});
    bob.expect_err(bad_emoji, "e8", "bad_frame").await;

    let delete = json!({"t": "dm_delete", "to": "bob", "id": to_bob});
    assert_eq!(alice.request(delete.clone(), "x1").await["t"], "ack");
    alice.expect_err(delete, "x2", "no_such_message").await;
    let edit_deleted =
        json!({"t": "dm_edit", "to": "bob", "id": to_bob, "c": "aGk=", "enc": "xc20p1"});
    alice
        .expect_err(edit_deleted, "x3", "no_such_message")
        .await;
    let react_deleted =
        json!({"t": "dm_react", "to": "alice", "id": to_bob, "emoji": "👍", "on": true});
    bob.expect_err(react_deleted, "x4", "no_such_message").await;
    // carol saw none of it: no change of a conversation she is not in reaches her.
    let seen = carol.sync_texts().await;
    assert!(
        seen.iter()
            .all(|frame| !frame["t"].as_str().unwrap_or("").starts_with("dm_")),
        "{seen:?}"
    );
}
