//! Protocol v1 against a real server on 127.0.0.1:0 with a temp database, over real WebSockets:
//! authentication and the `ok` payload, channels, message ordering across clients, edits and
//! folding, DMs, queries, presence/typing, voice relay, and every error code of PROTOCOL.md.

mod common;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chatify::server::{Registration, ServerConfig};
use common::*;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_ok_payload_sessions_keys_and_presence() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "Alice").await;
    let ok = &alice.ok;
    assert_eq!(
        (ok["u"].clone(), ok["proto"].clone(), ok["rid"].clone()),
        (json!("Alice"), json!(1), json!("reg"))
    );
    assert_eq!(ok["server"]["name"], "chatify");
    assert_eq!(ok["server"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(ok["server"]["max_frame"], 65536);
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
    let users = bob.ok["users"].as_array().expect("users").clone();
    assert_eq!(
        users,
        vec![json!({"u": "Alice", "pk": alice.pk, "online": true, "state": "online", "text": ""})]
    );
    assert_eq!(bob.ok["channels"][0]["members"], 2);
    let member = alice.recv_until("member").await;
    assert_eq!(
        (
            member["ch"].clone(),
            member["u"].clone(),
            member["on"].clone()
        ),
        (json!("general"), json!("bob"), json!(true))
    );
    assert_eq!(alice.recv_until("presence").await["state"], "online");
    let key = alice.recv_until("key").await;
    assert_eq!(
        (key["u"].clone(), key["pk"].clone()),
        (json!("bob"), json!(bob.pk))
    );

    // Resume returns the same token; the username is case-insensitive but must match the token.
    let (_resumed, ok) = resume(&server, "ALICE", &alice.session).await;
    assert_eq!(
        (ok["t"].clone(), ok["u"].clone(), ok["session"].clone()),
        (json!("ok"), json!("Alice"), json!(alice.session))
    );
    let (mut wrong, reply) = resume(&server, "bob", &alice.session).await;
    assert_eq!(reply["code"], "auth_failed");
    let reply = wrong
        .request(json!({"t": "auth", "u": "bob", "session": "made-up"}), "s2")
        .await;
    assert_eq!(reply["code"], "auth_failed");

    // Wrong password and unknown user get the same answer; the connection stays open.
    let wrong_pw = wrong
        .expect_err(
            json!({"t": "auth", "u": "bob", "pw": "not-his-password"}),
            "w1",
            "auth_failed",
        )
        .await;
    let unknown = wrong
        .expect_err(
            json!({"t": "auth", "u": "nobody", "pw": "whatever-pass"}),
            "w2",
            "auth_failed",
        )
        .await;
    assert_eq!(wrong_pw["m"], unknown["m"]);

    // A password login with a new key: a fresh session, and the key is announced.
    let new_pk = random_pk();
    let mut second = Client::connect(&server).await;
    let ok = second
        .request(
            json!({"t": "auth", "u": "alice", "pw": password_of("Alice"), "pk": new_pk}),
            "l1",
        )
        .await;
    assert_eq!(ok["t"], "ok");
    assert_ne!(ok["session"], json!(alice.session));
    let mut bob = bob;
    let key = bob.recv_until("key").await;
    assert_eq!(
        (key["u"].clone(), key["pk"].clone()),
        (json!("Alice"), json!(new_pk))
    );

    // Offline only when the last of Alice's connections closes.
    second.close().await;
    _resumed.close().await;
    alice
        .send_json(json!({"t": "status", "state": "away", "text": "lunch"}))
        .await;
    let presence = bob.recv_until("presence").await;
    assert_eq!(
        (
            presence["u"].clone(),
            presence["state"].clone(),
            presence["text"].clone()
        ),
        (json!("Alice"), json!("away"), json!("lunch"))
    );
    alice.close().await;
    let presence = bob.recv_until("presence").await;
    assert_eq!(
        (presence["u"].clone(), presence["state"].clone()),
        (json!("Alice"), json!("offline"))
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
    c.expect_err(
        json!({"t": "auth", "u": "carol", "pw": "long enough", "pk": "AAAA", "register": true}),
        "r5",
        "bad_frame",
    )
    .await;

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
    let reply = attacker
        .expect_err(
            json!({"t": "auth", "u": "alice", "pw": password_of("alice")}),
            "g9",
            "rate_limited",
        )
        .await;
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
async fn messages_from_three_clients_arrive_in_seq_order_with_acks() {
    const EACH: usize = 15;
    let server = TestServer::start(test_config()).await;
    let mut clients = Vec::new();
    for name in ["ann", "ben", "cat"] {
        clients.push(register(&server, name).await);
    }
    for c in clients.iter_mut() {
        c.sync().await;
    }
    let mut tasks = Vec::new();
    for mut client in clients {
        tasks.push(tokio::spawn(async move {
            for i in 0..EACH {
                let c = format!("{} says {i}", client.user);
                client
                    .send_json(json!({"t": "msg", "ch": "general", "c": c, "rid": format!("m{i}")}))
                    .await;
            }
            let (mut msgs, mut acks) = (Vec::new(), Vec::new());
            while msgs.len() < 3 * EACH || acks.len() < EACH {
                let frame = client.recv().await;
                match frame["t"].as_str() {
                    Some("msg") => msgs.push(frame),
                    Some("ack") => acks.push(frame),
                    _ => {}
                }
            }
            (client.user.clone(), msgs, acks)
        }));
    }
    for task in tasks {
        let (user, msgs, acks) = task.await.expect("client task");
        let seqs: Vec<i64> = msgs.iter().filter_map(|m| m["seq"].as_i64()).collect();
        assert_eq!(
            seqs,
            (1..=(3 * EACH) as i64).collect::<Vec<_>>(),
            "{user} sees every seq in order"
        );
        let ids: Vec<i64> = msgs.iter().filter_map(|m| m["id"].as_i64()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase with seq");
        let ts: Vec<i64> = msgs.iter().filter_map(|m| m["ts"].as_i64()).collect();
        assert!(ts.windows(2).all(|w| w[0] <= w[1]), "ts never decreases");
        let own: Vec<&Value> = msgs.iter().filter(|m| m["u"] == user.as_str()).collect();
        assert_eq!(own.len(), EACH, "the sender gets its own broadcasts");
        for (i, ack) in acks.iter().enumerate() {
            assert_eq!(ack["rid"], format!("m{i}"), "acks come in send order");
            let echoed = msgs
                .iter()
                .find(|m| m["id"] == ack["id"])
                .expect("ack names a broadcast");
            assert_eq!(
                (echoed["seq"].clone(), echoed["ts"].clone()),
                (ack["seq"].clone(), ack["ts"].clone())
            );
            assert_eq!(echoed["c"], format!("{user} says {i}"));
            assert!(echoed.get("idx").is_none());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_deletes_reactions_are_events_and_fold_into_joined_hist() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let mut bob = register(&server, "bob").await;
    let joined = alice
        .request(json!({"t": "join", "ch": "#Dev"}), "j1")
        .await;
    assert_eq!(
        (
            joined["t"].clone(),
            joined["ch"].clone(),
            joined["mode"].clone(),
            joined["seq"].clone()
        ),
        (json!("joined"), json!("dev"), json!("open"), json!(0))
    );
    assert_eq!(joined["hist"], json!([]));
    assert!(joined.get("salt").is_none());
    bob.request(json!({"t": "join", "ch": "dev"}), "j2").await;
    assert_eq!(alice.recv_until("member").await["u"], "bob");

    let first = alice.say("dev", "hello", "m1").await;
    let target = first["id"].as_i64().expect("id");
    let second = alice.say("dev", "second", "m2").await;
    bob.expect_err(
        json!({"t": "edit", "ch": "dev", "id": target, "c": "hijack"}),
        "e0",
        "forbidden",
    )
    .await;
    bob.expect_err(
        json!({"t": "delete", "ch": "dev", "id": target}),
        "d0",
        "forbidden",
    )
    .await;
    let ack = alice
        .request(
            json!({"t": "edit", "ch": "dev", "id": target, "c": "hello, fixed"}),
            "e1",
        )
        .await;
    assert_eq!(
        (ack["t"].clone(), ack["seq"].clone()),
        (json!("ack"), json!(3))
    );
    assert_ne!(ack["id"], json!(target), "the ack names the new event");
    let edit = bob.recv_until("edit").await;
    assert_eq!(
        (
            edit["id"].clone(),
            edit["seq"].clone(),
            edit["u"].clone(),
            edit["c"].clone()
        ),
        (
            json!(target),
            json!(3),
            json!("alice"),
            json!("hello, fixed")
        )
    );
    bob.request(
        json!({"t": "react", "ch": "dev", "id": target, "emoji": "👍", "on": true}),
        "r1",
    )
    .await;
    let react = alice.recv_until("react").await;
    assert_eq!(
        (
            react["id"].clone(),
            react["seq"].clone(),
            react["emoji"].clone(),
            react["on"].clone()
        ),
        (json!(target), json!(4), json!("👍"), json!(true))
    );
    let second_id = second["id"].as_i64().expect("id");
    alice
        .request(json!({"t": "delete", "ch": "dev", "id": second_id}), "d1")
        .await;
    let delete = bob.recv_until("delete").await;
    assert_eq!(
        (delete["id"].clone(), delete["seq"].clone()),
        (json!(second_id), json!(5))
    );
    alice
        .expect_err(
            json!({"t": "edit", "ch": "dev", "id": second_id, "c": "zombie"}),
            "e2",
            "no_such_message",
        )
        .await;
    alice
        .expect_err(
            json!({"t": "react", "ch": "dev", "id": 999_999, "emoji": "x", "on": true}),
            "r2",
            "no_such_message",
        )
        .await;

    let mut carol = register(&server, "carol").await;
    let joined = carol.request(json!({"t": "join", "ch": "dev"}), "j3").await;
    let member = loop {
        let member = bob.recv_until("member").await;
        if member["ch"] == "dev" {
            break member;
        }
    };
    assert_eq!(member["u"], "carol");
    assert_eq!(joined["seq"], 5);
    assert_eq!(joined["members"], json!(["alice", "bob", "carol"]));
    let hist = joined["hist"].as_array().expect("hist").clone();
    assert_eq!(hist.len(), 2);
    assert_eq!(
        (hist[0]["c"].clone(), hist[0]["reacts"].clone()),
        (json!("hello, fixed"), json!({"👍": ["bob"]}))
    );
    assert_eq!(hist[0]["edited"], ack["ts"]);
    assert_eq!(
        hist[1],
        json!({"t": "msg", "ch": "dev", "id": second_id, "seq": 2, "u": "alice", "ts": second["ts"], "deleted": true})
    );
    let history = carol
        .request(json!({"t": "history", "ch": "dev"}), "h")
        .await;
    assert_eq!(
        history["events"], joined["hist"],
        "ring and store fold alike"
    );
    // Joining again announces nothing and replies again.
    let again = carol.request(json!({"t": "join", "ch": "dev"}), "j4").await;
    assert_eq!(again["t"], "joined");
    assert!(bob.sync_texts().await.iter().all(|f| f["t"] != "member"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leave_membership_and_channel_errors() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let mut bob = register(&server, "bob").await;
    alice
        .expect_err(json!({"t": "join", "ch": "bad name!"}), "b1", "bad_channel")
        .await;
    alice
        .expect_err(
            json!({"t": "msg", "ch": "nowhere", "c": "hi"}),
            "n1",
            "not_member",
        )
        .await;
    alice.request(json!({"t": "join", "ch": "ops"}), "j").await;
    bob.expect_err(
        json!({"t": "msg", "ch": "ops", "c": "hi"}),
        "n2",
        "not_member",
    )
    .await;
    bob.expect_err(json!({"t": "history", "ch": "ops"}), "n3", "not_member")
        .await;
    bob.expect_err(json!({"t": "leave", "ch": "ops"}), "n4", "not_member")
        .await;
    bob.request(json!({"t": "join", "ch": "ops"}), "j2").await;
    let left = bob.request(json!({"t": "leave", "ch": "ops"}), "l1").await;
    assert_eq!(
        (left["t"].clone(), left["ch"].clone()),
        (json!("left"), json!("ops"))
    );
    let in_ops = |f: &Value| f["t"] == "member" && f["ch"] == "ops";
    let member = alice.recv_matching(in_ops).await;
    assert_eq!(
        (member["u"].clone(), member["on"].clone()),
        (json!("bob"), json!(true))
    );
    let member = alice.recv_matching(in_ops).await;
    assert_eq!(
        (member["u"].clone(), member["on"].clone()),
        (json!("bob"), json!(false))
    );
    alice.say("ops", "bob cannot see this", "m1").await;
    assert!(bob.sync_texts().await.iter().all(|f| f["t"] != "msg"));
    let left = bob
        .request(json!({"t": "leave", "ch": "#general"}), "l2")
        .await;
    assert_eq!(left["t"], "left", "leaving general is allowed");
    let (_again, ok) = login(&server, "bob").await;
    assert_eq!(ok["channels"], json!([]), "membership survives reconnects");
}

fn sealed_create() -> Value {
    json!({"mode": "sealed", "salt": STANDARD.encode([7u8; 16]),
           "kdf": {"alg": "argon2id", "m": 65536, "t": 3, "p": 1}, "kcv": STANDARD.encode([9u8; 16])})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_channels_require_encryption_and_blind_search() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let mut bad = sealed_create();
    bad["salt"] = json!(STANDARD.encode([1u8; 8]));
    alice
        .expect_err(
            json!({"t": "join", "ch": "vault", "create": bad}),
            "b",
            "bad_frame",
        )
        .await;
    let joined = alice
        .request(
            json!({"t": "join", "ch": "vault", "create": sealed_create()}),
            "j",
        )
        .await;
    let create = sealed_create();
    assert_eq!(
        (
            joined["mode"].clone(),
            joined["salt"].clone(),
            joined["kdf"].clone(),
            joined["kcv"].clone()
        ),
        (
            json!("sealed"),
            create["salt"].clone(),
            create["kdf"].clone(),
            create["kcv"].clone()
        )
    );
    alice
        .expect_err(
            json!({"t": "msg", "ch": "vault", "c": "plain"}),
            "p",
            "must_encrypt",
        )
        .await;
    alice
        .expect_err(
            json!({"t": "msg", "ch": "general", "c": "x", "enc": "xc20p1"}),
            "o",
            "bad_frame",
        )
        .await;
    let envelope = STANDARD.encode([5u8; 48]);
    alice.request(json!({"t": "msg", "ch": "vault", "c": envelope, "enc": "xc20p1", "idx": ["tokA", "tokB"]}), "s1").await;
    let broadcast = alice.recv_until("msg").await;
    assert_eq!(
        (broadcast["enc"].clone(), broadcast["c"].clone()),
        (json!("xc20p1"), json!(envelope))
    );
    assert!(broadcast.get("idx").is_none(), "idx is never broadcast");
    alice
        .request(
            json!({"t": "msg", "ch": "vault", "c": envelope, "enc": "xc20p1", "idx": ["tokB"]}),
            "s2",
        )
        .await;
    let found = alice
        .request(
            json!({"t": "search", "ch": "vault", "idx": ["tokA", "tokB"]}),
            "q1",
        )
        .await;
    assert_eq!(seqs(&found["events"]), vec![1]);
    let found = alice
        .request(json!({"t": "search", "ch": "vault", "idx": ["tokB"]}), "q2")
        .await;
    assert_eq!(seqs(&found["events"]), vec![2, 1], "newest first");
    alice
        .expect_err(
            json!({"t": "search", "ch": "vault", "q": "plain"}),
            "q3",
            "bad_frame",
        )
        .await;
    alice
        .expect_err(
            json!({"t": "search", "ch": "general", "idx": ["tokA"]}),
            "q4",
            "bad_frame",
        )
        .await;
    let (_c, ok) = login(&server, "alice").await;
    let vault = ok["channels"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["ch"] == "vault").cloned())
        .expect("vault listed");
    assert_eq!(
        (
            vault["salt"].clone(),
            vault["kcv"].clone(),
            vault["seq"].clone()
        ),
        (create["salt"].clone(), create["kcv"].clone(), json!(2))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_messages_to_an_offline_user_are_read_later() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let bob = register(&server, "bob").await;
    bob.close().await;
    alice
        .expect_err(
            json!({"t": "dm", "to": "bob", "c": "plain"}),
            "d0",
            "must_encrypt",
        )
        .await;
    alice
        .expect_err(
            json!({"t": "dm", "to": "nobody", "c": "x", "enc": "xc20p1"}),
            "d1",
            "no_such_user",
        )
        .await;
    let ack = alice
        .request(
            json!({"t": "dm", "to": "BOB", "c": "c2VjcmV0", "enc": "xc20p1"}),
            "d2",
        )
        .await;
    assert_eq!(ack["t"], "ack");
    assert!(ack.get("seq").is_none(), "DMs carry no seq");
    let echoed = alice.recv_until("dm").await;
    let expected = json!({"t": "dm", "id": ack["id"], "from": "alice", "to": "bob", "c": "c2VjcmV0", "enc": "xc20p1", "ts": ack["ts"]});
    assert_eq!(echoed, expected);
    let (mut bob, _) = login(&server, "bob").await;
    let page = bob
        .request(json!({"t": "history", "dm": "alice"}), "h")
        .await;
    assert_eq!(
        (
            page["dm"].clone(),
            page["events"].clone(),
            page["more"].clone()
        ),
        (json!("alice"), json!([expected]), json!(false))
    );
    let (mut bob2, _) = login(&server, "bob").await;
    alice
        .request(
            json!({"t": "dm", "to": "bob", "c": "YWdhaW4=", "enc": "xc20p1"}),
            "d3",
        )
        .await;
    assert_eq!(bob.recv_until("dm").await["c"], "YWdhaW4=");
    assert_eq!(bob2.recv_until("dm").await["c"], "YWdhaW4=");
    bob.expect_err(json!({"t": "history", "dm": "ghost"}), "h2", "no_such_user")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_status_and_who() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let mut bob = register(&server, "bob").await;
    alice
        .send_json(json!({"t": "typing", "ch": "general", "on": true}))
        .await;
    let typing = bob.recv_until("typing").await;
    assert_eq!(
        typing,
        json!({"t": "typing", "ch": "general", "u": "alice", "on": true})
    );
    alice
        .send_json(json!({"t": "typing", "to": "bob", "on": false}))
        .await;
    let typing = bob.recv_until("typing").await;
    assert_eq!(
        typing,
        json!({"t": "typing", "to": "bob", "u": "alice", "on": false})
    );
    assert!(
        alice.sync_texts().await.iter().all(|f| f["t"] != "typing"),
        "never to the sender"
    );
    bob.send_json(json!({"t": "status", "state": "busy", "text": "focus"}))
        .await;
    bob.sync().await;
    let who = alice
        .request(json!({"t": "who", "ch": "general"}), "w")
        .await;
    let members = who["members"].as_array().expect("members").clone();
    let bob_entry = members
        .iter()
        .find(|m| m["u"] == "bob")
        .expect("bob listed");
    assert_eq!(
        (
            bob_entry["state"].clone(),
            bob_entry["text"].clone(),
            bob_entry["online"].clone()
        ),
        (json!("busy"), json!("focus"), json!(true))
    );
    assert_eq!(bob_entry["pk"], json!(bob.pk));
    let pong = alice.request(json!({"t": "ping"}), "p").await;
    assert!(pong["ts"].as_i64().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voice_frames_reach_the_others_in_the_room_with_the_sender_prefix() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let mut bob = register(&server, "bob").await;
    let mut carol = register(&server, "carol").await;
    alice
        .expect_err(json!({"t": "vjoin", "room": "secret"}), "v0", "not_member")
        .await;
    let joined = alice
        .request(json!({"t": "vjoin", "room": "general"}), "v1")
        .await;
    assert_eq!(
        joined,
        json!({"t": "vjoined", "room": "general", "members": ["alice"], "rid": "v1"})
    );
    let joined = bob
        .request(json!({"t": "vjoin", "room": "#general"}), "v2")
        .await;
    assert_eq!(joined["members"], json!(["alice", "bob"]));
    assert_eq!(
        alice.recv_until("vmember").await,
        json!({"t": "vmember", "room": "general", "u": "bob", "on": true})
    );
    alice.send_binary(vec![1, 2, 3, 4]).await;
    assert_eq!(
        bob.recv_binary().await,
        [&[5u8][..], b"alice", &[1, 2, 3, 4]].concat()
    );
    assert!(
        alice
            .sync()
            .await
            .iter()
            .all(|r| !matches!(r, Received::Binary(_))),
        "never echoed"
    );
    carol.send_binary(vec![9; 10]).await;
    assert!(
        carol
            .sync()
            .await
            .iter()
            .all(|r| !matches!(r, Received::Binary(_)))
    );
    assert!(
        bob.sync()
            .await
            .iter()
            .all(|r| !matches!(r, Received::Binary(_))),
        "no room: dropped"
    );
    alice.send_binary(vec![0; 4097]).await;
    assert_eq!(alice.recv().await["code"], "too_large");
    alice.send_binary(vec![0; 4096]).await;
    assert_eq!(bob.recv_binary().await.len(), 4096 + 6);
    let left = bob.request(json!({"t": "vleave"}), "v3").await;
    assert_eq!(left, json!({"t": "vleft", "room": "general", "rid": "v3"}));
    assert_eq!(alice.recv_until("vmember").await["on"], false);
    bob.expect_err(json!({"t": "vleave"}), "v4", "not_member")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_search_and_rewind_queries() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let mut acks = Vec::new();
    for (i, text) in [
        "deploy failed on prod",
        "retrying the deploy",
        "deployment fixed",
        "lunch?",
    ]
    .iter()
    .enumerate()
    {
        let ack = alice.say("general", text, &format!("m{i}")).await;
        after_ms(ack["ts"].as_i64().unwrap_or_default()).await;
        acks.push(ack);
    }
    let ts = |i: usize| acks[i]["ts"].as_i64().unwrap_or_default();
    let id = |i: usize| acks[i]["id"].clone();
    let edit = alice
        .request(
            json!({"t": "edit", "ch": "general", "id": id(0), "c": "deploy failed on staging"}),
            "e",
        )
        .await;
    after_ms(edit["ts"].as_i64().unwrap_or_default()).await;
    alice
        .request(json!({"t": "delete", "ch": "general", "id": id(3)}), "d")
        .await;

    let page = alice
        .request(json!({"t": "history", "ch": "general", "limit": 2}), "h1")
        .await;
    assert_eq!(
        (seqs(&page["events"]), page["more"].clone()),
        (vec![3, 4], json!(true))
    );
    let page = alice
        .request(
            json!({"t": "history", "ch": "general", "before": 3, "limit": 50}),
            "h2",
        )
        .await;
    assert_eq!(
        (seqs(&page["events"]), page["more"].clone()),
        (vec![1, 2], json!(false))
    );
    let page = alice
        .request(
            json!({"t": "history", "ch": "general", "since": ts(1), "until": ts(3)}),
            "h3",
        )
        .await;
    assert_eq!(seqs(&page["events"]), vec![2, 3]);
    let page = alice
        .request(
            json!({"t": "history", "ch": "general", "after": 2, "limit": 2}),
            "h4",
        )
        .await;
    let kinds: Vec<Value> = page["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["t"].clone())
        .collect();
    assert_eq!(
        (kinds, page["more"].clone()),
        (vec![json!("msg"), json!("msg")], json!(true))
    );
    let page = alice
        .request(json!({"t": "history", "ch": "general", "after": 4}), "h5")
        .await;
    let kinds: Vec<Value> = page["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["t"].clone())
        .collect();
    assert_eq!(
        kinds,
        vec![json!("edit"), json!("delete")],
        "raw events after a seq"
    );
    let page = alice
        .request(
            json!({"t": "history", "ch": "general", "limit": 100_000}),
            "h6",
        )
        .await;
    assert_eq!(
        page["events"].as_array().map(Vec::len),
        Some(4),
        "limit is clamped"
    );
    alice
        .expect_err(
            json!({"t": "history", "ch": "general", "after": 1, "before": 3}),
            "h7",
            "bad_frame",
        )
        .await;
    alice
        .expect_err(json!({"t": "history"}), "h8", "bad_frame")
        .await;

    let found = alice
        .request(
            json!({"t": "search", "ch": "general", "q": "deploy", "sort": "newest"}),
            "s1",
        )
        .await;
    assert_eq!(seqs(&found["events"]), vec![2, 1]);
    assert_eq!(found["events"][1]["c"], "deploy failed on staging");
    let found = alice
        .request(
            json!({"t": "search", "ch": "general", "q": "dep*", "sort": "newest"}),
            "s2",
        )
        .await;
    assert_eq!(seqs(&found["events"]), vec![3, 2, 1]);
    let found = alice
        .request(
            json!({"t": "search", "ch": "general", "q": "\"failed on staging\""}),
            "s3",
        )
        .await;
    assert_eq!(seqs(&found["events"]), vec![1]);
    alice.request(json!({"t": "join", "ch": "ops"}), "j").await;
    alice.say("ops", "deploy window tonight", "o1").await;
    let found = alice
        .request(
            json!({"t": "search", "q": "deploy", "sort": "newest"}),
            "s4",
        )
        .await;
    assert!(found.get("ch").is_none());
    assert_eq!(
        found["events"].as_array().map(Vec::len),
        Some(3),
        "all open channels of the user"
    );
    alice
        .expect_err(json!({"t": "search", "ch": "general"}), "s5", "bad_frame")
        .await;

    let at = |at: i64| json!({"t": "rewind", "ch": "general", "at": at});
    let view = alice.request(at(ts(1)), "r1").await;
    assert_eq!(
        (view["at"].clone(), texts(&view["events"])),
        (
            json!(ts(1)),
            vec![
                "deploy failed on prod".to_string(),
                "retrying the deploy".into()
            ]
        )
    );
    let view = alice.request(at(ts(3)), "r2").await;
    assert_eq!(
        texts(&view["events"]),
        vec![
            "deploy failed on prod",
            "retrying the deploy",
            "deployment fixed",
            "lunch?"
        ]
    );
    let view = alice
        .request(at(edit["ts"].as_i64().unwrap_or_default()), "r3")
        .await;
    assert_eq!(texts(&view["events"])[0], "deploy failed on staging");
    assert_eq!(texts(&view["events"])[3], "lunch?");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_get_clear_errors_and_keep_the_connection() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    for (text, code) in [
        ("not json", "bad_frame"),
        ("[1,2]", "bad_frame"),
        (r#"{"no_t":1}"#, "bad_frame"),
        (r#"{"t":"msg","ch":"general"}"#, "bad_frame"),
        (r#"{"t":"msg","ch":"general","c":42}"#, "bad_frame"),
        (r#"{"t":"fly","rid":"u1"}"#, "unknown_type"),
    ] {
        alice.send_text(text).await;
        let reply = alice.recv_until("err").await;
        assert_eq!(reply["code"], code, "{text}: {reply}");
        let m = reply["m"].as_str().unwrap_or_default();
        assert!(
            !m.is_empty() && !m.contains("line "),
            "one human sentence: {m}"
        );
    }
    let long_rid = "r".repeat(65);
    alice.send_json(json!({"t": "ping", "rid": long_rid})).await;
    assert_eq!(alice.recv_until("err").await["code"], "bad_frame");
    alice
        .expect_err(
            json!({"t": "auth", "u": "alice", "pw": "x"}),
            "a",
            "bad_frame",
        )
        .await;
    alice
        .expect_err(
            json!({"t": "msg", "ch": "general", "c": ""}),
            "e",
            "bad_frame",
        )
        .await;
    alice
        .expect_err(json!({"t": "status", "state": "offline"}), "s", "bad_frame")
        .await;
    let pong = alice.request(json!({"t": "ping"}), "still-open").await;
    assert_eq!(pong["t"], "pong");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_frames_get_too_large_then_close_1009() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let huge = json!({"t": "msg", "ch": "general", "c": "x".repeat(70_000)});
    alice.send_json(huge).await;
    let err = alice.recv_until("err").await;
    assert_eq!(err["code"], "too_large");
    assert_eq!(alice.expect_close().await, 1009);
    // Nothing of it was stored.
    let (mut bob, _) = login(&server, "alice").await;
    let page = bob
        .request(json!({"t": "history", "ch": "general"}), "h")
        .await;
    assert_eq!(page["events"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sending_too_fast_is_rate_limited_without_disconnecting() {
    let config = ServerConfig {
        rate_limit: 1.0,
        rate_burst: 3,
        ..test_config()
    };
    let server = TestServer::start(config).await;
    let mut alice = register(&server, "alice").await;
    for i in 0..8 {
        alice
            .send_json(json!({"t": "msg", "ch": "general", "c": "spam", "rid": format!("m{i}")}))
            .await;
    }
    let (mut acks, mut limited) = (0, 0);
    for i in 0..8 {
        let reply = alice.recv_rid(&format!("m{i}")).await;
        match (reply["t"].as_str(), reply["code"].as_str()) {
            (Some("ack"), _) => acks += 1,
            (Some("err"), Some("rate_limited")) => limited += 1,
            _ => panic!("unexpected reply {reply}"),
        }
    }
    assert!(acks >= 3 && limited >= 1, "acks {acks}, limited {limited}");
    assert_eq!(alice.request(json!({"t": "ping"}), "p").await["t"], "pong");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_database_gives_unavailable_and_the_server_recovers() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    // Another process holding the write lock makes every commit fail after the busy timeout.
    let blocker = rusqlite::Connection::open(&server.db).expect("open db");
    blocker
        .execute_batch("BEGIN EXCLUSIVE")
        .expect("take the write lock");
    let reply = alice
        .request(json!({"t": "msg", "ch": "general", "c": "lost?"}), "m1")
        .await;
    assert_eq!(reply["code"], "unavailable", "{reply}");
    let m = reply["m"].as_str().unwrap_or_default();
    assert!(
        !m.contains("SQL") && !m.contains(".db") && !m.contains("locked"),
        "{m}"
    );
    blocker.execute_batch("ROLLBACK").expect("release");
    let ack = alice.say("general", "back again", "m2").await;
    assert_eq!(ack["seq"], 1, "the failed append used no seq");
}
