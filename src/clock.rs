//! [`Clock`], the one source of wall-clock time (Unix milliseconds) of chatify. The server's
//! configuration and the store's options each carry one (`chatify serve` hands the same clock to
//! both), so every `ts` the server sets, every session expiry and every timestamp the store
//! writes come from one place, and a test can pin or advance time by handing in its own clock.
//! [`system_now_ms`] is the only function that reads the system clock.

use std::fmt;
use std::sync::Arc;

/// A source of Unix milliseconds. Cheap to clone; the default reads the system clock.
#[derive(Clone, Default)]
pub struct Clock {
    /// `None` is the system clock (the common case, without an indirect call).
    source: Option<Arc<dyn Fn() -> i64 + Send + Sync>>,
}

impl Clock {
    /// The system wall clock.
    pub fn system() -> Clock {
        Clock { source: None }
    }

    /// A clock that asks `source` (tests pin or advance time with it).
    pub fn from_fn(source: impl Fn() -> i64 + Send + Sync + 'static) -> Clock {
        Clock {
            source: Some(Arc::new(source)),
        }
    }

    /// The current time in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        match &self.source {
            Some(source) => source(),
            None => system_now_ms(),
        }
    }

    /// Whether this is the system clock.
    pub fn is_system(&self) -> bool {
        self.source.is_none()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.is_system() {
            "Clock(system)"
        } else {
            "Clock(injected)"
        })
    }
}

/// The system wall clock in Unix milliseconds (0 before 1970, saturating far in the future).
pub fn system_now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, Ordering};

    #[test]
    fn an_injected_clock_is_read_on_every_call() {
        let time = Arc::new(AtomicI64::new(1_000));
        let seen = time.clone();
        let clock = Clock::from_fn(move || seen.load(Ordering::SeqCst));
        assert_eq!(clock.now_ms(), 1_000);
        time.store(5_000, Ordering::SeqCst);
        assert_eq!(clock.clone().now_ms(), 5_000);
        assert!(!clock.is_system());
    }

    #[test]
    fn the_system_clock_is_after_2020() {
        let clock = Clock::default();
        assert!(clock.is_system());
        assert!(clock.now_ms() > 1_577_836_800_000);
    }
}
