//! The SQLite event store — the only SQL in chatify. [`Store`] owns one writer thread (group
//! commit: every queued request of a batch in one transaction, then their callbacks in commit
//! order) and a pool of read-only [`StoreReader`] connections used off the async runtime. It is the
//! durable event log of the server behind the [`EventLog`] trait (append with a commit callback,
//! read ranges, subscribe from a position), speaking only its own types ([`LoggedEvent`], the
//! model's [`MessageEvent`](crate::model::MessageEvent)), never wire frames. The one-shot tools
//! open a [`StoreReader`] directly on a database file; `chatify migrate` uses [`migrations`].
//!
//! Files: `schema` (migration SQL as data, the read-only probe), `migrations` (status, migrate)
//! with `backfill` (the data half of step 2) and `files` (WAL setup, backups); `commit_thread`
//! (the writer thread, group commit) with `checkpointer` (WAL checkpoints off the writer thread)
//! and `fts_steps` (full-text indexing in steps of its own, off the ack path)
//! running the typed `requests`: `append` (events) and
//! `accounts` (everything else) and `governance` (+ `governance_admin`: moderation with its
//! system lines, operator administration, purges and retention); `log` (the [`EventLog`] trait and its SQLite implementation);
//! `events` (the store's event types, folded with `model::fold`); `reader` (accounts/channels
//! queries) with `history`, `search` and `governance_reads`; `fts` (safe search-query translation); `rows` (row
//! layout).

mod accounts;
mod append;
mod backfill;
mod checkpointer;
mod commit_thread;
mod dm_changes;
mod error;
mod events;
mod files;
mod fts;
mod fts_steps;
mod governance;
mod governance_reads;
mod history;
mod log;
pub mod migrations;
mod purge;
mod rank;
mod rank_fetch;
mod reader;
pub(crate) mod replication;
mod requests;
mod rows;
mod schema;
mod search;
mod types;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use crate::clock::Clock;
pub use error::StoreError;
pub use events::{EventBody, LoggedEvent};
pub use governance::AdminOp;
pub use log::{CommitCallback, EventLog, EventSubscription, LogFuture};
pub use migrations::SCHEMA_VERSION;
pub use reader::StoreReader;
pub use replication::{ForeignChange, ForeignEventSink};
pub use types::{
    Account, AccountSummary, AppendOp, ChannelGovernance, ChannelRecord, ChannelSummary,
    Durability, HistoryQuery, Moderation, ModerationAction, NewChannel, Page, ReadMarker,
    SearchOptions, SessionRecord, SessionSummary, StoreOptions, StoreStats,
};

use commit_thread::{Queued, QueuedWrite, ReplyCallback, WriteRequest};

/// Sessions unused for longer than this are expired (30 days).
pub const SESSION_MAX_IDLE_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// Handle to an open database. Cheap to clone; all clones share one writer and one reader pool.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    sender: Mutex<Option<tokio::sync::mpsc::Sender<Box<dyn QueuedWrite>>>>,
    writer_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    readers: Mutex<Vec<StoreReader>>,
    read_permits: Arc<tokio::sync::Semaphore>,
    busy_timeout_ms: u32,
    stats: Arc<commit_thread::SharedStats>,
    /// The id of the newest committed event, updated by the commit thread after each commit.
    committed: tokio::sync::watch::Receiver<i64>,
    /// Set on a cluster node: every write goes to the shared log first (`replication`).
    replicator: std::sync::OnceLock<Arc<dyn replication::WriteReplicator>>,
    /// Set by the server: where other nodes' committed events go once applied here.
    foreign_sink: std::sync::OnceLock<replication::ForeignEventSink>,
}

