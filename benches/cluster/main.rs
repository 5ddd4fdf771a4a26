//! `cargo bench --bench cluster` (feature `cluster`): the figures of issue 14 for `serve
//! --cluster`, with the same harness as `--bench server` (chatify nodes as child processes whose
//! CPU is read from `/proc/PID/stat`, the same lean WebSocket clients) on a real three-node NATS
//! JetStream cluster on loopback (`nats-server` on the PATH, as `tests/cluster`). Accounts and
//! sessions are written through the store API into a single-node database, which is imported
//! into each stream with `chatify migrate --to-cluster` (so set-up costs no Argon2 per user and
//! every node downloads the same start). (a) fan-out of one channel to S subscribers split over
//! two nodes, deliveries/s and each node's CPU per delivery; (b) acked ingest through one node
//! with stream replicas 1 and 3; (c) catch-up of a new node from the stream (b) filled.

#[allow(dead_code)] // the shared harness: this program uses part of it
#[path = "../server/child.rs"]
mod child;
#[allow(dead_code)] // the shared harness: this program uses part of it
#[path = "../server/clients.rs"]
mod clients;
#[path = "../common/mod.rs"]
mod common;
#[allow(dead_code)] // the shared harness: this program uses part of it
#[path = "../../tests/cluster/nats.rs"]
mod nats;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chatify::store::{Store, StoreOptions};
use child::ServerProcess;
use clients::{Sender, Tally, connect_and_resume, message_text, subscribe};
use common::{heading, per_second, thousands};
use nats::NatsCluster;

const CHANNEL: &str = "general";
const MESSAGE_BYTES: usize = 200;
/// Longest a measured phase may take before it is reported as incomplete.
const PHASE_TIMEOUT: Duration = Duration::from_secs(120);

struct Sizes {
    subscribers: usize,
    fanout_messages: u64,
    window: u64,
    ingest_events: u64,
    ingest_senders: usize,
    ingest_window: u64,
}

impl Sizes {
    fn from_env() -> Sizes {
        let env = |name, default| common::env_usize(name, default).max(1);
        Sizes {
            subscribers: env("CHATIFY_BENCH_SUBSCRIBERS", 1_000),
            fanout_messages: env("CHATIFY_BENCH_FANOUT_MESSAGES", 1_000) as u64,
            window: env("CHATIFY_BENCH_FANOUT_WINDOW", 256) as u64,
            ingest_events: env("CHATIFY_BENCH_INGEST_EVENTS", 20_000) as u64,
            ingest_senders: env("CHATIFY_BENCH_INGEST_SENDERS", 10),
            ingest_window: env("CHATIFY_BENCH_INGEST_WINDOW", 32) as u64,
        }
    }
}

fn main() -> anyhow::Result<()> {
    let sizes = Sizes::from_env();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(&sizes))
}

async fn run(sizes: &Sizes) -> anyhow::Result<()> {
    println!("load average at start: {}", load_average());
    let nats = NatsCluster::start().await;
    let urls = nats.urls.join(",");
    let dir = tempfile::Builder::new()
        .prefix("chatify-cluster-bench")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let single = dir.path().join("single.db");
    let users = prepare_accounts(&single, sizes.subscribers + sizes.ingest_senders).await?;
    fanout(dir.path(), &single, &urls, &users, sizes).await?;
    for replicas in [1, 3] {
        let stream = format!("INGEST{replicas}");
        ingest(dir.path(), &single, &urls, &stream, replicas, &users, sizes).await?;
    }
    catch_up(dir.path(), &urls, "INGEST3", &users).await?;
    println!("\nload average at end: {}", load_average());
    Ok(())
}

