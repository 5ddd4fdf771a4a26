//! The REPL shell of `chatify connect` — the only terminal code of the client. Logs in (saved
//! session, password from the caller, or a no-echo prompt), then either runs the reedline
//! editor (events print above the prompt through reedline's ExternalPrinter and the buffer is
//! kept; history file, completion, hints, multi-line input, `$EDITOR` on Ctrl-O) when stdin is
//! a terminal, or reads plain lines from stdin and prints plain lines to stdout when it is not
//! (scripts and tests drive it through a pipe). Called by `cmd::connect`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use zeroize::Zeroizing;

use super::app::{App, Prompter};
use super::conn::ClientError;
use super::events::LineQueue;
use super::keys::KeyRing;
use super::render::{self, RenderOptions, Zone};
use super::session::{Session, SessionEvents, SessionOptions};
use crate::proto::ErrorCode;

mod command_worker;
mod compose_file;
mod editor;
mod paste;
mod pipe;
mod prompts;
mod saved_history;
mod typing_hook;

pub use prompts::{prompt_password, read_password_file};

/// Everything `chatify connect` decided from its flags and environment.
pub struct ReplConfig {
    pub server: String,
    /// The other `--server` addresses (a cluster's nodes), tried in turn when one is down.
    pub fallback_servers: Vec<String>,
    pub user: String,
    pub register: bool,
    /// From `--password-file` or `CHATIFY_PASSWORD`; otherwise asked for when needed.
    pub password: Option<Zeroizing<String>>,
    /// The channel to start in (joined if needed).
    pub channel: Option<String>,
    pub config_dir: PathBuf,
    /// TLS trust (`--ca-file`, pins in the config dir) and `--allow-insecure`.
    pub security: crate::tls::ConnectSecurity,
    /// Colour on stdout (the caller applied `--color` and `NO_COLOR`).
    pub color: bool,
    /// Times with seconds (`--seconds`).
    pub seconds: bool,
    /// OSC 8 hyperlinks for URLs (the caller applied `--links` and the terminal check).
    pub links: bool,
    /// Whether stdin is a terminal (reedline) or not (plain lines).
    pub interactive: bool,
    /// `CHATIFY_PASSPHRASE`: sealed-channel passphrase used without asking.
    pub preset_passphrase: Option<Zeroizing<String>>,
    /// TEST ONLY: weak Argon2 parameters for new sealed channels (`CHATIFY_TEST_WEAK_KDF=1`).
    pub weak_kdf_for_tests: bool,
}

/// Runs the client until `/quit`, end of input, or the end of the session.
pub fn run(config: ReplConfig) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    crate::paths::create_private_dir(&config.config_dir)
        .context("creating the config directory")?;
    let options = RenderOptions {
        color: config.color,
        bell: config.interactive,
        me: config.user.clone(),
        zone: Zone::Local,
        seconds: config.seconds,
        links: config.links,
    };
    let (keys, created) = KeyRing::open(
        &config.config_dir,
        &config.server,
        &config.user,
        config.weak_kdf_for_tests,
    )
    .context("opening your identity key")?;
    if created {
        println!(
            "{}",
            render::render_notice(
                &options,
                &format!(
                    "created your identity key; fingerprint {}",
                    keys.my_fingerprint()
                )
            )
        );
    }
    let (session, events) = runtime.block_on(log_in(&config, keys.public_key_b64()))?;
    let (lines, receiver) = LineQueue::new();
    let exit = if config.interactive {
        let wake = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (desk, requests) = command_worker::PromptDesk::new(wake);
        let prompter: Arc<dyn Prompter> = Arc::new(prompts::TerminalPrompter::new(
            config.preset_passphrase.clone(),
            desk.clone(),
        ));
        let app = App::new(session, keys, lines, options, prompter);
        app.load_ignore_list(&config.config_dir, &config.server);
        editor::run_interactive(&runtime, app, events, receiver, &config, (desk, requests))
    } else {
        let input = pipe::spawn_stdin_reader();
        let prompter: Arc<dyn Prompter> = Arc::new(prompts::PipePrompter::new(
            config.preset_passphrase.clone(),
            input.clone(),
        ));
        let app = App::new(session, keys, lines, options, prompter);
        app.load_ignore_list(&config.config_dir, &config.server);
        runtime.block_on(pipe::run_pipe(
            app,
            events,
            receiver,
            input,
            config.channel.clone(),
        ))
    };
    drop(runtime);
    Ok(exit)
}

