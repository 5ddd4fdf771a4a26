//! The server under test as a separate process: `chatify serve --listen 127.0.0.1:0` (the
//! binary Cargo built beside this benchmark) on a given database, with its printed address read
//! from stderr, its CPU time and RSS read from `/proc/PID/*`, and a kill by its own pid at the end.
//! Running it apart from the load generator gives the server's own CPU per unit of work
//! (DESIGN.md §8).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// Longest wait for the server to print its listening address.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A running `chatify serve` child.
pub struct ServerProcess {
    child: Child,
    pid: String,
    /// `ws://127.0.0.1:PORT/`.
    pub url: String,
    /// From just before spawning to the "listening on" line being read.
    pub listening_after: Duration,
    /// When the process was spawned.
    pub spawned: Instant,
}

impl ServerProcess {
    /// Spawns `chatify serve` on `db` with `extra` flags and waits for its address. Its stderr
    /// is forwarded (prefixed) to ours after the address line.
    pub fn start(db: &Path, extra: &[&str]) -> anyhow::Result<ServerProcess> {
        let spawned = Instant::now();
        let mut child = Command::new(server_binary())
            .arg("serve")
            .args(["--listen", "127.0.0.1:0", "--db"])
            .arg(db)
            .args(extra)
            // Below INFO the address is printed as a plain `listening on ws://…` line.
            .env("CHATIFY_LOG", "warn")
            // Every load-generator connection comes from 127.0.0.1.
            .env("CHATIFY_MAX_CONNECTIONS_PER_ADDRESS", "1000000")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting chatify serve")?;
        let pid = child.id().to_string();
        let Some(stderr) = child.stderr.take() else {
            let _ = child.kill();
            bail!("chatify serve has no stderr pipe");
        };
        let (found, address) = mpsc::channel::<(String, Instant)>();
        std::thread::spawn(move || forward_stderr(stderr, found));
        match address.recv_timeout(START_TIMEOUT) {
            Ok((url, at)) => Ok(ServerProcess {
                child,
                pid,
                url,
                listening_after: at.duration_since(spawned),
                spawned,
            }),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("chatify serve did not print its address within {START_TIMEOUT:?}")
            }
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> &str {
        &self.pid
    }

    /// The server's user + system CPU time so far.
    pub fn cpu(&self) -> Duration {
        crate::common::process_cpu(&self.pid).unwrap_or_default()
    }

    /// The server's user + system CPU time so far per thread name (`comm`, which Linux cuts to
    /// 15 bytes: `chatify-store-w` is the store's writer, `tokio-rt-worker` both the runtime's
    /// workers and its blocking pool). A thread that has exited is no longer counted.
    pub fn cpu_by_thread_name(&self) -> BTreeMap<String, Duration> {
        let mut by_name = BTreeMap::new();
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{}/task", self.pid)) else {
            return by_name;
        };
        for task in tasks.flatten() {
            let tid = task.file_name().to_string_lossy().into_owned();
            let thread = format!("{}/task/{tid}", self.pid);
            let name = std::fs::read_to_string(format!("/proc/{thread}/comm")).unwrap_or_default();
            let cpu = crate::common::process_cpu(&thread).unwrap_or_default();
            *by_name.entry(name.trim().to_owned()).or_default() += cpu;
        }
        by_name
    }

    /// The server's resident set size in KiB.
    pub fn rss_kib(&self) -> u64 {
        crate::common::process_rss_kib(&self.pid).unwrap_or(0)
    }

    /// Kills the child (by its own pid) and reaps it.
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The `chatify` binary Cargo built beside this benchmark, or `CHATIFY_BENCH_SERVER_BIN` (to
/// measure another build, e.g. an older commit's, with the same load generator).
fn server_binary() -> std::ffi::OsString {
    std::env::var_os("CHATIFY_BENCH_SERVER_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_chatify").into())
}

/// Reads the child's stderr until it closes: the first `ws://` address is sent to `found` (with
/// the instant it was read), every other line is echoed with a `[server]` prefix.
fn forward_stderr(stderr: std::process::ChildStderr, found: mpsc::Sender<(String, Instant)>) {
    let mut sent = false;
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { return };
        if !sent && let Some(at) = line.find("ws://") {
            let url = line[at..].split_whitespace().next().unwrap_or_default();
            let url = format!("{}/", url.trim_end_matches('/'));
            let _ = found.send((url, Instant::now()));
            sent = true;
            continue;
        }
        eprintln!("[server] {line}");
    }
}
