//! Crash safety of the real `chatify serve` binary (docs/TESTING.md): many senders write to two
//! channels at once while the server is killed with SIGKILL at random moments and restarted on
//! the same database. Afterwards every event a sender saw acked is in history with the acked
//! `id`, `seq` and text, each sender's acks are in the order it sent, every channel's log runs
//! 1, 2, 3, … without a gap or a duplicate (and no message is stored twice), and
//! `PRAGMA integrity_check` says `ok` — once with the default durability and once with
//! `--durability full`. `CHATIFY_CRASH_KILLS` and `CHATIFY_CRASH_SENDERS` make the run bigger.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

/// The channels every sender writes to, alternately.
const CHANNELS: [&str; 2] = ["general", "crash"];
/// Messages a sender keeps in flight (sent, not yet acked) on one connection.
const IN_FLIGHT: usize = 4;
/// Acks every sender must see after the last restart before the run ends.
const ACKS_AFTER_LAST_RESTART: u64 = 10;

/// Where the server is, as the senders see it.
#[derive(Clone, Debug, PartialEq)]
enum Phase {
    Up(String),
    Down,
    Finished,
}

/// One acknowledged message: what the sender sent and what the ack said.
#[derive(Clone, Debug)]
struct Acked {
    channel: &'static str,
    number: u64,
    text: String,
    id: i64,
    seq: i64,
}

