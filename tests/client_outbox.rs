//! The outbox through the real binary (issue 10, "never lose a typed line"): `chatify connect`
//! processes in pipe mode against a real `chatify serve` that is killed (SIGKILL) and started
//! again on the same address. Lines typed during the outage are queued at once (no blocked
//! prompt), shown as waiting, and arrive exactly once and in order after the resume; a burst
//! cut by a kill -9 between send and ack is neither lost nor doubled; lines typed right after
//! `/join #vault --sealed` land in the sealed channel in order. Every read has a timeout; the
//! outage is the thing under test, readiness is awaited by reading output.

#[path = "client_e2e/pipe_client.rs"]
mod pipe_client;
#[path = "common/server.rs"]
mod server_fixture;

use pipe_client::{Client, PASSPHRASE};
use server_fixture::ServeProcess;

/// Asserts that `client` printed each of `needles` exactly once, in this order.
fn assert_once_in_order(client: &Client, needles: &[String]) {
    let mut last = None;
    for needle in needles {
        let at: Vec<usize> = client
            .transcript
            .iter()
            .enumerate()
            .filter(|(_, line)| line.contains(needle.as_str()))
            .map(|(at, _)| at)
            .collect();
        assert_eq!(
            at.len(),
            1,
            "{needle:?} shown exactly once by {}:\n{}",
            client.name,
            client.transcript.join("\n")
        );
        assert!(
            last < Some(at[0]),
            "{needle:?} out of order for {}:\n{}",
            client.name,
            client.transcript.join("\n")
        );
        last = Some(at[0]);
    }
}

#[test]
fn lines_typed_during_an_outage_are_queued_at_once_and_arrive_once_in_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("chat.db");
    let server = ServeProcess::start(&db);
    let address = server.address();
    let mut alice = Client::start(&server, "alice");
    let mut bob = Client::start(&server, "bob");
    alice.send("before the outage");
    bob.expect("<alice> before the outage");

    server.kill();
    alice.expect("reconnecting");
    bob.expect("reconnecting");
    let lines: Vec<String> = ["A", "B", "C", "D"]
        .iter()
        .map(|n| format!("outage {n}"))
        .collect();
    for line in &lines {
        alice.send(line);
    }
    // Each line is queued at once, while the server is still down: nothing blocks, nothing
    // is dropped.
    alice.expect("queued, will send on reconnect (4 waiting): #general: outage D");

    let server = ServeProcess::start_with(&db, &address, &[], &[]);
    alice.expect("sent 4 queued line(s)");
    let shown: Vec<String> = lines.iter().map(|line| format!("<alice> {line}")).collect();
    for line in &shown {
        bob.expect(line);
    }
    alice.send("after the outage");
    bob.expect("<alice> after the outage");
    alice.expect("<alice> after the outage");
    assert_once_in_order(&bob, &shown);
    assert_once_in_order(&alice, &shown);
    drop(server);
}

#[test]
fn a_burst_cut_by_kill_9_between_send_and_ack_is_neither_lost_nor_doubled() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("chat.db");
    let server = ServeProcess::start(&db);
    let address = server.address();
    let mut alice = Client::start(&server, "alice");
    let mut bob = Client::start(&server, "bob");
    alice.send("warm up");
    bob.expect("<alice> warm up");

    let lines: Vec<String> = (1..=40).map(|n| format!("burst line {n:02}")).collect();
    for line in &lines {
        alice.send(line);
    }
    // Killed while the burst is being sent: some lines are stored and acked, one may be stored
    // without its ack reaching alice, the rest are not sent yet.
    alice.expect("<alice> burst line 01");
    server.kill();
    alice.expect("reconnecting");
    let server = ServeProcess::start_with(&db, &address, &[], &[]);
    let shown: Vec<String> = lines.iter().map(|line| format!("<alice> {line}")).collect();
    bob.expect(shown.last().expect("40 lines"));
    alice.expect(shown.last().expect("40 lines"));
    alice.send("after the burst");
    bob.expect("<alice> after the burst");
    assert_once_in_order(&bob, &shown);
    assert_once_in_order(&alice, &shown);
    drop(server);
}

#[test]
fn lines_typed_right_after_a_sealed_join_land_in_the_sealed_channel_in_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("chat.db");
    let server = ServeProcess::start(&db);
    let mut alice = Client::start(&server, "alice");
    let mut bob = Client::start(&server, "bob");
    // Typed ahead in one go: the join (key derivation included) runs first, then the lines.
    alice.send("/join #vault --sealed");
    alice.send(PASSPHRASE);
    let lines: Vec<String> = (1..=5).map(|n| format!("vault line {n}")).collect();
    for line in &lines {
        alice.send(line);
    }
    let shown: Vec<String> = lines
        .iter()
        .map(|line| format!("🔒#vault <alice> {line}"))
        .collect();
    alice.expect(shown.last().expect("5 lines"));
    // A sealed channel is invite-only: alice (its owner) invites bob first.
    alice.send("/invite bob");
    alice.expect("#vault -- alice invited bob");
    bob.expect("alice invited you to #vault");
    bob.send("/join #vault");
    bob.send(PASSPHRASE);
    bob.expect("joined 🔒#vault");
    bob.expect(shown.last().expect("5 lines"));
    assert_once_in_order(&alice, &shown);
    assert_once_in_order(&bob, &shown);
}
