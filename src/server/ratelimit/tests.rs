//! Unit tests of the token bucket and the login throttle (counting before Argon2, what a
//! success gives back, trusted addresses, IPv6 /64 aggregation, bounded tables).

use super::*;

/// A failed attempt: admitted (and so counted), then never reported as a success.
fn fail(throttle: &LoginThrottle, account: &str, address: IpAddr) -> Result<(), Duration> {
    throttle.begin_attempt(account, address).map(drop)
}

/// A successful attempt.
fn log_in(throttle: &LoginThrottle, account: &str, address: IpAddr) -> Result<(), Duration> {
    let attempt = throttle.begin_attempt(account, address)?;
    throttle.succeeded(attempt, account);
    Ok(())
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
fn attempts_still_running_argon2_already_count() {
    let throttle = LoginThrottle::new();
    let attacker = ip("192.0.2.7");
    let admitted: Vec<CountedAttempt> = (0..20)
        .filter_map(|_| throttle.begin_attempt("alice", attacker).ok())
        .collect();
    assert_eq!(admitted.len() as u32, ACCOUNT_FREE_FAILURES);
}

#[test]
fn invalid_names_get_no_account_record_but_still_count_per_address() {
    let throttle = LoginThrottle::new();
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
    let throttle = LoginThrottle::new();
    let (home, attacker, elsewhere) = (ip("127.0.0.2"), ip("127.0.0.9"), ip("127.0.0.5"));
    log_in(&throttle, "Alice", home).expect("first login");
    for _ in 0..ACCOUNT_FREE_FAILURES {
        fail(&throttle, "alice", attacker).expect("free failure");
    }
    assert!(fail(&throttle, "alice", attacker).is_err());
    assert!(fail(&throttle, "alice", elsewhere).is_err());
    for _ in 0..3 {
        log_in(&throttle, "ALICE", home).expect("home is never held back");
    }
}

#[test]
fn a_login_to_ones_own_account_gives_back_only_its_own_count() {
    let throttle = LoginThrottle::new();
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
fn a_success_clears_the_account_record() {
    let throttle = LoginThrottle::new();
    let (home, attacker) = (ip("127.0.0.1"), ip("127.0.0.3"));
    log_in(&throttle, "alice", home).expect("first login");
    for _ in 0..ACCOUNT_FREE_FAILURES {
        fail(&throttle, "alice", attacker).expect("free failure");
    }
    log_in(&throttle, "alice", home).expect("the real user");
    fail(&throttle, "alice", attacker).expect("the account record was cleared");
}

#[test]
fn ipv6_addresses_of_one_64_are_one_address() {
    let throttle = LoginThrottle::new();
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
    let throttle = LoginThrottle::with_capacity(capacity);
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
    let throttle = LoginThrottle::with_capacity(capacity);
    let mut refused = 0;
    for n in 0..capacity + 2 * ACCOUNT_FREE_FAILURES as usize {
        let address = ip(&format!("203.0.113.{}", n + 1));
        refused += usize::from(fail(&throttle, &format!("ghost{n}"), address).is_err());
    }
    assert!(throttle.accounts.len() <= capacity + 1);
    assert!(
        refused > 0,
        "new names share the overflow record once the table is full"
    );
}
