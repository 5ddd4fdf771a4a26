//! Durable events: ordering and acks across clients, edits/deletes/reactions as channel events
//! folded into `joined.hist`, sealed channels, and direct messages.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::common::*;

const EACH: usize = 15;

/// Sends `EACH` messages, then reads until it has every broadcast and every ack.
async fn chat_and_collect(mut client: Client) -> (String, Vec<Value>, Vec<Value>) {
    for i in 0..EACH {
        let c = format!("{} says {i}", client.user);
        let frame = json!({"t": "msg", "ch": "general", "c": c, "rid": format!("m{i}")});
        client.send_json(frame).await;
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_from_three_clients_arrive_in_seq_order_with_acks() {
    let server = TestServer::start(test_config()).await;
    let mut clients = Vec::new();
    for name in ["ann", "ben", "cat"] {
        clients.push(register(&server, name).await);
    }
    // Everyone has seen the others join before anyone speaks.
    for client in clients.iter_mut() {
        client.sync().await;
    }
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|c| tokio::spawn(chat_and_collect(c)))
        .collect();
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
        let own = msgs.iter().filter(|m| m["u"] == user.as_str()).count();
        assert_eq!(own, EACH, "the sender gets its own broadcasts");
        for (i, ack) in acks.iter().enumerate() {
            assert_eq!(ack["rid"], format!("m{i}"), "acks come in send order");
            let echoed = msgs
                .iter()
                .find(|m| m["id"] == ack["id"])
                .expect("ack names a broadcast");
            assert_eq!(pick(echoed, &["seq", "ts"]), pick(ack, &["seq", "ts"]));
            assert_eq!(echoed["c"], format!("{user} says {i}"));
            assert!(echoed.get("idx").is_none());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_author_edits_or_deletes_and_acks_name_the_new_event() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let mut bob = register(&server, "bob").await;
    let first = alice.say("general", "hello", "m1").await;
    let target = first["id"].clone();
    let edit = json!({"t": "edit", "ch": "general", "id": target, "c": "hijack"});
    bob.expect_err(edit, "e0", "forbidden").await;
    bob.expect_err(
        json!({"t": "delete", "ch": "general", "id": target}),
        "d0",
        "forbidden",
    )
    .await;
    let edit = json!({"t": "edit", "ch": "general", "id": target, "c": "hello, fixed"});
    let ack = alice.request(edit, "e1").await;
    assert_eq!(
        pick(&ack, &["t", "seq", "rid"]),
        json!({"t": "ack", "seq": 2, "rid": "e1"})
    );
    assert_ne!(
        ack["id"], target,
        "the ack names the new event, not the target"
    );
    let broadcast = bob.recv_until("edit").await;
    let expected = json!({"t": "edit", "ch": "general", "id": target, "seq": 2, "u": "alice", "c": "hello, fixed", "ts": ack["ts"]});
    assert_eq!(broadcast, expected);
    let ack = alice
        .request(json!({"t": "delete", "ch": "general", "id": target}), "d1")
        .await;
    assert_eq!(ack["seq"], 3);
    let broadcast = bob.recv_until("delete").await;
    assert_eq!(
        broadcast,
        json!({"t": "delete", "ch": "general", "id": target, "seq": 3, "u": "alice", "ts": ack["ts"]})
    );
    let edit = json!({"t": "edit", "ch": "general", "id": target, "c": "zombie"});
    alice.expect_err(edit, "e2", "no_such_message").await;
    let react = json!({"t": "react", "ch": "general", "id": 999_999, "emoji": "x", "on": true});
    alice.expect_err(react, "r2", "no_such_message").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reactions_and_deletions_fold_into_joined_hist() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let mut bob = register(&server, "bob").await;
    let joined = alice
        .request(json!({"t": "join", "ch": "#Dev"}), "j1")
        .await;
    let expected = json!({"t": "joined", "ch": "dev", "mode": "open", "members": ["alice"], "seq": 0, "hist": [], "rid": "j1"});
    assert_eq!(joined, expected);
    bob.request(json!({"t": "join", "ch": "dev"}), "j2").await;
    let first = alice.say("dev", "hello", "m1").await;
    let second = alice.say("dev", "second", "m2").await;
    let react = json!({"t": "react", "ch": "dev", "id": first["id"], "emoji": "👍", "on": true});
    bob.request(react, "r1").await;
    let broadcast = alice.recv_until("react").await;
    let expected = json!({"id": first["id"], "seq": 3, "u": "bob", "emoji": "👍", "on": true});
    assert_eq!(
        pick(&broadcast, &["id", "seq", "u", "emoji", "on"]),
        expected
    );
    let edit = json!({"t": "edit", "ch": "dev", "id": first["id"], "c": "hello, fixed"});
    let edited = alice.request(edit, "e1").await;
    alice
        .request(
            json!({"t": "delete", "ch": "dev", "id": second["id"]}),
            "d1",
        )
        .await;

    let mut carol = register(&server, "carol").await;
    let joined = carol.request(json!({"t": "join", "ch": "dev"}), "j3").await;
    assert_eq!(
        pick(&joined, &["seq", "members"]),
        json!({"seq": 5, "members": ["alice", "bob", "carol"]})
    );
    let first_folded = json!({"t": "msg", "ch": "dev", "id": first["id"], "seq": 1, "u": "alice", "c": "hello, fixed",
        "ts": first["ts"], "edited": edited["ts"], "reacts": {"👍": ["bob"]}});
    let second_folded = json!({"t": "msg", "ch": "dev", "id": second["id"], "seq": 2, "u": "alice", "ts": second["ts"], "deleted": true});
    assert_eq!(joined["hist"], json!([first_folded, second_folded]));
    let history = carol
        .request(json!({"t": "history", "ch": "dev"}), "h")
        .await;
    assert_eq!(
        history["events"], joined["hist"],
        "ring and store fold alike"
    );
    // Bob saw Carol arrive; joining again replies again and announces nothing.
    let member = bob
        .recv_matching(|f| f["t"] == "member" && f["ch"] == "dev")
        .await;
    assert_eq!(member["u"], "carol");
    assert_eq!(
        carol.request(json!({"t": "join", "ch": "dev"}), "j4").await["t"],
        "joined"
    );
    assert!(bob.sync_texts().await.iter().all(|f| f["t"] != "member"));
}

fn sealed_create() -> Value {
    json!({"mode": "sealed", "salt": STANDARD.encode([7u8; 16]),
           "kdf": {"alg": "argon2id", "m": 65536, "t": 3, "p": 1}, "kcv": STANDARD.encode([9u8; 16])})
}

/// Issue 9 point 4: a channel creator cannot make every joiner spend more than a phone can
/// afford (m ≤ 256 MiB, t ≤ 10, p ≤ 4); the limit itself is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_4_server_refuses_an_unaffordable_kdf_at_create() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    for (rid, kdf) in [
        (
            "m",
            json!({"alg": "argon2id", "m": 1_048_576, "t": 3, "p": 1}),
        ),
        ("t", json!({"alg": "argon2id", "m": 65536, "t": 40, "p": 1})),
        ("p", json!({"alg": "argon2id", "m": 65536, "t": 3, "p": 8})),
    ] {
        let mut create = sealed_create();
        create["kdf"] = kdf;
        let refused = alice
            .expect_err(
                json!({"t": "join", "ch": "costly", "create": create}),
                rid,
                "bad_frame",
            )
            .await;
        assert!(
            refused["m"]
                .as_str()
                .unwrap_or_default()
                .contains("<=262144"),
            "{refused}"
        );
    }
    let mut create = sealed_create();
    create["kdf"] = json!({"alg": "argon2id", "m": 262_144, "t": 10, "p": 4});
    let joined = alice
        .request(json!({"t": "join", "ch": "costly", "create": create}), "ok")
        .await;
    assert_eq!(joined["t"], "joined", "{joined}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_channels_are_created_validated_and_require_encryption() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let create = sealed_create();
    for (field, bad) in [
        ("salt", json!(STANDARD.encode([1u8; 8]))),
        ("kcv", json!("not base64")),
        ("kdf", json!({"alg": "pbkdf2", "m": 1, "t": 1, "p": 1})),
    ] {
        let mut invalid = create.clone();
        invalid[field] = bad;
        alice
            .expect_err(
                json!({"t": "join", "ch": "vault", "create": invalid}),
                field,
                "bad_frame",
            )
            .await;
    }
    let joined = alice
        .request(json!({"t": "join", "ch": "vault", "create": create}), "j")
        .await;
    let expected = json!({"mode": "sealed", "salt": create["salt"], "kdf": create["kdf"], "kcv": create["kcv"]});
    assert_eq!(pick(&joined, &["mode", "salt", "kdf", "kcv"]), expected);
    alice
        .expect_err(
            json!({"t": "msg", "ch": "vault", "c": "plain"}),
            "p",
            "must_encrypt",
        )
        .await;
    let edit = json!({"t": "edit", "ch": "vault", "id": 1, "c": "plain"});
    alice.expect_err(edit, "pe", "must_encrypt").await;
    let open_enc = json!({"t": "msg", "ch": "general", "c": "x", "enc": "xc20p1"});
    alice.expect_err(open_enc, "o", "bad_frame").await;
    let envelope = STANDARD.encode([5u8; 48]);
    let sealed =
        json!({"t": "msg", "ch": "vault", "c": envelope, "enc": "xc20p1", "idx": ["tokA"]});
    alice.request(sealed, "s1").await;
    let broadcast = alice
        .backlog
        .iter()
        .find(|f| f["t"] == "msg")
        .cloned()
        .expect("broadcast before ack");
    assert_eq!(
        pick(&broadcast, &["enc", "c"]),
        json!({"enc": "xc20p1", "c": envelope})
    );
    assert!(broadcast.get("idx").is_none(), "idx is never broadcast");
    let (_c, ok) = login(&server, "alice").await;
    let vault = ok["channels"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["ch"] == "vault").cloned());
    let expected = json!({"ch": "vault", "mode": "sealed", "members": 1, "seq": 1, "salt": create["salt"], "kdf": create["kdf"], "kcv": create["kcv"]});
    assert_eq!(vault, Some(expected));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_channels_are_searched_with_blind_tokens_only() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    alice
        .request(
            json!({"t": "join", "ch": "vault", "create": sealed_create()}),
            "j",
        )
        .await;
    let envelope = STANDARD.encode([5u8; 48]);
    let msg =
        |idx: Value| json!({"t": "msg", "ch": "vault", "c": envelope, "enc": "xc20p1", "idx": idx});
    alice.request(msg(json!(["tokA", "tokB"])), "s1").await;
    alice.request(msg(json!(["tokB"])), "s2").await;
    let found = alice
        .request(
            json!({"t": "search", "ch": "vault", "idx": ["tokA", "tokB"]}),
            "q1",
        )
        .await;
    assert_eq!(seqs(&found["events"]), vec![1], "all tokens must match");
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
    let edit = json!({"t": "edit", "ch": "vault", "id": found["events"][0]["id"], "c": envelope, "enc": "xc20p1", "idx": ["tokC"]});
    alice.request(edit, "e").await;
    let found = alice
        .request(json!({"t": "search", "ch": "vault", "idx": ["tokC"]}), "q5")
        .await;
    assert_eq!(
        seqs(&found["events"]),
        vec![2],
        "an edit's idx replaces the message's tokens"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_messages_to_an_offline_user_are_read_later() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    register(&server, "bob").await.close().await;
    alice
        .expect_err(
            json!({"t": "dm", "to": "bob", "c": "plain"}),
            "d0",
            "must_encrypt",
        )
        .await;
    let nobody = json!({"t": "dm", "to": "nobody", "c": "x", "enc": "xc20p1"});
    alice.expect_err(nobody, "d1", "no_such_user").await;
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
        pick(&page, &["dm", "events", "more"]),
        json!({"dm": "alice", "events": [expected], "more": false})
    );
    let (mut bob2, _) = login(&server, "bob").await;
    alice
        .request(
            json!({"t": "dm", "to": "bob", "c": "YWdhaW4=", "enc": "xc20p1"}),
            "d3",
        )
        .await;
    assert_eq!(bob.recv_until("dm").await["c"], "YWdhaW4=");
    assert_eq!(
        bob2.recv_until("dm").await["c"],
        "YWdhaW4=",
        "every connection of the recipient"
    );
    bob.expect_err(json!({"t": "history", "dm": "ghost"}), "h2", "no_such_user")
        .await;
}
