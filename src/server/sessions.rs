//! Sessions that can end (PROTOCOL.md §11 additions `logout`, `sessions`, `revoke`, `password`):
//! the handlers, and `LiveSessions`, which knows the open connections of each session (by token
//! hash) so that ending a session also closes its live connections with 4001. A session is named
//! on the wire by a short id derived from its token hash, which logs nobody in.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use zeroize::Zeroizing;

use super::auth::{load_account, with_password_slot};
use super::errors::Reject;
use super::outbound::ConnHandle;
use super::password_gate::Lane;
use super::server_state::ServerSession;
use crate::proto::{ErrorCode, MIN_PASSWORD_CHARS, SecretString, ServerFrame, SessionInfo};

pub use crate::proto::CLOSE_SESSION_REVOKED;
const CLOSE_REASON_REVOKED: &str = "session revoked; log in again";
/// Most sessions listed in one `sessions` reply (the most recently used).
pub const SESSIONS_LIST_MAX: usize = 200;

/// Open connections per session, by token hash. Bounded by the connection limit: an entry lives
/// only while a connection of that session is open.
#[derive(Default)]
pub struct LiveSessions {
    connections: Mutex<HashMap<[u8; 32], Vec<Weak<ConnHandle>>>>,
}

impl LiveSessions {
    /// Records that `conn` is logged in with the session `token_hash`.
    pub fn attach(&self, token_hash: [u8; 32], conn: &Arc<ConnHandle>) {
        let mut map = self.lock();
        let entry = map.entry(token_hash).or_default();
        entry.retain(|weak| weak.strong_count() > 0);
        entry.push(Arc::downgrade(conn));
    }

    /// Forgets `conn_id` (its connection closed).
    pub fn detach(&self, token_hash: &[u8; 32], conn_id: u64) {
        let mut map = self.lock();
        if let Some(entry) = map.get_mut(token_hash) {
            entry.retain(|weak| weak.upgrade().is_some_and(|conn| conn.id != conn_id));
            if entry.is_empty() {
                map.remove(token_hash);
            }
        }
    }

    /// Closes every open connection of the session (4001), except `keep` (a connection id).
    pub fn close(&self, token_hash: &[u8; 32], keep: Option<u64>) {
        let connections = self.lock().remove(token_hash).unwrap_or_default();
        for conn in connections.iter().filter_map(Weak::upgrade) {
            if Some(conn.id) != keep {
                conn.send_close(CLOSE_SESSION_REVOKED, CLOSE_REASON_REVOKED);
            }
        }
    }

