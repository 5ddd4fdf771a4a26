//! `cargo bench --bench server`: the server's figures of DESIGN.md §8 with the server as a
//! separate process (`chatify serve`, see `child`) and a lean load generator in this one (see
//! `clients`): (d) `serve` start to accepting on an empty database; (c) session-token resumes of
//! S subscribers; (a) fan-out of M 200-byte messages to 1 channel × S subscribers, with the
//! server's own CPU time per delivery from `/proc/PID/stat`; (b) end-to-end latency at a fixed
//! send rate; (h) the kernel's floor for one write per delivery (`floor`). Accounts and sessions are written through the store API before the server starts
//! (one Argon2 hash reused), so set-up costs no Argon2 per user. Loopback only; every wait bounded.

#[path = "../common/mod.rs"]
mod common;

mod child;
mod clients;
mod floor;
mod ingest;
mod memory;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context;
use chatify::store::{Store, StoreOptions};
use child::ServerProcess;
use clients::{Sender, Tally, connect_and_resume, message_text, stamped_text, subscribe};
use common::{Samples, heading, ms, per_second, thousands};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

const CHANNEL: &str = "general";
const MESSAGE_BYTES: usize = 200;
/// Longest a measured phase may take before it is reported as incomplete.
const PHASE_TIMEOUT: Duration = Duration::from_secs(60);

struct Sizes {
    subscribers: usize,
    fanout_messages: usize,
    window: u64,
    rate: usize,
    seconds: usize,
    starts: usize,
    connect_concurrency: usize,
    phases: Vec<String>,
    durabilities: Vec<String>,
    ingest_events: usize,
    ingest_senders: usize,
    ingest_window: u64,
    idle_counts: Vec<usize>,
    logins: usize,
    login_concurrency: usize,
    floor_rounds: usize,
}

/// Every phase, in the order they run (`CHATIFY_BENCH_PHASES` picks a subset).
const ALL_PHASES: &str = "start,resumes,fanout,latency,ingest,logins,idle,floor";

impl Sizes {
    fn from_env() -> Sizes {
        Sizes {
            subscribers: common::env_usize("CHATIFY_BENCH_SUBSCRIBERS", 1_000).max(1),
            fanout_messages: common::env_usize("CHATIFY_BENCH_FANOUT_MESSAGES", 2_000).max(1),
            window: common::env_usize("CHATIFY_BENCH_FANOUT_WINDOW", 256).max(1) as u64,
            rate: common::env_usize("CHATIFY_BENCH_RATE", 100).max(1),
            seconds: common::env_usize("CHATIFY_BENCH_SECONDS", 5).max(1),
            starts: common::env_usize("CHATIFY_BENCH_STARTS", 5).max(1),
            connect_concurrency: common::env_usize("CHATIFY_BENCH_CONNECT_CONCURRENCY", 50).max(1),
            phases: names_from_env("CHATIFY_BENCH_PHASES", ALL_PHASES),
            durabilities: names_from_env("CHATIFY_BENCH_DURABILITY", "normal,full"),
            ingest_events: common::env_usize("CHATIFY_BENCH_INGEST_EVENTS", 100_000).max(1),
            ingest_senders: common::env_usize("CHATIFY_BENCH_INGEST_SENDERS", 10).max(1),
            ingest_window: common::env_usize("CHATIFY_BENCH_INGEST_WINDOW", 32).max(1) as u64,
            idle_counts: common::env_list("CHATIFY_BENCH_IDLE", &[1_000, 5_000, 10_000]),
            logins: common::env_usize("CHATIFY_BENCH_LOGINS", 1_000).max(1),
            login_concurrency: common::env_usize("CHATIFY_BENCH_LOGIN_CONCURRENCY", 50).max(1),
            floor_rounds: common::env_usize("CHATIFY_BENCH_FLOOR_ROUNDS", 100).max(1),
        }
    }

    fn runs(&self, phase: &str) -> bool {
        self.phases.iter().any(|p| p == phase)
    }
}

/// The comma-separated names in the environment variable `name`, or in `default` when unset.
fn names_from_env(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .map(|each| each.trim().to_string())
        .collect()
}

fn main() -> anyhow::Result<()> {
    let sizes = Sizes::from_env();
    clients::base();
    println!("chatify server benchmark (server: separate `chatify serve` process)");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(&sizes))
}

