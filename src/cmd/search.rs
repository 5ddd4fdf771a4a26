//! `chatify search '#channel' words…`: full-text search of an open channel (words, `prefix*`,
//! `"phrases"`, ranked or newest first), or a blind-token search of a sealed channel (whole
//! words, computed locally from the channel's search key). Through the server or `--db`.

use std::process::ExitCode;

use crate::cli::GlobalArgs;
use crate::cmd::oneshot::{self, OutputArgs, Query, SourceArgs, Target, Window, WindowArgs};
use crate::proto::{SEARCH_MAX_LIMIT, SearchSort};

const EXAMPLES: &str = "\
Query syntax: every word must match; dep* matches a prefix; \"deploy failed\" (quoted inside
the argument) matches a phrase. In a sealed channel only whole words are matched (no prefixes
or phrases) and results are always newest first.

Examples:
  chatify search '#general' deploy failed
  chatify search '#general' '\"deploy failed\"' --sort newest --since 2d
  chatify search '#general' 'dep*' --from alice --json
  chatify search '#ops' rollback            # sealed: decrypted locally";

/// Flags of `chatify search`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = format!("{EXAMPLES}\n\n{}", oneshot::JSON_FIELDS_HELP))]
pub struct Args {
    /// The channel to search ('#general').
    #[arg(value_name = "#CHANNEL")]
    pub target: String,
    /// What to search for (several arguments are joined with spaces).
    #[arg(value_name = "QUERY", required = true, num_args = 1..)]
    pub query: Vec<String>,
    /// Print at most this many results.
    #[arg(long, short = 'n', value_name = "N", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(SEARCH_MAX_LIMIT)))]
    pub limit: u32,
    /// Order of the results: best match first, or newest first.
    #[arg(long, value_enum, default_value_t = SortOrder::Rank)]
    pub sort: SortOrder,
    #[command(flatten)]
    pub window: WindowArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub source: SourceArgs,
}

/// `--sort`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SortOrder {
    /// Best match first (bm25), ties newest first.
    Rank,
    /// Newest first.
    Newest,
}

/// Runs `chatify search`.
pub fn run(args: Args, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let text = args.query.join(" ");
    anyhow::ensure!(!text.trim().is_empty(), "the search query is empty");
    let query = Query::Search {
        channel: Target::channel_only(&args.target, "search")?,
        text,
        sort: match args.sort {
            SortOrder::Rank => SearchSort::Rank,
            SortOrder::Newest => SearchSort::Newest,
        },
        window: Window::resolve(&args.window)?,
        limit: args.limit,
    };
    oneshot::execute(query, &args.source, &args.output, global)
}