impl Store {
    /// Opens (creating the file and parent directories if missing), checks the schema version,
    /// applies pending migrations (or refuses with `NeedsMigration`), sets WAL and `synchronous`,
    /// starts the writer thread. A newer schema is refused without modifying the file at all.
    /// Options that make no sense (see [`StoreOptions::validate`]) are refused first.
    pub fn open(path: &Path, options: StoreOptions) -> Result<Store, StoreError> {
        options.validate()?;
        let conn = migrations::open_for_writing(path, &options)?;
        let mut readers = Vec::with_capacity(options.readers);
        for _ in 0..options.readers {
            readers.push(StoreReader::open_pooled(path, options.busy_timeout_ms)?);
        }
        let (sender, receiver) = tokio::sync::mpsc::channel(options.write_queue);
        let stats = Arc::new(commit_thread::SharedStats::default());
        let (committed_tx, committed) =
            tokio::sync::watch::channel(commit_thread::last_event_id(&conn)?);
        let writer = commit_thread::CommitThread::new(
            conn,
            options.batch_max,
            options.clock.clone(),
            stats.clone(),
            committed_tx,
            checkpointer::Checkpointer::start(path, options.durability)?,
            std::time::Duration::from_millis(options.search_index_idle_ms),
        )?;
        let handle = std::thread::Builder::new()
            .name("chatify-store-writer".into())
            .spawn(move || writer.run(receiver))
            .map_err(|error| StoreError::io("starting the store writer thread", error))?;
        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                sender: Mutex::new(Some(sender)),
                writer_thread: Mutex::new(Some(handle)),
                readers: Mutex::new(readers),
                read_permits: Arc::new(tokio::sync::Semaphore::new(options.readers)),
                busy_timeout_ms: options.busy_timeout_ms,
                stats,
                committed,
                replicator: std::sync::OnceLock::new(),
                foreign_sink: std::sync::OnceLock::new(),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// What the writer thread has done so far.
    pub fn stats(&self) -> StoreStats {
        self.inner.stats.snapshot()
    }

    /// Write requests queued for the writer thread and not yet taken (0 once closed).
    pub fn pending_writes(&self) -> usize {
        let sender = self.inner.sender.lock().unwrap_or_else(|p| p.into_inner());
        sender
            .as_ref()
            .map_or(0, |sender| sender.max_capacity() - sender.capacity())
    }

    /// Stops accepting writes, commits everything already queued, joins the writer thread.
    /// Blocks until then: call it at shutdown (from a blocking context in async code).
    pub fn close(&self) {
        self.inner.shutdown();
    }

    /// Appends a durable event (the [`EventLog`] contract). The writer assigns `id`, `seq` and
    /// `ts`, validates, commits, and THEN calls `on_commit` on the writer thread, in commit
    /// order. `on_commit` must be quick; it may block briefly on a bounded queue (the writer is
    /// a thread of its own) but must never wait for the store. A full queue or a closed store
    /// is refused at once with `Unavailable`, and `on_commit` is then never called.
    pub fn append(&self, op: AppendOp, on_commit: CommitCallback) -> Result<(), StoreError> {
        let request = requests::AppendEvent(op);
        if let Some(replicator) = self.inner.replicator.get() {
            let write = replication::ReplicatedWrite::AppendEvent(request.clone());
            return replicator.replicate(write, Queued::boxed(request, on_commit));
        }
        self.inner.try_submit(Queued::boxed(request, on_commit))
    }

    /// [`Store::append`] awaiting the result (waits for queue space instead of failing).
    pub async fn append_wait(&self, op: AppendOp) -> Result<LoggedEvent, StoreError> {
        self.submit(requests::AppendEvent(op)).await
    }

    /// Creates an account and makes it a member of `general` (created if missing).
    /// `UserExists` when the name is taken, compared case-insensitively.
    pub async fn create_account(
        &self,
        name: &str,
        password_phc: &str,
        pk: Option<&str>,
        now_ms: i64,
    ) -> Result<Account, StoreError> {
        self.submit(requests::CreateAccount {
            name: name.to_string(),
            password_phc: password_phc.to_string(),
            pk: pk.map(str::to_string),
            now_ms,
        })
        .await
    }

    /// Replaces a user's identity public key. `NoSuchUser` if unknown.
    pub async fn set_public_key(&self, name: &str, pk: &str) -> Result<(), StoreError> {
        self.submit(requests::SetPublicKey {
            name: name.to_string(),
            pk: pk.to_string(),
        })
        .await
    }

    /// Stores a session (only the hash of its token). Also drops sessions expired by `now_ms`.
    pub async fn create_session(
        &self,
        user: &str,
        token_hash: [u8; 32],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.submit(requests::CreateSession {
            user: user.to_string(),
            token_hash,
            now_ms,
        })
        .await
    }

    /// Marks a session used at `now_ms` (restarting its 30-day idle clock). `NoSuchUser` if the
    /// session is unknown.
    pub async fn touch_session(&self, token_hash: [u8; 32], now_ms: i64) -> Result<(), StoreError> {
        self.submit(requests::TouchSession { token_hash, now_ms })
            .await
    }

    /// Remembers that `user` logged in with its password from `address` (the login throttle's
    /// key of the client address); the account keeps its 8 newest.
    pub async fn remember_login_address(
        &self,
        user: &str,
        address: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.submit(requests::RememberLoginAddress {
            user: user.to_string(),
            address: address.to_string(),
            now_ms,
        })
        .await
    }

    /// Forgets a session (logout). Unknown sessions are fine.
    pub async fn delete_session(&self, token_hash: [u8; 32]) -> Result<(), StoreError> {
        self.submit(requests::DeleteSession { token_hash }).await
    }

    /// Sets a new password hash for `user` and deletes every other session of theirs (all but
    /// `keep`) in the same transaction. Returns how many sessions were deleted.
    pub async fn change_password(
        &self,
        user: &str,
        password_phc: &str,
        keep: [u8; 32],
    ) -> Result<usize, StoreError> {
        self.submit(requests::ChangePassword {
            user: user.to_string(),
            password_phc: password_phc.to_string(),
            keep,
        })
        .await
    }

    /// Creates a channel, or returns the existing one unchanged (its `create` is ignored).
    pub async fn create_channel(&self, channel: NewChannel) -> Result<ChannelRecord, StoreError> {
        self.submit(requests::CreateChannel(channel)).await
    }

    /// Makes `user` a member of `channel` (no-op if already). `NoSuchChannel` / `NoSuchUser`.
    pub async fn add_member(
        &self,
        channel: &str,
        user: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.submit(requests::AddMember {
            channel: channel.to_string(),
            user: user.to_string(),
            now_ms,
        })
        .await
    }

    /// Removes `user` from `channel` (no-op if not a member).
    pub async fn remove_member(&self, channel: &str, user: &str) -> Result<(), StoreError> {
        self.submit(requests::RemoveMember {
            channel: channel.to_string(),
            user: user.to_string(),
        })
        .await
    }

    /// Records that `user` has read `scope` (`#channel` or `@a:b`) up to `seq`. Never moves back.
    pub async fn set_read_marker(
        &self,
        user: &str,
        scope: &str,
        seq: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.submit(requests::SetReadMarker {
            user: user.to_string(),
            scope: scope.to_string(),
            seq,
            now_ms,
        })
        .await
    }

    /// Runs one administration op (`chatify admin`, the live `admin` frame, retention purges);
    /// returns its count (see [`AdminOp`]).
    pub async fn administer(&self, op: AdminOp) -> Result<u64, StoreError> {
        self.submit(requests::Administer(op)).await
    }

    /// Full-text search over open channels (see [`StoreReader::search`]) with read-your-writes:
    /// the index is first brought up to date with every committed message
    /// ([`Store::bring_search_index_up_to_date`]), so a message acked before the call is found.
    pub async fn search(
        &self,
        channels: Vec<String>,
        query: String,
        options: SearchOptions,
    ) -> Result<Vec<crate::model::MessageEvent>, StoreError> {
        self.bring_search_index_up_to_date().await?;
        self.read(move |reader| reader.search(&channels, &query, &options))
            .await
    }

    /// Makes the writer index every committed message that is not indexed for full-text search
    /// yet (the writer indexes in steps off the ack path, `fts_steps`); returns once that is
    /// committed. Free when nothing is behind. Never replicated: each node's index is its own.
    pub async fn bring_search_index_up_to_date(&self) -> Result<(), StoreError> {
        if !self.inner.stats.search_index_behind() {
            return Ok(());
        }
        let (reply, wait) = tokio::sync::oneshot::channel();
        let callback: ReplyCallback<()> = Box::new(move |result| {
            let _ = reply.send(result);
        });
        let request = Queued::boxed(fts_steps::CatchUpSearchIndex, callback);
        self.inner.submit_direct(request).await?;
        wait.await
            .map_err(|_| StoreError::Unavailable("the store writer has stopped".into()))?
    }

    /// Runs `f` with a pooled read-only connection on tokio's blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&StoreReader) -> Result<T, StoreError> + Send + 'static,
    {
        let permit = self
            .inner
            .read_permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Unavailable("the store is closed".into()))?;
        let inner = self.inner.clone();
        let task = tokio::task::spawn_blocking(move || {
            let result = inner.with_reader(f);
            drop(permit);
            result
        });
        task.await
            .map_err(|_| StoreError::Unavailable("a database read failed unexpectedly".into()))?
    }

