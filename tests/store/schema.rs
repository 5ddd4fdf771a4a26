//! Schema handling: migrating a version-1 database with rows, automatic migration with a backup,
//! refusing newer schemas with the file byte-identical, and clear errors for foreign files.

use super::*;

/// Rows as chatify at schema version 1 wrote them (no FTS, no blind-token index yet).
fn fill_v1(path: &Path) {
    let conn = rusqlite::Connection::open(path).expect("open v1 database");
    conn.execute_batch(
        r#"
        INSERT INTO accounts VALUES ('alice', '$argon2id$a', 'cGtB', 1000), ('Bob', '$argon2id$b', NULL, 1000);
        INSERT INTO sessions VALUES (x'0101010101010101010101010101010101010101010101010101010101010101', 'alice', 1000, 1000);
        INSERT INTO channels VALUES ('general', 'open', NULL, NULL, NULL, 'alice', 1000),
            ('vault', 'sealed', 'c2FsdA==', '{"alg":"argon2id","m":65536,"t":3,"p":1}', 'a2N2', 'alice', 1000);
        INSERT INTO memberships VALUES ('general', 'alice', 1000), ('general', 'Bob', 1000), ('vault', 'alice', 1000);
        INSERT INTO events VALUES
            (1, 2000, 'msg', '#general', 1, 'alice', NULL, '{"c":"migrated deploy notes"}'),
            (2, 2001, 'msg', '#general', 2, 'Bob', NULL, '{"c":"doomed words"}'),
            (3, 2002, 'edit', '#general', 3, 'alice', 1, '{"c":"migrated rollback notes"}'),
            (4, 2003, 'delete', '#general', 4, 'Bob', 2, '{}'),
            (5, 2004, 'msg', '#vault', 1, 'alice', NULL, '{"c":"ZW5j","enc":"xc20p1","idx":["old1","old2"]}'),
            (6, 2005, 'edit', '#vault', 2, 'alice', 5, '{"c":"ZW5jMg==","enc":"xc20p1","idx":["new1","new2"]}'),
            (7, 2006, 'msg', '#vault', 3, 'alice', NULL, '{"c":"ZW5j","enc":"xc20p1","idx":["new2"]}'),
            (8, 2007, 'edit', '#vault', 4, 'alice', 7, '{"c":"ZW5jMw==","enc":"xc20p1"}'),
            (9, 2008, 'dm', '@alice:bob', 1, 'alice', NULL, '{"to":"Bob","c":"ZG0=","enc":"xc20p1"}');
        INSERT INTO messages (id, scope, seq, ts, sender, c, enc, reply_to, edited_ms, deleted, reacts) VALUES
            (1, '#general', 1, 2000, 'alice', 'migrated rollback notes', NULL, NULL, 2002, 0, NULL),
            (2, '#general', 2, 2001, 'Bob', NULL, NULL, NULL, NULL, 1, NULL),
            (5, '#vault', 1, 2004, 'alice', 'ZW5jMg==', 'xc20p1', NULL, 2005, 0, NULL),
            (7, '#vault', 3, 2006, 'alice', 'ZW5jMw==', 'xc20p1', NULL, 2007, 0, NULL);
        "#,
    )
    .expect("v1 rows");
}

