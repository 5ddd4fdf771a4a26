//! The single writer thread. It owns the read-write connection, takes requests from a bounded
//! queue, and commits them in groups: it drains up to `batch_max` queued requests, applies them
//! in one transaction (a rejected request just gets its error; one that fails halfway makes the
//! batch be redone one request per transaction), commits, and only then runs the requests'
//! `done` callbacks, in order. It assigns ids (SQLite rowids), per-scope `seq` (cached counters,
//! rolled back with a failed transaction, so they stay gap-free) and `ts` (never decreasing).
//! Used only by `Store`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::{Connection, OptionalExtension};

use super::error::StoreError;
use super::types::{Account, AppendOp, Appended, ChannelRecord, Clock, NewChannel, StoreStats};
use super::{accounts, append};
use crate::proto::ChannelMode;

/// A request to the writer thread.
pub(crate) struct Request {
    pub op: WriteOp,
    pub done: Box<dyn FnOnce(Result<WriteOutput, StoreError>) + Send>,
}

/// Everything the writer can do.
#[derive(Clone)]
pub(crate) enum WriteOp {
    Append(AppendOp),
    CreateAccount {
        name: String,
        password_phc: String,
        pk: Option<String>,
        now_ms: i64,
    },
    SetPublicKey {
        name: String,
        pk: String,
    },
    CreateSession {
        user: String,
        token_hash: [u8; 32],
        now_ms: i64,
    },
    TouchSession {
        token_hash: [u8; 32],
        now_ms: i64,
    },
    DeleteSession {
        token_hash: [u8; 32],
    },
    ChangePassword {
        user: String,
        password_phc: String,
        keep: [u8; 32],
    },
    CreateChannel(NewChannel),
    AddMember {
        channel: String,
        user: String,
        now_ms: i64,
    },
    RemoveMember {
        channel: String,
        user: String,
    },
    SetReadMarker {
        user: String,
        scope: String,
        seq: i64,
        now_ms: i64,
    },
}

/// What a committed request produced.
pub(crate) enum WriteOutput {
    Appended(Appended),
    Account(Account),
    Channel(ChannelRecord),
    /// How many rows a delete removed.
    Count(usize),
    Done,
}

/// The writer thread's connection and counters.
pub(crate) struct Writer {
    conn: Connection,
    state: WriterState,
    batch_max: usize,
    stats: Arc<SharedStats>,
}

/// Counters shared between the writer thread and `Store::stats`.
#[derive(Default)]
pub(crate) struct SharedStats {
    transactions: AtomicU64,
    requests: AtomicU64,
}

impl SharedStats {
    pub fn snapshot(&self) -> StoreStats {
        StoreStats {
            transactions: self.transactions.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
        }
    }
}

/// Counters and caches the writer keeps between transactions.
pub(crate) struct WriterState {
    /// Last seq per scope, loaded lazily from `events`.
    seqs: HashMap<String, i64>,
    /// Previous counter values, newest last, for rolling back a savepoint or the transaction.
    undo: Vec<(String, i64)>,
    /// Channel modes, loaded lazily; cleared whenever a savepoint or transaction rolls back.
    modes: HashMap<String, ChannelMode>,
    /// The largest ts handed out.
    last_ts: i64,
    /// Time source; `None` is the system clock.
    clock: Option<Clock>,
}

impl Writer {
    pub fn new(
        conn: Connection,
        batch_max: usize,
        clock: Option<Clock>,
        stats: Arc<SharedStats>,
    ) -> Result<Writer, StoreError> {
        let last_ts: Option<i64> = conn
            .query_row(
                "SELECT ts FROM events ORDER BY id DESC LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Writer {
            conn,
            state: WriterState {
                seqs: HashMap::new(),
                undo: Vec::new(),
                modes: HashMap::new(),
                last_ts: last_ts.unwrap_or(0),
                clock,
            },
            batch_max,
            stats,
        })
    }

    /// Runs until every sender is gone and the queue is drained, then checkpoints.
    pub fn run(mut self, mut receiver: tokio::sync::mpsc::Receiver<Request>) {
        let mut batch = Vec::with_capacity(self.batch_max.min(4096));
        while let Some(first) = receiver.blocking_recv() {
            batch.push(first);
            while batch.len() < self.batch_max {
                match receiver.try_recv() {
                    Ok(request) => batch.push(request),
                    Err(_) => break,
                }
            }
            self.process(&mut batch);
        }
        if let Err(error) = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        {
            tracing::warn!(%error, "final WAL checkpoint failed");
        }
    }

    fn process(&mut self, batch: &mut Vec<Request>) {
        let mut ops = Vec::with_capacity(batch.len());
        let mut dones = Vec::with_capacity(batch.len());
        for request in batch.drain(..) {
            ops.push(request.op);
            dones.push(request.done);
        }
        let count = ops.len() as u64;
        let results = commit_batch(&mut self.conn, &mut self.state, ops);
        self.stats.transactions.fetch_add(1, Ordering::Relaxed);
        self.stats.requests.fetch_add(count, Ordering::Relaxed);
        for (done, result) in dones.into_iter().zip(results) {
            done(result);
        }
    }
}

