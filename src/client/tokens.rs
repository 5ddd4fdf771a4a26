//! Saved session tokens: one small JSON file per server and user under
//! `<config dir>/sessions/`, mode 0600, so later runs (and the one-shot tools) log in without a
//! password. The file name is a hash of the server URL and the lowercase username, so neither
//! leaks from a directory listing. Used by `client::session`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::conn::ClientError;

#[derive(Serialize, Deserialize)]
struct SavedSession {
    server: String,
    user: String,
    token: String,
}

/// The file that holds the token for `server` and `user`.
pub fn token_path(config_dir: &Path, server: &str, user: &str) -> PathBuf {
    let name = per_server_file_name("chatify 2026-11 session file name v1", server, user);
    config_dir.join("sessions").join(name)
}

/// `<hex>.json`: a file name for `server` and `user` (any case) that names neither, derived
/// under `context` (one per kind of file).
pub(crate) fn per_server_file_name(context: &str, server: &str, user: &str) -> String {
    let key = format!(
        "{}\n{}",
        server.trim_end_matches('/'),
        user.to_ascii_lowercase()
    );
    let digest = blake3::derive_key(context, key.as_bytes());
    let name: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("{name}.json")
}

/// The saved token for `server` and `user`, if any (a damaged file counts as none).
pub fn load_token(config_dir: &Path, server: &str, user: &str) -> Option<Zeroizing<String>> {
    let path = token_path(config_dir, server, user);
    let text = Zeroizing::new(std::fs::read_to_string(&path).ok()?);
    let saved: SavedSession = serde_json::from_str(&text).ok()?;
    let token = Zeroizing::new(saved.token);
    let same_user = saved.user.eq_ignore_ascii_case(user);
    let same_server = saved.server.trim_end_matches('/') == server.trim_end_matches('/');
    (same_user && same_server && !token.is_empty()).then_some(token)
}

/// Saves the token for `server` and `user` (0600, atomically).
pub fn save_token(
    config_dir: &Path,
    server: &str,
    user: &str,
    token: &str,
) -> Result<(), ClientError> {
    let path = token_path(config_dir, server, user);
    if let Some(dir) = path.parent() {
        crate::paths::create_private_dir(dir)
            .map_err(|error| ClientError::Storage(format!("{error:#}")))?;
    }
    let saved = SavedSession {
        server: server.to_string(),
        user: user.to_string(),
        token: token.to_string(),
    };
    let text = Zeroizing::new(
        serde_json::to_string(&saved).map_err(|error| ClientError::Storage(error.to_string()))?,
    );
    crate::paths::write_private_file(&path, text.as_bytes())
        .map_err(|error| ClientError::Storage(format!("saving the session: {error:#}")))
}

/// Removes a saved token (it expired or was refused).
pub fn forget_token(config_dir: &Path, server: &str, user: &str) {
    let _ = std::fs::remove_file(token_path(config_dir, server, user));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_privately_per_server_and_user() {
        let dir = tempfile::tempdir().expect("temp dir");
        let server = "ws://127.0.0.1:8765";
        assert!(load_token(dir.path(), server, "alice").is_none());
        save_token(dir.path(), server, "Alice", "tok-1").expect("saved");
        assert_eq!(
            load_token(dir.path(), server, "alice")
                .as_deref()
                .map(String::as_str),
            Some("tok-1")
        );
        assert_eq!(
            load_token(dir.path(), "ws://127.0.0.1:8765/", "ALICE")
                .as_deref()
                .map(String::as_str),
            Some("tok-1")
        );
        assert!(load_token(dir.path(), server, "bob").is_none());
        assert!(load_token(dir.path(), "ws://other:1", "alice").is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(token_path(dir.path(), server, "alice"))
                .expect("token file exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        forget_token(dir.path(), server, "alice");
        assert!(load_token(dir.path(), server, "alice").is_none());
    }
}
