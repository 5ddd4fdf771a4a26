//! The server-wide memory budget of outbound text: every connection's queue (and the frames its
//! writer has taken but not yet flushed to the socket) is charged to one [`OutboundBudget`].
//! When a push takes the total over the limit, the largest queues are closed with 1013 first
//! until what the open queues hold fits again; a closed connection's queue is dropped at once and
//! the frame its writer was sending when it closes within the close grace, so the total stays
//! under the limit plus one frame per connection closing at that moment. Queued bytes are charged
//! right after they are queued (a broadcast charges once for all its receivers), so the queues
//! the shedding looks at already hold them. A broadcast frame shared by many queues is charged to each of them, so the
//! accounting is an upper bound of the memory held. Configured by `ServerConfig::outbound_budget`
//! (a handle, like the clock, so tests and benchmarks can read the accounting); used by
//! `outbound::ConnHandle`, `outbox::TextQueue` and `registry::ChannelInner::broadcast`.

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use dashmap::DashMap;

use super::outbound::{CLOSE_SLOW_CONSUMER, ConnHandle};

/// Default server-wide budget: 1 GiB of queued outbound text.
pub const DEFAULT_OUTBOUND_BUDGET: usize = 1 << 30;

/// A cheap-to-clone handle on the server-wide outbound budget and its accounting.
#[derive(Clone)]
pub struct OutboundBudget {
    inner: Arc<BudgetInner>,
}

struct BudgetInner {
    limit: usize,
    /// Bytes charged minus bytes released, as a wrapping two's-complement count: a push charges
    /// right after queueing, so a writer that flushes at once may release first and the count
    /// is briefly below zero, which harms nothing.
    queued: AtomicUsize,
    peak: AtomicUsize,
    slow_closes: AtomicU64,
    queues: DashMap<u64, Weak<ConnHandle>>,
    /// Held while the largest queues are chosen, so two pushes do not both close connections.
    shedding: Mutex<()>,
}

impl OutboundBudget {
    /// A budget of `limit` bytes over all connections.
    pub fn new(limit: usize) -> OutboundBudget {
        OutboundBudget {
            inner: Arc::new(BudgetInner {
                limit,
                queued: AtomicUsize::new(0),
                peak: AtomicUsize::new(0),
                slow_closes: AtomicU64::new(0),
                queues: DashMap::new(),
                shedding: Mutex::new(()),
            }),
        }
    }

    /// The limit in bytes.
    pub fn limit(&self) -> usize {
        self.inner.limit
    }

    /// Bytes queued (or taken by a writer and not yet flushed) over every connection now.
    pub fn queued_bytes(&self) -> usize {
        (self.inner.queued.load(Ordering::Acquire) as isize).max(0) as usize
    }

    /// The most bytes ever queued at once.
    pub fn peak_bytes(&self) -> usize {
        self.inner.peak.load(Ordering::Acquire)
    }

    /// Connections closed with 1013 because their own queue or this budget was full.
    pub fn slow_closes(&self) -> u64 {
        self.inner.slow_closes.load(Ordering::Acquire)
    }

    /// Connections whose queues are charged to this budget.
    pub fn connections(&self) -> usize {
        self.inner.queues.len()
    }

    pub(crate) fn enroll(&self, conn: &Arc<ConnHandle>) {
        self.inner.queues.insert(conn.id, Arc::downgrade(conn));
    }

    pub(crate) fn leave(&self, conn_id: u64) {
        self.inner.queues.remove(&conn_id);
    }

    /// Charges `bytes` already queued (a broadcast charges all its receivers at once); when the
    /// total goes over the limit, closes the largest queues first.
    pub(crate) fn charge(&self, bytes: usize) {
        let before = self.inner.queued.fetch_add(bytes, Ordering::AcqRel);
        let total = (before.wrapping_add(bytes) as isize).max(0) as usize;
        // A read first: the peak's cache line is written only when the peak moves.
        if total > self.inner.peak.load(Ordering::Acquire) {
            self.inner.peak.fetch_max(total, Ordering::AcqRel);
        }
        if total > self.inner.limit {
            self.shed();
        }
    }

    /// Counts a connection closed because its own queue was full.
    pub(crate) fn note_slow_close(&self) {
        self.inner.slow_closes.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn release(&self, bytes: usize) {
        self.inner.queued.fetch_sub(bytes, Ordering::AcqRel);
    }

    /// Closes the largest open queues until what the others hold fits in the limit. Queues
    /// already closing count as freed (their writers drop them at once).
    fn shed(&self) {
        let Ok(_shedding) = self.inner.shedding.try_lock() else {
            return;
        };
        let mut open: Vec<(usize, Arc<ConnHandle>)> = Vec::new();
        let mut kept = 0usize;
        for entry in self.inner.queues.iter() {
            if let Some(conn) = entry.value().upgrade()
                && !conn.is_closing()
            {
                let queued = conn.queued_bytes();
                kept += queued;
                open.push((queued, conn));
            }
        }
        open.sort_unstable_by_key(|(queued, _)| std::cmp::Reverse(*queued));
        for (queued, conn) in open {
            if kept <= self.inner.limit || queued == 0 {
                break;
            }
            tracing::info!(
                conn = conn.id,
                queued,
                "server outbound budget full; closing the largest queue"
            );
            conn.request_close(CLOSE_SLOW_CONSUMER, false);
            self.inner.slow_closes.fetch_add(1, Ordering::AcqRel);
            kept -= queued;
        }
    }
}

impl Default for OutboundBudget {
    fn default() -> Self {
        OutboundBudget::new(DEFAULT_OUTBOUND_BUDGET)
    }
}

impl fmt::Debug for OutboundBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboundBudget")
            .field("limit", &self.inner.limit)
            .field("queued", &self.queued_bytes())
            .finish()
    }
}
