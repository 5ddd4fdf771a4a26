//! Integration tests of the SQLite event store through its public API (`chatify::store`): appends
//! and ordering, group commit under concurrency, history/catch-up/DM queries, folding, rewind,
//! search (full-text and blind), accounts/sessions/channels, reopening, migrations from older
//! schemas, and refusal of newer schemas and foreign files with the file left untouched.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chatify::clock::Clock;
use chatify::proto::{self, ChannelMode, KdfSpec, SearchSort, ServerFrame};
use chatify::server::frames::event_frame;
use chatify::store::migrations::{self, MigrateOptions, MigrateProgress};
use chatify::store::{
    AppendOp, EventBody, HistoryQuery, LoggedEvent, NewChannel, SearchOptions, Store, StoreError,
    StoreOptions, StoreReader,
};

#[path = "store/accounts.rs"]
mod accounts;
#[path = "store/appends.rs"]
mod appends;
#[path = "store/dm_changes.rs"]
mod dm_changes;
#[path = "store/governance.rs"]
mod governance;
#[path = "store/log.rs"]
mod log;
#[path = "store/purge.rs"]
mod purge;
#[path = "store/queries.rs"]
mod queries;
#[path = "store/schema.rs"]
mod schema;
#[path = "store/search.rs"]
mod search;
#[path = "store/search_index.rs"]
mod search_index;

const WAIT: Duration = Duration::from_secs(10);
const T0: i64 = 1_764_000_000_000;

/// A committed append as the server acks and broadcasts it.
#[derive(Debug, Clone)]
struct Appended {
    id: i64,
    /// The seq of a channel event; `None` for a DM.
    seq: Option<i64>,
    ts: i64,
    /// The broadcast frame.
    frame: ServerFrame,
}

impl From<LoggedEvent> for Appended {
    fn from(event: LoggedEvent) -> Appended {
        Appended {
            id: event.id,
            seq: event.channel_seq(),
            ts: event.ts,
            frame: event_frame(event),
        }
    }
}

/// A test database with a clock the test moves.
struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    clock: Arc<AtomicI64>,
    store: Store,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture::with(|_| {})
    }

    fn with(adjust: impl FnOnce(&mut StoreOptions)) -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("nested").join("chat.db");
        let clock = Arc::new(AtomicI64::new(T0));
        let mut options = clock_options(&clock);
        adjust(&mut options);
        let store = Store::open(&path, options).expect("open store");
        Fixture {
            _dir: dir,
            path,
            clock,
            store,
        }
    }

    fn set_time(&self, ms: i64) {
        self.clock.store(ms, Ordering::SeqCst);
    }

    fn reopen(&mut self) {
        self.store.close();
        self.store = Store::open(&self.path, clock_options(&self.clock)).expect("reopen store");
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&StoreReader) -> Result<T, StoreError> + Send + 'static,
    ) -> T {
        tokio::time::timeout(WAIT, self.store.read(f))
            .await
            .expect("read in time")
            .expect("read succeeds")
    }

    /// `Store::search`: what a search sent after the appends' acks finds.
    async fn search(
        &self,
        channels: Vec<String>,
        query: &str,
        options: SearchOptions,
    ) -> Vec<chatify::model::MessageEvent> {
        let search = self.store.search(channels, query.to_string(), options);
        tokio::time::timeout(WAIT, search)
            .await
            .expect("search in time")
            .expect("search succeeds")
    }

    async fn append(&self, op: AppendOp) -> Result<Appended, StoreError> {
        tokio::time::timeout(WAIT, self.store.append_wait(op))
            .await
            .expect("append in time")
            .map(Appended::from)
    }

    async fn msg(&self, channel: &str, sender: &str, text: &str) -> Appended {
        self.append(msg_op(channel, sender, text))
            .await
            .expect("msg appended")
    }

    async fn users(&self, names: &[&str]) {
        for name in names {
            self.store
                .create_account(name, "$argon2id$v=19$fake", Some("pk"), T0)
                .await
                .expect("account created");
        }
    }

    async fn channel(&self, name: &str, mode: ChannelMode, members: &[&str]) {
        let sealed = mode == ChannelMode::Sealed;
        self.store
            .create_channel(NewChannel {
                name: name.into(),
                mode,
                salt: sealed.then(|| "c2FsdHNhbHRzYWx0c2FsdA==".into()),
                kdf: sealed.then(|| KdfSpec {
                    alg: "argon2id".into(),
                    m: 65536,
                    t: 3,
                    p: 1,
                }),
                kcv: sealed.then(|| "a2N2a2N2a2N2a2N2a2N2".into()),
                creator: members.first().copied().unwrap_or("alice").into(),
                now_ms: T0,
            })
            .await
            .expect("channel created");
        for member in members {
            self.store
                .add_member(name, member, T0)
                .await
                .expect("member added");
        }
    }
}

fn clock_options(clock: &Arc<AtomicI64>) -> StoreOptions {
    let clock = clock.clone();
    StoreOptions {
        clock: Clock::from_fn(move || clock.load(Ordering::SeqCst)),
        ..StoreOptions::default()
    }
}

fn msg_op(channel: &str, sender: &str, text: &str) -> AppendOp {
    AppendOp::Msg {
        channel: channel.into(),
        sender: sender.into(),
        c: text.into(),
        enc: None,
        idx: Vec::new(),
        reply_to: None,
    }
}

fn sealed_msg(channel: &str, sender: &str, tokens: &[&str]) -> AppendOp {
    AppendOp::Msg {
        channel: channel.into(),
        sender: sender.into(),
        c: "ZW52ZWxvcGU=".into(),
        enc: Some(proto::ENC_XC20P1.into()),
        idx: tokens.iter().map(|t| t.to_string()).collect(),
        reply_to: None,
    }
}

fn edit_op(channel: &str, sender: &str, target: i64, text: &str) -> AppendOp {
    AppendOp::Edit {
        channel: channel.into(),
        sender: sender.into(),
        target,
        c: text.into(),
        enc: None,
        idx: None,
    }
}

fn delete_op(channel: &str, sender: &str, target: i64) -> AppendOp {
    AppendOp::Delete {
        channel: channel.into(),
        sender: sender.into(),
        target,
    }
}

fn react_op(channel: &str, sender: &str, target: i64, emoji: &str, on: bool) -> AppendOp {
    AppendOp::React {
        channel: channel.into(),
        sender: sender.into(),
        target,
        emoji: emoji.into(),
        on,
    }
}

fn query(limit: u32) -> HistoryQuery {
    HistoryQuery {
        limit,
        ..HistoryQuery::default()
    }
}

/// The `dm` frame of a logged DM, as the server broadcasts it.
fn dm(event: LoggedEvent) -> proto::DmEvent {
    chatify::server::frames::dm_frame(event).expect("a dm")
}

fn texts(events: &[chatify::model::MessageEvent]) -> Vec<String> {
    events
        .iter()
        .map(|event| event.c.clone().unwrap_or_else(|| "<deleted>".into()))
        .collect()
}

fn sha(path: &Path) -> blake3::Hash {
    blake3::hash(&std::fs::read(path).expect("read database file"))
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}
