//! [`EventLog`]: the seam in front of the durable event log (DESIGN.md §10), and its SQLite
//! implementation by [`Store`]. The server appends through it and reads catch-up ranges through
//! it; a multi-node release implements it over a NATS JetStream stream. The contract, which
//! every implementation keeps (ARCHITECTURE.md, "The event log"):
//!
//! - **Committed** means durable: the event survives a crash of this process (and, with a
//!   replicated log, the loss of a node). Nothing is reported before that.
//! - **Order**: events are committed in one total order; [`LoggedEvent::id`] rises along it
//!   (gaps allowed), and `on_commit` callbacks run in exactly that order, one at a time.
//! - **Seq**: each scope (`#channel`, or the DM pair) numbers its events 1, 2, 3… without gaps;
//!   the number is assigned at commit, so a rejected or failed append never takes one.
//! - **Reads** see every committed event: a range read or a subscription that starts after a
//!   callback has run includes that callback's event.

use std::future::Future;
use std::pin::Pin;

use super::Store;
use super::error::StoreError;
use super::events::LoggedEvent;
use super::types::{AppendOp, Page};

/// Called once per accepted append, after its commit (or with why it failed), in commit order.
pub type CommitCallback = Box<dyn FnOnce(Result<LoggedEvent, StoreError>) + Send>;

/// A boxed future of the log (the trait is used as `dyn EventLog`).
pub type LogFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The durable, ordered event log.
pub trait EventLog: Send + Sync + 'static {
    /// Appends `event`: the log validates it, assigns id, seq and ts, commits, then calls
    /// `on_commit`. Returns `Err` at once, without ever calling `on_commit`, when the log cannot
    /// take the event now (queue full, closed). `on_commit` runs on the log's own thread: it
    /// may block briefly (on a bounded queue) but must never wait for the log itself.
    fn append(&self, event: AppendOp, on_commit: CommitCallback) -> Result<(), StoreError>;

    /// Committed events of one scope (`#channel` or `@a:b`) with seq > `after_seq`, oldest
    /// first, at most `limit`; `more` says the limit cut them.
    fn read_scope(
        &self,
        scope: &str,
        after_seq: i64,
        limit: u32,
    ) -> LogFuture<'_, Page<LoggedEvent>>;

    /// Committed events of every scope with id > `after_id`, in commit order, at most `limit`.
    fn read_after(&self, after_id: i64, limit: u32) -> LogFuture<'_, Vec<LoggedEvent>>;

    /// Follows the log from position `after_id` (an event id; 0 is the beginning).
    fn subscribe(&self, after_id: i64) -> Box<dyn EventSubscription>;
}

/// A reader that follows the log in commit order from a position.
pub trait EventSubscription: Send {
    /// The next committed events after the current position (at most `max`), waiting until
    /// there is at least one; advances the position past them.
    fn next_batch(&mut self, max: u32) -> LogFuture<'_, Vec<LoggedEvent>>;

    /// The id of the last event handed out (the position to resume from).
    fn position(&self) -> i64;
}

impl EventLog for Store {
    fn append(&self, event: AppendOp, on_commit: CommitCallback) -> Result<(), StoreError> {
        Store::append(self, event, on_commit)
    }

    fn read_scope(
        &self,
        scope: &str,
        after_seq: i64,
        limit: u32,
    ) -> LogFuture<'_, Page<LoggedEvent>> {
        let scope = scope.to_string();
        Box::pin(self.read(move |reader| reader.scope_events_after(&scope, after_seq, limit)))
    }

    fn read_after(&self, after_id: i64, limit: u32) -> LogFuture<'_, Vec<LoggedEvent>> {
        Box::pin(self.read(move |reader| reader.events_after_id(after_id, limit)))
    }

    fn subscribe(&self, after_id: i64) -> Box<dyn EventSubscription> {
        Box::new(StoreSubscription {
            store: self.clone(),
            committed: self.committed_ids(),
            position: after_id,
        })
    }
}

/// A subscription to the SQLite log: reads ranges by id and waits on the commit thread's
/// "newest committed id" between them. Holds no queue, so a slow subscriber costs nothing.
struct StoreSubscription {
    store: Store,
    committed: tokio::sync::watch::Receiver<i64>,
    position: i64,
}

impl EventSubscription for StoreSubscription {
    fn next_batch(&mut self, max: u32) -> LogFuture<'_, Vec<LoggedEvent>> {
        Box::pin(async move {
            loop {
                let newest = *self.committed.borrow_and_update();
                if newest > self.position {
                    let events = EventLog::read_after(&self.store, self.position, max).await?;
                    if let Some(last) = events.last() {
                        self.position = last.id;
                        return Ok(events);
                    }
                }
                self.committed
                    .changed()
                    .await
                    .map_err(|_| StoreError::Unavailable("the store writer has stopped".into()))?;
            }
        })
    }

    fn position(&self) -> i64 {
        self.position
    }
}
