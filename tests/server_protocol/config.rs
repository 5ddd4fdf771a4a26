//! The server's configuration at the boundary: one injected `Clock` sets every `ts` the server
//! and its store hand out (ack, broadcast, history, pong, presence), and a configuration that
//! fails `ServerConfig::validate` stops `server::run` before it serves anyone.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chatify::clock::Clock;
use chatify::server::ServerConfig;
use serde_json::json;

use crate::common::*;

const PINNED: i64 = 1_700_000_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_injected_clock_sets_every_ts_of_the_server_and_the_store() {
    let time = Arc::new(AtomicI64::new(PINNED));
    let seen = time.clone();
    let config = ServerConfig {
        clock: Clock::from_fn(move || seen.load(Ordering::SeqCst)),
        ..test_config()
    };
    let server = TestServer::start(config).await;
    let mut alice = register(&server, "alice").await;
    let ack = alice.say("general", "at the pinned time", "m1").await;
    assert_eq!(ack["ts"], PINNED);
    time.store(PINNED + 60_000, Ordering::SeqCst);
    let pong = alice.request(json!({"t": "ping"}), "p").await;
    assert_eq!(pong["ts"], PINNED + 60_000);
    let ack = alice.say("general", "a minute later", "m2").await;
    assert_eq!(ack["ts"], PINNED + 60_000);
    let page = alice
        .request(json!({"t": "history", "ch": "general"}), "h")
        .await;
    let stamps: Vec<i64> = page["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|event| event["ts"].as_i64().expect("ts"))
        .collect();
    assert_eq!(stamps, [PINNED, PINNED + 60_000]);
    server.stop().await;
}

#[tokio::test]
async fn an_invalid_configuration_is_refused_before_serving() {
    let cases = [
        (
            ServerConfig {
                fanout_queue: 0,
                ..test_config()
            },
            "fanout_queue",
        ),
        (
            ServerConfig {
                rate_burst: 0,
                ..test_config()
            },
            "rate_burst",
        ),
        (
            ServerConfig {
                rate_limit: f64::NAN,
                ..test_config()
            },
            "rate_limit",
        ),
        (
            ServerConfig {
                read_rate: -1.0,
                ..test_config()
            },
            "read_rate",
        ),
        (
            ServerConfig {
                read_burst: 549,
                ..test_config()
            },
            "read_burst",
        ),
        (
            ServerConfig {
                max_frame: 10,
                ..test_config()
            },
            "max_frame",
        ),
        (
            ServerConfig {
                bridge_accounts: vec!["bridge\nforged".to_string()],
                ..test_config()
            },
            "bridge_accounts",
        ),
    ];
    for (config, field) in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = open_store(&dir.path().join("chatify.db"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let run = chatify::server::run(listener, store.clone(), config, std::future::pending());
        let error = tokio::time::timeout(RECV_TIMEOUT, run)
            .await
            .expect("refused at once, not served")
            .expect_err("an invalid configuration is an error");
        assert!(error.to_string().contains(field), "{field}: {error:#}");
        store.close();
    }
}