    /// Runs `f` with a pooled read-only connection on the calling thread (for code that is not
    /// async, e.g. server start-up). Do not call it from an async task.
    pub fn read_blocking<T>(
        &self,
        f: impl FnOnce(&StoreReader) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.inner.with_reader(f)
    }

    /// Queues a typed request, waiting for queue space, and awaits its reply.
    async fn submit<R: WriteRequest>(&self, request: R) -> Result<R::Reply, StoreError> {
        if let Some(replicator) = self.inner.replicator.get() {
            let write = request.replicated().ok_or_else(|| {
                StoreError::Unavailable("this write is not available on a cluster node".into())
            })?;
            let (reply, wait) = tokio::sync::oneshot::channel();
            let callback: ReplyCallback<R::Reply> = Box::new(move |result| {
                let _ = reply.send(result);
            });
            replicator.replicate(write, Queued::boxed(request, callback))?;
            return wait.await.map_err(|_| {
                StoreError::Unavailable("the cluster log dropped the write".into())
            })?;
        }
        let sender = self
            .inner
            .sender
            .lock()
            .map_err(|_| StoreError::Unavailable("the store is closed".into()))?
            .clone()
            .ok_or_else(|| StoreError::Unavailable("the store is closed".into()))?;
        let (reply, wait) = tokio::sync::oneshot::channel();
        let callback: ReplyCallback<R::Reply> = Box::new(move |result| {
            // The waiter may have gone away (cancelled); nothing to do then.
            let _ = reply.send(result);
        });
        sender
            .send(Queued::boxed(request, callback))
            .await
            .map_err(|_| StoreError::Unavailable("the store writer has stopped".into()))?;
        drop(sender);
        wait.await
            .map_err(|_| StoreError::Unavailable("the store writer has stopped".into()))?
    }

