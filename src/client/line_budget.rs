//! The bound on the client's display-line queue ([`crate::client::state::LineQueue`]): a count
//! of lines queued and not yet taken by the printer, and the receiving end that gives a line's
//! room back when it takes it. Pushing a line never waits (handlers push from sync code);
//! instead the event loop and the pipe-mode input loop wait for room before the next event or
//! input line ([`LineBudget::wait_for_room`]), so at most [`LINE_QUEUE_LINES`] plus the lines of
//! one event or command are ever queued, and a slow terminal or stdout slows the whole inbound
//! path down to the socket instead of growing memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Notify, mpsc};

/// Lines that may wait for the printer before the event loop stops taking events.
pub const LINE_QUEUE_LINES: usize = 1024;

/// How many display lines are queued; shared by every [`LineQueue`](super::state::LineQueue)
/// clone and the [`LineReceiver`].
#[derive(Debug, Default)]
pub struct LineBudget {
    queued: AtomicUsize,
    taken: Notify,
}

impl LineBudget {
    /// Counts one more queued line (before it is sent, so the printer never takes it first).
    pub fn charge(&self) {
        self.queued.fetch_add(1, Ordering::AcqRel);
    }

    /// Waits until fewer than [`LINE_QUEUE_LINES`] lines are queued.
    pub async fn wait_for_room(&self) {
        loop {
            let taken = self.taken.notified();
            tokio::pin!(taken);
            taken.as_mut().enable();
            if self.queued.load(Ordering::Acquire) < LINE_QUEUE_LINES {
                return;
            }
            taken.await;
        }
    }

    /// Gives one line's room back (taken by the printer, or not queued after all).
    pub fn release(&self) {
        let _ = self
            .queued
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |queued| {
                Some(queued.saturating_sub(1))
            });
        self.taken.notify_waiters();
    }
}

/// The printer's end of the line queue.
#[derive(Debug)]
pub struct LineReceiver {
    pub(super) receiver: mpsc::UnboundedReceiver<String>,
    pub(super) budget: Arc<LineBudget>,
}

impl LineReceiver {
    /// The next line; `None` once every queue handle is gone.
    pub async fn recv(&mut self) -> Option<String> {
        let line = self.receiver.recv().await?;
        self.budget.release();
        Some(line)
    }

    /// [`LineReceiver::recv`] for a plain thread (not inside the async runtime).
    pub fn blocking_recv(&mut self) -> Option<String> {
        let line = self.receiver.blocking_recv()?;
        self.budget.release();
        Some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_waits_until_the_printer_takes_a_line() {
        let budget = Arc::new(LineBudget::default());
        let (sender, receiver) = mpsc::unbounded_channel();
        let mut lines = LineReceiver {
            receiver,
            budget: budget.clone(),
        };
        for n in 0..LINE_QUEUE_LINES {
            budget.charge();
            sender.send(n.to_string()).expect("queued");
        }
        let waiting = budget.wait_for_room();
        tokio::pin!(waiting);
        assert!(futures_util::FutureExt::now_or_never(waiting.as_mut()).is_none());
        assert_eq!(lines.recv().await.as_deref(), Some("0"));
        tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("room after one line was taken");
    }
}
