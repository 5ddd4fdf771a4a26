//! The checkpoint thread copies the WAL into the database file when the writer has committed
//! enough, while the writing connection stays open (so SQLite's checkpoint on close cannot be
//! what copied it).

use super::*;

fn main_file_bytes(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

#[test]
fn enough_commits_get_the_wal_copied_into_the_database_file_by_the_thread() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("checkpoint.db");
    let writer = files::open_read_write(&path).expect("open");
    files::configure(&writer, Durability::Normal).expect("configure");
    writer
        .pragma_update(None, "wal_autocheckpoint", 0)
        .expect("no automatic checkpoint");
    writer
        .execute_batch("CREATE TABLE t (body TEXT NOT NULL)")
        .expect("table");
    let before = main_file_bytes(&path);
    let body = "x".repeat(1_000);
    for _ in 0..500 {
        writer
            .execute("INSERT INTO t (body) VALUES (?1)", [&body])
            .expect("insert");
    }
    assert!(
        main_file_bytes(&path) < before + 100_000,
        "the rows are still only in the WAL"
    );

    let mut checkpointer = Checkpointer::start(&path, Durability::Normal).expect("start");
    checkpointer.committed(CHECKPOINT_EVERY_REQUESTS - 1);
    checkpointer.committed(1);
    checkpointer.stop(); // runs the requested checkpoint before it ends
    assert!(
        main_file_bytes(&path) >= before + 500_000,
        "the WAL was copied into the database file: {} bytes",
        main_file_bytes(&path)
    );
    drop(writer);
}

#[test]
fn fewer_commits_than_the_threshold_ask_for_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("quiet.db");
    let writer = files::open_read_write(&path).expect("open");
    files::configure(&writer, Durability::Normal).expect("configure");
    let mut checkpointer = Checkpointer::start(&path, Durability::Normal).expect("start");
    checkpointer.committed(CHECKPOINT_EVERY_REQUESTS - 1);
    assert_eq!(checkpointer.since_last, CHECKPOINT_EVERY_REQUESTS - 1);
    checkpointer.committed(1);
    assert_eq!(checkpointer.since_last, 0, "asked, and counting again");
    checkpointer.stop();
}
