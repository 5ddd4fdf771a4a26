//! Rate limiting: the per-connection token bucket for `msg`/`dm`/`edit`/`delete`/`react`/`typing`
//! (PROTOCOL.md §9), and the login throttle (DESIGN.md §5) that slows repeated failed password
//! logins per account and per address with a growing delay that decays, so an attacker can never
//! impose a permanent lockout. Used by the connection read loop and the auth handler.

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use dashmap::DashMap;

use crate::model::UserName;

/// A token bucket: `rate` tokens per second up to `burst`. A rate of zero never limits.
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(rate: f64, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        TokenBucket {
            rate,
            burst,
            tokens: burst,
            last: Instant::now(),
        }
    }

    /// Takes one token; false when the bucket is empty (the frame must be refused).
    pub fn try_take(&mut self) -> bool {
        self.try_take_at(Instant::now())
    }

    fn try_take_at(&mut self, now: Instant) -> bool {
        if self.rate.is_nan() || self.rate <= 0.0 {
            return true;
        }
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Failures tolerated per account before delays start.
const ACCOUNT_FREE_FAILURES: u32 = 3;
/// Failures tolerated per address before delays start.
const ADDRESS_FREE_FAILURES: u32 = 10;
/// First delay once the free failures are used up; it doubles with each further failure.
const BASE_DELAY: Duration = Duration::from_secs(1);
/// Longest delay imposed on an account (kept short: anyone may fail logins for any account).
const ACCOUNT_MAX_DELAY: Duration = Duration::from_secs(15);
/// Longest delay imposed on one address.
const ADDRESS_MAX_DELAY: Duration = Duration::from_secs(60);
/// A record with no failure for this long is forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// Records kept before old ones are swept.
const MAX_RECORDS: usize = 100_000;
/// Addresses remembered per account as having logged in successfully; failures from elsewhere
/// do not delay logins from them, so an attacker cannot keep the real user out.
const TRUSTED_ADDRESSES_PER_ACCOUNT: usize = 8;

#[derive(Debug, Clone, Copy)]
struct FailureRecord {
    failures: u32,
    last_failure: Instant,
}

/// Throttles failed password logins per account and per client address.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    accounts: DashMap<UserName, FailureRecord>,
    addresses: DashMap<IpAddr, FailureRecord>,
    /// Per account, the addresses of its most recent successful logins.
    trusted: DashMap<UserName, Vec<IpAddr>>,
    last_sweep: Mutex<Option<Instant>>,
}

impl LoginThrottle {
    pub fn new() -> Self {
        Self::default()
    }

    /// How long the caller must wait before a password attempt for `account` from `address` is
    /// evaluated; `None` when it may proceed now.
    pub fn wait_time(&self, account: &str, address: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        // A name no account can have never gets a record (see `record_failure`).
        let account = UserName::parse(account).ok();
        let account = account.as_ref();
        let trusted = account
            .and_then(|account| self.trusted.get(account))
            .is_some_and(|addresses| addresses.contains(&address));
        let account_wait = account
            .and_then(|account| self.accounts.get(account))
            .filter(|_| !trusted)
            .and_then(|r| remaining(*r, ACCOUNT_FREE_FAILURES, ACCOUNT_MAX_DELAY, now));
        let address_wait = self
            .addresses
            .get(&address)
            .and_then(|r| remaining(*r, ADDRESS_FREE_FAILURES, ADDRESS_MAX_DELAY, now));
        account_wait.max(address_wait)
    }

    /// Records a failed attempt (wrong password or unknown account).
    pub fn record_failure(&self, account: &str, address: IpAddr) {
        let now = Instant::now();
        self.sweep_if_needed(now);
        // A name no account can have (too long, bad characters) gets no record of its own: the
        // key would be attacker-sized, and the address record still slows the attempts down.
        let account = UserName::parse(account).ok();
        // Past the cap (a flood of made-up names or addresses), only known records still count:
        // memory stays bounded and the per-address record keeps slowing the flood down.
        if let Some(account) = account
            && (self.accounts.len() < MAX_RECORDS || self.accounts.contains_key(&account))
        {
            bump(self.accounts.entry(account).or_insert(fresh(now)), now);
        }
        if self.addresses.len() < MAX_RECORDS || self.addresses.contains_key(&address) {
            bump(self.addresses.entry(address).or_insert(fresh(now)), now);
        }
    }

    /// Records a successful login: clears the account's record and the address's, and remembers
    /// the address as one this account logs in from.
    pub fn record_success(&self, account: &str, address: IpAddr) {
        self.addresses.remove(&address);
        let Ok(account) = UserName::parse(account) else {
            return;
        };
        self.accounts.remove(&account);
        let mut trusted = self.trusted.entry(account).or_default();
        trusted.retain(|known| *known != address);
        if trusted.len() >= TRUSTED_ADDRESSES_PER_ACCOUNT {
            trusted.remove(0);
        }
        trusted.push(address);
    }