/// `count` accounts with one session each through the store API: `(user, token)` pairs.
async fn prepare_accounts(db: &Path, count: usize) -> anyhow::Result<Vec<(String, String)>> {
    let started = Instant::now();
    let store = Store::open(db, StoreOptions::default())?;
    let phc = chatify::crypto::hash_password("cluster-bench-password")?;
    let users: Vec<(String, String)> = (0..count)
        .map(|i| {
            let token = format!("bench-cluster-token-{i:06}-0123456789abcdef");
            (format!("user{i}"), token)
        })
        .collect();
    let now = chatify::clock::system_now_ms();
    for chunk in users.chunks(200) {
        let creates = chunk
            .iter()
            .map(|(name, _)| store.create_account(name, &phc, None, now));
        for result in futures_util::future::join_all(creates).await {
            result?;
        }
        let sessions = chunk.iter().map(|(name, token)| {
            let hash = chatify::server::auth::token_hash(token);
            store.create_session(name, hash, now)
        });
        for result in futures_util::future::join_all(sessions).await {
            result?;
        }
    }
    tokio::task::spawn_blocking(move || store.close()).await?;
    println!(
        "set-up: {count} accounts and sessions in a single-node database in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    Ok(users)
}

/// Imports the single-node database into `stream` (`chatify migrate --to-cluster`), retrying
/// while the NATS cluster is still electing.
async fn import(single: &Path, urls: &str, stream: &str, replicas: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (db, urls, stream) = (single.to_path_buf(), urls.to_string(), stream.to_string());
        let output = tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_chatify"))
                .args(["migrate", "--db"])
                .arg(&db)
                .args(["--to-cluster", &urls, "--cluster-stream", &stream])
                .args(["--cluster-replicas", &replicas.to_string()])
                .output()
        })
        .await??;
        if output.status.success() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("import failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A cluster node process on a new database in `dir`.
fn start_node(dir: &Path, name: &str, urls: &str, stream: &str) -> anyhow::Result<ServerProcess> {
    let db = dir.join(format!("{name}.db"));
    let flags = [
        "--cluster",
        urls,
        "--cluster-stream",
        stream,
        "--node-name",
        name,
        "--rate-limit",
        "0",
    ];
    ServerProcess::start(&db, &flags)
}

/// (a) One sender on node A; the subscribers alternate between nodes A and B.
async fn fanout(
    dir: &Path,
    single: &Path,
    urls: &str,
    users: &[(String, String)],
    sizes: &Sizes,
) -> anyhow::Result<()> {
    import(single, urls, "FANOUT", 3).await?;
    let nodes = [
        start_node(dir, "fanout-a", urls, "FANOUT")?,
        start_node(dir, "fanout-b", urls, "FANOUT")?,
    ];
    let (subscribers, sender) = (&users[..sizes.subscribers], &users[sizes.subscribers]);
    let tally = Arc::new(Tally::new(subscribers.len()));
    for (index, (user, token)) in subscribers.iter().enumerate() {
        let ws = connect_and_resume(&nodes[index % 2].url, user, token).await?;
        tokio::spawn(subscribe(ws, index, tally.clone()));
    }
    let mut sender = Sender::new(connect_and_resume(&nodes[0].url, &sender.0, &sender.1).await?);
    let count = sizes.fanout_messages;
    heading(&format!(
        "(a) fan-out over two nodes: 1 channel x {} subscribers (half on each), {} messages of \
         {MESSAGE_BYTES} bytes from node A, stream replicas 3 (window {})",
        subscribers.len(),
        thousands(count),
        sizes.window
    ));
    let baseline = tally.message_counts();
    let cpu_before = nodes.each_ref().map(ServerProcess::cpu);
    let started = Instant::now();
    let deadline = started + PHASE_TIMEOUT;
    for sent in 0..count {
        while sent >= tally.min_progress(&baseline).saturating_add(sizes.window)
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let text = message_text(&format!("fanout {sent}"), MESSAGE_BYTES);
        sender.say(CHANNEL, &text).await?;
    }
    while tally.min_progress(&baseline) < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let elapsed = started.elapsed();
    let counts = tally.message_counts();
    let delivered: Vec<u64> = counts
        .iter()
        .zip(&baseline)
        .map(|(now, was)| now - was)
        .collect();
    let total: u64 = delivered.iter().sum();
    println!(
        "{} of {} deliveries in {:.2} s = {}",
        thousands(total),
        thousands(count * subscribers.len() as u64),
        elapsed.as_secs_f64(),
        per_second(total, elapsed)
    );
    for (node, name) in nodes.iter().zip(["A (sender's)", "B"]) {
        let index = usize::from(name == "B");
        let own: u64 = delivered.iter().skip(index).step_by(2).sum();
        let cpu = node.cpu().saturating_sub(cpu_before[index]);
        println!(
            "node {name}: {} deliveries, CPU {:.2} s = {:.2} µs per delivery ({:.2} cores)",
            thousands(own),
            cpu.as_secs_f64(),
            cpu.as_secs_f64() * 1e6 / own.max(1) as f64,
            cpu.as_secs_f64() / elapsed.as_secs_f64()
        );
    }
    sender.stop();
    for node in nodes {
        node.stop();
    }
    Ok(())
}

/// (b) `ingest_senders` senders on one node, each keeping `ingest_window` messages unacked.
async fn ingest(
    dir: &Path,
    single: &Path,
    urls: &str,
    stream: &str,
    replicas: usize,
    users: &[(String, String)],
    sizes: &Sizes,
) -> anyhow::Result<()> {
    import(single, urls, stream, replicas).await?;
    let node = start_node(dir, &stream.to_ascii_lowercase(), urls, stream)?;
    let per_sender = sizes.ingest_events / sizes.ingest_senders as u64;
    heading(&format!(
        "(b) acked ingest through one node, stream replicas {replicas}: {} senders x {} \
         messages of {MESSAGE_BYTES} bytes (window {})",
        sizes.ingest_senders,
        thousands(per_sender),
        sizes.ingest_window
    ));
    let mut senders = Vec::new();
    for (user, token) in users.iter().rev().take(sizes.ingest_senders) {
        senders.push(Sender::new(
            connect_and_resume(&node.url, user, token).await?,
        ));
    }
    let cpu_before = node.cpu();
    let started = Instant::now();
    let tasks: Vec<_> = senders
        .into_iter()
        .map(|sender| tokio::spawn(send_acked(sender, per_sender, sizes.ingest_window)))
        .collect();
    let mut acked = 0;
    for task in tasks {
        acked += task.await??;
    }
    let elapsed = started.elapsed();
    let cpu = node.cpu().saturating_sub(cpu_before);
    println!(
        "{} acked in {:.2} s = {}; node CPU {:.2} s = {:.1} µs per message",
        thousands(acked),
        elapsed.as_secs_f64(),
        per_second(acked, elapsed),
        cpu.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / acked.max(1) as f64
    );
    node.stop();
    Ok(())
}

/// Sends `count` messages keeping at most `window` unacknowledged; returns the acks.
async fn send_acked(mut sender: Sender, count: u64, window: u64) -> anyhow::Result<u64> {
    let deadline = Instant::now() + PHASE_TIMEOUT;
    for sent in 0..count {
        while sent >= sender.acks.load(Ordering::Relaxed) + window && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        sender
            .say(
                CHANNEL,
                &message_text(&format!("ingest {sent}"), MESSAGE_BYTES),
            )
            .await?;
    }
    while sender.acks.load(Ordering::Relaxed) < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let acked = sender.acks.load(Ordering::Relaxed);
    sender.stop();
    Ok(acked)
}

/// (c) A new node on `stream`: from spawning to its first accepted session resume (it accepts
/// only once caught up).
async fn catch_up(
    dir: &Path,
    urls: &str,
    stream: &str,
    users: &[(String, String)],
) -> anyhow::Result<()> {
    let client = async_nats::connect(urls.split(',').next().unwrap_or_default()).await?;
    let mut info = async_nats::jetstream::new(client)
        .get_stream(stream)
        .await?;
    let entries = info.info().await?.state.last_sequence.saturating_sub(1);
    heading(&format!(
        "(c) catch-up: a new node applies stream {stream} ({} entries after the import)",
        thousands(entries)
    ));
    let node = start_node(dir, "catch-up", urls, stream)?;
    let (user, token) = &users[0];
    let deadline = Instant::now() + PHASE_TIMEOUT;
    let ready = loop {
        match connect_and_resume(&node.url, user, token).await {
            Ok(_) => break node.spawned.elapsed(),
            Err(error) if Instant::now() > deadline => return Err(error).context("catching up"),
            Err(_) => {}
        }
    };
    println!(
        "caught up and accepting {:.2} s after spawning = {} (includes process start and \
         downloading the import); node CPU {:.2} s",
        ready.as_secs_f64(),
        per_second(entries, ready).replace("/s", " entries/s"),
        node.cpu().as_secs_f64()
    );
    node.stop();
    Ok(())
}

/// The 1-, 5- and 15-minute load averages.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".into())
}
