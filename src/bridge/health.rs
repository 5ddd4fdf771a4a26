//! The bridge's counters and its periodic health line in the log: messages relayed each way,
//! messages dropped, 429s met, the outbound queue depth, and the last error (a short
//! description, never message text or a token).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Shared counters of one running bridge.
#[derive(Default)]
pub struct Health {
    to_discord: AtomicU64,
    to_chatify: AtomicU64,
    dropped: AtomicU64,
    rate_limited: AtomicU64,
    last_error: Mutex<Option<String>>,
}

/// A snapshot of the counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthSnapshot {
    pub to_discord: u64,
    pub to_chatify: u64,
    pub dropped: u64,
    pub rate_limited: u64,
    pub last_error: Option<String>,
}

impl Health {
    pub fn relayed_to_discord(&self) {
        self.to_discord.fetch_add(1, Ordering::Relaxed);
    }

    pub fn relayed_to_chatify(&self) {
        self.to_chatify.fetch_add(1, Ordering::Relaxed);
    }

    pub fn dropped_one(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    pub fn met_rate_limit(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    /// Remembers the latest error for the health line.
    pub fn note_error(&self, error: impl Into<String>) {
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(error.into());
    }

    pub fn snapshot(&self) -> HealthSnapshot {
        HealthSnapshot {
            to_discord: self.to_discord.load(Ordering::Relaxed),
            to_chatify: self.to_chatify.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            last_error: self
                .last_error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }
}

impl HealthSnapshot {
    /// The health line: `bridge health: to_discord=… to_chatify=… queued=… dropped=…
    /// rate_limited=… last_error=…`.
    pub fn line(&self, queued: usize) -> String {
        format!(
            "bridge health: to_discord={} to_chatify={} queued={} dropped={} rate_limited={} last_error={}",
            self.to_discord,
            self.to_chatify,
            queued,
            self.dropped,
            self.rate_limited,
            self.last_error.as_deref().unwrap_or("none")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_health_line_names_every_counter() {
        let health = Health::default();
        health.relayed_to_discord();
        health.relayed_to_discord();
        health.relayed_to_chatify();
        health.met_rate_limit();
        assert_eq!(
            health.snapshot().line(4),
            "bridge health: to_discord=2 to_chatify=1 queued=4 dropped=0 rate_limited=1 last_error=none"
        );
        health.note_error("chatify: disconnected");
        assert!(
            health
                .snapshot()
                .line(0)
                .ends_with("last_error=chatify: disconnected")
        );
    }
}
