//! `chatify connect` (being built; see the issue that owns it).

use std::process::ExitCode;

use crate::cli::GlobalArgs;

/// Flags of `chatify connect`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `chatify connect`.
pub fn run(_args: Args, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("chatify connect is not built yet")
}