#[test]
fn migrating_a_v1_database_with_rows_keeps_data_and_backfills_indexes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("old.db");
    migrations::create_at_version(&path, 1).expect("v1 database");
    fill_v1(&path);
    let status = migrations::status(&path).expect("status");
    assert_eq!(
        (status.current, status.target),
        (1, chatify::store::SCHEMA_VERSION)
    );
    assert_eq!(
        status.pending.iter().map(|s| s.version).collect::<Vec<_>>(),
        (2..=chatify::store::SCHEMA_VERSION).collect::<Vec<_>>()
    );

    // Refused without auto-migration, with a hint; nothing changes.
    let before = sha(&path);
    let refused = Store::open(
        &path,
        StoreOptions {
            auto_migrate: false,
            ..StoreOptions::default()
        },
    );
    let Err(
        error @ StoreError::NeedsMigration {
            found: 1,
            target: chatify::store::SCHEMA_VERSION,
            ..
        },
    ) = refused
    else {
        panic!("expected NeedsMigration");
    };
    assert!(error.to_string().contains("chatify migrate --db"));
    let dry = MigrateOptions {
        dry_run: true,
        ..MigrateOptions::default()
    };
    let report = migrations::migrate(&path, &dry, &mut |_| {
        panic!("a dry run reports no progress")
    })
    .expect("dry run");
    assert!(
        report.dry_run
            && report.steps.len() == chatify::store::SCHEMA_VERSION as usize - 1
            && report.backup.is_none()
    );
    assert_eq!(sha(&path), before, "dry run changes nothing");
    assert!(matches!(
        StoreReader::open(&path),
        Err(StoreError::NeedsMigration { .. })
    ));

    let mut events = Vec::new();
    let report = migrations::migrate(&path, &MigrateOptions::default(), &mut |e| events.push(e))
        .expect("migrate");
    assert_eq!(
        (report.from, report.to),
        (1, chatify::store::SCHEMA_VERSION)
    );
    let backup = report.backup.expect("a backup");
    assert!(
        backup
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("old.db.backup-v1-"))
    );
    assert_eq!(
        migrations::status(&backup).expect("backup status").current,
        1
    );
    assert!(events.contains(&MigrateProgress::StepStarted {
        version: 2,
        description: migrations::STEPS[1].description
    }));
    assert!(events.contains(&MigrateProgress::StepRows {
        version: 2,
        done: 3,
        total: 3
    }));
    assert!(events.contains(&MigrateProgress::StepFinished { version: 2 }));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, MigrateProgress::BackupFinished { .. }))
    );
    assert_eq!(
        migrations::status(&path).expect("status").current,
        chatify::store::SCHEMA_VERSION
    );
    let again = migrations::migrate(&path, &MigrateOptions::default(), &mut |_| {}).expect("no-op");
    assert!(again.steps.is_empty() && again.backup.is_none());

    let reader = StoreReader::open(&path).expect("current schema");
    assert_eq!(
        reader.schema_version().expect("version"),
        chatify::store::SCHEMA_VERSION
    );
    assert_eq!(
        reader.account("ALICE").expect("query").map(|a| a.pk),
        Some(Some("cGtB".into()))
    );
    assert_eq!(
        reader
            .session_user(&[1; 32], 1000)
            .expect("query")
            .as_deref(),
        Some("alice")
    );
    let general = reader.history("general", &query(10)).expect("history");
    assert_eq!(
        texts(&general.events),
        ["migrated rollback notes", "<deleted>"]
    );
    // v5 purged the text a deletion before it left in the log (issue 9 point 11).
    let raw = reader.history_after("general", 0, 10).expect("after");
    assert_eq!(
        raw.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    assert!(
        matches!(raw.events[1].body, EventBody::Purged { .. }),
        "{:?}",
        raw.events[1]
    );
    assert!(!format!("{:?}", raw.events).contains("doomed"));
    let all = vec!["general".to_string()];
    let found = reader
        .search(&all, "rollback", &SearchOptions::default())
        .expect("search");
    assert_eq!(found.iter().map(|m| m.id).collect::<Vec<_>>(), [1]);
    assert!(
        reader
            .search(&all, "deploy", &SearchOptions::default())
            .expect("search")
            .is_empty(),
        "edited away"
    );
    assert!(
        reader
            .search(&all, "doomed", &SearchOptions::default())
            .expect("search")
            .is_empty(),
        "deleted"
    );
    let blind = |tokens: &[&str]| {
        let tokens: Vec<String> = tokens.iter().map(|t| t.to_string()).collect();
        reader
            .search_blind("vault", &tokens, &SearchOptions::default())
            .expect("blind")
            .iter()
            .map(|m| m.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        blind(&["old1"]),
        Vec::<i64>::new(),
        "replaced by the edit's idx"
    );
    assert_eq!(blind(&["new1"]), [5]);
    assert_eq!(
        blind(&["new2"]),
        [7, 5],
        "an edit without idx keeps the message's tokens"
    );
    assert_eq!(
        reader
            .dm_history("bob", "alice", &query(5))
            .expect("dms")
            .events
            .len(),
        1
    );
    drop(reader);

    // The server opens it and carries on from the migrated counters.
    let store = Store::open(&path, StoreOptions::default()).expect("open migrated");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let appended = runtime
        .block_on(store.append_wait(msg_op("general", "Bob", "after migration")))
        .expect("append");
    assert_eq!(appended.channel_seq(), Some(5));
    assert!(appended.id > 9);
    store.close();
}

#[tokio::test]
async fn auto_migration_at_open_writes_a_backup_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("auto.db");
    migrations::create_at_version(&path, 1).expect("v1 database");
    fill_v1(&path);
    let store = Store::open(&path, StoreOptions::default()).expect("auto-migrated");
    let backups: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_name().to_string_lossy().contains(".backup-v1-"))
        .collect();
    assert_eq!(backups.len(), 1);
    let found = store
        .read(|r| {
            r.search(
                &["general".to_string()],
                "rollback",
                &SearchOptions::default(),
            )
        })
        .await
        .expect("search");
    assert_eq!(found.len(), 1);
    store.close();
}

