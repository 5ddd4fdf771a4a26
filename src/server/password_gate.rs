//! Admission to Argon2 (DESIGN.md §5): at most `password_hash_concurrency` password hashes run at
//! once, and the attempts waiting for a turn are served in two lanes. The priority lane is for
//! logins from an address the account logged in from before and for password changes of
//! logged-in users; everything else — logins from unknown addresses, unknown accounts,
//! registrations — waits in the ordinary lane, which holds at most `password_hash_queue`
//! attempts: one more is refused at once (`rate_limited`), so a flood of bogus logins costs the
//! server a bounded queue and cannot push a real user's login behind it. A turn goes to the
//! priority lane first. Used by `auth` and `sessions` through `auth::with_password_slot`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// Which lane an attempt waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// A known address for the account, or an authenticated user.
    Priority,
    /// Everything else; bounded.
    Ordinary,
}

/// The ordinary lane is full: the attempt was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateFull;

/// Bounds concurrent Argon2 work and orders who waits for it.
#[derive(Debug)]
pub struct PasswordGate {
    inner: Arc<Mutex<GateState>>,
    concurrency: usize,
    ordinary_queue: usize,
}

#[derive(Debug, Default)]
struct GateState {
    running: usize,
    priority: VecDeque<oneshot::Sender<GatePermit>>,
    ordinary: VecDeque<oneshot::Sender<GatePermit>>,
}

/// A turn to run Argon2; dropping it hands the turn to the next waiter.
#[derive(Debug)]
pub struct GatePermit {
    inner: Arc<Mutex<GateState>>,
}

impl PasswordGate {
    /// `concurrency` hashes at once; at most `ordinary_queue` ordinary attempts waiting.
    pub fn new(concurrency: usize, ordinary_queue: usize) -> PasswordGate {
        PasswordGate {
            inner: Arc::new(Mutex::new(GateState::default())),
            concurrency: concurrency.max(1),
            ordinary_queue,
        }
    }

    /// Waits for a turn in `lane`; `GateFull` at once when the ordinary lane is full.
    pub async fn acquire(&self, lane: Lane) -> Result<GatePermit, GateFull> {
        let waiting = {
            let mut state = lock(&self.inner);
            if state.running < self.concurrency {
                state.running += 1;
                return Ok(self.permit());
            }
            let (sender, receiver) = oneshot::channel();
            match lane {
                Lane::Priority => state.priority.push_back(sender),
                Lane::Ordinary => {
                    state.ordinary.retain(|waiter| !waiter.is_closed());
                    if state.ordinary.len() >= self.ordinary_queue {
                        return Err(GateFull);
                    }
                    state.ordinary.push_back(sender);
                }
            }
            receiver
        };
        // The sender lives in the queue until a permit is handed over; a permit sent to a
        // waiter that gave up is dropped with the channel and passes the turn on.
        waiting.await.map_err(|_| GateFull)
    }

    fn permit(&self) -> GatePermit {
        GatePermit {
            inner: self.inner.clone(),
        }
    }
}

impl Drop for GatePermit {
    fn drop(&mut self) {
        let next = {
            let mut state = lock(&self.inner);
            let next = next_waiter(&mut state);
            if next.is_none() {
                state.running = state.running.saturating_sub(1);
            }
            next
        };
        if let Some(waiter) = next {
            // On failure the returned permit is dropped here and hands the turn on again.
            let _ = waiter.send(GatePermit {
                inner: self.inner.clone(),
            });
        }
    }
}

/// The next live waiter, priority lane first.
fn next_waiter(state: &mut GateState) -> Option<oneshot::Sender<GatePermit>> {
    for lane in [&mut state.priority, &mut state.ordinary] {
        while let Some(waiter) = lane.pop_front() {
            if !waiter.is_closed() {
                return Some(waiter);
            }
        }
    }
    None
}

fn lock(inner: &Mutex<GateState>) -> std::sync::MutexGuard<'_, GateState> {
    inner
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_priority_waiter_gets_the_next_turn_before_earlier_ordinary_ones() {
        let gate = Arc::new(PasswordGate::new(1, 8));
        let running = gate.acquire(Lane::Ordinary).await.expect("first turn");
        let (order_tx, mut order) = tokio::sync::mpsc::unbounded_channel();
        let mut waiters = Vec::new();
        for (name, lane) in [
            ("ordinary-1", Lane::Ordinary),
            ("ordinary-2", Lane::Ordinary),
            ("priority", Lane::Priority),
        ] {
            let (gate, order_tx) = (gate.clone(), order_tx.clone());
            waiters.push(tokio::spawn(async move {
                let _permit = gate.acquire(lane).await.expect("a turn");
                order_tx.send(name).expect("order");
            }));
            // Each waiter is queued before the next one is spawned.
            tokio::task::yield_now().await;
        }
        drop(running);
        let mut seen = Vec::new();
        for _ in 0..3 {
            let next = tokio::time::timeout(Duration::from_secs(5), order.recv()).await;
            seen.push(next.expect("in time").expect("a name"));
        }
        assert_eq!(seen, ["priority", "ordinary-1", "ordinary-2"]);
    }

    #[tokio::test]
    async fn a_full_ordinary_lane_refuses_at_once_and_priority_still_queues() {
        let gate = Arc::new(PasswordGate::new(1, 2));
        let _running = gate.acquire(Lane::Ordinary).await.expect("first turn");
        let mut queued = Vec::new();
        for _ in 0..2 {
            let gate = gate.clone();
            queued.push(tokio::spawn(async move {
                gate.acquire(Lane::Ordinary).await.map(drop)
            }));
            tokio::task::yield_now().await;
        }
        assert_eq!(gate.acquire(Lane::Ordinary).await.map(drop), Err(GateFull));
        let gate_for_priority = gate.clone();
        let priority =
            tokio::spawn(async move { gate_for_priority.acquire(Lane::Priority).await.map(drop) });
        tokio::task::yield_now().await;
        assert!(
            !priority.is_finished(),
            "priority waits for a turn, it is not refused"
        );
    }

    #[tokio::test]
    async fn a_waiter_that_gives_up_does_not_keep_the_turn() {
        let gate = Arc::new(PasswordGate::new(1, 4));
        let running = gate.acquire(Lane::Ordinary).await.expect("first turn");
        let gate_for_quitter = gate.clone();
        let quitter = tokio::spawn(async move {
            let _ = gate_for_quitter.acquire(Lane::Ordinary).await;
        });
        tokio::task::yield_now().await;
        quitter.abort();
        let _ = quitter.await;
        drop(running);
        let next = tokio::time::timeout(Duration::from_secs(5), gate.acquire(Lane::Ordinary));
        assert!(next.await.expect("the turn came back").is_ok());
    }
}
