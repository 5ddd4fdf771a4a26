//! `chatify sessions`: lists your sessions on the server (id, created, last used, which one is
//! this machine's), or with `--revoke ID` ends one of them (its open connections are closed).
//! Glue only.

use std::process::ExitCode;

use anyhow::Context;

use super::account::{AccountArgs, runtime};
use crate::cli::GlobalArgs;
use crate::proto::SessionInfo;

/// Flags of `chatify sessions`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub account: AccountArgs,
    /// End the session with this id (from the list) instead of listing.
    #[arg(long, value_name = "ID")]
    pub revoke: Option<String>,
}

/// Runs `chatify sessions`.
pub fn run(args: Args, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let (session, _) = args.account.log_in_required().await?;
        let result = match &args.revoke {
            Some(id) => session
                .revoke_session(id)
                .await
                .map(|()| println!("revoked session {id}; its connections were closed")),
            None => session.sessions().await.map(|list| print_sessions(&list)),
        };
        session.close();
        result.context("asking the server")?;
        Ok(ExitCode::SUCCESS)
    })
}

fn print_sessions(sessions: &[SessionInfo]) {
    println!(
        "{:<16}  {:<17}  {:<17}",
        "ID", "CREATED (UTC)", "LAST USED (UTC)"
    );
    for session in sessions {
        let marker = if session.current { "  (this one)" } else { "" };
        println!(
            "{:<16}  {:<17}  {:<17}{marker}",
            session.id,
            utc_minute(session.created),
            utc_minute(session.last_used)
        );
    }
}

fn utc_minute(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|time| time.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| ms.to_string())
}
