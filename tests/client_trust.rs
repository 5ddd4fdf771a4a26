//! The client-side end-to-end promise under attack (issue 9, points 1–4): the server and the
//! network are the attacker. A fake malicious server (`client_trust/fake_server.rs`, a few dozen
//! lines of tokio-tungstenite on 127.0.0.1:0) drives the real client — `chatify connect` in pipe
//! mode and the one-shot tools — and each test is one attack, named `trust_<point>_…`:
//! 1. sealed messages, edits, `joined.hist` entries and history rows without a valid envelope
//!    are shown as REJECTED, never as genuine 🔒 text;
//! 2. a passphrase never leaves as a message, and nothing goes in plaintext to a channel the
//!    user asked to be sealed;
//! 3. server strings reach the terminal only sanitised, and forged names are refused;
//! 4. a channel whose KDF would cost more than a phone can afford is refused before Argon2 runs.

#[path = "client_trust/fake_server.rs"]
mod fake_server;
#[path = "client_trust/pipe_client.rs"]
mod pipe_client;

use serde_json::{Value, json};

use fake_server::{FakeServer, Script, open_channel_info, sealed_channel_info};
use pipe_client::{PASSPHRASE, PipeClient, one_shot};

/// A real sealed channel (salt, kdf, kcv) for `PASSPHRASE` with weak test parameters, so the
/// client derives a working key and only the attack differs.
fn unlockable_sealed_channel(ch: &str) -> Value {
    let (create, _root) =
        chatify::client::keys::new_sealed_channel(PASSPHRASE, true).expect("weak channel");
    json!({
        "ch": ch, "mode": "sealed", "members": 2, "seq": 3,
        "salt": create.salt, "kdf": create.kdf, "kcv": create.kcv,
    })
}

fn plain_msg(ch: &str, id: i64, u: &str, c: &str) -> Value {
    json!({"t": "msg", "ch": ch, "id": id, "seq": id, "u": u, "c": c, "ts": 1_780_000_000_000i64})
}

fn general_and(channel: Value) -> Script {
    Script {
        channels: vec![open_channel_info("general"), channel],
        ..Script::default()
    }
}

#[test]
fn trust_1_sealed_msg_without_enc_is_rejected() {
    let server = FakeServer::start(general_and(sealed_channel_info("ops")));
    let mut client = PipeClient::start(&server.url, &[]);
    client.expect("channels:");
    server.push(plain_msg("ops", 7, "alice", "wire the money to acct 31337"));
    let line = client.expect("acct 31337");
    assert!(line.contains("REJECTED"), "shown as rejected: {line}");
    assert!(
        client.printed("🔒#ops <alice> wire the money").is_empty(),
        "never shown as a genuine sealed message: {:?}",
        client.transcript
    );
}

#[test]
fn trust_1_sealed_edit_and_joined_hist_without_enc_are_rejected() {
    let ops = unlockable_sealed_channel("ops");
    let mut joined = ops.clone();
    joined["t"] = json!("joined");
    joined["members"] = json!(["alice", "bob"]);
    joined["hist"] = json!([plain_msg("ops", 2, "bob", "forged history line")]);
    let script = Script {
        channels: vec![open_channel_info("general")],
        replies: vec![("join", joined)],
        ..Script::default()
    };
    let server = FakeServer::start(script);
    let mut client = PipeClient::start(&server.url, &[]);
    client.send("/join #ops");
    client.send(PASSPHRASE);
    client.expect("joined 🔒#ops");
    let line = client.expect("forged history line");
    assert!(line.contains("REJECTED"), "{line}");
    server.push(
        json!({"t": "edit", "ch": "ops", "id": 2, "seq": 4, "u": "bob",
                       "c": "forged edit text", "ts": 1_780_000_000_001i64}),
    );
    let line = client.expect("forged edit text");
    assert!(line.contains("REJECTED"), "{line}");
}

#[test]
fn trust_1_dm_that_does_not_open_is_rejected_loudly() {
    let bob = json!({"u": "bob", "pk": "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=",
                     "online": true, "state": "online", "text": ""});
    let server = FakeServer::start(Script {
        channels: vec![open_channel_info("general")],
        users: vec![bob],
        ..Script::default()
    });
    let mut client = PipeClient::start(&server.url, &[]);
    client.expect("channels:");
    server.push(json!({"t": "dm", "id": 9, "from": "bob", "to": "alice",
                       "c": "not an envelope at all", "enc": "xc20p1", "ts": 1_780_000_000_000i64}));
    let line = client.expect("🔒@bob");
    assert!(line.contains("REJECTED"), "{line}");
}

#[test]
fn trust_1_one_shot_history_row_without_enc_is_rejected() {
    let history = json!({"t": "history", "ch": "ops", "more": false,
                         "events": [plain_msg("ops", 5, "bob", "plaintext planted by the server")]});
    let server = FakeServer::start(Script {
        channels: vec![
            open_channel_info("general"),
            unlockable_sealed_channel("ops"),
        ],
        replies: vec![("history", history)],
        ..Script::default()
    });
    let human = one_shot(&server.url, &["history", "#ops"]);
    let (stdout, stderr) = (text(&human.stdout), text(&human.stderr));
    assert!(
        !stdout.contains("🔒#ops <bob> plaintext planted"),
        "never genuine: {stdout}"
    );
    assert!(stdout.contains("REJECTED"), "{stdout}\n{stderr}");
    let json = one_shot(&server.url, &["history", "#ops", "--json"]);
    let record: Value = serde_json::from_str(text(&json.stdout).lines().next().expect("a row"))
        .expect("JSON Lines");
    assert_eq!(record["text"], Value::Null, "{record}");
    let reason = record["undecryptable"].as_str().unwrap_or_default();
    assert!(reason.contains("rejected"), "{record}");
}

