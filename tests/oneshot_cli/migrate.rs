//! `chatify migrate`: every older schema version upgraded after a backup with the data kept,
//! `--status` and `--dry-run`, the database found through `CHATIFY_DB`, an empty file, a newer
//! database refused byte-identical, and files that are not chatify databases explained.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chatify::store::{Store, StoreOptions, migrations};

use crate::{Cli, texts};

/// Rows as a version-1 chatify wrote them (accounts, a channel, messages with an edit and a
/// deletion), inserted with plain SQL because the store API always writes the latest schema;
/// the columns are named, so later versions' added columns take their defaults.
fn fill_v1(path: &Path) {
    let conn = rusqlite::Connection::open(path).expect("open v1 database");
    conn.execute_batch(
        r#"
        INSERT INTO accounts (name, password_phc, pk, created_ms)
            VALUES ('alice', '$argon2id$a', NULL, 1000), ('Bob', '$argon2id$b', NULL, 1000);
        INSERT INTO channels (name, mode, salt, kdf, kcv, created_by, created_ms)
            VALUES ('general', 'open', NULL, NULL, NULL, 'alice', 1000);
        INSERT INTO memberships VALUES ('general', 'alice', 1000), ('general', 'Bob', 1000);
        INSERT INTO events VALUES
            (1, 1764000000000, 'msg', '#general', 1, 'alice', NULL, '{"c":"migrated deploy notes"}'),
            (2, 1764000001000, 'msg', '#general', 2, 'Bob', NULL, '{"c":"doomed words"}'),
            (3, 1764000002000, 'edit', '#general', 3, 'alice', 1, '{"c":"migrated rollback notes"}'),
            (4, 1764000003000, 'delete', '#general', 4, 'Bob', 2, '{}'),
            (5, 1764000004000, 'msg', '#general', 5, 'Bob', NULL, '{"c":"kept through the upgrade"}');
        INSERT INTO messages (id, scope, seq, ts, sender, c, enc, reply_to, edited_ms, deleted, reacts) VALUES
            (1, '#general', 1, 1764000000000, 'alice', 'migrated rollback notes', NULL, NULL, 1764000002000, 0, NULL),
            (2, '#general', 2, 1764000001000, 'Bob', NULL, NULL, NULL, NULL, 1, NULL),
            (5, '#general', 5, 1764000004000, 'Bob', 'kept through the upgrade', NULL, NULL, NULL, 0, NULL);
        "#,
    )
    .expect("v1 rows");
}

/// A database at `version` with rows in it.
fn old_database(dir: &Path, version: u32) -> PathBuf {
    let path = dir.join(format!("v{version}.db"));
    migrations::create_at_version(&path, version).expect("old database");
    fill_v1(&path);
    if version >= 2 {
        index_v1_rows(&path);
    }
    path
}

/// From schema version 2 on, the rows of [`fill_v1`] are in the full-text index as chatify
/// writes them (`ch` is the channel's token: `ch` and the name's bytes in hex).
fn index_v1_rows(path: &Path) {
    let conn = rusqlite::Connection::open(path).expect("open database");
    conn.execute_batch(
        r#"
        INSERT INTO message_fts (rowid, c, ch) VALUES
            (1, 'migrated rollback notes', 'ch67656e6572616c'),
            (5, 'kept through the upgrade', 'ch67656e6572616c');
        "#,
    )
    .expect("v2 index rows");
}

fn backups_of(path: &Path) -> Vec<PathBuf> {
    let name = path
        .file_name()
        .expect("file name")
        .to_string_lossy()
        .to_string();
    let mut found: Vec<PathBuf> = std::fs::read_dir(path.parent().expect("parent"))
        .expect("list dir")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&format!("{name}.backup-v")))
        })
        .collect();
    found.sort();
    found
}