    /// Closes every open connection of `user` (4001) that is not of the session `keep`.
    pub fn close_user_except(&self, user: &str, keep: &[u8; 32]) {
        let mut map = self.lock();
        let mut ended = Vec::new();
        for (token_hash, connections) in map.iter() {
            let of_user = connections.iter().filter_map(Weak::upgrade).any(|conn| {
                conn.user()
                    .is_some_and(|name| name.as_str().eq_ignore_ascii_case(user))
            });
            if of_user && token_hash != keep {
                ended.push(*token_hash);
            }
        }
        for token_hash in ended {
            for conn in map.remove(&token_hash).unwrap_or_default() {
                if let Some(conn) = conn.upgrade() {
                    conn.send_close(CLOSE_SESSION_REVOKED, CLOSE_REASON_REVOKED);
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Vec<Weak<ConnHandle>>>> {
        self.connections
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The public id of a session: 16 hex characters derived from its token hash.
pub fn session_id(token_hash: &[u8; 32]) -> String {
    let derived = blake3::derive_key("chatify 2026-11 session id v1", token_hash);
    derived[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// `logout`: the session's token stops working, its other connections close with 4001, and
/// this one gets the reply and closes with 1000.
pub async fn handle_logout(session: &ServerSession, rid: Option<String>) -> Result<(), Reject> {
    let state = &session.state;
    state
        .store
        .delete_session(session.token_hash)
        .await
        .map_err(Reject::from_store)?;
    state
        .live_sessions
        .close(&session.token_hash, Some(session.conn.id));
    session.conn.send_frame(&ServerFrame::Logout { rid });
    session.conn.send_close(1000, "logged out");
    tracing::info!(conn = session.conn.id, user = %session.user, "logged out");
    Ok(())
}

/// `sessions`: the user's unexpired sessions, most recently used first.
pub async fn handle_sessions(session: &ServerSession, rid: Option<String>) -> Result<(), Reject> {
    let records = user_sessions(session).await?;
    let sessions = records
        .iter()
        .take(SESSIONS_LIST_MAX)
        .map(|record| SessionInfo {
            id: session_id(&record.token_hash),
            created: record.created_ms,
            last_used: record.last_used_ms,
            current: record.token_hash == session.token_hash,
        })
        .collect();
    session
        .conn
        .send_frame(&ServerFrame::Sessions { sessions, rid });
    Ok(())
}

/// `revoke`: ends one of the user's sessions by id and closes its connections (4001).
pub async fn handle_revoke(
    session: &ServerSession,
    id: String,
    rid: Option<String>,
) -> Result<(), Reject> {
    let records = user_sessions(session).await?;
    let Some(record) = records
        .iter()
        .find(|record| session_id(&record.token_hash) == id)
    else {
        return Err(Reject::new(
            ErrorCode::NoSuchSession,
            "no session of yours has that id; see sessions",
        ));
    };
    session
        .state
        .store
        .delete_session(record.token_hash)
        .await
        .map_err(Reject::from_store)?;
    session.conn.send_frame(&ServerFrame::Revoke { id, rid });
    session.state.live_sessions.close(&record.token_hash, None);
    Ok(())
}

/// `password`: checks the current password (throttled like a login), stores the new hash and
/// ends every other session of the user, closing their connections (4001).
pub async fn handle_password(
    session: &ServerSession,
    pw: SecretString,
    new_pw: SecretString,
    rid: Option<String>,
) -> Result<(), Reject> {
    let state = &session.state;
    let (current, new) = (
        Zeroizing::new(pw.into_inner()),
        Zeroizing::new(new_pw.into_inner()),
    );
    if new.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Reject::new(
            ErrorCode::WeakPassword,
            "a password needs at least 8 characters",
        ));
    }
    // Counted as a failed login before Argon2 runs, like a password login.
    let known =
        super::auth::is_login_address(state, session.user.as_str(), session.address).await?;
    let attempt = match state
        .throttle
        .begin_attempt(session.user.as_str(), session.address, known)
        .await
    {
        Ok(attempt) => attempt,
        Err(wait) => {
            return Err(Reject::new(
                ErrorCode::RateLimited,
                format!(
                    "too many failed logins; try again in {} s",
                    wait.as_secs().max(1)
                ),
            ));
        }
    };
    let account = load_account(state, session.user.as_str())
        .await?
        .ok_or_else(Reject::internal)?;
    let phc = account.password_phc;
    let verified = with_password_slot(state, Lane::Priority, move || {
        crate::crypto::verify_password(&current, &phc)
    })
    .await?;
    if !verified {
        return Err(Reject::new(ErrorCode::AuthFailed, "wrong current password"));
    }
    attempt.succeeded();
    let new_phc = with_password_slot(state, Lane::Priority, move || {
        crate::crypto::hash_password(&new)
    })
    .await?
    .map_err(|error| {
        tracing::error!(%error, "hashing a password failed");
        Reject::internal()
    })?;
    let revoked = state
        .store
        .change_password(session.user.as_str(), &new_phc, session.token_hash)
        .await
        .map_err(Reject::from_store)?;
    state
        .live_sessions
        .close_user_except(session.user.as_str(), &session.token_hash);
    tracing::info!(user = %session.user, revoked, "password changed");
    session.conn.send_frame(&ServerFrame::Password {
        revoked: u64::try_from(revoked).unwrap_or(u64::MAX),
        rid,
    });
    Ok(())
}

/// The asking user's unexpired sessions, most recently used first.
async fn user_sessions(
    session: &ServerSession,
) -> Result<Vec<crate::store::SessionRecord>, Reject> {
    let user = session.user.clone();
    let now = session.state.now_ms();
    session
        .state
        .store
        .read(move |reader| reader.user_sessions(user.as_str(), now))
        .await
        .map_err(Reject::from_store)
}

#[cfg(test)]
mod tests {
    #[test]
    fn session_ids_are_short_stable_and_not_the_hash() {
        let hash = [7u8; 32];
        let id = super::session_id(&hash);
        assert_eq!(id.len(), 16);
        assert_eq!(id, super::session_id(&hash));
        assert_ne!(id, super::session_id(&[8u8; 32]));
        assert!(!id.starts_with("0707"));
    }
}
