//! `chatify admin` through the real binary (`env!("CARGO_BIN_EXE_chatify")`): every action on a
//! database file (filled through the store API, the server stopped), checked in the database
//! afterwards; and the live actions through a real server on 127.0.0.1:0 with an admin's
//! session, whose effect (the account's connections ending at once) is checked on the wire.

mod common;

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use chatify::clock::Clock;
use chatify::proto::ChannelMode;
use chatify::store::{AppendOp, NewChannel, Store, StoreOptions, StoreReader};
use serde_json::json;
use tokio::io::AsyncWriteExt;

use common::{Client, TestServer, password_of, register, test_config};

const CLI_TIMEOUT: Duration = Duration::from_secs(60);
const T0: i64 = 1_764_000_000_000;

/// Runs `chatify` with its own config dir, no colour and `stdin` as its standard input.
async fn chatify(config_dir: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_chatify"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CHATIFY_") {
            command.env_remove(&name);
        }
    }
    command
        .env("CHATIFY_CONFIG_DIR", config_dir)
        .env("CHATIFY_DATA_DIR", config_dir.join("data"))
        .env("NO_COLOR", "1")
        .env("TZ", "UTC")
        .envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().expect("spawn chatify");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.as_bytes())
        .await
        .expect("write stdin");
    drop(input);
    tokio::time::timeout(CLI_TIMEOUT, child.wait_with_output())
        .await
        .expect("chatify finishes in time")
        .expect("chatify ran")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

