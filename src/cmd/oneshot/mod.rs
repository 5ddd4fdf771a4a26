//! Shared glue of the one-shot query commands `history`, `search` and `rewind`: their common
//! flags (where to read from, filters, output), the target syntax (`#channel`, `@user`), the
//! query description, and [`execute`], which fetches through the server (`remote`) or from a
//! database file (`local`), decrypts, and prints a timeline or JSON Lines (`output`).
//! Exit codes: 0 something printed, 1 nothing found, 2 error (via `main`); a closed stdout
//! pipe (`| head`) ends the command quietly with 0.

mod local;
pub(crate) mod output;
mod remote;
mod secrets;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::GlobalArgs;
use crate::proto::{self, SearchSort};

pub use output::Record;

/// The account password: `--password-file`, `$CHATIFY_PASSWORD`, or a prompt (for the account
/// commands too).
pub fn account_password(
    file: Option<&std::path::Path>,
    user: &str,
) -> anyhow::Result<zeroize::Zeroizing<String>> {
    secrets::password(file, user)
}

/// Default address of the server.
pub const DEFAULT_SERVER: &str = "ws://127.0.0.1:8765";
/// Exit code when the query ran but found nothing.
pub const EXIT_NOTHING_FOUND: u8 = 1;

/// Where the messages come from: the server (default) or a database file (`--db`).
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Where to read from")]
pub struct SourceArgs {
    /// Server address (ws://host:port or wss://host:port).
    #[arg(long, value_name = "URL", env = "CHATIFY_SERVER", default_value = DEFAULT_SERVER)]
    pub server: String,
    /// Your username on the server. The saved session of `chatify connect` is used; without one
    /// the password comes from --password-file, $CHATIFY_PASSWORD or a prompt.
    #[arg(long, short = 'u', value_name = "NAME", env = "CHATIFY_USER")]
    pub user: Option<String>,
    /// Read the account password from this file (first line) when there is no saved session.
    #[arg(long, value_name = "PATH", env = "CHATIFY_PASSWORD_FILE")]
    pub password_file: Option<PathBuf>,
    /// Read this database file directly instead of asking the server (operators, backups).
    /// The file is opened read-only and never modified.
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// With --db: read DMs as this user (one of the two people), with their identity key.
    #[arg(long = "as", value_name = "USER", requires = "db")]
    pub as_user: Option<String>,
    /// With --db: the identity key file of the --as user, to decrypt DMs
    /// [default: $CHATIFY_KEY_FILE, else <config dir>/identity.key].
    #[arg(long, value_name = "PATH", requires = "db")]
    pub key: Option<PathBuf>,
    /// Read the passphrase of a sealed channel from this file (first line) when its key is not
    /// cached; $CHATIFY_PASSPHRASE also works, else you are prompted.
    #[arg(long, value_name = "PATH", env = "CHATIFY_PASSPHRASE_FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Seconds to wait for the server's answers.
    #[arg(long, value_name = "SECS", env = "CHATIFY_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    #[command(flatten)]
    pub transport: crate::cli::TransportArgs,
}

/// Time window and author filters.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Filters")]
pub struct WindowArgs {
    /// Only messages at or after this time: an age (30m, 1h, 2d, 1w), an RFC 3339 time, or
    /// YYYY-MM-DD [HH:MM[:SS]] in local time.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only messages before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only messages by this user.
    #[arg(long, value_name = "USER")]
    pub from: Option<String>,
}

/// Output format.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Print JSON Lines, one object per message (fields: see --help), instead of the timeline.
    #[arg(long)]
    pub json: bool,
}

