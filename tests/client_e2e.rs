//! End-to-end tests of `chatify connect`: a real `chatify serve` on 127.0.0.1 with a temp
//! database, and real client processes driven through pipes (pipe mode), each with its own
//! config dir. Covers channel messages and DMs delivered and decrypted (also with the DM as the
//! current place: `@bob`, then plain lines), a sealed channel whose
//! stored rows hold none of the plaintext, a wrong passphrase refused, and a server killed and
//! restarted mid-session without the client losing anything or needing help to reconnect, and
//! a wrong password explained once (not "… (wrong username or password)" twice).
//! Every read has a timeout; readiness is awaited by reading output, never by sleeping.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

#[path = "client_e2e/pipe_client.rs"]
mod pipe_client;
#[path = "common/server.rs"]
mod server_fixture;

use pipe_client::{Client, Login, PASSPHRASE};
use server_fixture::ServeProcess;

/// Every text value stored anywhere in the database (all tables, all columns).
fn all_stored_text(db: &Path) -> String {
    let connection = rusqlite::Connection::open(db).expect("database opens");
    let mut statement = connection
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .expect("tables listed");
    let tables: Vec<String> = statement
        .query_map([], |row| row.get(0))
        .expect("query")
        .map_while(Result::ok)
        .collect();
    let mut text = String::new();
    for table in tables {
        let quoted = format!("\"{}\"", table.replace('"', "\"\""));
        let Ok(mut rows) = connection.prepare(&format!("SELECT * FROM {quoted}")) else {
            continue;
        };
        let columns = rows.column_count();
        let mut cursor = rows.query([]).expect("rows");
        while let Ok(Some(row)) = cursor.next() {
            for column in 0..columns {
                match row.get_ref(column) {
                    Ok(rusqlite::types::ValueRef::Text(bytes))
                    | Ok(rusqlite::types::ValueRef::Blob(bytes)) => {
                        text.push_str(&String::from_utf8_lossy(bytes));
                        text.push('\n');
                    }
                    _ => {}
                }
            }
        }
    }
    text
}

