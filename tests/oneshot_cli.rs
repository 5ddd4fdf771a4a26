//! The one-shot tools through the real binary (`env!("CARGO_BIN_EXE_chatify")`): `history`,
//! `search` and `rewind` against a database file (`--db`) filled through the store API and
//! against a real server on 127.0.0.1:0 (saved session, password, sealed channels and DMs
//! decrypted locally); JSON Lines shape, exit codes 0/1/2, a closed stdout pipe; and
//! `chatify migrate` on databases of every older schema version, newer ones and foreign files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use chatify::client::keys;
use chatify::crypto::{self, ChannelKeys, Identity};
use chatify::proto::{self, ChannelMode};
use chatify::store::{AppendOp, NewChannel, Store, StoreOptions, migrations};
use serde_json::Value;

/// Longest a CLI run may take before the test fails.
const CLI_TIMEOUT: Duration = Duration::from_secs(60);
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const PASSPHRASE: &str = "correct horse battery staple";

// ---------------------------------------------------------------------------------------------
// Running the binary

/// A `chatify` invocation with a clean environment: its own config dir, no colour, no stdin.
struct Cli {
    command: tokio::process::Command,
}

impl Cli {
    fn new(config_dir: &Path) -> Cli {
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
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        Cli { command }
    }

    fn args<I, S>(mut self, args: I) -> Cli
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    fn env(mut self, name: &str, value: impl AsRef<std::ffi::OsStr>) -> Cli {
        self.command.env(name, value);
        self
    }

    async fn run(mut self) -> Run {
        let output = tokio::time::timeout(CLI_TIMEOUT, self.command.output())
            .await
            .expect("chatify finished in time")
            .expect("chatify started");
        Run(output)
    }
}

/// The outcome of one run.
struct Run(Output);

impl Run {
    fn code(&self) -> i32 {
        self.0.status.code().expect("exited normally")
    }
    fn stdout(&self) -> String {
        String::from_utf8(self.0.stdout.clone()).expect("UTF-8 stdout")
    }
    fn stderr(&self) -> String {
        String::from_utf8(self.0.stderr.clone()).expect("UTF-8 stderr")
    }
    fn lines(&self) -> Vec<String> {
        self.stdout().lines().map(str::to_string).collect()
    }
    /// Exit 0, and the JSON objects of stdout.
    fn json(&self) -> Vec<Value> {
        assert_eq!(self.code(), 0, "stderr: {}", self.stderr());
        self.lines()
            .iter()
            .map(|line| serde_json::from_str(line).expect("each line is JSON"))
            .collect()
    }
    fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code(),
            code,
            "stdout: {}\nstderr: {}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}

fn texts(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["text"].as_str().unwrap_or("<null>").to_string())
        .collect()
}

fn now_ms() -> i64 {
    chatify::timespec::now_ms()
}

// ---------------------------------------------------------------------------------------------
// Databases filled through the store API

/// A temp dir with a database file and a config dir for the CLI.
struct DbFixture {
    dir: tempfile::TempDir,
    path: PathBuf,
    store: Store,
    clock: std::sync::Arc<std::sync::atomic::AtomicI64>,
    alice: Identity,
    bob: Identity,
    vault_keys: Option<ChannelKeys>,
}