/// A schema version one above what this build supports.
const NEWER: u32 = chatify::store::SCHEMA_VERSION + 1;

fn make_newer(path: &Path, by_meta: bool, by_user_version: bool, keep_wal_mode: bool) {
    let store = Store::open(path, StoreOptions::default()).expect("create");
    store.close();
    drop(store);
    let conn = rusqlite::Connection::open(path).expect("open");
    if by_meta {
        conn.execute(
            "UPDATE schema_meta SET value = ?1 WHERE key = 'schema_version'",
            [NEWER.to_string()],
        )
        .expect("bump meta");
    }
    if by_user_version {
        conn.pragma_update(None, "user_version", NEWER)
            .expect("bump user_version");
    }
    if !keep_wal_mode {
        conn.pragma_update(None, "journal_mode", "DELETE")
            .expect("leave WAL");
    }
    drop(conn);
    for suffix in ["-wal", "-shm"] {
        assert!(!sidecar(path, suffix).exists());
    }
}

#[test]
fn newer_schema_is_refused_and_the_file_stays_byte_identical() {
    let cases = [
        (true, true, false),
        (true, false, false),
        (false, true, false),
        (true, false, true),
        (false, true, true),
    ];
    for (by_meta, by_user_version, wal) in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("future.db");
        make_newer(&path, by_meta, by_user_version, wal);
        let before = sha(&path);
        let expected = format!(
            "database schema version {NEWER} is newer than this chatify supports ({}); upgrade chatify",
            chatify::store::SCHEMA_VERSION
        );
        let opened = Store::open(&path, StoreOptions::default());
        let Err(
            error @ StoreError::NewerSchema {
                found: NEWER,
                supported: chatify::store::SCHEMA_VERSION,
            },
        ) = opened
        else {
            panic!("expected NewerSchema for meta={by_meta} user_version={by_user_version}");
        };
        assert_eq!(error.to_string(), expected);
        let migrated = migrations::migrate(&path, &MigrateOptions::default(), &mut |_| {});
        assert_eq!(
            migrated.err().map(|e| e.to_string()),
            Some(expected.clone())
        );
        assert!(matches!(
            migrations::status(&path),
            Err(StoreError::NewerSchema { .. })
        ));
        assert!(matches!(
            StoreReader::open(&path),
            Err(StoreError::NewerSchema { .. })
        ));
        assert_eq!(sha(&path), before, "the database file is byte-identical");
        for suffix in ["-wal", "-shm", "-journal"] {
            assert!(
                !sidecar(&path, suffix).exists(),
                "no {suffix} file was created"
            );
        }
        let entries = std::fs::read_dir(dir.path()).expect("list").count();
        assert_eq!(entries, 1, "no backup or other file was written");
    }
}

#[test]
fn newer_schema_only_in_the_wal_is_still_refused_without_touching_the_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let live = dir.path().join("live.db");
    Store::open(&live, StoreOptions::default())
        .expect("create")
        .close();
    let conn = rusqlite::Connection::open(&live).expect("open");
    conn.pragma_update(None, "wal_autocheckpoint", 0)
        .expect("no checkpoints");
    conn.execute(
        "UPDATE schema_meta SET value = '9' WHERE key = 'schema_version'",
        [],
    )
    .expect("bump in the WAL");
    // Copy the files as a crash would leave them: the bump exists only in the -wal.
    let crashed = dir.path().join("crashed");
    std::fs::create_dir(&crashed).expect("dir");
    let path = crashed.join("live.db");
    std::fs::copy(&live, &path).expect("copy db");
    std::fs::copy(sidecar(&live, "-wal"), sidecar(&path, "-wal")).expect("copy wal");
    drop(conn);
    let (db_before, wal_before) = (sha(&path), sha(&sidecar(&path, "-wal")));
    let opened = Store::open(&path, StoreOptions::default());
    assert!(matches!(
        opened,
        Err(StoreError::NewerSchema {
            found: 9,
            supported: chatify::store::SCHEMA_VERSION
        })
    ));
    let migrated = migrations::migrate(&path, &MigrateOptions::default(), &mut |_| {});
    assert!(matches!(
        migrated,
        Err(StoreError::NewerSchema { found: 9, .. })
    ));
    assert_eq!(sha(&path), db_before, "main file byte-identical");
    assert_eq!(sha(&sidecar(&path, "-wal")), wal_before, "WAL untouched");
}

