//! Rate limiting: the per-connection token buckets (PROTOCOL.md §9; which frame is charged to
//! which bucket, at what cost, is `frame_policy`); the login throttle (DESIGN.md §5): per address
//! (IPv6 by /64) a growing delay after 10 failures, per account a token bucket for guesses from
//! addresses it never logged in from, refilled faster than a patient attacker guesses, so nobody
//! can impose a lockout; and the registration throttle per address. Attempts are counted before
//! Argon2 runs; an attempt whose outcome depends on attempts still running waits for them instead
//! of being refused (a NAT full of correct logins is never "too many failed logins"). The tables
//! are bounded and keep throttling when full (SECURITY.md has the resulting guess rate). Time is
//! the server's clock. Used by the connection read loop, `auth` and `sessions`.

use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use dashmap::DashMap;

use crate::clock::Clock;
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

/// Failures tolerated per address before delays start.
const ADDRESS_FREE_FAILURES: u32 = 10;
/// First address delay once the free failures are used up (ms); it doubles with each failure.
const BASE_DELAY_MS: i64 = 1_000;
/// Longest delay imposed on one address (ms).
const ADDRESS_MAX_DELAY_MS: i64 = 60_000;
/// An address record with no failure for this long is forgotten (ms).
const FORGET_AFTER_MS: i64 = 15 * 60 * 1_000;
/// Password attempts an account takes at once from addresses it never logged in from…
const ACCOUNT_BURST: f64 = 3.0;
/// …refilled one per this long (ms): at most 8 640 a day. Faster than the attacker (one
/// guess per 15 s), so a steady guesser leaves tokens over for the real user from a new address.
const ACCOUNT_REFILL_MS: i64 = 10_000;
/// Records kept per table; past it, new names or addresses share one overflow record.
const MAX_RECORDS: usize = 100_000;
/// The address record that every new address shares once the table is full.
const OVERFLOW_ADDRESS: IpAddr = IpAddr::V6(Ipv6Addr::UNSPECIFIED);

/// What an account record is kept under: the account's name, or — once the table is full — the
/// overflow record that every new name shares.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum AccountKey {
    Name(UserName),
    Overflow,
}

/// Failures of one address (IPv6: /64) and its attempts still running Argon2.
#[derive(Debug, Clone, Copy)]
struct AddressRecord {
    failures: u32,
    in_flight: u32,
    last_failure_ms: i64,
}

/// An account's guesses from addresses it never logged in from: a token bucket.
#[derive(Debug, Clone, Copy)]
struct AccountRecord {
    tokens: f64,
    refilled_ms: i64,
    in_flight: u32,
}

/// Why an attempt was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too many failures: try again after this long.
    Wait(Duration),
    /// Earlier attempts of the same account or address are still running Argon2; whether this
    /// one may run depends on how they end (a success refuses nobody).
    Busy,
}

/// Throttles password logins per account and per client address (IPv6 by /64). Every attempt
/// is counted *before* Argon2 runs, so simultaneous guesses cannot all slip through the check;
/// what a running attempt will turn out to be is waited for rather than assumed, so concurrent
/// correct logins behind one NAT are never refused for each other. Time comes from the server's
/// clock.
#[derive(Debug)]
pub struct LoginThrottle {
    accounts: DashMap<AccountKey, AccountRecord>,
    addresses: DashMap<IpAddr, AddressRecord>,
    capacity: usize,
    clock: Clock,
    last_sweep_ms: Mutex<Option<i64>>,
    /// Woken whenever an attempt ends, for attempts that were `Busy`.
    settled: tokio::sync::Notify,
}

/// A password attempt the throttle let through and counted; dropping it counts a failure,
/// [`CountedAttempt::succeeded`] takes the count back.
#[derive(Debug)]
#[must_use = "dropping an attempt counts it as a failure"]
pub struct CountedAttempt<'a> {
    throttle: &'a LoginThrottle,
    /// The account record charged (the overflow record when the table was full); `None` for a
    /// name no account can have, or an address the account logged in from before.
    account_key: Option<AccountKey>,
    /// The address record charged.
    address_key: IpAddr,
    succeeded: bool,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::with_capacity(MAX_RECORDS, Clock::system())
    }
}

impl LoginThrottle {
    pub fn new(clock: Clock) -> Self {
        Self::with_capacity(MAX_RECORDS, clock)
    }

    /// A throttle keeping at most `capacity` records per table (tests use a small one).
    pub fn with_capacity(capacity: usize, clock: Clock) -> Self {
        LoginThrottle {
            accounts: DashMap::new(),
            addresses: DashMap::new(),
            capacity: capacity.max(1),
            clock,
            last_sweep_ms: Mutex::new(None),
            settled: tokio::sync::Notify::new(),
        }
    }

