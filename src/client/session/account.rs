//! Ending sessions from the client (PROTOCOL.md §11 `logout`, `sessions`, `revoke`,
//! `password`): requests on a logged-in [`Session`], and forgetting the saved token when this
//! session ends. Used by the REPL's `/logout`, `/sessions`, `/password` and by `chatify
//! logout`, `sessions` and `password`.

use super::{Session, tokens};
use crate::client::conn::ClientError;
use crate::proto::{
    ClientFrame, PasswordFrame, RevokeFrame, SecretString, ServerFrame, SessionInfo,
};

impl Session {
    /// Ends this session on the server (its token stops working everywhere), forgets the saved
    /// token and closes the session.
    pub async fn logout(&self) -> Result<(), ClientError> {
        let reply = self.request(ClientFrame::Logout {}).await;
        self.forget_saved_token();
        self.close();
        match reply? {
            ServerFrame::Logout { .. } => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    /// This account's sessions, most recently used first (`current` marks this one).
    pub async fn sessions(&self) -> Result<Vec<SessionInfo>, ClientError> {
        match self.request(ClientFrame::Sessions {}).await? {
            ServerFrame::Sessions { sessions, .. } => Ok(sessions),
            other => Err(unexpected(&other)),
        }
    }

    /// Ends one of this account's sessions by its id; its connections are closed.
    pub async fn revoke_session(&self, id: &str) -> Result<(), ClientError> {
        let frame = ClientFrame::Revoke(RevokeFrame { id: id.to_string() });
        match self.request(frame).await? {
            ServerFrame::Revoke { .. } => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    /// Changes the account password; every other session ends. Returns how many ended.
    pub async fn change_password(&self, current: &str, new: &str) -> Result<u64, ClientError> {
        let frame = ClientFrame::Password(PasswordFrame {
            pw: SecretString::new(current),
            new_pw: SecretString::new(new),
        });
        match self.request(frame).await? {
            ServerFrame::Password { revoked, .. } => Ok(revoked),
            other => Err(unexpected(&other)),
        }
    }

    /// Removes the saved token of this server and user (the session ended).
    pub(super) fn forget_saved_token(&self) {
        self.inner.forget_saved_token();
    }
}

impl super::Inner {
    pub(super) fn forget_saved_token(&self) {
        if let Some(dir) = &self.options.config_dir {
            tokens::forget_token(dir, &self.options.url, &self.options.user);
        }
    }
}

fn unexpected(frame: &ServerFrame) -> ClientError {
    ClientError::Unexpected(format!("{frame:?}").chars().take(120).collect())
}
