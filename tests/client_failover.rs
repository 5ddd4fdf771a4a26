//! Several `--server` addresses (issue 14, client side): `chatify connect --server A,B` moves to
//! B when A cannot be reached, at start and on reconnect. The two servers here share nothing
//! (each has its own database and its own alice), so the client logs in at B with its
//! password; resuming the same session and `seq`s across nodes needs the cluster, where the
//! nodes share one event log and one account table. Every read has a timeout.

#[path = "client_e2e/pipe_client.rs"]
mod pipe_client;
#[path = "common/server.rs"]
mod server_fixture;

use pipe_client::{Client, Login};
use server_fixture::ServeProcess;

#[test]
fn with_two_servers_the_client_moves_to_the_second_when_the_first_dies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server_a = ServeProcess::start(&dir.path().join("a.db"));
    let server_b = ServeProcess::start(&dir.path().join("b.db"));
    // alice's account on B (same name and password), made before.
    Client::start(&server_b, "alice").quit();
    let mut bob = Client::start(&server_b, "bob");
    let both = format!("{},{}", server_a.url, server_b.url);

    let config = tempfile::tempdir().expect("config dir");
    let mut alice = Client::spawn_at(&both, "alice", Login::Register, config);
    alice.send("/status");
    alice.expect(&format!("connected to {}", server_a.url));

    server_a.kill();
    alice.expect("reconnecting");
    alice.expect("reconnected as alice");
    alice.send("/status");
    alice.expect(&format!("connected to {}", server_b.url));
    alice.send("hello from the second server");
    bob.expect("<alice> hello from the second server");

    // A fresh start with A still down goes straight to B.
    let config = alice.quit();
    let mut again = Client::spawn_at(&both, "alice", Login::Password, config);
    again.send("/status");
    again.expect(&format!("connected to {}", server_b.url));
}