#[test]
fn files_that_are_not_chatify_databases_get_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "just some text, long enough to fill a header of one hundred bytes ........................").expect("write");
    let before = sha(&text);
    let Err(error) = Store::open(&text, StoreOptions::default()) else {
        panic!("a text file is not a database");
    };
    assert!(matches!(error, StoreError::NotChatify(_)));
    assert!(
        error.to_string().contains("is not an SQLite database"),
        "{error}"
    );
    assert!(error.to_string().contains("--db"), "{error}");
    assert!(matches!(
        StoreReader::open(&text),
        Err(StoreError::NotChatify(_))
    ));
    assert!(matches!(
        migrations::status(&text),
        Err(StoreError::NotChatify(_))
    ));
    assert_eq!(sha(&text), before);

    let short = dir.path().join("short.bin");
    std::fs::write(&short, b"SQLite").expect("write");
    assert!(matches!(
        Store::open(&short, StoreOptions::default()),
        Err(StoreError::NotChatify(_))
    ));

    let foreign = dir.path().join("other.sqlite");
    let conn = rusqlite::Connection::open(&foreign).expect("open");
    conn.execute_batch("CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup');")
        .expect("foreign");
    drop(conn);
    let before = sha(&foreign);
    let Err(error) = Store::open(&foreign, StoreOptions::default()) else {
        panic!("another program's database is not chatify's");
    };
    assert!(error.to_string().contains("another program"), "{error}");
    assert_eq!(sha(&foreign), before);

    assert!(matches!(
        StoreReader::open(&dir.path().join("missing.db")),
        Err(StoreError::NoDatabase(_))
    ));
    assert!(matches!(
        Store::open(dir.path(), StoreOptions::default()),
        Err(StoreError::NotChatify(_))
    ));
}

/// Rows as chatify at schema version 6 wrote them: an unedited message, an edited one (its
/// edit event beside it), a deleted one (text purged), a reaction, a system line and a sealed
/// message; nothing indexed for search yet.
fn fill_v6(path: &Path) {
    let conn = rusqlite::Connection::open(path).expect("open v6 database");
    conn.execute_batch(
        r#"
        INSERT INTO accounts VALUES ('alice', '$argon2id$a', 'cGtB', 1000, 0), ('Bob', '$argon2id$b', NULL, 1000, 0);
        INSERT INTO channels (name, mode, salt, kdf, kcv, created_by, created_ms) VALUES
            ('general', 'open', NULL, NULL, NULL, 'alice', 1000),
            ('vault', 'sealed', 'c2FsdA==', '{"alg":"argon2id","m":65536,"t":3,"p":1}', 'a2N2', 'alice', 1000);
        INSERT INTO memberships VALUES ('general', 'alice', 1000), ('general', 'Bob', 1000), ('vault', 'alice', 1000);
        INSERT INTO events VALUES
            (1, 2000, 'msg', '#general', 1, 'alice', NULL, '{"c":"unedited harbour words"}'),
            (2, 2001, 'msg', '#general', 2, 'Bob', NULL, '{"c":"first draft","reply_to":1}'),
            (3, 2002, 'edit', '#general', 3, 'Bob', 2, '{"c":"second draft"}'),
            (4, 2003, 'msg', '#general', 4, 'alice', NULL, '{"c":"","purged":true}'),
            (5, 2004, 'delete', '#general', 5, 'alice', 4, '{}'),
            (6, 2005, 'react', '#general', 6, 'Bob', 1, '{"emoji":"👍","on":true}'),
            (7, 2006, 'msg', '#general', 7, 'alice', NULL, '{"c":"kicked bob","sys":{"act":"kick","target":"bob"}}'),
            (8, 2007, 'msg', '#vault', 1, 'alice', NULL, '{"c":"ZW5j","enc":"xc20p1","idx":["tok"]}');
        INSERT INTO messages (id, scope, seq, ts, sender, c, enc, reply_to, edited_ms, deleted, reacts, sys) VALUES
            (1, '#general', 1, 2000, 'alice', 'unedited harbour words', NULL, NULL, NULL, 0, '{"👍":["Bob"]}', NULL),
            (2, '#general', 2, 2001, 'Bob', 'second draft', NULL, 1, 2002, 0, NULL, NULL),
            (4, '#general', 4, 2003, 'alice', NULL, NULL, NULL, NULL, 1, NULL, NULL),
            (7, '#general', 7, 2006, 'alice', 'kicked bob', NULL, NULL, NULL, 0, NULL, '{"act":"kick","target":"bob"}'),
            (8, '#vault', 1, 2007, 'alice', 'ZW5j', 'xc20p1', NULL, NULL, 0, NULL, NULL);
        INSERT INTO blind_tokens VALUES ('#vault', 'tok', 8);
        "#,
    )
    .expect("v6 rows");
}