impl DbFixture {
    /// Users alice and bob (with identity keys) in `general`; the clock at `start_ms`.
    async fn new(start_ms: i64) -> DbFixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("chat.db");
        let clock = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(start_ms));
        let seen = clock.clone();
        let options = StoreOptions {
            clock: Some(std::sync::Arc::new(move || {
                seen.load(std::sync::atomic::Ordering::SeqCst)
            })),
            ..StoreOptions::default()
        };
        let store = Store::open(&path, options).expect("open store");
        let (alice, bob) = (Identity::generate(), Identity::generate());
        for (name, identity) in [("alice", &alice), ("bob", &bob)] {
            store
                .create_account(name, "$argon2id$unused", Some(&identity.public_b64()), start_ms)
                .await
                .expect("account");
        }
        DbFixture {
            dir,
            path,
            store,
            clock,
            alice,
            bob,
            vault_keys: None,
        }
    }

    fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    fn cli(&self) -> Cli {
        Cli::new(&self.config_dir())
    }

    fn set_time(&self, ms: i64) {
        self.clock.store(ms, std::sync::atomic::Ordering::SeqCst);
    }

    async fn say(&self, channel: &str, sender: &str, text: &str) -> i64 {
        self.append(AppendOp::Msg {
            channel: channel.into(),
            sender: sender.into(),
            c: text.into(),
            enc: None,
            idx: Vec::new(),
            reply_to: None,
        })
        .await
    }

    async fn append(&self, op: AppendOp) -> i64 {
        self.store.append_wait(op).await.expect("append").id
    }

    /// Creates sealed channel `vault` (test-weak KDF) with alice as a member.
    async fn create_vault(&mut self) {
        let (create, root) = keys::new_sealed_channel(PASSPHRASE, true).expect("new channel");
        self.store
            .create_channel(NewChannel {
                name: "vault".into(),
                mode: ChannelMode::Sealed,
                salt: create.salt,
                kdf: create.kdf,
                kcv: create.kcv,
                creator: "alice".into(),
                now_ms: now_ms(),
            })
            .await
            .expect("channel");
        self.store
            .add_member("vault", "alice", now_ms())
            .await
            .expect("member");
        self.vault_keys = Some(ChannelKeys::from_root(&root));
    }

    async fn say_sealed(&self, sender: &str, text: &str) -> i64 {
        let keys = self.vault_keys.as_ref().expect("vault created");
        let c = crypto::seal(&keys.message, "#vault", sender, "msg", text);
        self.append(AppendOp::Msg {
            channel: "vault".into(),
            sender: sender.into(),
            c,
            enc: Some(proto::ENC_XC20P1.into()),
            idx: crypto::blind_tokens(&keys.search, text),
            reply_to: None,
        })
        .await
    }

    async fn edit_sealed(&self, sender: &str, target: i64, text: &str) {
        let keys = self.vault_keys.as_ref().expect("vault created");
        let kind = format!("edit:{target}");
        let c = crypto::seal(&keys.message, "#vault", sender, &kind, text);
        self.append(AppendOp::Edit {
            channel: "vault".into(),
            sender: sender.into(),
            target,
            c,
            enc: Some(proto::ENC_XC20P1.into()),
            idx: Some(crypto::blind_tokens(&keys.search, text)),
        })
        .await;
    }

    async fn dm(&self, from: &str, to: &str, text: &str) -> i64 {
        let (mine, theirs) = match from {
            "alice" => (&self.alice, &self.bob),
            _ => (&self.bob, &self.alice),
        };
        let key = mine.dm_key(&theirs.public).expect("dm key");
        let c = crypto::seal(&key, &proto::dm_scope(from, to), from, "dm", text);
        self.append(AppendOp::Dm {
            from: from.into(),
            to: to.into(),
            c,
            enc: proto::ENC_XC20P1.into(),
        })
        .await
    }

    /// Appends `count` messages to `channel` concurrently (group commit makes it fast).
    async fn fill(&self, channel: &str, count: usize) {
        let appends = (0..count).map(|n| {
            self.store.append_wait(AppendOp::Msg {
                channel: channel.into(),
                sender: if n % 2 == 0 { "alice" } else { "bob" }.into(),
                c: format!("filler message number {n} about deploys and rollbacks"),
                enc: None,
                idx: Vec::new(),
                reply_to: None,
            })
        });
        for result in futures_util::future::join_all(appends).await {
            result.expect("append");
        }
    }

    fn db(&self) -> &str {
        self.path.to_str().expect("UTF-8 temp path")
    }
}

