//! The one fixture for a running chatify server, used by every integration test that needs
//! one: [`TestServer`] runs `chatify::server::run` in this process on 127.0.0.1:0 with a temp
//! database (and restarts it on the same file; a clock may be injected), and [`ServeProcess`]
//! runs the `chatify serve` binary on 127.0.0.1:0 (or a given address) and reads its address
//! from stderr. Readiness is never awaited by sleeping: the listener is bound first, or the
//! printed address is read; every wait has a timeout.
//!
//! Included by `tests/common/mod.rs` and, through `#[path]`, by the test crates that do not use
//! the rest of `common` (`oneshot_cli`, `client_e2e`).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use chatify::clock::Clock;
use chatify::server::ServerConfig;
use chatify::store::{Store, StoreOptions};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Longest wait for a server to start or stop.
pub const SERVER_WAIT: Duration = Duration::from_secs(30);

/// A server running in this process on a temp database.
pub struct TestServer {
    pub addr: SocketAddr,
    pub url: String,
    pub db: PathBuf,
    dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl TestServer {
    /// Starts a server with `config` on a fresh temp database.
    pub async fn start(config: ServerConfig) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        TestServer::start_in(dir, config).await
    }

    /// Starts a server on `dir/chatify.db` (kept from an earlier run for restart tests). The
    /// store gets the config's clock, as `chatify serve` does.
    pub async fn start_in(dir: tempfile::TempDir, config: ServerConfig) -> TestServer {
        TestServer::start_in_at(dir, config, "127.0.0.1:0").await
    }

    /// Like `start_in`, listening on `addr` (a restart on the address clients reconnect to).
    pub async fn start_in_at(
        dir: tempfile::TempDir,
        config: ServerConfig,
        addr: &str,
    ) -> TestServer {
        let db = dir.path().join("chatify.db");
        let store = open_store_with_clock(&db, config.clock.clone());
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(chatify::server::run(listener, store, config, async move {
            let _ = stopped.await;
        }));
        TestServer {
            addr,
            url: format!("ws://{addr}/"),
            db,
            dir,
            stop: Some(stop),
            task,
        }
    }

    /// Graceful shutdown; returns the directory holding the database for a restart.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let result = tokio::time::timeout(SERVER_WAIT, &mut self.task)
            .await
            .expect("server stops within 30 s")
            .expect("server task does not panic");
        result.expect("server::run returns Ok");
        self.dir
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Opens the store the way the tests want it (defaults).
pub fn open_store(db: &Path) -> Store {
    open_store_with_clock(db, Clock::system())
}

/// Opens the store with defaults and `clock`.
pub fn open_store_with_clock(db: &Path, clock: Clock) -> Store {
    let options = StoreOptions {
        clock,
        ..StoreOptions::default()
    };
    Store::open(db, options).expect("open store")
}

/// A test config: production defaults with the rate limits off (tests send quickly).
pub fn test_config() -> ServerConfig {
    ServerConfig {
        rate_limit: 0.0,
        read_rate: 0.0,
        registrations_per_address_per_hour: 0,
        ..ServerConfig::default()
    }
}

/// The `chatify serve` binary, started with the rate limits off (messages and reads, as
/// [`test_config`] has them) and its address read from its
/// stderr (which is drained for as long as it runs). Killed (SIGKILL) when dropped.
pub struct ServeProcess {
    /// `None` once handed to [`ServeProcess::exit_status`].
    child: Option<Child>,
    /// `ws://127.0.0.1:PORT/`.
    pub url: String,
    /// Every stderr line so far (the log), read until the process ends.
    pub stderr: Arc<Mutex<Vec<String>>>,
}

impl ServeProcess {
    /// Starts `chatify serve --listen 127.0.0.1:0 --db DB`.
    pub fn start(db: &Path) -> ServeProcess {
        ServeProcess::start_with(db, "127.0.0.1:0", &[], &[])
    }

