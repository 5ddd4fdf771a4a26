//! Schema migrations: the append-only list of steps (SQL from `schema`, data back-fills as
//! rusqlite_migration hooks), applied by one function, one transaction per step, with
//! `PRAGMA user_version` and `schema_meta.schema_version` moved together inside each step.
//! Public: [`status`] and [`migrate`] (backup beside the file first, dry-run, progress), used by
//! `chatify migrate`; crate-internal: [`open_for_writing`], used by `Store::open`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

use rusqlite::{Connection, OpenFlags, Transaction};
use rusqlite_migration::{HookError, M, Migrations};

use super::error::StoreError;
use super::fts;
use super::rows::{EditPayload, MsgPayload};
use super::schema::{self, Probe};
use super::types::{Durability, StoreOptions};

/// The latest schema version this build supports (= the number of steps).
pub const SCHEMA_VERSION: u32 = 2;

/// One migration step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The schema version after the step.
    pub version: u32,
    pub description: &'static str,
}

/// Every step, in order. Append only: a released step is never edited.
pub const STEPS: &[Step] = &[
    Step {
        version: 1,
        description: "accounts, sessions, channels, memberships, read markers, event log, current messages",
    },
    Step {
        version: 2,
        description: "full-text index of open channels and blind-token index of sealed channels, back-filled from existing messages",
    },
];

/// Where a database stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    /// The schema version of the file (0 for an empty file).
    pub current: u32,
    /// The version this build migrates to.
    pub target: u32,
    /// The steps `migrate` would apply.
    pub pending: Vec<Step>,
}

/// Options of [`migrate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrateOptions {
    /// Report what would be done; change nothing.
    pub dry_run: bool,
    /// Write `<file>.backup-v<N>-<timestamp>` beside the file before the first step.
    pub backup: bool,
}

impl Default for MigrateOptions {
    fn default() -> Self {
        MigrateOptions {
            dry_run: false,
            backup: true,
        }
    }
}

/// Progress of [`migrate`], for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrateProgress {
    BackupStarted {
        path: PathBuf,
    },
    BackupPages {
        done: u64,
        total: u64,
    },
    BackupFinished {
        path: PathBuf,
    },
    StepStarted {
        version: u32,
        description: &'static str,
    },
    /// Rows back-filled so far by a data step.
    StepRows {
        version: u32,
        done: u64,
        total: u64,
    },
    StepFinished {
        version: u32,
    },
}

/// What [`migrate`] did (or, with `dry_run`, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrateReport {
    pub from: u32,
    pub to: u32,
    pub steps: Vec<Step>,
    pub backup: Option<PathBuf>,
    pub dry_run: bool,
}

/// The schema status of a database file, found read-only (the file is not modified).
pub fn status(path: &Path) -> Result<SchemaStatus, StoreError> {
    let current = match schema::probe(path, SCHEMA_VERSION)? {
        Probe::Absent => return Err(StoreError::NoDatabase(path.to_path_buf())),
        Probe::Empty => 0,
        Probe::Version(version) => version,
    };
    Ok(SchemaStatus {
        current,
        target: SCHEMA_VERSION,
        pending: pending_steps(current),
    })
}

/// Upgrades a database file to [`SCHEMA_VERSION`]: backup first (unless disabled), then one
/// transaction per step. A newer schema is refused and the file is left byte-identical.
pub fn migrate(
    path: &Path,
    options: &MigrateOptions,
    progress: &mut dyn FnMut(MigrateProgress),
) -> Result<MigrateReport, StoreError> {
    let SchemaStatus {
        current, pending, ..
    } = status(path)?;
    let mut report = MigrateReport {
        from: current,
        to: SCHEMA_VERSION,
        steps: pending,
        backup: None,
        dry_run: options.dry_run,
    };
    if options.dry_run || report.steps.is_empty() {
        if options.dry_run {
            report.to = current;
        }
        return Ok(report);
    }
    if options.backup && current > 0 {
        report.backup = Some(write_backup(path, current, progress)?);
    }
    let mut conn = open_read_write(path)?;
    configure(&conn, Durability::Full)?;
    apply_steps(&mut conn, current, progress)?;
    Ok(report)
}

