//! The `--db` fixture: a temp dir with a database file filled through the store API (users alice
//! and bob with identity keys, open and sealed channels, DMs, a controllable clock) and a config
//! dir for the CLI. Used by the `db_*` case modules and nothing else.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chatify::client::keys;
use chatify::crypto::{self, ChannelKeys, Identity};
use chatify::proto::{self, ChannelMode};
use chatify::store::{AppendOp, NewChannel, Store, StoreOptions};

use crate::{Cli, HOUR, MINUTE, PASSPHRASE, now_ms};

/// A temp dir with a database file and a config dir for the CLI.
pub(crate) struct DbFixture {
    pub(crate) dir: tempfile::TempDir,
    path: PathBuf,
    store: Store,
    clock: Arc<AtomicI64>,
    pub(crate) alice: Identity,
    pub(crate) bob: Identity,
    vault_keys: Option<ChannelKeys>,
}

impl DbFixture {
    /// Users alice and bob (with identity keys) in `general`; the clock at `start_ms`.
    pub(crate) async fn new(start_ms: i64) -> DbFixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("chat.db");
        let clock = Arc::new(AtomicI64::new(start_ms));
        let seen = clock.clone();
        let options = StoreOptions {
            clock: chatify::clock::Clock::from_fn(move || seen.load(Ordering::SeqCst)),
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

    pub(crate) fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    pub(crate) fn cli(&self) -> Cli {
        Cli::new(&self.config_dir())
    }

    pub(crate) fn set_time(&self, ms: i64) {
        self.clock.store(ms, Ordering::SeqCst);
    }

    pub(crate) async fn say(&self, channel: &str, sender: &str, text: &str) -> i64 {
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

    /// Appends and leaves the full-text index in step, as a server's writer does once idle
    /// (`search --db` reads the index as the writer left it).
    pub(crate) async fn append(&self, op: AppendOp) -> i64 {
        let id = self.store.append_wait(op).await.expect("append").id;
        self.store
            .bring_search_index_up_to_date()
            .await
            .expect("indexed");
        id
    }

    /// Creates sealed channel `vault` (test-weak KDF) with alice as a member.
    pub(crate) async fn create_vault(&mut self) {
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

    pub(crate) async fn say_sealed(&self, sender: &str, text: &str) -> i64 {
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

    pub(crate) async fn edit_sealed(&self, sender: &str, target: i64, text: &str) {
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

    pub(crate) async fn dm(&self, from: &str, to: &str, text: &str) -> i64 {
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
            reply_to: None,
        })
        .await
    }

    /// Appends `count` messages to `channel` concurrently (group commit makes it fast).
    pub(crate) async fn fill(&self, channel: &str, count: usize) {
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

    pub(crate) fn db(&self) -> &str {
        self.path.to_str().expect("UTF-8 temp path")
    }
}

/// A small open-channel conversation: times now-3h, now-2h, now-30m; an edit, a deletion, a
/// reaction and a reply. Returns the ids (hello, doomed, fixed, reply).
pub(crate) async fn small_conversation(fixture: &DbFixture) -> [i64; 4] {
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
