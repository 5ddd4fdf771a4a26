//! Authentication: registration, the `ok` payload, sessions, password logins, key announcements,
//! presence, the login throttle, and the timeouts and limits around a connection.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chatify::server::{Registration, ServerConfig};
use serde_json::json;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ok_payload_lists_server_users_and_channels() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "Alice").await;
    let ok = alice.ok.clone();
    assert_eq!(
        pick(&ok, &["t", "u", "proto", "rid"]),
        json!({"t": "ok", "u": "Alice", "proto": 1, "rid": "reg"})
    );
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        ok["server"],
        json!({"name": "chatify", "version": version, "max_frame": 65536})
    );
    let token = URL_SAFE_NO_PAD
        .decode(alice.session.as_bytes())
        .expect("token is base64url");
    assert_eq!(token.len(), 32);
    assert_eq!(ok["users"], json!([]));
    assert_eq!(
        ok["channels"],
        json!([{"ch": "general", "mode": "open", "members": 1, "seq": 0}])
    );

    let bob = register(&server, "bob").await;
    let alice_entry =
        json!({"u": "Alice", "pk": alice.pk, "online": true, "state": "online", "text": ""});
    assert_eq!(bob.ok["users"], json!([alice_entry]));
    assert_eq!(bob.ok["channels"][0]["members"], 2);
    let member = alice.recv_until("member").await;
    assert_eq!(
        pick(&member, &["ch", "u", "on"]),
        json!({"ch": "general", "u": "bob", "on": true})
    );
    assert_eq!(
        pick(&alice.recv_until("presence").await, &["u", "state"]),
        json!({"u": "bob", "state": "online"})
    );
    assert_eq!(
        pick(&alice.recv_until("key").await, &["u", "pk"]),
        json!({"u": "bob", "pk": bob.pk})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_resume_and_password_logins_announce_new_keys() {
    let server = TestServer::start(test_config()).await;
    let alice = register(&server, "Alice").await;
    let mut bob = register(&server, "bob").await;
    // Resume returns the same token; the username is case-insensitive but must match the token.
    let (_resumed, ok) = resume(&server, "ALICE", &alice.session).await;
    assert_eq!(
        pick(&ok, &["t", "u", "session"]),
        json!({"t": "ok", "u": "Alice", "session": alice.session})
    );
    let (mut other, reply) = resume(&server, "bob", &alice.session).await;
    assert_eq!(reply["code"], "auth_failed");
    other
        .expect_err(
            json!({"t": "auth", "u": "bob", "session": "made-up"}),
            "s2",
            "auth_failed",
        )
        .await;
    // Wrong password and unknown user get the same answer; the connection stays open.
    let wrong = json!({"t": "auth", "u": "bob", "pw": "not-his-password"});
    let wrong_pw = other.expect_err(wrong, "w1", "auth_failed").await;
    let unknown = json!({"t": "auth", "u": "nobody", "pw": "whatever-pass"});
    let unknown = other.expect_err(unknown, "w2", "auth_failed").await;
    assert_eq!(wrong_pw["m"], unknown["m"]);
    // A password login with a new key gets a fresh session, and the key is announced.
    let new_pk = random_pk();
    let mut second = Client::connect(&server).await;
    let login = json!({"t": "auth", "u": "alice", "pw": password_of("Alice"), "pk": new_pk});
    let ok = second.request(login, "l1").await;
    assert_eq!(ok["t"], "ok");
    assert_ne!(ok["session"], json!(alice.session));
    assert_eq!(
        pick(&bob.recv_until("key").await, &["u", "pk"]),
        json!({"u": "Alice", "pk": new_pk})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_follows_status_and_the_last_connection() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let mut bob = register(&server, "bob").await;
    let (second, _) = login(&server, "alice").await;
    alice
        .send_json(json!({"t": "status", "state": "away", "text": "lunch"}))
        .await;
    let presence = bob.recv_until("presence").await;
    assert_eq!(
        pick(&presence, &["u", "state", "text"]),
        json!({"u": "alice", "state": "away", "text": "lunch"})
    );
    assert!(presence["ts"].as_i64().is_some());
    second.close().await;
    alice.say("general", "still here", "m").await;
    let seen = bob.sync_texts().await;
    assert!(
        seen.iter().all(|f| f["t"] != "presence"),
        "not offline while a connection remains: {seen:?}"
    );
    alice.close().await;
    let presence = bob.recv_until("presence").await;
    assert_eq!(
        pick(&presence, &["u", "state"]),
        json!({"u": "alice", "state": "offline"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_errors_and_authentication_required() {
    let server = TestServer::start(test_config()).await;
    let _alice = register(&server, "alice").await;
    let mut c = Client::connect(&server).await;
    c.expect_err(
        json!({"t": "join", "ch": "general"}),
        "j",
        "not_authenticated",
    )
    .await;
    c.send_binary(vec![1, 2, 3]).await;
    assert_eq!(c.recv().await["code"], "not_authenticated");
    let reg = |u: &str, pw: &str| json!({"t": "auth", "u": u, "pw": pw, "register": true});
    c.expect_err(reg("ALICE", "long enough pw"), "r1", "user_exists")
        .await;
    c.expect_err(reg("bad name!", "long enough pw"), "r2", "bad_username")
        .await;
    c.expect_err(reg(&"x".repeat(33), "long enough pw"), "r3", "bad_username")
        .await;
    c.expect_err(reg("carol", "short"), "r4", "weak_password")
        .await;
    let bad_key =
        json!({"t": "auth", "u": "carol", "pw": "long enough", "pk": "AAAA", "register": true});
    c.expect_err(bad_key, "r5", "bad_frame").await;

    let closed = ServerConfig {
        registration: Registration::Closed,
        ..test_config()
    };
    let server = TestServer::start(closed).await;
    let mut c = Client::connect(&server).await;
    c.expect_err(reg("dave", "long enough pw"), "r6", "registration_closed")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_throttled_but_sessions_still_work() {
    let server = TestServer::start(test_config()).await;
    let alice = register(&server, "alice").await;
    let mut attacker = Client::connect(&server).await;
    let wrong = json!({"t": "auth", "u": "alice", "pw": "guess-guess"});
    for i in 0..3 {
        attacker
            .expect_err(wrong.clone(), &format!("g{i}"), "auth_failed")
            .await;
    }
    let right = json!({"t": "auth", "u": "alice", "pw": password_of("alice")});
    let reply = attacker.expect_err(right, "g9", "rate_limited").await;
    assert!(
        reply["m"]
            .as_str()
            .unwrap_or_default()
            .contains("try again")
    );
    let (_c, ok) = resume(&server, "alice", &alice.session).await;
    assert_eq!(ok["t"], "ok", "a session is never locked out: {ok}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_timeout_closes_the_connection() {
    let config = ServerConfig {
        auth_timeout: Duration::from_millis(300),
        ..test_config()
    };
    let server = TestServer::start(config).await;
    let mut c = Client::connect(&server).await;
    assert_eq!(c.expect_close().await, 1008);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_clients_are_closed_and_answering_ones_are_kept() {
    let config = ServerConfig {
        idle_timeout: Duration::from_millis(1000),
        ping_interval: Duration::from_millis(100),
        ..test_config()
    };
    let server = TestServer::start(config).await;
    // `silent` first: `alive` must start reading as soon as it is logged in (a registration
    // takes an Argon2 hash, which on a loaded machine can outlast the idle timeout, and nobody
    // would be answering `alive`'s pings meanwhile).
    let mut silent = register(&server, "silent").await;
    let mut alive = register(&server, "alive").await;
    // Reading answers the server's pings (tungstenite replies with pongs).
    let events = alive.read_for(Duration::from_millis(2500)).await;
    assert!(
        events.iter().all(|e| matches!(e, Received::Text(_))),
        "{events:?}"
    );
    assert_eq!(alive.request(json!({"t": "ping"}), "p").await["t"], "pong");
    // Not reading at all for longer than the idle timeout: the server gives up on the client.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(silent.expect_close().await, 1008);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_are_refused_with_1013() {
    let config = ServerConfig {
        max_connections: 1,
        ..test_config()
    };
    let server = TestServer::start(config).await;
    let mut first = register(&server, "first").await;
    let mut second = Client::connect(&server).await;
    assert_eq!(second.expect_close().await, 1013);
    assert_eq!(first.request(json!({"t": "ping"}), "p").await["t"], "pong");
}
