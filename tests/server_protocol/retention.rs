//! Retention against the real server: the timer-driven sweep purges what is older than the
//! server-wide `retention` or a channel's own (`mode retention`, which may only shorten it), on
//! the injected clock; what was purged is gone from history, search and a newcomer's
//! `joined.hist`, and `history`/`rewind` say where the retained history begins
//! (`retained_from`). The sweep runs on its own timer, so the test waits for its effect with a
//! bounded poll (every receive has a timeout).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use chatify::clock::Clock;
use chatify::server::ServerConfig;
use serde_json::{Value, json};

use crate::common::*;

const T0: i64 = 1_764_000_000_000;
const HOUR: i64 = 3_600_000;

/// Asks for `ch`'s history until `done` holds (the sweep runs every 20 ms); at most 20 s.
async fn history_until(client: &mut Client, ch: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let page = client.request(json!({"t": "history", "ch": ch}), "h").await;
        if done(&page) {
            return page;
        }
        assert!(Instant::now() < deadline, "the sweep never purged: {page}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_purges_expired_messages_by_the_injected_clock_and_history_says_from_when() {
    let time = Arc::new(AtomicI64::new(T0));
    let seen = time.clone();
    let config = ServerConfig {
        clock: Clock::from_fn(move || seen.load(Ordering::SeqCst)),
        retention: Some(Duration::from_secs(24 * 3600)),
        retention_sweep: Duration::from_millis(20),
        ..test_config()
    };
    let server = TestServer::start(config).await;
    let mut alice = register(&server, "alice").await;
    alice.request(json!({"t": "join", "ch": "ops"}), "j").await;
    alice.say("general", "ancient general words", "g1").await;
    alice.say("ops", "ancient ops words", "o1").await;
    // #ops keeps one hour only: shorter than the server's day.
    let mode = alice
        .request(json!({"t": "mode", "ch": "ops", "retention": 3600}), "m")
        .await;
    assert_eq!(mode["t"], "ack", "{mode}");

    time.store(T0 + 2 * HOUR, Ordering::SeqCst);
    alice.say("ops", "fresh ops words", "o2").await;
    let page = history_until(&mut alice, "ops", |page| {
        !texts(&page["events"]).contains(&"ancient ops words".to_string())
    })
    .await;
    assert_eq!(page["retained_from"], T0 + HOUR, "{page}");
    assert!(texts(&page["events"]).contains(&"fresh ops words".to_string()));
    let general = alice
        .request(json!({"t": "history", "ch": "general"}), "g")
        .await;
    assert_eq!(
        texts(&general["events"]),
        ["ancient general words"],
        "within the server-wide day"
    );
    assert!(general.get("retained_from").is_none(), "{general}");
    // A newcomer's joined.hist comes from the ring, which forgot the purged messages too.
    let mut bob = register(&server, "bob").await;
    let joined = bob.request(json!({"t": "join", "ch": "ops"}), "j").await;
    assert!(
        !texts(&joined["hist"])
            .iter()
            .any(|text| text.contains("ancient")),
        "{joined}"
    );
    assert_eq!(texts(&joined["hist"]), ["fresh ops words"]);

    time.store(T0 + 25 * HOUR, Ordering::SeqCst);
    history_until(&mut alice, "general", |page| {
        page["events"]
            .as_array()
            .is_some_and(|events| events.is_empty())
    })
    .await;
    let found = alice
        .request(json!({"t": "search", "ch": "general", "q": "ancient"}), "s")
        .await;
    assert_eq!(found["events"], json!([]), "{found}");
    let rewind = alice
        .request(
            json!({"t": "rewind", "ch": "general", "at": T0 + HOUR}),
            "r",
        )
        .await;
    assert_eq!(rewind["retained_from"], T0 + HOUR, "{rewind}");
    assert_eq!(rewind["events"], json!([]));
}