    /// Admits a password attempt for `account` from `address` (`known`: an address the account
    /// logged in from before, as the store remembers them), waiting while the answer depends on
    /// attempts still running; `Err` says how long the caller must wait.
    pub async fn begin_attempt(
        &self,
        account: &str,
        address: IpAddr,
        known: bool,
    ) -> Result<CountedAttempt<'_>, Duration> {
        loop {
            let settled = self.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            match self.try_begin_attempt(account, address, known) {
                Ok(attempt) => return Ok(attempt),
                Err(Refusal::Wait(wait)) => return Err(wait),
                Err(Refusal::Busy) => settled.await,
            }
        }
    }

    /// Admits a password attempt and counts it at once, or refuses it. From an address the
    /// account logged in from before (`known`), the account's bucket is not used: failures
    /// made elsewhere cannot hold it back.
    pub fn try_begin_attempt(
        &self,
        account: &str,
        address: IpAddr,
        known: bool,
    ) -> Result<CountedAttempt<'_>, Refusal> {
        let now = self.clock.now_ms();
        self.sweep_if_needed(now);
        let address = throttle_key(address);
        // A name no account can have gets no record of its own (the key would be
        // attacker-sized); the address record still counts the attempt.
        let account = UserName::parse(account).ok();
        let account_key = match account {
            Some(name) if !known => {
                let named = AccountKey::Name(name);
                let key =
                    key_or_overflow(&self.accounts, named, AccountKey::Overflow, self.capacity);
                take_account_token(&self.accounts, key.clone(), now)?;
                Some(key)
            }
            _ => None,
        };
        // The address limit holds even for a trusted address: others may share it (a NAT, a
        // /64), and they must not guess the account's password there without limit.
        let address_key =
            key_or_overflow(&self.addresses, address, OVERFLOW_ADDRESS, self.capacity);
        if let Err(refusal) = admit_address(&self.addresses, address_key, now) {
            if let Some(key) = &account_key {
                end_account_attempt(&self.accounts, key, true);
            }
            return Err(refusal);
        }
        Ok(CountedAttempt {
            throttle: self,
            account_key,
            address_key,
            succeeded: false,
        })
    }

    fn sweep_if_needed(&self, now: i64) {
        if self.accounts.len() < self.capacity && self.addresses.len() < self.capacity {
            return;
        }
        let Ok(mut last) = self.last_sweep_ms.lock() else {
            return;
        };
        if last.is_some_and(|at| now.saturating_sub(at) < 1_000) {
            return;
        }
        *last = Some(now);
        drop(last);
        self.accounts.retain(|_, r| {
            let mut r = *r;
            refill(&mut r, now);
            r.in_flight > 0 || r.tokens < ACCOUNT_BURST
        });
        self.addresses.retain(|_, r| {
            r.in_flight > 0 || now.saturating_sub(r.last_failure_ms) < FORGET_AFTER_MS
        });
    }
}

impl CountedAttempt<'_> {
    /// The password was right: the account gets its token back, the address only this
    /// attempt's count (a login to one's own account does not wipe the guesses made on others).
    /// The caller remembers the address in the store ([`throttle_key`] names it).
    pub fn succeeded(mut self) {
        self.succeeded = true;
    }
}