async fn run(sizes: &Sizes) -> anyhow::Result<()> {
    if sizes.runs("start") {
        start_times(sizes.starts).await?;
    }
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    if ["resumes", "fanout", "latency"]
        .iter()
        .any(|p| sizes.runs(p))
    {
        subscribers_phases(dir.path(), sizes).await?;
    }
    if sizes.runs("ingest") {
        let ingest_sizes = ingest::IngestSizes {
            senders: sizes.ingest_senders,
            events: sizes.ingest_events,
            window: sizes.ingest_window,
            message_bytes: MESSAGE_BYTES,
        };
        for durability in ["normal", "full"] {
            if sizes.durabilities.iter().any(|wanted| wanted == durability) {
                ingest::ingest_phase(dir.path(), durability, &ingest_sizes).await?;
            }
        }
    }
    if sizes.runs("logins") {
        memory::logins_phase(dir.path(), sizes.logins, sizes.login_concurrency).await?;
    }
    if sizes.runs("idle") {
        memory::idle_phase(dir.path(), &sizes.idle_counts, sizes.connect_concurrency).await?;
    }
    if sizes.runs("floor") {
        // About the size of a `msg` broadcast carrying a 200-byte text.
        floor::floor_phase(sizes.subscribers, sizes.floor_rounds, MESSAGE_BYTES + 100).await?;
    }
    Ok(())
}

/// (c), (a), (b): S subscribers resumed into #general (once closed, once kept open), then the
/// fan-out and latency runs to them.
async fn subscribers_phases(dir: &std::path::Path, sizes: &Sizes) -> anyhow::Result<()> {
    let db = dir.join("bench-server.db");
    let users = prepare_accounts(&db, sizes.subscribers + 1).await?;
    let (sender_user, subscriber_users) = users.split_last().context("no users")?;
    let server = ServerProcess::start(&db, &["--rate-limit", "0"])?;
    println!("server pid listening at {}", server.url);
    let rss_before = server.rss_kib();

    let tally = Arc::new(Tally::new(subscriber_users.len()));
    resumes(&server, subscriber_users, None, sizes).await?;
    let storm_cpu_before = server.cpu();
    let subscribers = resumes(&server, subscriber_users, Some(&tally), sizes).await?;
    let frames = wait_quiet(&tally).await;
    println!(
        "connection storm done: {} frames (presence etc.) received by the subscribers; server CPU for the resumes and their announcements {:.3} s",
        thousands(frames),
        server.cpu().saturating_sub(storm_cpu_before).as_secs_f64()
    );
    let rss_after = server.rss_kib();
    println!(
        "server RSS: {} KiB before, {} KiB with {} subscribers connected ({:.1} KiB each, not idle-tuned)",
        thousands(rss_before),
        thousands(rss_after),
        subscriber_users.len(),
        rss_after.saturating_sub(rss_before) as f64 / subscriber_users.len() as f64
    );

    let ws = connect_and_resume(&server.url, &sender_user.0, &sender_user.1).await?;
    let mut sender = Sender::new(ws);
    if sizes.runs("fanout") {
        fanout(&server, &tally, &mut sender, sizes).await?;
    }
    if sizes.runs("latency") {
        latency(&server, &tally, &mut sender, sizes).await?;
    }
    sender.stop();
    for handle in subscribers {
        handle.abort();
    }
    server.stop();
    Ok(())
}

/// (d) Spawn to "listening" line and spawn to first completed WebSocket handshake, each on a
/// fresh (absent) database file.
async fn start_times(starts: usize) -> anyhow::Result<()> {
    heading(&format!(
        "(d) `serve` start to accepting, empty database ({starts} starts)"
    ));
    let mut listening = Samples::with_capacity(starts);
    let mut accepting = Samples::with_capacity(starts);
    for _ in 0..starts {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
        let server = ServerProcess::start(&dir.path().join("empty.db"), &[])?;
        let handshake = tokio_tungstenite::connect_async(server.url.as_str());
        let (ws, _) = tokio::time::timeout(clients::REPLY_TIMEOUT, handshake)
            .await
            .context("first handshake: timed out")??;
        accepting.push(server.spawned.elapsed());
        listening.push(server.listening_after);
        drop(ws);
        server.stop();
    }
    println!("spawn -> address printed:       {}", listening.summary());
    println!("spawn -> first handshake done:  {}", accepting.summary());
    Ok(())
}

