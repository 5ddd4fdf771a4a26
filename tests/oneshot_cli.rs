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

    fn arg_path(mut self, path: &Path) -> Cli {
        self.command.arg(path);
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
                .create_account(
                    name,
                    "$argon2id$unused",
                    Some(&identity.public_b64()),
                    start_ms,
                )
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
    let fixed = fixture
        .say("general", "bob", "deploy failed on node 3")
        .await;
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

    let run = fixture
        .cli()
        .args(["history", "#general", "--db", fixture.db()])
        .run()
        .await;
    run.assert_code(0);
    let out = run.stdout();
    assert!(
        out.contains(&format!("#general <alice> hello world [{hello}]")),
        "{out}"
    );
    assert!(
        out.contains(&format!("(message deleted) [{doomed}]")),
        "{out}"
    );
    assert!(
        out.contains(&format!("deploy failed on node 4 (edited) [{fixed}]")),
        "{out}"
    );
    assert!(out.contains("↪ bob: \"deploy failed on node 4\""), "{out}");
    assert!(
        out.contains(&format!("rolling back the deploy now 👍 1 [{reply}]")),
        "{out}"
    );
    assert!(
        out.lines().next().unwrap_or_default().starts_with("────"),
        "day separator first: {out}"
    );
    assert!(
        !out.contains('\u{1b}'),
        "no colour when not a terminal: {out:?}"
    );

    let records = fixture
        .cli()
        .args(["history", "general", "--json", "--db", fixture.db()])
        .run()
        .await
        .json();
    assert_eq!(records.len(), 4);
    let expected_keys: BTreeSet<&str> = [
        "id",
        "seq",
        "ch",
        "u",
        "ts",
        "ts_iso",
        "text",
        "edited",
        "deleted",
        "reply_to",
        "reacts",
        "sealed",
        "undecryptable",
    ]
    .into();
    for record in &records {
        let keys: BTreeSet<&str> = record
            .as_object()
            .expect("object")
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(keys, expected_keys, "{record}");
        assert_eq!(record["ch"], "general");
        assert_eq!(record["sealed"], false);
        let ts = record["ts"].as_i64().expect("ts");
        let iso = chrono::DateTime::parse_from_rfc3339(record["ts_iso"].as_str().expect("iso"))
            .expect("RFC 3339");
        assert_eq!(iso.timestamp_millis(), ts);
        assert!(record["ts_iso"].as_str().expect("iso").ends_with('Z'));
    }
    assert_eq!(
        texts(&records),
        [
            "hello world",
            "<null>",
            "deploy failed on node 4",
            "rolling back the deploy now"
        ]
    );
    assert_eq!(records[0]["id"], hello);
    assert_eq!(records[0]["u"], "alice");
    assert_eq!(records[0]["seq"], 1);
    assert_eq!(records[1]["deleted"], true);
    assert!(records[2]["edited"].is_i64());
    assert!(records[0]["edited"].is_null());
    assert_eq!(records[3]["reply_to"], fixed);
    assert_eq!(records[3]["reacts"], serde_json::json!({"👍": ["bob"]}));
    assert_eq!(records[0]["reacts"], serde_json::json!({}));
    let seqs: Vec<i64> = records
        .iter()
        .map(|r| r["seq"].as_i64().expect("seq"))
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "oldest first: {seqs:?}"
    );
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
    assert_eq!(
        texts(&records),
        ["deploy failed on node 4", "rolling back the deploy now"]
    );
    assert!(
        limited.stderr().contains("older messages exist"),
        "{}",
        limited.stderr()
    );
    let short = fixture
        .cli()
        .args(["history", "#general", "-n", "1", "--db", db])
        .run()
        .await;
    assert_eq!(
        short.assert_code(0).lines().len(),
        2,
        "separator and one message"
    );
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
    assert!(
        nothing.stderr().contains("no messages"),
        "{}",
        nothing.stderr()
    );
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
        vec![
            "history", "#general", "--since", "1h", "--until", "2h", "--db", db,
        ],
        vec!["history", "#general", "--limit", "0", "--db", db],
        vec!["history", "#general", "--as", "alice"],
        vec![
            "history",
            "#general",
            "--db",
            missing_dir.to_str().expect("path"),
        ],
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
        assert!(
            !run.stderr().contains("panicked"),
            "{args:?}: {}",
            run.stderr()
        );
    }
    let no_user = fixture.cli().args(["history", "#general"]).run().await;
    assert!(no_user.stderr().contains("--user"), "{}", no_user.stderr());
    let missing = fixture
        .cli()
        .args([
            "history",
            "#general",
            "--db",
            missing_dir.to_str().expect("path"),
        ])
        .run()
        .await;
    assert!(
        missing.stderr().contains("no chatify database"),
        "{}",
        missing.stderr()
    );
    assert!(!missing_dir.exists(), "a read never creates a database");
}

