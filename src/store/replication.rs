//! The replicated write path of a cluster node (`serve --cluster`, docs/CLUSTER.md). A node's
//! SQLite file is then a materialised index of one shared, totally ordered log (a NATS
//! JetStream stream): every write request is first handed to a [`WriteReplicator`] (which
//! appends it to the log as a [`ReplicatedWrite`]), and the node's materialiser applies each
//! log entry, in log order, through [`Store::apply_replicated`] — the entry's own request with
//! its caller's callback when this node wrote it, a decoded copy otherwise. Because every node
//! applies the same requests in the same order at the same pinned time, every node assigns the
//! same ids, `seq`s and `ts`, and reaches the same decision where two writes race (the second
//! registration of a name is refused on every node). The position of the last applied entry is
//! stored in the same transaction as the entry (`cluster_position`), so each entry is applied
//! exactly once, across crashes too. A single-node database is imported once as the log's
//! start ([`SeedMark`], [`snapshot_for_cluster`], [`mark_seeded`]; `cluster::seed`).

// Compiled into every build; only `--features cluster` installs a replicator.
#![cfg_attr(not(feature = "cluster"), allow(dead_code))]

use std::path::Path;
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension};

use super::Store;
pub(crate) use super::commit_thread::QueuedWrite;
use super::commit_thread::{CommitCounters, Queued, WriteRequest};
use super::error::StoreError;
use super::events::LoggedEvent;
use super::requests;

/// One write request as it travels through the shared log.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(tag = "w", content = "r", rename_all = "snake_case")]
pub enum ReplicatedWrite {
    AppendEvent(requests::AppendEvent),
    CreateAccount(requests::CreateAccount),
    SetPublicKey(requests::SetPublicKey),
    CreateSession(requests::CreateSession),
    TouchSession(requests::TouchSession),
    RememberLoginAddress(requests::RememberLoginAddress),
    DeleteSession(requests::DeleteSession),
    ChangePassword(requests::ChangePassword),
    CreateChannel(requests::CreateChannel),
    AddMember(requests::AddMember),
    RemoveMember(requests::RemoveMember),
    SetReadMarker(requests::SetReadMarker),
    Administer(requests::Administer),
    /// The log's first entry after `chatify migrate --to-cluster`.
    Seed(SeedMark),
}

/// Appends write requests to the shared log. The local request (with its caller's callback)
/// is kept until the materialiser meets the entry again; it is answered once, then: applied,
/// or failed when the append itself failed.
pub(crate) trait WriteReplicator: Send + Sync {
    /// Starts appending `write`; `local` is what the materialiser applies for it. `Err` at once
    /// (without ever calling `local`'s callback) when the log cannot take it now.
    fn replicate(
        &self,
        write: ReplicatedWrite,
        local: Box<dyn QueuedWrite>,
    ) -> Result<(), StoreError>;
}

/// What the materialiser applies for one log entry.
pub(crate) enum EntryWrite {
    /// This node's own request, with its caller's callback.
    Local(Box<dyn QueuedWrite>),
    /// Another node's request, decoded from the log.
    Foreign(ReplicatedWrite),
}

/// What another node changed that this node's live state (the server's registry and fan-out)
/// must learn, once applied here.
#[derive(Debug)]
pub enum ForeignChange {
    /// A committed event, to deliver to this node's connections.
    Event(LoggedEvent),
    /// A channel created (or found) by another node.
    Channel(super::types::ChannelRecord),
    /// A user joined a channel (registering joins `general`).
    Joined { channel: String, user: String },
    /// A user left a channel.
    Left { channel: String, user: String },
    /// An administration op (an admin's action, a purge) applied at `ts`, the origin's time.
    Administered { op: super::AdminOp, ts: i64 },
    /// A user's public key stored at `ts` (a registration with a key, a login with a new one).
    KeySet { user: String, pk: String, ts: i64 },
}

