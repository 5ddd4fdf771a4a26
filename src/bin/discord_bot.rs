//! `discord_bot`: the Discord bridge as a binary of its own (built only with the
//! `discord-bridge` feature). It takes the flags of `chatify bridge` and runs the same entry,
//! for deployments that want one process name per service.

use std::process::ExitCode;

use clap::Parser;

/// Relay between Discord and chatify channels (the same as `chatify bridge`).
#[derive(Debug, Parser)]
#[command(name = "discord_bot", version, about)]
struct DiscordBotCli {
    #[command(flatten)]
    global: chatify::cli::GlobalArgs,
    #[command(flatten)]
    args: chatify::cmd::bridge::Args,
}

fn main() -> ExitCode {
    let cli = DiscordBotCli::parse();
    chatify::cmd::init_tracing(&cli.global, true);
    match chatify::cmd::bridge::run(cli.args, &cli.global) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("discord_bot: {error:#}");
            ExitCode::from(2)
        }
    }
}
