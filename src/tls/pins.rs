//! Server certificates pinned on first use (as ssh's known_hosts): one small JSON file per server
//! (`host:port`) under `<config dir>/tls-pins/`, mode 0600, holding the SHA-256 fingerprint of
//! the certificate that server presented the first time. The file name is a hash of the server,
//! so a directory listing does not list the servers one talks to; error messages name the file
//! so a user who expected the change can remove it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::TlsError;

const PIN_DIR: &str = "tls-pins";
const MAX_PIN_FILE_BYTES: u64 = 4096;

#[derive(Serialize, Deserialize)]
struct PinFile {
    server: String,
    sha256: String,
}

/// The pin file for `server` (`host:port`, lowercase host).
pub fn pin_path(config_dir: &Path, server: &str) -> PathBuf {
    let digest = blake3::derive_key(
        "chatify 2026-11 tls pin file name v1",
        server.to_ascii_lowercase().as_bytes(),
    );
    let name: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    config_dir.join(PIN_DIR).join(format!("{name}.json"))
}

/// The pinned fingerprint for `server`, if any. A damaged or foreign file is an error: a pin
/// that cannot be read must never turn into a silent first use.
pub fn load_pin(config_dir: &Path, server: &str) -> Result<Option<String>, TlsError> {
    let path = pin_path(config_dir, server);
    let damaged = |reason: String| TlsError::File {
        path: path.clone(),
        reason,
    };
    let text = match std::fs::metadata(&path) {
        Ok(meta) if meta.len() > MAX_PIN_FILE_BYTES => {
            return Err(damaged("too large for a pin file".into()));
        }
        Ok(_) => std::fs::read_to_string(&path).map_err(|error| damaged(error.to_string()))?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(damaged(error.to_string())),
    };
    let pin: PinFile =
        serde_json::from_str(&text).map_err(|error| damaged(format!("not a pin file: {error}")))?;
    if !pin.server.eq_ignore_ascii_case(server) || !is_fingerprint(&pin.sha256) {
        return Err(damaged(format!("not a pin for {server}")));
    }
    Ok(Some(pin.sha256.to_ascii_uppercase()))
}

/// Pins `fingerprint` for `server` (0600, atomically). Returns the file written.
pub fn save_pin(config_dir: &Path, server: &str, fingerprint: &str) -> Result<PathBuf, TlsError> {
    let path = pin_path(config_dir, server);
    let save_error = |reason: String| TlsError::Save {
        path: path.clone(),
        reason,
    };
    if let Some(dir) = path.parent() {
        crate::paths::create_private_dir(dir).map_err(|error| save_error(format!("{error:#}")))?;
    }
    let pin = PinFile {
        server: server.to_ascii_lowercase(),
        sha256: fingerprint.to_string(),
    };
    let text = serde_json::to_string(&pin).map_err(|error| save_error(error.to_string()))?;
    crate::paths::write_private_file(&path, text.as_bytes())
        .map_err(|error| save_error(format!("{error:#}")))?;
    Ok(path)
}

fn is_fingerprint(text: &str) -> bool {
    text.len() == 32 * 3 - 1
        && text
            .split(':')
            .all(|pair| pair.len() == 2 && pair.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_round_trips_per_server_and_is_private() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fingerprint = crate::tls::certificate_fingerprint(b"cert");
        assert_eq!(
            load_pin(dir.path(), "chat.example:443").expect("reads"),
            None
        );
        let path = save_pin(dir.path(), "chat.example:443", &fingerprint).expect("saves");
        assert_eq!(
            load_pin(dir.path(), "CHAT.example:443").expect("reads"),
            Some(fingerprint)
        );
        assert_eq!(
            load_pin(dir.path(), "chat.example:8765").expect("reads"),
            None
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_damaged_pin_file_is_an_error_not_a_first_use() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = pin_path(dir.path(), "box:8765");
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, "{}").expect("write");
        assert!(load_pin(dir.path(), "box:8765").is_err());
    }
}