/// A sender's account, its position in its own sequence of messages and its acks so far.
struct Sender {
    user: String,
    session: String,
    next_number: u64,
    in_flight: HashMap<String, (&'static str, u64, String)>,
    acked: Vec<Acked>,
    ack_count: Arc<watch::Sender<u64>>,
}

/// A size knob read from the environment (a positive integer), else `default`.
fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .filter(|&value| value > 0)
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acked_events_survive_repeated_sigkill_with_default_durability() {
    crash_run(&[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acked_events_survive_repeated_sigkill_with_durability_full() {
    crash_run(&["--durability", "full"]).await;
}

/// Registers the senders, kills and restarts the server `CHATIFY_CRASH_KILLS` times (20 by
/// default) while they write, then checks the database.
async fn crash_run(flags: &[&str]) {
    let kills = knob("CHATIFY_CRASH_KILLS", 20);
    let sender_count = knob("CHATIFY_CRASH_SENDERS", 8);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("crash.db");
    let mut serve = spawn_serve_with_flags(&db, dir.path(), flags).await;
    let (phase, phase_seen) = watch::channel(Phase::Up(serve.url.clone()));
    let (ack_count, mut acks_seen) = watch::channel(0u64);
    let ack_count = Arc::new(ack_count);
    let mut tasks = Vec::new();
    for index in 0..sender_count {
        let sender = register_sender(&serve.url, index, ack_count.clone()).await;
        tasks.push(tokio::spawn(run_sender(sender, phase_seen.clone())));
    }
    for _ in 0..kills {
        tokio::time::sleep(Duration::from_millis(rand::random_range(20..400))).await;
        serve.kill_9().await;
        phase.send_replace(Phase::Down);
        serve = spawn_serve_with_flags(&db, dir.path(), flags).await;
        phase.send_replace(Phase::Up(serve.url.clone()));
    }
    let target = *acks_seen.borrow_and_update() + ACKS_AFTER_LAST_RESTART * sender_count as u64;
    tokio::time::timeout(
        Duration::from_secs(60),
        acks_seen.wait_for(|&n| n >= target),
    )
    .await
    .expect("the senders write again after the last restart")
    .expect("ack counter open");
    phase.send_replace(Phase::Finished);
    let mut acked = Vec::new();
    for task in tasks {
        let sender = tokio::time::timeout(Duration::from_secs(60), task)
            .await
            .expect("a sender finishes")
            .expect("a sender does not panic");
        check_sender_order(&sender);
        acked.extend(sender.acked);
    }
    let checked = check_history(&serve.url, &acked).await;
    serve.kill_9().await;
    check_integrity(&db);
    eprintln!(
        "crash test {flags:?}: {kills} SIGKILLs, {sender_count} senders, {} acked events \
         checked, {checked} events in history",
        acked.len()
    );
    assert!(
        acked.len() >= kills,
        "too few acks to mean anything: {}",
        acked.len()
    );
}

/// Registers `sender<index>`, joins it to every test channel, and returns its session.
async fn register_sender(url: &String, index: usize, ack_count: Arc<watch::Sender<u64>>) -> Sender {
    let user = format!("sender{index}");
    let mut client = register(url, &user).await;
    for channel in CHANNELS {
        let joined = client
            .request(json!({"t": "join", "ch": channel}), "join")
            .await;
        assert_eq!(joined["t"], "joined", "{user} joins #{channel}: {joined}");
    }
    let session = client.session.clone();
    client.close().await;
    Sender {
        user,
        session,
        next_number: 0,
        in_flight: HashMap::new(),
        acked: Vec::new(),
        ack_count,
    }
}

/// Follows the server through its restarts until the run is finished; returns the sender.
async fn run_sender(mut sender: Sender, mut phase: watch::Receiver<Phase>) -> Sender {
    loop {
        let now = phase.borrow_and_update().clone();
        match now {
            Phase::Finished => return sender,
            Phase::Down => {}
            Phase::Up(url) => send_on_one_connection(&url, &mut sender, &phase).await,
        }
        if phase.changed().await.is_err() {
            return sender;
        }
    }
}

/// One connection: resume the session, keep `IN_FLIGHT` messages unacked, record every ack.
/// Returns when the connection dies (the server was killed) or, once the run is finished, when
/// nothing is in flight any more. Unacked messages of a dead connection are forgotten: they may
/// or may not be stored, and are never resent.
async fn send_on_one_connection(url: &str, sender: &mut Sender, phase: &watch::Receiver<Phase>) {
    sender.in_flight.clear();
    let Ok(Ok((mut ws, _))) =
        tokio::time::timeout(RECV_TIMEOUT, tokio_tungstenite::connect_async(url)).await
    else {
        return;
    };
    let resume = json!({"t": "auth", "u": sender.user, "session": sender.session, "rid": "resume"});
    if ws.send(Message::text(resume.to_string())).await.is_err() {
        return;
    }
    loop {
        let finishing = *phase.borrow() == Phase::Finished;
        if finishing && sender.in_flight.is_empty() {
            let _ = ws.close(None).await;
            return;
        }
        while !finishing && sender.in_flight.len() < IN_FLIGHT {
            let frame = next_message(sender);
            if ws.send(Message::text(frame.to_string())).await.is_err() {
                return;
            }
        }
        let frame = match tokio::time::timeout(RECV_TIMEOUT, ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                serde_json::from_str::<Value>(text.as_str()).expect("server sends JSON")
            }
            Ok(Some(Ok(Message::Close(_)) | Err(_)) | None) | Err(_) => return,
            Ok(Some(Ok(_))) => continue,
        };
        record_reply(sender, &frame);
    }
}

/// The next message of this sender (alternating channels), registered as in flight.
fn next_message(sender: &mut Sender) -> Value {
    let number = sender.next_number;
    sender.next_number += 1;
    let channel = CHANNELS[number as usize % CHANNELS.len()];
    let text = format!("{} message {number}", sender.user);
    let rid = format!("m{number}");
    sender
        .in_flight
        .insert(rid.clone(), (channel, number, text.clone()));
    json!({"t": "msg", "ch": channel, "c": text, "rid": rid})
}

/// Records an ack; any other reply to a message is a failure. Broadcasts are ignored.
fn record_reply(sender: &mut Sender, frame: &Value) {
    let Some(rid) = frame["rid"].as_str() else {
        return;
    };
    if rid == "resume" {
        assert_eq!(
            frame["t"], "ok",
            "{} resumes its session: {frame}",
            sender.user
        );
        return;
    }
    let Some((channel, number, text)) = sender.in_flight.remove(rid) else {
        return;
    };
    assert_eq!(frame["t"], "ack", "{}: {frame}", sender.user);
    sender.acked.push(Acked {
        channel,
        number,
        text,
        id: frame["id"].as_i64().expect("ack id"),
        seq: frame["seq"].as_i64().expect("ack seq"),
    });
    sender.ack_count.send_modify(|count| *count += 1);
}

/// A sender's acked messages got increasing `seq` and `id` in the order it sent them.
fn check_sender_order(sender: &Sender) {
    let mut acked = sender.acked.clone();
    acked.sort_by_key(|a| a.number);
    for channel in CHANNELS {
        let seqs: Vec<i64> = acked
            .iter()
            .filter(|a| a.channel == channel)
            .map(|a| a.seq)
            .collect();
        assert!(
            seqs.windows(2).all(|pair| pair[0] < pair[1]),
            "{} #{channel}: seqs out of send order: {seqs:?}",
            sender.user
        );
    }
    let ids: Vec<i64> = acked.iter().map(|a| a.id).collect();
    assert!(
        ids.windows(2).all(|pair| pair[0] < pair[1]),
        "{}: ids out of send order",
        sender.user
    );
}

/// Reads every channel's full log from the restarted server and checks it against the acks.
/// Returns how many events the logs hold.
async fn check_history(url: &String, acked: &[Acked]) -> usize {
    let mut reader = register(url, "reader").await;
    let mut total = 0;
    for channel in CHANNELS {
        reader
            .request(json!({"t": "join", "ch": channel}), "join")
            .await;
        let log = channel_log(&mut reader, channel).await;
        let seqs: Vec<i64> = log.iter().filter_map(|e| e["seq"].as_i64()).collect();
        let expected: Vec<i64> = (1..=log.len() as i64).collect();
        assert_eq!(
            seqs, expected,
            "#{channel}: seq runs 1..n, no gap or duplicate"
        );
        let texts: Vec<&str> = log.iter().filter_map(|e| e["c"].as_str()).collect();
        let distinct: HashSet<&str> = texts.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            log.len(),
            "#{channel}: no message stored twice"
        );
        let by_seq: BTreeMap<i64, &Value> = log
            .iter()
            .map(|e| (e["seq"].as_i64().unwrap_or(0), e))
            .collect();
        for ack in acked.iter().filter(|a| a.channel == channel) {
            let event = by_seq
                .get(&ack.seq)
                .unwrap_or_else(|| panic!("#{channel}: acked seq {} lost: {ack:?}", ack.seq));
            assert_eq!(
                (event["id"].as_i64(), event["c"].as_str()),
                (Some(ack.id), Some(ack.text.as_str())),
                "#{channel}: the acked event is stored as acked"
            );
        }
        total += log.len();
    }
    reader.close().await;
    total
}

/// The raw log of `channel`, paged with `history after`.
async fn channel_log(reader: &mut Client, channel: &str) -> Vec<Value> {
    let mut log: Vec<Value> = Vec::new();
    loop {
        let after = log.last().and_then(|e| e["seq"].as_i64()).unwrap_or(0);
        let page = json!({"t": "history", "ch": channel, "after": after, "limit": 500});
        let page = reader.request(page, &format!("h{after}")).await;
        assert_eq!(page["t"], "history", "{page}");
        let events = page["events"].as_array().cloned().unwrap_or_default();
        if events.is_empty() {
            return log;
        }
        log.extend(events);
    }
}

/// `PRAGMA integrity_check` of the database the killed server left behind.
fn check_integrity(db: &Path) {
    let conn = rusqlite::Connection::open(db).expect("open the crashed database");
    let verdict: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("integrity_check");
    assert_eq!(verdict, "ok");
}
