//! Unit tests of the token bucket, the login throttle (counting before Argon2, waiting for
//! attempts still running, what a success gives back, trusted addresses, the account bucket
//! against a patient guesser, IPv6 /64 aggregation, bounded tables) and the registration
//! throttle.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use super::*;

/// A failed attempt: admitted (and so counted), then dropped, which counts a failure.
fn fail(throttle: &LoginThrottle, account: &str, address: IpAddr) -> Result<(), Refusal> {
    throttle
        .try_begin_attempt(account, address, false)
        .map(drop)
}

/// A successful attempt from an address the account never logged in from.
fn log_in(throttle: &LoginThrottle, account: &str, address: IpAddr) -> Result<(), Refusal> {
    throttle
        .try_begin_attempt(account, address, false)?
        .succeeded();
    Ok(())
}

/// A successful attempt from an address the account logged in from before.
fn log_in_from_known(
    throttle: &LoginThrottle,
    account: &str,
    address: IpAddr,
) -> Result<(), Refusal> {
    throttle
        .try_begin_attempt(account, address, true)?
        .succeeded();
    Ok(())
}

/// A clock the test moves by hand, and the throttle reading it.
fn throttle_at(start_ms: i64) -> (Arc<AtomicI64>, LoginThrottle) {
    let now = Arc::new(AtomicI64::new(start_ms));
    let seen = now.clone();
    let clock = Clock::from_fn(move || seen.load(Ordering::SeqCst));
    (now, LoginThrottle::new(clock))
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("test address")
}

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
fn zero_rate_never_limits() {
    let mut bucket = TokenBucket::new(0.0, 1);
    for _ in 0..1000 {
        assert!(bucket.try_take());
    }
}

#[test]
fn throttle_starts_after_free_failures_grows_and_is_capped() {
    let now = 1_000_000;
    let record = |failures| AddressRecord {
        failures,
        in_flight: 0,
        last_failure_ms: now,
    };
    let free = ADDRESS_FREE_FAILURES;
    assert_eq!(remaining(record(free - 1), now), None);
    assert_eq!(remaining(record(free), now), Some(Duration::from_secs(1)));
    assert_eq!(
        remaining(record(free + 1), now),
        Some(Duration::from_secs(2))
    );
    let capped = Duration::from_millis(ADDRESS_MAX_DELAY_MS as u64);
    assert_eq!(remaining(record(free + 30), now), Some(capped));
    assert_eq!(
        remaining(record(free + 30), now + ADDRESS_MAX_DELAY_MS),
        None
    );
}

#[test]
fn attempts_still_running_argon2_already_count() {
    let throttle = LoginThrottle::default();
    let attacker = ip("192.0.2.7");
    let admitted: Vec<CountedAttempt> = (0..20)
        .filter_map(|_| throttle.try_begin_attempt("alice", attacker, false).ok())
        .collect();
    assert_eq!(admitted.len() as f64, ACCOUNT_BURST);
    // The others are not refused for good: they wait for how the running ones end.
    assert_eq!(
        throttle
            .try_begin_attempt("alice", attacker, false)
            .map(drop),
        Err(Refusal::Busy)
    );
    drop(admitted);
    assert!(matches!(
        throttle
            .try_begin_attempt("alice", attacker, false)
            .map(drop),
        Err(Refusal::Wait(_))
    ));
}

#[test]
fn invalid_names_get_no_account_record_but_still_count_per_address() {
    let throttle = LoginThrottle::default();
    let address = ip("192.0.2.1");
    let long_name = "x".repeat(60_000);
    for _ in 0..ADDRESS_FREE_FAILURES / 2 {
        fail(&throttle, &long_name, address).expect("free failure");
        fail(&throttle, "bad name!", address).expect("free failure");
    }
    assert_eq!(throttle.accounts.len(), 0);
    assert!(fail(&throttle, "alice", address).is_err());
    fail(&throttle, "Alice", ip("192.0.2.2")).expect("another address");
    assert_eq!(throttle.accounts.len(), 1);
}

#[test]
fn failures_from_elsewhere_never_delay_an_address_the_account_logged_in_from() {
    let throttle = LoginThrottle::default();
    let (home, attacker, elsewhere) = (ip("127.0.0.2"), ip("127.0.0.9"), ip("127.0.0.5"));
    log_in(&throttle, "Alice", home).expect("first login");
    for _ in 0..ACCOUNT_BURST as u32 {
        fail(&throttle, "alice", attacker).expect("free failure");
    }
    assert!(fail(&throttle, "alice", attacker).is_err());
    assert!(fail(&throttle, "alice", elsewhere).is_err());
    for _ in 0..3 {
        log_in_from_known(&throttle, "ALICE", home).expect("home is never held back");
    }
}

#[test]
fn a_login_to_ones_own_account_gives_back_only_its_own_count() {
    let throttle = LoginThrottle::default();
    let address = ip("198.51.100.4");
    log_in(&throttle, "mallory", address).expect("own account");
    for round in 0..ADDRESS_FREE_FAILURES - 1 {
        fail(&throttle, &format!("ghost{round}"), address).expect("free failure");
        log_in(&throttle, "mallory", address).expect("own account");
    }
    fail(&throttle, "ghost", address).expect("the last free failure");
    assert!(fail(&throttle, "victim", address).is_err());
    assert!(
        log_in(&throttle, "mallory", address).is_err(),
        "the address limit holds for everyone behind it"
    );
}

