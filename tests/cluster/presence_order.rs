//! Presence travels over core NATS, memberships through the stream, so another node's user can
//! be announced online on node B before B has applied the membership that makes the news
//! relevant there (a brand-new account comes online on A at once; B applies its `general`
//! membership when it reaches that entry). B's channel-mates must still see the user online,
//! as they would on a single node. The race is forced: the test speaks as a third node on the
//! presence subject and announces a user whose account B does not hold yet.

use serde_json::json;

use super::{NatsCluster, start_node};
use crate::common::*;

/// Publishes presence signals as node `ghost` on the cluster's presence subject, in order.
async fn announce_as_ghost(nats: &NatsCluster, signals: &[serde_json::Value]) {
    let client = async_nats::connect(nats.urls[0].as_str())
        .await
        .expect("connect to NATS");
    for signal in signals {
        let payload = serde_json::to_vec(signal).expect("json");
        client
            .publish("chatify.live", payload.into())
            .await
            .expect("publish");
    }
    client.flush().await.expect("flush");
}

fn online(seq: u64, user: &str) -> serde_json::Value {
    json!({"k": "presence", "node": "ghost", "seq": seq, "u": user, "state": "online", "text": ""})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_user_announced_online_before_their_membership_arrives_is_shown_online_once_it_does() {
    let nats = NatsCluster::start().await;
    let a = start_node(&nats, "a").await;
    let b = start_node(&nats, "b").await;
    let mut bob = register(&b.url, "bob").await;
    // `mate` has an account (written through A, applied by B) but is online nowhere yet.
    a.store
        .create_account("mate", "$argon2id$not-used", None, 1)
        .await
        .expect("mate's account");
    bob.recv_matching(|frame| frame["t"] == "member" && frame["u"] == "mate")
        .await;

    // The ghost node says zed (no account anywhere yet) and then mate are online. One
    // publisher, one subject: B handles them in this order, so once bob sees mate online, B
    // has already handled zed's presence, and it reached nobody there.
    let beat = json!({"k": "beat", "node": "ghost", "seq": 0, "every_ms": 60_000});
    announce_as_ghost(&nats, &[beat, online(1, "zed"), online(2, "mate")]).await;
    let mate = bob
        .recv_matching(|frame| frame["t"] == "presence" && frame["u"] == "mate")
        .await;
    assert_eq!(mate["state"], "online", "{mate}");

    // Now zed's account (and its `general` membership) reaches B through the stream.
    a.store
        .create_account("zed", "$argon2id$not-used", None, 2)
        .await
        .expect("zed's account");
    bob.recv_matching(|frame| frame["t"] == "member" && frame["u"] == "zed")
        .await;
    let zed = bob
        .recv_matching(|frame| frame["t"] == "presence" && frame["u"] == "zed")
        .await;
    assert_eq!(zed["state"], "online", "{zed}");

    // `who` agrees.
    let who = bob.request(json!({"t": "who", "ch": "general"}), "w").await;
    let zed_entry = who["members"]
        .as_array()
        .and_then(|members| members.iter().find(|member| member["u"] == "zed"))
        .cloned()
        .unwrap_or_else(|| panic!("zed in who: {who}"));
    assert_eq!(zed_entry["online"], true, "{who}");
}
