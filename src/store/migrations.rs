//! Schema migrations: the append-only list of steps (SQL from `schema`, data back-fills as
//! rusqlite_migration hooks), applied by one function, one transaction per step, with
//! `PRAGMA user_version` and `schema_meta.schema_version` moved together inside each step.
//! Public: [`status`] and [`migrate`] (backup beside the file first, dry-run, progress), used by
//! `chatify migrate`; crate-internal: [`open_for_writing`], used by `Store::open`.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

use rusqlite::{Connection, Transaction};
use rusqlite_migration::{M, Migrations};

use super::backfill::{backfill_v2, backfill_v5};
use super::error::StoreError;
use super::files::{
    configure, create_private_dirs, create_private_file, open_read_write, write_backup,
};
use super::schema::{self, Probe};
use super::types::{Durability, StoreOptions};

/// The latest schema version this build supports (= the number of steps).
pub const SCHEMA_VERSION: u32 = 7;

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
    Step {
        version: 3,
        description: "addresses each account logged in from (the login throttle's known addresses)",
    },
    Step {
        version: 4,
        description: "governance: server admins, disabled accounts, channel settings, operators, invitations, bans, mutes, system lines",
    },
    Step {
        version: 5,
        description: "full-text index that forgets a deleted message's words at once (secure-delete), re-built from the live messages",
    },
    Step {
        version: 6,
        description: "full-text indexing in large steps off the ack path: how far the index is in step with the messages",
    },
    Step {
        version: 7,
        description: "one row per message: the current state of a channel message kept in its event row (messages becomes a view)",
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
    apply_steps(&mut conn, current, SCHEMA_VERSION, progress)?;
    Ok(report)
}

/// Creates a new database at an older schema `version` (1..=[`SCHEMA_VERSION`]) — for tests of
/// migrations and of `chatify migrate`, which need files as older chatify versions wrote them.
/// Refuses a path that already holds data.
pub fn create_at_version(path: &Path, version: u32) -> Result<(), StoreError> {
    if version == 0 || version > SCHEMA_VERSION {
        return Err(StoreError::MigrationFailed {
            version,
            reason: format!("this build knows schema versions 1 to {SCHEMA_VERSION}"),
        });
    }
    match schema::probe(path, SCHEMA_VERSION)? {
        Probe::Absent => create_private_file(path)?,
        Probe::Empty => {}
        Probe::Version(_) => {
            return Err(StoreError::io(
                format!("creating {}", path.display()),
                std::io::Error::from(std::io::ErrorKind::AlreadyExists),
            ));
        }
    }
    let mut conn = open_read_write(path)?;
    configure(&conn, Durability::Full)?;
    apply_steps(&mut conn, 0, version, &mut |_| {})
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
        apply_steps(&mut conn, current, SCHEMA_VERSION, &mut log_progress)?;
    }
    Ok(conn)
}

/// The migration list handed to rusqlite_migration. Data steps report rows through `sink`.
fn migration_list(sink: Sender<MigrateProgress>) -> Migrations<'static> {
    let sink_v5 = sink.clone();
    Migrations::new(vec![
        M::up(schema::V1_SQL).comment("v1: accounts, sessions, channels, events, messages"),
        M::up_with_hook(schema::V2_SQL, move |tx: &Transaction<'_>| {
            backfill_v2(tx, &sink)
        })
        .comment("v2: FTS5 and blind-token indexes, back-filled"),
        M::up(schema::V3_SQL).comment("v3: login addresses"),
        M::up(schema::V4_SQL).comment("v4: governance tables and channel settings"),
        M::up_with_hook(schema::V5_SQL, move |tx: &Transaction<'_>| {
            backfill_v5(tx, &sink_v5)
        })
        .comment("v5: secure-delete full-text index, re-built"),
        M::up(schema::V6_SQL).comment("v6: full-text index position (deferred indexing)"),
        M::up(schema::V7_SQL).comment("v7: one row per message (messages is a view of events)"),
    ])
}

fn pending_steps(current: u32) -> Vec<Step> {
    steps_between(current, SCHEMA_VERSION)
}

fn steps_between(current: u32, target: u32) -> Vec<Step> {
    STEPS
        .iter()
        .filter(|step| step.version > current && step.version <= target)
        .copied()
        .collect()
}

