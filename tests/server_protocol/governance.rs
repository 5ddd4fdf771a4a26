//! Governance against the real server (docs/PROTOCOL.md §11): each moderation action is shown
//! ENFORCED (not just announced), a plain member's attempt at it is refused, and it appears in
//! history as a system line naming who did it. `root` registers first in every test, so it is
//! the server admin and alice, the channel owner, is an ordinary account.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::common::*;

fn sealed_create() -> Value {
    json!({"mode": "sealed", "salt": STANDARD.encode([7u8; 16]),
           "kdf": {"alg": "argon2id", "m": 65536, "t": 3, "p": 1}, "kcv": STANDARD.encode([9u8; 16])})
}

/// `root` (the admin), then the named users, each registered on its own connection.
async fn accounts(server: &TestServer, names: &[&str]) -> (Client, Vec<Client>) {
    let root = register(server, "root").await;
    let mut clients = Vec::new();
    for name in names {
        clients.push(register(server, name).await);
    }
    (root, clients)
}

async fn join(client: &mut Client, ch: &str) -> Value {
    let joined = client.request(json!({"t": "join", "ch": ch}), "j").await;
    assert_eq!(joined["t"], "joined", "{}: {joined}", client.user);
    joined
}

async fn act(client: &mut Client, frame: Value) -> Value {
    let reply = client.request(frame, "act").await;
    assert_eq!(reply["t"], "ack", "{}: {reply}", client.user);
    reply
}