/// Opens the write connection of `Store::open`: creates the file (mode 0600) and parent
/// directories if missing, refuses newer schemas untouched, migrates (or refuses with
/// `NeedsMigration`), and sets WAL, `synchronous` and the busy timeout.
pub(crate) fn open_for_writing(
    path: &Path,
    options: &StoreOptions,
) -> Result<Connection, StoreError> {
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        create_private_dirs(parent)?;
    }
    let current = match schema::probe(path, SCHEMA_VERSION)? {
        Probe::Absent => {
            create_private_file(path)?;
            0
        }
        Probe::Empty => 0,
        Probe::Version(version) => version,
    };
    let has_data = current > 0;
    if has_data && current < SCHEMA_VERSION {
        if !options.auto_migrate {
            return Err(StoreError::NeedsMigration {
                found: current,
                target: SCHEMA_VERSION,
                path: path.to_path_buf(),
            });
        }
        if options.backup_before_migrate {
            write_backup(path, current, &mut log_progress)?;
        }
    }
    let mut conn = open_read_write(path)?;
    configure(&conn, options.durability)?;
    if current < SCHEMA_VERSION {
        apply_steps(&mut conn, current, &mut log_progress)?;
    }
    Ok(conn)
}

/// The migration list handed to rusqlite_migration. Data steps report rows through `sink`.
fn migration_list(sink: Sender<MigrateProgress>) -> Migrations<'static> {
    Migrations::new(vec![
        M::up(schema::V1_SQL).comment("v1: accounts, sessions, channels, events, messages"),
        M::up_with_hook(schema::V2_SQL, move |tx: &Transaction<'_>| {
            backfill_v2(tx, &sink)
        })
        .comment("v2: FTS5 and blind-token indexes, back-filled"),
    ])
}

fn pending_steps(current: u32) -> Vec<Step> {
    STEPS
        .iter()
        .filter(|step| step.version > current)
        .copied()
        .collect()
}

/// Applies the steps after `from`, one transaction each, on a worker thread while this thread
/// forwards progress to the callback (the back-fill hook runs inside rusqlite_migration).
fn apply_steps(
    conn: &mut Connection,
    from: u32,
    progress: &mut dyn FnMut(MigrateProgress),
) -> Result<(), StoreError> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || run_steps(conn, from, sender));
        for event in receiver {
            progress(event);
        }
        worker.join().unwrap_or_else(|_| {
            Err(StoreError::MigrationFailed {
                version: from + 1,
                reason: "the migration thread stopped unexpectedly".into(),
            })
        })
    })
}

fn run_steps(
    conn: &mut Connection,
    from: u32,
    sink: Sender<MigrateProgress>,
) -> Result<(), StoreError> {
    let migrations = migration_list(sink.clone());
    for step in pending_steps(from) {
        let _ = sink.send(MigrateProgress::StepStarted {
            version: step.version,
            description: step.description,
        });
        migrations
            .to_version(conn, step.version as usize)
            .map_err(|error| StoreError::MigrationFailed {
                version: step.version,
                reason: describe_migration_error(&error),
            })?;
        let _ = sink.send(MigrateProgress::StepFinished {
            version: step.version,
        });
    }
    Ok(())
}

fn describe_migration_error(error: &rusqlite_migration::Error) -> String {
    match error {
        rusqlite_migration::Error::RusqliteError { err, .. } => err.to_string(),
        rusqlite_migration::Error::Hook(reason) => reason.clone(),
        other => other.to_string(),
    }
}

/// Rows per back-fill chunk (and per progress report).
const BACKFILL_CHUNK: i64 = 1000;

