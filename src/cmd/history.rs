//! `chatify history '#channel'` / `chatify history @user`: prints a channel's or a DM
//! conversation's recent messages, through the server (saved session, decrypted locally) or
//! from a database file (`--db`). Flags and the shared machinery live in `cmd::oneshot`.

use std::process::ExitCode;

use crate::cli::GlobalArgs;
use crate::cmd::oneshot::{self, OutputArgs, Query, SourceArgs, Target, Window, WindowArgs};

const EXAMPLES: &str = "\
Examples:
  chatify history '#general' --since 1h
  chatify history @bob --limit 20
  chatify history '#ops' --from alice --since '2026-11-25 09:00' --until '2026-11-25 12:00'
  chatify history '#general' --json | jq -r .text
  chatify history '#general' --db /var/lib/chatify/chatify.db --limit 1000";

/// Flags of `chatify history`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = format!("{EXAMPLES}\n\n{}", oneshot::JSON_FIELDS_HELP))]
pub struct Args {
    /// The channel ('#general') or DM conversation ('@bob') to print.
    #[arg(value_name = "#CHANNEL|@USER")]
    pub target: String,
    /// Print at most this many messages: the newest ones in the time window.
    #[arg(long, short = 'n', value_name = "N", default_value_t = 50,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub limit: u32,
    #[command(flatten)]
    pub window: WindowArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Runs `chatify history`.
pub fn run(args: Args, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let query = Query::History {
        target: Target::parse(&args.target)?,
        window: Window::resolve(&args.window)?,
        limit: args.limit,
    };
    oneshot::execute(query, &args.source, &args.output, global)
}