/// Creates `count` accounts (the last one is the sender) and one session each through the store
/// API; returns `(user, session token)` pairs.
pub async fn prepare_accounts(
    db: &std::path::Path,
    count: usize,
) -> anyhow::Result<Vec<(String, String)>> {
    let started = Instant::now();
    let users = prepare_accounts_quietly(db, count).await?;
    println!(
        "\nset-up: {count} accounts and sessions written through the store in {}",
        ms(started.elapsed())
    );
    Ok(users)
}

/// `prepare_accounts` without the printed line.
pub async fn prepare_accounts_quietly(
    db: &std::path::Path,
    count: usize,
) -> anyhow::Result<Vec<(String, String)>> {
    let store = Store::open(db, StoreOptions::default())?;
    let phc = chatify::crypto::hash_password(memory::LOGIN_PASSWORD)?;
    let users: Vec<(String, String)> = (0..count)
        .map(|i| {
            let name = if i + 1 == count {
                "sender".to_string()
            } else {
                format!("sub{i}")
            };
            (name, format!("bench-session-token-{i:06}-0123456789abcdef"))
        })
        .collect();
    let now = now_ms();
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
    Ok(users)
}

/// (c) Connects every user with a session-token resume, `connect_concurrency` at a time. With a
/// `tally` the connections stay open as subscribers (their tasks are returned); without, each
/// is dropped right after its `ok`, so nobody else is online to be told about it.
async fn resumes(
    server: &ServerProcess,
    users: &[(String, String)],
    tally: Option<&Arc<Tally>>,
    sizes: &Sizes,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let how = match tally {
        Some(_) => "kept open: the subscribers of (a) and (b)",
        None => "each closed after its ok",
    };
    heading(&format!(
        "(c) {} session-token resumes, {} at a time, {how}",
        users.len(),
        sizes.connect_concurrency
    ));
    let cpu_before = server.cpu();
    let started = Instant::now();
    let (tasks, mut each) =
        connect_all_timed(server, users, tally, sizes.connect_concurrency).await?;
    let elapsed = started.elapsed();
    let cpu = server.cpu().saturating_sub(cpu_before);
    println!(
        "total {:.3} s ({}), server CPU {:.3} s; per resume: {}",
        elapsed.as_secs_f64(),
        per_second(users.len() as u64, elapsed),
        cpu.as_secs_f64(),
        each.summary()
    );
    Ok(tasks)
}

/// Resumes every user's session, `concurrency` at a time; with a `tally` the connections stay
/// open (their reader tasks are returned), without one each is closed after its `ok`.
pub async fn connect_all(
    server: &ServerProcess,
    users: &[(String, String)],
    tally: Option<&Arc<Tally>>,
    concurrency: usize,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    Ok(connect_all_timed(server, users, tally, concurrency)
        .await?
        .0)
}

async fn connect_all_timed(
    server: &ServerProcess,
    users: &[(String, String)],
    tally: Option<&Arc<Tally>>,
    concurrency: usize,
) -> anyhow::Result<(Vec<tokio::task::JoinHandle<()>>, Samples)> {
    let mut each = Samples::with_capacity(users.len());
    let mut tasks = Vec::with_capacity(users.len());
    let mut pending = FuturesUnordered::new();
    let mut next = 0;
    while next < users.len() || !pending.is_empty() {
        while next < users.len() && pending.len() < concurrency {
            let (user, token) = &users[next];
            let url = server.url.clone();
            let index = next;
            pending.push(async move {
                let started = Instant::now();
                let result = connect_and_resume(&url, user, token).await;
                (index, result, started.elapsed())
            });
            next += 1;
        }
        if let Some((index, result, took)) = pending.next().await {
            let ws = result?;
            each.push(took);
            if let Some(tally) = tally {
                tasks.push(tokio::spawn(subscribe(ws, index, tally.clone())));
            }
        }
    }
    Ok((tasks, each))
}

/// Waits (at most 30 s) until the subscribers stop receiving frames (the presence
/// announcements of the connection storm); returns the frames received so far.
pub async fn wait_quiet(tally: &Tally) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = tally.frames.load(Ordering::Relaxed);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = tally.frames.load(Ordering::Relaxed);
        if now == last {
            break;
        }
        last = now;
    }
    last
}

