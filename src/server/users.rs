//! Which users a client learns about at login, in pages (issue 13, PROTOCOL.md §1 as built):
//! `ok.users` carries the first [`OK_USERS_LIMIT`] accounts sharing a channel with the user, by
//! name, `ok.users_more` says more follow, and the `users` request (added) returns the next page
//! after a name, or (with `u`) just one user, which is how a client learns a DM peer's key.
//! A login's cost and the `ok` frame's size — and so the write buffer every
//! connection keeps — no longer grow with the number of accounts in `general`.

use super::errors::Reject;
use super::presence::presence_of;
use super::server_state::{ServerSession, ServerState};
use crate::model::UserName;
use crate::proto::{ServerFrame, UserInfo, UsersFrame};
use crate::store::Account;

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
        .filter_map(|account| user_info(state, account))
        .collect();
    Ok((users, more))
}

/// An account as a `users` entry: its key and its presence.
fn user_info(state: &ServerState, account: Account) -> Option<UserInfo> {
    let name = UserName::parse(&account.name).ok()?;
    let (online, presence, text) = presence_of(state, &name);
    Some(UserInfo {
        u: account.name,
        pk: account.pk,
        online,
        state: presence,
        text,
        role: None,
        admin: false,
        muted_until: None,
    })
}

/// `users` with `u` (added): that one user if they share a channel with the asker (an empty
/// list otherwise, the same answer as for a name nobody has).
async fn one_sharing_user(
    state: &ServerState,
    user: &UserName,
    wanted: &str,
) -> Result<Vec<UserInfo>, Reject> {
    let wanted = UserName::parse(wanted)
        .map_err(|_| Reject::bad_frame("u must be a username"))?
        .to_string();
    let name = user.to_string();
    let account = state
        .store
        .read(move |reader| reader.user_sharing_channels(&name, &wanted))
        .await
        .map_err(Reject::from_store)?;
    Ok(account
        .and_then(|account| user_info(state, account))
        .into_iter()
        .collect())
}

/// `users` (added): the next page after `after` (from the start without it).
pub async fn handle_users(
    session: &ServerSession,
    request: UsersFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    if let Some(wanted) = request.u {
        if request.after.is_some() {
            return Err(Reject::bad_frame("u and after cannot be combined"));
        }
        let users = one_sharing_user(&session.state, &session.user, &wanted).await?;
        session.conn.send_frame(&ServerFrame::Users {
            users,
            more: false,
            rid,
        });
        return Ok(());
    }
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
