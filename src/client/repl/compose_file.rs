//! The `$EDITOR` compose file (Ctrl-O): the one place the client writes message text to disk,
//! so it is kept short-lived. It lives in `<config dir>/compose/`, a 0700 directory, as
//! `compose-<pid>.txt` (0600 when created here); it is removed after every submitted or
//! cancelled line and, through the [`ComposeFile`] drop guard, when the REPL ends (also by a
//! panic). Leftovers of a run that was killed are swept at the next start (best effort: only
//! files of processes that are gone). Part of `client::repl`.

use std::path::{Path, PathBuf};

/// The directory under the config dir that holds compose files.
const COMPOSE_DIR: &str = "compose";

/// The compose file of this process; removing it on drop is the guard.
#[derive(Debug)]
pub struct ComposeFile {
    dir: PathBuf,
    path: PathBuf,
}

impl ComposeFile {
    /// Creates the private directory (0700), sweeps leftovers of dead runs, and an empty 0600
    /// compose file for this process.
    pub fn prepare(config_dir: &Path) -> anyhow::Result<ComposeFile> {
        // Where earlier versions kept it, beside the config files: never left there.
        let _ = std::fs::remove_file(config_dir.join("compose.txt"));
        let dir = config_dir.join(COMPOSE_DIR);
        crate::paths::create_private_dir(&dir)?;
        sweep_leftovers(&dir);
        let path = dir.join(format!("compose-{}.txt", std::process::id()));
        crate::paths::write_private_file(&path, b"")?;
        Ok(ComposeFile { dir, path })
    }

    /// Where `$EDITOR` edits.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the file (the line it held was submitted or cancelled); the next Ctrl-O writes
    /// a new one inside the private directory.
    pub fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Drop for ComposeFile {
    fn drop(&mut self) {
        self.remove();
        // Only succeeds when no other run's file is inside.
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Removes `compose-<pid>.txt` files whose process no longer runs (where that can be told).
fn sweep_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix("compose-"))
            .and_then(|rest| rest.strip_suffix(".txt"))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && process_is_gone(pid) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn process_is_gone(pid: u32) -> bool {
    let proc_root = Path::new("/proc");
    proc_root.join("self").exists() && !proc_root.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_5_compose_file_is_private_and_removed_by_the_guard() {
        let config = tempfile::tempdir().unwrap();
        let leftover_dir = config.path().join(COMPOSE_DIR);
        std::fs::create_dir_all(&leftover_dir).unwrap();
        // A run that was killed left its text behind (no process has pid u32::MAX - 1).
        let leftover = leftover_dir.join(format!("compose-{}.txt", u32::MAX - 1));
        std::fs::write(&leftover, "secret from a crashed run").unwrap();
        let compose = ComposeFile::prepare(config.path()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&leftover_dir), 0o700);
            assert_eq!(mode(compose.path()), 0o600);
            assert!(!leftover.exists(), "swept at start");
        }
        std::fs::write(compose.path(), "draft message").unwrap();
        compose.remove();
        assert!(!compose.path().exists(), "removed after a line");
        let path = compose.path().to_path_buf();
        std::fs::write(&path, "another draft").unwrap();
        drop(compose);
        assert!(!path.exists(), "removed by the guard");
        assert!(!leftover_dir.exists(), "the empty directory goes too");
    }
}