    fn sweep_if_needed(&self, now: Instant) {
        if self.accounts.len() < MAX_RECORDS && self.addresses.len() < MAX_RECORDS {
            return;
        }
        let Ok(mut last) = self.last_sweep.lock() else {
            return;
        };
        if last.is_some_and(|at| now.saturating_duration_since(at) < Duration::from_secs(1)) {
            return;
        }
        *last = Some(now);
        drop(last);
        let keep = |r: &FailureRecord| now.saturating_duration_since(r.last_failure) < FORGET_AFTER;
        self.accounts.retain(|_, r| keep(r));
        self.addresses.retain(|_, r| keep(r));
    }
}

fn fresh(now: Instant) -> FailureRecord {
    FailureRecord {
        failures: 0,
        last_failure: now,
    }
}

fn bump(
    mut record: dashmap::mapref::one::RefMut<'_, impl std::hash::Hash + Eq, FailureRecord>,
    now: Instant,
) {
    if now.saturating_duration_since(record.last_failure) >= FORGET_AFTER {
        record.failures = 0;
    }
    record.failures = record.failures.saturating_add(1);
    record.last_failure = now;
}

/// The delay owed after `record`, minus the time already passed; `None` when nothing is owed.
fn remaining(record: FailureRecord, free: u32, max: Duration, now: Instant) -> Option<Duration> {
    let since = now.saturating_duration_since(record.last_failure);
    if since >= FORGET_AFTER || record.failures < free {
        return None;
    }
    let doublings = (record.failures - free).min(16);
    let delay = BASE_DELAY.saturating_mul(1u32 << doublings).min(max);
    delay.checked_sub(since).filter(|d| !d.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_burst_then_refuses_then_refills() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(10.0, 3);
        bucket.last = start;
        assert!(bucket.try_take_at(start));
        assert!(bucket.try_take_at(start));
        assert!(bucket.try_take_at(start));
        assert!(!bucket.try_take_at(start));
        assert!(bucket.try_take_at(start + Duration::from_millis(120)));
        assert!(!bucket.try_take_at(start + Duration::from_millis(120)));
    }

    #[test]
    fn invalid_names_get_no_account_record_but_still_count_per_address() {
        let throttle = LoginThrottle::new();
        let address = IpAddr::from([192, 0, 2, 1]);
        let long_name = "x".repeat(60_000);
        for _ in 0..ADDRESS_FREE_FAILURES + 1 {
            throttle.record_failure(&long_name, address);
            throttle.record_failure("bad name!", address);
        }
        assert_eq!(throttle.accounts.len(), 0);
        assert!(throttle.wait_time("alice", address).is_some());
        throttle.record_failure("Alice", IpAddr::from([192, 0, 2, 2]));
        assert_eq!(throttle.accounts.len(), 1);
    }

    #[test]
    fn zero_rate_never_limits() {
        let mut bucket = TokenBucket::new(0.0, 1);
        for _ in 0..1000 {
            assert!(bucket.try_take());
        }
    }

    #[test]
    fn throttle_starts_after_free_failures_grows_and_is_capped() {
        let now = Instant::now();
        let record = |failures| FailureRecord {
            failures,
            last_failure: now,
        };
        assert_eq!(remaining(record(2), 3, ACCOUNT_MAX_DELAY, now), None);
        assert_eq!(
            remaining(record(3), 3, ACCOUNT_MAX_DELAY, now),
            Some(BASE_DELAY)
        );
        assert_eq!(
            remaining(record(4), 3, ACCOUNT_MAX_DELAY, now),
            Some(BASE_DELAY * 2)
        );
        assert_eq!(
            remaining(record(30), 3, ACCOUNT_MAX_DELAY, now),
            Some(ACCOUNT_MAX_DELAY)
        );
        let later = now + ACCOUNT_MAX_DELAY;
        assert_eq!(remaining(record(30), 3, ACCOUNT_MAX_DELAY, later), None);
    }

    #[test]
    fn failures_from_elsewhere_never_delay_an_address_the_account_logged_in_from() {
        let throttle = LoginThrottle::new();
        let home: IpAddr = "127.0.0.2".parse().expect("address");
        let attacker: IpAddr = "127.0.0.9".parse().expect("address");
        throttle.record_success("Alice", home);
        for _ in 0..ACCOUNT_FREE_FAILURES + 4 {
            throttle.record_failure("alice", attacker);
        }
        assert!(throttle.wait_time("alice", attacker).is_some());
        let elsewhere: IpAddr = "127.0.0.5".parse().expect("address");
        assert!(throttle.wait_time("alice", elsewhere).is_some());
        assert_eq!(throttle.wait_time("ALICE", home), None);
    }

    #[test]
    fn success_clears_both_records() {
        let throttle = LoginThrottle::new();
        let address: IpAddr = [127, 0, 0, 1].into();
        for _ in 0..5 {
            throttle.record_failure("Alice", address);
        }
        assert!(throttle.wait_time("alice", address).is_some());
        throttle.record_success("ALICE", address);
        assert_eq!(throttle.wait_time("alice", address), None);
    }
}
