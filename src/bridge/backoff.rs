//! Reconnect pacing: exponential backoff with full jitter, and a cap on Discord gateway
//! identifies (Discord disables bots that open too many sessions in a short time, so a crash
//! loop must never become a reconnect storm). Time is passed in, so tests drive a fake clock.

use std::collections::VecDeque;
use std::time::Duration;

/// Exponential backoff with full jitter: attempt `n` waits a random time in
/// `[base·2ⁿ / 2, base·2ⁿ]`, capped.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff {
            base,
            cap,
            attempt: 0,
        }
    }

    /// The next wait (a `jitter` in `0.0..=1.0` picks where in the window it falls).
    pub fn next_delay_with(&mut self, jitter: f64) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.cap);
        self.attempt = self.attempt.saturating_add(1);
        ceiling.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }

    /// The next wait with a random jitter.
    pub fn next_delay(&mut self) -> Duration {
        self.next_delay_with(rand::random::<f64>())
    }

    /// After a success: start again from `base`.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// At most `max` identifies in any `window`. Times are Unix milliseconds, so the record can be
/// kept on disk (the id map does) and a crash-looping process still respects the cap.
#[derive(Debug, Clone)]
pub struct IdentifyBudget {
    max: usize,
    window_ms: i64,
    recent: VecDeque<i64>,
}

impl IdentifyBudget {
    /// A budget that already counts the identifies at `earlier` (Unix ms, any order).
    pub fn new(max: usize, window: Duration, earlier: &[i64]) -> IdentifyBudget {
        let mut recent: Vec<i64> = earlier.to_vec();
        recent.sort_unstable();
        IdentifyBudget {
            max: max.max(1),
            window_ms: i64::try_from(window.as_millis()).unwrap_or(i64::MAX),
            recent: recent.into(),
        }
    }

    /// How long to wait at `now_ms` before the next identify is allowed (zero: go ahead).
    pub fn wait_before_identify(&mut self, now_ms: i64) -> Duration {
        while self
            .recent
            .front()
            .is_some_and(|t| now_ms.saturating_sub(*t) >= self.window_ms)
        {
            self.recent.pop_front();
        }
        if self.recent.len() < self.max {
            return Duration::ZERO;
        }
        let oldest = self.recent.front().copied().unwrap_or(now_ms);
        let left = self.window_ms.saturating_sub(now_ms.saturating_sub(oldest));
        Duration::from_millis(u64::try_from(left).unwrap_or(0))
    }

    /// Records an identify at `now_ms`.
    pub fn record_identify(&mut self, now_ms: i64) {
        self.recent.push_back(now_ms);
        while self.recent.len() > self.max {
            self.recent.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap_and_resets() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(10));
        let waits: Vec<_> = (0..6).map(|_| backoff.next_delay_with(1.0)).collect();
        let secs: Vec<u64> = waits.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, vec![1, 2, 4, 8, 10, 10]);
        assert_eq!(backoff.next_delay_with(0.0), Duration::from_secs(5));
        backoff.reset();
        assert_eq!(backoff.next_delay_with(0.0), Duration::from_millis(500));
    }

    #[test]
    fn identifies_are_capped_per_window_including_earlier_runs() {
        let start = 1_700_000_000_000_i64;
        let minute = Duration::from_secs(60);
        // One identify happened before this process started (a crash loop).
        let mut budget = IdentifyBudget::new(3, minute, &[start]);
        for n in 1..3 {
            let now = start + n * 1000;
            assert_eq!(budget.wait_before_identify(now), Duration::ZERO);
            budget.record_identify(now);
        }
        let now = start + 10_000;
        assert_eq!(budget.wait_before_identify(now), Duration::from_secs(50));
        assert_eq!(budget.wait_before_identify(start + 60_000), Duration::ZERO);
    }
}
