//! Growing from one node: `chatify migrate --to-cluster` imports a single-node database into a
//! new cluster's log exactly once (a second import is refused), and `chatify serve --cluster`
//! processes started on new database paths download it and serve its accounts, history and
//! search with the same `seq`s, then go on from there; a node on an existing index halts.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::json;

use super::NatsCluster;
use super::live::start_process_node;
use crate::common::*;

/// Runs `chatify migrate --db DB --to-cluster URLS --cluster-replicas 3` (off the runtime).
async fn import(db: &Path, nats: &NatsCluster) -> Output {
    let (db, urls) = (db.to_path_buf(), nats.urls.join(","));
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_chatify"))
            .args(["migrate", "--db"])
            .arg(&db)
            .args(["--to-cluster", &urls, "--cluster-replicas", "3"])
            .output()
            .expect("chatify migrate runs")
    })
    .await
    .expect("import thread")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_single_node_database_is_imported_once_and_new_nodes_start_from_it() {
    let nats = NatsCluster::start().await;
    // One node with accounts and history.
    let single = TestServer::start(test_config()).await;
    let mut alice = register(&single, "alice").await;
    register(&single, "bob").await.close().await;
    let mut acked = Vec::new();
    for n in 0..3 {
        let ack = alice
            .say(
                "general",
                &format!("before the cluster {n}"),
                &format!("b{n}"),
            )
            .await;
        acked.push(ack["seq"].as_i64().expect("seq"));
    }
    alice.close().await;
    let dir = single.stop().await;
    let db = dir.path().join("chatify.db");

    // Imported once: right after NATS starts the stream may not be creatable yet; retry.
    let deadline = Instant::now() + Duration::from_secs(60);
    let output = loop {
        let output = import(&db, &nats).await;
        if output.status.success() || Instant::now() > deadline {
            break output;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let said = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "{said} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(said.contains("imported"), "{said}");
    let again = import(&db, &nats).await;
    assert!(!again.status.success(), "a second import must be refused");
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already holds"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    // Two nodes on new database paths download it.
    let nodes_dir = tempfile::tempdir().expect("temp dir");
    let (dir_1, dir_2) = (nodes_dir.path().join("n1"), nodes_dir.path().join("n2"));
    std::fs::create_dir_all(&dir_1).expect("dir");
    std::fs::create_dir_all(&dir_2).expect("dir");
    let node_1 = start_process_node(&nats, "n1", &dir_1).await;
    let node_2 = start_process_node(&nats, "n2", &dir_2).await;
    let (mut alice, _) = login(&node_1.url, "alice").await;
    let (mut bob, _) = login(&node_2.url, "bob").await;
    let page = bob
        .request(
            json!({"t": "history", "ch": "general", "after": 0, "limit": 100}),
            "h",
        )
        .await;
    let events = &page["events"];
    let imported: Vec<i64> = seqs(events)
        .into_iter()
        .zip(texts(events))
        .filter(|(_, text)| text.starts_with("before the cluster"))
        .map(|(seq, _)| seq)
        .collect();
    assert_eq!(imported, acked, "the same seqs on the cluster: {page}");
    let found = bob
        .request(json!({"t": "search", "ch": "general", "q": "cluster"}), "s")
        .await;
    assert_eq!(texts(&found["events"]).len(), 3, "{found}");

    // The cluster goes on from the imported history.
    let ack = alice.say("general", "on the cluster", "c").await;
    let last = *acked.last().expect("acked");
    assert!(ack["seq"].as_i64().expect("seq") > last, "{ack}");
    let relayed = bob
        .recv_matching(|frame| frame["t"] == "msg" && frame["c"] == "on the cluster")
        .await;
    assert_eq!(relayed["seq"], ack["seq"]);

    // A node on an existing (empty) index cannot apply the import: it stops, never serves.
    let existing = tempfile::tempdir().expect("temp dir");
    let store = open_store(&existing.path().join("existing.db"));
    let options = chatify::cluster::ClusterOptions {
        urls: nats.urls.clone(),
        credentials: None,
        tls_ca: None,
        require_tls: false,
        stream: "CHATIFY".into(),
        replicas: 3,
        node_name: "existing".into(),
        heartbeat: super::TEST_HEARTBEAT,
    };
    let node =
        chatify::cluster::ClusterNode::start(&options, store, chatify::clock::Clock::system())
            .await
            .expect("joins");
    let halted = tokio::time::timeout(RECV_TIMEOUT, node.caught_up()).await;
    assert!(
        matches!(halted, Ok(Err(_))),
        "it must halt on the import entry"
    );
}
