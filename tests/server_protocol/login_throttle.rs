//! Password guessing against the real server (issue 9 point 8): simultaneous guesses are counted
//! before Argon2 runs, and logging in to one's own account does not wipe the guesses an address
//! made on others.

use crate::common::*;
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
