//! Rate limiting: the per-connection token buckets (PROTOCOL.md §9; which frame is charged to
//! which bucket, at what cost, is `frame_policy`), and the login throttle (DESIGN.md §5) that slows repeated failed password
//! logins per account and per address (IPv6 by /64) with a growing delay that decays, so an
//! attacker can never impose a permanent lockout. Attempts are counted before Argon2 runs; the
//! tables are bounded and keep throttling when full (SECURITY.md has the resulting guess rate).
//! Used by the connection read loop and the auth handler.

use std::net::{IpAddr, Ipv6Addr};
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
        let burst = f64::from(burst);
        TokenBucket {
            rate,
            burst,
            tokens: burst,
            last: Instant::now(),
        }
    }

    /// Takes one token; false when the bucket is empty (the frame must be refused).
    pub fn try_take(&mut self) -> bool {
        self.try_take_cost(1)
    }

    /// Takes `cost` tokens; false (and nothing taken) when the bucket holds fewer.
    pub fn try_take_cost(&mut self, cost: u32) -> bool {
        self.try_take_cost_at(f64::from(cost), Instant::now())
    }

    #[cfg(test)]
    fn try_take_at(&mut self, now: Instant) -> bool {
        self.try_take_cost_at(1.0, now)
    }

    fn try_take_cost_at(&mut self, cost: f64, now: Instant) -> bool {
        if self.rate.is_nan() || self.rate <= 0.0 {
            return true;
        }
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        if self.tokens >= cost {
            self.tokens -= cost;
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
/// Records kept per table; past it, new names or addresses share one overflow record.
const MAX_RECORDS: usize = 100_000;
/// Addresses remembered per account as having logged in successfully; failures from elsewhere
/// do not delay logins from them, so an attacker cannot keep the real user out.
const TRUSTED_ADDRESSES_PER_ACCOUNT: usize = 8;
/// The address record that every new address shares once the table is full.
const OVERFLOW_ADDRESS: IpAddr = IpAddr::V6(Ipv6Addr::UNSPECIFIED);

/// What an account record is kept under: the account's name, or — once the table is full — the
/// overflow record that every new name shares.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum AccountKey {
    Name(UserName),
    Overflow,
}

#[derive(Debug, Clone, Copy)]
struct FailureRecord {
    failures: u32,
    last_failure: Instant,
}

/// Throttles password logins per account and per client address (IPv6 by /64). Every attempt
/// is counted as a failure *before* Argon2 runs, so simultaneous guesses cannot all slip through
/// the check; a success takes back only its own count.
#[derive(Debug)]
pub struct LoginThrottle {
    accounts: DashMap<AccountKey, FailureRecord>,
    addresses: DashMap<IpAddr, FailureRecord>,
    /// Per account, the addresses (as throttled) of its most recent successful logins.
    trusted: DashMap<UserName, Vec<IpAddr>>,
    capacity: usize,
    last_sweep: Mutex<Option<Instant>>,
}

/// A password attempt the throttle let through and already counted as a failure; hand it back
/// to [`LoginThrottle::succeeded`] when the password was right.
#[derive(Debug)]
#[must_use = "a successful login must be reported with LoginThrottle::succeeded"]
pub struct CountedAttempt {
    /// The account record charged (the overflow record when the table was full).
    account_key: Option<AccountKey>,
    /// The address record charged.
    address_key: IpAddr,
    /// The address as throttled (IPv6 by /64).
    address: IpAddr,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::with_capacity(MAX_RECORDS)
    }
}

impl LoginThrottle {
    pub fn new() -> Self {
        Self::default()
    }

    /// A throttle keeping at most `capacity` records per table (tests use a small one).
    pub fn with_capacity(capacity: usize) -> Self {
        LoginThrottle {
            accounts: DashMap::new(),
            addresses: DashMap::new(),
            trusted: DashMap::new(),
            capacity: capacity.max(1),
            last_sweep: Mutex::new(None),
        }
    }

