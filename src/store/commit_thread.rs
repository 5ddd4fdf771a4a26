//! The single writer thread. It owns the read-write connection, takes requests from a bounded
//! queue, and commits them in groups: it drains up to `batch_max` queued requests, applies them
//! in one transaction (a rejected request just gets its error; one that fails halfway makes the
//! batch be redone one request per transaction), commits, and only then runs the requests'
//! callbacks, in order. It assigns ids (one above the newest event and above every id deleted
//! from the end of the log, [`remember_event_id_high_water`], so ids only ever rise), per-scope `seq` (cached counters,
//! rolled back with a failed transaction, so they stay gap-free) and `ts` (never decreasing).
//! Between groups it keeps the full-text index in step (`fts_steps`): a step right after a
//! commit once the backlog reaches [`INDEX_BACKLOG_THRESHOLD`], else once its queue has stayed
//! empty for `StoreOptions::search_index_idle_ms`; it finishes the backlog before it stops.
//! Used only by `Store`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};

use super::checkpointer::{Checkpointer, WRITER_AUTOCHECKPOINT_PAGES};
use super::error::StoreError;
use super::fts_steps::{self, INDEX_BACKLOG_THRESHOLD, StepBounds};
use super::types::StoreStats;
use crate::clock::Clock;
use crate::proto::ChannelMode;
use index_schedule::IndexSchedule;

/// One typed operation of the writer: a struct per operation (`requests`), with its own reply.
pub(crate) trait WriteRequest: Send + 'static {
    type Reply: Send + 'static;

    /// Runs inside the batch's open transaction. A rejection (`StoreError::is_rejection`) must
    /// happen before anything is written; any other error sinks the transaction. May be run
    /// again (alone) after a rollback, so it takes `&self`.
    fn apply(
        &self,
        conn: &Connection,
        counters: &mut CommitCounters,
    ) -> Result<Self::Reply, StoreError>;

    /// The request as a cluster node replicates it through the shared log (`replication`);
    /// `None`: it cannot be replicated, and a cluster node refuses it.
    fn replicated(&self) -> Option<super::replication::ReplicatedWrite> {
        None
    }
}

/// What the writer gets for a reply: the result, called once, after the commit, in order.
pub(crate) type ReplyCallback<R> = Box<dyn FnOnce(Result<R, StoreError>) + Send>;

/// A queued request with its callback, its reply type erased so one queue carries them all.
pub(crate) trait QueuedWrite: Send {
    /// Runs the request in the open transaction and keeps its result. `Err` means the
    /// transaction must be rolled back (the failure is not a rejection).
    fn run(&mut self, conn: &Connection, counters: &mut CommitCounters) -> Result<(), StoreError>;
    /// Replaces the kept result with a failure (a rolled-back or uncommitted transaction).
    fn fail(&mut self, error: StoreError);
    /// Hands the kept result to the callback.
    fn reply(self: Box<Self>);
}

/// The one implementation of [`QueuedWrite`].
pub(crate) struct Queued<R: WriteRequest> {
    request: R,
    result: Option<Result<R::Reply, StoreError>>,
    callback: ReplyCallback<R::Reply>,
}

impl<R: WriteRequest> Queued<R> {
    pub fn boxed(request: R, callback: ReplyCallback<R::Reply>) -> Box<dyn QueuedWrite> {
        Box::new(Queued {
            request,
            result: None,
            callback,
        })
    }
}

impl<R: WriteRequest> QueuedWrite for Queued<R> {
    fn run(&mut self, conn: &Connection, counters: &mut CommitCounters) -> Result<(), StoreError> {
        self.result = None;
        match self.request.apply(conn, counters) {
            Err(error) if !error.is_rejection() => Err(error),
            result => {
                self.result = Some(result);
                Ok(())
            }
        }
    }

    fn fail(&mut self, error: StoreError) {
        self.result = Some(Err(error));
    }

    fn reply(self: Box<Self>) {
        let result = self.result.unwrap_or_else(|| Err(missing_result()));
        (self.callback)(result);
    }
}

/// The writer thread's connection and counters.
pub(crate) struct CommitThread {
    conn: Connection,
    counters: CommitCounters,
    batch_max: usize,
    stats: Arc<SharedStats>,
    /// Told the id of the newest committed event after every commit (log subscribers wait on it).
    committed: tokio::sync::watch::Sender<i64>,
    /// Copies the WAL into the main file off this thread.
    checkpointer: Checkpointer,
    /// When the full-text index gets its steps.
    index: IndexSchedule,
}

