//! The `chatify` binary: parse the command line, set up logging, dispatch to the subcommand,
//! and turn errors into a message on stderr and exit code 2.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = chatify::cli::Cli::parse();
    let daemon = matches!(cli.command, chatify::cli::Command::Bridge(_));
    chatify::cmd::init_tracing(&cli.global, daemon);
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