impl Drop for CountedAttempt<'_> {
    fn drop(&mut self) {
        let throttle = self.throttle;
        if let Some(key) = &self.account_key {
            end_account_attempt(&throttle.accounts, key, self.succeeded);
        }
        let now = throttle.clock.now_ms();
        if let Some(mut record) = throttle.addresses.get_mut(&self.address_key) {
            record.in_flight = record.in_flight.saturating_sub(1);
            if !self.succeeded {
                record.failures = record.failures.saturating_add(1);
                record.last_failure_ms = now;
            }
        }
        throttle.settled.notify_waiters();
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

/// `key` while the table has room for it, else the shared overflow key: memory stays bounded
/// and a flood of new names or addresses keeps being throttled as one.
fn key_or_overflow<K: Hash + Eq, V>(
    table: &DashMap<K, V>,
    key: K,
    overflow: K,
    capacity: usize,
) -> K {
    if table.len() < capacity || table.contains_key(&key) {
        key
    } else {
        overflow
    }
}

/// Takes one token from the account's bucket, under the record's lock.
fn take_account_token(
    table: &DashMap<AccountKey, AccountRecord>,
    key: AccountKey,
    now: i64,
) -> Result<(), Refusal> {
    let mut record = table.entry(key).or_insert(AccountRecord {
        tokens: ACCOUNT_BURST,
        refilled_ms: now,
        in_flight: 0,
    });
    refill(&mut record, now);
    if record.tokens >= 1.0 {
        record.tokens -= 1.0;
        record.in_flight += 1;
        Ok(())
    } else if record.in_flight > 0 {
        Err(Refusal::Busy)
    } else {
        let wait_ms = ((1.0 - record.tokens) * ACCOUNT_REFILL_MS as f64).ceil() as u64;
        Err(Refusal::Wait(Duration::from_millis(wait_ms.max(1))))
    }
}

/// An account attempt ended; `give_back` returns its token (it was not a failure).
fn end_account_attempt(
    table: &DashMap<AccountKey, AccountRecord>,
    key: &AccountKey,
    give_back: bool,
) {
    if let Some(mut record) = table.get_mut(key) {
        record.in_flight = record.in_flight.saturating_sub(1);
        if give_back {
            record.tokens = (record.tokens + 1.0).min(ACCOUNT_BURST);
        }
    }
}

fn refill(record: &mut AccountRecord, now: i64) {
    let elapsed = now.saturating_sub(record.refilled_ms);
    if elapsed > 0 {
        record.tokens =
            (record.tokens + elapsed as f64 / ACCOUNT_REFILL_MS as f64).min(ACCOUNT_BURST);
        record.refilled_ms = now;
    }
}

/// Admits one attempt on an address unless its failures owe a delay, or attempts still running
/// would decide whether it may run (check and count happen under the record's lock).
fn admit_address(
    table: &DashMap<IpAddr, AddressRecord>,
    key: IpAddr,
    now: i64,
) -> Result<(), Refusal> {
    let mut record = table.entry(key).or_insert(AddressRecord {
        failures: 0,
        in_flight: 0,
        last_failure_ms: now,
    });
    if record.in_flight == 0 && now.saturating_sub(record.last_failure_ms) >= FORGET_AFTER_MS {
        record.failures = 0;
    }
    if let Some(wait) = remaining(*record, now) {
        return Err(Refusal::Wait(wait));
    }
    if record.in_flight > 0 && record.failures + record.in_flight >= ADDRESS_FREE_FAILURES {
        return Err(Refusal::Busy);
    }
    record.in_flight += 1;
    Ok(())
}

/// The delay an address owes after its failures, minus the time already passed.
fn remaining(record: AddressRecord, now: i64) -> Option<Duration> {
    let since = now.saturating_sub(record.last_failure_ms).max(0);
    if since >= FORGET_AFTER_MS || record.failures < ADDRESS_FREE_FAILURES {
        return None;
    }
    let doublings = (record.failures - ADDRESS_FREE_FAILURES).min(16);
    let delay = BASE_DELAY_MS
        .saturating_mul(1 << doublings)
        .min(ADDRESS_MAX_DELAY_MS);
    let left = delay - since;
    (left > 0).then(|| Duration::from_millis(left as u64))
}

/// Registrations per client address (IPv6: per /64): a token bucket holding `per_hour`
/// registrations, refilled at `per_hour` an hour. Checked before the password is hashed. Bounded
/// like the login throttle: past `capacity` addresses, new ones share one overflow bucket.
#[derive(Debug)]
pub struct RegistrationThrottle {
    per_hour: u32,
    buckets: DashMap<IpAddr, AccountRecord>,
    capacity: usize,
    clock: Clock,
}

impl RegistrationThrottle {
    /// `per_hour` registrations an hour per address; 0 never limits.
    pub fn new(per_hour: u32, clock: Clock) -> RegistrationThrottle {
        RegistrationThrottle {
            per_hour,
            buckets: DashMap::new(),
            capacity: MAX_RECORDS,
            clock,
        }
    }

    /// Counts one registration from `address`, or says how long it must wait.
    pub fn try_register(&self, address: IpAddr) -> Result<(), Duration> {
        if self.per_hour == 0 {
            return Ok(());
        }
        let now = self.clock.now_ms();
        let burst = f64::from(self.per_hour);
        let refill_ms = 3_600_000.0 / burst;
        if self.buckets.len() >= self.capacity {
            self.buckets
                .retain(|_, r| (now - r.refilled_ms) as f64 / refill_ms + r.tokens < burst);
        }
        let key = key_or_overflow(
            &self.buckets,
            throttle_key(address),
            OVERFLOW_ADDRESS,
            self.capacity,
        );
        let mut record = self.buckets.entry(key).or_insert(AccountRecord {
            tokens: burst,
            refilled_ms: now,
            in_flight: 0,
        });
        let elapsed = now.saturating_sub(record.refilled_ms);
        if elapsed > 0 {
            record.tokens = (record.tokens + elapsed as f64 / refill_ms).min(burst);
            record.refilled_ms = now;
        }
        if record.tokens >= 1.0 {
            record.tokens -= 1.0;
            Ok(())
        } else {
            let wait_ms = ((1.0 - record.tokens) * refill_ms).ceil() as u64;
            Err(Duration::from_millis(wait_ms.max(1)))
        }
    }
}

#[cfg(test)]
mod tests;