/// Applies all `ops` in one transaction and commits. Rejections (validation failures, which
/// happen before an op writes anything) just become that op's result. A write that fails
/// halfway sinks the transaction: it is rolled back and the batch is redone one op per
/// transaction, so only the failing op fails. (No savepoint per op: FTS5 flushes its pending
/// index on every savepoint, which would cost more than the whole rest of the append.)
/// A failed commit turns every accepted op's result into `Unavailable`. In every rollback the
/// seq counters return to where the batch started.
fn commit_batch(
    conn: &mut Connection,
    state: &mut WriterState,
    ops: Vec<WriteOp>,
) -> Vec<Result<WriteOutput, StoreError>> {
    match run_transaction(conn, state, &ops) {
        Ok(results) => results,
        Err(BatchFailure::Commit(reason)) => {
            tracing::error!(reason = %reason, "store commit failed");
            (0..ops.len())
                .map(|_| Err(StoreError::Unavailable(reason.clone())))
                .collect()
        }
        Err(BatchFailure::Op(error)) if ops.len() == 1 => vec![Err(error)],
        Err(BatchFailure::Op(_)) => ops
            .iter()
            .map(
                |op| match run_transaction(conn, state, std::slice::from_ref(op)) {
                    Ok(mut results) => results.pop().unwrap_or_else(|| Err(missing_result())),
                    Err(BatchFailure::Op(error)) => Err(error),
                    Err(BatchFailure::Commit(reason)) => Err(StoreError::Unavailable(reason)),
                },
            )
            .collect(),
    }
}

/// Why a transaction was rolled back.
enum BatchFailure {
    /// An op failed after it may have written (not a rejection).
    Op(StoreError),
    /// BEGIN or COMMIT failed.
    Commit(String),
}

/// One transaction over `ops`; the per-op results once committed.
fn run_transaction(
    conn: &mut Connection,
    state: &mut WriterState,
    ops: &[WriteOp],
) -> Result<Vec<Result<WriteOutput, StoreError>>, BatchFailure> {
    state.undo.clear();
    let tx = conn
        .transaction()
        .map_err(|error| BatchFailure::Commit(storage_error(error).to_string()))?;
    let mut results = Vec::with_capacity(ops.len());
    for op in ops {
        match apply(&tx, state, op.clone()) {
            Err(error) if !error.is_rejection() => {
                drop(tx); // rolls back
                state.rollback();
                return Err(BatchFailure::Op(error));
            }
            result => results.push(result),
        }
    }
    if let Err(error) = tx.commit() {
        state.rollback();
        return Err(BatchFailure::Commit(storage_error(error).to_string()));
    }
    Ok(results)
}

fn missing_result() -> StoreError {
    StoreError::Unavailable("the store writer lost a result".into())
}

fn apply(
    conn: &Connection,
    state: &mut WriterState,
    op: WriteOp,
) -> Result<WriteOutput, StoreError> {
    let done = |result: Result<(), StoreError>| result.map(|()| WriteOutput::Done);
    match op {
        WriteOp::Append(op) => append::apply(conn, state, op).map(WriteOutput::Appended),
        WriteOp::CreateAccount {
            name,
            password_phc,
            pk,
            now_ms,
        } => accounts::create_account(conn, &name, &password_phc, pk.as_deref(), now_ms)
            .map(WriteOutput::Account),
        WriteOp::SetPublicKey { name, pk } => done(accounts::set_public_key(conn, &name, &pk)),
        WriteOp::CreateSession {
            user,
            token_hash,
            now_ms,
        } => done(accounts::create_session(conn, &user, &token_hash, now_ms)),
        WriteOp::TouchSession { token_hash, now_ms } => {
            done(accounts::touch_session(conn, &token_hash, now_ms))
        }
        WriteOp::DeleteSession { token_hash } => done(accounts::delete_session(conn, &token_hash)),
        WriteOp::ChangePassword {
            user,
            password_phc,
            keep,
        } => accounts::change_password(conn, &user, &password_phc, &keep).map(WriteOutput::Count),
        WriteOp::CreateChannel(channel) => {
            accounts::create_channel(conn, &channel).map(WriteOutput::Channel)
        }
        WriteOp::AddMember {
            channel,
            user,
            now_ms,
        } => done(accounts::add_member(conn, &channel, &user, now_ms)),
        WriteOp::RemoveMember { channel, user } => {
            done(accounts::remove_member(conn, &channel, &user))
        }
        WriteOp::SetReadMarker {
            user,
            scope,
            seq,
            now_ms,
        } => done(accounts::set_read_marker(conn, &user, &scope, seq, now_ms)),
    }
}

impl WriterState {
    /// The ts of a new event: now, but never below an earlier event's.
    pub fn next_ts(&mut self) -> i64 {
        let now = match &self.clock {
            Some(clock) => clock(),
            None => now_ms(),
        };
        if now > self.last_ts {
            self.last_ts = now;
        }
        self.last_ts
    }

    /// The next seq of `scope`, remembering the previous value for rollback.
    pub fn next_seq(&mut self, conn: &Connection, scope: &str) -> Result<i64, StoreError> {
        let current = match self.seqs.get(scope) {
            Some(seq) => *seq,
            None => conn
                .prepare_cached("SELECT max(seq) FROM events WHERE scope = ?1")?
                .query_row([scope], |row| row.get::<_, Option<i64>>(0))?
                .unwrap_or(0),
        };
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

pub(crate) use crate::timespec::now_ms;

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

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