// ---------------------------------------------------------------------------------------------
// --db: sealed channels, DMs, search, rewind, depth, broken pipe

#[tokio::test]
async fn db_sealed_channel_is_decrypted_with_the_passphrase_or_shown_undecryptable() {
    let mut fixture = DbFixture::new(now_ms()).await;
    fixture.create_vault().await;
    let first = fixture.say_sealed("alice", "the vault code is 1234").await;
    fixture
        .edit_sealed("alice", first, "the vault code is 5678")
        .await;
    fixture.say_sealed("alice", "rotate the deploy keys").await;
    let db = fixture.db();
    let passphrase_file = fixture.dir.path().join("passphrase.txt");
    std::fs::write(&passphrase_file, format!("{PASSPHRASE}\n")).expect("passphrase file");

    let by_env = fixture
        .cli()
        .args(["history", "#vault", "--json", "--db", db])
        .env("CHATIFY_PASSPHRASE", PASSPHRASE)
        .env(keys::WEAK_KDF_TEST_ENV, "1")
        .run()
        .await
        .json();
    assert_eq!(
        texts(&by_env),
        ["the vault code is 5678", "rotate the deploy keys"]
    );
    assert!(
        by_env
            .iter()
            .all(|r| r["sealed"] == true && r["undecryptable"].is_null())
    );
    assert!(by_env[0]["edited"].is_i64());

    let by_file = fixture
        .cli()
        .args(["history", "#vault", "--db", db, "--passphrase-file"])
        .arg_path(&passphrase_file)
        .env(keys::WEAK_KDF_TEST_ENV, "1")
        .run()
        .await;
    let out = by_file.assert_code(0).stdout();
    assert!(
        out.contains("🔒#vault <alice> the vault code is 5678 (edited)"),
        "{out}"
    );

    // No passphrase and no terminal to ask on: shown as undecryptable, with a note.
    let without = fixture
        .cli()
        .args(["history", "#vault", "--json", "--db", db])
        .env(keys::WEAK_KDF_TEST_ENV, "1")
        .run()
        .await;
    let records = without.json();
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r["text"].is_null()));
    assert_eq!(records[0]["undecryptable"], "no key for #vault");
    assert!(
        without.stderr().contains("CHATIFY_PASSPHRASE"),
        "{}",
        without.stderr()
    );

    let wrong = fixture
        .cli()
        .args(["history", "#vault", "--db", db])
        .env("CHATIFY_PASSPHRASE", "not the passphrase")
        .env(keys::WEAK_KDF_TEST_ENV, "1")
        .run()
        .await;
    wrong.assert_code(2);
    assert!(
        wrong.stderr().contains("wrong passphrase"),
        "{}",
        wrong.stderr()
    );

    // Sealed search: blind tokens from the query words; the old text no longer matches.
    let search = |words: &'static str| {
        fixture
            .cli()
            .args(["search", "#vault", words, "--json", "--db", db])
            .env("CHATIFY_PASSPHRASE", PASSPHRASE)
            .env(keys::WEAK_KDF_TEST_ENV, "1")
            .run()
    };
    assert_eq!(
        texts(&search("VAULT code").await.json()),
        ["the vault code is 5678"]
    );
    assert_eq!(
        texts(&search("deploy").await.json()),
        ["rotate the deploy keys"]
    );
    search("1234").await.assert_code(1);
    let none = search("a").await;
    none.assert_code(2);
    assert!(
        none.stderr().contains("no searchable words"),
        "{}",
        none.stderr()
    );
    let locked = fixture
        .cli()
        .args(["search", "#vault", "deploy", "--db", db])
        .run()
        .await;
    locked.assert_code(2);
    assert!(
        locked.stderr().contains("no key for #vault"),
        "{}",
        locked.stderr()
    );
}

