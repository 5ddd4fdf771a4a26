//! Across nodes, with node A a real `chatify serve --cluster` process (killed with -9) and node
//! B in this process: presence, typing, voice and `member` frames reach the other node's
//! users; A's users go offline on B within a few of A's heartbeats once A is killed; and a
//! client of A resumes on B by session token and `seq` with nothing lost or doubled.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use super::{NatsCluster, start_node};
use crate::common::*;

/// Starts node `name` as a `chatify serve --cluster` process on a new database in `dir`.
pub(super) async fn start_process_node(nats: &NatsCluster, name: &str, dir: &Path) -> ServeProcess {
    let urls = nats.urls.join(",");
    let flags = [
        "--cluster",
        urls.as_str(),
        "--cluster-replicas",
        "3",
        "--cluster-heartbeat-ms",
        "200",
        "--node-name",
        name,
    ];
    spawn_serve_with_flags(&dir.join("chatify.db"), dir, &flags).await
}

/// The first text frame matching `wanted` within `within`, or `None`.
async fn frame_within(
    client: &mut Client,
    within: Duration,
    wanted: impl Fn(&Value) -> bool,
) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match client.recv_any_within(left).await? {
            Received::Text(frame) if wanted(&frame) => return Some(frame),
            Received::Text(_) | Received::Binary(_) => {}
            other => panic!("connection ended: {other:?}"),
        }
    }
}

fn presence_of(user: &'static str, state: &'static str) -> impl Fn(&Value) -> bool {
    move |frame| frame["t"] == "presence" && frame["u"] == user && frame["state"] == state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn live_state_crosses_nodes_and_a_killed_node_expires_while_its_client_resumes_elsewhere() {
    let nats = NatsCluster::start().await;
    let b = start_node(&nats, "b").await;
    // Accounts exist before A starts: A applies them while catching up.
    register(&b.url, "alice").await.close().await;
    let mut bob = register(&b.url, "bob").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let a = start_process_node(&nats, "a", dir.path()).await;

    // Presence: alice logs in on A, bob on B sees her come online; bob's status reaches A.
    let (mut alice, _) = login(&a.url, "alice").await;
    bob.recv_matching(presence_of("alice", "online")).await;
    bob.send_json(json!({"t": "status", "state": "away", "text": "lunch"}))
        .await;
    let away = alice.recv_matching(presence_of("bob", "away")).await;
    assert_eq!(away["text"], "lunch");

    // Voice rooms span the nodes; typing rides the same ordered subject, so once bob saw it,
    // B knows alice is in the room.
    let joined = alice
        .request(json!({"t": "vjoin", "room": "general"}), "v1")
        .await;
    assert_eq!(joined["members"], json!(["alice"]));
    alice
        .send_json(json!({"t": "typing", "ch": "general", "on": true}))
        .await;
    let typing = bob.recv_matching(|frame| frame["t"] == "typing").await;
    assert_eq!(
        (&typing["u"], &typing["ch"]),
        (&json!("alice"), &json!("general"))
    );
    let joined = bob
        .request(json!({"t": "vjoin", "room": "general"}), "v2")
        .await;
    assert_eq!(joined["members"], json!(["bob", "alice"]));
    let vmember = alice.recv_matching(|frame| frame["t"] == "vmember").await;
    assert_eq!(
        vmember,
        json!({"t": "vmember", "room": "general", "u": "bob", "on": true})
    );
    bob.send_binary(vec![1, 2, 3]).await;
    assert_eq!(
        alice.recv_binary().await,
        [&[3u8][..], b"bob", &[1, 2, 3]].concat()
    );

    // A `member` frame for a join made on the other node.
    let created = bob
        .request(
            json!({"t": "join", "ch": "dev", "create": {"mode": "open"}}),
            "j1",
        )
        .await;
    assert_eq!(created["t"], "joined", "{created}");
    let joined = alice.request(json!({"t": "join", "ch": "dev"}), "j2").await;
    assert_eq!(joined["t"], "joined", "{joined}");
    let member = bob
        .recv_matching(|frame| frame["t"] == "member" && frame["ch"] == "dev")
        .await;
    assert_eq!(
        (&member["u"], &member["on"]),
        (&json!("alice"), &json!(true))
    );

    // Messages through A, acknowledged: the last seq alice saw.
    let mut last_seen = 0;
    for n in 0..5 {
        let ack = alice
            .say("general", &format!("from a {n}"), &format!("m{n}"))
            .await;
        last_seen = ack["seq"].as_i64().expect("seq");
    }
    let session = alice.session.clone();

    // A dies without a word: within a few heartbeats bob sees alice offline and out of voice.
    a.kill_9().await;
    let wait = Duration::from_secs(5);
    let offline = frame_within(&mut bob, wait, presence_of("alice", "offline")).await;
    assert!(offline.is_some(), "alice never went offline on B");
    let gone = frame_within(&mut bob, wait, |frame| frame["t"] == "vmember").await;
    assert_eq!(
        gone,
        Some(json!({"t": "vmember", "room": "general", "u": "alice", "on": false}))
    );

    // Meanwhile bob writes; alice resumes on B by session token and catches up from her seq.
    for n in 0..3 {
        bob.say("general", &format!("while away {n}"), &format!("w{n}"))
            .await;
    }
    let (mut alice_on_b, ok) = resume(&b.url, "alice", &session).await;
    assert_eq!(ok["t"], "ok", "{ok}");
    let page = alice_on_b
        .request(
            json!({"t": "history", "ch": "general", "after": last_seen, "limit": 100}),
            "h",
        )
        .await;
    let missed = seqs(&page["events"]);
    let expected: Vec<i64> = (last_seen + 1..=last_seen + missed.len() as i64).collect();
    assert_eq!(missed, expected, "gap-free after the resume point");
    let missed_texts = texts(&page["events"]);
    assert_eq!(
        missed_texts,
        ["while away 0", "while away 1", "while away 2"],
        "{page}"
    );
    let all = alice_on_b
        .request(
            json!({"t": "history", "ch": "general", "after": 0, "limit": 500}),
            "all",
        )
        .await;
    let all = texts(&all["events"]);
    for n in 0..5 {
        let text = format!("from a {n}");
        assert_eq!(
            all.iter().filter(|t| **t == text).count(),
            1,
            "{text} once: {all:?}"
        );
    }
    bob.close().await;
}