    /// Starts `chatify serve --listen LISTEN --db DB FLAGS…` with extra environment variables,
    /// and waits (at most [`SERVER_WAIT`]) for the address it prints. Blocks the calling
    /// thread: async tests use [`spawn_serve_with_flags`].
    pub fn start_with(
        db: &Path,
        listen: &str,
        flags: &[&str],
        env: &[(&str, &std::ffi::OsStr)],
    ) -> ServeProcess {
        let mut command = Command::new(env!("CARGO_BIN_EXE_chatify"));
        command
            .args(["serve", "--listen", listen, "--db"])
            .arg(db)
            .args(flags)
            .env("CHATIFY_RATE_LIMIT", "0")
            .env("CHATIFY_READ_RATE", "0")
            .env_remove("CHATIFY_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("chatify serve starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (lines_tx, lines) = mpsc::channel();
        // Keeps draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = lines_tx.send(line);
            }
        });
        let deadline = Instant::now() + SERVER_WAIT;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) => {
                    let url = line.find("ws://").map(|at| line[at..].trim().to_string());
                    seen.push(line);
                    if let Some(url) = url {
                        let stderr = Arc::new(Mutex::new(seen));
                        let kept = stderr.clone();
                        std::thread::spawn(move || {
                            while let Ok(line) = lines.recv() {
                                kept.lock().expect("log lock").push(line);
                            }
                        });
                        return ServeProcess {
                            child: Some(child),
                            url,
                            stderr,
                        };
                    }
                }
                Err(error) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("chatify serve printed no address ({error:?}): {seen:?}");
                }
            }
        }
    }

    /// `127.0.0.1:PORT`, to restart a server on the same address.
    pub fn address(&self) -> String {
        self.url
            .trim_start_matches("ws://")
            .trim_end_matches('/')
            .to_string()
    }

    /// The stderr lines so far, joined.
    pub fn log_text(&self) -> String {
        self.stderr.lock().expect("log lock").join("\n")
    }

    /// SIGKILL: nothing is flushed or closed politely.
    pub fn kill(mut self) {
        self.kill_now();
    }

    /// SIGTERM: the server shuts down gracefully.
    pub fn terminate(&self) {
        let pid = self.child.as_ref().map(Child::id).expect("running");
        let status = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits (at most [`SERVER_WAIT`]) for the process to exit, without blocking the async
    /// runtime.
    pub async fn exit_status(&mut self) -> ExitStatus {
        let (status_tx, status) = oneshot::channel();
        let mut child = self.child.take().expect("running");
        let pid = child.id();
        std::thread::spawn(move || {
            let _ = status_tx.send(child.wait());
        });
        tokio::time::timeout(SERVER_WAIT, status)
            .await
            .unwrap_or_else(|_| panic!("chatify serve (pid {pid}) exits within 30 s"))
            .expect("waiting thread")
            .expect("wait for chatify serve")
    }
}

/// Starts `chatify serve` on `db` with its data dir in `data_dir` (from an async test).
pub async fn spawn_serve(db: &Path, data_dir: &Path) -> ServeProcess {
    spawn_serve_with_flags(db, data_dir, &[]).await
}

/// Starts `chatify serve` on `db` with `flags` added (e.g. `["--durability", "full"]`) and its
/// data dir in `data_dir`, off the async runtime's threads, and waits until it listens.
pub async fn spawn_serve_with_flags(db: &Path, data_dir: &Path, flags: &[&str]) -> ServeProcess {
    spawn_serve_with_env(db, data_dir, flags, &[]).await
}

/// [`spawn_serve_with_flags`] with environment variables added (e.g. `CHATIFY_LOG=trace`).
pub async fn spawn_serve_with_env(
    db: &Path,
    data_dir: &Path,
    flags: &[&str],
    env: &[(&str, &str)],
) -> ServeProcess {
    let db = db.to_path_buf();
    let mut vars: Vec<(String, std::ffi::OsString)> = env
        .iter()
        .map(|(name, value)| (name.to_string(), value.into()))
        .collect();
    vars.push(("CHATIFY_DATA_DIR".into(), data_dir.as_os_str().to_owned()));
    let flags: Vec<String> = flags.iter().map(|flag| flag.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let env: Vec<(&str, &std::ffi::OsStr)> = vars
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_os_str()))
            .collect();
        ServeProcess::start_with(&db, "127.0.0.1:0", &flags, &env)
    })
    .await
    .expect("starting chatify serve")
}

impl ServeProcess {
    /// SIGKILL, then reaps the process (from an async test).
    pub async fn kill_9(self) {
        tokio::task::spawn_blocking(move || self.kill())
            .await
            .expect("killing chatify serve");
    }

    fn kill_now(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        self.kill_now();
    }
}
