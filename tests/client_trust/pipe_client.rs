//! The real client under attack: `chatify connect` in pipe mode and the one-shot tools, run as
//! processes against the fake server, each with a fresh config dir. Every read has a timeout.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Instant;

use crate::fake_server::WAIT;

/// The passphrase the tests' sealed channels are made with.
pub const PASSPHRASE: &str = "correct horse battery staple";

/// A `chatify connect` process in pipe mode, logged in as alice.
pub struct PipeClient {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    pub transcript: Vec<String>,
    _config: tempfile::TempDir,
}

impl PipeClient {
    /// Starts `chatify connect` against `url` and waits for "connected to".
    pub fn start(url: &str, extra_env: &[(&str, &str)]) -> PipeClient {
        let config = tempfile::tempdir().expect("config dir");
        let mut command = base_command(config.path());
        command
            .args(["connect", "--server", url, "--user", "alice"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (name, value) in extra_env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("chatify connect starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let mut client = PipeClient {
            child,
            stdin,
            lines,
            transcript: Vec::new(),
            _config: config,
        };
        client.expect("connected to");
        client
    }

    pub fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}")
            .and_then(|()| self.stdin.flush())
            .expect("client stdin is open");
    }

    /// Waits for a stdout line containing `needle`.
    pub fn expect(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.transcript.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "never printed {needle:?}; transcript:\n{}",
                    self.transcript.join("\n")
                ),
            }
        }
    }

    /// Lines seen so far that contain `needle`.
    pub fn printed(&self, needle: &str) -> Vec<&String> {
        self.transcript
            .iter()
            .filter(|line| line.contains(needle))
            .collect()
    }
}

impl Drop for PipeClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn base_command(config: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chatify"));
    command
        .env("CHATIFY_CONFIG_DIR", config)
        .env("CHATIFY_TEST_WEAK_KDF", "1")
        .env("CHATIFY_PASSWORD", "alice-password")
        .env("NO_COLOR", "1")
        .env_remove("CHATIFY_PASSPHRASE")
        .env_remove("CHATIFY_PASSPHRASE_FILE")
        .env_remove("CHATIFY_PASSWORD_FILE")
        .env_remove("CHATIFY_KEY_FILE")
        .env_remove("CHATIFY_CHANNEL")
        .env_remove("CHATIFY_SERVER")
        .env_remove("CHATIFY_USER");
    command
}

/// Runs a one-shot tool (`history`, `search`, `rewind`) as alice against `url`, with the
/// passphrase of sealed channels in the environment; returns its output (bounded wait).
pub fn one_shot(url: &str, args: &[&str]) -> Output {
    let config = tempfile::tempdir().expect("config dir");
    let mut command = base_command(config.path());
    command
        .args(args)
        .args(["--server", url, "--user", "alice", "--timeout", "10"])
        .env("CHATIFY_PASSPHRASE", PASSPHRASE)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().expect("chatify runs");
    let (sender, receiver) = channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    receiver
        .recv_timeout(WAIT)
        .expect("the one-shot tool finishes in time")
        .expect("output")
}
