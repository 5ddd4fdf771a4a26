//! What must survive and how the server ends: history, search, rewind and sessions across a
//! restart on the same database; graceful shutdown (acks first, then close 1001); a slow consumer
//! closed with 1013 while the others keep receiving; and the real `chatify serve` binary —
//! refusing a newer-schema database without touching it, keeping acknowledged events across
//! `kill -9`, and exiting 0 on SIGTERM.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use chatify::server::ServerConfig;
use common::*;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_search_rewind_and_sessions_survive_a_restart() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let bob = register(&server, "bob").await;
    let bob_session = bob.session.clone();
    bob.close().await;
    let first = alice.say("general", "the deploy failed", "m1").await;
    after_ms(first["ts"].as_i64().unwrap_or_default()).await;
    let edit = alice
        .request(
            json!({"t": "edit", "ch": "general", "id": first["id"], "c": "the deploy worked"}),
            "e1",
        )
        .await;
    after_ms(edit["ts"].as_i64().unwrap_or_default()).await;
    let second = alice.say("general", "going home", "m2").await;
    alice
        .request(
            json!({"t": "delete", "ch": "general", "id": second["id"]}),
            "d1",
        )
        .await;
    alice
        .request(
            json!({"t": "dm", "to": "bob", "c": "Zm9y", "enc": "xc20p1"}),
            "dm",
        )
        .await;
    let before: Vec<Value> = vec![
        alice
            .request(json!({"t": "history", "ch": "general"}), "h")
            .await["events"]
            .clone(),
        alice
            .request(json!({"t": "search", "ch": "general", "q": "deploy"}), "s")
            .await["events"]
            .clone(),
    ];
    let dir = server.stop().await;

    let server = TestServer::start_in(dir, test_config()).await;
    let (mut bob, ok) = resume(&server, "bob", &bob_session).await;
    assert_eq!(
        (ok["t"].clone(), ok["session"].clone()),
        (json!("ok"), json!(bob_session)),
        "{ok}"
    );
    assert_eq!(ok["channels"][0]["seq"], 4, "channel seq survives");
    let dms = bob
        .request(json!({"t": "history", "dm": "alice"}), "h1")
        .await;
    assert_eq!(
        dms["events"][0]["c"], "Zm9y",
        "a DM to an offline user is kept"
    );
    let history = bob
        .request(json!({"t": "history", "ch": "general"}), "h2")
        .await;
    assert_eq!(history["events"], before[0]);
    assert_eq!(
        texts(&history["events"]),
        vec!["the deploy worked", "<deleted>"]
    );
    let found = bob
        .request(json!({"t": "search", "ch": "general", "q": "deploy"}), "s1")
        .await;
    assert_eq!(found["events"], before[1]);
    let none = bob
        .request(json!({"t": "search", "ch": "general", "q": "failed"}), "s2")
        .await;
    assert_eq!(none["events"], json!([]), "search sees the latest edit");
    let at_first = first["ts"].as_i64().unwrap_or_default();
    let rewind = bob
        .request(
            json!({"t": "rewind", "ch": "general", "at": at_first}),
            "r1",
        )
        .await;
    assert_eq!(
        texts(&rewind["events"]),
        vec!["the deploy failed"],
        "folded as of the rewind time"
    );
    let at_edit = edit["ts"].as_i64().unwrap_or_default();
    let rewind = bob
        .request(json!({"t": "rewind", "ch": "general", "at": at_edit}), "r2")
        .await;
    assert_eq!(texts(&rewind["events"]), vec!["the deploy worked"]);
    let joined = bob
        .request(json!({"t": "join", "ch": "general"}), "j")
        .await;
    assert_eq!(
        joined["hist"], before[0],
        "the ring is rebuilt from the store"
    );
    let ack = bob.say("general", "after the restart", "m3").await;
    assert_eq!(ack["seq"], 5, "seq continues without a gap");
    assert!(ack["id"].as_i64() > second["id"].as_i64());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_acks_then_closes_with_1001() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let mut bob = register(&server, "bob").await;
    alice.sync().await;
    alice
        .send_json(json!({"t": "msg", "ch": "general", "c": "last words", "rid": "last"}))
        .await;
    let acked = tokio::spawn(async move {
        let ack = alice.recv_rid("last").await;
        (ack, alice.expect_close().await)
    });
    bob.recv_until("msg").await;
    let dir = server.stop().await;
    let (ack, code) = acked.await.expect("alice task");
    assert_eq!((ack["t"].clone(), code), (json!("ack"), 1001));
    assert_eq!(bob.expect_close().await, 1001);
    let server = TestServer::start_in(dir, test_config()).await;
    let (mut alice, _) = login(&server, "alice").await;
    let page = alice
        .request(json!({"t": "history", "ch": "general"}), "h")
        .await;
    assert_eq!(texts(&page["events"]), vec!["last words"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_is_closed_with_1013_while_others_keep_receiving() {
    const MAX_MESSAGES: usize = 1000;
    let config = ServerConfig {
        queue_depth: 8,
        close_grace: Duration::from_secs(20),
        ..test_config()
    };
    let server = TestServer::start(config).await;
    let mut slow = Client::connect_with_small_buffer(&server).await;
    let ok = slow
        .request(
            json!({"t": "auth", "u": "slow", "pw": password_of("slow"), "register": true}),
            "r",
        )
        .await;
    assert_eq!(ok["t"], "ok");
    let mut other = register(&server, "other").await;
    let mut fast = register(&server, "fast").await;
    other.sync().await;
    let reader = tokio::spawn(async move {
        let mut seqs = Vec::new();
        loop {
            let frame = other.recv_until("msg").await;
            seqs.push(frame["seq"].as_i64().unwrap_or_default());
            if frame["c"] == "done" {
                return seqs;
            }
        }
    });
    let body = "x".repeat(60_000);
    let mut sent = 0;
    let mut slow_gone = false;
    while sent < MAX_MESSAGES && !slow_gone {
        for _ in 0..10 {
            sent += 1;
            fast.send_json(
                json!({"t": "msg", "ch": "general", "c": body, "rid": format!("m{sent}")}),
            )
            .await;
        }
        let mut acked = 0;
        while acked < 10 {
            let frame = fast.recv().await;
            match frame["t"].as_str() {
                Some("ack") => acked += 1,
                Some("presence") if frame["u"] == "slow" && frame["state"] == "offline" => {
                    slow_gone = true
                }
                _ => {}
            }
        }
    }
    assert!(
        slow_gone,
        "the slow client was disconnected after {sent} messages"
    );
    assert_eq!(slow.expect_close().await, 1013);
    fast.say("general", "done", "final").await;
    let seqs = reader.await.expect("reader task");
    let all: Vec<i64> = (1..=(sent as i64 + 1)).collect();
    assert_eq!(seqs, all, "the others received every message in order");
}

/// The `chatify serve` binary on port 0, its address read from its stderr.
struct ServeProcess {
    child: Child,
    url: String,
    stderr: Vec<String>,
}

async fn spawn_serve(db: &Path, data_dir: &Path) -> ServeProcess {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chatify"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(db)
        .env("CHATIFY_DATA_DIR", data_dir)
        .env("CHATIFY_RATE_LIMIT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn chatify serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            seen.push(line.clone());
            if let Some(at) = line.find("listening on ws://") {
                return line[at + "listening on ".len()..].trim().to_string();
            }
        }
        panic!("serve exited before listening: {seen:?}");
    })
    .await
    .expect("serve starts listening within 30 s");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    ServeProcess {
        child,
        url,
        stderr: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_keeps_acked_events_across_kill_9_and_exits_0_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("chat.db");
    let mut serve = spawn_serve(&db, dir.path()).await;
    let mut alice = register(&serve.url, "alice").await;
    let ack = alice.say("general", "survives kill -9", "k1").await;
    assert_eq!(ack["seq"], 1);
    serve.child.start_kill().expect("SIGKILL");
    serve.child.wait().await.expect("wait");

    let mut serve = spawn_serve(&db, dir.path()).await;
    let (mut alice, _) = login(&serve.url, "alice").await;
    let page = alice
        .request(json!({"t": "history", "ch": "general"}), "h")
        .await;
    assert_eq!(texts(&page["events"]), vec!["survives kill -9"]);
    let pid = serve.child.id().expect("pid");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    assert_eq!(alice.expect_close().await, 1001);
    let exit = tokio::time::timeout(Duration::from_secs(30), serve.child.wait())
        .await
        .expect("serve exits after SIGTERM")
        .expect("wait");
    assert!(
        exit.success(),
        "exit status {exit:?}, stderr {:?}",
        serve.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_a_newer_schema_and_leaves_the_file_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("future.db");
    {
        let store = open_store(&db);
        store.close();
    }
    {
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.pragma_update(None, "user_version", 999)
            .expect("bump user_version");
    }
    let listing = |dir: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("list")
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        names.sort();
        names
    };
    let files_before = listing(dir.path());
    let bytes_before = std::fs::read(&db).expect("read db");
    let output = Command::new(env!("CARGO_BIN_EXE_chatify"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .env("CHATIFY_DATA_DIR", dir.path())
        .output()
        .await
        .expect("run serve");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!(
        "database schema version 999 is newer than this chatify supports ({}); upgrade chatify",
        chatify::store::SCHEMA_VERSION
    );
    assert!(stderr.contains(&expected), "stderr: {stderr}");
    assert!(!stderr.contains("listening"), "stderr: {stderr}");
    assert_eq!(
        std::fs::read(&db).expect("read db"),
        bytes_before,
        "file byte-identical"
    );
    assert_eq!(
        listing(dir.path()),
        files_before,
        "no journal files left behind"
    );
}