    /// Admits a password attempt for `account` from `address` and counts it as a failure at
    /// once, or says how long the caller must wait. From an address the account logged in from
    /// before, failures on the account made elsewhere do not hold the attempt back.
    pub fn begin_attempt(
        &self,
        account: &str,
        address: IpAddr,
    ) -> Result<CountedAttempt, Duration> {
        let now = Instant::now();
        self.sweep_if_needed(now);
        let address = throttle_key(address);
        // A name no account can have gets no record of its own (the key would be
        // attacker-sized); the address record still counts the attempt.
        let account = UserName::parse(account).ok();
        let trusted = account
            .as_ref()
            .is_some_and(|name| self.is_trusted(name, address));
        let account_key = match account {
            Some(name) => {
                let named = AccountKey::Name(name);
                let key = self.key_or_overflow(&self.accounts, named, AccountKey::Overflow);
                let limit = (!trusted).then_some((ACCOUNT_FREE_FAILURES, ACCOUNT_MAX_DELAY));
                charge(&self.accounts, key.clone(), limit, now)?;
                Some(key)
            }
            None => None,
        };
        // The address limit holds even for a trusted address: others may share it (a NAT, a
        // /64), and they must not guess the account's password there without limit.
        let address_key = self.key_or_overflow(&self.addresses, address, OVERFLOW_ADDRESS);
        let limit = Some((ADDRESS_FREE_FAILURES, ADDRESS_MAX_DELAY));
        if let Err(wait) = charge(&self.addresses, address_key, limit, now) {
            if let Some(key) = &account_key {
                take_back(&self.accounts, key);
            }
            return Err(wait);
        }
        Ok(CountedAttempt {
            account_key,
            address_key,
            address,
        })
    }

    /// The attempt's password was right: the account's record is cleared, the address gets
    /// back only this attempt's count (a login to one's own account does not wipe the guesses
    /// made on others), and the address is remembered as one this account logs in from.
    pub fn succeeded(&self, attempt: CountedAttempt, account: &str) {
        match &attempt.account_key {
            Some(key @ AccountKey::Name(_)) => {
                self.accounts.remove(key);
            }
            Some(AccountKey::Overflow) => take_back(&self.accounts, &AccountKey::Overflow),
            None => {}
        }
        take_back(&self.addresses, &attempt.address_key);
        let Ok(account) = UserName::parse(account) else {
            return;
        };
        let mut trusted = self.trusted.entry(account).or_default();
        trusted.retain(|known| *known != attempt.address);
        if trusted.len() >= TRUSTED_ADDRESSES_PER_ACCOUNT {
            trusted.remove(0);
        }
        trusted.push(attempt.address);
    }

    fn is_trusted(&self, account: &UserName, address: IpAddr) -> bool {
        self.trusted
            .get(account)
            .is_some_and(|addresses| addresses.contains(&address))
    }

    /// `key` while the table has room for it, else the shared overflow key: memory stays
    /// bounded and a flood of new names or addresses keeps being throttled as one.
    fn key_or_overflow<K: std::hash::Hash + Eq>(
        &self,
        table: &DashMap<K, FailureRecord>,
        key: K,
        overflow: K,
    ) -> K {
        if table.len() < self.capacity || table.contains_key(&key) {
            key
        } else {
            overflow
        }
    }

    fn sweep_if_needed(&self, now: Instant) {
        if self.accounts.len() < self.capacity && self.addresses.len() < self.capacity {
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

/// What an address is throttled as: IPv4 as it is (also when mapped into IPv6), IPv6 by its
/// /64 — one subscriber usually holds a whole /64, so its addresses are one attacker.
pub fn throttle_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                IpAddr::V6(Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
            }
        },
    }
}

/// Counts one failure on `key`'s record, unless `limit` (free failures, longest delay) says a
/// delay is still owed: then nothing is counted and the delay is returned. Check and count
/// happen under the record's lock, so simultaneous attempts see each other.
fn charge<K: std::hash::Hash + Eq>(
    table: &DashMap<K, FailureRecord>,
    key: K,
    limit: Option<(u32, Duration)>,
    now: Instant,
) -> Result<(), Duration> {
    let mut record = table.entry(key).or_insert(fresh(now));
    if let Some((free, max)) = limit
        && let Some(wait) = remaining(*record, free, max, now)
    {
        return Err(wait);
    }
    if now.saturating_duration_since(record.last_failure) >= FORGET_AFTER {
        record.failures = 0;
    }
    record.failures = record.failures.saturating_add(1);
    record.last_failure = now;
    Ok(())
}

/// Takes back one counted attempt from `key`'s record (it turned out not to be a failure).
fn take_back<K: std::hash::Hash + Eq>(table: &DashMap<K, FailureRecord>, key: &K) {
    if let Some(mut record) = table.get_mut(key) {
        record.failures = record.failures.saturating_sub(1);
    }
}

fn fresh(now: Instant) -> FailureRecord {
    FailureRecord {
        failures: 0,
        last_failure: now,
    }
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
mod tests;
