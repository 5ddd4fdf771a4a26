//! `serve --cluster` against a real three-node NATS JetStream cluster (`nats-server` from the
//! Debian package; `.ci/run` installs it): chatify nodes run in this process through
//! `server::run_with`, each on its own temp SQLite index, sharing one stream with 3 replicas.
//! Shown: a message sent through node A reaches a subscriber on node B in order with the same
//! `seq`; an account registered on one node logs in on the other; the same name registered on
//! two nodes at once succeeds exactly once; a fresh node catches up and serves the full
//! history and search; a NATS server killed under load loses nothing that was acknowledged. `live`: with
//! a node that is a real `chatify serve --cluster` process, presence, typing, voice and
//! `member` frames cross nodes, and when that process is killed with -9 its users go offline
//! on the other node and a client resumes there with nothing lost or doubled. `governance`: an
//! admin's action, a `disconnect` and a history purge made on one node take effect on the other,
//! and the offline `chatify admin` refuses to change a node's index. `presence_order`: a user
//! announced online before their membership reaches a node is shown online there once it
//! does. `keys`: a public key set through one node reaches the members on the other as a
//! `key` frame. `import`: a single-node database imported once with
//! `chatify migrate --to-cluster`, served by new nodes.

#[path = "../common/mod.rs"]
mod common;
mod governance;
#[path = "../common/http.rs"]
mod http;
mod import;
mod keys;
mod live;
mod nats;
mod presence_order;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use chatify::clock::Clock;
use chatify::cluster::{ClusterNode, ClusterOptions};
use chatify::server::ServeExtras;
use common::*;
use nats::NatsCluster;
use serde_json::json;
use tokio::net::TcpListener;

