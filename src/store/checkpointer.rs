//! The background WAL checkpointer (issue 13). SQLite's automatic checkpoint runs inside the
//! commit that crosses its threshold, on the one writer thread: copying the WAL into the main
//! file and its two `fsync`s then stall every append queued behind it (the profile of the
//! ingest run showed 6 % of the server's CPU and most of the writer's waiting there). Here a
//! thread of its own, with its own connection, runs `PRAGMA wal_checkpoint(PASSIVE)` whenever
//! the writer has committed [`CHECKPOINT_EVERY_REQUESTS`] requests since it last asked; PASSIVE
//! never blocks the writer or the readers. The writer keeps SQLite's own automatic checkpoint as
//! a back-stop at [`WRITER_AUTOCHECKPOINT_PAGES`]: by then the background checkpoints have copied
//! almost everything, so the writer's own one is short, and it lets the WAL start over from its
//! beginning (which a checkpoint on another connection cannot do while commits keep coming).
//! Owned by the writer thread (`commit_thread`), which stops it before its final checkpoint.

use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

use rusqlite::Connection;

use super::error::StoreError;
use super::files;
use super::types::Durability;

/// Committed requests between two requests for a background checkpoint.
pub(crate) const CHECKPOINT_EVERY_REQUESTS: u64 = 4_000;
/// The writer connection's own automatic checkpoint threshold, in WAL pages (SQLite's default
/// is 1,000): the back-stop that keeps the WAL bounded and lets it restart.
pub(crate) const WRITER_AUTOCHECKPOINT_PAGES: u32 = 10_000;

/// The writer's handle on the checkpointer thread.
pub(crate) struct Checkpointer {
    wake: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
    since_last: u64,
}

impl Checkpointer {
    /// Opens the checkpointer's connection on `path` and starts its thread.
    pub fn start(path: &Path, durability: Durability) -> Result<Checkpointer, StoreError> {
        let conn = files::open_read_write(path)?;
        files::configure(&conn, durability)?;
        let (wake, woken) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("chatify-store-checkpoint".into())
            .spawn(move || run(conn, woken))
            .map_err(|error| StoreError::io("starting the store checkpoint thread", error))?;
        Ok(Checkpointer {
            wake: Some(wake),
            thread: Some(thread),
            since_last: 0,
        })
    }

    /// Counts `requests` just committed; asks for a checkpoint when enough have been. Never
    /// waits: a request already pending covers this one.
    pub fn committed(&mut self, requests: u64) {
        self.since_last += requests;
        if self.since_last < CHECKPOINT_EVERY_REQUESTS {
            return;
        }
        self.since_last = 0;
        if let Some(wake) = &self.wake {
            match wake.try_send(()) {
                Ok(()) | Err(TrySendError::Full(())) => {}
                Err(TrySendError::Disconnected(())) => {
                    tracing::warn!("the store checkpoint thread has stopped");
                    self.wake = None;
                }
            }
        }
    }

    /// Stops the thread (after the checkpoint it may be running) and waits for it.
    pub fn stop(&mut self) {
        self.wake = None;
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the store checkpoint thread panicked");
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(conn: Connection, woken: Receiver<()>) {
    while woken.recv().is_ok() {
        if let Err(error) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(%error, "background WAL checkpoint failed");
        }
    }
}

#[cfg(test)]
#[path = "checkpointer_tests.rs"]
mod tests;
