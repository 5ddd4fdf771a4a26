//! Issue 9 point 10 (and the NAT half of point 8) against the real server: unauthenticated
//! Argon2 work is admitted through a bounded queue, so 256 concurrent bogus logins from 64
//! addresses cost a bounded number of Argon2 runs while a real user logging in from an address
//! the account used before still gets in; registration is throttled per address; and correct
//! logins behind one address (a NAT) are never refused for each other.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::common::*;
use chatify::clock::Clock;
use chatify::server::ServerConfig;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bogus_logins_from_many_addresses_cannot_queue_ahead_of_a_real_login() {
    let config = ServerConfig {
        password_hash_concurrency: 1,
        password_hash_queue: 4,
        ..test_config()
    };
    let server = TestServer::start(config).await;
    register(&server, "alice").await.close().await;
    // One password login makes 127.0.0.1 an address alice logs in from.
    login(&server, "alice").await.0.close().await;
    let mut bogus = Vec::new();
    for host in 0..64u8 {
        let from = IpAddr::V4(Ipv4Addr::new(127, 0, 1, host + 1));
        for _ in 0..4 {
            bogus.push(Client::connect_from(&server, from).await);
        }
    }
    for (n, client) in bogus.iter_mut().enumerate() {
        let guess = json!({"t": "auth", "u": format!("ghost{n}"), "pw": "guess-guess", "rid": "g"});
        client.send_json(guess).await;
    }
    let started = std::time::Instant::now();
    let (_alice, ok) = login(&server, "alice").await;
    let took = started.elapsed();
    assert_eq!(ok["t"], "ok", "the real user got in during the flood");
    let (mut evaluated, mut refused) = (0, 0);
    for client in &mut bogus {
        let reply = client.recv_rid("g").await;
        match reply["code"].as_str() {
            Some("auth_failed") => evaluated += 1,
            Some("rate_limited") => refused += 1,
            _ => panic!("unexpected reply {reply}"),
        }
    }
    assert_eq!(evaluated + refused, 256);
    // A figure for the record (`--nocapture`), not an assertion: timing is for benchmarks.
    eprintln!("real login took {took:?} during the flood; {evaluated} bogus logins ran Argon2");
    assert!(
        evaluated < 128,
        "{evaluated} of 256 bogus logins ran Argon2; the rest must be refused at once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_than_ten_concurrent_correct_logins_behind_one_address_all_succeed() {
    let server = TestServer::start(test_config()).await;
    let users: Vec<String> = (0..12).map(|n| format!("nat{n}")).collect();
    for user in &users {
        register(&server, user).await.close().await;
    }
    let mut clients = Vec::new();
    for user in &users {
        let mut client = Client::connect(&server).await;
        let frame = json!({"t": "auth", "u": user, "pw": password_of(user), "rid": "login"});
        client.send_json(frame).await;
        clients.push(client);
    }
    for (client, user) in clients.iter_mut().zip(&users) {
        let reply = client.recv_rid("login").await;
        assert_eq!(reply["t"], "ok", "{user}: {reply}");
    }
}

#[tokio::test]
async fn registrations_are_throttled_per_address_and_refill_with_the_clock() {
    let now = Arc::new(AtomicI64::new(1_700_000_000_000));
    let seen = now.clone();
    let config = ServerConfig {
        registrations_per_address_per_hour: 2,
        clock: Clock::from_fn(move || seen.load(Ordering::SeqCst)),
        ..test_config()
    };
    let server = TestServer::start(config).await;
    register(&server, "first").await.close().await;
    register(&server, "second").await.close().await;
    let mut third = Client::connect(&server).await;
    let frame = json!({"t": "auth", "u": "third", "pw": password_of("third"), "register": true});
    let refused = third.expect_err(frame, "r3", "rate_limited").await;
    assert!(
        refused["m"]
            .as_str()
            .unwrap_or_default()
            .contains("registrations"),
        "{refused}"
    );
    // Another address is not affected.
    let mut elsewhere =
        Client::connect_from(&server, IpAddr::V4(Ipv4Addr::new(127, 0, 2, 1))).await;
    let frame = json!({"t": "auth", "u": "fourth", "pw": password_of("fourth"), "register": true});
    assert_eq!(elsewhere.request(frame, "r4").await["t"], "ok");
    now.fetch_add(30 * 60 * 1_000, Ordering::SeqCst);
    register(&server, "third").await.close().await;
}
