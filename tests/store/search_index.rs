//! The full-text index kept in step off the ack path (issue 13, schema v6): the writer indexes
//! open-channel messages in steps of its own after `fts_progress.indexed_through`. A backlog a
//! crash left between a commit and its step is indexed when the store opens again; edits and
//! deletions of messages not indexed yet keep FTS5 consistent and leave no deleted text behind;
//! `Store::search` finds everything acked before it; a v5 database migrates with its index
//! position at its newest message.

use super::purge::{NO_IDLE_STEPS, fts_integrity_check};
use super::*;

/// The FTS `ch` token of a channel (`ch` + its name in hex), as the store writes it.
fn channel_token(channel: &str) -> String {
    let hex: String = channel.bytes().map(|byte| format!("{byte:02x}")).collect();
    format!("ch{hex}")
}

/// (index position, newest message id) of a database file, read with plain SQL.
fn position_and_newest(path: &Path) -> (i64, i64) {
    let conn = rusqlite::Connection::open(path).expect("open");
    conn.query_row(
        "SELECT (SELECT indexed_through FROM fts_progress), (SELECT max(id) FROM messages)",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .expect("position")
}

/// The ids `Store::search` finds in `ops` (read-your-writes), in id order.
async fn ids_searched(store: &Store, query: &str) -> Vec<i64> {
    let search = store.search(vec!["ops".into()], query.into(), SearchOptions::default());
    let found = tokio::time::timeout(WAIT, search)
        .await
        .expect("search in time")
        .expect("search");
    let mut ids: Vec<i64> = found.iter().map(|m| m.id).collect();
    ids.sort_unstable();
    ids
}

/// The ids a plain reader finds in `ops` (what the index holds now), in id order.
async fn ids_found(store: &Store, query: &str) -> Vec<i64> {
    let query = query.to_string();
    let mut ids: Vec<i64> = store
        .read(move |r| r.search(&["ops".into()], &query, &SearchOptions::default()))
        .await
        .expect("search")
        .iter()
        .map(|m| m.id)
        .collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn a_backlog_left_by_a_crash_is_indexed_when_the_store_opens_again() {
    let fx = Fixture::with(|options| options.search_index_idle_ms = NO_IDLE_STEPS);
    fx.users(&["alice"]).await;
    fx.channel("ops", ChannelMode::Open, &["alice"]).await;
    let mut ids = Vec::new();
    for n in 0..10 {
        ids.push(fx.msg("ops", "alice", &format!("early steady{n}")).await.id);
    }
    fx.store
        .bring_search_index_up_to_date()
        .await
        .expect("indexed");
    for n in 10..40 {
        ids.push(fx.msg("ops", "alice", &format!("late steady{n}")).await.id);
    }
    let edit = edit_op("ops", "alice", ids[20], "late rewritten20");
    fx.append(edit).await.expect("edit");
    fx.append(delete_op("ops", "alice", ids[30]))
        .await
        .expect("delete");
    // The process dies here: every append is committed (in the WAL), the step never ran.
    let crash = tempfile::tempdir().expect("temp dir");
    let copy = crash.path().join("crashed.db");
    std::fs::copy(&fx.path, &copy).expect("copy the database");
    let wal = |path: &Path| PathBuf::from(format!("{}-wal", path.display()));
    std::fs::copy(wal(&fx.path), wal(&copy)).expect("copy the WAL");
    let (position, newest) = position_and_newest(&copy);
    assert!(
        position < ids[10] && newest >= ids[39],
        "{position} {newest}"
    );

    let store = Store::open(&copy, StoreOptions::default()).expect("open after the crash");
    assert!(position_and_newest(&copy).0 >= newest, "caught up at open");
    let live: Vec<i64> = (10..40).filter(|n| *n != 30).map(|n| ids[n]).collect();
    assert_eq!(ids_found(&store, "late").await, live);
    assert_eq!(ids_found(&store, "early").await, ids[..10]);
    assert_eq!(ids_found(&store, "rewritten20").await, [ids[20]]);
    assert!(
        ids_found(&store, "steady20").await.is_empty(),
        "edited away"
    );
    assert!(ids_found(&store, "steady30").await.is_empty(), "deleted");
    store.close();
    fts_integrity_check(&copy);
    fx.store.close();
}

#[tokio::test]
async fn edits_and_deletions_before_the_index_step_keep_the_index_consistent() {
    let fx = Fixture::with(|options| options.search_index_idle_ms = NO_IDLE_STEPS);
    fx.users(&["alice"]).await;
    fx.channel("ops", ChannelMode::Open, &["alice"]).await;
    let first = fx.msg("ops", "alice", "apple banana").await.id;
    let doomed = fx.msg("ops", "alice", "xylophonequartz secret").await.id;
    let kept = fx.msg("ops", "alice", "cedar banana").await.id;
    fx.append(edit_op("ops", "alice", first, "cherry banana"))
        .await
        .expect("edit before indexing");
    fx.append(delete_op("ops", "alice", doomed))
        .await
        .expect("delete before indexing");
    assert!(
        ids_found(&fx.store, "banana").await.is_empty(),
        "nothing indexed yet"
    );
    let store = &fx.store;
    assert_eq!(
        ids_searched(store, "banana").await,
        [first, kept],
        "found once acked"
    );
    assert_eq!(ids_searched(store, "cherry").await, [first]);
    assert!(
        ids_searched(store, "apple").await.is_empty(),
        "the text before the edit"
    );
    assert!(
        ids_searched(store, "xylophonequartz").await.is_empty(),
        "deleted"
    );
    // Now indexed: the same changes go through FTS5's delete with the indexed text.
    fx.append(edit_op("ops", "alice", kept, "cedar plum"))
        .await
        .expect("edit after indexing");
    fx.append(delete_op("ops", "alice", first))
        .await
        .expect("delete after indexing");
    let newer = fx.msg("ops", "alice", "plum pie").await.id;
    assert_eq!(ids_searched(store, "plum").await, [kept, newer]);
    assert!(ids_searched(store, "banana").await.is_empty());
    fx.store.close();
    fts_integrity_check(&fx.path);
    let bytes = std::fs::read(&fx.path).expect("database bytes");
    let needle = b"xylophonequartz";
    assert!(
        !bytes.windows(needle.len()).any(|window| window == needle),
        "a message deleted before it was indexed leaves no text in the file"
    );
}

#[tokio::test]
async fn a_backlog_at_the_threshold_is_indexed_without_idle_time_or_a_search() {
    let fx = Fixture::with(|options| options.search_index_idle_ms = NO_IDLE_STEPS);
    fx.users(&["alice"]).await;
    fx.channel("ops", ChannelMode::Open, &["alice"]).await;
    // One at a time: the step that the commit reaching 2,048 behind triggers runs before the
    // writer takes the next append, so it is committed once that append is acked.
    let count = 2_100;
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        ids.push(fx.msg("ops", "alice", &format!("bulk unique{n}")).await.id);
    }
    assert_eq!(
        ids_found(&fx.store, "unique0").await,
        [ids[0]],
        "indexed by the writer on its own"
    );
    let last = format!("unique{}", count - 1);
    assert_eq!(ids_searched(&fx.store, &last).await, [ids[count - 1]]);
    fx.store.close();
    fts_integrity_check(&fx.path);
}

/// A v5 database as v5 left it: two open-channel messages indexed (one edited), a sealed one.
fn fill_v5(path: &Path) {
    let conn = rusqlite::Connection::open(path).expect("open v5 database");
    conn.execute_batch(
        r#"
        INSERT INTO accounts (name, password_phc, pk, created_ms) VALUES ('alice', '$argon2id$a', NULL, 1000);
        INSERT INTO channels (name, mode, created_by, created_ms) VALUES ('ops', 'open', 'alice', 1000);
        INSERT INTO memberships VALUES ('ops', 'alice', 1000);
        INSERT INTO events VALUES
            (1, 2000, 'msg', '#ops', 1, 'alice', NULL, '{"c":"migrated deploy notes"}'),
            (2, 2001, 'msg', '#ops', 2, 'alice', NULL, '{"c":"second rollout"}'),
            (3, 2002, 'edit', '#ops', 3, 'alice', 2, '{"c":"second rollback"}');
        INSERT INTO messages (id, scope, seq, ts, sender, c, edited_ms) VALUES
            (1, '#ops', 1, 2000, 'alice', 'migrated deploy notes', NULL),
            (2, '#ops', 2, 2001, 'alice', 'second rollback', 2002);
        "#,
    )
    .expect("v5 rows");
    let token = channel_token("ops");
    for (id, text) in [(1, "migrated deploy notes"), (2, "second rollback")] {
        conn.execute(
            "INSERT INTO message_fts (rowid, c, ch) VALUES (?1, ?2, ?3)",
            rusqlite::params![id, text, token],
        )
        .expect("indexed as v5 did");
    }
}

#[tokio::test]
async fn a_v5_database_migrates_with_its_index_in_step() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("v5.db");
    migrations::create_at_version(&path, 5).expect("v5 database");
    fill_v5(&path);
    let options = MigrateOptions {
        backup: false,
        ..MigrateOptions::default()
    };
    migrations::migrate(&path, &options, &mut |_| {}).expect("migrates to v6");
    assert_eq!(position_and_newest(&path), (2, 2), "the newest message");
    let store = Store::open(&path, StoreOptions::default()).expect("opens");
    assert_eq!(ids_searched(&store, "rollback").await, [2]);
    assert!(ids_searched(&store, "rollout").await.is_empty());
    // An edit of a migrated message removes the words it was indexed with.
    let edit = edit_op("ops", "alice", 2, "second hotfix");
    store.append_wait(edit).await.expect("edit");
    let newer = store
        .append_wait(msg_op("ops", "alice", "notes after migration"))
        .await
        .expect("msg")
        .id;
    assert!(ids_searched(&store, "rollback").await.is_empty());
    assert_eq!(ids_searched(&store, "hotfix").await, [2]);
    assert_eq!(ids_searched(&store, "notes").await, [1, newer]);
    store.close();
    fts_integrity_check(&path);
}
