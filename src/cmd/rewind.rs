//! `chatify rewind` (being built; see the issue that owns it).

use std::process::ExitCode;

use crate::cli::GlobalArgs;

/// Flags of `chatify rewind`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `chatify rewind`.
pub fn run(_args: Args, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("chatify rewind is not built yet")
}
