//! A user's public key travels through the log (registration with `pk`, a login with a new
//! `pk`), so another node applying it announces it to its own connections as the `key` frame a
//! single node sends: bob on node B learns alice's first key and her changed key, set through
//! node A, without asking (`users` with `u`), and so does alice's own connection on B.

use serde_json::{Value, json};

use super::{NatsCluster, start_node};
use crate::common::*;

/// The next `key` frame about `user`, within the receive timeout.
async fn key_frame_of(client: &mut Client, user: &str) -> Value {
    client
        .recv_matching(|frame| frame["t"] == "key" && frame["u"] == user)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_set_through_one_node_reaches_the_members_on_the_other() {
    let nats = NatsCluster::start().await;
    let a = start_node(&nats, "a").await;
    let b = start_node(&nats, "b").await;
    let mut bob = register(&b.url, "bob").await;

    // A first key (registration with `pk` on A) counts as a change, as on a single node: the
    // member frame first, then the key.
    let alice = register(&a.url, "alice").await;
    bob.recv_matching(|frame| frame["t"] == "member" && frame["u"] == "alice")
        .await;
    let first = key_frame_of(&mut bob, "alice").await;
    assert_eq!(first["pk"], alice.pk.as_str(), "{first}");
    assert!(first["ts"].as_i64().is_some_and(|ts| ts > 0), "{first}");
    assert!(first.get("rid").is_none(), "{first}");

    // alice has a connection on B too, then logs in on A with a new key.
    let (mut alice_on_b, _) = login(&b.url, "alice").await;
    let changed_pk = random_pk();
    let mut alice_again = Client::connect(&a.url).await;
    let ok = alice_again
        .request(
            json!({"t": "auth", "u": "alice", "pw": password_of("alice"), "pk": changed_pk}),
            "login",
        )
        .await;
    assert_eq!(ok["t"], "ok", "{ok}");
    let changed = key_frame_of(&mut bob, "alice").await;
    assert_eq!(changed["pk"], changed_pk.as_str(), "{changed}");
    let own = key_frame_of(&mut alice_on_b, "alice").await;
    assert_eq!(own["pk"], changed_pk.as_str(), "{own}");

    // B serves the changed key too.
    let users = bob.request(json!({"t": "users", "u": "alice"}), "u").await;
    assert_eq!(users["users"][0]["pk"], changed_pk.as_str(), "{users}");
}