/// A small open-channel conversation: times now-3h, now-2h, now-30m; an edit, a deletion, a
/// reaction and a reply. Returns the ids (hello, doomed, fixed, reply).
async fn small_conversation(fixture: &DbFixture) -> [i64; 4] {
    let now = now_ms();
    fixture.set_time(now - 3 * HOUR);
    let hello = fixture.say("general", "alice", "hello world").await;
    let doomed = fixture.say("general", "bob", "a doomed message").await;
    fixture.set_time(now - 2 * HOUR);
    let fixed = fixture.say("general", "bob", "deploy failed on node 3").await;
    fixture
        .append(AppendOp::Edit {
            channel: "general".into(),
            sender: "bob".into(),
            target: fixed,
            c: "deploy failed on node 4".into(),
            enc: None,
            idx: None,
        })
        .await;
    fixture
        .append(AppendOp::Delete {
            channel: "general".into(),
            sender: "bob".into(),
            target: doomed,
        })
        .await;
    fixture.set_time(now - 30 * MINUTE);
    let reply = fixture
        .append(AppendOp::Msg {
            channel: "general".into(),
            sender: "alice".into(),
            c: "rolling back the deploy now".into(),
            enc: None,
            idx: Vec::new(),
            reply_to: Some(fixed),
        })
        .await;
    fixture
        .append(AppendOp::React {
            channel: "general".into(),
            sender: "bob".into(),
            target: reply,
            emoji: "👍".into(),
            on: true,
        })
        .await;
    [hello, doomed, fixed, reply]
}

// ---------------------------------------------------------------------------------------------
// --db: history

#[tokio::test]
async fn db_history_prints_the_timeline_with_marks_and_json_lines_with_stable_fields() {
    let fixture = DbFixture::new(now_ms()).await;
    let [hello, doomed, fixed, reply] = small_conversation(&fixture).await;

    let run = fixture.cli().args(["history", "#general", "--db", fixture.db()]).run().await;
    run.assert_code(0);
    let out = run.stdout();
    assert!(out.contains(&format!("#general <alice> hello world [{hello}]")), "{out}");
    assert!(out.contains(&format!("(message deleted) [{doomed}]")), "{out}");
    assert!(out.contains(&format!("deploy failed on node 4 (edited) [{fixed}]")), "{out}");
    assert!(out.contains("↪ bob: \"deploy failed on node 4\""), "{out}");
    assert!(out.contains(&format!("rolling back the deploy now 👍 1 [{reply}]")), "{out}");
    assert!(out.lines().next().unwrap_or_default().starts_with("────"), "day separator first: {out}");
    assert!(!out.contains('\u{1b}'), "no colour when not a terminal: {out:?}");

    let records = fixture
        .cli()
        .args(["history", "general", "--json", "--db", fixture.db()])
        .run()
        .await
        .json();
    assert_eq!(records.len(), 4);
    let expected_keys: BTreeSet<&str> = [
        "id", "seq", "ch", "u", "ts", "ts_iso", "text", "edited", "deleted", "reply_to", "reacts",
        "sealed", "undecryptable",
    ]
    .into();
    for record in &records {
        let keys: BTreeSet<&str> = record.as_object().expect("object").keys().map(|k| k.as_str()).collect();
        assert_eq!(keys, expected_keys, "{record}");
        assert_eq!(record["ch"], "general");
        assert_eq!(record["sealed"], false);
        let ts = record["ts"].as_i64().expect("ts");
        let iso = chrono::DateTime::parse_from_rfc3339(record["ts_iso"].as_str().expect("iso"))
            .expect("RFC 3339");
        assert_eq!(iso.timestamp_millis(), ts);
        assert!(record["ts_iso"].as_str().expect("iso").ends_with('Z'));
    }
    assert_eq!(texts(&records), ["hello world", "<null>", "deploy failed on node 4", "rolling back the deploy now"]);
    assert_eq!(records[0]["id"], hello);
    assert_eq!(records[0]["u"], "alice");
    assert_eq!(records[0]["seq"], 1);
    assert_eq!(records[1]["deleted"], true);
    assert!(records[2]["edited"].is_i64());
    assert!(records[0]["edited"].is_null());
    assert_eq!(records[3]["reply_to"], fixed);
    assert_eq!(records[3]["reacts"], serde_json::json!({"👍": ["bob"]}));
    assert_eq!(records[0]["reacts"], serde_json::json!({}));
    let seqs: Vec<i64> = records.iter().map(|r| r["seq"].as_i64().expect("seq")).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "oldest first: {seqs:?}");
}