/// v2 data step: index every live message — open channels into FTS5, sealed channels' current
/// blind tokens (the latest edit's `idx`, else the message's own) into `blind_tokens`.
/// The SQL here is frozen with v2; later layouts get their own steps.
fn backfill_v2(tx: &Transaction<'_>, sink: &Sender<MigrateProgress>) -> Result<(), HookError> {
    let total: i64 = tx.query_row(
        "SELECT count(*) FROM messages WHERE deleted = 0",
        [],
        |row| row.get(0),
    )?;
    let mut sealed = std::collections::HashSet::new();
    {
        let mut statement = tx.prepare("SELECT name FROM channels WHERE mode = 'sealed'")?;
        for name in statement.query_map([], |row| row.get::<_, String>(0))? {
            sealed.insert(format!("#{}", name?));
        }
    }
    let mut chunk = tx.prepare(
        "SELECT id, scope, c FROM messages WHERE deleted = 0 AND id > ?1 ORDER BY id LIMIT ?2",
    )?;
    let mut fts_insert =
        tx.prepare("INSERT INTO message_fts (rowid, c, ch) VALUES (?1, ?2, ?3)")?;
    let mut token_insert = tx
        .prepare("INSERT OR IGNORE INTO blind_tokens (scope, token, msg_id) VALUES (?1, ?2, ?3)")?;
    let (mut after, mut done) = (0_i64, 0_u64);
    loop {
        let rows = chunk
            .query_map(rusqlite::params![after, BACKFILL_CHUNK], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<String>>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        for (id, scope, text) in &rows {
            if sealed.contains(scope) {
                for token in current_blind_tokens(tx, *id)? {
                    token_insert.execute(rusqlite::params![scope, token, id])?;
                }
            } else if let (Some(text), Some(channel)) = (text, scope.strip_prefix('#')) {
                fts_insert.execute(rusqlite::params![id, text, fts::channel_token(channel)])?;
            }
        }
        done += rows.len() as u64;
        let _ = sink.send(MigrateProgress::StepRows {
            version: 2,
            done,
            total: u64::try_from(total).unwrap_or(0),
        });
    }
    Ok(())
}

fn current_blind_tokens(tx: &Transaction<'_>, id: i64) -> Result<Vec<String>, HookError> {
    let malformed = |_| HookError::Hook(format!("event payload of message {id} is malformed"));
    let mut edits = tx.prepare_cached(
        "SELECT payload FROM events WHERE target = ?1 AND kind = 'edit' ORDER BY id DESC",
    )?;
    for payload in edits.query_map([id], |row| row.get::<_, String>(0))? {
        let edit: EditPayload = serde_json::from_str(&payload?).map_err(malformed)?;
        if let Some(tokens) = edit.idx {
            return Ok(tokens);
        }
    }
    let payload: String = tx
        .prepare_cached("SELECT payload FROM events WHERE id = ?1")?
        .query_row([id], |row| row.get(0))?;
    let message: MsgPayload = serde_json::from_str(&payload).map_err(malformed)?;
    Ok(message.idx.unwrap_or_default())
}

fn open_read_write(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    Connection::open_with_flags(path, flags)
        .map_err(|error| schema::classify_open_error(path, error))
}

/// WAL, `synchronous`, busy timeout, and a memory temp store.
fn configure(conn: &Connection, durability: Durability) -> Result<(), StoreError> {
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
    Ok(())
}

/// Copies the database (through SQLite's backup API, so a consistent snapshot including the
/// WAL) to `<file>.backup-v<version>-<UTC timestamp>`, mode 0600. Returns the backup's path.
fn write_backup(
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

fn log_progress(event: MigrateProgress) {
    match event {
        MigrateProgress::BackupFinished { path } => {
            tracing::info!(backup = %path.display(), "database backup written")
        }
        MigrateProgress::StepStarted {
            version,
            description,
        } => tracing::info!(version, description, "migrating database schema"),
        MigrateProgress::StepRows {
            version,
            done,
            total,
        } if done % 100_000 == 0 || done == total => {
            tracing::info!(version, done, total, "back-filling")
        }
        _ => {}
    }
}

fn create_private_dirs(dir: &Path) -> Result<(), StoreError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|error| StoreError::io(format!("creating {}", dir.display()), error))
}

fn create_private_file(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map(drop)
        .map_err(|error| StoreError::io(format!("creating {}", path.display()), error))
}