/// The system lines of a channel's history, as `(u, sys.act, sys.target)`.
async fn system_lines(client: &mut Client, ch: &str) -> Vec<(String, String, String)> {
    let page = client
        .request(json!({"t": "history", "ch": ch, "limit": 500}), "h")
        .await;
    page["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|event| event.get("sys").is_some())
        .map(|event| {
            let field = |value: &Value| value.as_str().unwrap_or_default().to_string();
            (
                field(&event["u"]),
                field(&event["sys"]["act"]),
                field(&event["sys"]["target"]),
            )
        })
        .collect()
}

fn line(u: &str, act: &str, target: &str) -> (String, String, String) {
    (u.to_string(), act.to_string(), target.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uninvited_account_learns_nothing_about_a_sealed_channel_until_invited() {
    let server = TestServer::start(test_config()).await;
    let (_root, mut users) = accounts(&server, &["alice", "bob", "carol"]).await;
    let [alice, bob, carol] = &mut users[..] else {
        unreachable!()
    };
    let created = alice
        .request(
            json!({"t": "join", "ch": "vault", "create": sealed_create()}),
            "c",
        )
        .await;
    assert_eq!(created["t"], "joined");
    let refused = bob
        .expect_err(json!({"t": "join", "ch": "vault"}), "j1", "invite_only")
        .await;
    let text = refused.to_string();
    for secret in [
        sealed_create()["kcv"].as_str().unwrap(),
        sealed_create()["salt"].as_str().unwrap(),
    ] {
        assert!(!text.contains(secret), "{text}");
    }
    assert_eq!(
        pick(&refused, &["t", "code", "rid"])
            .as_object()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        refused.as_object().unwrap().len(),
        4,
        "t, code, m, rid only: {refused}"
    );
    // `info` (what a channel is, before joining) tells an outsider no more than `join` does.
    let info = bob
        .expect_err(json!({"t": "info", "ch": "vault"}), "i0", "invite_only")
        .await;
    assert!(
        info.get("kcv").is_none() && info.get("salt").is_none(),
        "{info}"
    );
    for frame in [
        json!({"t": "who", "ch": "vault"}),
        json!({"t": "history", "ch": "vault"}),
        json!({"t": "topic", "ch": "vault", "topic": "x"}),
        json!({"t": "invite", "ch": "vault", "u": "bob"}),
    ] {
        bob.expect_err(frame, "q", "not_member").await;
    }
    let list = bob.request(json!({"t": "list"}), "l").await;
    let names: Vec<&str> = list["channels"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["ch"].as_str())
        .collect();
    assert_eq!(
        names,
        ["general"],
        "an unlisted sealed channel is not listed"
    );
    // A member who is no operator cannot invite; the owner can, and the invitee is told.
    act(alice, json!({"t": "invite", "ch": "vault", "u": "carol"})).await;
    carol.recv_until("invited").await;
    let joined = join(carol, "vault").await;
    assert_eq!(joined["kcv"], sealed_create()["kcv"]);
    carol
        .expect_err(
            json!({"t": "invite", "ch": "vault", "u": "bob"}),
            "i",
            "forbidden",
        )
        .await;
    bob.expect_err(json!({"t": "join", "ch": "vault"}), "j2", "invite_only")
        .await;
    act(alice, json!({"t": "invite", "ch": "vault", "u": "bob"})).await;
    let invited = bob.recv_until("invited").await;
    assert_eq!(
        pick(&invited, &["ch", "by", "mode"]),
        json!({"ch": "vault", "by": "alice", "mode": "sealed"})
    );
    join(bob, "vault").await;
    assert_eq!(
        system_lines(alice, "vault").await,
        [
            line("alice", "invite", "carol"),
            line("alice", "invite", "bob")
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kicked_member_stops_receiving_at_once_and_may_rejoin_an_open_channel() {
    let server = TestServer::start(test_config()).await;
    let (_root, mut users) = accounts(&server, &["alice", "bob"]).await;
    let [alice, bob] = &mut users[..] else {
        unreachable!()
    };
    join(alice, "ops").await;
    join(bob, "ops").await;
    let (mut bob_phone, _) = login(&server, "bob").await;
    bob.expect_err(
        json!({"t": "kick", "ch": "ops", "u": "alice"}),
        "k",
        "forbidden",
    )
    .await;
    act(
        alice,
        json!({"t": "kick", "ch": "ops", "u": "bob", "reason": "spam"}),
    )
    .await;
    for connection in [&mut *bob, &mut bob_phone] {
        let line = connection.recv_until("msg").await;
        assert_eq!(line["sys"]["act"], "kick");
        assert_eq!(line["c"], "kicked bob (spam)");
        let left = connection.recv_until("left").await;
        assert_eq!(
            pick(&left, &["ch", "by"]),
            json!({"ch": "ops", "by": "alice"})
        );
    }
    alice.say("ops", "after the kick", "m1").await;
    for connection in [&mut *bob, &mut bob_phone] {
        let seen = connection.sync_texts().await;
        assert!(
            seen.iter().all(|f| f["t"] != "msg"),
            "nothing reaches a kicked member: {seen:?}"
        );
    }
    bob.expect_err(
        json!({"t": "msg", "ch": "ops", "c": "hi"}),
        "m",
        "not_member",
    )
    .await;
    join(bob, "ops").await;
    assert_eq!(
        system_lines(alice, "ops").await,
        [line("alice", "kick", "bob")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_banned_account_cannot_rejoin_or_be_invited_until_unbanned() {
    let server = TestServer::start(test_config()).await;
    let (_root, mut users) = accounts(&server, &["alice", "bob"]).await;
    let [alice, bob] = &mut users[..] else {
        unreachable!()
    };
    join(alice, "ops").await;
    join(bob, "ops").await;
    bob.expect_err(
        json!({"t": "ban", "ch": "ops", "u": "alice"}),
        "b",
        "forbidden",
    )
    .await;
    act(alice, json!({"t": "ban", "ch": "ops", "u": "bob"})).await;
    bob.recv_until("left").await;
    bob.expect_err(json!({"t": "join", "ch": "ops"}), "j", "banned")
        .await;
    alice
        .expect_err(
            json!({"t": "invite", "ch": "ops", "u": "bob"}),
            "i",
            "banned",
        )
        .await;
    bob.expect_err(
        json!({"t": "unban", "ch": "ops", "u": "bob"}),
        "u",
        "not_member",
    )
    .await;
    act(alice, json!({"t": "unban", "ch": "ops", "u": "bob"})).await;
    join(bob, "ops").await;
    assert_eq!(
        system_lines(alice, "ops").await,
        [line("alice", "ban", "bob"), line("alice", "unban", "bob")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_muted_member_is_refused_until_the_timeout_passes_on_the_injected_clock() {
    let clock = Arc::new(AtomicI64::new(1_764_000_000_000));
    let reading = clock.clone();
    let config = chatify::server::ServerConfig {
        clock: chatify::clock::Clock::from_fn(move || reading.load(Ordering::SeqCst)),
        ..test_config()
    };
    let server = TestServer::start(config).await;
    let (_root, mut users) = accounts(&server, &["alice", "bob"]).await;
    let [alice, bob] = &mut users[..] else {
        unreachable!()
    };
    join(alice, "ops").await;
    join(bob, "ops").await;
    let target = alice.say("ops", "react to me", "m0").await["id"].clone();
    bob.expect_err(
        json!({"t": "mute", "ch": "ops", "u": "alice", "secs": 60}),
        "x",
        "forbidden",
    )
    .await;
    act(
        alice,
        json!({"t": "mute", "ch": "ops", "u": "bob", "secs": 60}),
    )
    .await;
    let refused = bob
        .expect_err(
            json!({"t": "msg", "ch": "ops", "c": "let me speak"}),
            "m1",
            "muted",
        )
        .await;
    assert!(
        refused["m"].as_str().unwrap().contains("60 more seconds"),
        "{refused}"
    );
    bob.expect_err(
        json!({"t": "react", "ch": "ops", "id": target, "emoji": "👍", "on": true}),
        "r",
        "muted",
    )
    .await;
    clock.fetch_add(59_000, Ordering::SeqCst);
    bob.expect_err(json!({"t": "msg", "ch": "ops", "c": "now?"}), "m2", "muted")
        .await;
    clock.fetch_add(2_000, Ordering::SeqCst);
    bob.say("ops", "the timeout has passed", "m3").await;
    let who = alice.request(json!({"t": "who", "ch": "ops"}), "w").await;
    assert!(
        who["members"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m.get("muted_until").is_none())
    );
    assert_eq!(
        system_lines(alice, "ops").await,
        [line("alice", "mute", "bob")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_delete_others_messages_and_op_deop_change_who_may() {
    let server = TestServer::start(test_config()).await;
    let (_root, mut users) = accounts(&server, &["alice", "bob", "carol"]).await;
    let [alice, bob, carol] = &mut users[..] else {
        unreachable!()
    };
    for client in [&mut *alice, &mut *bob, &mut *carol] {
        join(client, "ops").await;
    }
    let first = bob.say("ops", "spam one", "s1").await["id"].clone();
    let second = bob.say("ops", "spam two", "s2").await["id"].clone();
    carol
        .expect_err(
            json!({"t": "delete", "ch": "ops", "id": first}),
            "d0",
            "forbidden",
        )
        .await;
    bob.expect_err(
        json!({"t": "op", "ch": "ops", "u": "bob"}),
        "o",
        "forbidden",
    )
    .await;
    act(alice, json!({"t": "op", "ch": "ops", "u": "carol"})).await;
    let who = alice.request(json!({"t": "who", "ch": "ops"}), "w").await;
    let roles: Vec<(String, String)> = who["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["u"].as_str().unwrap().to_string(),
                m["role"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(roles.contains(&("alice".into(), "owner".into())));
    assert!(roles.contains(&("carol".into(), "op".into())));
    assert!(roles.contains(&("bob".into(), "member".into())));
    act(carol, json!({"t": "delete", "ch": "ops", "id": first})).await;
    let deleted = bob.recv_until("delete").await;
    assert_eq!(
        pick(&deleted, &["id", "u"]),
        json!({"id": first, "u": "carol"})
    );
    let line_frame = bob.recv_until("msg").await;
    assert_eq!(line_frame["sys"]["msg"], first);
    // An operator cannot remove the owner's rank; the owner can remove an operator's.
    carol
        .expect_err(
            json!({"t": "deop", "ch": "ops", "u": "alice"}),
            "x",
            "forbidden",
        )
        .await;
    act(alice, json!({"t": "deop", "ch": "ops", "u": "carol"})).await;
    carol
        .expect_err(
            json!({"t": "delete", "ch": "ops", "id": second}),
            "d1",
            "forbidden",
        )
        .await;
    let page = alice
        .request(json!({"t": "history", "ch": "ops"}), "h")
        .await;
    let spam = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == first)
        .unwrap();
    assert_eq!(spam["deleted"], true);
    assert_eq!(
        system_lines(alice, "ops").await,
        [
            line("alice", "op", "carol"),
            line("carol", "delete", "bob"),
            line("alice", "deop", "carol")
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_settings_and_the_paged_list_of_listed_channels() {
    let server = TestServer::start(test_config()).await;
    let (_root, mut users) = accounts(&server, &["alice", "bob", "carol"]).await;
    let [alice, bob, carol] = &mut users[..] else {
        unreachable!()
    };
    for ch in ["aaa", "bbb", "ccc", "hidden"] {
        join(alice, ch).await;
    }
    join(bob, "aaa").await;
    act(
        alice,
        json!({"t": "topic", "ch": "aaa", "topic": "all about a"}),
    )
    .await;
    bob.expect_err(
        json!({"t": "topic", "ch": "aaa", "topic": "mine"}),
        "t",
        "forbidden",
    )
    .await;
    bob.expect_err(
        json!({"t": "mode", "ch": "aaa", "moderated": true}),
        "m",
        "forbidden",
    )
    .await;
    act(alice, json!({"t": "mode", "ch": "hidden", "listed": false})).await;
    let first = carol.request(json!({"t": "list", "limit": 2}), "l1").await;
    assert_eq!(
        first["channels"],
        json!([{"ch": "aaa", "mode": "open", "topic": "all about a", "members": 2},
               {"ch": "bbb", "mode": "open", "topic": "", "members": 1}])
    );
    assert_eq!(first["more"], true);
    let second = carol
        .request(json!({"t": "list", "after": "bbb", "limit": 2}), "l2")
        .await;
    let names: Vec<&str> = second["channels"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["ch"].as_str())
        .collect();
    assert_eq!(names, ["ccc", "general"], "hidden is unlisted");
    assert_eq!(second["more"], false);
    assert_eq!(join(carol, "aaa").await["topic"], "all about a");
    act(alice, json!({"t": "mode", "ch": "aaa", "moderated": true})).await;
    bob.expect_err(
        json!({"t": "msg", "ch": "aaa", "c": "hello?"}),
        "s",
        "muted",
    )
    .await;
    alice.say("aaa", "only operators speak here", "a1").await;
    act(
        alice,
        json!({"t": "mode", "ch": "aaa", "invite_only": true}),
    )
    .await;
    let (mut dave, _) = (register(&server, "dave").await, ());
    dave.expect_err(json!({"t": "join", "ch": "aaa"}), "j", "invite_only")
        .await;
    let lines = system_lines(alice, "aaa").await;
    let acts: Vec<&str> = lines.iter().map(|(_, act, _)| act.as_str()).collect();
    assert_eq!(acts, ["topic", "mode", "mode"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_admin_disables_an_account_live_and_its_sessions_end_at_once() {
    let server = TestServer::start(test_config()).await;
    let (mut root, mut users) = accounts(&server, &["alice", "bob"]).await;
    let [alice, bob] = &mut users[..] else {
        unreachable!()
    };
    let who = root
        .request(json!({"t": "who", "ch": "general"}), "w")
        .await;
    let root_entry = who["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["u"] == "root")
        .unwrap()
        .clone();
    assert_eq!(root_entry["admin"], true, "the first account is the admin");
    alice
        .expect_err(
            json!({"t": "admin", "action": "disable", "u": "bob"}),
            "a",
            "forbidden",
        )
        .await;
    let reply = root
        .request(json!({"t": "admin", "action": "disable", "u": "bob"}), "a")
        .await;
    assert_eq!(
        pick(&reply, &["t", "action", "u", "closed"]),
        json!({"t": "admin", "action": "disable", "u": "bob", "closed": 1})
    );
    assert_eq!(bob.expect_close().await, 1008);
    let mut again = Client::connect(&server).await;
    again
        .expect_err(
            json!({"t": "auth", "u": "bob", "pw": password_of("bob")}),
            "l",
            "account_disabled",
        )
        .await;
    let (_, resumed) = resume(&server, "bob", &bob.session).await;
    assert_eq!(resumed["code"], "auth_failed", "its sessions were revoked");
    root.request(json!({"t": "admin", "action": "enable", "u": "bob"}), "e")
        .await;
    login(&server, "bob").await;
    let (mut alice_phone, _) = login(&server, "alice").await;
    let reply = root
        .request(
            json!({"t": "admin", "action": "revoke_sessions", "u": "alice"}),
            "r",
        )
        .await;
    assert_eq!(reply["closed"], 2);
    assert_eq!(alice_phone.expect_close().await, 1008);
    assert_eq!(alice.expect_close().await, 1008);
}