#[tokio::test]
async fn db_dms_need_as_and_the_identity_key() {
    let fixture = DbFixture::new(now_ms()).await;
    fixture.dm("alice", "bob", "psst, bob").await;
    fixture.dm("bob", "alice", "yes alice?").await;
    let db = fixture.db();
    let key_file = fixture.dir.path().join("alice.key");
    fixture.alice.save(&key_file).expect("save key");

    let run = fixture
        .cli()
        .args([
            "history", "@bob", "--json", "--as", "alice", "--db", db, "--key",
        ])
        .arg_path(&key_file)
        .run()
        .await;
    let records = run.json();
    assert_eq!(texts(&records), ["psst, bob", "yes alice?"]);
    for record in &records {
        assert_eq!(record["dm"], "bob");
        assert!(record.get("ch").is_none());
        assert!(record["seq"].is_null());
        assert_eq!(record["sealed"], true);
    }
    assert_eq!(records[1]["u"], "bob");

    // The key through CHATIFY_KEY_FILE, and a human timeline.
    let human = fixture
        .cli()
        .args(["history", "@bob", "--as", "alice", "--db", db])
        .env("CHATIFY_KEY_FILE", &key_file)
        .run()
        .await;
    assert!(
        human
            .assert_code(0)
            .stdout()
            .contains("🔒@bob <bob> >> yes alice?"),
        "{}",
        human.stdout()
    );

    let no_as = fixture
        .cli()
        .args(["history", "@bob", "--db", db])
        .run()
        .await;
    no_as.assert_code(2);
    assert!(no_as.stderr().contains("--as"), "{}", no_as.stderr());

    // Without the key file: printed as undecryptable, with a clear note.
    let keyless = fixture
        .cli()
        .args(["history", "@bob", "--json", "--as", "alice", "--db", db])
        .run()
        .await;
    let records = keyless.json();
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r["text"].is_null()));
    assert!(
        keyless.stderr().contains("no identity key for alice"),
        "{}",
        keyless.stderr()
    );

    // bob's key is not alice's.
    let bob_key = fixture.dir.path().join("bob.key");
    fixture.bob.save(&bob_key).expect("save key");
    let mismatched = fixture
        .cli()
        .args([
            "history", "@bob", "--json", "--as", "alice", "--db", db, "--key",
        ])
        .arg_path(&bob_key)
        .run()
        .await;
    assert!(mismatched.json().iter().all(|r| r["text"].is_null()));
    assert!(
        mismatched.stderr().contains("is not alice's"),
        "{}",
        mismatched.stderr()
    );
}

