//! `chatify bridge`: the two-way Discord bridge. Glue only: reads the config file and the
//! secrets from the environment, then runs `bridge::discord::run_discord_bridge` until SIGINT or
//! SIGTERM. In a build without the `discord-bridge` feature the subcommand still exists and
//! says how to get a build that has it. The `discord_bot` binary runs this same entry.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::GlobalArgs;

/// Flags of `chatify bridge`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct Args {
    /// The bridge's config file (see docs/BRIDGE.md and bridge.example.toml).
    #[arg(long, short = 'c', value_name = "FILE", env = "CHATIFY_BRIDGE_CONFIG")]
    pub config: PathBuf,
    /// Only check the config file (and passphrase files), then exit.
    #[arg(long)]
    pub check: bool,
    /// Read the bridge account's password from the first line of this file.
    #[arg(long, value_name = "FILE", env = "CHATIFY_PASSWORD_FILE")]
    pub password_file: Option<PathBuf>,
}

const AFTER_HELP: &str = "\
Secrets come from the environment, never from the config file: DISCORD_TOKEN (the bot token),
and the bridge account's password from --password-file or CHATIFY_PASSWORD (needed only while no
saved session exists; after the first login the session token is kept 0600 in the config dir).
The server must mark the account as a bridge: chatify serve --bridge-account NAME.

Needs a build with the Discord bridge: cargo build --release --features discord-bridge
Environment: DISCORD_TOKEN, CHATIFY_PASSWORD, CHATIFY_CONFIG_DIR, CHATIFY_LOG.";

/// The message of a build without the bridge.
pub const NOT_BUILT: &str =
    "this chatify was built without the Discord bridge; build one that has it with
    cargo build --release --features discord-bridge
(or cargo install chatify --features discord-bridge), then run chatify bridge (or discord_bot)";

/// Runs `chatify bridge`.
#[cfg(not(feature = "discord-bridge"))]
pub fn run(_args: Args, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("{NOT_BUILT}")
}

/// Runs `chatify bridge`.
#[cfg(feature = "discord-bridge")]
pub fn run(args: Args, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    use zeroize::Zeroizing;

    use crate::bridge::config::load_config;

    let config = load_config(&args.config).map_err(anyhow::Error::new)?;
    if args.check {
        println!(
            "{}: ok ({} linked channels)",
            args.config.display(),
            config.links.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let token = std::env::var("DISCORD_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .context("set DISCORD_TOKEN to the Discord bot token")?;
    let password = match &args.password_file {
        Some(path) => Some(crate::client::repl::read_password_file(path)?),
        None => std::env::var("CHATIFY_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty())
            .map(Zeroizing::new),
    };
    let config_dir = crate::paths::config_dir()?;
    crate::paths::create_private_dir(&config_dir)?;
    let state_dir = config
        .state_dir
        .clone()
        .unwrap_or_else(|| config_dir.clone());
    let map_path = state_dir.join(format!("bridge-{}.db", config.account.to_ascii_lowercase()));
    let login = crate::bridge::ChatifyLogin {
        password,
        config_dir,
        weak_kdf_for_tests: crate::client::keys::weak_kdf_for_tests_from_env(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(crate::bridge::discord::run_discord_bridge(
        &config,
        token.trim().to_string(),
        login,
        map_path,
        super::shutdown_signal(),
    ))?;
    Ok(ExitCode::SUCCESS)
}
