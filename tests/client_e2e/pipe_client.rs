//! `chatify connect` in pipe mode as a test drives it: a process with its own config dir, lines
//! written to its stdin, its stdout read line by line with a timeout (never a sleep). Shared by
//! `client_e2e` and `client_outbox`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use super::server_fixture::ServeProcess;

pub const WAIT: Duration = Duration::from_secs(15);
pub const PASSPHRASE: &str = "correct horse battery staple";

/// How a client logs in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Login {
    /// `--register` with a password.
    Register,
    /// No password at all: only the session token saved by an earlier run.
    SavedSession,
    /// A password login of an existing account (another device).
    Password,
}

/// A `chatify connect` process in pipe mode.
pub struct Client {
    pub name: String,
    pub child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    pub transcript: Vec<String>,
    pub config: Option<tempfile::TempDir>,
}

impl Client {
    /// Registers `name` with a fresh config dir.
    pub fn start(server: &ServeProcess, name: &str) -> Client {
        let config = tempfile::tempdir().expect("config dir");
        Client::spawn(server, name, Login::Register, config)
    }

    pub fn spawn(
        server: &ServeProcess,
        name: &str,
        login: Login,
        config: tempfile::TempDir,
    ) -> Client {
        Client::spawn_at(&server.url, name, login, config)
    }

    /// [`Client::spawn`] with `--server` given as is (e.g. a comma list of addresses).
    pub fn spawn_at(servers: &str, name: &str, login: Login, config: tempfile::TempDir) -> Client {
        Client::spawn_with_args(servers, name, login, config, &[])
    }

    /// [`Client::spawn_at`] with more `chatify connect` flags (e.g. `--seconds`).
    pub fn spawn_with_args(
        servers: &str,
        name: &str,
        login: Login,
        config: tempfile::TempDir,
        extra: &[&str],
    ) -> Client {
        let mut command = Command::new(env!("CARGO_BIN_EXE_chatify"));
        command
            .args(["connect", "--server", servers, "--user", name])
            .args(extra)
            .env_remove("CHATIFY_LINKS")
            .env_remove("CHATIFY_SECONDS")
            .env("CHATIFY_CONFIG_DIR", config.path())
            .env("CHATIFY_TEST_WEAK_KDF", "1")
            .env("NO_COLOR", "1")
            .env_remove("CHATIFY_PASSWORD")
            .env_remove("CHATIFY_PASSPHRASE")
            .env_remove("CHATIFY_KEY_FILE")
            .env_remove("CHATIFY_CHANNEL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if login == Login::Register {
            command
                .arg("--register")
                .env("CHATIFY_PASSWORD", format!("{name}-password"));
        }
        if login == Login::Password {
            command.env("CHATIFY_PASSWORD", format!("{name}-password"));
        }
        let mut child = command.spawn().expect("chatify connect starts");
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let mut client = Client {
            name: name.to_string(),
            child,
            stdin,
            lines,
            transcript: Vec::new(),
            config: Some(config),
        };
        client.expect("connected to");
        client
    }

    pub fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}")
            .and_then(|()| self.stdin.flush())
            .expect("client stdin is open");
    }

    /// Waits for a line containing `needle`, returning it; panics with the transcript if none comes.
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
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => panic!(
                    "{} never printed {needle:?}; transcript:\n{}",
                    self.name,
                    self.transcript.join("\n")
                ),
            }
        }
    }

    /// How many lines seen so far contain `needle`.
    pub fn count(&self, needle: &str) -> usize {
        self.transcript
            .iter()
            .filter(|line| line.contains(needle))
            .count()
    }

    /// Sends `/quit`, waits for stdout to close and the process to exit 0; returns the config
    /// dir for a later run.
    pub fn quit(mut self) -> tempfile::TempDir {
        self.send("/quit");
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.transcript.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => panic!("{} did not quit", self.name),
            }
        }
        let status = self.child.wait().expect("client exit status");
        assert!(status.success(), "{} exited with {status}", self.name);
        self.config
            .take()
            .expect("the config dir is kept until quit")
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
