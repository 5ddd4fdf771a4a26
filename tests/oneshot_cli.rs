//! The one-shot tools through the real binary (`env!("CARGO_BIN_EXE_chatify")`): `history`,
//! `search` and `rewind` against a database file (`--db`) filled through the store API and
//! against a real server on 127.0.0.1:0 (saved session, password, sealed channels and DMs
//! decrypted locally); JSON Lines shape, exit codes 0/1/2, a closed stdout pipe; and
//! `chatify migrate` on databases of every older schema version, newer ones and foreign files.
//! One test binary: this root holds the CLI runner shared by every case; the fixtures and the
//! cases live in `tests/oneshot_cli/` by area.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use serde_json::Value;

#[path = "common/server.rs"]
mod common_server;
#[path = "oneshot_cli/db_fixture.rs"]
mod db_fixture;
#[path = "oneshot_cli/db_history.rs"]
mod db_history;
#[path = "oneshot_cli/db_sealed_and_dm.rs"]
mod db_sealed_and_dm;
#[path = "oneshot_cli/db_search_and_rewind.rs"]
mod db_search_and_rewind;
#[path = "oneshot_cli/migrate.rs"]
mod migrate;
#[path = "oneshot_cli/server_fixture.rs"]
mod server_fixture;
#[path = "oneshot_cli/server_history.rs"]
mod server_history;
#[path = "oneshot_cli/server_sealed_and_dm.rs"]
mod server_sealed_and_dm;
#[path = "oneshot_cli/server_sessions.rs"]
mod server_sessions;

/// Longest a CLI run may take before the test fails.
const CLI_TIMEOUT: Duration = Duration::from_secs(60);
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const PASSPHRASE: &str = "correct horse battery staple";

// ---------------------------------------------------------------------------------------------
// Running the binary

/// A `chatify` invocation with a clean environment: its own config dir, no colour, no stdin.
struct Cli {
    command: tokio::process::Command,
}

impl Cli {
    fn new(config_dir: &Path) -> Cli {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_chatify"));
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("CHATIFY_") {
                command.env_remove(&name);
            }
        }
        command
            .env("CHATIFY_CONFIG_DIR", config_dir)
            .env("CHATIFY_DATA_DIR", config_dir.join("data"))
            .env("NO_COLOR", "1")
            .env("TZ", "UTC")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        Cli { command }
    }

    fn args<I, S>(mut self, args: I) -> Cli
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    fn arg_path(mut self, path: &Path) -> Cli {
        self.command.arg(path);
        self
    }

    fn env(mut self, name: &str, value: impl AsRef<std::ffi::OsStr>) -> Cli {
        self.command.env(name, value);
        self
    }

    async fn run(mut self) -> Run {
        let output = tokio::time::timeout(CLI_TIMEOUT, self.command.output())
            .await
            .expect("chatify finished in time")
            .expect("chatify started");
        Run(output)
    }
}

/// The outcome of one run.
struct Run(Output);

impl Run {
    fn code(&self) -> i32 {
        self.0.status.code().expect("exited normally")
    }
    fn stdout(&self) -> String {
        String::from_utf8(self.0.stdout.clone()).expect("UTF-8 stdout")
    }
    fn stderr(&self) -> String {
        String::from_utf8(self.0.stderr.clone()).expect("UTF-8 stderr")
    }
    fn lines(&self) -> Vec<String> {
        self.stdout().lines().map(str::to_string).collect()
    }
    /// Exit 0, and the JSON objects of stdout.
    fn json(&self) -> Vec<Value> {
        assert_eq!(self.code(), 0, "stderr: {}", self.stderr());
        self.lines()
            .iter()
            .map(|line| serde_json::from_str(line).expect("each line is JSON"))
            .collect()
    }
    /// Exit 0, and the JSON objects of stdout that are messages, not system lines (moderation
    /// events such as the invitation a sealed channel needs before anyone else can join).
    fn json_messages(&self) -> Vec<Value> {
        self.json()
            .into_iter()
            .filter(|record| record["sys"].is_null())
            .collect()
    }
    fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code(),
            code,
            "stdout: {}\nstderr: {}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}

fn texts(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["text"].as_str().unwrap_or("<null>").to_string())
        .collect()
}

fn now_ms() -> i64 {
    chatify::timespec::now_ms()
}
