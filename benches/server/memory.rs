//! Phases (f) and (g) of `benches/server`, the server's memory: (f) idle authenticated
//! connections — for each N, a fresh server and database with N accounts (all in `general`), N
//! session resumes kept open and idle (the load generator in this process only drains what the
//! server sends), then the server's `VmRSS` growth divided by N; (g) RSS retained after P
//! password logins with real Argon2 verification, all disconnected again. RSS comes from
//! `/proc/PID/status` of the server process; the figures hold with glibc's defaults (no
//! `MALLOC_*` variables are set).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use crate::child::ServerProcess;
use crate::clients::{Tally, connect_and_login};
use crate::common::{heading, ms, thousands};

/// The password every account of the login phase has (hashed once with the real parameters).
pub const LOGIN_PASSWORD: &str = "bench-password-long-enough";

/// (f) Idle-connection RSS for each count in `counts`.
pub async fn idle_phase(
    dir: &std::path::Path,
    counts: &[usize],
    concurrency: usize,
) -> anyhow::Result<()> {
    heading(&format!(
        "(f) idle authenticated connections (all in #general): server RSS per connection at N = {counts:?}"
    ));
    warn_if_too_few_files(counts.iter().copied().max().unwrap_or(0));
    println!("      N | RSS before | RSS with N idle | per connection | resumes took | server CPU");
    for &count in counts {
        let db = dir.join(format!("bench-idle-{count}.db"));
        let users = crate::prepare_accounts_quietly(&db, count).await?;
        let server = ServerProcess::start(&db, &["--rate-limit", "0"])?;
        let before = settle_rss(&server).await;
        let cpu_before = server.cpu();
        let tally = Arc::new(Tally::new(users.len()));
        let started = Instant::now();
        let tasks = crate::connect_all(&server, &users, Some(&tally), concurrency).await?;
        let took = started.elapsed();
        let frames = crate::wait_quiet(&tally).await;
        let after = settle_rss(&server).await;
        let cpu = server.cpu().saturating_sub(cpu_before);
        println!(
            "{:>7} | {:>7} KiB | {:>11} KiB | {:>10.1} KiB | {:>9.2} s | {:.2} s ({} frames to the clients)",
            thousands(count as u64),
            thousands(before),
            thousands(after),
            after.saturating_sub(before) as f64 / count as f64,
            took.as_secs_f64(),
            cpu.as_secs_f64(),
            thousands(frames),
        );
        for task in tasks {
            task.abort();
        }
        server.stop();
        let _ = std::fs::remove_file(&db);
    }
    Ok(())
}

/// (g) RSS retained after `count` password logins (each connection closed after its `ok`).
pub async fn logins_phase(
    dir: &std::path::Path,
    count: usize,
    concurrency: usize,
) -> anyhow::Result<()> {
    heading(&format!(
        "(g) server RSS after {count} password logins (real Argon2), {concurrency} at a time, all disconnected"
    ));
    let db = dir.join("bench-logins.db");
    let users = crate::prepare_accounts_quietly(&db, count).await?;
    let server = ServerProcess::start(&db, &["--rate-limit", "0"])?;
    let before = settle_rss(&server).await;
    let cpu_before = server.cpu();
    let started = Instant::now();
    let mut pending = FuturesUnordered::new();
    let mut next = 0;
    let mut done = 0;
    while next < users.len() || !pending.is_empty() {
        while next < users.len() && pending.len() < concurrency {
            let url = server.url.clone();
            let user = users[next].0.clone();
            pending.push(async move { connect_and_login(&url, &user, LOGIN_PASSWORD).await });
            next += 1;
        }
        if let Some(result) = pending.next().await {
            drop(result?);
            done += 1;
        }
    }
    let took = started.elapsed();
    let cpu = server.cpu().saturating_sub(cpu_before);
    let after = settle_rss(&server).await;
    println!(
        "{done} logins in {:.2} s ({} each on average), server CPU {:.2} s",
        took.as_secs_f64(),
        ms(took / done.max(1) as u32),
        cpu.as_secs_f64()
    );
    println!(
        "server RSS {} KiB before, {} KiB after (peak {} KiB): retained +{:.1} MiB",
        thousands(before),
        thousands(after),
        thousands(peak_rss_kib(&server).unwrap_or(0)),
        after.saturating_sub(before) as f64 / 1024.0,
    );
    server.stop();
    Ok(())
}

/// The server's RSS once it stopped changing (at most ~3 s of 250 ms polls).
async fn settle_rss(server: &ServerProcess) -> u64 {
    let mut last = server.rss_kib();
    for _ in 0..12 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let cpu_before = server.cpu();
        let now = server.rss_kib();
        if now == last && server.cpu() == cpu_before {
            return now;
        }
        last = now;
    }
    last
}

/// `VmHWM` (peak RSS) of the server.
fn peak_rss_kib(server: &ServerProcess) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Each idle connection takes one descriptor in the server and one here: warns when the soft
/// `RLIMIT_NOFILE` (inherited by the server) is too low for `count` (raise it with `ulimit -n`).
fn warn_if_too_few_files(count: usize) {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(3))
        .and_then(|value| value.parse::<usize>().ok());
    if let Some(soft) = soft
        && soft < count + 256
    {
        eprintln!(
            "warning: RLIMIT_NOFILE is {soft}, below the {count} connections + 256 this phase needs; run `ulimit -n {}` first",
            count + 256
        );
    }
}
