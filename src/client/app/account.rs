//! The account commands of the REPL: `/logout` (ends this session on the server, forgets the
//! saved token, quits), `/sessions` (lists them) and `/sessions revoke ID`, and `/password`
//! (asks the current and the new password; every other session ends). Part of `client::app`.

use super::{App, Flow};
use crate::client::command::SessionsAction;

impl App {
    pub(super) async fn logout(&self) -> Flow {
        match self.session.logout().await {
            Ok(()) => self.notice("logged out: this session's token no longer works anywhere"),
            Err(error) => self.error(format!("logging out failed: {error}")),
        }
        self.quitting
            .store(true, std::sync::atomic::Ordering::Release);
        self.session.close();
        Flow::Quit
    }

    pub(super) async fn sessions(&self, action: SessionsAction) {
        match action {
            SessionsAction::List => match self.session.sessions().await {
                Ok(sessions) => {
                    for session in sessions {
                        let marker = if session.current { " (this one)" } else { "" };
                        self.notice(format!(
                            "session {}: created {}, last used {}{marker}",
                            session.id,
                            minute(session.created),
                            minute(session.last_used)
                        ));
                    }
                }
                Err(error) => self.error(format!("listing sessions failed: {error}")),
            },
            SessionsAction::Revoke(id) => match self.session.revoke_session(&id).await {
                Ok(()) => self.notice(format!("revoked session {id}; its connections were closed")),
                Err(error) => self.error(format!("revoking {id} failed: {error}")),
            },
        }
    }

    pub(super) async fn change_password(&self) {
        let Some(current) = self.prompter.password("current password", false).await else {
            self.error("password not changed: no current password given");
            return;
        };
        let Some(new) = self.prompter.password("new password", true).await else {
            self.error("password not changed: no new password given");
            return;
        };
        match self.session.change_password(&current, &new).await {
            Ok(revoked) => self.notice(format!(
                "password changed; {revoked} other session(s) ended"
            )),
            Err(error) => self.error(format!("password not changed: {error}")),
        }
    }
}

fn minute(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|time| time.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| ms.to_string())
}
