//! The `chatify` binary: parse the command line, set up logging, dispatch to the subcommand,
//! and turn errors into a message on stderr and exit code 2.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match chatify::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            if let Some(hint) = shell_comment_hint(&error) {
                eprintln!("{hint}");
            }
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
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

/// `chatify history #general` unquoted reaches us as `chatify history`: the shell took `#…` for
/// a comment. Says so when a channel-taking command lacks its argument.
fn shell_comment_hint(error: &clap::Error) -> Option<&'static str> {
    let command = std::env::args().nth(1)?;
    let takes_channel = ["history", "search", "rewind"].contains(&command.as_str());
    (takes_channel && error.kind() == clap::error::ErrorKind::MissingRequiredArgument).then_some(
        "hint: the shell drops an unquoted #… as a comment: write '#general' in quotes, or general without #",
    )
}
