//! Issue 9 point 7 against the real server: the attack of the issue — many connections resumed
//! from one session token, each asking for 4 × `history limit:500` of big messages and never
//! reading — stays inside the server's accounting: the account's connection cap refuses the
//! extra connections, the server-wide outbound budget closes the largest queues first (with
//! 1013), and every byte is given back when the attackers leave. Asserts on the server's own
//! accounting (`OutboundBudget`), not on RSS.

use std::time::Duration;

use crate::common::*;
use chatify::server::{OutboundBudget, ServerConfig};
use serde_json::json;

/// Waits (at most 30 s) until `done` holds, checking every 20 ms.
async fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_resumes_asking_for_big_pages_and_never_reading_stay_inside_the_budget() {
    const BUDGET: usize = 16 << 20;
    const PER_ACCOUNT: usize = 8;
    let budget = OutboundBudget::new(BUDGET);
    let config = ServerConfig {
        outbound_budget: budget.clone(),
        max_connections_per_account: PER_ACCOUNT,
        ..test_config()
    };
    let server = TestServer::start(config).await;
    let mut alice = register(&server, "alice").await;
    // 70 messages of 60 KB: one 500-row page is about 4.2 MB; four of them overflow one
    // connection's queue (16 MiB), four connections' first pages the server's budget.
    let body = "B".repeat(60_000);
    for n in 0..70 {
        alice.say("general", &body, &format!("m{n}")).await;
    }
    let page_bytes = 70 * body.len();
    let mut attackers = Vec::new();
    for _ in 0..20 {
        let mut attacker = Client::connect_with_small_buffer(&server).await;
        let resume = json!({"t": "auth", "u": "alice", "session": alice.session});
        let reply = attacker.request(resume, "resume").await;
        match reply["t"].as_str() {
            Some("ok") => attackers.push(attacker),
            _ => assert_eq!(reply["code"], "too_many_connections", "{reply}"),
        }
    }
    assert_eq!(
        attackers.len(),
        PER_ACCOUNT - 1,
        "alice's own connection and the attackers share the account's cap"
    );
    for attacker in &mut attackers {
        for n in 0..4 {
            let page =
                json!({"t": "history", "ch": "general", "limit": 500, "rid": format!("h{n}")});
            attacker.send_json(page).await;
        }
    }
    // Each attacker asks for more than its queue may hold: each is closed once (1013), by its
    // own queue's limit or, largest first, by the server's budget.
    wait_until("every attacker closed as a slow consumer", || {
        budget.slow_closes() >= attackers.len() as u64
    })
    .await;
    let peak = budget.peak_bytes();
    // Today's figure without a budget would be 7 × 16.8 MB; the bound is the budget plus the
    // page each connection of the account may still be writing while it closes.
    let in_flight = PER_ACCOUNT * (page_bytes + 64 * 1024);
    assert!(
        peak <= BUDGET + in_flight,
        "peak {peak} bytes queued; budget {BUDGET} + {in_flight} in flight"
    );
    assert!(budget.queued_bytes() <= BUDGET + in_flight);
    // Alice reads and was never the largest queue: she is still served.
    let pong = alice.request(json!({"t": "ping"}), "still").await;
    assert_eq!(pong["t"], "pong", "{pong}");
    drop(attackers);
    wait_until("the attackers' queues given back", || {
        budget.connections() == 1 && budget.queued_bytes() == 0
    })
    .await;
}

#[tokio::test]
async fn connections_over_the_per_address_cap_are_refused_with_1013() {
    let config = ServerConfig {
        max_connections_per_address: 2,
        ..test_config()
    };
    let server = TestServer::start(config).await;
    let _first = Client::connect(&server).await;
    let _second = Client::connect(&server).await;
    let mut third = Client::connect(&server).await;
    assert_eq!(third.expect_close().await, 1013);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_who_never_reads_broadcasts_is_closed_with_1013_and_every_byte_comes_back() {
    // A broadcast charges the server-wide budget once for every subscriber and gives back the
    // part it could not queue (bob's, once his queue is full); nothing may stay charged.
    let budget = OutboundBudget::new(64 << 20);
    let config = ServerConfig {
        outbound_budget: budget.clone(),
        queue_bytes: 512 * 1024,
        ..test_config()
    };
    let server = TestServer::start(config).await;
    let mut alice = register(&server, "alice").await;
    register(&server, "bob").await.close().await;
    let mut bob = Client::connect_with_small_buffer(&server).await;
    let auth = json!({"t": "auth", "u": "bob", "pw": password_of("bob")});
    assert_eq!(bob.request(auth, "login").await["t"], "ok");
    let body = "B".repeat(60_000);
    for n in 0..60 {
        alice.say("general", &body, &format!("m{n}")).await;
    }
    assert_eq!(bob.expect_close().await, 1013);
    let pong = alice.request(json!({"t": "ping"}), "still").await;
    assert_eq!(pong["t"], "pong", "{pong}");
    wait_until("bob's queue given back and alice's flushed", || {
        budget.connections() == 1 && budget.queued_bytes() == 0
    })
    .await;
    assert_eq!(budget.slow_closes(), 1);
}