#[tokio::test]
async fn db_search_supports_words_prefixes_phrases_sort_and_filters() {
    let fixture = DbFixture::new(now_ms()).await;
    small_conversation(&fixture).await;
    fixture.set_time(now_ms() - 10 * MINUTE);
    fixture
        .say("general", "carol_is_not_here", "deploy failed again")
        .await;
    let db = fixture.db();
    let search = |args: &[&str]| {
        let mut all = vec!["search", "#general"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--json", "--db", db]);
        fixture.cli().args(all).run()
    };

    let words = search(&["deploy", "failed"]).await.json();
    assert_eq!(words.len(), 2);
    let newest = search(&["deploy failed", "--sort", "newest"]).await.json();
    assert_eq!(
        texts(&newest),
        ["deploy failed again", "deploy failed on node 4"]
    );
    let prefix = search(&["roll*"]).await.json();
    assert_eq!(texts(&prefix), ["rolling back the deploy now"]);
    let phrase = search(&["\"failed on node\""]).await.json();
    assert_eq!(texts(&phrase), ["deploy failed on node 4"]);
    search(&["\"node failed\""]).await.assert_code(1);
    let by_bob = search(&["deploy", "--from", "bob"]).await.json();
    assert_eq!(texts(&by_bob), ["deploy failed on node 4"]);
    let recent = search(&["deploy", "--since", "1h", "--sort", "newest"])
        .await
        .json();
    assert_eq!(
        texts(&recent),
        ["deploy failed again", "rolling back the deploy now"]
    );
    let old = search(&["deploy", "--until", "1h"]).await.json();
    assert_eq!(texts(&old), ["deploy failed on node 4"]);
    let one = search(&["deploy", "--limit", "1", "--sort", "newest"])
        .await
        .json();
    assert_eq!(texts(&one), ["deploy failed again"]);
    // The edited-away text is not found; the deleted message is never found.
    search(&["node 3"]).await.assert_code(1);
    search(&["doomed"]).await.assert_code(1);
    search(&["deploy", "--limit", "501"]).await.assert_code(2);
    let ranked = fixture
        .cli()
        .args(["search", "#general", "deploy", "--sort", "rank", "--db", db])
        .run()
        .await;
    assert!(
        ranked
            .assert_code(0)
            .stdout()
            .contains("<bob> deploy failed on node 4")
    );
}

#[tokio::test]
async fn db_rewind_shows_the_channel_as_it_stood() {
    let fixture = DbFixture::new(now_ms()).await;
    let now = now_ms();
    fixture.set_time(now - 3 * HOUR);
    let first = fixture.say("general", "alice", "original words").await;
    let second = fixture.say("general", "bob", "still here then").await;
    fixture.set_time(now - HOUR);
    fixture
        .append(AppendOp::Edit {
            channel: "general".into(),
            sender: "alice".into(),
            target: first,
            c: "rewritten words".into(),
            enc: None,
            idx: None,
        })
        .await;
    fixture
        .append(AppendOp::Delete {
            channel: "general".into(),
            sender: "bob".into(),
            target: second,
        })
        .await;
    fixture.say("general", "alice", "a later message").await;
    let db = fixture.db();
    let rewind = |args: &[&str]| {
        let mut all = vec!["rewind", "#general"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--db", db]);
        fixture.cli().args(all).run()
    };

    let then = rewind(&["--at", "2h", "--json"]).await.json();
    assert_eq!(texts(&then), ["original words", "still here then"]);
    assert!(
        then.iter()
            .all(|r| r["deleted"] == false && r["edited"].is_null())
    );
    let at = chrono::DateTime::from_timestamp_millis(now - 2 * HOUR).expect("time");
    let rfc = rewind(&["--at", &at.to_rfc3339(), "--json"]).await.json();
    assert_eq!(texts(&rfc), texts(&then));
    let wall = at.format("%Y-%m-%d %H:%M").to_string();
    let human = rewind(&["--at", &wall]).await;
    let out = human.assert_code(0).stdout();
    assert!(out.starts_with("-- #general as it stood at"), "{out}");
    assert!(out.contains("<alice> original words"), "{out}");
    assert!(!out.contains("later"), "{out}");

    let current = rewind(&["--at", "now", "--json"]).await.json();
    assert_eq!(
        texts(&current),
        ["rewritten words", "<null>", "a later message"]
    );
    let one = rewind(&["--at", "now", "--limit", "1", "--json"])
        .await
        .json();
    assert_eq!(texts(&one), ["a later message"]);
    let bobs = rewind(&["--at", "2h", "--from", "bob", "--json"])
        .await
        .json();
    assert_eq!(texts(&bobs), ["still here then"]);
    rewind(&["--at", "4h"]).await.assert_code(1);
    rewind(&["--at", "now", "--limit", "501"])
        .await
        .assert_code(2);
}

#[tokio::test]
async fn db_history_pages_through_a_database_thousands_of_events_deep() {
    let fixture = DbFixture::new(now_ms()).await;
    fixture.fill("general", 5000).await;
    let db = fixture.db();

    let run = fixture
        .cli()
        .args([
            "history", "#general", "--limit", "1200", "--json", "--db", db,
        ])
        .run()
        .await;
    let records = run.json();
    assert_eq!(records.len(), 1200);
    let seqs: Vec<i64> = records
        .iter()
        .map(|r| r["seq"].as_i64().expect("seq"))
        .collect();
    assert_eq!(
        seqs,
        (3801..=5000).collect::<Vec<_>>(),
        "gap-free, oldest first, newest last"
    );
    assert!(run.stderr().contains("older messages exist"));

    let all = fixture
        .cli()
        .args([
            "history", "#general", "--limit", "100000", "--json", "--db", db,
        ])
        .run()
        .await;
    assert_eq!(all.json().len(), 5000);
    assert_eq!(all.stderr(), "", "nothing older: no note");

    let bobs = fixture
        .cli()
        .args([
            "history", "#general", "--from", "bob", "-n", "700", "--json", "--db", db,
        ])
        .run()
        .await
        .json();
    assert_eq!(bobs.len(), 700);
    assert!(bobs.iter().all(|r| r["u"] == "bob"));
    let found = fixture
        .cli()
        .args(["search", "#general", "number 4321", "--json", "--db", db])
        .run()
        .await
        .json();
    assert_eq!(
        texts(&found)[0],
        "filler message number 4321 about deploys and rollbacks"
    );
    let rewound = fixture
        .cli()
        .args([
            "rewind", "#general", "--at", "now", "-n", "500", "--json", "--db", db,
        ])
        .run()
        .await
        .json();
    assert_eq!(rewound.len(), 500);
    assert_eq!(rewound[499]["seq"], 5000);
}

#[tokio::test]
async fn a_closed_stdout_pipe_ends_quietly_with_status_0() {
    use tokio::io::AsyncBufReadExt;
    let fixture = DbFixture::new(now_ms()).await;
    fixture.fill("general", 3000).await;
    for json in [false, true] {
        let mut cli = fixture.cli().args([
            "history",
            "#general",
            "--limit",
            "3000",
            "--db",
            fixture.db(),
        ]);
        if json {
            cli = cli.args(["--json"]);
        }
        let mut child = cli.command.spawn().expect("spawn");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let first = tokio::time::timeout(CLI_TIMEOUT, lines.next_line())
            .await
            .expect("a line in time")
            .expect("read")
            .expect("one line");
        assert!(!first.is_empty());
        drop(lines); // closes the pipe with ~200 KiB still to write
        let output = tokio::time::timeout(CLI_TIMEOUT, child.wait_with_output())
            .await
            .expect("exits in time")
            .expect("wait");
        assert_eq!(output.status.code(), Some(0), "json={json}");
        assert_eq!(String::from_utf8_lossy(&output.stderr), "", "json={json}");
    }
}

// ---------------------------------------------------------------------------------------------
// migrate

/// Rows as a version-1 chatify wrote them (accounts, a channel, messages with an edit and a
/// deletion), inserted with plain SQL because the store API always writes the latest schema.
fn fill_v1(path: &Path) {
    let conn = rusqlite::Connection::open(path).expect("open v1 database");
    conn.execute_batch(
        r#"
        INSERT INTO accounts VALUES ('alice', '$argon2id$a', NULL, 1000), ('Bob', '$argon2id$b', NULL, 1000);
        INSERT INTO channels VALUES ('general', 'open', NULL, NULL, NULL, 'alice', 1000);
        INSERT INTO memberships VALUES ('general', 'alice', 1000), ('general', 'Bob', 1000);
        INSERT INTO events VALUES
            (1, 1764000000000, 'msg', '#general', 1, 'alice', NULL, '{"c":"migrated deploy notes"}'),
            (2, 1764000001000, 'msg', '#general', 2, 'Bob', NULL, '{"c":"doomed words"}'),
            (3, 1764000002000, 'edit', '#general', 3, 'alice', 1, '{"c":"migrated rollback notes"}'),
            (4, 1764000003000, 'delete', '#general', 4, 'Bob', 2, '{}'),
            (5, 1764000004000, 'msg', '#general', 5, 'Bob', NULL, '{"c":"kept through the upgrade"}');
        INSERT INTO messages (id, scope, seq, ts, sender, c, enc, reply_to, edited_ms, deleted, reacts) VALUES
            (1, '#general', 1, 1764000000000, 'alice', 'migrated rollback notes', NULL, NULL, 1764000002000, 0, NULL),
            (2, '#general', 2, 1764000001000, 'Bob', NULL, NULL, NULL, NULL, 1, NULL),
            (5, '#general', 5, 1764000004000, 'Bob', 'kept through the upgrade', NULL, NULL, NULL, 0, NULL);
        "#,
    )
    .expect("v1 rows");
}

/// A database at `version` with rows in it.
fn old_database(dir: &Path, version: u32) -> PathBuf {
    let path = dir.join(format!("v{version}.db"));
    migrations::create_at_version(&path, version).expect("old database");
    fill_v1(&path);
    path
}

fn backups_of(path: &Path) -> Vec<PathBuf> {
    let name = path
        .file_name()
        .expect("file name")
        .to_string_lossy()
        .to_string();
    let mut found: Vec<PathBuf> = std::fs::read_dir(path.parent().expect("parent"))
        .expect("list dir")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&format!("{name}.backup-v")))
        })
        .collect();
    found.sort();
    found
}

