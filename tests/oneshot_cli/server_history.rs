//! `history`, `search` and `rewind` against a real server: the saved session, the address and
//! user as flags, logging in with a password (environment or file), paging past the protocol
//! maximum for channels and DMs, and server-side errors exiting 2.

use chatify::proto::{DmFrame, MsgFrame};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use chatify::proto;

use crate::server_fixture::{Person, ServerFixture};
use crate::{Cli, now_ms, texts};

/// `history` as alice with only the saved session: all of it, by author, limited, by time.
async fn assert_history_through_the_saved_session(server: &ServerFixture) {
    // No password anywhere: the session token `chatify connect` would have saved is used.
    let run = server
        .cli_as("alice")
        .args(["history", "#general"])
        .run()
        .await;
    let out = run.assert_code(0).stdout();
    assert!(out.contains("#general <alice> good morning team"), "{out}");
    assert!(out.contains("<bob> deploy failed on staging"), "{out}");
    let records = server
        .cli_as("alice")
        .args(["history", "#general", "--json", "--from", "bob"])
        .run()
        .await
        .json();
    assert_eq!(texts(&records), ["deploy failed on staging"]);
    assert_eq!(records[0]["seq"], 2);
    let limited = server
        .cli_as("alice")
        .args(["history", "#general", "--json", "-n", "2"])
        .run()
        .await;
    assert_eq!(
        texts(&limited.json()),
        ["deploy failed on staging", "rolling back the deploy"]
    );
    assert!(limited.stderr().contains("older messages exist"));
    let recent = server
        .cli_as("alice")
        .args([
            "history", "#general", "--json", "--since", "1h", "--until", "now",
        ])
        .run()
        .await
        .json();
    assert_eq!(recent.len(), 3);
    server
        .cli_as("alice")
        .args(["history", "#general", "--until", "1h"])
        .run()
        .await
        .assert_code(1);
}

/// `search` as bob: newest first, a prefix, author/limit/time filters, and nothing found.
async fn assert_search_through_the_saved_session(server: &ServerFixture) {
    let found = server
        .cli_as("bob")
        .args(["search", "#general", "deploy", "--sort", "newest", "--json"])
        .run()
        .await
        .json();
    assert_eq!(
        texts(&found),
        ["rolling back the deploy", "deploy failed on staging"]
    );
    let prefix = server
        .cli_as("bob")
        .args(["search", "#general", "stag*", "--json"])
        .run()
        .await
        .json();
    assert_eq!(texts(&prefix), ["deploy failed on staging"]);
    let by_alice = server
        .cli_as("bob")
        .args([
            "search", "#general", "deploy", "--from", "alice", "--json", "--limit", "5", "--since",
            "1h",
        ])
        .run()
        .await
        .json();
    assert_eq!(texts(&by_alice), ["rolling back the deploy"]);
    server
        .cli_as("bob")
        .args(["search", "#general", "zebra"])
        .run()
        .await
        .assert_code(1);
}

