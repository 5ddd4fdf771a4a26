//! Sessions that end (issue 9 point 13): `logout` revokes the token and closes the session's
//! other connections with 4001; `sessions` lists one's own sessions and `revoke` ends one;
//! `password` checks the current password and ends every other session, closing their live
//! connections.

use serde_json::json;

use crate::common::{TestServer, login, password_of, register, resume, test_config};

#[tokio::test]
async fn logout_revokes_the_token_and_closes_only_that_sessions_connections() {
    let server = TestServer::start(test_config()).await;
    let alice = register(&server, "alice").await;
    let token = alice.session.clone();
    let (mut twin, _) = resume(&server, "alice", &token).await;
    let (mut other, _) = login(&server, "alice").await;
    let mut alice = alice;

    let reply = alice.request(json!({"t": "logout"}), "bye").await;
    assert_eq!(reply, json!({"t": "logout", "rid": "bye"}));
    assert_eq!(alice.expect_close().await, 1000);
    assert_eq!(
        twin.expect_close().await,
        4001,
        "same session, other connection"
    );
    other.sync().await; // another session is untouched

    let (_, refused) = resume(&server, "alice", &token).await;
    assert_eq!(refused["code"], "auth_failed", "{refused}");
    server.stop().await;
}

#[tokio::test]
async fn sessions_lists_ones_own_and_revoke_ends_one_and_closes_it() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let (mut laptop, _) = login(&server, "alice").await;
    let mut bob = register(&server, "bob").await;

    let listed = alice.request(json!({"t": "sessions"}), "s").await;
    let sessions = listed["sessions"].as_array().expect("a list").clone();
    assert_eq!(sessions.len(), 2, "{listed}");
    assert_eq!(
        sessions.iter().filter(|s| s["current"] == true).count(),
        1,
        "{listed}"
    );
    for session in &sessions {
        let id = session["id"].as_str().expect("id");
        assert_eq!(id.len(), 16);
        assert!(!id.contains(&alice.session) && !alice.session.contains(id));
        assert!(session["created"].as_i64().is_some() && session["last_used"].as_i64().is_some());
    }
    let laptop_listing = laptop.request(json!({"t": "sessions"}), "s").await;
    let laptop_id = laptop_listing["sessions"]
        .as_array()
        .expect("a list")
        .iter()
        .find(|s| s["current"] == true)
        .expect("the current one")["id"]
        .clone();

    // Another account cannot see or end alice's sessions.
    let bob_list = bob.request(json!({"t": "sessions"}), "b").await;
    assert_eq!(bob_list["sessions"].as_array().map(Vec::len), Some(1));
    bob.expect_err(
        json!({"t": "revoke", "id": laptop_id}),
        "x",
        "no_such_session",
    )
    .await;

    let revoked = alice
        .request(json!({"t": "revoke", "id": laptop_id}), "r")
        .await;
    assert_eq!(revoked, json!({"t": "revoke", "id": laptop_id, "rid": "r"}));
    assert_eq!(laptop.expect_close().await, 4001);
    let (_, refused) = resume(&server, "alice", &laptop.session).await;
    assert_eq!(refused["code"], "auth_failed", "{refused}");
    alice
        .expect_err(
            json!({"t": "revoke", "id": laptop_id}),
            "again",
            "no_such_session",
        )
        .await;
    alice.sync().await;
    server.stop().await;
}

#[tokio::test]
async fn a_password_change_revokes_every_other_session_and_closes_their_connections() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let (mut phone, _) = login(&server, "alice").await;
    let (mut tablet, _) = login(&server, "alice").await;
    let new_password = "a brand new password";

    alice
        .expect_err(
            json!({"t": "password", "pw": "not my password", "new_pw": new_password}),
            "w",
            "auth_failed",
        )
        .await;
    alice
        .expect_err(
            json!({"t": "password", "pw": password_of("alice"), "new_pw": "short"}),
            "s",
            "weak_password",
        )
        .await;
    let changed = alice
        .request(
            json!({"t": "password", "pw": password_of("alice"), "new_pw": new_password}),
            "p",
        )
        .await;
    assert_eq!(changed, json!({"t": "password", "revoked": 2, "rid": "p"}));
    assert_eq!(phone.expect_close().await, 4001);
    assert_eq!(tablet.expect_close().await, 4001);
    alice.sync().await; // the session that changed it stays

    let (_, refused) = resume(&server, "alice", &phone.session).await;
    assert_eq!(refused["code"], "auth_failed");
    let (_, kept) = resume(&server, "alice", &alice.session).await;
    assert_eq!(kept["t"], "ok", "{kept}");
    let mut fresh = crate::common::Client::connect(&server).await;
    let old = fresh
        .request(
            json!({"t": "auth", "u": "alice", "pw": password_of("alice")}),
            "o",
        )
        .await;
    assert_eq!(
        old["code"], "auth_failed",
        "the old password no longer works"
    );
    let new = fresh
        .request(json!({"t": "auth", "u": "alice", "pw": new_password}), "n")
        .await;
    assert_eq!(new["t"], "ok", "{new}");
    server.stop().await;
}
