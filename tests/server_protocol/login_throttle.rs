//! Password guessing against the real server (issue 9 points 8 and 9): simultaneous guesses are
//! counted before Argon2 runs, logging in to one's own account does not wipe the guesses an
//! address made on others, a patient guesser never keeps the real user out (the server's clock
//! is injected), and the addresses an account logged in from are remembered in the database.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::common::*;
use chatify::clock::Clock;
use chatify::server::ServerConfig;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_guesses_are_counted_before_argon2_runs() {
    let server = TestServer::start(test_config()).await;
    register(&server, "alice").await.close().await;
    let mut guessers = Vec::new();
    for _ in 0..12 {
        guessers.push(Client::connect(&server).await);
    }
    let guess = json!({"t": "auth", "u": "alice", "pw": "guess-guess", "rid": "g"});
    for guesser in &mut guessers {
        guesser.send_json(guess.clone()).await;
    }
    let mut evaluated = 0;
    for guesser in &mut guessers {
        let reply = guesser.recv_rid("g").await;
        match reply["code"].as_str() {
            Some("auth_failed") => evaluated += 1,
            Some("rate_limited") => {}
            _ => panic!("unexpected reply {reply}"),
        }
    }
    assert!(
        evaluated <= 3,
        "{evaluated} of 12 simultaneous guesses ran Argon2; only the 3 free ones may"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_in_to_ones_own_account_does_not_reset_the_address() {
    let server = TestServer::start(test_config()).await;
    register(&server, "mallory").await.close().await;
    let mut refused_at = None;
    for guess in 0..30 {
        // A connection per guess: an unauthenticated connection is closed after 10 s.
        let mut guesser = Client::connect(&server).await;
        let frame = json!({"t": "auth", "u": format!("ghost{guess}"), "pw": "guess-guess"});
        let reply = guesser.request(frame, &format!("g{guess}")).await;
        if reply["code"] == "rate_limited" {
            refused_at = Some(guess);
            break;
        }
        assert_eq!(reply["code"], "auth_failed", "{reply}");
        if guess % 9 == 8 {
            let (own, _) = login(&server, "mallory").await;
            own.close().await;
        }
    }
    assert_eq!(
        refused_at,
        Some(10),
        "the 11th failure from one address is delayed, own logins in between or not"
    );
}

/// Logs `user` in with the password from `from` (a loopback address); the reply frame.
async fn login_from(server: &TestServer, user: &str, from: IpAddr) -> serde_json::Value {
    let mut client = Client::connect_from(server, from).await;
    let frame = json!({"t": "auth", "u": user, "pw": password_of(user)});
    let reply = client.request(frame, "login").await;
    client.close().await;
    reply
}

/// A wrong guess at `user` from `from`; the reply's error code.
async fn guess_from(server: &TestServer, user: &str, from: IpAddr) -> String {
    let mut client = Client::connect_from(server, from).await;
    let frame = json!({"t": "auth", "u": user, "pw": "wrong-guess"});
    let reply = client.request(frame, "guess").await;
    client.close().await;
    reply["code"].as_str().unwrap_or_default().to_string()
}

fn loopback(c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, c, d))
}

/// A server whose clock the test moves by hand.
async fn server_with_clock() -> (Arc<AtomicI64>, TestServer) {
    let now = Arc::new(AtomicI64::new(1_700_000_000_000));
    let seen = now.clone();
    let config = ServerConfig {
        clock: Clock::from_fn(move || seen.load(Ordering::SeqCst)),
        ..test_config()
    };
    (now, TestServer::start(config).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guess_every_15_s_from_elsewhere_never_keeps_the_real_user_out() {
    let (now, server) = server_with_clock().await;
    register(&server, "alice").await.close().await;
    for round in 0..16u8 {
        now.fetch_add(15_000, Ordering::SeqCst);
        let code = guess_from(&server, "alice", loopback(3, round + 1)).await;
        assert!(code == "auth_failed" || code == "rate_limited", "{code}");
        // Right after each guess, the real user logs in from an address alice never used.
        let reply = login_from(&server, "alice", loopback(4, round + 1)).await;
        assert_eq!(reply["t"], "ok", "round {round}: {reply}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_an_account_logged_in_from_are_remembered_across_a_restart() {
    let (now, server) = server_with_clock().await;
    register(&server, "alice").await.close().await;
    let home = loopback(0, 5);
    assert_eq!(login_from(&server, "alice", home).await["t"], "ok");
    let dir = server.stop().await;
    let seen = now.clone();
    let config = ServerConfig {
        clock: Clock::from_fn(move || seen.load(Ordering::SeqCst)),
        ..test_config()
    };
    let server = TestServer::start_in(dir, config).await;
    // The attacker spends alice's bucket for guesses from unknown addresses (time stands still).
    for n in 0..3 {
        assert_eq!(
            guess_from(&server, "alice", loopback(6, n + 1)).await,
            "auth_failed"
        );
    }
    assert_eq!(
        guess_from(&server, "alice", loopback(6, 9)).await,
        "rate_limited"
    );
    assert_eq!(
        login_from(&server, "alice", loopback(0, 7)).await["code"],
        "rate_limited",
        "a new address waits for the bucket"
    );
    let reply = login_from(&server, "alice", home).await;
    assert_eq!(
        reply["t"], "ok",
        "home is remembered in the database: {reply}"
    );
}
