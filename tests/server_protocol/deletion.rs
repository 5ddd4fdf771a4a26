//! Issue 9 point 11: a deleted message is deleted. Its text and every edit's text are gone from
//! `history` (folded and `after`), `rewind`, `search` (full-text and blind tokens), a newcomer's
//! `joined.hist` and the database file itself (free space included, after the shutdown
//! checkpoint), while the `delete` event stays as a tombstone and `seq` stays gap-free.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::common::*;

const ORIGINAL_MARKER: &str = "zqxvoriginalmarker";
const EDITED_MARKER: &str = "zqxveditedmarker";
const BLIND_MARKER: &str = "zqxvblindtokenmarker";

fn sealed_create() -> Value {
    json!({"mode": "sealed", "salt": STANDARD.encode([7u8; 16]),
           "kdf": {"alg": "argon2id", "m": 65536, "t": 3, "p": 1}, "kcv": STANDARD.encode([9u8; 16])})
}

/// The base64 "ciphertext" of the sealed message: a marker of its own once encoded.
fn sealed_envelope() -> String {
    STANDARD.encode(b"zqxv sealed envelope bytes that must vanish, 48b")
}

/// Every marker that must not survive the deletion.
fn markers() -> Vec<String> {
    vec![
        ORIGINAL_MARKER.to_string(),
        EDITED_MARKER.to_string(),
        BLIND_MARKER.to_string(),
        sealed_envelope(),
    ]
}

fn assert_no_marker(what: &str, text: &str) {
    for marker in markers() {
        assert!(
            !text.contains(&marker),
            "{what} still holds {marker}: {text}"
        );
    }
}

/// Posts, edits and deletes one open-channel message between two kept ones; returns the
/// deleted message's id and the ts of its edit.
async fn post_edit_delete_open(alice: &mut Client) -> (Value, i64) {
    alice.say("general", "kept before", "k1").await;
    let posted = alice
        .say(
            "general",
            &format!("the secret {ORIGINAL_MARKER} text"),
            "m",
        )
        .await;
    let edit = json!({"t": "edit", "ch": "general", "id": posted["id"],
                      "c": format!("the secret {EDITED_MARKER} text")});
    let edited = alice.request(edit, "e").await;
    let edited_ts = edited["ts"].as_i64().unwrap_or_default();
    after_ms(edited_ts).await;
    let delete = json!({"t": "delete", "ch": "general", "id": posted["id"]});
    assert_eq!(alice.request(delete, "d").await["t"], "ack");
    alice.say("general", "kept after", "k2").await;
    (posted["id"].clone(), edited_ts)
}

/// Posts and deletes one sealed message with a blind token.
async fn post_delete_sealed(alice: &mut Client) {
    let joined = alice
        .request(
            json!({"t": "join", "ch": "vault", "create": sealed_create()}),
            "jv",
        )
        .await;
    assert_eq!(joined["t"], "joined", "{joined}");
    let msg = json!({"t": "msg", "ch": "vault", "c": sealed_envelope(), "enc": "xc20p1",
                     "idx": [BLIND_MARKER]});
    let posted = alice.request(msg, "sv").await;
    let delete = json!({"t": "delete", "ch": "vault", "id": posted["id"]});
    assert_eq!(alice.request(delete, "dv").await["t"], "ack");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_11_a_deleted_message_is_gone_from_every_query_index_and_the_file() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let (target, edited_ts) = post_edit_delete_open(&mut alice).await;
    post_delete_sealed(&mut alice).await;

    for (rid, word) in [("q1", ORIGINAL_MARKER), ("q2", EDITED_MARKER)] {
        let found = alice
            .request(json!({"t": "search", "ch": "general", "q": word}), rid)
            .await;
        assert_eq!(found["events"], json!([]), "search {word}: {found}");
    }
    let found = alice
        .request(
            json!({"t": "search", "ch": "vault", "idx": [BLIND_MARKER]}),
            "q3",
        )
        .await;
    assert_eq!(found["events"], json!([]), "blind search: {found}");

    let raw = alice
        .request(
            json!({"t": "history", "ch": "general", "after": 0, "limit": 500}),
            "h1",
        )
        .await;
    assert_no_marker("history after", &raw.to_string());
    assert_eq!(seqs(&raw["events"]), vec![1, 2, 3, 4, 5], "gap-free: {raw}");
    let tombstone = &raw["events"][1];
    assert_eq!(
        pick(tombstone, &["t", "id", "deleted"]),
        json!({"t": "msg", "id": target, "deleted": true}),
        "{raw}"
    );
    assert_eq!(
        raw["events"][3]["t"], "delete",
        "the delete event stays: {raw}"
    );

    let folded = alice
        .request(json!({"t": "history", "ch": "general"}), "h2")
        .await;
    assert_no_marker("history", &folded.to_string());
    let rewound = alice
        .request(
            json!({"t": "rewind", "ch": "general", "at": edited_ts}),
            "r1",
        )
        .await;
    assert_no_marker("rewind", &rewound.to_string());
    assert_eq!(
        texts(&rewound["events"]),
        ["kept before", "<deleted>"],
        "{rewound}"
    );
    let deleted = rewound["events"].as_array().and_then(|events| {
        events
            .iter()
            .find(|event| event["id"] == target)
            .map(|event| event["deleted"].clone())
    });
    assert_eq!(
        deleted,
        Some(json!(true)),
        "rewind shows it deleted: {rewound}"
    );

    let mut bob = register(&server, "bob").await;
    let joined = bob
        .request(json!({"t": "join", "ch": "general"}), "jb")
        .await;
    assert_no_marker("joined.hist", &joined.to_string());
    bob.close().await;
    alice.close().await;

    let dir = server.stop().await;
    for name in ["chatify.db", "chatify.db-wal"] {
        let Ok(bytes) = std::fs::read(dir.path().join(name)) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        for marker in markers() {
            let at = text.find(&marker);
            assert_eq!(
                at, None,
                "{name} still holds {marker} (at that byte offset)"
            );
        }
    }
}
