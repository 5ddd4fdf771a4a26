//! Issue 13: the `ok` frame lists only the first users sharing a channel (by name) and says
//! `users_more`; the `users` request pages through the rest, and the client library fetches
//! every page at login, so it still knows everyone.

use chatify::client::session::{Session, SessionOptions};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::common::*;

/// Creates `count` accounts `user000…` and `zed` (all in `general`) before the server starts.
async fn server_with_accounts(count: usize) -> TestServer {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open_store(&dir.path().join("chatify.db"));
    let phc = chatify::crypto::hash_password(&password_of("zed")).expect("hash");
    for i in 0..count {
        store
            .create_account(&format!("user{i:03}"), &phc, None, 1)
            .await
            .expect("account");
    }
    store
        .create_account("zed", &phc, None, 1)
        .await
        .expect("zed");
    store.close();
    TestServer::start_in(dir, test_config()).await
}

fn names(frame: &Value, field: &str) -> Vec<String> {
    frame[field]
        .as_array()
        .expect("a list of users")
        .iter()
        .map(|user| user["u"].as_str().expect("u").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ok_lists_the_first_users_and_users_pages_through_the_rest() {
    let server = server_with_accounts(250).await;
    let (mut zed, ok) = login(&server, "zed").await;
    let first = names(&ok, "users");
    assert_eq!(first.len(), 100, "ok lists 100 users");
    assert_eq!(
        (first[0].as_str(), first[99].as_str()),
        ("user000", "user099")
    );
    assert_eq!(ok["users_more"], true);

    let page = zed
        .request(json!({"t": "users", "after": "user099"}), "u1")
        .await;
    assert_eq!(page["t"], "users", "{page}");
    let rest = names(&page, "users");
    assert_eq!(rest.len(), 150);
    assert_eq!(rest[0], "user100");
    assert!(!rest.contains(&"zed".to_string()), "never yourself");
    assert!(page.get("more").is_none(), "last page: {page}");

    let small = zed.request(json!({"t": "users", "limit": 5}), "u2").await;
    assert_eq!(
        names(&small, "users"),
        ["user000", "user001", "user002", "user003", "user004"]
    );
    assert_eq!(small["more"], true);
    let huge = zed
        .request(json!({"t": "users", "limit": 100000}), "u3")
        .await;
    assert_eq!(
        names(&huge, "users").len(),
        200,
        "a page holds 200 users at most"
    );
    zed.expect_err(
        json!({"t": "users", "after": "no spaces"}),
        "u4",
        "bad_frame",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn few_users_fit_in_ok_without_more() {
    let server = server_with_accounts(3).await;
    let (_zed, ok) = login(&server, "zed").await;
    assert_eq!(names(&ok, "users"), ["user000", "user001", "user002"]);
    assert!(ok.get("users_more").is_none(), "{ok}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_library_fetches_every_page_at_login() {
    let server = server_with_accounts(450).await;
    let mut options = SessionOptions::new(server.url.clone(), "zed");
    options.password = Some(Zeroizing::new(password_of("zed")));
    options.reconnect = false;
    let (session, _events) = Session::connect(options).await.expect("login");
    let welcome = session.welcome();
    assert_eq!(welcome.users.len(), 450);
    assert_eq!(welcome.users[449].u, "user449");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_user_is_looked_up_by_name_for_a_dm_key_and_only_if_a_channel_is_shared() {
    let server = TestServer::start(test_config()).await;
    let mut bob = register(&server, "bob").await;
    let alice = register(&server, "alice").await;
    let mut carol = register(&server, "carol").await;
    let left = carol
        .request(json!({"t": "leave", "ch": "general"}), "l")
        .await;
    assert_eq!(left["t"], "left", "{left}");
    // Any case finds alice, with her key, and nobody else.
    let found = bob.request(json!({"t": "users", "u": "ALICE"}), "u1").await;
    assert_eq!(found["t"], "users", "{found}");
    assert_eq!(names(&found, "users"), ["alice"]);
    assert_eq!(found["users"][0]["pk"], alice.pk.as_str(), "{found}");
    assert!(found.get("more").is_none(), "{found}");
    // Someone who shares no channel with bob, and a name nobody has, look the same: empty.
    for name in ["carol", "nobody"] {
        let none = bob.request(json!({"t": "users", "u": name}), "u2").await;
        assert_eq!(none["users"], json!([]), "{name}: {none}");
    }
    bob.expect_err(json!({"t": "users", "u": "no spaces"}), "u3", "bad_frame")
        .await;
    bob.expect_err(
        json!({"t": "users", "u": "alice", "after": "a"}),
        "u4",
        "bad_frame",
    )
    .await;
}