#[tokio::test]
async fn migrate_upgrades_every_older_version_after_a_backup_keeping_the_data() {
    let target = migrations::SCHEMA_VERSION;
    assert!(
        target >= 2,
        "there is at least one older version to migrate from"
    );
    for version in 1..target {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("config");
        let path = old_database(dir.path(), version);
        let db = path.to_str().expect("UTF-8 path");

        let status = Cli::new(&config)
            .args(["migrate", "--db", db, "--status"])
            .run()
            .await;
        let out = status.assert_code(0).stdout();
        assert!(
            out.contains(&format!("schema version:    {version}\n")),
            "{out}"
        );
        assert!(
            out.contains(&format!("this chatify uses: {target}\n")),
            "{out}"
        );
        assert!(out.contains(&format!("step to v{target}")), "{out}");

        let before = std::fs::read(&path).expect("read");
        let dry = Cli::new(&config)
            .args(["migrate", "--db", db, "--dry-run"])
            .run()
            .await;
        let out = dry.assert_code(0).stdout();
        assert!(
            out.contains(&format!(
                "would migrate {db} from schema version {version} to {target}"
            )),
            "{out}"
        );
        assert!(out.contains("nothing was changed"), "{out}");
        assert_eq!(
            std::fs::read(&path).expect("read"),
            before,
            "dry run leaves the file alone"
        );
        assert!(backups_of(&path).is_empty(), "dry run writes no backup");

        // Before migrating, the read-only tools refuse with a hint.
        let refused = Cli::new(&config)
            .args(["history", "#general", "--db", db])
            .run()
            .await;
        refused.assert_code(2);
        assert!(
            refused.stderr().contains("chatify migrate --db"),
            "{}",
            refused.stderr()
        );

        let run = Cli::new(&config).args(["migrate", "--db", db]).run().await;
        let out = run.assert_code(0).stdout();
        assert!(out.contains("backup written: "), "{out}");
        assert!(
            out.contains(&format!("from schema version {version} to {target}")),
            "{out}"
        );
        let backups = backups_of(&path);
        assert_eq!(backups.len(), 1, "{backups:?}");
        assert!(out.contains(&backups[0].display().to_string()), "{out}");
        let backup_status = migrations::status(&backups[0]).expect("backup is a database");
        assert_eq!(backup_status.current, version, "the backup is the old file");
        assert_eq!(migrations::status(&path).expect("status").current, target);

        // The data survived, and the new indexes were back-filled.
        let records = Cli::new(&config)
            .args(["history", "#general", "--json", "--db", db])
            .run()
            .await
            .json();
        assert_eq!(
            texts(&records),
            [
                "migrated rollback notes",
                "<null>",
                "kept through the upgrade"
            ]
        );
        assert_eq!(records[1]["deleted"], true);
        let found = Cli::new(&config)
            .args(["search", "#general", "rollback", "--json", "--db", db])
            .run()
            .await
            .json();
        assert_eq!(texts(&found), ["migrated rollback notes"]);

        let again = Cli::new(&config).args(["migrate", "--db", db]).run().await;
        assert!(
            again.assert_code(0).stdout().contains("already up to date"),
            "{}",
            again.stdout()
        );
        assert_eq!(backups_of(&path).len(), 1, "nothing to do: no new backup");
        let status = Cli::new(&config)
            .args(["migrate", "--db", db, "--status"])
            .run()
            .await;
        assert!(status.assert_code(0).stdout().contains("up to date"));
    }
}