    /// The id of the newest committed event, and a way to wait for the next commit.
    pub(crate) fn committed_ids(&self) -> tokio::sync::watch::Receiver<i64> {
        self.inner.committed.clone()
    }
}

impl Inner {
    /// Queues straight to the writer (never through the replicator), waiting for space.
    async fn submit_direct(&self, request: Box<dyn QueuedWrite>) -> Result<(), StoreError> {
        let sender = self.sender.lock().ok().and_then(|guard| guard.clone());
        let Some(sender) = sender else {
            return Err(StoreError::Unavailable("the store is closed".into()));
        };
        sender
            .send(request)
            .await
            .map_err(|_| StoreError::Unavailable("the store writer has stopped".into()))
    }

    /// Queues without waiting; a full queue or a stopped writer is an error, and the request
    /// (with its callback) is dropped unanswered.
    fn try_submit(&self, request: Box<dyn QueuedWrite>) -> Result<(), StoreError> {
        let sender = self.sender.lock().ok().and_then(|guard| guard.clone());
        let Some(sender) = sender else {
            return Err(StoreError::Unavailable("the store is closed".into()));
        };
        sender.try_send(request).map_err(|error| {
            let reason = match error {
                tokio::sync::mpsc::error::TrySendError::Full(_) => "the write queue is full",
                tokio::sync::mpsc::error::TrySendError::Closed(_) => "the store writer has stopped",
            };
            StoreError::Unavailable(reason.into())
        })
    }

    fn with_reader<T>(
        &self,
        f: impl FnOnce(&StoreReader) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let pooled = self.readers.lock().ok().and_then(|mut pool| pool.pop());
        let reader = match pooled {
            Some(reader) => reader,
            None => StoreReader::open_pooled(&self.path, self.busy_timeout_ms)?,
        };
        let result = f(&reader);
        if let Ok(mut pool) = self.readers.lock() {
            pool.push(reader);
        }
        result
    }

    fn shutdown(&self) {
        if let Ok(mut sender) = self.sender.lock() {
            sender.take();
        }
        self.read_permits.close();
        if let Ok(mut pool) = self.readers.lock() {
            pool.clear();
        }
        let handle = self.writer_thread.lock().ok().and_then(|mut h| h.take());
        // The last handle may be dropped inside a `done` callback, on the writer thread itself:
        // it then finishes the queue on its own and must not wait for itself.
        let on_writer_thread = |handle: &std::thread::JoinHandle<()>| {
            handle.thread().id() == std::thread::current().id()
        };
        if let Some(handle) = handle
            && !on_writer_thread(&handle)
            && handle.join().is_err()
        {
            tracing::error!("the store writer thread panicked");
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.shutdown();
    }
}
