//! The `chatify` binary: parse the command line, set up logging, dispatch to the subcommand,
//! and turn errors into a message on stderr and exit code 2.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

fn main() -> ExitCode {
    let cli = chatify::cli::Cli::parse();
    init_tracing(&cli.global);
    match chatify::cmd::dispatch(cli) {
        Ok(code) => code,
        Err(error) => {
            // The chain may hold text a server sent: never raw to the terminal.
            let sentence = chatify::client::render::printable_line(&format!("{error:#}"));
            eprintln!("chatify: {sentence}");
            ExitCode::from(2)
        }
    }
}

fn init_tracing(global: &chatify::cli::GlobalArgs) {
    let default = if global.quiet {
        "error"
    } else {
        match global.verbose {
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
