//! The real `chatify serve` binary as a child process for the tests that need a process to kill:
//! started on 127.0.0.1:0 with a given database and extra flags, its address read from the
//! "listening on ws://…" line it prints on stderr (so no fixed port and no sleep); everything
//! it writes to stderr is kept for tests that check what the server logs.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running `chatify serve` child; killed when dropped.
pub struct ServeProcess {
    pub child: Child,
    pub url: String,
    /// Every stderr line so far (the log), read until the process ends.
    pub stderr: Arc<Mutex<Vec<String>>>,
}

/// Starts `chatify serve` on `db` with the per-connection rate limit off.
pub async fn spawn_serve(db: &Path, data_dir: &Path) -> ServeProcess {
    spawn_serve_with_flags(db, data_dir, &[]).await
}

/// Starts `chatify serve` on `db` with `flags` added (e.g. `["--durability", "full"]`) and
/// waits (at most 30 s) until it listens.
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
    let mut child = Command::new(env!("CARGO_BIN_EXE_chatify"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(db)
        .args(flags)
        .envs(env.iter().copied())
        .env("CHATIFY_DATA_DIR", data_dir)
        .env("CHATIFY_RATE_LIMIT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn chatify serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let seen = stderr.clone();
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            let listening = line
                .find("listening on ws://")
                .map(|at| line[at + "listening on ".len()..].trim().to_string());
            seen.lock().expect("log lock").push(line);
            if let Some(url) = listening {
                return url;
            }
        }
        panic!("serve exited before listening: {:?}", seen.lock());
    })
    .await
    .expect("serve starts listening within 30 s");
    let kept = stderr.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            kept.lock().expect("log lock").push(line);
        }
    });
    ServeProcess { child, url, stderr }
}

impl ServeProcess {
    /// The stderr lines so far, joined.
    pub fn log_text(&self) -> String {
        self.stderr.lock().expect("log lock").join("\n")
    }

    /// SIGKILL, then reaps the process.
    pub async fn kill_9(mut self) {
        self.child.start_kill().expect("SIGKILL");
        self.child.wait().await.expect("wait for the killed server");
    }
}