/// A server that answers every `join` of `#backup` with "open", and alice connected to it.
fn server_calling_backup_open() -> (FakeServer, PipeClient) {
    let joined = json!({"t": "joined", "ch": "backup", "mode": "open", "members": ["alice"],
                        "seq": 0, "hist": []});
    let server = FakeServer::start(Script {
        channels: vec![open_channel_info("general")],
        replies: vec![("join", joined)],
        ..Script::default()
    });
    let mut client = PipeClient::start(&server.url, &[]);
    client.expect("channels:");
    (server, client)
}

/// Whether anything the client sent contains `needle`.
fn client_sent(server: &mut FakeServer, needle: &str) -> bool {
    server
        .all_seen()
        .iter()
        .any(|frame| frame.to_string().contains(needle))
}

#[test]
fn trust_2_join_sealed_on_an_open_channel_refuses_and_keeps_the_passphrase() {
    let (mut server, mut client) = server_calling_backup_open();
    client.send("/join #backup --sealed");
    client.send("hunter2 is my passphrase");
    client.expect("NOT end-to-end encrypted");
    client.send("after the refusal");
    let sent = server.expect_frame("msg");
    assert_eq!(sent["c"], "after the refusal", "{sent}");
    assert_eq!(
        sent["ch"], "general",
        "the refused join did not switch: {sent}"
    );
    assert!(!client_sent(&mut server, "hunter2"), "{:?}", server.seen);
}

#[test]
fn trust_2_passphrase_line_after_a_join_that_found_an_open_channel_is_not_sent() {
    let (mut server, mut client) = server_calling_backup_open();
    client.send("/join #backup");
    client.send("hunter2 is my passphrase");
    client.send("a later line");
    let sent = server.expect_frame("msg");
    assert_eq!(sent["c"], "a later line", "{sent}");
    assert!(!client_sent(&mut server, "hunter2"), "{:?}", server.seen);
    client.expect("not sent");
}

#[test]
fn trust_3_member_frame_with_a_forged_line_is_refused() {
    let server = FakeServer::start(general_and(open_channel_info("ops")));
    let mut client = PipeClient::start(&server.url, &[]);
    client.expect("channels:");
    server.push(json!({"t": "member", "ch": "general", "on": true, "ts": 1,
                       "u": "mallory\n#general <admin> reset your password at evil.example"}));
    server.push(plain_msg("general", 8, "bob", "marker after the forgery"));
    client.expect("marker after the forgery");
    let forged: Vec<_> = client
        .transcript
        .iter()
        .filter(|line| line.starts_with("#general <admin>") || line.contains("<admin> reset"))
        .collect();
    assert!(forged.is_empty(), "no forged line: {:?}", client.transcript);
    assert!(
        !client.printed("invalid user name").is_empty(),
        "refused loudly: {:?}",
        client.transcript
    );
}

#[test]
fn trust_3_zero_width_and_arabic_marks_are_neutralised() {
    let server = FakeServer::start(general_and(open_channel_info("ops")));
    let mut client = PipeClient::start(&server.url, &[]);
    client.expect("channels:");
    server.push(plain_msg(
        "general",
        8,
        "bob",
        "pay\u{200B}pal\u{061C}x\u{00AD}y\u{FEFF}z\u{2060}end",
    ));
    let line = client.expect("end");
    for hidden in ['\u{200B}', '\u{061C}', '\u{00AD}', '\u{FEFF}', '\u{2060}'] {
        assert!(!line.contains(hidden), "{hidden:?} neutralised: {line:?}");
    }
}

#[test]
fn trust_3_err_m_is_sanitised_on_stderr_by_one_shot_tools_and_connect() {
    let hostile = "\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}[2J owned";
    let server = FakeServer::start(Script {
        channels: vec![open_channel_info("general")],
        replies: vec![(
            "history",
            json!({"t": "err", "code": "not_member", "m": hostile}),
        )],
        ..Script::default()
    });
    let output = one_shot(&server.url, &["history", "#general"]);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("owned"), "the error is shown: {stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no escape reaches stderr: {stderr:?}"
    );
    let refusing = FakeServer::start(Script {
        replies: vec![(
            "auth",
            json!({"t": "err", "code": "auth_failed", "m": hostile}),
        )],
        ..Script::default()
    });
    let config = tempfile::tempdir().expect("config dir");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_chatify"))
        .args(["connect", "--server", &refusing.url, "--user", "alice"])
        .env("CHATIFY_CONFIG_DIR", config.path())
        .env("CHATIFY_PASSWORD", "alice-password")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("chatify connect runs");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("owned"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}

#[test]
fn trust_4_joining_a_channel_with_an_unaffordable_kdf_is_refused() {
    let mut ops = unlockable_sealed_channel("ops");
    ops["kdf"] = json!({"alg": "argon2id", "m": 1_048_576, "t": 40, "p": 1});
    let mut joined = ops.clone();
    joined["t"] = json!("joined");
    joined["members"] = json!(["alice", "bob"]);
    joined["hist"] = json!([]);
    let server = FakeServer::start(Script {
        channels: vec![open_channel_info("general")],
        replies: vec![("join", joined)],
        ..Script::default()
    });
    let mut client = PipeClient::start(&server.url, &[]);
    client.send("/join #ops");
    client.send(PASSPHRASE);
    let refused = client.expect("too expensive");
    assert!(refused.contains("not joined"), "{refused}");
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
