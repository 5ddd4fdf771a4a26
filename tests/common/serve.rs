//! The real `chatify serve` binary as a child process for the tests that need a process to kill:
//! started on 127.0.0.1:0 with a given database and extra flags, its address read from the
//! "listening on ws://…" line it prints on stderr (so no fixed port and no sleep).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running `chatify serve` child; killed when dropped.
pub struct ServeProcess {
    pub child: Child,
    pub url: String,
}

/// Starts `chatify serve` on `db` with the per-connection rate limit off.
pub async fn spawn_serve(db: &Path, data_dir: &Path) -> ServeProcess {
    spawn_serve_with_flags(db, data_dir, &[]).await
}

/// Starts `chatify serve` on `db` with `flags` added (e.g. `["--durability", "full"]`) and
/// waits (at most 30 s) until it listens.
pub async fn spawn_serve_with_flags(db: &Path, data_dir: &Path, flags: &[&str]) -> ServeProcess {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chatify"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(db)
        .args(flags)
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
    let mut seen = Vec::new();
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            seen.push(line.clone());
            if let Some(at) = line.find("listening on ws://") {
                return line[at + "listening on ".len()..].trim().to_string();
            }
        }
        panic!("serve exited before listening: {seen:?}");
    })
    .await
    .expect("serve starts listening within 30 s");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    ServeProcess { child, url }
}

impl ServeProcess {
    /// SIGKILL, then reaps the process.
    pub async fn kill_9(mut self) {
        self.child.start_kill().expect("SIGKILL");
        self.child.wait().await.expect("wait for the killed server");
    }
}
