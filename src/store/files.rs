//! File-level helpers of the store: opening the read-write connection with WAL and the chosen
//! `synchronous`, writing a consistent backup beside the database (SQLite backup API), and
//! creating directories and files with private permissions. Used by `migrations` (and through it
//! by `Store::open`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::error::StoreError;
use super::migrations::MigrateProgress;
use super::schema;
use super::types::Durability;

pub(crate) fn open_read_write(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    Connection::open_with_flags(path, flags)
        .map_err(|error| schema::classify_open_error(path, error))
}

/// WAL, `synchronous`, busy timeout, a memory temp store, and `secure_delete` ON: deleted and
/// overwritten content (a deleted message's purged text, a purge's rows) is zeroed in the file,
/// freelist pages included (FAST would leave whole freed pages as they were; SECURITY.md).
pub(crate) fn configure(conn: &Connection, durability: Durability) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Unavailable(format!(
            "the database could not be switched to WAL mode (it is in {mode} mode)"
        )));
    }
    let synchronous = match durability {
        Durability::Full => "FULL",
        Durability::Normal => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", synchronous)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(())
}

/// Copies the database (through SQLite's backup API, so a consistent snapshot including the
/// WAL) to `<file>.backup-v<version>-<UTC timestamp>`, mode 0600. Returns the backup's path.
pub(crate) fn write_backup(
    path: &Path,
    version: u32,
    progress: &mut dyn FnMut(MigrateProgress),
) -> Result<PathBuf, StoreError> {
    let target = backup_path(path, version);
    create_private_file(&target)?;
    progress(MigrateProgress::BackupStarted {
        path: target.clone(),
    });
    let source = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|error| schema::classify_open_error(path, error))?;
    let mut destination = Connection::open(&target)?;
    {
        let backup = rusqlite::backup::Backup::new(&source, &mut destination)?;
        loop {
            let step = backup.step(1024)?;
            let state = backup.progress();
            let total = u64::try_from(state.pagecount).unwrap_or(0);
            let remaining = u64::try_from(state.remaining).unwrap_or(0);
            progress(MigrateProgress::BackupPages {
                done: total.saturating_sub(remaining),
                total,
            });
            match step {
                rusqlite::backup::StepResult::Done => break,
                rusqlite::backup::StepResult::More => {}
                _ => std::thread::sleep(std::time::Duration::from_millis(10)),
            }
        }
    }
    drop(destination);
    progress(MigrateProgress::BackupFinished {
        path: target.clone(),
    });
    Ok(target)
}

fn backup_path(path: &Path, version: u32) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let mut attempt = 1;
    loop {
        let mut name = OsString::from(path.as_os_str());
        name.push(format!(".backup-v{version}-{stamp}"));
        if attempt > 1 {
            name.push(format!("-{attempt}"));
        }
        let candidate = PathBuf::from(name);
        if !candidate.exists() {
            return candidate;
        }
        attempt += 1;
    }
}

pub(crate) fn create_private_dirs(dir: &Path) -> Result<(), StoreError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|error| StoreError::io(format!("creating {}", dir.display()), error))
}

pub(crate) fn create_private_file(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map(drop)
        .map_err(|error| StoreError::io(format!("creating {}", path.display()), error))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pragma(conn: &Connection, name: &str) -> String {
        conn.query_row(&format!("PRAGMA {name}"), [], |row| {
            row.get::<_, rusqlite::types::Value>(0)
        })
        .map(|value| match value {
            rusqlite::types::Value::Integer(n) => n.to_string(),
            rusqlite::types::Value::Text(text) => text,
            other => format!("{other:?}"),
        })
        .expect("pragma")
    }

    #[test]
    fn durability_maps_to_wal_and_synchronous() {
        let dir = tempfile::tempdir().expect("temp dir");
        for (durability, expected) in [(Durability::Full, "2"), (Durability::Normal, "1")] {
            let path = dir.path().join(format!("{durability:?}.db"));
            let conn = open_read_write(&path).expect("open");
            configure(&conn, durability).expect("configure");
            assert_eq!(pragma(&conn, "journal_mode"), "wal");
            assert_eq!(pragma(&conn, "synchronous"), expected, "{durability:?}");
            assert_eq!(
                pragma(&conn, "secure_delete"),
                "1",
                "deleted content is zeroed"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn private_files_and_directories_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let nested = dir.path().join("a").join("b");
        create_private_dirs(&nested).expect("dirs");
        let file = nested.join("chat.db");
        create_private_file(&file).expect("file");
        let mode = |path: &Path| {
            std::fs::metadata(path)
                .expect("metadata")
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode(&nested), 0o700);
        assert_eq!(mode(&file), 0o600);
        assert!(create_private_file(&file).is_err(), "never overwrites");
    }
}
