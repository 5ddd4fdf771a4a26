//! `chatify search` (being built; see the issue that owns it).

use std::process::ExitCode;

use crate::cli::GlobalArgs;

/// Flags of `chatify search`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `chatify search`.
pub fn run(_args: Args, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("chatify search is not built yet")
}