/// A database with root (the first account, admin), bob (with a session) and #ops with two
/// messages a day apart.
async fn fill(path: &Path) {
    let clock = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(T0));
    let reading = clock.clone();
    let options = StoreOptions {
        clock: Clock::from_fn(move || reading.load(std::sync::atomic::Ordering::SeqCst)),
        ..StoreOptions::default()
    };
    let store = Store::open(path, options).expect("store");
    for name in ["root", "bob"] {
        let phc = chatify::crypto::hash_password(&password_of(name)).expect("hash");
        store
            .create_account(name, &phc, None, T0)
            .await
            .expect("account");
    }
    store
        .create_session("bob", [5u8; 32], T0)
        .await
        .expect("session");
    store
        .create_channel(NewChannel {
            name: "ops".into(),
            mode: ChannelMode::Open,
            salt: None,
            kdf: None,
            kcv: None,
            creator: "root".into(),
            now_ms: T0,
        })
        .await
        .expect("channel");
    for (at, text) in [(T0, "old secret plans"), (T0 + 86_400_000, "fresh news")] {
        clock.store(at, std::sync::atomic::Ordering::SeqCst);
        let msg = AppendOp::Msg {
            channel: "ops".into(),
            sender: "root".into(),
            c: text.into(),
            enc: None,
            idx: Vec::new(),
            reply_to: None,
        };
        store.append_wait(msg).await.expect("msg");
    }
    store.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_actions_on_a_database_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("chat.db");
    fill(&db).await;
    let config = dir.path().join("config");
    let db_arg = db.to_str().expect("UTF-8 path");
    let run = |args: Vec<&'static str>| {
        let mut full = vec!["admin", "--db", db_arg];
        full.extend(args);
        full
    };

    let users = stdout(&chatify(&config, &run(vec!["users"]), "", &[]).await);
    assert!(
        users
            .lines()
            .any(|l| l.starts_with("root") && l.contains(" yes ")),
        "{users}"
    );
    assert!(users.lines().any(|l| l.starts_with("bob ")), "{users}");

    let sessions = stdout(&chatify(&config, &run(vec!["sessions", "bob"]), "", &[]).await);
    assert!(sessions.contains("05050505"), "{sessions}");

    let disabled = stdout(&chatify(&config, &run(vec!["disable", "bob"]), "", &[]).await);
    assert_eq!(disabled.trim(), "disabled bob; revoked 1 session(s)");
    let reader = StoreReader::open(&db).expect("reader");
    assert!(reader.account("bob").expect("read").expect("bob").disabled);
    assert!(
        reader
            .session_summaries(Some("bob"))
            .expect("read")
            .is_empty()
    );
    stdout(&chatify(&config, &run(vec!["enable", "bob"]), "", &[]).await);
    assert!(!reader.account("bob").expect("read").expect("bob").disabled);

    let reset = stdout(&chatify(&config, &run(vec!["reset-password", "bob"]), "", &[]).await);
    let generated = reset
        .lines()
        .find_map(|line| line.strip_prefix("new password for bob: "))
        .expect("the new password is printed");
    let phc = reader
        .account("bob")
        .expect("read")
        .expect("bob")
        .password_phc;
    assert!(chatify::crypto::verify_password(generated, &phc));
    stdout(
        &chatify(
            &config,
            &run(vec!["reset-password", "bob", "--stdin"]),
            "chosen-by-op\n",
            &[],
        )
        .await,
    );
    let phc = reader
        .account("bob")
        .expect("read")
        .expect("bob")
        .password_phc;
    assert!(chatify::crypto::verify_password("chosen-by-op", &phc));
    let short = chatify(
        &config,
        &run(vec!["reset-password", "bob", "--stdin"]),
        "short\n",
        &[],
    )
    .await;
    assert_eq!(short.status.code(), Some(2));

    stdout(&chatify(&config, &run(vec!["grant", "bob"]), "", &[]).await);
    assert!(reader.is_admin("bob").expect("read"));
    stdout(&chatify(&config, &run(vec!["revoke", "bob"]), "", &[]).await);
    assert!(!reader.is_admin("bob").expect("read"));

    let channels = stdout(&chatify(&config, &run(vec!["channels"]), "", &[]).await);
    assert!(
        channels.contains("#ops open owner root · 0 member(s) · 2 message(s)"),
        "{channels}"
    );
    let purged = stdout(
        &chatify(
            &config,
            &run(vec!["purge", "#ops", "--before", "2025-11-25 12:00"]),
            "",
            &[],
        )
        .await,
    );
    assert!(
        purged.starts_with("purged 1 message(s) of #ops"),
        "{purged}"
    );
    let page = reader
        .history("ops", &chatify::store::HistoryQuery::default())
        .expect("history");
    assert_eq!(page.events.len(), 1);
    assert_eq!(page.events[0].c.as_deref(), Some("fresh news"));
    let rewound = chatify(
        &config,
        &["rewind", "#ops", "--at", "now", "--db", db_arg],
        "",
        &[],
    )
    .await;
    assert!(
        String::from_utf8_lossy(&rewound.stderr)
            .contains("#ops keeps its history from 2025-11-25 12:00:00 UTC"),
        "rewind says where the kept history begins: {rewound:?}"
    );

    stdout(&chatify(&config, &run(vec!["delete-channel", "ops"]), "", &[]).await);
    assert!(reader.channel("ops").expect("read").is_none());
    stdout(&chatify(&config, &run(vec!["delete-user", "bob"]), "", &[]).await);
    assert!(reader.account("bob").expect("read").is_none());
    let missing = chatify(&config, &run(vec!["disable", "bob"]), "", &[]).await;
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no such user"));
    let live_only = chatify(&config, &run(vec!["disconnect", "root"]), "", &[]).await;
    assert_eq!(live_only.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_admin_actions_end_the_accounts_connections_at_once() {
    let server = TestServer::start(test_config()).await;
    let _root = register(&server, "root").await;
    let mut bob = register(&server, "bob").await;
    let _alice = register(&server, "alice").await;
    let config = server.dir().join("admin-config");
    let url = server.url.clone();
    let live = |user: &'static str, action: &'static str, target: &'static str| {
        vec![
            "admin",
            "--live",
            "--server",
            url.as_str(),
            "--user",
            user,
            action,
            target,
        ]
    };
    let root_pw = password_of("root");
    let as_root = [("CHATIFY_PASSWORD", root_pw.as_str())];
    let refused = chatify(
        &config,
        &live("alice", "disable", "bob"),
        "",
        &[("CHATIFY_PASSWORD", &password_of("alice"))],
    )
    .await;
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("only a server admin"));

    let done = stdout(&chatify(&config, &live("root", "disable", "bob"), "", &as_root).await);
    assert_eq!(done.trim(), "disabled bob: closed 1 connection(s)");
    assert_eq!(bob.expect_close().await, 1008);
    let mut again = Client::connect(&server).await;
    again
        .expect_err(
            json!({"t": "auth", "u": "bob", "pw": password_of("bob")}),
            "l",
            "account_disabled",
        )
        .await;
    stdout(&chatify(&config, &live("root", "enable", "bob"), "", &as_root).await);
    let (mut bob, _) = common::login(&server, "bob").await;
    let done = stdout(
        &chatify(
            &config,
            &live("root", "revoke-sessions", "bob"),
            "",
            &as_root,
        )
        .await,
    );
    assert_eq!(
        done.trim(),
        "revoked the sessions of bob: closed 1 connection(s)"
    );
    assert_eq!(bob.expect_close().await, 1008);
    let file_only = chatify(&config, &live("root", "delete-user", "bob"), "", &as_root).await;
    assert_eq!(file_only.status.code(), Some(2));
}
