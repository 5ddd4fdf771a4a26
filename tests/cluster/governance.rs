//! Administration on a cluster node is a replicated write: an admin's `disable` through node A
//! closes the account's connections on node B and refuses its logins there, a `disconnect`
//! through A closes them on B too (the account may log in again), and a history purge run on
//! A's store removes the same messages from B's index. The offline `chatify admin` refuses to
//! change a node's index (the change would never reach the log).

use std::path::Path;
use std::process::{Command, Output};

use serde_json::json;

use super::{NatsCluster, start_node};
use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_admin_action_and_a_purge_made_on_one_node_take_effect_on_the_other() {
    let nats = NatsCluster::start().await;
    let a = start_node(&nats, "a").await;
    let b = start_node(&nats, "b").await;
    // The first account is the server admin, on every node.
    let mut root = register(&a.url, "root").await;
    let mut bob = register(&b.url, "bob").await;
    let mut carol = register(&b.url, "carol").await;

    let reply = root
        .request(json!({"t": "admin", "action": "disable", "u": "bob"}), "d")
        .await;
    assert_eq!(reply["t"], "admin", "{reply}");
    assert_eq!(bob.expect_close().await, 1008, "bob's connection on B ends");
    let mut again = Client::connect(&b.url).await;
    again
        .expect_err(
            json!({"t": "auth", "u": "bob", "pw": password_of("bob")}),
            "l",
            "account_disabled",
        )
        .await;

    for n in 0..3 {
        root.say("general", &format!("old {n}"), &format!("o{n}"))
            .await;
    }
    // The newest event of the log is never purged.
    root.say("general", "newest", "n").await;
    let purged = a
        .store
        .administer(chatify::store::AdminOp::PurgeHistory {
            channel: "general".into(),
            before_ms: chatify::clock::Clock::system().now_ms() + 1,
            max_messages: 1000,
        })
        .await
        .expect("purge through the stream");
    assert_eq!(purged, 3);
    // The stream is ordered: once carol (on B) has this message, B applied the purge.
    root.say("general", "after the purge", "p").await;
    carol
        .recv_matching(|frame| frame["t"] == "msg" && frame["c"] == "after the purge")
        .await;
    let page = carol
        .request(
            json!({"t": "history", "ch": "general", "after": 0, "limit": 100}),
            "h",
        )
        .await;
    let kept = texts(&page["events"]);
    assert!(kept.contains(&"after the purge".to_string()), "{kept:?}");
    assert!(kept.contains(&"newest".to_string()), "{kept:?}");
    assert!(
        !kept.iter().any(|text| text.starts_with("old ")),
        "purged on B too: {kept:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_admin_disconnect_through_one_node_closes_the_account_on_every_node() {
    let nats = NatsCluster::start().await;
    let a = start_node(&nats, "a").await;
    let b = start_node(&nats, "b").await;
    let mut root = register(&a.url, "root").await;
    let mut alice_on_b = register(&b.url, "alice").await;
    let (mut alice_on_a, _) = login(&a.url, "alice").await;
    let mut bob_on_b = register(&b.url, "bob").await;

    let reply = root
        .request(
            json!({"t": "admin", "action": "disconnect", "u": "alice"}),
            "x",
        )
        .await;
    assert_eq!(reply["t"], "admin", "{reply}");
    assert_eq!(
        reply["closed"], 1,
        "the reply counts node A's connections: {reply}"
    );
    assert_eq!(
        alice_on_a.expect_close().await,
        1008,
        "alice's connection on A ends"
    );
    assert_eq!(
        alice_on_b.expect_close().await,
        1008,
        "alice's connection on B ends as on a single node"
    );

    // Only alice: bob on B is still served, and alice (not disabled) may come back.
    root.say("general", "still here?", "s").await;
    bob_on_b
        .recv_matching(|frame| frame["t"] == "msg" && frame["c"] == "still here?")
        .await;
    let (mut back, _) = login(&b.url, "alice").await;
    back.say("general", "back again", "b").await;
}

/// Runs `chatify admin --db DB ARGS…` (off the runtime).
async fn offline_admin(db: &Path, args: &[&str]) -> Output {
    let db = db.to_path_buf();
    let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_chatify"))
            .args(["admin", "--db"])
            .arg(&db)
            .args(&args)
            .env_remove("CHATIFY_DB")
            .output()
            .expect("chatify admin runs")
    })
    .await
    .expect("admin thread")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_offline_admin_command_refuses_to_change_a_cluster_index() {
    let nats = NatsCluster::start().await;
    let a = start_node(&nats, "a").await;
    register(&a.url, "root").await.close().await;
    register(&a.url, "bob").await.close().await;
    // The file node A materialised from the stream.
    let db = a._dir.path().join("chatify.db");

    for action in [
        &["disable", "bob"][..],
        &["delete-user", "bob"],
        &["grant", "bob"],
        &["revoke-sessions", "bob"],
        &["purge", "general", "--before", "1d"],
    ] {
        let output = offline_admin(&db, action).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{action:?}: {stderr}");
        assert!(
            stderr.contains("is a cluster node's index") && stderr.contains("admin --live"),
            "{action:?}: {stderr}"
        );
    }

    // Nothing was written: the listing (which still reads the file) shows bob enabled, not an
    // admin and with his session, and he logs in.
    let listing = offline_admin(&db, &["users"]).await;
    assert!(listing.status.success(), "{listing:?}");
    let stdout = String::from_utf8_lossy(&listing.stdout);
    let bob: Vec<&str> = stdout
        .lines()
        .find(|line| line.starts_with("bob "))
        .unwrap_or_else(|| panic!("bob listed: {stdout}"))
        .split_whitespace()
        .collect();
    assert_eq!(
        bob[1..4],
        ["no", "no", "1"],
        "admin, disabled, sessions: {stdout}"
    );
    let (bob_again, _) = login(&a.url, "bob").await;
    bob_again.close().await;
}