/// `--status` and `--dry-run` on a database at `version`: reported, nothing changed.
async fn assert_status_and_dry_run_leave_it_alone(config: &Path, path: &Path, version: u32) {
    let target = migrations::SCHEMA_VERSION;
    let db = path.to_str().expect("UTF-8 path");
    let status = Cli::new(config)
        .args(["migrate", "--db", db, "--status"])
        .run()
        .await;
    let out = status.assert_code(0).stdout();
    assert!(
        out.contains(&format!("schema version:    {version}\n")),
        "{out}"
    );
    assert!(
        out.contains(&format!("this chatify uses: {target}\n")),
        "{out}"
    );
    assert!(out.contains(&format!("step to v{target}")), "{out}");

    let before = std::fs::read(path).expect("read");
    let dry = Cli::new(config)
        .args(["migrate", "--db", db, "--dry-run"])
        .run()
        .await;
    let out = dry.assert_code(0).stdout();
    assert!(
        out.contains(&format!(
            "would migrate {db} from schema version {version} to {target}"
        )),
        "{out}"
    );
    assert!(out.contains("nothing was changed"), "{out}");
    assert_eq!(
        std::fs::read(path).expect("read"),
        before,
        "dry run leaves the file alone"
    );
    assert!(backups_of(path).is_empty(), "dry run writes no backup");
}

/// Before migrating, the read-only tools refuse with a hint.
async fn assert_read_tools_refuse_with_a_hint(config: &Path, db: &str) {
    let refused = Cli::new(config)
        .args(["history", "#general", "--db", db])
        .run()
        .await;
    refused.assert_code(2);
    assert!(
        refused.stderr().contains("chatify migrate --db"),
        "{}",
        refused.stderr()
    );
}

/// `migrate` writes one backup (the old file) and brings the database to the current version.
async fn assert_migrates_after_a_backup(config: &Path, path: &Path, version: u32) {
    let target = migrations::SCHEMA_VERSION;
    let db = path.to_str().expect("UTF-8 path");
    let run = Cli::new(config).args(["migrate", "--db", db]).run().await;
    let out = run.assert_code(0).stdout();
    assert!(out.contains("backup written: "), "{out}");
    assert!(
        out.contains(&format!("from schema version {version} to {target}")),
        "{out}"
    );
    let backups = backups_of(path);
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert!(out.contains(&backups[0].display().to_string()), "{out}");
    let backup_status = migrations::status(&backups[0]).expect("backup is a database");
    assert_eq!(backup_status.current, version, "the backup is the old file");
    assert_eq!(migrations::status(path).expect("status").current, target);
}

/// The data survived, and the new indexes were back-filled.
async fn assert_data_survived(config: &Path, db: &str) {
    let records = Cli::new(config)
        .args(["history", "#general", "--json", "--db", db])
        .run()
        .await
        .json();
    assert_eq!(
        texts(&records),
        [
            "migrated rollback notes",
            "<null>",
            "kept through the upgrade"
        ]
    );
    assert_eq!(records[1]["deleted"], true);
    let found = Cli::new(config)
        .args(["search", "#general", "rollback", "--json", "--db", db])
        .run()
        .await
        .json();
    assert_eq!(texts(&found), ["migrated rollback notes"]);
}

/// A second `migrate` has nothing to do and writes no new backup.
async fn assert_migrating_again_is_a_no_op(config: &Path, path: &Path) {
    let db = path.to_str().expect("UTF-8 path");
    let again = Cli::new(config).args(["migrate", "--db", db]).run().await;
    assert!(
        again.assert_code(0).stdout().contains("already up to date"),
        "{}",
        again.stdout()
    );
    assert_eq!(backups_of(path).len(), 1, "nothing to do: no new backup");
    let status = Cli::new(config)
        .args(["migrate", "--db", db, "--status"])
        .run()
        .await;
    assert!(status.assert_code(0).stdout().contains("up to date"));
}

#[tokio::test]
async fn migrate_upgrades_every_older_version_after_a_backup_keeping_the_data() {
    let target = migrations::SCHEMA_VERSION;
    assert!(
        target >= 2,
        "there is at least one older version to migrate from"
    );
    for version in 1..target {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("config");
        let path = old_database(dir.path(), version);
        let db = path.to_str().expect("UTF-8 path");
        assert_status_and_dry_run_leave_it_alone(&config, &path, version).await;
        assert_read_tools_refuse_with_a_hint(&config, db).await;
        assert_migrates_after_a_backup(&config, &path, version).await;
        assert_data_survived(&config, db).await;
        assert_migrating_again_is_a_no_op(&config, &path).await;
    }
}

