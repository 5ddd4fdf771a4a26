//! What must survive and how the server ends: history, search, rewind and sessions across a
//! restart on the same database; graceful shutdown (acks first, then close 1001); a slow consumer
//! closed with 1013 while the others keep receiving; and the real `chatify serve` binary —
//! refusing a newer-schema database without touching it, keeping acknowledged events across
//! `kill -9`, and exiting 0 on SIGTERM; a damaged row answered with `internal` (no SQL, no path)
//! while the connection and the writer keep working.

mod common;

use std::path::Path;
use std::time::Duration;

use chatify::server::ServerConfig;
use common::*;
use serde_json::{Value, json};
use tokio::process::Command;

/// What the first run left behind: Bob's session, acks and the pages seen before the restart.
struct BeforeRestart {
    bob_session: String,
    first: Value,
    edit: Value,
    second: Value,
    history: Value,
    search: Value,
}

/// Messages, an edit, a deletion and a DM to Bob (offline) on the first run.
async fn first_run(server: &TestServer) -> BeforeRestart {
    let mut alice = register(server, "alice").await;
    let bob = register(server, "bob").await;
    let bob_session = bob.session.clone();
    bob.close().await;
    let first = alice.say("general", "the deploy failed", "m1").await;
    after_ms(first["ts"].as_i64().unwrap_or_default()).await;
    let edit = json!({"t": "edit", "ch": "general", "id": first["id"], "c": "the deploy worked"});
    let edit = alice.request(edit, "e1").await;
    after_ms(edit["ts"].as_i64().unwrap_or_default()).await;
    let second = alice.say("general", "going home", "m2").await;
    let delete = json!({"t": "delete", "ch": "general", "id": second["id"]});
    alice.request(delete, "d1").await;
    let dm = json!({"t": "dm", "to": "bob", "c": "Zm9y", "enc": "xc20p1"});
    alice.request(dm, "dm").await;
    let history = alice
        .request(json!({"t": "history", "ch": "general"}), "h")
        .await;
    let search = json!({"t": "search", "ch": "general", "q": "deploy"});
    let search = alice.request(search, "s").await;
    BeforeRestart {
        bob_session,
        first,
        edit,
        second,
        history: history["events"].clone(),
        search: search["events"].clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_search_rewind_and_sessions_survive_a_restart() {
    let server = TestServer::start(test_config()).await;
    let before = first_run(&server).await;
    let dir = server.stop().await;

    let server = TestServer::start_in(dir, test_config()).await;
    let (mut bob, ok) = resume(&server, "bob", &before.bob_session).await;
    assert_eq!(
        pick(&ok, &["t", "session"]),
        json!({"t": "ok", "session": before.bob_session})
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
    assert_eq!(history["events"], before.history);
    assert_eq!(
        texts(&history["events"]),
        vec!["the deploy worked", "<deleted>"]
    );
    let search = |q: &str| json!({"t": "search", "ch": "general", "q": q});
    assert_eq!(
        bob.request(search("deploy"), "s1").await["events"],
        before.search
    );
    let none = bob.request(search("failed"), "s2").await;
    assert_eq!(none["events"], json!([]), "search sees the latest edit");
    let rewind = |at: &Value| json!({"t": "rewind", "ch": "general", "at": at});
    let view = bob.request(rewind(&before.first["ts"]), "r1").await;
    assert_eq!(
        texts(&view["events"]),
        vec!["the deploy failed"],
        "folded as of then"
    );
    let view = bob.request(rewind(&before.edit["ts"]), "r2").await;
    assert_eq!(texts(&view["events"]), vec!["the deploy worked"]);
    let joined = bob
        .request(json!({"t": "join", "ch": "general"}), "j")
        .await;
    assert_eq!(
        joined["hist"], before.history,
        "the ring is rebuilt from the store"
    );
    let ack = bob.say("general", "after the restart", "m3").await;
    assert_eq!(ack["seq"], 5, "seq continues without a gap");
    assert!(ack["id"].as_i64() > before.second["id"].as_i64());
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
    // Messages per round before the sender reads: its own broadcasts and acks (2 per message)
    // must stay under its queue depth of 8, or the fast sender is itself closed as slow.
    const BURST: usize = 3;
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
        for _ in 0..BURST {
            sent += 1;
            fast.send_json(
                json!({"t": "msg", "ch": "general", "c": body, "rid": format!("m{sent}")}),
            )
            .await;
        }
        let mut acked = 0;
        while acked < BURST {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_keeps_acked_events_across_kill_9_and_exits_0_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("chat.db");
    let serve = spawn_serve(&db, dir.path()).await;
    let mut alice = register(&serve.url, "alice").await;
    let ack = alice.say("general", "survives kill -9", "k1").await;
    assert_eq!(ack["seq"], 1);
    serve.kill_9().await;

    let mut serve = spawn_serve(&db, dir.path()).await;
    let (mut alice, _) = login(&serve.url, "alice").await;
    let page = alice
        .request(json!({"t": "history", "ch": "general"}), "h")
        .await;
    assert_eq!(texts(&page["events"]), vec!["survives kill -9"]);
    serve.terminate();
    assert_eq!(alice.expect_close().await, 1001);
    let exit = serve.exit_status().await;
    assert!(exit.success(), "exit status {exit:?}");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_without_auto_migration_refuses_an_older_schema() {
    if chatify::store::SCHEMA_VERSION < 2 {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("old.db");
    chatify::store::migrations::create_at_version(&db, 1).expect("create a v1 database");
    let output = Command::new(env!("CARGO_BIN_EXE_chatify"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .env("CHATIFY_DATA_DIR", dir.path())
        .env("CHATIFY_NO_AUTO_MIGRATE", "true")
        .output()
        .await
        .expect("run serve");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("chatify migrate --db"), "stderr: {stderr}");
    assert!(!stderr.contains("listening"), "stderr: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_event_row_gives_internal_without_details_and_the_server_keeps_serving() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let ack = alice.say("general", "soon to be damaged", "m1").await;
    let damage =
        rusqlite::Connection::open(&server.db).expect("open the database beside the server");
    let changed = damage
        .execute(
            "UPDATE events SET payload = '{not json' WHERE id = ?1",
            [ack["id"].as_i64().expect("ack id")],
        )
        .expect("damage one event row");
    assert_eq!(changed, 1);
    drop(damage);
    let catch_up = json!({"t": "history", "ch": "general", "after": 0});
    let error = alice.expect_err(catch_up, "h1", "internal").await;
    let message = error["m"].as_str().unwrap_or_default();
    assert!(
        !message.contains("SELECT") && !message.contains(".db"),
        "{message}"
    );
    let pong = alice.request(json!({"t": "ping"}), "p1").await;
    assert_eq!(pong["t"], "pong", "the connection stays open");
    alice.say("general", "still writing", "m2").await;
    server.stop().await;
}
