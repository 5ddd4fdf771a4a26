//! End-to-end encrypted conversations read from a real server and decrypted locally: a sealed
//! channel with the key cached in the config dir or unlocked by the passphrase (and cached for
//! later runs), ciphertext only on the server, and DMs with each side's identity key.

use chatify::proto;
use chatify::proto::JoinFrame;

use crate::server_fixture::{Person, ServerFixture};
use crate::{Cli, PASSPHRASE, texts};

/// alice's key is cached in her config dir: history, search and rewind need no passphrase.
async fn assert_alice_reads_the_vault_with_her_cached_key(server: &ServerFixture) {
    let records = server
        .cli_as("alice")
        .args(["history", "#vault", "--json"])
        .run()
        .await
        .json_messages();
    assert_eq!(
        texts(&records),
        ["the launch code is 0000", "rotate the deploy keys"]
    );
    assert!(records.iter().all(|r| r["sealed"] == true));
    let lines = server
        .cli_as("alice")
        .args(["history", "#vault", "--json"])
        .run()
        .await
        .json();
    assert_eq!(lines[0]["sys"]["act"], "invite");
    assert_eq!(
        (&lines[0]["text"], lines[0]["sealed"].as_bool()),
        (&"invited bob".into(), Some(false))
    );
    let human = server
        .cli_as("alice")
        .args(["history", "#vault"])
        .run()
        .await;
    assert!(
        human
            .assert_code(0)
            .stdout()
            .contains("🔒#vault <alice> rotate the deploy keys"),
        "{}",
        human.stdout()
    );
    let found = server
        .cli_as("alice")
        .args(["search", "#vault", "DEPLOY keys", "--json"])
        .run()
        .await
        .json_messages();
    assert_eq!(texts(&found), ["rotate the deploy keys"]);
    let rewound = server
        .cli_as("alice")
        .args(["rewind", "#vault", "--at", "now", "--json"])
        .run()
        .await
        .json_messages();
    assert_eq!(rewound.len(), 2);
    assert_eq!(rewound[0]["text"], "the launch code is 0000");
}

/// The server only ever had ciphertext: its database read directly shows no text.
async fn assert_the_server_only_has_ciphertext(server: &ServerFixture) {
    let raw = Cli::new(&server.home("alice"))
        .args(["history", "#vault", "--json", "--db"])
        .arg_path(&server.db())
        .run()
        .await
        .json_messages();
    assert!(raw.iter().all(|r| r["text"].is_null()), "{raw:?}");
}

/// bob, a member without the key: undecryptable, search refused, a wrong passphrase refused.
async fn assert_bob_is_locked_out_without_the_passphrase(server: &ServerFixture) {
    let locked = server
        .cli_as("bob")
        .args(["history", "#vault", "--json"])
        .run()
        .await;
    assert!(locked.json_messages().iter().all(|r| r["text"].is_null()));
    assert!(
        locked.stderr().contains("no key for #vault"),
        "{}",
        locked.stderr()
    );
    server
        .cli_as("bob")
        .args(["search", "#vault", "deploy"])
        .run()
        .await
        .assert_code(2);
    let wrong = server
        .cli_as("bob")
        .args(["history", "#vault"])
        .env("CHATIFY_PASSPHRASE", "guess")
        .run()
        .await;
    wrong.assert_code(2);
    assert!(
        wrong.stderr().contains("wrong passphrase"),
        "{}",
        wrong.stderr()
    );
}

/// bob joins with the passphrase from the environment; the key is cached for later runs.
async fn assert_bob_unlocks_the_vault_with_the_passphrase(server: &ServerFixture, bob: &Person) {
    let not_yet = server.cli_as("bob").args(["history", "#vault"]).run().await;
    not_yet.assert_code(2);
    assert!(not_yet.stderr().contains("member"), "{}", not_yet.stderr());
    bob.request(proto::ClientFrame::Join(JoinFrame {
        ch: "vault".into(),
        create: None,
    }))
    .await;
    assert_bob_is_locked_out_without_the_passphrase(server).await;
    let unlocked = server
        .cli_as("bob")
        .args(["history", "#vault", "--json"])
        .env("CHATIFY_PASSPHRASE", PASSPHRASE)
        .run()
        .await
        .json_messages();
    assert_eq!(
        texts(&unlocked),
        ["the launch code is 0000", "rotate the deploy keys"]
    );
    let cached = server
        .cli_as("bob")
        .args(["search", "#vault", "launch", "--json"])
        .run()
        .await
        .json_messages();
    assert_eq!(texts(&cached), ["the launch code is 0000"]);
}

/// DMs, decrypted with each side's identity key and the peer's announced key.
async fn assert_dms_are_decrypted_on_both_sides(server: &ServerFixture) {
    let from_alice = server
        .cli_as("alice")
        .args(["history", "@bob", "--json"])
        .run()
        .await
        .json_messages();
    assert_eq!(texts(&from_alice), ["psst bob", "hi alice"]);
    assert!(
        from_alice
            .iter()
            .all(|r| r["dm"] == "bob" && r["seq"].is_null())
    );
    let from_bob = server.cli_as("bob").args(["history", "@alice"]).run().await;
    let out = from_bob.assert_code(0).stdout();
    assert!(out.contains("🔒@alice <alice> >> psst bob"), "{out}");
    assert!(out.contains("🔒@alice <bob> hi alice"), "{out}");
    let from_filter = server
        .cli_as("bob")
        .args(["history", "@alice", "--from", "bob", "--json"])
        .run()
        .await
        .json_messages();
    assert_eq!(texts(&from_filter), ["hi alice"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "test-weak-kdf"),
    ignore = "its sealed channel has test-weak Argon2 parameters: needs --features test-weak-kdf"
)]
async fn server_sealed_channels_and_dms_are_decrypted_locally() {
    let server = ServerFixture::start().await;
    let mut alice = Person::register(&server, "alice").await;
    let mut bob = Person::register(&server, "bob").await;
    alice.join_sealed("vault").await;
    // A sealed channel is invite-only: bob can unlock it below because alice invites him.
    let invite = proto::ClientFrame::Invite(proto::governance::ModTargetFrame {
        ch: "vault".into(),
        u: "bob".into(),
        reason: None,
    });
    assert!(matches!(
        alice.request(invite).await,
        proto::ServerFrame::Ack { .. }
    ));
    alice.say("vault", "the launch code is 0000").await;
    alice.say("vault", "rotate the deploy keys").await;
    alice.dm(&bob, "bob", "psst bob").await;
    bob.dm(&alice, "alice", "hi alice").await;

    assert_alice_reads_the_vault_with_her_cached_key(&server).await;
    assert_the_server_only_has_ciphertext(&server).await;
    assert_bob_unlocks_the_vault_with_the_passphrase(&server, &bob).await;
    assert_dms_are_decrypted_on_both_sides(&server).await;
    server.stop().await;
}
