//! What `chatify logout`, `sessions` and `password` share: the flags that say which account on
//! which server (`--server`, `--user`, `--password-file`, the transport flags), and logging in
//! with the saved session of `chatify connect` (a password only when there is none, and for
//! `logout` never). Glue only: the requests are `client::session`'s.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use zeroize::Zeroizing;

use crate::client::conn::ClientError;
use crate::client::session::{Session, SessionEvents, SessionOptions};

/// Which account, on which server.
#[derive(Debug, Clone, clap::Args)]
pub struct AccountArgs {
    /// Server address (ws://host:port or wss://host:port).
    #[arg(long, value_name = "URL", env = "CHATIFY_SERVER", default_value = super::oneshot::DEFAULT_SERVER)]
    pub server: String,
    /// Your username on the server.
    #[arg(long, short = 'u', value_name = "NAME", env = "CHATIFY_USER")]
    pub user: Option<String>,
    /// Read the account password from this file (first line) when there is no saved session.
    #[arg(long, value_name = "PATH", env = "CHATIFY_PASSWORD_FILE")]
    pub password_file: Option<PathBuf>,
    /// Seconds to wait for the server's answers.
    #[arg(long, value_name = "SECS", env = "CHATIFY_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    #[command(flatten)]
    pub transport: crate::cli::TransportArgs,
}

/// How to log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// Only the saved session; without one there is nothing to do.
    SavedSessionOnly,
    /// The saved session, else the password (file, `CHATIFY_PASSWORD`, or a prompt).
    SavedSessionOrPassword,
}

impl AccountArgs {
    /// The username, validated.
    pub fn user(&self) -> anyhow::Result<&str> {
        let user = self
            .user
            .as_deref()
            .context("who are you? pass --user NAME (or set CHATIFY_USER)")?;
        crate::proto::validate_username(user)
            .map_err(|error| anyhow::anyhow!("--user: {error}"))?;
        Ok(user)
    }

    /// Logs in; `Ok(None)` when only the saved session may be used and there is none (or the
    /// server no longer accepts it).
    pub async fn log_in(
        &self,
        credentials: Credentials,
    ) -> anyhow::Result<Option<(Session, SessionEvents)>> {
        let user = self.user()?;
        let config_dir = crate::paths::config_dir()?;
        let mut options = SessionOptions::new(self.server.clone(), user);
        options.config_dir = Some(config_dir.clone());
        options.reconnect = false;
        options.request_timeout = Duration::from_secs(self.timeout);
        options.security = self.transport.security(&config_dir);
        let context = || format!("logging in to {} as {user}", self.server);
        let first = Session::connect(options.clone()).await;
        print_notices(&options);
        match first {
            Ok(pair) => Ok(Some(pair)),
            Err(ClientError::PasswordNeeded(_)) if credentials == Credentials::SavedSessionOnly => {
                Ok(None)
            }
            Err(ClientError::PasswordNeeded(_)) => {
                options.password = Some(self.password(user)?);
                let second = Session::connect(options.clone()).await;
                print_notices(&options);
                second.map(Some).with_context(context)
            }
            Err(error) => Err(error).with_context(context),
        }
    }

    /// Logs in with the saved session, else the password; fails when neither works.
    pub async fn log_in_required(&self) -> anyhow::Result<(Session, SessionEvents)> {
        self.log_in(Credentials::SavedSessionOrPassword)
            .await?
            .context("could not log in")
    }

    /// The current account password: `--password-file`, `$CHATIFY_PASSWORD`, or a prompt.
    pub fn password(&self, user: &str) -> anyhow::Result<Zeroizing<String>> {
        super::oneshot::account_password(self.password_file.as_deref(), user)
    }
}

/// Certificates pinned on first use are announced on stderr.
fn print_notices(options: &SessionOptions) {
    for notice in options.security.take_notices() {
        eprintln!("{notice}");
    }
}

/// A single-threaded-enough runtime for one request or two.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("starting the async runtime")
}
