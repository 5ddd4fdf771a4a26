//! Full-text indexing in steps of its own (schema v6, issue 13). The writer appends an
//! open-channel `msg` without its FTS5 row: FTS5 writes a new index segment on every commit and
//! merges them later, so indexing costs least in large transactions, while the group commits
//! that carry acks hold a few to a few hundred messages. Instead the writer thread indexes the
//! messages after `fts_progress.indexed_through` later, in bounded steps ([`StepBounds`]), and
//! moves that position in the same transaction as the FTS5 rows, so a crash between a commit and
//! its step leaves a backlog that the next open indexes ([`catch_up`]), never a half-indexed
//! one. The invariant: every message at or below the position that belongs in the index (a live,
//! non-system message of an open channel) is indexed with its current text, and nothing above
//! it is; so an edit or deletion of a message above the position touches only its row
//! ([`is_indexed`]), and the step indexes whatever text the message has by then. Searches keep
//! read-your-writes through [`CatchUpSearchIndex`], a write request that brings the index up to
//! date before the read (`Store::search`). New ids are always above the position (ids are never
//! reused, `commit_thread::remember_event_id_high_water`), so it never moves down. Used by
//! `commit_thread`, `append` and `purge`.

use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, params};

use super::append::fts_insert;
use super::commit_thread::{CommitCounters, WriteRequest, last_event_id, storage_error};
use super::error::StoreError;

/// A backlog this large (in ids between the position and the newest message) gets a step right
/// after the commit that reached it, even while requests wait; below it the writer indexes
/// when its queue stays empty (`StoreOptions::search_index_idle_ms`).
pub(crate) const INDEX_BACKLOG_THRESHOLD: i64 = 2_048;
/// The most messages one background step indexes.
pub(crate) const INDEX_STEP_MAX_ROWS: usize = 2_048;
/// A background step stops after about this long (once it has indexed its floor of rows), so
/// acks queued behind it wait at most about this much longer.
pub(crate) const INDEX_STEP_BUDGET: Duration = Duration::from_millis(10);
/// Messages read per query of a step (and between two looks at the clock).
const INDEX_CHUNK_ROWS: usize = 64;

/// The messages after ?1 that belong in the full-text index, in id order, at most ?2: exactly
/// what `backfill_v5` indexed and what the append path indexed before v6 (current text, open
/// channels, not deleted, not system lines).
const PENDING_MESSAGES: &str = "SELECT m.id, ch.name, m.c
    FROM messages m JOIN channels ch ON ch.name = substr(m.scope, 2)
    WHERE m.id > ?1 AND ch.mode = 'open' AND m.deleted = 0 AND m.sys IS NULL
      AND m.c IS NOT NULL
    ORDER BY m.id LIMIT ?2";

/// How much one step may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StepBounds {
    /// The most messages it indexes.
    max_rows: usize,
    /// It stops once this much time has passed and it has indexed `min_rows`.
    budget: Option<Duration>,
    min_rows: usize,
}

impl StepBounds {
    /// A step of the writer's loop: at most [`INDEX_STEP_MAX_ROWS`] messages and about
    /// [`INDEX_STEP_BUDGET`], but at least `min_rows` (the size of the group just committed,
    /// so under saturation the index keeps up with the appends instead of falling ever further
    /// behind).
    pub fn background(min_rows: usize) -> StepBounds {
        StepBounds {
            max_rows: INDEX_STEP_MAX_ROWS,
            budget: Some(INDEX_STEP_BUDGET),
            min_rows: min_rows.min(INDEX_STEP_MAX_ROWS),
        }
    }

    /// Everything behind, whatever it takes (a search's catch-up; the backlog it meets is
    /// bounded by the threshold plus what the last groups appended).
    pub const EVERYTHING: StepBounds = StepBounds {
        max_rows: usize::MAX,
        budget: None,
        min_rows: 0,
    };
}

/// The position: the highest message id up to which the index is in step.
pub(crate) fn indexed_through(conn: &Connection) -> Result<i64, StoreError> {
    conn.prepare_cached("SELECT indexed_through FROM fts_progress WHERE id = 1")?
        .query_row([], |row| row.get(0))
        .optional()?
        .ok_or_else(|| {
            StoreError::Corrupt(
                "the full-text index position is missing; restore the database from a backup"
                    .into(),
            )
        })
}

/// Whether message `id` is at or below the position (indexed if it belongs in the index).
pub(crate) fn is_indexed(conn: &Connection, id: i64) -> Result<bool, StoreError> {
    Ok(id <= indexed_through(conn)?)
}

/// Ids between the position and the newest event (0: in step). An upper bound of the
/// messages waiting (system lines, sealed channels and ids of other events count too), read in
/// O(1) after every commit: the newest event is the end of the rowid b-tree, where the newest
/// message (a filtered row of it since schema v7) could be any distance back.
pub(crate) fn backlog(conn: &Connection) -> Result<i64, StoreError> {
    Ok((last_event_id(conn)? - indexed_through(conn)?).max(0))
}