/// Counters shared between the writer thread and `Store::stats`.
#[derive(Default)]
pub(crate) struct SharedStats {
    transactions: AtomicU64,
    requests: AtomicU64,
    /// Committed messages are waiting for the full-text index. Set before the callbacks of the
    /// commit that appended them run (so after any ack), cleared by the step that indexed them.
    search_index_behind: AtomicBool,
}

impl SharedStats {
    /// Whether a search must first ask the writer to bring the full-text index up to date.
    pub fn search_index_behind(&self) -> bool {
        self.search_index_behind.load(Ordering::SeqCst)
    }

    pub fn snapshot(&self) -> StoreStats {
        StoreStats {
            transactions: self.transactions.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
        }
    }
}

/// Counters and caches the writer keeps between transactions.
pub(crate) struct CommitCounters {
    /// Last seq per scope, loaded lazily from `events`.
    seqs: HashMap<String, i64>,
    /// Previous counter values, newest last, for rolling back a savepoint or the transaction.
    undo: Vec<(String, i64)>,
    /// Channel modes, loaded lazily; cleared whenever a savepoint or transaction rolls back.
    modes: HashMap<String, ChannelMode>,
    /// The largest ts handed out.
    last_ts: i64,
    /// Time source of event `ts`.
    clock: Clock,
    /// Set while a replicated write is applied: its origin's time (`pin_now`).
    pinned_now: Option<i64>,
}

/// The highest seq of a scope: its newest event, or what a purge deleted (seqs never restart).
pub(crate) const LAST_SEQ_SQL: &str = "SELECT max(
    coalesce((SELECT max(seq) FROM events WHERE scope = ?1), 0),
    coalesce((SELECT last_seq FROM purge_marks WHERE scope = ?1), 0))";

/// The id of the newest event in the log (0 when empty).
pub(crate) fn last_event_id(conn: &Connection) -> Result<i64, StoreError> {
    let id: Option<i64> = conn
        .query_row("SELECT max(id) FROM events", [], |row| row.get(0))
        .optional()?
        .flatten();
    Ok(id.unwrap_or(0))
}

/// The highest event id ever deleted from the end of the log (0 when none was), kept in
/// `schema_meta` under `event_id_high_water`: `append::insert_event` hands out ids above it.
pub(crate) fn event_id_high_water(conn: &Connection) -> Result<i64, StoreError> {
    let id: Option<i64> = conn
        .prepare_cached(
            "SELECT CAST(value AS INTEGER) FROM schema_meta WHERE key = 'event_id_high_water'",
        )?
        .query_row([], |row| row.get(0))
        .optional()?;
    Ok(id.unwrap_or(0))
}

