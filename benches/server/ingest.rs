//! Phase (e) of `benches/server`: durable ingest with acks through the server. S sender
//! connections, each in a channel of its own (so no fan-out beyond the sender itself), each
//! keeping W messages in flight and counting `ack`s; the server acks a message only after its
//! transaction committed. Run once per durability mode (`--durability normal`, then `full`), each
//! on a fresh database and server process, with the server's CPU per event from `/proc`.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::child::ServerProcess;
use crate::clients::{REPLY_TIMEOUT, Sender, Ws, connect_and_resume, message_text};
use crate::common::{heading, per_second, thousands};

/// Longest an ingest run may take before it is reported as incomplete.
const INGEST_TIMEOUT: Duration = Duration::from_secs(180);

/// The sizes of one ingest run.
pub struct IngestSizes {
    pub senders: usize,
    pub events: usize,
    pub window: u64,
    pub message_bytes: usize,
}

/// Runs the ingest phase for `durability` ("normal" or "full") on a fresh database in `dir`.
pub async fn ingest_phase(
    dir: &std::path::Path,
    durability: &str,
    sizes: &IngestSizes,
) -> anyhow::Result<()> {
    heading(&format!(
        "(e) durable ingest with acks, --durability {durability}: {} senders, {} events of {} bytes, {} in flight per sender",
        sizes.senders,
        thousands(sizes.events as u64),
        sizes.message_bytes,
        sizes.window
    ));
    let db = dir.join(format!("bench-ingest-{durability}.db"));
    let users = crate::prepare_accounts(&db, sizes.senders).await?;
    let server = ServerProcess::start(&db, &["--rate-limit", "0", "--durability", durability])?;
    let mut senders = Vec::with_capacity(users.len());
    for (index, (user, token)) in users.iter().enumerate() {
        let mut ws = connect_and_resume(&server.url, user, token).await?;
        let channel = format!("ingest{index}");
        join(&mut ws, &channel).await?;
        senders.push((channel, Sender::new(ws)));
    }
    let text = message_text("ingest", sizes.message_bytes);
    let cpu_before = server.cpu();
    let generator_cpu_before = crate::own_cpu();
    let threads_before = server.cpu_by_thread_name();
    let started = Instant::now();
    let deadline = started + INGEST_TIMEOUT;
    let mut tasks = Vec::with_capacity(senders.len());
    for (index, (channel, sender)) in senders.into_iter().enumerate() {
        let share =
            sizes.events / sizes.senders + usize::from(index < sizes.events % sizes.senders);
        let text = text.clone();
        let window = sizes.window;
        tasks.push(tokio::spawn(async move {
            send_with_window(sender, &channel, &text, share as u64, window, deadline).await
        }));
    }
    let mut acked = 0;
    for task in tasks {
        acked += task.await??;
    }
    let elapsed = started.elapsed();
    let cpu = server.cpu().saturating_sub(cpu_before);
    let generator_cpu = crate::own_cpu_since(generator_cpu_before);
    println!(
        "{} of {} events acked in {:.2} s = {}; server CPU {:.2} s = {:.1} µs per event ({:.2} cores); load generator CPU {:.2} s ({:.2} cores)",
        thousands(acked),
        thousands(sizes.events as u64),
        elapsed.as_secs_f64(),
        per_second(acked, elapsed),
        cpu.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / acked.max(1) as f64,
        cpu.as_secs_f64() / elapsed.as_secs_f64().max(1e-9),
        generator_cpu.as_secs_f64(),
        generator_cpu.as_secs_f64() / elapsed.as_secs_f64().max(1e-9),
    );
    print_thread_shares(&threads_before, &server.cpu_by_thread_name(), elapsed);
    server.stop();
    Ok(())
}

/// Prints how many cores each kind of server thread kept busy over `elapsed`, busiest first: a
/// store writer near 1.00 is the ceiling of one writer thread.
fn print_thread_shares(
    before: &BTreeMap<String, Duration>,
    after: &BTreeMap<String, Duration>,
    elapsed: Duration,
) {
    let mut shares: Vec<(&str, f64)> = after
        .iter()
        .map(|(name, cpu)| {
            let used = cpu.saturating_sub(before.get(name).copied().unwrap_or_default());
            (
                name.as_str(),
                used.as_secs_f64() / elapsed.as_secs_f64().max(1e-9),
            )
        })
        .filter(|(_, cores)| *cores >= 0.005)
        .collect();
    shares.sort_by(|a, b| b.1.total_cmp(&a.1));
    let listed: Vec<String> = shares
        .iter()
        .map(|(name, cores)| format!("{name} {cores:.2}"))
        .collect();
    println!("server threads, cores: {}", listed.join(", "));
}

/// Sends `count` messages keeping at most `window` un-acked; returns the acks received.
async fn send_with_window(
    mut sender: Sender,
    channel: &str,
    text: &str,
    count: u64,
    window: u64,
    deadline: Instant,
) -> anyhow::Result<u64> {
    for sent in 0..count {
        while sent >= sender.acks.load(Ordering::Relaxed) + window {
            wait_for_an_ack(&sender, deadline).await?;
        }
        sender.say(channel, text).await?;
    }
    while sender.acks.load(Ordering::Relaxed) < count {
        if wait_for_an_ack(&sender, deadline).await.is_err() {
            break;
        }
    }
    let acked = sender.acks.load(Ordering::Relaxed);
    sender.stop();
    Ok(acked)
}

/// Waits until the reader counted another ack (woken by it, no polling, so the load generator
/// spends no CPU while the window is full), or fails at `deadline`.
async fn wait_for_an_ack(sender: &Sender, deadline: Instant) -> anyhow::Result<()> {
    let left = deadline.saturating_duration_since(Instant::now());
    if tokio::time::timeout(left, sender.ack_arrived.notified())
        .await
        .is_err()
    {
        bail!(
            "ingest: acks stalled at {}",
            sender.acks.load(Ordering::Relaxed)
        );
    }
    Ok(())
}

/// Joins (creating) an open channel and waits for the `joined` reply.
async fn join(ws: &mut Ws, channel: &str) -> anyhow::Result<()> {
    let frame = format!(r#"{{"t":"join","ch":"{channel}"}}"#);
    ws.send(Message::text(frame))
        .await
        .context("sending join")?;
    loop {
        let next = tokio::time::timeout(REPLY_TIMEOUT, ws.next())
            .await
            .context("waiting for joined: timed out")?;
        match next {
            Some(Ok(Message::Text(text))) if text.as_str().starts_with(r#"{"t":"joined""#) => {
                return Ok(());
            }
            Some(Ok(Message::Text(text))) if text.as_str().starts_with(r#"{"t":"err""#) => {
                bail!("join {channel} refused: {}", text.as_str())
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => bail!("join {channel}: {error}"),
            None => bail!("join {channel}: connection closed"),
        }
    }
}
