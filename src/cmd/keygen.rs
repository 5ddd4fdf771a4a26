//! `chatify keygen` (being built; see the issue that owns it).

use std::process::ExitCode;

use crate::cli::GlobalArgs;

/// Flags of `chatify keygen`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `chatify keygen`.
pub fn run(_args: Args, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("chatify keygen is not built yet")
}
