//! Issue 10 additions: read markers (`mark`, `markers`) kept per user across connections and
//! never moved back, with their refusals; and `info`, which tells what a channel is (with a
//! sealed channel's salt, KDF and kcv) without joining it, so nobody sees a join.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::common::*;

fn markers_of(reply: &Value) -> Vec<Value> {
    assert_eq!(reply["t"], "markers", "{reply}");
    reply["markers"].as_array().expect("markers").clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_markers_are_kept_per_user_and_never_move_back() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let mut bob = register(&server, "bob").await;
    alice
        .request(json!({"t": "join", "ch": "general"}), "j")
        .await;
    bob.request(json!({"t": "join", "ch": "general"}), "j")
        .await;
    assert!(markers_of(&alice.request(json!({"t": "markers"}), "m0").await).is_empty());

    let set = alice
        .request(json!({"t": "mark", "ch": "general", "seq": 5}), "m1")
        .await;
    assert_eq!(markers_of(&set), vec![json!({"ch": "general", "seq": 5})]);
    alice
        .request(json!({"t": "mark", "ch": "general", "seq": 3}), "m2")
        .await;
    alice
        .request(json!({"t": "mark", "dm": "BOB", "id": 42}), "m3")
        .await;
    alice.close().await;

    // Another connection (another device) sees them; bob's are his own.
    let (mut again, _) = login(&server, "alice").await;
    let listed = markers_of(&again.request(json!({"t": "markers"}), "m4").await);
    assert!(
        listed.contains(&json!({"ch": "general", "seq": 5})),
        "{listed:?}"
    );
    assert!(
        listed.contains(&json!({"dm": "bob", "id": 42})),
        "{listed:?}"
    );
    assert_eq!(listed.len(), 2);
    assert!(markers_of(&bob.request(json!({"t": "markers"}), "m5").await).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mark_outside_your_channels_or_malformed_is_refused() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    alice
        .expect_err(
            json!({"t": "mark", "ch": "lounge", "seq": 1}),
            "a",
            "not_member",
        )
        .await;
    alice
        .expect_err(
            json!({"t": "mark", "dm": "nobody", "id": 1}),
            "b",
            "no_such_user",
        )
        .await;
    alice
        .request(json!({"t": "join", "ch": "general"}), "j")
        .await;
    for (rid, frame) in [
        ("c", json!({"t": "mark", "ch": "general", "id": 1})),
        ("d", json!({"t": "mark", "ch": "general"})),
        ("e", json!({"t": "mark", "ch": "general", "seq": -1})),
        (
            "f",
            json!({"t": "mark", "ch": "general", "dm": "alice", "seq": 1}),
        ),
    ] {
        alice.expect_err(frame, rid, "bad_frame").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_describes_a_channel_without_joining_it() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let create = json!({"mode": "sealed", "salt": STANDARD.encode([7u8; 16]),
        "kdf": {"alg": "argon2id", "m": 65536, "t": 3, "p": 1}, "kcv": STANDARD.encode([9u8; 16])});
    alice
        .request(json!({"t": "join", "ch": "vault", "create": create}), "j1")
        .await;
    alice
        .request(json!({"t": "join", "ch": "general"}), "j2")
        .await;
    let mut bob = register(&server, "bob").await;
    // A sealed channel is invite-only: until invited, `info` refuses as `join` would.
    bob.expect_err(json!({"t": "info", "ch": "vault"}), "i0", "invite_only")
        .await;
    let invited = alice
        .request(json!({"t": "invite", "ch": "vault", "u": "bob"}), "inv")
        .await;
    assert_eq!(invited["t"], "ack", "{invited}");

    let sealed = bob.request(json!({"t": "info", "ch": "Vault"}), "i1").await;
    assert_eq!(
        pick(
            &sealed,
            &["t", "ch", "exists", "mode", "salt", "kdf", "kcv"]
        ),
        json!({"t": "info", "ch": "vault", "exists": true, "mode": "sealed",
               "salt": create["salt"], "kdf": create["kdf"], "kcv": create["kcv"]})
    );
    let open = bob
        .request(json!({"t": "info", "ch": "general"}), "i2")
        .await;
    assert_eq!(
        pick(&open, &["exists", "mode"]),
        json!({"exists": true, "mode": "open"})
    );
    assert!(open.get("salt").is_none(), "{open}");
    let missing = bob
        .request(json!({"t": "info", "ch": "nowhere"}), "i3")
        .await;
    assert_eq!(missing["exists"], false, "{missing}");
    assert!(missing.get("mode").is_none(), "{missing}");
    bob.expect_err(json!({"t": "info", "ch": "bad name!"}), "i4", "bad_channel")
        .await;

    // Asking is not joining: alice saw no member event in #vault, bob is not in it.
    let seen = alice.sync_texts().await;
    assert!(
        seen.iter()
            .all(|frame| frame["t"] != "member" || frame["ch"] != "vault"),
        "info announced nothing: {seen:?}"
    );
    bob.expect_err(json!({"t": "history", "ch": "vault"}), "h", "not_member")
        .await;
}