/// Receives other nodes' changes after this node applied them; runs on the writer thread.
pub type ForeignEventSink = Arc<dyn Fn(ForeignChange) + Send + Sync>;

impl ReplicatedWrite {
    /// The request of another node's entry (applied at `ts`), answered into `sink` or nowhere.
    fn into_queued(self, sink: Option<ForeignEventSink>, ts: i64) -> Box<dyn QueuedWrite> {
        fn quiet<R: WriteRequest>(request: R) -> Box<dyn QueuedWrite> {
            Queued::boxed(request, Box::new(|_| {}))
        }
        let tell = move |change: ForeignChange| {
            if let Some(sink) = &sink {
                sink(change);
            }
        };
        match self {
            ReplicatedWrite::AppendEvent(request) => Queued::boxed(
                request,
                Box::new(move |result| {
                    if let Ok(event) = result {
                        tell(ForeignChange::Event(event));
                    }
                }),
            ),
            ReplicatedWrite::CreateAccount(request) => {
                let pk = request.pk.clone();
                Queued::boxed(
                    request,
                    Box::new(move |result| {
                        if let Ok(account) = result {
                            let (channel, user) = ("general".to_string(), account.name);
                            tell(ForeignChange::Joined {
                                channel,
                                user: user.clone(),
                            });
                            // A first key counts as a change, announced after the membership.
                            if let Some(pk) = pk {
                                tell(ForeignChange::KeySet { user, pk, ts });
                            }
                        }
                    }),
                )
            }
            ReplicatedWrite::CreateChannel(request) => Queued::boxed(
                request,
                Box::new(move |result| {
                    if let Ok(record) = result {
                        tell(ForeignChange::Channel(record));
                    }
                }),
            ),
            ReplicatedWrite::AddMember(request) => {
                let (channel, user) = (request.channel.clone(), request.user.clone());
                Queued::boxed(
                    request,
                    Box::new(move |result| {
                        if result.is_ok() {
                            tell(ForeignChange::Joined { channel, user });
                        }
                    }),
                )
            }
            ReplicatedWrite::RemoveMember(request) => {
                let (channel, user) = (request.channel.clone(), request.user.clone());
                Queued::boxed(
                    request,
                    Box::new(move |result| {
                        if result.is_ok() {
                            tell(ForeignChange::Left { channel, user });
                        }
                    }),
                )
            }
            ReplicatedWrite::Administer(request) => {
                let op = request.0.clone();
                Queued::boxed(
                    request,
                    Box::new(move |result| {
                        if result.is_ok() {
                            tell(ForeignChange::Administered { op, ts });
                        }
                    }),
                )
            }
            ReplicatedWrite::Seed(mark) => quiet(mark),
            ReplicatedWrite::SetPublicKey(request) => {
                let (user, pk) = (request.name.clone(), request.pk.clone());
                Queued::boxed(
                    request,
                    Box::new(move |result| {
                        if result.is_ok() {
                            tell(ForeignChange::KeySet { user, pk, ts });
                        }
                    }),
                )
            }
            ReplicatedWrite::CreateSession(request) => quiet(request),
            ReplicatedWrite::TouchSession(request) => quiet(request),
            ReplicatedWrite::RememberLoginAddress(request) => quiet(request),
            ReplicatedWrite::DeleteSession(request) => quiet(request),
            ReplicatedWrite::ChangePassword(request) => quiet(request),
            ReplicatedWrite::SetReadMarker(request) => quiet(request),
        }
    }
}

/// A log entry being applied: the write, at its origin's time, recording its position.
struct PositionedWrite {
    inner: Box<dyn QueuedWrite>,
    position: u64,
    ts: i64,
    applied: tokio::sync::watch::Sender<ApplyState>,
    failed: bool,
}

/// How far the materialiser got: the last applied position, or a halt (a failed transaction:
/// the node must not skip an entry, so it stops applying until restarted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyState {
    Applied(u64),
    Halted(u64),
}

