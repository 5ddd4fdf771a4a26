//! `chatify serve` (being built; see the issue that owns it).

use std::process::ExitCode;

use crate::cli::GlobalArgs;

/// Flags of `chatify serve`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `chatify serve`.
pub fn run(_args: Args, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("chatify serve is not built yet")
}
