//! `chatify logout`: ends the saved session of `chatify connect` on the server (the token stops
//! working everywhere, its open connections are closed) and deletes the saved token. Glue only.

use std::process::ExitCode;

use anyhow::Context;

use super::account::{AccountArgs, Credentials, runtime};
use crate::cli::GlobalArgs;

/// Flags of `chatify logout`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub account: AccountArgs,
}

/// Runs `chatify logout`.
pub fn run(args: Args, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let user = args.account.user()?.to_string();
    let server = args.account.server.clone();
    runtime()?.block_on(async {
        match args.account.log_in(Credentials::SavedSessionOnly).await? {
            None => println!("no saved session for {user} at {server}; nothing to log out"),
            Some((session, _events)) => {
                session.logout().await.context("logging out")?;
                println!("logged out {user} at {server}; that session token no longer works");
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
