//! `chatify admin --live`: the actions that matter while the server runs (disable, enable,
//! disconnect, revoke-sessions), sent as an `admin` frame through a server admin's session (the
//! saved session of `chatify connect`, else the password). The server ends the account's
//! connections at once and says how many it closed. Part of `cmd::admin`.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use super::Action;
use crate::proto::governance::{AdminAction, AdminFrame};
use crate::proto::{ClientFrame, ServerFrame};

/// How `--live` reaches the server: the same account flags as `chatify sessions`.
pub type LiveArgs = crate::cmd::account::AccountArgs;

/// Runs one live action.
pub fn run(args: &LiveArgs, action: &Action) -> anyhow::Result<ExitCode> {
    let (admin_action, target) = match action {
        Action::Disable { user } => (AdminAction::Disable, user),
        Action::Enable { user } => (AdminAction::Enable, user),
        Action::Disconnect { user } => (AdminAction::Disconnect, user),
        Action::RevokeSessions { user } => (AdminAction::RevokeSessions, user),
        _ => anyhow::bail!(
            "--live does disable, enable, disconnect and revoke-sessions; the other actions work on the database file (--db, with the server stopped)"
        ),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(send(args, admin_action, target));
    runtime.shutdown_timeout(Duration::from_millis(500));
    result.map(|()| ExitCode::SUCCESS)
}

async fn send(args: &LiveArgs, action: AdminAction, target: &str) -> anyhow::Result<()> {
    if args.user.is_none() {
        anyhow::bail!("--live needs --user (a server admin), or CHATIFY_USER");
    }
    let (session, _) = args.log_in_required().await?;
    let frame = ClientFrame::Admin(AdminFrame {
        action,
        u: target.to_string(),
    });
    let reply = session.request(frame).await;
    session.close();
    match reply.with_context(|| format!("{} {target}", action.as_str()))? {
        ServerFrame::Admin(reply) => {
            println!(
                "{} {}: closed {} connection(s)",
                done_verb(reply.action),
                reply.u,
                reply.closed
            );
            Ok(())
        }
        other => anyhow::bail!("unexpected reply from the server: {other:?}"),
    }
}

fn done_verb(action: AdminAction) -> &'static str {
    match action {
        AdminAction::Disable => "disabled",
        AdminAction::Enable => "enabled",
        AdminAction::Disconnect => "disconnected",
        AdminAction::RevokeSessions => "revoked the sessions of",
    }
}