/// (a) M messages from one sender, keeping every subscriber within `window` messages.
async fn fanout(
    server: &ServerProcess,
    tally: &Tally,
    sender: &mut Sender,
    sizes: &Sizes,
) -> anyhow::Result<()> {
    let count = sizes.fanout_messages as u64;
    heading(&format!(
        "(a) fan-out: 1 channel x {} subscribers, {} messages of {MESSAGE_BYTES} bytes (window {})",
        tally.messages.len(),
        thousands(count),
        sizes.window
    ));
    let texts: Vec<String> = (0..count)
        .map(|i| message_text(&format!("fanout {i}"), MESSAGE_BYTES))
        .collect();
    let baseline = tally.message_counts();
    let (server_cpu, own_cpu) = (server.cpu(), own_cpu());
    let started = Instant::now();
    let deadline = started + PHASE_TIMEOUT;
    for (sent, text) in texts.iter().enumerate() {
        while sent as u64 >= tally.min_progress(&baseline).saturating_add(sizes.window)
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        sender.say(CHANNEL, text).await?;
    }
    while tally.min_progress(&baseline) < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let elapsed = started.elapsed();
    let deliveries = tally.total_messages() - baseline.iter().sum::<u64>();
    let server_cpu = server.cpu().saturating_sub(server_cpu);
    let own_cpu = own_cpu_since(own_cpu);
    let expected = count * tally.messages.len() as u64;
    println!(
        "{} of {} deliveries in {:.2} s = {} ({} acks, {} subscribers disconnected)",
        thousands(deliveries),
        thousands(expected),
        elapsed.as_secs_f64(),
        per_second(deliveries, elapsed),
        thousands(sender.acks.load(Ordering::Relaxed)),
        tally.ended.load(Ordering::Relaxed),
    );
    println!(
        "server CPU {:.2} s = {:.2} µs per delivery ({:.2} cores); load generator CPU {:.2} s",
        server_cpu.as_secs_f64(),
        server_cpu.as_secs_f64() * 1e6 / deliveries.max(1) as f64,
        server_cpu.as_secs_f64() / elapsed.as_secs_f64(),
        own_cpu.as_secs_f64(),
    );
    Ok(())
}

/// (b) `rate` messages per second for `seconds`, each stamped with its send time.
async fn latency(
    server: &ServerProcess,
    tally: &Tally,
    sender: &mut Sender,
    sizes: &Sizes,
) -> anyhow::Result<()> {
    let count = (sizes.rate * sizes.seconds) as u64;
    heading(&format!(
        "(b) end-to-end latency: {} msg/s x {} subscribers for {} s",
        sizes.rate,
        tally.messages.len(),
        sizes.seconds
    ));
    let baseline = tally.message_counts();
    let (server_cpu, own_cpu) = (server.cpu(), own_cpu());
    tally.take_latencies();
    tally.recording.store(true, Ordering::Relaxed);
    let started = Instant::now();
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / sizes.rate as f64));
    for _ in 0..count {
        ticks.tick().await;
        sender.say(CHANNEL, &stamped_text(MESSAGE_BYTES)).await?;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while tally.min_progress(&baseline) < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tally.recording.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    let server_cpu = server.cpu().saturating_sub(server_cpu);
    let own_cpu = own_cpu_since(own_cpu);
    let mut samples = Samples::with_capacity(0);
    for nanos in tally.take_latencies() {
        samples.push_nanos(nanos);
    }
    let expected = count * tally.messages.len() as u64;
    println!(
        "{} of {} deliveries measured: {}",
        thousands(samples.len() as u64),
        thousands(expected),
        samples.summary()
    );
    println!(
        "server CPU {:.2} s over {:.1} s ({:.2} cores) = {:.2} µs per delivery; load generator CPU {:.2} s",
        server_cpu.as_secs_f64(),
        elapsed.as_secs_f64(),
        server_cpu.as_secs_f64() / elapsed.as_secs_f64(),
        server_cpu.as_secs_f64() * 1e6 / (samples.len().max(1) as f64),
        own_cpu.as_secs_f64(),
    );
    Ok(())
}

pub(crate) fn own_cpu() -> Duration {
    common::process_cpu("self").unwrap_or_default()
}

pub(crate) fn own_cpu_since(before: Duration) -> Duration {
    own_cpu().saturating_sub(before)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