/// The fields of `--json` output, for the commands' long help.
pub const JSON_FIELDS_HELP: &str = "\
JSON Lines output (--json): one object per message, with these fields (always present):
  id            global message id (integer)
  seq           per-channel sequence number (integer; null for DMs)
  ch | dm       the channel name (without #), or for a DM the other person's name
  u             the author
  ts            time in Unix milliseconds
  ts_iso        the same time in RFC 3339, UTC, e.g. 2026-11-25T09:30:00.000Z
  text          the text (decrypted); null when deleted or undecryptable
  edited        time of the last edit in Unix ms, or null
  deleted       true when the message was deleted
  reply_to      id of the message this one replies to, or null
  reacts        {\"emoji\": [\"user\", ...]} (empty object when none)
  sealed        true for sealed (end-to-end encrypted) channels and DMs
  undecryptable why the text could not be decrypted, or null
  sys           for a system line (a moderation event, `u` did it): {\"act\": \"kick\", \"target\": ...}; else null

Exit status: 0 when something was printed, 1 when nothing matched, 2 on an error.";

/// What a channel/DM argument names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A channel, canonical (lowercase, no `#`).
    Channel(String),
    /// A DM conversation with this user.
    Dm(String),
}

impl Target {
    /// `#general` or `general` is a channel, `@bob` a DM.
    pub fn parse(text: &str) -> anyhow::Result<Target> {
        if let Some(user) = text.strip_prefix('@') {
            proto::validate_username(user).map_err(|error| anyhow::anyhow!("{text:?}: {error}"))?;
            return Ok(Target::Dm(user.to_string()));
        }
        let channel =
            proto::normalize_channel(text).map_err(|error| anyhow::anyhow!("{text:?}: {error}"))?;
        Ok(Target::Channel(channel))
    }

    /// A channel, or an error naming the command that only works on channels.
    pub fn channel_only(text: &str, command: &str) -> anyhow::Result<String> {
        match Target::parse(text)? {
            Target::Channel(channel) => Ok(channel),
            Target::Dm(_) => anyhow::bail!(
                "chatify {command} works on channels only (DMs are end-to-end encrypted and \
                 stored without a search index); use `chatify history {text}`"
            ),
        }
    }
}

pub use crate::client::reading::{Pager, Window, filter_from};

impl Window {
    /// Reads `--since`/`--until` with [`crate::timespec`] (relative to now) and checks `--from`.
    pub fn resolve(args: &WindowArgs) -> anyhow::Result<Window> {
        let now = crate::timespec::now_ms();
        let since_ms = parse_time_flag("--since", args.since.as_deref(), now)?;
        let until_ms = parse_time_flag("--until", args.until.as_deref(), now)?;
        if let (Some(since), Some(until)) = (since_ms, until_ms)
            && since >= until
        {
            anyhow::bail!("--since must be earlier than --until");
        }
        if let Some(from) = &args.from {
            proto::validate_username(from).map_err(|error| anyhow::anyhow!("--from: {error}"))?;
        }
        Ok(Window {
            since_ms,
            until_ms,
            from: args.from.clone(),
        })
    }
}

/// Parses one time flag.
pub fn parse_time_flag(
    flag: &str,
    value: Option<&str>,
    now_ms: i64,
) -> anyhow::Result<Option<i64>> {
    value
        .map(|text| crate::timespec::parse_time(text, now_ms).with_context(|| flag.to_string()))
        .transpose()
}

/// One query, fully resolved.
#[derive(Debug, Clone)]
pub enum Query {
    History {
        target: Target,
        window: Window,
        limit: u32,
    },
    Search {
        channel: String,
        text: String,
        sort: SearchSort,
        window: Window,
        limit: u32,
    },
    Rewind {
        channel: String,
        at_ms: i64,
        from: Option<String>,
        limit: u32,
    },
}

/// What a source returns: the messages in display order, and notes for stderr.
#[derive(Debug, Default)]
pub struct Fetched {
    pub records: Vec<Record>,
    /// Who "me" is, for mention highlighting (the logged-in or `--as` user).
    pub me: String,
    /// Lines for stderr (older messages exist, a key was missing, …).
    pub notes: Vec<String>,
}

/// Runs a query from the chosen source and prints the result.
pub fn execute(
    query: Query,
    source: &SourceArgs,
    output: &OutputArgs,
    global: &GlobalArgs,
) -> anyhow::Result<ExitCode> {
    let fetched = match &source.db {
        Some(path) => local::fetch(path, &query, source)?,
        None => remote::fetch(&query, source)?,
    };
    let printed = output::print(&query, &fetched, output.json, global)?;
    if printed == output::Printed::PipeClosed {
        return Ok(ExitCode::SUCCESS);
    }
    if !global.quiet {
        for note in &fetched.notes {
            eprintln!("chatify: {note}");
        }
    }
    if fetched.records.is_empty() {
        if !global.quiet && !output.json {
            eprintln!("chatify: {}", nothing_found(&query));
        }
        return Ok(ExitCode::from(EXIT_NOTHING_FOUND));
    }
    Ok(ExitCode::SUCCESS)
}

fn nothing_found(query: &Query) -> String {
    match query {
        Query::History {
            target: Target::Channel(channel),
            ..
        } => format!("no messages in #{channel} match"),
        Query::History {
            target: Target::Dm(peer),
            ..
        } => format!("no direct messages with {peer} match"),
        Query::Search { channel, .. } => format!("nothing in #{channel} matches the search"),
        Query::Rewind { channel, .. } => format!("#{channel} had no messages at that time"),
    }
}

/// The error for a sealed-channel search without a single searchable word.
pub fn no_searchable_words() -> &'static str {
    "the query has no searchable words: sealed channels match whole words of 2 or more \
     letters or digits (no prefixes or phrases)"
}

/// The error of a search that cannot be asked, in the words of the one-shot tools.
fn search_refused(
    channel: &str,
    refused: crate::client::reading::opening::SearchRefused,
) -> anyhow::Error {
    use crate::client::reading::opening::SearchRefused;
    match refused {
        SearchRefused::NoChannelKey { .. } => anyhow::anyhow!(secrets::passphrase_hint(channel)),
        SearchRefused::NoSearchableWords => anyhow::anyhow!(no_searchable_words()),
    }
}

/// The note printed when a channel's older history was purged (retention, `admin purge`).
pub fn retained_from_note(channel: &str, retained_from_ms: i64) -> String {
    let from = chrono::DateTime::from_timestamp_millis(retained_from_ms)
        .map(|time| time.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| retained_from_ms.to_string());
    format!("#{channel} keeps its history from {from}; older messages were purged")
}

/// The note printed when a page limit cut off older messages.
pub fn older_exist_note() -> String {
    "older messages exist; raise --limit or narrow with --since to see them".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_channels_and_dms() {
        assert_eq!(
            Target::parse("#General").unwrap(),
            Target::Channel("general".into())
        );
        assert_eq!(Target::parse("ops").unwrap(), Target::Channel("ops".into()));
        assert_eq!(Target::parse("@Bob").unwrap(), Target::Dm("Bob".into()));
        assert!(Target::parse("#no spaces").is_err());
        assert!(Target::parse("@").is_err());
        assert!(Target::channel_only("@bob", "search").is_err());
    }

    #[test]
    fn windows_refuse_inverted_ranges_and_bad_names() {
        let args = |since: &str, until: &str, from: Option<&str>| WindowArgs {
            since: Some(since.into()),
            until: Some(until.into()),
            from: from.map(str::to_string),
        };
        assert!(Window::resolve(&args("1h", "2h", None)).is_err());
        assert!(Window::resolve(&args("2h", "1h", Some("bad name"))).is_err());
        let window = Window::resolve(&args("2h", "1h", Some("bob"))).unwrap();
        assert_eq!(
            window.until_ms.unwrap() - window.since_ms.unwrap(),
            3_600_000
        );
        assert!(Window::resolve(&args("yesterday", "1h", None)).is_err());
    }
}
