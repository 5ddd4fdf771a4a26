//! One module per subcommand. Each exposes `Args` (clap) and `run`, and is glue only: it opens
//! what the command needs (database, connection, key files) and calls into the library.
//! `dispatch` is the single entry point `main` calls.

use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub mod account;
pub mod admin;
pub mod bridge;
pub mod connect;
pub mod history;
pub mod keygen;
pub mod logout;
pub mod migrate;
pub mod oneshot;
pub mod password;
pub mod rewind;
pub mod search;
pub mod serve;
pub mod sessions;

/// Runs the parsed command line; the exit code is the command's own (0 ok, 1 nothing found, 2 error).
pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let global = cli.global;
    match cli.command {
        Command::Serve(args) => serve::run(args, &global),
        Command::Connect(args) => connect::run(args, &global),
        Command::History(args) => history::run(args, &global),
        Command::Search(args) => search::run(args, &global),
        Command::Rewind(args) => rewind::run(args, &global),
        Command::Migrate(args) => migrate::run(args, &global),
        Command::Keygen(args) => keygen::run(args, &global),
        Command::Admin(args) => admin::run(args, &global),
        Command::Logout(args) => logout::run(args, &global),
        Command::Sessions(args) => sessions::run(args, &global),
        Command::Password(args) => password::run(args, &global),
        Command::Bridge(args) => bridge::run(args, &global),
    }
}

/// Sets up logging to stderr: `-q` errors only, else warnings (info for long-running `daemon`
/// commands such as the bridge, whose health line is info), more with `-v`; `CHATIFY_LOG`
/// overrides. WebSocket frame dumps are never logged.
pub fn init_tracing(global: &crate::cli::GlobalArgs, daemon: bool) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let default = if global.quiet {
        "error"
    } else {
        match global.verbose.saturating_add(u8::from(daemon)) {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CHATIFY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let output = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(global.use_color(std::io::IsTerminal::is_terminal(&std::io::stderr())));
    tracing_subscriber::registry()
        .with(filter)
        .with(tracing_subscriber::filter::filter_fn(is_not_a_frame_dump))
        .with(output)
        .init();
}

/// The WebSocket crates print whole frames — message bodies, passwords, session tokens — at
/// debug and trace level. No `CHATIFY_LOG` or `-v` setting may turn that on (SECURITY.md).
fn is_not_a_frame_dump(metadata: &tracing::Metadata<'_>) -> bool {
    let frame_crate = ["tungstenite", "tokio_tungstenite"]
        .iter()
        .any(|name| metadata.target().split("::").next() == Some(*name));
    !frame_crate || *metadata.level() <= tracing::Level::INFO
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}
