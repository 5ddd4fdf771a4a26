//! What the real `chatify serve` binary writes to its log, at the most verbose level: never a
//! message body, a password or a session token (SECURITY.md). Its own test binary, so the
//! trace-level server does not compete with the timing-sensitive durability tests.

mod common;

use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_log_holds_no_bodies_passwords_or_session_tokens() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("chat.db");
    let log_everything = [("CHATIFY_LOG", "trace")];
    let mut serve = spawn_serve_with_env(&db, dir.path(), &[], &log_everything).await;
    let mut alice = register(&serve.url, "alice").await;
    register(&serve.url, "bob").await.close().await;
    alice.say("general", "body-canary-message", "m1").await;
    let dm = json!({"t": "dm", "to": "bob", "c": "Ym9keS1jYW5hcnktZG0=", "enc": "xc20p1"});
    alice.request(dm, "d1").await;
    let search = json!({"t": "search", "ch": "general", "q": "canary"});
    alice.request(search, "s1").await;
    let mut guesser = Client::connect(&serve.url).await;
    let guess = json!({"t": "auth", "u": "alice", "pw": "wrong-password-canary"});
    guesser.expect_err(guess, "g1", "auth_failed").await;
    let (_, ok) = login(&serve.url, "alice").await;
    let second_token = ok["session"].as_str().unwrap_or_default().to_string();
    resume(&serve.url, "alice", &alice.session).await;
    serve.terminate();
    serve.exit_status().await;
    let log = serve.log_text();
    assert!(log.contains("failed login"), "the log is on: {log}");
    for secret in [
        "body-canary-message",
        "Ym9keS1jYW5hcnktZG0=",
        "wrong-password-canary",
        &password_of("alice"),
        &password_of("bob"),
        &alice.session,
        &second_token,
    ] {
        let leaks: Vec<&str> = log.lines().filter(|line| line.contains(secret)).collect();
        assert!(leaks.is_empty(), "the log holds {secret:?}: {leaks:?}");
    }
}
