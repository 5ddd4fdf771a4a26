//! Unit tests of `commit_thread`: gap-free seqs across rejected and failing requests, batch redo one
//! op per transaction, and commit-time failures turning every accepted op into `Unavailable`.

use std::sync::Mutex;

use super::*;
use crate::store::events::LoggedEvent;
use crate::store::requests::{AppendEvent, CreateAccount};
use crate::store::types::AppendOp;

type Outcomes = Arc<Mutex<Vec<Result<LoggedEvent, StoreError>>>>;

fn writer() -> (tempfile::TempDir, Connection, CommitCounters) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("writer.db");
    crate::store::migrations::create_at_version(&path, crate::store::SCHEMA_VERSION)
        .expect("schema");
    let mut conn = Connection::open(&path).expect("open");
    let mut counters = CommitCounters::new(0, Clock::from_fn(|| 1_000));
    let created = Arc::new(Mutex::new(None));
    let seen = created.clone();
    let account = Queued::boxed(
        CreateAccount {
            name: "alice".into(),
            password_phc: "phc".into(),
            pk: None,
            now_ms: 1,
        },
        Box::new(move |result| *seen.lock().expect("lock") = Some(result.is_ok())),
    );
    let mut batch = vec![account];
    super::commit_batch(&mut conn, &mut counters, &mut batch);
    batch.drain(..).for_each(|request| request.reply());
    assert_eq!(*created.lock().expect("lock"), Some(true));
    (dir, conn, counters)
}

/// Commits `ops` as one batch and returns each append's result, in order.
fn commit_batch(
    conn: &mut Connection,
    counters: &mut CommitCounters,
    ops: Vec<AppendOp>,
) -> Vec<Result<LoggedEvent, StoreError>> {
    let outcomes: Outcomes = Arc::default();
    let mut batch: Vec<Box<dyn QueuedWrite>> = ops
        .into_iter()
        .map(|op| {
            let outcomes = outcomes.clone();
            Queued::boxed(
                AppendEvent(op),
                Box::new(move |result| outcomes.lock().expect("lock").push(result)),
            )
        })
        .collect();
    super::commit_batch(conn, counters, &mut batch);
    batch.drain(..).for_each(|request| request.reply());
    std::mem::take(&mut *outcomes.lock().expect("lock"))
}

fn msg(sender: &str, text: &str) -> AppendOp {
    AppendOp::Msg {
        channel: "general".into(),
        sender: sender.into(),
        c: text.into(),
        enc: None,
        idx: Vec::new(),
        reply_to: None,
    }
}

fn seqs(results: &[Result<LoggedEvent, StoreError>]) -> Vec<Option<i64>> {
    results
        .iter()
        .map(|result| match result {
            Ok(event) => event.channel_seq(),
            _ => None,
        })
        .collect()
}

fn stored_seqs(conn: &Connection) -> Vec<i64> {
    let mut statement = conn
        .prepare("SELECT seq FROM events WHERE scope = '#general' ORDER BY id")
        .expect("query");
    statement
        .query_map([], |row| row.get(0))
        .expect("rows")
        .collect::<Result<Vec<i64>, _>>()
        .expect("seqs")
}

#[test]
fn a_failing_request_rolls_back_alone_and_gives_its_seq_back() {
    let (_dir, mut conn, mut counters) = writer();
    conn.execute_batch(
        "CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.c = 'boom'
         BEGIN SELECT RAISE(ABORT, 'boom'); END;",
    )
    .expect("trigger");
    let batch = vec![
        msg("alice", "one"),
        msg("alice", "boom"),
        msg("alice", "two"),
    ];
    let results = commit_batch(&mut conn, &mut counters, batch);
    assert_eq!(seqs(&results), [Some(1), None, Some(2)]);
    assert!(matches!(results[1], Err(StoreError::Sqlite(_))));
    assert_eq!(stored_seqs(&conn), [1, 2], "the failed event left no row");
}

#[test]
fn a_failed_commit_fails_the_batch_and_rolls_the_counters_back() {
    let (_dir, mut conn, mut counters) = writer();
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         CREATE TABLE parent (id INTEGER PRIMARY KEY);
         CREATE TABLE doom (x INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
         CREATE TRIGGER doom AFTER INSERT ON events WHEN NEW.sender = 'doom'
         BEGIN INSERT INTO doom VALUES (1); END;",
    )
    .expect("a commit-time failure");
    let first = commit_batch(&mut conn, &mut counters, vec![msg("alice", "kept")]);
    assert_eq!(seqs(&first), [Some(1)]);
    let batch = vec![msg("alice", "lost"), msg("doom", "fails at commit")];
    let results = commit_batch(&mut conn, &mut counters, batch);
    assert!(
        results
            .iter()
            .all(|result| matches!(result, Err(StoreError::Unavailable(_))))
    );
    assert_eq!(stored_seqs(&conn), [1]);
    let after = commit_batch(&mut conn, &mut counters, vec![msg("alice", "next")]);
    assert_eq!(seqs(&after), [Some(2)], "no gap after the failed batch");
    assert_eq!(stored_seqs(&conn), [1, 2]);
}

#[test]
fn rejections_do_not_take_a_seq() {
    let (_dir, mut conn, mut counters) = writer();
    let batch = vec![
        msg("alice", "one"),
        AppendOp::Delete {
            channel: "general".into(),
            sender: "alice".into(),
            target: 12_345,
        },
        msg("alice", "two"),
    ];
    let results = commit_batch(&mut conn, &mut counters, batch);
    assert_eq!(seqs(&results), [Some(1), None, Some(2)]);
    assert!(matches!(results[1], Err(StoreError::NoSuchMessage)));
}

#[test]
fn the_event_kinds_the_writer_stores_are_exactly_the_ones_the_schema_allows() {
    // The writer skips CHECK constraints, so `EventKind` must list what `events.kind` allows.
    let (_dir, conn, _counters) = writer();
    let sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'events'",
            [],
            |row| row.get(0),
        )
        .expect("events table");
    let list = sql
        .split_once("kind IN (")
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(list, _)| list)
        .expect("the CHECK on events.kind");
    let allowed: Vec<&str> = list
        .split(',')
        .map(|kind| kind.trim().trim_matches('\''))
        .collect();
    let written: Vec<&str> = crate::store::events::EventKind::ALL
        .iter()
        .map(|kind| kind.as_str())
        .collect();
    assert_eq!(written, allowed);
}
