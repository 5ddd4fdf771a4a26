//! The clap definitions of the `chatify` command line, and nothing else: the top-level parser,
//! the global flags and the list of subcommands. Each subcommand's own flags live beside its
//! `run` in `src/cmd/<name>.rs`. Also used by the completions/man generator and its freshness test.

use clap::{Parser, Subcommand, ValueEnum};

use crate::cmd;

/// Terminal-first, self-hosted chat: server, end-to-end encrypted client and tools.
#[derive(Debug, Parser)]
#[command(name = "chatify", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand takes.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// More log output (-v info, -vv debug, -vvv trace); logs go to stderr.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// When to use colour; NO_COLOR in the environment means never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, env = "CHATIFY_COLOR")]
    pub color: ColorChoice,
}

/// How a client connects: the TLS trust and plain-`ws://` flags of `connect` and the one-shot
/// tools.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Transport security")]
pub struct TransportArgs {
    /// For wss://: trust only the CA certificates in this PEM file (a private CA) instead of the
    /// system roots; certificates are then never pinned on first use.
    #[arg(long, value_name = "PATH", env = "CHATIFY_CA_FILE")]
    pub ca_file: Option<std::path::PathBuf>,
    /// Send the password or session token over plain ws:// even to a host that is not this
    /// machine (anyone on the network can read them).
    #[arg(long, env = "CHATIFY_ALLOW_INSECURE")]
    pub allow_insecure: bool,
}

impl TransportArgs {
    /// The client's transport settings; certificate pins live in `config_dir`.
    pub fn security(&self, config_dir: &std::path::Path) -> crate::tls::ConnectSecurity {
        crate::tls::ConnectSecurity {
            ca_file: self.ca_file.clone(),
            pin_dir: Some(config_dir.to_path_buf()),
            allow_insecure: self.allow_insecure,
            notices: Default::default(),
        }
    }
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl GlobalArgs {
    /// Whether to colour output written to a stream that is (or is not) a terminal.
    pub fn use_color(&self, stream_is_terminal: bool) -> bool {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stream_is_terminal && !no_color,
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (WebSocket, SQLite event store).
    Serve(cmd::serve::Args),
    /// Interactive client: a line-mode REPL with end-to-end encryption.
    Connect(cmd::connect::Args),
    /// Print a channel's or DM's history.
    History(cmd::history::Args),
    /// Search a channel's messages.
    Search(cmd::search::Args),
    /// Show a channel as it stood at a moment in the past.
    Rewind(cmd::rewind::Args),
    /// Upgrade a database's schema in place (after writing a backup).
    Migrate(cmd::migrate::Args),
    /// Create or show your X25519 identity key.
    Keygen(cmd::keygen::Args),
    /// Administer accounts and channels: on the database file, or live through the server.
    Admin(cmd::admin::Args),
    /// End your saved session on the server and forget it here.
    Logout(cmd::logout::Args),
    /// List your sessions on the server, or end one (--revoke ID).
    Sessions(cmd::sessions::Args),
    /// Change your account password; every other session ends.
    Password(cmd::password::Args),
    /// Relay between Discord and chatify channels (needs the discord-bridge build feature).
    Bridge(cmd::bridge::Args),
}
