//! Where chatify keeps its files: the server database in the platform data dir, the client's
//! identity key, session tokens, cached channel keys, trust store and REPL history in the config
//! dir. `CHATIFY_DATA_DIR` and `CHATIFY_CONFIG_DIR` override both (tests use them to isolate runs).

use std::path::PathBuf;

use anyhow::Context;

/// The directory for server data (`chatify.db`): `$CHATIFY_DATA_DIR`, else the platform data dir
/// (`~/.local/share/chatify` on Linux).
pub fn data_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("CHATIFY_DATA_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let dirs = directories::ProjectDirs::from("", "", "chatify")
        .context("finding the data directory (no home directory; set CHATIFY_DATA_DIR)")?;
    Ok(dirs.data_dir().to_path_buf())
}

/// The directory for client state: `$CHATIFY_CONFIG_DIR`, else the platform config dir
/// (`~/.config/chatify` on Linux).
pub fn config_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("CHATIFY_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let dirs = directories::ProjectDirs::from("", "", "chatify")
        .context("finding the config directory (no home directory; set CHATIFY_CONFIG_DIR)")?;
    Ok(dirs.config_dir().to_path_buf())
}

/// The default server database path: `<data dir>/chatify.db`.
pub fn default_db_path() -> anyhow::Result<PathBuf> {
    Ok(data_dir()?.join("chatify.db"))
}

/// Creates a directory (and parents) readable only by the owner.
pub fn create_private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("setting permissions of {}", dir.display()))?;
    }
    Ok(())
}

/// Writes a file readable and writable only by the owner (0600), atomically (temp file + rename).
pub fn write_private_file(path: &std::path::Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id()
    ));
    // A leftover temp file (a crash, or someone else's file) is never reused: its mode would
    // survive the rename. create_new also refuses to follow a planted symlink.
    match std::fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error).with_context(|| format!("removing {}", tmp.display())),
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    file.write_all(contents)
        .with_context(|| format!("writing {}", tmp.display()))?;
    file.sync_all()
        .with_context(|| format!("syncing {}", tmp.display()))?;
    drop(file);
    std::fs::rename(&tmp, path).with_context(|| format!("renaming into {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[cfg(unix)]
    #[test]
    fn a_leftover_world_readable_temp_file_does_not_widen_the_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("session");
        let tmp = dir
            .path()
            .join(format!(".session.tmp{}", std::process::id()));
        std::fs::write(&tmp, b"stale").expect("stale temp file");
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        super::write_private_file(&path, b"token").expect("write");
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(std::fs::read(&path).expect("read"), b"token");
    }
}