/// Applies the steps after `from` up to `to`, one transaction each, on a worker thread while this thread
/// forwards progress to the callback (the back-fill hook runs inside rusqlite_migration).
fn apply_steps(
    conn: &mut Connection,
    from: u32,
    to: u32,
    progress: &mut dyn FnMut(MigrateProgress),
) -> Result<(), StoreError> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || run_steps(conn, from, to, sender));
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
    to: u32,
    sink: Sender<MigrateProgress>,
) -> Result<(), StoreError> {
    let migrations = migration_list(sink.clone());
    for step in steps_between(from, to) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(conn: &Connection) -> (u32, String) {
        let user_version: u32 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .expect("user_version");
        let meta: String = conn
            .query_row(
                "SELECT value FROM schema_meta WHERE key = 'schema_version'",
                [],
                |row| row.get(0),
            )
            .expect("schema_meta");
        (user_version, meta)
    }

    #[test]
    fn the_step_list_is_consistent() {
        let (sender, _receiver) = std::sync::mpsc::channel();
        let list = migration_list(sender);
        list.validate().expect("every step applies in order");
        assert_eq!(STEPS.len(), SCHEMA_VERSION as usize);
        for (index, step) in STEPS.iter().enumerate() {
            assert_eq!(step.version as usize, index + 1);
        }
    }

    #[test]
    fn step_one_turns_an_empty_file_into_version_one_with_agreeing_versions() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("empty.db");
        std::fs::write(&path, b"").expect("empty file");
        assert_eq!(status(&path).expect("status").current, 0);
        let mut conn = open_read_write(&path).expect("open");
        apply_steps(&mut conn, 0, 1, &mut |_| {}).expect("step 1");
        assert_eq!(versions(&conn), (1, "1".to_string()));
        let fts: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'message_fts'",
                [],
                |row| row.get(0),
            )
            .expect("schema");
        assert_eq!(fts, 0, "version 1 has no search index yet");
        apply_steps(&mut conn, 1, 2, &mut |_| {}).expect("step 2");
        assert_eq!(versions(&conn), (2, "2".to_string()));
    }

    #[test]
    fn step_two_backfills_existing_rows() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("v1.db");
        create_at_version(&path, 1).expect("v1");
        let mut conn = open_read_write(&path).expect("open");
        conn.execute_batch(
            r#"INSERT INTO channels VALUES ('general', 'open', NULL, NULL, NULL, 'a', 1),
                   ('vault', 'sealed', 's', NULL, 'k', 'a', 1);
               INSERT INTO events VALUES
                   (1, 10, 'msg', '#general', 1, 'a', NULL, '{"c":"hello wörld"}'),
                   (2, 11, 'msg', '#vault', 1, 'a', NULL, '{"c":"x","enc":"xc20p1","idx":["t1"]}');
               INSERT INTO messages (id, scope, seq, ts, sender, c, enc) VALUES
                   (1, '#general', 1, 10, 'a', 'hello wörld', NULL),
                   (2, '#vault', 1, 11, 'a', 'x', 'xc20p1');"#,
        )
        .expect("v1 rows");
        let mut rows = Vec::new();
        apply_steps(&mut conn, 1, 2, &mut |event| {
            if let MigrateProgress::StepRows { done, total, .. } = event {
                rows.push((done, total));
            }
        })
        .expect("step 2");
        assert_eq!(rows, [(2, 2)]);
        let hits: i64 = conn
            .query_row(
                "SELECT rowid FROM message_fts WHERE message_fts MATCH 'c : world'",
                [],
                |row| row.get(0),
            )
            .expect("fts hit");
        assert_eq!(hits, 1);
        let token: (String, i64) = conn
            .query_row("SELECT token, msg_id FROM blind_tokens", [], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .expect("token");
        assert_eq!(token, ("t1".to_string(), 2));
    }

    #[test]
    fn a_failing_step_leaves_the_database_at_the_previous_version() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("broken.db");
        create_at_version(&path, 1).expect("v1");
        let conn = Connection::open(&path).expect("open");
        conn.execute_batch(
            r#"INSERT INTO channels VALUES ('vault', 'sealed', 's', NULL, 'k', 'a', 1);
               INSERT INTO events VALUES (1, 10, 'msg', '#vault', 1, 'a', NULL, 'not json');
               INSERT INTO messages (id, scope, seq, ts, sender, c) VALUES (1, '#vault', 1, 10, 'a', 'x');"#,
        )
        .expect("a malformed row");
        drop(conn);
        let options = MigrateOptions {
            backup: false,
            ..MigrateOptions::default()
        };
        let failed = migrate(&path, &options, &mut |_| {});
        assert!(matches!(
            failed,
            Err(StoreError::MigrationFailed { version: 2, ref reason }) if reason.contains("malformed")
        ));
        assert_eq!(status(&path).expect("status").current, 1);
        let conn = Connection::open(&path).expect("open");
        assert_eq!(versions(&conn), (1, "1".to_string()));
    }

    #[test]
    fn create_at_version_refuses_unknown_versions_and_existing_databases() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("x.db");
        assert!(create_at_version(&path, 0).is_err());
        assert!(create_at_version(&path, SCHEMA_VERSION + 1).is_err());
        create_at_version(&path, 1).expect("v1");
        assert!(create_at_version(&path, 1).is_err());
    }
}