/// `rewind` as bob to just after the first message, and now filtered by author.
async fn assert_rewind_through_the_saved_session(server: &ServerFixture, rewind_point: i64) {
    let at = chrono::DateTime::from_timestamp_millis(rewind_point)
        .expect("time")
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let rewound = server
        .cli_as("bob")
        .args(["rewind", "#general", "--at", &at, "--json"])
        .run()
        .await
        .json();
    assert_eq!(texts(&rewound), ["good morning team"]);
    let by_bob = server
        .cli_as("bob")
        .args([
            "rewind", "general", "--at", "now", "--from", "bob", "--json", "-n", "5",
        ])
        .run()
        .await
        .json();
    assert_eq!(texts(&by_bob), ["deploy failed on staging"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_history_search_and_rewind_use_the_saved_session() {
    let server = ServerFixture::start().await;
    let alice = Person::register(&server, "alice").await;
    let bob = Person::register(&server, "bob").await;
    alice.say("general", "good morning team").await;
    let rewind_point = now_ms();
    tokio::time::sleep(Duration::from_millis(20)).await; // distinct timestamps around --at
    bob.say("general", "deploy failed on staging").await;
    alice.say("general", "rolling back the deploy").await;

    assert_history_through_the_saved_session(&server).await;
    assert_search_through_the_saved_session(&server).await;
    assert_rewind_through_the_saved_session(&server, rewind_point).await;

    // The address and user as flags.
    let by_flags = Cli::new(&server.home("alice"))
        .args([
            "history",
            "#general",
            "--json",
            "--server",
            server.url.as_str(),
            "-u",
            "alice",
        ])
        .run()
        .await;
    assert_eq!(by_flags.json().len(), 3);
    server.stop().await;
}

/// `history #general --json` as alice on `server`, with `home` as the config dir.
fn alice_history_from(server: &ServerFixture, home: &Path) -> Cli {
    Cli::new(home).args([
        "history",
        "#general",
        "--json",
        "--server",
        server.url.as_str(),
        "--user",
        "alice",
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_login_without_a_saved_session_needs_a_password() {
    let server = ServerFixture::start().await;
    let alice = Person::register(&server, "alice").await;
    alice.say("general", "only for members").await;
    let fresh = server.dir().join("fresh-home");
    let cli = || alice_history_from(&server, &fresh);

    let refused = cli().run().await;
    refused.assert_code(2);
    assert!(
        refused.stderr().contains("CHATIFY_PASSWORD"),
        "{}",
        refused.stderr()
    );
    let wrong = cli()
        .env("CHATIFY_PASSWORD", "not-her-password")
        .run()
        .await;
    wrong.assert_code(2);
    assert!(wrong.stderr().contains("logging in"), "{}", wrong.stderr());

    let password_file = server.dir().join("password.txt");
    std::fs::write(&password_file, "alice-password\n").expect("password file");
    let by_file = cli()
        .args(["--password-file"])
        .arg_path(&password_file)
        .run()
        .await
        .json();
    assert_eq!(texts(&by_file), ["only for members"]);
    std::fs::remove_file(&password_file).expect("remove");

    // That login saved a session: no password needed from now on.
    assert_eq!(texts(&cli().run().await.json()), ["only for members"]);
    let by_env = alice_history_from(&server, &server.dir().join("other-home"))
        .env("CHATIFY_PASSWORD", "alice-password")
        .run()
        .await
        .json();
    assert_eq!(by_env.len(), 1);
    server.stop().await;
}

/// alice sends 650 channel messages and 650 DMs to bob, all at once: many DMs share a
/// millisecond, which DM paging must handle.
async fn send_650_messages_and_dms(alice: &mut Person, bob: &Person) {
    alice
        .ring
        .learn_peer_key("bob", &bob.ring.public_key_b64())
        .expect("peer key");
    let mut sends = Vec::new();
    for n in 0..650 {
        sends.push(proto::ClientFrame::Msg(MsgFrame {
            ch: "general".into(),
            c: format!("message {n}"),
            enc: None,
            idx: None,
            reply_to: None,
            relayed_as: None,
        }));
        let c = alice.ring.seal_dm("bob", &format!("dm {n}")).expect("seal");
        sends.push(proto::ClientFrame::Dm(DmFrame {
            to: "bob".into(),
            c,
            enc: Some(proto::ENC_XC20P1.into()),
            reply_to: None,
        }));
    }
    let replies =
        futures_util::future::join_all(sends.into_iter().map(|frame| alice.session.request(frame)))
            .await;
    assert!(
        replies
            .iter()
            .all(|reply| matches!(reply, Ok(proto::ServerFrame::Ack { .. })))
    );
}

/// bob's last 600 DMs from alice: oldest first, no repeats, no duplicates, the newest ones.
async fn assert_dms_page_past_the_maximum(server: &ServerFixture) {
    let dms = server
        .cli_as("bob")
        .args(["history", "@alice", "-n", "600", "--json"])
        .run()
        .await
        .json();
    assert_eq!(dms.len(), 600);
    let ids: Vec<i64> = dms.iter().map(|r| r["id"].as_i64().expect("id")).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "oldest first, no repeats"
    );
    let dm_texts = texts(&dms);
    assert_eq!(
        dm_texts.iter().collect::<BTreeSet<_>>().len(),
        600,
        "no duplicates"
    );
    assert!(dm_texts.contains(&"dm 649".to_string()) && !dm_texts.contains(&"dm 49".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_history_pages_past_the_protocol_maximum_for_channels_and_dms() {
    let server = ServerFixture::start().await;
    let mut alice = Person::register(&server, "alice").await;
    let bob = Person::register(&server, "bob").await;
    send_650_messages_and_dms(&mut alice, &bob).await;

    let channel = server
        .cli_as("bob")
        .args(["history", "#general", "-n", "600", "--json"])
        .run()
        .await
        .json();
    let seqs: Vec<i64> = channel
        .iter()
        .map(|r| r["seq"].as_i64().expect("seq"))
        .collect();
    assert_eq!(seqs, (51..=650).collect::<Vec<_>>());
    assert_dms_page_past_the_maximum(&server).await;
    let all = server
        .cli_as("bob")
        .args(["history", "@alice", "-n", "5000", "--json"])
        .run()
        .await;
    assert_eq!(all.json().len(), 650);
    assert_eq!(all.stderr(), "");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_exit_2() {
    let server = ServerFixture::start().await;
    let alice = Person::register(&server, "alice").await;
    alice.say("general", "hello").await;
    let not_member = server
        .cli_as("alice")
        .args(["history", "#elsewhere"])
        .run()
        .await;
    not_member.assert_code(2);
    assert!(!not_member.stderr().is_empty());
    let no_dm_search = server
        .cli_as("alice")
        .args(["search", "@bob", "x"])
        .run()
        .await;
    no_dm_search.assert_code(2);
    let unknown_peer = server
        .cli_as("alice")
        .args(["history", "@nobody"])
        .run()
        .await;
    unknown_peer.assert_code(2);

    // Nothing listens on a port we just released.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let unreachable = Cli::new(&server.home("alice"))
        .args(["history", "#general", "--user", "alice", "--timeout", "5"])
        .args(["--server", &format!("ws://127.0.0.1:{port}")])
        .run()
        .await;
    unreachable.assert_code(2);
    assert!(
        unreachable.stderr().contains("cannot connect"),
        "{}",
        unreachable.stderr()
    );
    let bad_url = server
        .cli_as("alice")
        .args(["history", "#general", "--server", "http://x"])
        .run()
        .await;
    bad_url.assert_code(2);
    server.stop().await;
}
