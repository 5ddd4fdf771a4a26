//! DM edit, delete, react and reply, and `/me`, through the real binary: a real
//! `chatify serve` on 127.0.0.1 with a temp database and two `chatify connect` processes in
//! pipe mode (issue 10). The peer sees each change decrypted, live and in `/history`; a deleted
//! DM's text is gone from the database file; an action shows as `* alice waves` in a DM and a
//! sealed channel, and neither the action's words nor its mark are stored in clear there.
//! Every read has a timeout; readiness is awaited by reading output, never by sleeping.

use std::path::Path;

#[path = "client_e2e/pipe_client.rs"]
mod pipe_client;
#[path = "common/server.rs"]
mod server_fixture;

use pipe_client::{Client, PASSPHRASE};
use server_fixture::ServeProcess;

/// The `[id]` a message line ends with.
fn id_of(line: &str) -> i64 {
    let open = line.rfind('[').expect("a message line ends with [id]");
    let close = line[open..].find(']').expect("closing bracket") + open;
    line[open + 1..close].parse().expect("a numeric id")
}

/// The database file and its WAL, as bytes.
fn database_bytes(db: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(db).unwrap_or_default();
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    bytes.extend(std::fs::read(&wal).unwrap_or_default());
    bytes
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[test]
fn dm_edit_delete_react_and_reply_are_decrypted_by_the_peer() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("chat.db");
    let server = ServeProcess::start(&db);
    let mut alice = Client::start(&server, "alice");
    let mut bob = Client::start(&server, "bob");

    alice.send("@bob");
    alice.expect("now talking with 🔒@bob");
    alice.send("meet at noon");
    let first = id_of(&bob.expect("🔒@alice <alice> meet at noon"));
    alice.send("this one was a mistake");
    let second = id_of(&bob.expect("🔒@alice <alice> this one was a mistake"));

    alice.send(&format!("/edit {first} meet at one instead"));
    let edited = bob.expect("meet at one instead");
    assert!(
        edited.contains(&format!("🔒@alice alice edited [{first}]")),
        "{edited}"
    );
    alice.expect(&format!("alice edited [{first}]"));

    bob.send(&format!("/react {first} 👍"));
    let reacted = alice.expect("bob reacted 👍");
    assert!(reacted.contains(&format!("[{first}]")), "{reacted}");

    bob.send(&format!("/reply {first} one works for me"));
    let reply = alice.expect("one works for me");
    assert!(
        reply.contains("🔒@bob <bob>") && reply.contains("↪ alice"),
        "a reply quoting the DM: {reply}"
    );

    alice.send(&format!("/delete {second}"));
    let deleted = bob.expect(&format!("alice deleted [{second}]"));
    assert!(deleted.contains("was: \"this one was"), "{deleted}");

    // Someone else's DM: the server refuses, and says so.
    bob.send(&format!("/edit {first} hijacked"));
    bob.expect("only the author");

    bob.send("@alice");
    bob.expect("now talking with 🔒@alice");
    bob.send("/history 10");
    bob.expect("last 3 message(s) with @alice");
    let folded = bob.expect("meet at one instead");
    assert!(
        folded.contains("👍"),
        "history shows the reaction: {folded}"
    );
    bob.expect(&format!("(message deleted) [{second}]"));
    bob.expect("one works for me");
    assert_eq!(
        bob.count(&format!("edited [{first}]: hijacked")),
        0,
        "the refused edit is not shown as done:\n{}",
        bob.transcript.join("\n")
    );

    alice.quit();
    bob.quit();
    server.kill();
    let stored = database_bytes(&db);
    for secret in ["meet at", "mistake", "one works", "one instead"] {
        assert!(
            !holds(&stored, secret),
            "{secret:?} is in the database file"
        );
    }
}

#[test]
fn me_is_an_action_sealed_with_the_text_in_dms_and_sealed_channels() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("chat.db");
    let server = ServeProcess::start(&db);
    let mut alice = Client::start(&server, "alice");
    let mut bob = Client::start(&server, "bob");

    alice.send("/me waves at everyone");
    bob.expect("#general * alice waves at everyone");
    alice.send("/join #vault --sealed");
    alice.send(PASSPHRASE);
    alice.expect("joined 🔒#vault");
    alice.send("/me hides the key");
    alice.expect("🔒#vault * alice hides the key");
    alice.send("/dm bob hello");
    bob.expect("🔒@alice <alice> hello");
    alice.send("@bob");
    alice.expect("now talking with 🔒@bob");
    alice.send("/me nods quietly");
    let action = bob.expect("nods quietly");
    assert!(action.contains("🔒@alice * alice nods quietly"), "{action}");

    alice.quit();
    bob.quit();
    server.kill();
    let stored = database_bytes(&db);
    assert!(
        holds(&stored, "waves at everyone"),
        "control: open text is stored"
    );
    for secret in ["hides the key", "nods quietly", "/me "] {
        assert!(
            !holds(&stored, secret),
            "{secret:?} is in the database file"
        );
    }
}
