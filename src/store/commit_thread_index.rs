//! The writer thread's schedule of full-text index steps (`fts_steps`): how far the index is
//! behind after each transaction (published to searches through `SharedStats`), the wait for
//! the next request that turns into an idle step when the queue stays empty for the idle time,
//! and the step itself. Part of `commit_thread`.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{CommitThread, QueuedWrite};
use crate::store::fts_steps::{self, StepBounds};

/// The writer's view of the full-text index backlog (`fts_steps`).
pub(super) struct IndexSchedule {
    /// Ids between the index position and the newest event, as of the last transaction.
    pub backlog: i64,
    /// How long the queue stays empty before an idle step.
    idle: Duration,
    /// A step failed: no more idle steps until a group commits again.
    pub stalled: bool,
    /// Waits for the next request with a timeout (a current-thread runtime with a timer, made
    /// on the writer thread; without one, idle steps are skipped).
    timer: Option<tokio::runtime::Runtime>,
}

impl IndexSchedule {
    pub fn new(idle: Duration) -> IndexSchedule {
        IndexSchedule {
            backlog: 0,
            idle,
            stalled: false,
            timer: None,
        }
    }

    /// Makes the timer; on the writer thread (a runtime must not be dropped in async code).
    pub fn start_timer(&mut self) {
        self.timer = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .inspect_err(|error| tracing::warn!(%error, "the store writer has no timer"))
            .ok();
    }
}

impl CommitThread {
    /// The next request: at once if one is queued; else, with a full-text backlog, an index
    /// step each time the queue has stayed empty for the idle time (and then at once while it
    /// stays empty), until the index is in step; then waits. `None`: every sender is gone.
    pub(super) fn next_request(
        &mut self,
        receiver: &mut tokio::sync::mpsc::Receiver<Box<dyn QueuedWrite>>,
    ) -> Option<Box<dyn QueuedWrite>> {
        let mut idle = false;
        loop {
            match receiver.try_recv() {
                Ok(request) => return Some(request),
                Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => return None,
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => {}
            }
            let timer = match &self.index.timer {
                Some(timer) if self.index.backlog > 0 && !self.index.stalled => timer,
                _ => return receiver.blocking_recv(),
            };
            if idle {
                self.index_step(StepBounds::background(0));
                continue;
            }
            let idle_time = self.index.idle;
            // The timeout is made inside `block_on`: its timer needs the runtime's context.
            let wait = async { tokio::time::timeout(idle_time, receiver.recv()).await };
            match timer.block_on(wait) {
                Ok(next) => return next,
                Err(_elapsed) => idle = true,
            }
        }
    }

    /// One bounded full-text index step in a transaction of its own.
    pub(super) fn index_step(&mut self, bounds: StepBounds) {
        if let Err(error) = fts_steps::run_step(&mut self.conn, bounds) {
            tracing::warn!(%error, "indexing new messages for search failed; retrying later");
            self.index.stalled = true;
        }
        self.refresh_index_backlog();
    }

    /// Reads the backlog after a transaction and tells searches whether they must wait for it.
    pub(super) fn refresh_index_backlog(&mut self) {
        self.index.backlog = fts_steps::backlog(&self.conn).unwrap_or_else(|error| {
            tracing::warn!(%error, "reading the full-text index position failed");
            1
        });
        let behind = self.index.backlog > 0;
        self.stats
            .search_index_behind
            .store(behind, Ordering::SeqCst);
    }
}