/// One chatify node: its WebSocket URL and admin address.
struct Node {
    url: String,
    admin: SocketAddr,
    /// The node's store (its writes go through the stream like a client's).
    store: chatify::store::Store,
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Drop for Node {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Heartbeat of the test nodes: a dead node's users go offline elsewhere within 3 of them.
const TEST_HEARTBEAT: Duration = Duration::from_millis(200);

/// Starts a node on a fresh temp database; returns once it has caught up and accepts clients.
async fn start_node(nats: &NatsCluster, name: &str) -> Node {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open_store(&dir.path().join("chatify.db"));
    let options = ClusterOptions {
        urls: nats.urls.clone(),
        credentials: None,
        tls_ca: None,
        require_tls: false,
        stream: "CHATIFY".into(),
        replicas: 3,
        node_name: name.into(),
        heartbeat: TEST_HEARTBEAT,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let node = loop {
        // The stream needs all three peers; right after the cluster starts, retry.
        match ClusterNode::start(&options, store.clone(), Clock::system()).await {
            Ok(node) => break node,
            Err(error) if Instant::now() < deadline => {
                eprintln!("{name}: {error:#}; retrying");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(error) => panic!("{name} cannot join the cluster: {error:#}"),
        }
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let admin_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind admin");
    let url = format!("ws://{}/", listener.local_addr().expect("addr"));
    let admin = admin_listener.local_addr().expect("admin addr");
    let extras = ServeExtras {
        admin: Some(admin_listener),
        health: Some(node.health()),
        extra_metrics: Some(node.metrics()),
        live_link: Some(node.live_link()),
        before_accepting: Some(Box::pin(node.caught_up())),
    };
    let task = tokio::spawn(chatify::server::run_with(
        listener,
        store.clone(),
        test_config(),
        extras,
        std::future::pending(),
    ));
    // Ready means caught up and accepting.
    let deadline = Instant::now() + Duration::from_secs(60);
    while http::http_get(admin, "/healthz").await.status != 200 {
        assert!(Instant::now() < deadline, "{name} never became ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Node {
        url,
        admin,
        store,
        _dir: dir,
        task,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cluster_of_two_nodes_shares_accounts_messages_and_history() {
    let mut nats = NatsCluster::start().await;
    let a = start_node(&nats, "a").await;
    let b = start_node(&nats, "b").await;

    // Registered on A, logs in on B: accounts and sessions are in the shared log.
    let mut alice = register(&a.url, "alice").await;
    let mut bob = register(&b.url, "bob").await;
    let (alice_on_b, _) = login(&b.url, "alice").await;
    alice_on_b.close().await;

    // Sent through A, received on B in order with the seq A acknowledged.
    let mut acked = Vec::new();
    for n in 0..10 {
        let ack = alice
            .say("general", &format!("hello {n}"), &format!("m{n}"))
            .await;
        acked.push((
            ack["seq"].as_i64().expect("seq"),
            ack["id"].as_i64().expect("id"),
        ));
    }
    for (n, (seq, id)) in acked.iter().enumerate() {
        let frame = bob
            .recv_matching(|frame| frame["t"] == "msg" && frame["ch"] == "general")
            .await;
        assert_eq!(frame["c"], format!("hello {n}"), "{frame}");
        assert_eq!(
            (frame["seq"].as_i64(), frame["id"].as_i64()),
            (Some(*seq), Some(*id))
        );
    }
    let acked_seqs: Vec<i64> = acked.iter().map(|(seq, _)| *seq).collect();
    assert!(
        acked_seqs.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "{acked_seqs:?}"
    );

    // The same name on two nodes at once: exactly one registration succeeds.
    let (mut on_a, mut on_b) = (Client::connect(&a.url).await, Client::connect(&b.url).await);
    let frame = |pk: String| json!({"t": "auth", "u": "carol", "pw": password_of("carol"), "pk": pk, "register": true});
    let (first, second) = tokio::join!(
        on_a.request(frame(random_pk()), "r"),
        on_b.request(frame(random_pk()), "r")
    );
    let oks = [&first, &second]
        .iter()
        .filter(|reply| reply["t"] == "ok")
        .count();
    assert_eq!(oks, 1, "{first} / {second}");

    // One of the three NATS servers dies under load: nothing acknowledged is lost.
    let sender = tokio::spawn(async move {
        let mut acked = Vec::new();
        for n in 0..60 {
            let rid = format!("l{n}");
            let text = format!("load {n}");
            alice
                .send_json(json!({"t": "msg", "ch": "general", "c": text, "rid": rid}))
                .await;
            // While NATS fails over, an answer may take a while: wait up to 60 s for it.
            let reply = loop {
                match alice.recv_any_within(Duration::from_secs(60)).await {
                    Some(Received::Text(frame)) if frame["rid"] == rid.as_str() => break frame,
                    Some(Received::Text(_)) => {}
                    other => panic!("no answer to {rid}: {other:?}"),
                }
            };
            if reply["t"] == "ack" {
                acked.push(text);
            }
        }
        (alice, acked)
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    nats.kill(2);
    let (_alice, acked_under_load) = sender.await.expect("sender");
    assert!(!acked_under_load.is_empty());

    // A fresh node catches up from the stream and serves the same full history.
    let c = start_node(&nats, "c").await;
    let (mut bob_on_c, _) = login(&c.url, "bob").await;
    let page = bob_on_c
        .request(
            json!({"t": "history", "ch": "general", "after": 0, "limit": 500}),
            "h",
        )
        .await;
    let texts = texts(&page["events"]);
    for n in 0..10 {
        assert!(texts.contains(&format!("hello {n}")), "{texts:?}");
    }
    for text in &acked_under_load {
        assert!(
            texts.contains(text),
            "acked {text} missing on the fresh node"
        );
    }
    let seqs = seqs(&page["events"]);
    let expected: Vec<i64> = (1..=seqs.len() as i64).collect();
    assert_eq!(seqs, expected, "gap-free seq on the fresh node");
    // ... and serves search from its own index, built while catching up.
    let found = bob_on_c
        .request(
            json!({"t": "search", "ch": "general", "q": "hello", "limit": 50}),
            "s",
        )
        .await;
    let mut found = common::texts(&found["events"]);
    found.sort();
    let expected: Vec<String> = (0..10).map(|n| format!("hello {n}")).collect();
    assert_eq!(found, expected, "search on the fresh node");
    let body = http::http_get(c.admin, "/metrics").await.body;
    assert_eq!(
        http::metric(&body, "chatify_cluster_nats_connected"),
        Some(1.0),
        "{body}"
    );
    bob.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_node_database_is_refused_as_a_cluster_index() {
    let nats = NatsCluster::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open_store(&dir.path().join("single.db"));
    store
        .create_account("dave", "$argon2id$not-checked-here", None, 1)
        .await
        .expect("account");
    let options = ClusterOptions {
        urls: nats.urls.clone(),
        credentials: None,
        tls_ca: None,
        require_tls: false,
        stream: "CHATIFY".into(),
        replicas: 1,
        node_name: "old".into(),
        heartbeat: TEST_HEARTBEAT,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let error = loop {
        match ClusterNode::start(&options, store.clone(), Clock::system()).await {
            Ok(_) => panic!("a single-node database became a cluster index"),
            Err(error) if format!("{error:#}").contains("not made by a cluster node") => {
                break error;
            }
            Err(error) if Instant::now() < deadline => {
                eprintln!("{error:#}; retrying");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(error) => panic!("unexpected: {error:#}"),
        }
    };
    assert!(format!("{error:#}").contains("empty database"), "{error:#}");
}
