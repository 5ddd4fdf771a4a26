//! Catch-up and the passphrase check through the real binary (issue 10): `chatify connect` in
//! pipe mode against a real `chatify serve`. A DM, a sealed-channel message and a mention sent
//! while bob was not running are shown under "new since you left" when he starts again, and
//! `/unread` and `/mentions` count them (from the server's read markers); a wrong passphrase for
//! a sealed channel is refused before the join, so the channel's members never see "bob
//! joined" / "bob left". Every read has a timeout.

#[path = "client_e2e/pipe_client.rs"]
mod pipe_client;
#[path = "common/server.rs"]
mod server_fixture;

use pipe_client::{Client, Login, PASSPHRASE};
use server_fixture::ServeProcess;

#[test]
fn dms_sealed_messages_and_mentions_sent_while_offline_are_shown_and_counted_on_return() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServeProcess::start(&dir.path().join("chat.db"));
    let mut alice = Client::start(&server, "alice");
    let mut bob = Client::start(&server, "bob");
    alice.send("/join #vault --sealed");
    alice.send(PASSPHRASE);
    alice.expect("joined 🔒#vault");
    // A sealed channel is invite-only: alice (its owner) invites bob first.
    alice.send("/invite bob");
    alice.expect("#vault -- alice invited bob");
    bob.expect("alice invited you to #vault");
    bob.send("/join #vault");
    bob.send(PASSPHRASE);
    bob.expect("joined 🔒#vault");
    alice.send("seen before leaving");
    bob.expect("<alice> seen before leaving");
    let config = bob.quit();

    alice.send("the vault code changed to 1234");
    alice.expect("🔒#vault <alice> the vault code changed");
    alice.send("/dm bob call me when you are back");
    alice.expect("call me when you are back");
    alice.send("#general");
    alice.send("standup in five, @bob");
    alice.expect("<alice> standup in five");

    let mut bob = Client::spawn(&server, "bob", Login::SavedSession, config);
    bob.expect("new since you left: 🔒#vault (1)");
    bob.expect("🔒#vault <alice> the vault code changed to 1234");
    bob.expect("new since you left: 🔒@alice (1)");
    bob.expect("call me when you are back");
    bob.expect("new since you left: ");
    assert_eq!(
        bob.count("seen before leaving"),
        0,
        "what bob had seen is not new:\n{}",
        bob.transcript.join("\n")
    );
    bob.send("/unread");
    let unread = bob.expect("unread:");
    assert!(unread.contains("#vault 1"), "{unread}");
    assert!(unread.contains("@alice 1"), "{unread}");
    bob.send("/mentions");
    bob.expect("1 mention(s)");
    bob.expect("standup in five");

    // Looking at #vault moves its marker: the next start has nothing new there.
    bob.send("#vault");
    bob.expect("now talking in 🔒#vault");
    let config = bob.quit();
    let mut bob = Client::spawn(&server, "bob", Login::SavedSession, config);
    bob.send("/unread");
    let unread = bob.expect("unread");
    assert!(!unread.contains("#vault"), "{unread}");
}

#[test]
fn a_wrong_passphrase_is_refused_before_the_join_and_no_member_sees_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServeProcess::start(&dir.path().join("chat.db"));
    let mut alice = Client::start(&server, "alice");
    let mut bob = Client::start(&server, "bob");
    alice.send("/join #vault --sealed");
    alice.send(PASSPHRASE);
    alice.expect("joined 🔒#vault");
    // A sealed channel is invite-only: alice (its owner) invites bob first.
    alice.send("/invite bob");
    alice.expect("#vault -- alice invited bob");
    bob.expect("alice invited you to #vault");

    bob.send("/join #vault");
    bob.send("not the passphrase");
    let refused = bob.expect("not joined");
    assert!(refused.contains("nobody was told"), "{refused}");
    bob.send("/join #vault");
    bob.send(PASSPHRASE);
    bob.expect("joined 🔒#vault");
    alice.expect("bob joined #vault");
    alice.send("welcome bob");
    bob.expect("welcome bob");
    assert_eq!(
        alice.count("bob joined #vault"),
        1,
        "{}",
        alice.transcript.join("\n")
    );
    assert_eq!(
        alice.count("bob left"),
        0,
        "{}",
        alice.transcript.join("\n")
    );
}