#[test]
fn the_real_users_login_gives_the_attacker_no_new_guesses() {
    let (_now, throttle) = throttle_at(1_000_000);
    let (home, attacker) = (ip("127.0.0.1"), ip("127.0.0.3"));
    log_in(&throttle, "alice", home).expect("first login");
    for _ in 0..ACCOUNT_BURST as u32 {
        fail(&throttle, "alice", attacker).expect("free failure");
    }
    log_in_from_known(&throttle, "alice", home).expect("the real user");
    assert!(fail(&throttle, "alice", attacker).is_err());
}

#[test]
fn concurrent_correct_logins_behind_one_address_wait_for_each_other_instead_of_failing() {
    let throttle = LoginThrottle::default();
    let nat = ip("198.51.100.9");
    let running: Vec<_> = (0..ADDRESS_FREE_FAILURES)
        .map(|n| {
            throttle
                .try_begin_attempt(&format!("user{n}"), nat, false)
                .expect("admitted")
        })
        .collect();
    assert_eq!(
        throttle.try_begin_attempt("late", nat, false).map(drop),
        Err(Refusal::Busy)
    );
    for attempt in running {
        attempt.succeeded();
    }
    log_in(&throttle, "late", nat).expect("admitted once the others succeeded");
}

#[test]
fn a_guess_every_15_s_from_elsewhere_never_keeps_the_real_user_out_of_a_new_address() {
    let (now, throttle) = throttle_at(1_000_000);
    for minute in 0..60u32 {
        // The attacker guesses every 15 s, each time from another address, so only the
        // account's limit applies to it.
        for guess in 0..4u32 {
            now.fetch_add(15_000, Ordering::SeqCst);
            let _ = fail(
                &throttle,
                "alice",
                ip(&format!("203.0.{minute}.{}", guess + 1)),
            );
        }
        // Right after a guess, the real user logs in from an address the account never used.
        let fresh = ip(&format!("198.51.{minute}.20"));
        log_in(&throttle, "alice", fresh).expect("the real user is never kept out");
    }
}

#[test]
fn registrations_are_limited_per_address_and_refill_over_the_hour() {
    let now = Arc::new(AtomicI64::new(0));
    let seen = now.clone();
    let registrations =
        RegistrationThrottle::new(2, Clock::from_fn(move || seen.load(Ordering::SeqCst)));
    let (home, same_64, other) = (ip("2001:db8::1"), ip("2001:db8::2"), ip("2001:db8:1::1"));
    registrations.try_register(home).expect("first");
    registrations
        .try_register(same_64)
        .expect("second, same /64");
    let wait = registrations
        .try_register(home)
        .expect_err("third in the hour");
    assert_eq!(wait, Duration::from_secs(30 * 60));
    registrations.try_register(other).expect("another /64");
    now.store(30 * 60 * 1_000, Ordering::SeqCst);
    registrations
        .try_register(same_64)
        .expect("refilled after half an hour");
    assert!(
        RegistrationThrottle::new(0, Clock::system())
            .try_register(home)
            .is_ok()
    );
}

#[test]
fn ipv6_addresses_of_one_64_are_one_address() {
    let throttle = LoginThrottle::default();
    for host in 0..ADDRESS_FREE_FAILURES {
        let address = ip(&format!("2001:db8:1:2::{:x}", host + 1));
        fail(&throttle, &format!("ghost{host}"), address).expect("free failure");
    }
    let same_64 = ip("2001:db8:1:2:ffff:ffff:ffff:ffff");
    assert!(fail(&throttle, "victim", same_64).is_err());
    fail(&throttle, "victim", ip("2001:db8:1:3::1")).expect("another /64");
    assert_eq!(
        throttle_key(ip("::ffff:192.0.2.1")),
        ip("192.0.2.1"),
        "IPv4-mapped is IPv4"
    );
}

#[test]
fn a_full_table_stays_bounded_and_keeps_throttling_new_addresses() {
    let capacity = 4;
    let throttle = LoginThrottle::with_capacity(capacity, Clock::system());
    for host in 0..capacity + ADDRESS_FREE_FAILURES as usize {
        let address = ip(&format!("203.0.113.{}", host + 1));
        fail(&throttle, "no such name!", address).expect("free failure");
    }
    assert!(throttle.addresses.len() <= capacity + 1);
    let fresh_address = ip("203.0.113.200");
    assert!(
        fail(&throttle, "victim", fresh_address).is_err(),
        "new addresses share the overflow record once the table is full"
    );
}

#[test]
fn a_full_account_table_stays_bounded_and_keeps_throttling_new_names() {
    let capacity = 4;
    let throttle = LoginThrottle::with_capacity(capacity, Clock::system());
    let mut refused = 0;
    for n in 0..capacity + 2 * ACCOUNT_BURST as usize {
        let address = ip(&format!("203.0.113.{}", n + 1));
        refused += usize::from(fail(&throttle, &format!("ghost{n}"), address).is_err());
    }
    assert!(throttle.accounts.len() <= capacity + 1);
    assert!(
        refused > 0,
        "new names share the overflow record once the table is full"
    );
}