#[tokio::test]
async fn migrate_finds_the_database_through_chatify_db_and_handles_an_empty_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = old_database(dir.path(), 1);
    let run = Cli::new(&dir.path().join("config"))
        .args(["migrate", "--status"])
        .env("CHATIFY_DB", &path)
        .run()
        .await;
    assert!(
        run.assert_code(0).stdout().contains("schema version:    1"),
        "{}",
        run.stdout()
    );

    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").expect("empty file");
    let status = Cli::new(&dir.path().join("config"))
        .args(["migrate", "--status", "--db"])
        .arg_path(&empty)
        .run()
        .await;
    assert!(
        status
            .assert_code(0)
            .stdout()
            .contains("0 (empty database)"),
        "{}",
        status.stdout()
    );
    Cli::new(&dir.path().join("config"))
        .args(["migrate", "--db"])
        .arg_path(&empty)
        .run()
        .await
        .assert_code(0);
    assert_eq!(
        migrations::status(&empty).expect("status").current,
        migrations::SCHEMA_VERSION
    );

    let both = Cli::new(&dir.path().join("config"))
        .args(["migrate", "--status", "--dry-run", "--db"])
        .arg_path(&empty)
        .run()
        .await;
    both.assert_code(2);
}

/// Marks a fresh latest-version database as written by a newer chatify.
fn make_newer(path: &Path, newer: u32) {
    let store = Store::open(path, StoreOptions::default()).expect("create");
    store.close();
    drop(store);
    let conn = rusqlite::Connection::open(path).expect("open");
    conn.execute(
        "UPDATE schema_meta SET value = ?1 WHERE key = 'schema_version'",
        [newer.to_string()],
    )
    .expect("bump schema_meta");
    conn.pragma_update(None, "user_version", newer)
        .expect("bump user_version");
    conn.pragma_update(None, "journal_mode", "DELETE")
        .expect("leave WAL");
    drop(conn);
}

fn dir_listing(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("list")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().to_string())
        .collect()
}

#[tokio::test]
async fn migrate_refuses_a_newer_database_and_leaves_it_byte_identical() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let path = data.join("future.db");
    let newer = migrations::SCHEMA_VERSION + 5;
    make_newer(&path, newer);
    let before = std::fs::read(&path).expect("read");
    let listing = dir_listing(&data);
    let expected = format!(
        "database schema version {newer} is newer than this chatify supports ({}); upgrade chatify",
        migrations::SCHEMA_VERSION
    );
    for args in [
        vec!["migrate"],
        vec!["migrate", "--dry-run"],
        vec!["migrate", "--status"],
        vec!["history", "#general"],
    ] {
        let run = Cli::new(&dir.path().join("config"))
            .args(&args)
            .args(["--db"])
            .arg_path(&path)
            .run()
            .await;
        run.assert_code(2);
        assert_eq!(
            run.stderr().trim_end(),
            format!("chatify: {expected}"),
            "{args:?}"
        );
        assert_eq!(
            std::fs::read(&path).expect("read"),
            before,
            "{args:?}: byte-identical"
        );
        assert_eq!(
            dir_listing(&data),
            listing,
            "{args:?}: no backup, WAL or journal files"
        );
    }
}

#[tokio::test]
async fn migrate_explains_files_that_are_not_chatify_databases() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config");
    let text = dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "this is not a database, just a long enough text file to have a header.\n".repeat(3),
    )
    .expect("text file");
    let foreign = dir.path().join("other.sqlite");
    rusqlite::Connection::open(&foreign)
        .and_then(|conn| {
            conn.execute_batch(
                "CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup');",
            )
        })
        .expect("foreign database");
    let cases = [
        (text.clone(), "not an SQLite database"),
        (foreign.clone(), "another program"),
        (dir.path().join("absent.db"), "no chatify database"),
    ];
    for (path, why) in cases {
        let before = std::fs::read(&path).ok();
        let run = Cli::new(&config)
            .args(["migrate", "--db"])
            .arg_path(&path)
            .run()
            .await;
        run.assert_code(2);
        assert!(
            run.stderr().contains(why),
            "{}: {}",
            path.display(),
            run.stderr()
        );
        assert!(!run.stderr().contains("panicked"));
        assert_eq!(
            std::fs::read(&path).ok(),
            before,
            "{} unchanged",
            path.display()
        );
    }
    assert!(backups_of(&text).is_empty() && backups_of(&foreign).is_empty());
}