impl QueuedWrite for PositionedWrite {
    fn run(&mut self, conn: &Connection, counters: &mut CommitCounters) -> Result<(), StoreError> {
        self.failed = false;
        // Entries queued behind one that failed are never applied: the node must not skip an
        // entry, so everything after a halt waits for a restart.
        if let ApplyState::Halted(at) = *self.applied.borrow() {
            return Err(StoreError::Unavailable(format!(
                "this node stopped applying the cluster log at entry {at}"
            )));
        }
        counters.pin_now(Some(self.ts));
        let result = self.inner.run(conn, counters);
        counters.pin_now(None);
        result?;
        conn.prepare_cached(
            "INSERT INTO cluster_position (id, stream_seq) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET stream_seq = excluded.stream_seq",
        )?
        .execute([self.position as i64])?;
        Ok(())
    }

    fn fail(&mut self, error: StoreError) {
        self.failed = true;
        self.inner.fail(error);
    }

    fn reply(self: Box<Self>) {
        let state = if self.failed {
            ApplyState::Halted(self.position)
        } else {
            ApplyState::Applied(self.position)
        };
        self.inner.reply();
        // A halt is final: a later entry's reply never turns it back into progress.
        self.applied.send_if_modified(|current| {
            if matches!(current, ApplyState::Halted(_)) {
                return false;
            }
            *current = state;
            true
        });
    }
}

/// The table of the last applied log position.
const CREATE_CLUSTER_POSITION: &str = "CREATE TABLE IF NOT EXISTS cluster_position (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    stream_seq INTEGER NOT NULL
)";

/// Creates the position table if missing and reads the last applied log position (0: none).
#[derive(Clone)]
struct ReadClusterPosition;

impl WriteRequest for ReadClusterPosition {
    type Reply = u64;

    fn apply(&self, conn: &Connection, _: &mut CommitCounters) -> Result<u64, StoreError> {
        conn.execute_batch(CREATE_CLUSTER_POSITION)?;
        let position: Option<i64> = conn
            .query_row(
                "SELECT stream_seq FROM cluster_position WHERE id = 1",
                [],
                |row| row.get(0),
            )
            .optional()?;
        let has_accounts: bool =
            conn.query_row("SELECT EXISTS (SELECT 1 FROM accounts)", [], |row| {
                row.get(0)
            })?;
        if position.is_none() && has_accounts {
            // Its ids and seqs would collide with the stream's: it is imported once instead.
            return Err(StoreError::Unavailable(
                "this database was not made by a cluster node; import it into a new cluster once \
                 with `chatify migrate --db FILE --to-cluster nats://…`, then start each node on \
                 a new, empty database path (it downloads the import)"
                    .into(),
            ));
        }
        Ok(position.unwrap_or(0).max(0) as u64)
    }
}

impl Store {
    /// Prepares this store to be a cluster node's index: returns the last applied log
    /// position (0 for a fresh file) and, from now on, hands every write to `replicator`.
    pub(crate) async fn become_replica(
        &self,
        replicator: Arc<dyn WriteReplicator>,
    ) -> Result<u64, StoreError> {
        let position = self.submit(ReadClusterPosition).await?;
        self.inner
            .replicator
            .set(replicator)
            .map_err(|_| StoreError::Unavailable("the store is already a replica".into()))?;
        Ok(position)
    }

    /// Where events another node committed go once applied here (the server's fan-out).
    pub fn set_foreign_event_sink(&self, sink: ForeignEventSink) {
        let _ = self.inner.foreign_sink.set(sink);
    }

