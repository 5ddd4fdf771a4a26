//! `/ignore` and `/unignore`: users whose messages, DMs, edits, reactions, typing, presence and
//! join/leave lines this client does not show (nothing is sent to the server; they are not
//! counted unread either). Names compare without case ([`UserName`]). The list is bounded
//! ([`IGNORED_MAX`]) and kept in the client's per-server state file, one JSON file per server
//! and user under `<config dir>/state/` (mode 0600, named by a hash like the session files), so
//! it survives a restart. Part of `client::app`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{App, lock};
use crate::model::UserName;
use crate::proto::ServerFrame;

/// The most users one can ignore.
pub const IGNORED_MAX: usize = 1000;

/// What the per-server state file holds.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ClientStateFile {
    #[serde(default)]
    ignored: Vec<UserName>,
}

/// The ignored users and where they are kept (no file: kept in memory only).
#[derive(Debug, Default)]
pub struct IgnoreList {
    path: Option<PathBuf>,
    names: BTreeSet<UserName>,
}

/// Why `/ignore` or `/unignore` changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum IgnoreError {
    #[error("{0:?} is not a valid username")]
    BadName(String),
    #[error("you already ignore {0}")]
    Already(String),
    #[error("you do not ignore {0}")]
    NotIgnored(String),
    #[error("you already ignore {IGNORED_MAX} users: /unignore someone first")]
    Full,
    #[error("that is you")]
    Myself,
}

/// The per-server state file of `user` at `server` in `config_dir`.
pub fn client_state_path(config_dir: &Path, server: &str, user: &str) -> PathBuf {
    let context = "chatify 2026-12 client state file name v1";
    let name = crate::client::tokens::per_server_file_name(context, server, user);
    config_dir.join("state").join(name)
}

impl IgnoreList {
    /// The list kept at `path` (empty when the file is missing or damaged; at most
    /// [`IGNORED_MAX`] names are read).
    pub fn load(path: PathBuf) -> IgnoreList {
        let saved: ClientStateFile = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        IgnoreList {
            path: Some(path),
            names: saved.ignored.into_iter().take(IGNORED_MAX).collect(),
        }
    }

    /// Whether `user` is ignored (any case).
    pub fn contains(&self, user: &str) -> bool {
        UserName::parse(user).is_ok_and(|name| self.names.contains(&name))
    }

    /// The ignored names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.names
            .iter()
            .map(|name| name.as_str().to_string())
            .collect()
    }

    fn add(&mut self, user: &str) -> Result<(), IgnoreError> {
        let name = UserName::parse(user).map_err(|_| IgnoreError::BadName(user.to_string()))?;
        if self.names.contains(&name) {
            return Err(IgnoreError::Already(user.to_string()));
        }
        if self.names.len() >= IGNORED_MAX {
            return Err(IgnoreError::Full);
        }
        self.names.insert(name);
        Ok(())
    }

    fn remove(&mut self, user: &str) -> Result<(), IgnoreError> {
        let name = UserName::parse(user).map_err(|_| IgnoreError::BadName(user.to_string()))?;
        if !self.names.remove(&name) {
            return Err(IgnoreError::NotIgnored(user.to_string()));
        }
        Ok(())
    }

    /// Writes the list to its file (0600); `Err` says why it could not.
    fn save(&self) -> Result<(), String> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let file = ClientStateFile {
            ignored: self.names.iter().cloned().collect(),
        };
        let text = serde_json::to_vec_pretty(&file).map_err(|error| error.to_string())?;
        crate::paths::write_private_file(path, &text).map_err(|error| format!("{error:#}"))
    }
}

/// The user a live frame comes from, for the frames `/ignore` hides.
pub fn frame_author(frame: &ServerFrame) -> Option<&str> {
    match frame {
        ServerFrame::Msg(event) if event.sys.is_none() => Some(&event.u),
        ServerFrame::Edit(event) => Some(&event.u),
        ServerFrame::React(event) => Some(&event.u),
        ServerFrame::Dm(event) => Some(&event.from),
        ServerFrame::DmEdit(event) => Some(&event.from),
        ServerFrame::DmReact(event) => Some(&event.from),
        ServerFrame::Typing { u, .. }
        | ServerFrame::Presence { u, .. }
        | ServerFrame::Member { u, .. } => Some(u),
        _ => None,
    }
}

impl App {
    /// Loads the ignore list from the state file of `server` (the first `--server`) in
    /// `config_dir`.
    pub fn load_ignore_list(&self, config_dir: &Path, server: &str) {
        let path = client_state_path(config_dir, server, &self.options.me);
        *lock(&self.ignored) = IgnoreList::load(path);
    }

    /// Whether `user` is ignored.
    pub(super) fn is_ignored(&self, user: &str) -> bool {
        lock(&self.ignored).contains(user)
    }

    /// `/ignore user`, or `/ignore` alone to list.
    pub(super) fn ignore(&self, user: Option<String>) {
        let Some(user) = user else {
            let names = lock(&self.ignored).names();
            return if names.is_empty() {
                self.notice("you ignore nobody (/ignore user hides someone)")
            } else {
                self.notice(format!("ignored: {}", names.join(", ")))
            };
        };
        if user.eq_ignore_ascii_case(&self.options.me) {
            return self.error(IgnoreError::Myself.to_string());
        }
        // Kept as the name is registered when we know the user (`/ignore CAROL` lists carol).
        let user = crate::client::events::known_user_names(&lock(&self.state))
            .into_iter()
            .find(|known| known.eq_ignore_ascii_case(&user))
            .unwrap_or(user);
        let saved = {
            let mut list = lock(&self.ignored);
            list.add(&user).map(|()| list.save())
        };
        match saved {
            Err(error) => self.error(error.to_string()),
            Ok(Ok(())) => self.notice(format!(
                "ignoring {user}: their messages, DMs, typing and presence are hidden here \
                 (/unignore {user} shows them again)"
            )),
            Ok(Err(why)) => self.error(format!(
                "ignoring {user} for this run only: the state file could not be written ({why})"
            )),
        }
    }

    /// `/unignore user`.
    pub(super) fn unignore(&self, user: &str) {
        let saved = {
            let mut list = lock(&self.ignored);
            list.remove(user).map(|()| list.save())
        };
        match saved {
            Err(error) => self.error(error.to_string()),
            Ok(Ok(())) => self.notice(format!("no longer ignoring {user}")),
            Ok(Err(why)) => self.error(format!(
                "no longer ignoring {user} for this run: the state file could not be written ({why})"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_case_insensitive_bounded_and_survives_a_reload() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = client_state_path(dir.path(), "ws://127.0.0.1:1/", "Alice");
        let mut list = IgnoreList::load(path.clone());
        list.add("Bob").expect("bob is ignored");
        assert!(matches!(list.add("BOB"), Err(IgnoreError::Already(_))));
        assert!(matches!(
            list.add("not a name"),
            Err(IgnoreError::BadName(_))
        ));
        list.save().expect("saved");
        let reloaded = IgnoreList::load(path.clone());
        assert!(reloaded.contains("bob") && reloaded.contains("BoB"));
        assert!(!reloaded.contains("carol"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("file").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let mut full = IgnoreList::default();
        for n in 0..IGNORED_MAX {
            full.add(&format!("user{n}")).expect("room left");
        }
        assert!(matches!(full.add("one-more"), Err(IgnoreError::Full)));
        assert!(full.remove("user7").is_ok());
        assert!(matches!(
            full.remove("user7"),
            Err(IgnoreError::NotIgnored(_))
        ));
    }
}
