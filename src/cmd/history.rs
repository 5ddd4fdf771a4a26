//! `chatify history` (being built; see the issue that owns it).

use std::process::ExitCode;

use crate::cli::GlobalArgs;

/// Flags of `chatify history`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `chatify history`.
pub fn run(_args: Args, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("chatify history is not built yet")
}
