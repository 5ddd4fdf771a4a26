//! `chatify password`: changes your account password on the server; every other session of
//! yours ends (their open connections are closed), this machine's saved session stays. The
//! current password comes from `--password-file`, `$CHATIFY_PASSWORD` or a prompt; the new one
//! from `--new-password-file`, `$CHATIFY_NEW_PASSWORD` or a prompt (twice). Glue only.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use zeroize::Zeroizing;

use super::account::{AccountArgs, runtime};
use crate::cli::GlobalArgs;

/// Flags of `chatify password`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub account: AccountArgs,
    /// Read the new password from this file (first line) instead of asking.
    #[arg(long, value_name = "PATH", env = "CHATIFY_NEW_PASSWORD_FILE")]
    pub new_password_file: Option<PathBuf>,
}

/// Runs `chatify password`.
pub fn run(args: Args, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let user = args.account.user()?.to_string();
    let current = args.account.password(&user)?;
    let new = new_password(&args, &user)?;
    runtime()?.block_on(async {
        let (session, _) = args.account.log_in_required().await?;
        let result = session.change_password(&current, &new).await;
        session.close();
        let revoked = result.context("changing the password")?;
        println!("password changed; {revoked} other session(s) ended");
        Ok(ExitCode::SUCCESS)
    })
}

fn new_password(args: &Args, user: &str) -> anyhow::Result<Zeroizing<String>> {
    if let Some(path) = &args.new_password_file {
        return crate::client::repl::read_password_file(path);
    }
    if let Some(value) = std::env::var("CHATIFY_NEW_PASSWORD")
        .ok()
        .filter(|value| !value.is_empty())
    {
        return Ok(Zeroizing::new(value));
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "no new password: pass --new-password-file or set CHATIFY_NEW_PASSWORD \
             (stdin is not a terminal)"
        );
    }
    crate::client::repl::prompt_password(&format!("new password for {user}"), true)
}