#[tokio::test]
async fn migrating_a_v6_database_keeps_each_message_in_one_row_and_the_log_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("v6.db");
    migrations::create_at_version(&path, 6).expect("v6 database");
    fill_v6(&path);
    let status = migrations::status(&path).expect("status");
    assert_eq!(
        status.pending.iter().map(|s| s.version).collect::<Vec<_>>(),
        [7]
    );
    let store = Store::open(&path, StoreOptions::default()).expect("auto-migrates");
    let (page, log, sealed) = store
        .read(|reader| {
            Ok((
                reader.history("general", &query(10))?,
                reader.history_after("general", 0, 100)?,
                reader.history("vault", &query(10))?,
            ))
        })
        .await
        .expect("read");
    let hits = store
        .search(
            vec!["general".to_string()],
            "harbour".into(),
            SearchOptions::default(),
        )
        .await
        .expect("search");
    // The folded state came across: texts, the edit time, the deletion, reactions, sys.
    assert_eq!(
        texts(&page.events),
        [
            "unedited harbour words",
            "second draft",
            "<deleted>",
            "kicked bob"
        ]
    );
    let [unedited, edited, deleted, line] = &page.events[..] else {
        panic!("four messages: {:?}", page.events);
    };
    assert_eq!(
        unedited.reacts.as_ref().map(|r| r["👍"].clone()),
        Some(vec!["Bob".to_string()])
    );
    assert_eq!((edited.edited, edited.reply_to), (Some(2002), Some(1)));
    assert!(deleted.deleted && deleted.c.is_none());
    assert_eq!(
        line.sys.as_ref().map(|sys| sys.target.clone()),
        Some(Some("bob".to_string()))
    );
    assert_eq!(
        (
            sealed.events[0].c.as_deref(),
            sealed.events[0].enc.as_deref()
        ),
        (Some("ZW5j"), Some("xc20p1"))
    );
    // The log still says what was said first.
    let bodies: Vec<&EventBody> = log.events.iter().map(|event| &event.body).collect();
    assert!(matches!(bodies[1], EventBody::Msg { c, reply_to: Some(1), .. } if c == "first draft"));
    assert!(matches!(bodies[2], EventBody::Edit { c, target: 2, .. } if c == "second draft"));
    assert!(matches!(bodies[3], EventBody::Purged { .. }));
    assert!(matches!(bodies[6], EventBody::Sys { c, .. } if c == "kicked bob"));
    assert_eq!(hits.iter().map(|m| m.id).collect::<Vec<_>>(), [1]);

    // An edit after the upgrade keeps the unedited message's original text in its log row.
    store
        .append_wait(AppendOp::Edit {
            channel: "general".into(),
            sender: "alice".into(),
            target: 1,
            c: "rewritten".into(),
            enc: None,
            idx: None,
        })
        .await
        .expect("edit");
    let log = store
        .read(|reader| reader.history_after("general", 0, 1))
        .await
        .expect("log");
    assert!(
        matches!(&log.events[0].body, EventBody::Msg { c, .. } if c == "unedited harbour words")
    );
    store.close();
    drop(store);

    let conn = rusqlite::Connection::open(&path).expect("open");
    let kind: String = conn
        .query_row(
            "SELECT type FROM sqlite_schema WHERE name = 'messages'",
            [],
            |row| row.get(0),
        )
        .expect("messages");
    assert_eq!(
        kind, "view",
        "the current state is columns of the event rows"
    );
    let payloads: Vec<String> = conn
        .prepare("SELECT payload FROM events WHERE id IN (2, 7, 8) ORDER BY id")
        .expect("payloads")
        .query_map([], |row| row.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("payloads");
    assert_eq!(
        payloads,
        [
            r#"{"c":"first draft","reply_to":1}"#,
            "{}",
            r#"{"idx":["tok"]}"#
        ],
        "an edited message keeps its original; the others no longer copy the columns"
    );
}