/// Indexes messages after the position within `bounds`, inside the caller's transaction, and
/// moves the position past them. Returns whether the index is now in step.
pub(crate) fn index_pending(conn: &Connection, bounds: StepBounds) -> Result<bool, StoreError> {
    let started = Instant::now();
    let mut position = indexed_through(conn)?;
    let mut select = conn.prepare_cached(PENDING_MESSAGES)?;
    let mut indexed = 0_usize;
    let in_step = loop {
        let want = INDEX_CHUNK_ROWS.min(bounds.max_rows - indexed);
        let rows = select
            .query_map(params![position, want as i64], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get(2)?))
            })?
            .collect::<Result<Vec<(i64, String, String)>, _>>()?;
        for (id, channel, text) in &rows {
            fts_insert(conn, *id, text, channel)?;
        }
        indexed += rows.len();
        let Some((last, _, _)) = rows.last() else {
            break true;
        };
        position = *last;
        if rows.len() < want {
            break true;
        }
        let out_of_time = bounds
            .budget
            .is_some_and(|budget| indexed >= bounds.min_rows && started.elapsed() >= budget);
        if indexed >= bounds.max_rows || out_of_time {
            break false;
        }
    };
    if in_step {
        // Everything up to the newest event has been looked at.
        position = position.max(last_event_id(conn)?);
    }
    if position != indexed_through(conn)? {
        set_position(conn, position)?;
    }
    Ok(in_step)
}

fn set_position(conn: &Connection, position: i64) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE fts_progress SET indexed_through = ?1 WHERE id = 1")?
        .execute([position])?;
    Ok(())
}

/// One step in a transaction of its own. Returns whether the index is now in step. The write
/// lock is taken at BEGIN (waiting out the busy timeout), so a store opened while an earlier
/// one on the same file finishes its last step waits for it instead of failing.
pub(crate) fn run_step(conn: &mut Connection, bounds: StepBounds) -> Result<bool, StoreError> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(storage_error)?;
    let in_step = index_pending(&tx, bounds)?;
    tx.commit().map_err(storage_error)?;
    Ok(in_step)
}

/// Indexes the whole backlog, one full step per transaction (opening a store after a crash that
/// came between a commit and its step; closing one).
/// Writes nothing when nothing is behind.
pub(crate) fn catch_up(conn: &mut Connection) -> Result<(), StoreError> {
    if backlog(conn)? == 0 {
        return Ok(());
    }
    while !run_step(conn, StepBounds::background(INDEX_STEP_MAX_ROWS))? {}
    Ok(())
}

/// Brings the full-text index up to date with every committed message before a search reads
/// it (read-your-writes: a message acked before the search was sent is found). Local to each
/// node, never replicated.
pub(crate) struct CatchUpSearchIndex;

impl WriteRequest for CatchUpSearchIndex {
    type Reply = ();

    fn apply(&self, conn: &Connection, _: &mut CommitCounters) -> Result<(), StoreError> {
        index_pending(conn, StepBounds::EVERYTHING).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::history::plan_tests::{assert_index_ranges, latest_schema, plan};

    #[test]
    fn a_step_reads_the_backlog_by_id_range_without_sorting() {
        let (_dir, conn) = latest_schema();
        let lines = plan(&conn, PENDING_MESSAGES);
        assert_index_ranges("pending messages", &lines, false);
        assert!(
            lines.iter().any(|line| line.contains("rowid>?")),
            "messages read from the position on: {lines:?}"
        );
    }

    #[test]
    fn steps_stop_at_their_row_bound_and_move_the_position_with_the_rows() {
        let (_dir, mut conn) = latest_schema();
        conn.execute_batch(
            "INSERT INTO channels (name, mode, created_by, created_ms)
                 VALUES ('ops', 'open', 'a', 1), ('vault', 'sealed', 'a', 1);",
        )
        .expect("channels");
        for id in 1..=100_i64 {
            let scope = if id % 10 == 0 { "#vault" } else { "#ops" };
            conn.execute(
                "INSERT INTO events (id, ts, kind, scope, seq, sender, payload, c)
                 VALUES (?1, 1, 'msg', ?2, ?1, 'a', '{}', ?3)",
                params![id, scope, format!("word{id} common")],
            )
            .expect("message");
        }
        assert_eq!(backlog(&conn).expect("backlog"), 100);
        let ten = StepBounds {
            max_rows: 10,
            budget: None,
            min_rows: 0,
        };
        assert!(!run_step(&mut conn, ten).expect("step"));
        // Ten open-channel messages: ids 1..=11 without the sealed 10.
        assert_eq!(indexed_through(&conn).expect("position"), 11);
        assert!(run_step(&mut conn, StepBounds::EVERYTHING).expect("catch up"));
        assert_eq!(indexed_through(&conn).expect("position"), 100);
        assert_eq!(backlog(&conn).expect("backlog"), 0);
        let indexed: i64 = conn
            .query_row(
                "SELECT count(*) FROM message_fts WHERE message_fts MATCH 'c : common'",
                [],
                |row| row.get(0),
            )
            .expect("count");
        assert_eq!(indexed, 90, "the sealed channel's messages are not indexed");
    }
}
