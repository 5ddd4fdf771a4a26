//! `chatify rewind '#channel' --at TIME`: prints the channel as it stood at a past moment —
//! later messages absent, later edits, deletions and reactions not applied. Through the server
//! or from a database file (`--db`).

use std::process::ExitCode;

use anyhow::Context;

use crate::cli::GlobalArgs;
use crate::cmd::oneshot::{self, OutputArgs, Query, SourceArgs, Target};
use crate::proto::{HISTORY_MAX_LIMIT, validate_username};

const EXAMPLES: &str = "\
Examples:
  chatify rewind '#general' --at '2026-11-25 09:30'
  chatify rewind '#general' --at 2h --limit 20
  chatify rewind '#general' --at 2026-11-25T09:30:00Z --json";

/// Flags of `chatify rewind`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = format!("{EXAMPLES}\n\n{}", oneshot::JSON_FIELDS_HELP))]
pub struct Args {
    /// The channel to rewind ('#general').
    #[arg(value_name = "#CHANNEL")]
    pub target: String,
    /// The moment to show: an age (30m, 1h, 2d), an RFC 3339 time, or YYYY-MM-DD [HH:MM[:SS]]
    /// in local time.
    #[arg(long, value_name = "TIME")]
    pub at: String,
    /// Print at most this many messages: the last ones before --at.
    #[arg(long, short = 'n', value_name = "N", default_value_t = 50,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(HISTORY_MAX_LIMIT)))]
    pub limit: u32,
    /// Only messages by this user (among the last 500 before --at).
    #[arg(long, value_name = "USER")]
    pub from: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Runs `chatify rewind`.
pub fn run(args: Args, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let now = crate::timespec::now_ms();
    let at_ms = crate::timespec::parse_time(&args.at, now).context("--at")?;
    if let Some(from) = &args.from {
        validate_username(from).map_err(|error| anyhow::anyhow!("--from: {error}"))?;
    }
    let query = Query::Rewind {
        channel: Target::channel_only(&args.target, "rewind")?,
        at_ms,
        from: args.from,
        limit: args.limit,
    };
    oneshot::execute(query, &args.source, &args.output, global)
}
