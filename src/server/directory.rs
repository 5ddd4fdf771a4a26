//! Discovery and live account administration (docs/PROTOCOL.md §11): `list` (a page of the
//! listed channels with topic and member count, by name; unlisted channels never appear) and
//! `admin` (a server admin disables, enables, disconnects an account or revokes its sessions;
//! the account's connections close at once with 1008). Every action is a store write, so on a
//! cluster node it travels through the shared log and every node closes the connections
//! (`fanout::apply_foreign_admin`).

use super::errors::Reject;
use super::governance::is_admin;
use super::server_state::{ServerSession, ServerState};
use crate::model::UserName;
use crate::proto::governance::{
    AdminAction, AdminFrame, AdminReply, LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT, ListFrame, ListPage,
    ListedChannel,
};
use crate::proto::{ErrorCode, ServerFrame};
use crate::store::AdminOp;

/// WebSocket close code for a connection ended by an admin (policy violation).
pub const CLOSE_ACCOUNT_ENDED: u16 = 1008;

/// `list`: listed channels named after `after`, by name, at most `limit`.
pub fn handle_list(session: &ServerSession, request: ListFrame, rid: Option<String>) {
    let limit = request
        .limit
        .unwrap_or(LIST_DEFAULT_LIMIT)
        .clamp(1, LIST_MAX_LIMIT) as usize;
    let after = request
        .after
        .map(|name| name.trim_start_matches('#').to_ascii_lowercase());
    let mut listed: Vec<ListedChannel> = session
        .state
        .registry
        .all_channels()
        .into_iter()
        .filter(|entry| {
            after
                .as_ref()
                .is_none_or(|after| entry.name.as_str() > after.as_str())
        })
        .filter_map(|entry| {
            let inner = entry.lock();
            inner.gov.listed.then(|| ListedChannel {
                ch: entry.name.clone(),
                mode: entry.mode,
                topic: inner.gov.topic.clone(),
                members: u32::try_from(inner.member_count()).unwrap_or(u32::MAX),
            })
        })
        .collect();
    listed.sort_by(|a, b| a.ch.cmp(&b.ch));
    let more = listed.len() > limit;
    listed.truncate(limit);
    session.conn.send_frame(&ServerFrame::List(ListPage {
        channels: listed,
        more,
        rid,
    }));
}

/// `admin`: a server admin's action on an account, effective at once.
pub async fn handle_admin(
    session: &ServerSession,
    request: AdminFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    if !is_admin(&session.state, &session.user).await? {
        return Err(Reject::new(
            ErrorCode::Forbidden,
            "only a server admin may do that",
        ));
    }
    let target = UserName::parse(&request.u).map_err(|_| Reject::no_such_user())?;
    let user = request.u.clone();
    let store_op = match request.action {
        AdminAction::Disable => AdminOp::SetDisabled {
            user,
            disabled: true,
        },
        AdminAction::Enable => AdminOp::SetDisabled {
            user,
            disabled: false,
        },
        AdminAction::RevokeSessions => AdminOp::RevokeSessions { user },
        // Nothing stored changes, but on a cluster node the write carries it to every node.
        AdminAction::Disconnect => AdminOp::Disconnect { user },
    };
    session
        .state
        .store
        .administer(store_op)
        .await
        .map_err(Reject::from_store)?;
    let closed = match request.action {
        AdminAction::Enable => 0,
        _ => close_connections_of(&session.state, &target, "ended by a server admin"),
    };
    tracing::info!(admin = %session.user, action = request.action.as_str(), "admin action");
    session.conn.send_frame(&ServerFrame::Admin(AdminReply {
        action: request.action,
        u: request.u,
        closed,
        rid,
    }));
    Ok(())
}

/// Closes every connection of `user` with 1008; returns how many.
pub fn close_connections_of(state: &ServerState, user: &UserName, reason: &'static str) -> u32 {
    let connections = state.registry.user_connections(user);
    for conn in &connections {
        conn.send_close(CLOSE_ACCOUNT_ENDED, reason);
    }
    u32::try_from(connections.len()).unwrap_or(u32::MAX)
}
