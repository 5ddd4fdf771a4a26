//! `chatify migrate` (being built; see the issue that owns it).

use std::process::ExitCode;

use crate::cli::GlobalArgs;

/// Flags of `chatify migrate`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `chatify migrate`.
pub fn run(_args: Args, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("chatify migrate is not built yet")
}
