//! Coalesced presence (issue 13, third pass; PROTOCOL.md §11.4 `presences`): a client that sends
//! `auth.presences:true` receives the presence changes of its channels' members in shared
//! `presences` frames, so N logins into one channel cost O(N) frames per window in all, not
//! O(N²); a client that did not ask still receives one `presence` per change, as before.

use std::time::Duration;

use chatify::server::ServerConfig;
use serde_json::{Value, json};

use crate::common::*;

/// Creates the accounts `names` (all in `general`, one shared Argon2 hash) and a session for
/// each, before the server starts; returns the sessions' tokens in the same order.
async fn accounts_with_sessions(dir: &std::path::Path, names: &[String]) -> Vec<String> {
    let store = open_store(&dir.join("chatify.db"));
    let phc = chatify::crypto::hash_password(&password_of("anyone")).expect("hash");
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64;
    let mut tokens = Vec::with_capacity(names.len());
    for (n, name) in names.iter().enumerate() {
        store
            .create_account(name, &phc, None, 1)
            .await
            .expect("account");
        let token = format!("presence-batch-test-token-{n:04}-{}", rand_u64());
        let hash = chatify::server::auth::token_hash(&token);
        store
            .create_session(name, hash, now_ms)
            .await
            .expect("session");
        tokens.push(token);
    }
    store.close();
    tokens
}

/// Resumes `user` with `auth.presences` set as given; returns the client after `ok`.
async fn resume_asking(server: &TestServer, user: &str, token: &str, presences: bool) -> Client {
    let mut client = Client::connect(server).await;
    let auth = json!({"t": "auth", "u": user, "session": token, "presences": presences});
    let ok = client.request(auth, "resume").await;
    assert_eq!(ok["t"], "ok", "resuming {user}: {ok}");
    client.user = user.to_string();
    client
}

/// The next `presence` frame of a client that did not ask for `presences` (it must get none).
async fn next_single(client: &mut Client) -> Value {
    client
        .recv_matching(|frame| {
            assert_ne!(frame["t"], "presences", "not asked for: {frame}");
            frame["t"] == "presence"
        })
        .await
}

/// The next `presences` frame of a client that asked for it (it gets no `presence` of others).
async fn next_batch(client: &mut Client) -> Value {
    client
        .recv_matching(|frame| {
            assert_ne!(
                frame["t"], "presence",
                "a single frame after asking: {frame}"
            );
            frame["t"] == "presences"
        })
        .await
}

/// The (user, state) pairs a `presences` frame lists about others than `me` (a frame may list
/// its receiver too: it is shared by the whole channel).
fn listed_others(frame: &Value, me: &str) -> Vec<(String, String)> {
    listed(frame)
        .into_iter()
        .filter(|(user, _)| user != me)
        .collect()
}

/// The (user, state) pairs a `presences` frame lists.
fn listed(frame: &Value) -> Vec<(String, String)> {
    frame["users"]
        .as_array()
        .expect("presences.users")
        .iter()
        .map(|entry| {
            let user = entry["u"].as_str().expect("u").to_string();
            (user, entry["state"].as_str().expect("state").to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_into_one_channel_reach_members_in_shared_frames_not_one_frame_per_login() {
    const USERS: usize = 120;
    let names: Vec<String> = (0..USERS).map(|n| format!("member{n:03}")).collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let tokens = accounts_with_sessions(dir.path(), &names).await;
    let config = ServerConfig {
        presence_batch_window: Duration::from_secs(1),
        ..test_config()
    };
    let server = TestServer::start_in(dir, config).await;

    // One after the other: everyone who logs in later must reach everyone already online.
    let mut clients = Vec::with_capacity(USERS);
    for (name, token) in names.iter().zip(&tokens) {
        clients.push(resume_asking(&server, name, token, true).await);
    }

    let mut frames_in_all = 0;
    for (n, client) in clients.iter_mut().enumerate() {
        let mut waiting: std::collections::BTreeSet<&str> =
            names[n + 1..].iter().map(String::as_str).collect();
        while !waiting.is_empty() {
            let frame = client.recv().await;
            assert_ne!(
                frame["t"], "presence",
                "{} asked for presences: {frame}",
                client.user
            );
            if frame["t"] == "presences" {
                frames_in_all += 1;
                for (user, state) in listed(&frame) {
                    assert_eq!(state, "online", "{frame}");
                    waiting.remove(user.as_str());
                }
            }
        }
    }
    // One frame per login would be USERS·(USERS−1)/2 = 7,140 in all; shared frames are one per
    // member per second of logins, however many logins that second held.
    let one_per_login = USERS * (USERS - 1) / 2;
    assert!(
        frames_in_all <= one_per_login / 2,
        "{frames_in_all} presences frames for {USERS} logins (one per login: {one_per_login})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_did_not_ask_still_gets_one_presence_frame_per_change() {
    let names: Vec<String> = ["oldclient", "newclient", "alice"]
        .iter()
        .map(|name| name.to_string())
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let tokens = accounts_with_sessions(dir.path(), &names).await;
    let config = ServerConfig {
        presence_batch_window: Duration::from_millis(50),
        ..test_config()
    };
    let server = TestServer::start_in(dir, config).await;
    let mut old = resume_asking(&server, "oldclient", &tokens[0], false).await;
    let mut new = resume_asking(&server, "newclient", &tokens[1], true).await;
    assert_eq!(
        next_single(&mut old).await["u"],
        "newclient",
        "the old client hears of the new one"
    );

    let mut alice = resume_asking(&server, "alice", &tokens[2], true).await;
    let online = next_single(&mut old).await;
    assert_eq!(
        (&online["u"], &online["state"]),
        (&json!("alice"), &json!("online"))
    );
    let batch = next_batch(&mut new).await;
    assert_eq!(
        listed_others(&batch, "newclient"),
        vec![("alice".to_string(), "online".to_string())]
    );

    alice
        .send_json(json!({"t": "status", "state": "away", "text": "lunch"}))
        .await;
    let away = next_single(&mut old).await;
    assert_eq!(
        (&away["state"], &away["text"]),
        (&json!("away"), &json!("lunch"))
    );
    let batch = next_batch(&mut new).await;
    assert_eq!(batch["users"][0]["text"], "lunch", "{batch}");
    assert_eq!(
        listed_others(&batch, "newclient"),
        vec![("alice".to_string(), "away".to_string())]
    );

    alice.close().await;
    let offline = next_single(&mut old).await;
    assert_eq!(
        (&offline["u"], &offline["state"]),
        (&json!("alice"), &json!("offline"))
    );
    let batch = next_batch(&mut new).await;
    assert_eq!(
        listed_others(&batch, "newclient"),
        vec![("alice".to_string(), "offline".to_string())]
    );

    let rest_old = old.sync_texts().await;
    assert!(
        rest_old.iter().all(|frame| frame["t"] != "presences"),
        "the old client never gets the new frame: {rest_old:?}"
    );
    let rest_new = new.sync_texts().await;
    assert!(
        rest_new.iter().all(|frame| frame["t"] != "presence"),
        "the new client gets no single frames of other users: {rest_new:?}"
    );
}
