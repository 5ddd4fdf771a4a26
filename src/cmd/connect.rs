//! `chatify connect`: the interactive, end-to-end encrypted client. Glue only: reads the flags
//! and environment (server, user, password sources, passphrase, colour), then hands over to
//! `client::repl`, which logs in and runs the REPL (or pipe mode when stdin is not a terminal).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use zeroize::Zeroizing;

use crate::cli::{ColorChoice, GlobalArgs};
use crate::client::{keys, repl};

/// Flags of `chatify connect`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct Args {
    /// Server address: ws://host:port, wss://host:port, or a bare host[:port] (ws://, port 8765 when none).
    /// Repeat it (or give a comma list) for the nodes of a cluster: the next is tried when one
    /// cannot be reached, at start and on every reconnect.
    #[arg(
        long,
        value_name = "URL",
        env = "CHATIFY_SERVER",
        value_delimiter = ',',
        default_value = "ws://127.0.0.1:8765"
    )]
    pub server: Vec<String>,
    /// Your username.
    #[arg(short, long, value_name = "NAME", env = "CHATIFY_USER")]
    pub user: Option<String>,
    /// Create the account (asks for the password twice in a terminal).
    #[arg(long)]
    pub register: bool,
    /// Read the password from the first line of this file instead of asking.
    #[arg(long, value_name = "FILE", env = "CHATIFY_PASSWORD_FILE")]
    pub password_file: Option<PathBuf>,
    /// The channel to start in (joined if you are not a member yet).
    #[arg(short, long, value_name = "#CHANNEL", env = "CHATIFY_CHANNEL")]
    pub channel: Option<String>,
    /// Show times with seconds (09:31:07) instead of minutes (09:31).
    #[arg(long, env = "CHATIFY_SECONDS")]
    pub seconds: bool,
    /// Make http(s) and mailto URLs in messages clickable (OSC 8 hyperlinks): auto = when stdout
    /// is a terminal and TERM is set and not "dumb".
    #[arg(
        long,
        value_name = "WHEN",
        value_enum,
        env = "CHATIFY_LINKS",
        default_value = "auto"
    )]
    pub links: ColorChoice,
    #[command(flatten)]
    pub transport: crate::cli::TransportArgs,
}

const AFTER_HELP: &str = "\
Password: --password-file, else $CHATIFY_PASSWORD, else a prompt with echo off. After the first
login the session token is saved (0600) in the config dir and later runs need no password.

When stdin is not a terminal (pipe mode), every input line is one command or message, executed
in order, and every event is printed as one plain line on stdout; end of input quits. A sealed
channel's passphrase then comes from $CHATIFY_PASSPHRASE, or else from the next input line after
the /join that needs it:
    printf '/join #ops --sealed\\nmy passphrase\\nhello\\n' | chatify connect --user alice
Use --sealed in scripts: the join is then refused if the channel turns out open. After a plain
/join that finds an open channel, the next plain line is held back (it may be a passphrase).

Environment: CHATIFY_SERVER, CHATIFY_USER, CHATIFY_PASSWORD, CHATIFY_PASSPHRASE,
CHATIFY_CONFIG_DIR (state dir), CHATIFY_KEY_FILE (identity key), CHATIFY_SECONDS (true: like
--seconds), CHATIFY_LINKS (auto|always|never: like --links), TERM (dumb: no links), NO_COLOR.
Test builds only (cargo feature test-weak-kdf): CHATIFY_TEST_WEAK_KDF=1 makes sealed channels
with tiny Argon2 parameters; other builds ignore it.";

/// Runs `chatify connect`.
pub fn run(args: Args, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let Some(user) = args.user.clone() else {
        anyhow::bail!("who are you? pass --user NAME (or set CHATIFY_USER)");
    };
    crate::proto::validate_username(&user).map_err(|error| anyhow::anyhow!("{user:?}: {error}"))?;
    let channel = match &args.channel {
        Some(name) => Some(
            crate::proto::normalize_channel(name)
                .map_err(|error| anyhow::anyhow!("{name:?}: {error}"))?,
        ),
        None => None,
    };
    let password = match &args.password_file {
        Some(path) => Some(repl::read_password_file(path)?),
        None => env_secret("CHATIFY_PASSWORD"),
    };
    let config_dir = crate::paths::config_dir()?;
    let mut servers = args.server.into_iter().filter(|url| !url.trim().is_empty());
    let Some(server) = servers.next() else {
        anyhow::bail!("--server needs an address (ws://host:port)");
    };
    let config = repl::ReplConfig {
        server,
        fallback_servers: servers.collect(),
        user,
        register: args.register,
        password,
        channel,
        security: args.transport.security(&config_dir),
        config_dir,
        color: global.use_color(std::io::stdout().is_terminal()),
        seconds: args.seconds,
        links: use_links(args.links, std::io::stdout().is_terminal()),
        interactive: std::io::stdin().is_terminal(),
        preset_passphrase: env_secret("CHATIFY_PASSPHRASE"),
        weak_kdf_for_tests: keys::weak_kdf_for_tests_from_env(),
    };
    repl::run(config)
}

/// Whether URLs become OSC 8 hyperlinks: `auto` only on a terminal whose TERM is set and not
/// `dumb` (terminals without OSC 8 support ignore the sequence; a dumb one would print it).
fn use_links(choice: ColorChoice, stdout_is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let term = std::env::var("TERM").unwrap_or_default();
            stdout_is_terminal && !term.is_empty() && term != "dumb"
        }
    }
}

fn env_secret(name: &str) -> Option<Zeroizing<String>> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.is_empty())
        .map(Zeroizing::new)
}