#[tokio::test]
async fn db_history_filters_by_time_author_and_limit() {
    let fixture = DbFixture::new(now_ms()).await;
    small_conversation(&fixture).await;
    let db = fixture.db();
    let history = |extra: &[&str]| {
        let mut args = vec!["history", "#general", "--json", "--db", db];
        args.extend_from_slice(extra);
        fixture.cli().args(args).run()
    };

    let last_hour = history(&["--since", "1h"]).await.json();
    assert_eq!(texts(&last_hour), ["rolling back the deploy now"]);
    let window = history(&["--since", "150m", "--until", "1h"]).await.json();
    assert_eq!(texts(&window), ["deploy failed on node 4"]);
    let older = history(&["--until", "150m"]).await.json();
    assert_eq!(older.len(), 2, "hello and the deleted one");

    // RFC 3339 and local wall-clock forms (the CLI runs with TZ=UTC).
    let cut = chrono::DateTime::from_timestamp_millis(now_ms() - 150 * MINUTE).expect("time");
    let rfc = cut.to_rfc3339();
    assert_eq!(history(&["--since", &rfc]).await.json().len(), 2);
    let wall = cut.format("%Y-%m-%d %H:%M").to_string();
    assert_eq!(history(&["--since", &wall]).await.json().len(), 2);

    let bobs = history(&["--from", "BOB"]).await.json();
    assert_eq!(bobs.len(), 2);
    assert!(bobs.iter().all(|r| r["u"] == "bob"));

    let limited = history(&["--limit", "2"]).await;
    let records = limited.json();
    assert_eq!(texts(&records), ["deploy failed on node 4", "rolling back the deploy now"]);
    assert!(limited.stderr().contains("older messages exist"), "{}", limited.stderr());
    let short = fixture.cli().args(["history", "#general", "-n", "1", "--db", db]).run().await;
    assert_eq!(short.assert_code(0).lines().len(), 2, "separator and one message");
}

#[tokio::test]
async fn db_exit_codes_are_0_found_1_nothing_2_error() {
    let fixture = DbFixture::new(now_ms()).await;
    small_conversation(&fixture).await;
    let db = fixture.db();

    let nothing = fixture
        .cli()
        .args(["history", "#general", "--from", "carol", "--db", db])
        .run()
        .await;
    nothing.assert_code(1);
    assert_eq!(nothing.stdout(), "");
    assert!(nothing.stderr().contains("no messages"), "{}", nothing.stderr());
    let nothing_json = fixture
        .cli()
        .args(["history", "#general", "--since", "1m", "--json", "--db", db])
        .run()
        .await;
    nothing_json.assert_code(1);
    assert_eq!(nothing_json.stdout(), "");
    fixture
        .cli()
        .args(["search", "#general", "zebra", "--db", db])
        .run()
        .await
        .assert_code(1);

    let missing_dir = fixture.dir.path().join("nope.db");
    let errors: Vec<Vec<&str>> = vec![
        vec!["history", "#no such", "--db", db],
        vec!["history", "#nochannel", "--db", db],
        vec!["history", "#general", "--since", "yesterday", "--db", db],
        vec!["history", "#general", "--since", "1h", "--until", "2h", "--db", db],
        vec!["history", "#general", "--limit", "0", "--db", db],
        vec!["history", "#general", "--as", "alice"],
        vec!["history", "#general", "--db", missing_dir.to_str().expect("path")],
        vec!["search", "@bob", "hi", "--db", db],
        vec!["rewind", "#general", "--db", db],
        vec!["rewind", "#general", "--at", "soon", "--db", db],
        vec!["history", "#general"],
    ];
    for args in errors {
        let run = fixture.cli().args(&args).run().await;
        assert_eq!(run.code(), 2, "{args:?}: {}", run.stderr());
        assert_eq!(run.stdout(), "", "{args:?}");
        assert!(!run.stderr().is_empty(), "{args:?} explains itself");
        assert!(!run.stderr().contains("panicked"), "{args:?}: {}", run.stderr());
    }
    let no_user = fixture.cli().args(["history", "#general"]).run().await;
    assert!(no_user.stderr().contains("--user"), "{}", no_user.stderr());
    let missing = fixture
        .cli()
        .args(["history", "#general", "--db", missing_dir.to_str().expect("path")])
        .run()
        .await;
    assert!(missing.stderr().contains("no chatify database"), "{}", missing.stderr());
    assert!(!missing_dir.exists(), "a read never creates a database");
}
