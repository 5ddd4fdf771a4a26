//! The `chatify` binary: parse the command line, set up logging, dispatch to the subcommand,
//! and turn errors into a message on stderr and exit code 2.

use std::process::ExitCode;

use clap::Parser;

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
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(global.use_color(std::io::IsTerminal::is_terminal(&std::io::stderr())))
        .init();
}
