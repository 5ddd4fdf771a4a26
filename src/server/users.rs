//! Which users a client learns about at login, in pages (issue 13, PROTOCOL.md §1 as built):
//! `ok.users` carries the first [`OK_USERS_LIMIT`] accounts sharing a channel with the user, by
//! name, `ok.users_more` says more follow, and the `users` request (added) returns the next page
//! after a name. A login's cost and the `ok` frame's size — and so the write buffer every
//! connection keeps — no longer grow with the number of accounts in `general`.

use super::errors::Reject;
use super::presence::presence_of;
use super::server_state::{ServerSession, ServerState};
use crate::model::UserName;
use crate::proto::{ServerFrame, UserInfo, UsersFrame};

/// Users listed in `ok` at most.
pub const OK_USERS_LIMIT: usize = 100;
/// Users in one `users` page at most (also the default).
pub const USERS_PAGE_MAX: usize = 200;

/// One page of the accounts sharing a channel with `user`, named after `after`, with their
/// keys and presence; and whether more follow.
pub async fn sharing_users_page(
    state: &ServerState,
    user: &UserName,
    after: Option<String>,
    limit: usize,
) -> Result<(Vec<UserInfo>, bool), Reject> {
    let name = user.to_string();
    let (accounts, more) = state
        .store
        .read(move |reader| reader.users_sharing_channels_page(&name, after.as_deref(), limit))
        .await
        .map_err(Reject::from_store)?;
    let users = accounts
        .into_iter()
        .filter_map(|account| Some((UserName::parse(&account.name).ok()?, account)))
        .map(|(name, account)| {
            let (online, presence, text) = presence_of(state, &name);
            UserInfo {
                u: account.name,
                pk: account.pk,
                online,
                state: presence,
                text,
                role: None,
                admin: false,
                muted_until: None,
            }
        })
        .collect();
    Ok((users, more))
}

/// `users` (added): the next page after `after` (from the start without it).
pub async fn handle_users(
    session: &ServerSession,
    request: UsersFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    let limit = request
        .limit
        .map_or(USERS_PAGE_MAX, |limit| limit as usize)
        .clamp(1, USERS_PAGE_MAX);
    let after = match request.after {
        Some(after) => Some(
            UserName::parse(&after)
                .map_err(|_| Reject::bad_frame("after must be a username"))?
                .to_string(),
        ),
        None => None,
    };
    let (users, more) = sharing_users_page(&session.state, &session.user, after, limit).await?;
    session
        .conn
        .send_frame(&ServerFrame::Users { users, more, rid });
    Ok(())
}