/// Connects and logs in: saved session first, then the given password, then (in a terminal)
/// a no-echo prompt, up to three tries.
async fn log_in(
    config: &ReplConfig,
    public_key: String,
) -> anyhow::Result<(Session, SessionEvents)> {
    let mut options = SessionOptions::new(config.server.clone(), config.user.clone());
    options.fallback_urls = config.fallback_servers.clone();
    options.public_key = Some(public_key);
    options.config_dir = Some(config.config_dir.clone());
    options.register = config.register;
    options.password = config.password.clone();
    options.security = config.security.clone();
    if config.register && options.password.is_none() {
        // Say the server is down before asking for a new password twice.
        let url = super::conn::normalize_url(&options.url)?;
        if let Err(error) =
            super::conn::connect(&url, &options.security, options.request_timeout).await
        {
            return Err(explain_login_error(error, config));
        }
        options.password = Some(ask_password(config, true).await?);
    }
    for attempt in 1..=3 {
        let connected = Session::connect(options.clone()).await;
        for notice in options.security.take_notices() {
            eprintln!("{notice}");
        }
        match connected {
            Ok(pair) => return Ok(pair),
            Err(ClientError::PasswordNeeded(_)) if config.interactive => {}
            Err(ClientError::PasswordNeeded(user)) => anyhow::bail!(
                "a password is needed to log in as {user}: set CHATIFY_PASSWORD or use --password-file (stdin is not a terminal)"
            ),
            Err(ClientError::Server {
                code: ErrorCode::AuthFailed,
                ..
            }) if config.interactive && attempt < 3 => {
                eprintln!("wrong username or password; try again");
            }
            Err(ClientError::Server {
                code: ErrorCode::WeakPassword,
                ..
            }) if config.interactive && attempt < 3 => {
                eprintln!("that password is too short (at least 8 characters); try another");
            }
            Err(error) => return Err(explain_login_error(error, config)),
        }
        options.password = Some(ask_password(config, config.register).await?);
    }
    anyhow::bail!("could not log in as {}", config.user)
}

async fn ask_password(config: &ReplConfig, confirm: bool) -> anyhow::Result<Zeroizing<String>> {
    if !config.interactive {
        anyhow::bail!(
            "a password is needed: set CHATIFY_PASSWORD or use --password-file (stdin is not a terminal)"
        );
    }
    let label = format!("password for {} at {}", config.user, config.server);
    tokio::task::spawn_blocking(move || prompt_password(&label, confirm))
        .await
        .context("reading the password")?
}

fn explain_login_error(error: ClientError, config: &ReplConfig) -> anyhow::Error {
    let hint = match error.code() {
        Some(ErrorCode::AuthFailed) => " (wrong username or password)",
        Some(ErrorCode::UserExists) => " (pick another name, or log in without --register)",
        Some(ErrorCode::RegistrationClosed) => " (ask the server's operator for an account)",
        Some(ErrorCode::WeakPassword) => " (use at least 8 characters)",
        _ => "",
    };
    match error {
        ClientError::Connect { .. } => anyhow::anyhow!(
            "{error}; is `chatify serve` running there? (--server URL or CHATIFY_SERVER)"
        ),
        // The server's own message may already say it ("wrong username or password").
        _ if hint.is_empty()
            || error
                .to_string()
                .contains(hint.trim_matches([' ', '(', ')'])) =>
        {
            anyhow::anyhow!("logging in as {} failed: {error}", config.user)
        }
        _ => anyhow::anyhow!("logging in as {} failed: {error}{hint}", config.user),
    }
}