    /// Applies log entry `position` (at its origin's time `ts`) after everything queued before
    /// it, waiting for queue space. `applied` is told the position once it is committed (or
    /// that applying failed).
    pub(crate) async fn apply_replicated(
        &self,
        position: u64,
        ts: i64,
        write: EntryWrite,
        applied: &tokio::sync::watch::Sender<ApplyState>,
    ) -> Result<(), StoreError> {
        let inner = match write {
            EntryWrite::Local(local) => local,
            EntryWrite::Foreign(write) => {
                write.into_queued(self.inner.foreign_sink.get().cloned(), ts)
            }
        };
        let positioned = PositionedWrite {
            inner,
            position,
            ts,
            applied: applied.clone(),
            failed: false,
        };
        self.inner.submit_direct(Box::new(positioned)).await
    }
}

/// The log's first entry when a single-node database was imported (`chatify migrate
/// --to-cluster`): where the copy is and how to check it. Nodes download it before they open
/// their store (`cluster::seed`); a node that meets it in its materialiser did not, and halts.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SeedMark {
    /// The stream holding the copy, one part per message from sequence 1.
    pub stream: String,
    pub parts: u64,
    pub bytes: u64,
    /// BLAKE3 of the whole copy, hex.
    pub blake3: String,
    /// The copy's schema version.
    pub schema_version: u32,
}

impl WriteRequest for SeedMark {
    type Reply = ();

    fn replicated(&self) -> Option<ReplicatedWrite> {
        Some(ReplicatedWrite::Seed(self.clone()))
    }

    fn apply(&self, _: &Connection, _: &mut CommitCounters) -> Result<(), StoreError> {
        Err(StoreError::Unavailable(
            "the cluster log starts with an imported database, which this node's existing \
             database file does not hold: start the node on a database path that does not exist \
             yet, and it downloads the import first"
                .into(),
        ))
    }
}

/// Writes a consistent copy of the single-node database `source` to `target` (which must not
/// exist) for `chatify migrate --to-cluster`; returns its schema version. Refuses a database
/// that is not at this build's schema version or is already a cluster node's index.
pub fn snapshot_for_cluster(source: &Path, target: &Path) -> Result<u32, StoreError> {
    let status = super::migrations::status(source)?;
    if !status.pending.is_empty() {
        return Err(StoreError::Unavailable(format!(
            "the database is at schema version {} and this chatify uses {}: run `chatify \
             migrate` on it first",
            status.current, status.target
        )));
    }
    let conn = Connection::open_with_flags(source, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    if has_cluster_position(&conn)? {
        return Err(StoreError::Unavailable(
            "this database is already a cluster node's index; only a single-node database is \
             imported"
                .into(),
        ));
    }
    let _ = std::fs::remove_file(target);
    conn.execute("VACUUM INTO ?1", [target.to_string_lossy()])?;
    Ok(status.current)
}

/// Whether the database is a cluster node's index: it has the position table (a node creates it
/// when it starts on the file, or the seed download does).
fn has_cluster_position(conn: &Connection) -> Result<bool, StoreError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cluster_position')",
        [],
        |row| row.get(0),
    )?)
}

/// The last log position applied to the database at `path` when it is a cluster node's index
/// (0: none applied yet), `None` for a single-node database. Opens the file read-only.
pub fn cluster_index_position(path: &Path) -> Result<Option<u64>, StoreError> {
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    if !has_cluster_position(&conn)? {
        return Ok(None);
    }
    let position: Option<i64> = conn
        .query_row(
            "SELECT stream_seq FROM cluster_position WHERE id = 1",
            [],
            |row| row.get(0),
        )
        .optional()?;
    Ok(Some(position.unwrap_or(0).max(0) as u64))
}

/// Records in the downloaded copy `path` that the log was applied up to `position` (the seed).
pub fn mark_seeded(path: &Path, position: u64) -> Result<(), StoreError> {
    let conn = Connection::open(path)?;
    conn.execute_batch(CREATE_CLUSTER_POSITION)?;
    conn.execute(
        "INSERT INTO cluster_position (id, stream_seq) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET stream_seq = excluded.stream_seq",
        [position as i64],
    )?;
    Ok(())
}