#[tokio::test]
async fn migrate_finds_the_database_through_chatify_db_and_handles_an_empty_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = old_database(dir.path(), 1);
    let run = Cli::new(&dir.path().join("config"))
        .args(["migrate", "--status"])
        .env("CHATIFY_DB", &path)
        .run()
        .await;
    assert!(
        run.assert_code(0).stdout().contains("schema version:    1"),
        "{}",
        run.stdout()
    );

    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").expect("empty file");
    let status = Cli::new(&dir.path().join("config"))
        .args(["migrate", "--status", "--db"])
        .arg_path(&empty)
        .run()
        .await;
    assert!(
        status
            .assert_code(0)
            .stdout()
            .contains("0 (empty database)"),
        "{}",
        status.stdout()
    );
    Cli::new(&dir.path().join("config"))
        .args(["migrate", "--db"])
        .arg_path(&empty)
        .run()
        .await
        .assert_code(0);
    assert_eq!(
        migrations::status(&empty).expect("status").current,
        migrations::SCHEMA_VERSION
    );

    let both = Cli::new(&dir.path().join("config"))
        .args(["migrate", "--status", "--dry-run", "--db"])
        .arg_path(&empty)
        .run()
        .await;
    both.assert_code(2);
}

/// Marks a fresh latest-version database as written by a newer chatify.
fn make_newer(path: &Path, newer: u32) {
    let store = Store::open(path, StoreOptions::default()).expect("create");
    store.close();
    drop(store);
    let conn = rusqlite::Connection::open(path).expect("open");
    conn.execute(
        "UPDATE schema_meta SET value = ?1 WHERE key = 'schema_version'",
        [newer.to_string()],
    )
    .expect("bump schema_meta");
    conn.pragma_update(None, "user_version", newer)
        .expect("bump user_version");
    conn.pragma_update(None, "journal_mode", "DELETE")
        .expect("leave WAL");
    drop(conn);
}

fn dir_listing(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("list")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().to_string())
        .collect()
}

#[tokio::test]
async fn migrate_refuses_a_newer_database_and_leaves_it_byte_identical() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let path = data.join("future.db");
    let newer = migrations::SCHEMA_VERSION + 5;
    make_newer(&path, newer);
    let before = std::fs::read(&path).expect("read");
    let listing = dir_listing(&data);
    let expected = format!(
        "database schema version {newer} is newer than this chatify supports ({}); upgrade chatify",
        migrations::SCHEMA_VERSION
    );
    for args in [
        vec!["migrate"],
        vec!["migrate", "--dry-run"],
        vec!["migrate", "--status"],
        vec!["history", "#general"],
    ] {
        let run = Cli::new(&dir.path().join("config"))
            .args(&args)
            .args(["--db"])
            .arg_path(&path)
            .run()
            .await;
        run.assert_code(2);
        assert_eq!(
            run.stderr().trim_end(),
            format!("chatify: {expected}"),
            "{args:?}"
        );
        assert_eq!(
            std::fs::read(&path).expect("read"),
            before,
            "{args:?}: byte-identical"
        );
        assert_eq!(
            dir_listing(&data),
            listing,
            "{args:?}: no backup, WAL or journal files"
        );
    }
}