fn raw_files(db: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for suffix in ["", "-wal"] {
        let mut path: PathBuf = db.to_path_buf().into_os_string().into();
        path.as_mut_os_string().push(suffix);
        if let Ok(content) = std::fs::read(&path) {
            bytes.extend(content);
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[test]
fn messages_dms_and_sealed_channels_are_delivered_decrypted_and_stored_encrypted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("chat.db");
    let server = ServeProcess::start(&db);
    let mut alice = Client::start(&server, "alice");
    let mut bob = Client::start(&server, "bob");

    alice.send("hello all, open channel");
    bob.expect("#general <alice> hello all, open channel");

    alice.send("/dm bob psst this dm is private");
    let line = bob.expect("psst this dm is private");
    assert!(
        line.contains("🔒@alice <alice>"),
        "a DM shows as sealed: {line}"
    );
    bob.send("/dm alice got it, thanks");
    alice.expect("🔒@bob <bob> got it, thanks");

    alice.send("/join #ops --sealed");
    alice.send(PASSPHRASE);
    alice.expect("joined 🔒#ops");
    alice.send("launch window opens at dawn");
    alice.expect("🔒#ops <alice> launch window opens at dawn");

    // A sealed channel is invite-only: bob is refused until alice invites him.
    bob.send("/join #ops");
    bob.expect("needs an invitation");
    alice.send("/invite bob");
    alice.expect("#ops -- alice invited bob");
    bob.expect("alice invited you to #ops");
    bob.send("/join #ops");
    bob.send("not the passphrase");
    let refused = bob.expect("wrong passphrase for #ops");
    assert!(refused.contains("not joined"), "{refused}");
    bob.send("/join #ops");
    bob.send(PASSPHRASE);
    bob.expect("joined 🔒#ops");
    bob.expect("🔒#ops <alice> launch window opens at dawn");
    alice.send("second sealed secret");
    bob.expect("🔒#ops <alice> second sealed secret");
    bob.send("/search LAUNCH");
    bob.expect("1 result(s)");
    bob.expect("launch window opens at dawn");
    bob.send("/frobnicate #ops");
    bob.expect("unknown command /frobnicate");
    alice.send("/history 5");
    alice.expect("last 2 message(s) of #ops");
    let alice_config = alice.quit();

    // A later run needs neither the password (saved session) nor the passphrase (cached key).
    let mut alice = Client::spawn(&server, "alice", Login::SavedSession, alice_config);
    let channels = alice.expect("channels:");
    assert!(
        channels.contains("🔒#ops") && !channels.contains("locked"),
        "{channels}"
    );
    alice.send("#ops");
    alice.send("/history 1");
    alice.expect("🔒#ops <alice> second sealed secret");
    alice.quit();
    bob.quit();
    server.kill();

    let stored = all_stored_text(&db);
    assert!(
        stored.contains("hello all, open channel"),
        "control: open messages are stored in clear"
    );
    let raw = raw_files(&db);
    for secret in [
        "launch window",
        "second sealed secret",
        "psst this dm",
        "got it, thanks",
        PASSPHRASE,
    ] {
        assert!(!stored.contains(secret), "{secret:?} is stored in clear");
        assert!(
            !contains(&raw, secret),
            "{secret:?} is in the database file"
        );
    }
}

#[test]
fn with_a_dm_as_the_current_place_plain_lines_reach_the_peer_encrypted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("chat.db");
    let server = ServeProcess::start(&db);
    let mut alice = Client::start(&server, "alice");
    let mut bob = Client::start(&server, "bob");

    alice.send("@bob");
    alice.expect("now talking with 🔒@bob");
    alice.send("just between us two");
    let line = bob.expect("just between us two");
    assert!(line.contains("🔒@alice <alice>"), "a DM to bob: {line}");
    alice.expect("🔒@bob <alice> just between us two");
    bob.send("/unread");
    bob.expect("unread: @alice 1");

    alice.send("/search between");
    alice.expect("/search works on channels only");
    alice.send("/history 5");
    alice.expect("last 1 message(s) with @bob");
    alice.send("/leave");
    alice.expect("closed the DM with @bob; now talking in #general");
    alice.send("back in the open");
    bob.expect("#general <alice> back in the open");
    assert_eq!(
        bob.count("just between us two"),
        1,
        "one DM, not a channel message too:\n{}",
        bob.transcript.join("\n")
    );
    alice.quit();
    bob.quit();
    server.kill();
    assert!(
        !all_stored_text(&db).contains("just between us two"),
        "the DM is stored encrypted"
    );
}

#[test]
fn a_server_killed_mid_session_loses_nothing_and_the_client_reconnects_itself() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("chat.db");
    let server = ServeProcess::start(&db);
    let address = server.address();
    let mut alice = Client::start(&server, "alice");
    let mut bob = Client::start(&server, "bob");
    alice.send("before the crash");
    bob.expect("<alice> before the crash");

    server.kill();
    bob.expect("reconnecting");
    alice.expect("reconnecting");
    // Keep the server down for a moment so bob is between attempts when messages arrive:
    // this is the outage under test, not a readiness wait.
    std::thread::sleep(Duration::from_millis(1500));
    let server = ServeProcess::start_with(&db, &address, &[], &[]);
    let mut carol = Client::start(&server, "carol");
    carol.send("during the outage");
    carol.expect("<carol> during the outage");
    bob.expect("back in sync");
    alice.expect("back in sync");
    carol.send("after the reconnect");
    bob.expect("<carol> after the reconnect");
    alice.expect("<carol> after the reconnect");

    assert_eq!(
        bob.count("<carol> during the outage"),
        1,
        "delivered exactly once:\n{}",
        bob.transcript.join("\n")
    );
    assert_eq!(bob.count("<alice> before the crash"), 1);
    alice.send("still here");
    bob.expect("<alice> still here");
    for client in [alice, bob, carol] {
        client.quit();
    }
}

#[test]
fn repl_password_ends_the_other_sessions_and_logout_ends_this_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServeProcess::start(&dir.path().join("chat.db"));
    let mut alice = Client::start(&server, "alice");
    alice.expect("channels:");
    let phone_config = tempfile::tempdir().expect("config dir");
    let mut phone = Client::spawn(&server, "alice", Login::Password, phone_config);
    phone.expect("channels:");

    alice.send("/sessions");
    alice.expect("(this one)");
    // Pipe mode: the current and the new password are the next two input lines.
    alice.send("/password");
    alice.send("alice-password");
    alice.send("alice-new-password");
    alice.expect("password changed; 1 other session(s) ended");
    phone.expect("session was ended");

    let config = alice
        .config
        .as_ref()
        .expect("config dir")
        .path()
        .to_path_buf();
    alice.send("/logout");
    alice.expect("logged out");
    let status = alice.child.wait().expect("exit status");
    assert!(status.success(), "{status}");
    let refused = Command::new(env!("CARGO_BIN_EXE_chatify"))
        .args(["connect", "--server", &server.url, "--user", "alice"])
        .env("CHATIFY_CONFIG_DIR", &config)
        .env_remove("CHATIFY_PASSWORD")
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("password is needed"),
        "the saved session is gone: {stderr}"
    );
}

#[test]
fn a_wrong_password_is_explained_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServeProcess::start(&dir.path().join("chat.db"));
    Client::start(&server, "alice").quit();
    let config = tempfile::tempdir().expect("config dir");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_chatify"))
            .args(["connect", "--server", &server.url, "--user", "alice"])
            .env("CHATIFY_CONFIG_DIR", config.path())
            .env("CHATIFY_PASSWORD", "not alice's password")
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .expect("chatify connect runs")
    };
    let refused = run();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.matches("wrong username or password").count(),
        1,
        "said once: {stderr}"
    );
}