/// Call before deleting events in the writer's transaction: records the newest event's id as
/// the high-water mark, so no id deleted now is ever handed out again (ids only ever rise).
pub(crate) fn remember_event_id_high_water(conn: &Connection) -> Result<(), StoreError> {
    let newest = last_event_id(conn)?;
    if newest > event_id_high_water(conn)? {
        conn.prepare_cached(
            "INSERT INTO schema_meta (key, value) VALUES ('event_id_high_water', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )?
        .execute([newest.to_string()])?;
    }
    Ok(())
}

impl CommitThread {
    /// Also indexes any full-text backlog a crash left (before the first request is taken).
    pub fn new(
        mut conn: Connection,
        batch_max: usize,
        clock: Clock,
        stats: Arc<SharedStats>,
        committed: tokio::sync::watch::Sender<i64>,
        checkpointer: Checkpointer,
        index_idle: Duration,
    ) -> Result<CommitThread, StoreError> {
        let last_ts: Option<i64> = conn
            .query_row(
                "SELECT ts FROM events ORDER BY id DESC LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()?;
        conn.set_prepared_statement_cache_capacity(64);
        conn.pragma_update(None, "wal_autocheckpoint", WRITER_AUTOCHECKPOINT_PAGES)?;
        // SQLite checks `events.kind IN (...)` by filling a temporary b-tree with the five
        // kinds on every insert (~7 % of the server's CPU at full ingest). Every value this
        // connection writes under a `CHECK` comes from a Rust type (`events::EventKind`, the
        // channel mode, the single-row tables' constant ids), so the writer skips them.
        conn.pragma_update(None, "ignore_check_constraints", true)?;
        fts_steps::catch_up(&mut conn)?;
        Ok(CommitThread {
            conn,
            counters: CommitCounters::new(last_ts.unwrap_or(0), clock),
            batch_max,
            stats,
            committed,
            checkpointer,
            index: IndexSchedule::new(index_idle),
        })
    }

    /// Runs until every sender is gone and the queue is drained, indexes the rest of the
    /// full-text backlog, then checkpoints.
    pub fn run(mut self, mut receiver: tokio::sync::mpsc::Receiver<Box<dyn QueuedWrite>>) {
        let mut batch = Vec::with_capacity(self.batch_max.min(4096));
        self.index.start_timer();
        while let Some(first) = self.next_request(&mut receiver) {
            batch.push(first);
            while batch.len() < self.batch_max {
                match receiver.try_recv() {
                    Ok(request) => batch.push(request),
                    Err(_) => break,
                }
            }
            let count = batch.len();
            self.process(&mut batch);
            if !self.index.stalled && self.index.backlog >= INDEX_BACKLOG_THRESHOLD {
                self.index_step(StepBounds::background(count));
            }
        }
        if let Err(error) = fts_steps::catch_up(&mut self.conn) {
            tracing::warn!(%error, "indexing the last messages for search failed");
        }
        self.checkpointer.stop();
        if let Err(error) = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        {
            tracing::warn!(%error, "final WAL checkpoint failed");
        }
    }

    fn process(&mut self, batch: &mut Vec<Box<dyn QueuedWrite>>) {
        let count = batch.len() as u64;
        commit_batch(&mut self.conn, &mut self.counters, batch);
        self.stats.transactions.fetch_add(1, Ordering::Relaxed);
        self.stats.requests.fetch_add(count, Ordering::Relaxed);
        self.checkpointer.committed(count);
        // Before the callbacks: a search sent after an ack knows the index is behind.
        self.index.stalled = false;
        self.refresh_index_backlog();
        // Subscribers learn of the commit before the callbacks run, so one that is told of an
        // event by a callback can always read it.
        match last_event_id(&self.conn) {
            Ok(id) => {
                self.committed.send_if_modified(|last| {
                    let moved = id > *last;
                    *last = (*last).max(id);
                    moved
                });
            }
            Err(error) => tracing::warn!(%error, "reading the last event id failed"),
        }
        for request in batch.drain(..) {
            request.reply();
        }
    }
}

/// Applies all `batch` in one transaction and commits. Rejections (validation failures, which
/// happen before a request writes anything) just become that request's result. A write that
/// fails halfway sinks the transaction: it is rolled back and the batch is redone one request
/// per transaction, so only the failing one fails. (No savepoint per request: FTS5 flushes its
/// pending index on every savepoint, which would cost more than the whole rest of the append.)
/// A failed commit turns every accepted request's result into `Unavailable`. In every rollback
/// the seq counters return to where the batch started.
pub(crate) fn commit_batch(
    conn: &mut Connection,
    counters: &mut CommitCounters,
    batch: &mut [Box<dyn QueuedWrite>],
) {
    match run_transaction(conn, counters, batch) {
        Ok(()) => {}
        Err(BatchFailure::Commit(reason)) => {
            tracing::error!(reason = %reason, "store commit failed");
            for request in batch.iter_mut() {
                request.fail(StoreError::Unavailable(reason.clone()));
            }
        }
        Err(BatchFailure::Request(error)) if batch.len() == 1 => batch[0].fail(error),
        Err(BatchFailure::Request(_)) => {
            for request in batch.iter_mut() {
                match run_transaction(conn, counters, std::slice::from_mut(request)) {
                    Ok(()) => {}
                    Err(BatchFailure::Request(error)) => request.fail(error),
                    Err(BatchFailure::Commit(reason)) => {
                        request.fail(StoreError::Unavailable(reason))
                    }
                }
            }
        }
    }
}

/// Why a transaction was rolled back.
enum BatchFailure {
    /// A request failed after it may have written (not a rejection).
    Request(StoreError),
    /// BEGIN or COMMIT failed.
    Commit(String),
}

/// One transaction over `batch`; each request keeps its own result.
fn run_transaction(
    conn: &mut Connection,
    counters: &mut CommitCounters,
    batch: &mut [Box<dyn QueuedWrite>],
) -> Result<(), BatchFailure> {
    counters.undo.clear();
    let tx = conn
        .transaction()
        .map_err(|error| BatchFailure::Commit(storage_error(error).to_string()))?;
    for request in batch.iter_mut() {
        if let Err(error) = request.run(&tx, counters) {
            drop(tx); // rolls back
            counters.rollback();
            return Err(BatchFailure::Request(error));
        }
    }
    if let Err(error) = tx.commit() {
        counters.rollback();
        return Err(BatchFailure::Commit(storage_error(error).to_string()));
    }
    Ok(())
}

fn missing_result() -> StoreError {
    StoreError::Unavailable("the store writer lost a result".into())
}

impl CommitCounters {
    pub fn new(last_ts: i64, clock: Clock) -> CommitCounters {
        CommitCounters {
            seqs: HashMap::new(),
            undo: Vec::new(),
            modes: HashMap::new(),
            last_ts,
            clock,
            pinned_now: None,
        }
    }

    /// Makes `next_ts` use `now` instead of the clock (`None`: the clock again). A cluster node
    /// applies a replicated write at the time its origin gave it, so every node computes the
    /// same `ts`.
    #[cfg_attr(not(feature = "cluster"), allow(dead_code))]
    pub fn pin_now(&mut self, now: Option<i64>) {
        self.pinned_now = now;
    }

    /// The ts of a new event: now, but never below an earlier event's.
    pub fn next_ts(&mut self) -> i64 {
        let now = self.pinned_now.unwrap_or_else(|| self.clock.now_ms());
        if now > self.last_ts {
            self.last_ts = now;
        }
        self.last_ts
    }

    /// The next seq of `scope`, remembering the previous value for rollback.
    pub fn next_seq(&mut self, conn: &Connection, scope: &str) -> Result<i64, StoreError> {
        if let Some(seq) = self.seqs.get_mut(scope) {
            let current = *seq;
            *seq = current + 1;
            self.undo.push((scope.to_string(), current));
            return Ok(current + 1);
        }
        let current = conn
            .prepare_cached(LAST_SEQ_SQL)?
            .query_row([scope], |row| row.get::<_, Option<i64>>(0))?
            .unwrap_or(0);
        self.undo.push((scope.to_string(), current));
        self.seqs.insert(scope.to_string(), current + 1);
        Ok(current + 1)
    }

    /// The mode of a channel; `NoSuchChannel` if it does not exist.
    pub fn channel_mode(
        &mut self,
        conn: &Connection,
        channel: &str,
    ) -> Result<ChannelMode, StoreError> {
        if let Some(mode) = self.modes.get(channel) {
            return Ok(*mode);
        }
        let mode: Option<String> = conn
            .prepare_cached("SELECT mode FROM channels WHERE name = ?1")?
            .query_row([channel], |row| row.get(0))
            .optional()?;
        let mode = match mode.as_deref() {
            Some("open") => ChannelMode::Open,
            Some("sealed") => ChannelMode::Sealed,
            Some(_) => {
                return Err(StoreError::Corrupt(
                    "a channel has an unknown mode; restore the database from a backup".into(),
                ));
            }
            None => return Err(StoreError::NoSuchChannel),
        };
        self.modes.insert(channel.to_string(), mode);
        Ok(mode)
    }

    /// Forgets everything the rolled-back transaction did to the counters and caches.
    fn rollback(&mut self) {
        while let Some((scope, previous)) = self.undo.pop() {
            self.seqs.insert(scope, previous);
        }
        self.modes.clear();
    }
}

/// Storage-level SQLite failures (disk full, I/O, locks) become `Unavailable`.
pub(crate) fn storage_error(error: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    match error.sqlite_error_code() {
        Some(
            ErrorCode::DiskFull
            | ErrorCode::SystemIoFailure
            | ErrorCode::CannotOpen
            | ErrorCode::ReadOnly
            | ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::OutOfMemory,
        ) => StoreError::Unavailable(error.to_string()),
        _ => StoreError::Sqlite(error),
    }
}

#[path = "commit_thread_index.rs"]
mod index_schedule;

#[cfg(test)]
#[path = "commit_thread_tests.rs"]
mod tests;