#[tokio::test]
async fn migrate_explains_files_that_are_not_chatify_databases() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config");
    let text = dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "this is not a database, just a long enough text file to have a header.\n".repeat(3),
    )
    .expect("text file");
    let foreign = dir.path().join("other.sqlite");
    rusqlite::Connection::open(&foreign)
        .and_then(|conn| {
            conn.execute_batch(
                "CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup');",
            )
        })
        .expect("foreign database");
    let cases = [
        (text.clone(), "not an SQLite database"),
        (foreign.clone(), "another program"),
        (dir.path().join("absent.db"), "no chatify database"),
    ];
    for (path, why) in cases {
        let before = std::fs::read(&path).ok();
        let run = Cli::new(&config)
            .args(["migrate", "--db"])
            .arg_path(&path)
            .run()
            .await;
        run.assert_code(2);
        assert!(
            run.stderr().contains(why),
            "{}: {}",
            path.display(),
            run.stderr()
        );
        assert!(!run.stderr().contains("panicked"));
        assert_eq!(
            std::fs::read(&path).ok(),
            before,
            "{} unchanged",
            path.display()
        );
    }
    assert!(backups_of(&text).is_empty() && backups_of(&foreign).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Through a real server

/// `chatify::server::run` on 127.0.0.1:0 with a temp database, in this process.
struct ServerFixture {
    dir: tempfile::TempDir,
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl ServerFixture {
    async fn start() -> ServerFixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let store =
            Store::open(&dir.path().join("chatify.db"), StoreOptions::default()).expect("store");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("ws://{}/", listener.local_addr().expect("address"));
        let config = chatify::server::ServerConfig {
            rate_limit: 0.0,
            ..chatify::server::ServerConfig::default()
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(chatify::server::run(listener, store, config, async move {
            let _ = stopped.await;
        }));
        ServerFixture {
            dir,
            url,
            stop: Some(stop),
            task,
        }
    }

    /// A config dir for a person (sessions, identity, cached keys).
    fn home(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("home-{name}"))
    }

    /// The CLI as `user` (via CHATIFY_SERVER and CHATIFY_USER), with that person's config dir.
    fn cli_as(&self, user: &str) -> Cli {
        Cli::new(&self.home(user))
            .env("CHATIFY_SERVER", &self.url)
            .env("CHATIFY_USER", user)
            .env(keys::WEAK_KDF_TEST_ENV, "1")
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let result = tokio::time::timeout(CLI_TIMEOUT, &mut self.task)
            .await
            .expect("server stops in time")
            .expect("server task does not panic");
        result.expect("server ran cleanly");
    }
}

/// A registered user connected through the client library, with the key ring and session
/// token saved in `server.home(name)` exactly as `chatify connect` leaves them.
struct Person {
    session: chatify::client::session::Session,
    ring: keys::KeyRing,
    _events: chatify::client::session::SessionEvents,
}

impl Person {
    async fn register(server: &ServerFixture, name: &str) -> Person {
        let home = server.home(name);
        let (ring, _) = keys::KeyRing::open(&home, &server.url, name, true).expect("key ring");
        let mut options = chatify::client::session::SessionOptions::new(server.url.clone(), name);
        options.password = Some(zeroize::Zeroizing::new(format!("{name}-password")));
        options.register = true;
        options.public_key = Some(ring.public_key_b64());
        options.config_dir = Some(home);
        options.reconnect = false;
        let (session, events) = chatify::client::session::Session::connect(options)
            .await
            .expect("register");
        Person {
            session,
            ring,
            _events: events,
        }
    }

    async fn request(&self, frame: proto::ClientFrame) -> proto::ServerFrame {
        self.session.request(frame).await.expect("request answered")
    }

    async fn say(&self, channel: &str, text: &str) -> i64 {
        let (c, enc, idx) = if self.ring.has_channel_key(channel) {
            let (c, idx) = self.ring.seal_channel(channel, "msg", text).expect("seal");
            (c, Some(proto::ENC_XC20P1.to_string()), Some(idx))
        } else {
            (text.to_string(), None, None)
        };
        let frame = proto::ClientFrame::Msg {
            ch: channel.into(),
            c,
            enc,
            idx,
            reply_to: None,
        };
        match self.request(frame).await {
            proto::ServerFrame::Ack { id, .. } => id,
            other => panic!("expected an ack, got {other:?}"),
        }
    }

    /// Creates (or joins) sealed channel `channel` with [`PASSPHRASE`], caching its key.
    async fn join_sealed(&mut self, channel: &str) {
        let (create, _) = keys::new_sealed_channel(PASSPHRASE, true).expect("new channel");
        let joined = self
            .request(proto::ClientFrame::Join {
                ch: channel.into(),
                create: Some(create),
            })
            .await;
        let proto::ServerFrame::Joined {
            salt: Some(salt),
            kdf: Some(kdf),
            kcv: Some(kcv),
            ..
        } = joined
        else {
            panic!("expected a sealed joined, got {joined:?}");
        };
        let root = keys::derive_channel_root(
            channel,
            PASSPHRASE,
            &salt,
            &kdf,
            &kcv,
            self.ring.kdf_policy(),
        )
        .expect("derive");
        self.ring
            .install_channel_root(channel, &salt, &kcv, &root)
            .expect("cache key");
    }

    async fn dm(&mut self, peer: &Person, peer_name: &str, text: &str) {
        self.ring
            .learn_peer_key(peer_name, &peer.ring.public_key_b64())
            .expect("peer key");
        let c = self.ring.seal_dm(peer_name, text).expect("seal dm");
        let frame = proto::ClientFrame::Dm {
            to: peer_name.into(),
            c,
            enc: Some(proto::ENC_XC20P1.into()),
        };
        assert!(matches!(
            self.request(frame).await,
            proto::ServerFrame::Ack { .. }
        ));
    }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_login_without_a_saved_session_needs_a_password() {
    let server = ServerFixture::start().await;
    let alice = Person::register(&server, "alice").await;
    alice.say("general", "only for members").await;
    let fresh = server.dir.path().join("fresh-home");
    let cli = || {
        Cli::new(&fresh).args([
            "history",
            "#general",
            "--json",
            "--server",
            server.url.as_str(),
            "--user",
            "alice",
        ])
    };

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

    let password_file = server.dir.path().join("password.txt");
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
    let by_env = Cli::new(&server.dir.path().join("other-home"))
        .args([
            "history",
            "#general",
            "--json",
            "--server",
            server.url.as_str(),
            "--user",
            "alice",
        ])
        .env("CHATIFY_PASSWORD", "alice-password")
        .run()
        .await
        .json();
    assert_eq!(by_env.len(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_sealed_channels_and_dms_are_decrypted_locally() {
    let server = ServerFixture::start().await;
    let mut alice = Person::register(&server, "alice").await;
    let mut bob = Person::register(&server, "bob").await;
    alice.join_sealed("vault").await;
    alice.say("vault", "the launch code is 0000").await;
    alice.say("vault", "rotate the deploy keys").await;
    alice.dm(&bob, "bob", "psst bob").await;
    bob.dm(&alice, "alice", "hi alice").await;

    // alice's key is cached in her config dir: no passphrase needed.
    let records = server
        .cli_as("alice")
        .args(["history", "#vault", "--json"])
        .run()
        .await
        .json();
    assert_eq!(
        texts(&records),
        ["the launch code is 0000", "rotate the deploy keys"]
    );
    assert!(records.iter().all(|r| r["sealed"] == true));
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
        .json();
    assert_eq!(texts(&found), ["rotate the deploy keys"]);
    let rewound = server
        .cli_as("alice")
        .args(["rewind", "#vault", "--at", "now", "--json"])
        .run()
        .await
        .json();
    assert_eq!(rewound.len(), 2);
    assert_eq!(rewound[0]["text"], "the launch code is 0000");

    // The server only ever had ciphertext.
    let raw = Cli::new(&server.home("alice"))
        .args(["history", "#vault", "--json", "--db"])
        .arg_path(&server.dir.path().join("chatify.db"))
        .run()
        .await
        .json();
    assert!(raw.iter().all(|r| r["text"].is_null()), "{raw:?}");

    // bob joins with the passphrase from the environment; the key is cached for later runs.
    let not_yet = server.cli_as("bob").args(["history", "#vault"]).run().await;
    not_yet.assert_code(2);
    assert!(not_yet.stderr().contains("member"), "{}", not_yet.stderr());
    bob.request(proto::ClientFrame::Join {
        ch: "vault".into(),
        create: None,
    })
    .await;
    let locked = server
        .cli_as("bob")
        .args(["history", "#vault", "--json"])
        .run()
        .await;
    assert!(locked.json().iter().all(|r| r["text"].is_null()));
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
    let unlocked = server
        .cli_as("bob")
        .args(["history", "#vault", "--json"])
        .env("CHATIFY_PASSPHRASE", PASSPHRASE)
        .run()
        .await
        .json();
    assert_eq!(
        texts(&unlocked),
        ["the launch code is 0000", "rotate the deploy keys"]
    );
    let cached = server
        .cli_as("bob")
        .args(["search", "#vault", "launch", "--json"])
        .run()
        .await
        .json();
    assert_eq!(texts(&cached), ["the launch code is 0000"]);

    // DMs, decrypted with each side's identity key and the peer's announced key.
    let from_alice = server
        .cli_as("alice")
        .args(["history", "@bob", "--json"])
        .run()
        .await
        .json();
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
        .json();
    assert_eq!(texts(&from_filter), ["hi alice"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_history_pages_past_the_protocol_maximum_for_channels_and_dms() {
    let server = ServerFixture::start().await;
    let mut alice = Person::register(&server, "alice").await;
    let bob = Person::register(&server, "bob").await;
    alice
        .ring
        .learn_peer_key("bob", &bob.ring.public_key_b64())
        .expect("peer key");
    let mut sends = Vec::new();
    for n in 0..650 {
        sends.push(proto::ClientFrame::Msg {
            ch: "general".into(),
            c: format!("message {n}"),
            enc: None,
            idx: None,
            reply_to: None,
        });
        let c = alice.ring.seal_dm("bob", &format!("dm {n}")).expect("seal");
        sends.push(proto::ClientFrame::Dm {
            to: "bob".into(),
            c,
            enc: Some(proto::ENC_XC20P1.into()),
        });
    }
    // Sent concurrently: many DMs share a millisecond, which DM paging must handle.
    let replies =
        futures_util::future::join_all(sends.into_iter().map(|frame| alice.session.request(frame)))
            .await;
    assert!(
        replies
            .iter()
            .all(|reply| matches!(reply, Ok(proto::ServerFrame::Ack { .. })))
    );

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
