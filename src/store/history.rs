//! Message queries of [`StoreReader`]: folded channel history (from the `messages` current-state
//! view of the `msg` rows), raw catch-up events (`after`), DM history, and rewind (messages as
//! they stood at a past time, re-folded from the append-only log). Every query is an index range
//! with a LIMIT; the SQL is kept in constants so the tests can check each plan with EXPLAIN QUERY
//! PLAN.

use rusqlite::{OptionalExtension, params};

use super::error::StoreError;
use super::events::LoggedEvent;
use super::reader::StoreReader;
use super::rows::{self, EVENT_COLUMNS, EventRow, MESSAGE_COLUMNS};
use super::types::{HistoryQuery, Page};
use crate::model::MessageEvent;
use crate::model::fold;
use crate::proto;

pub(crate) const HISTORY_BY_SEQ: &str = "SELECT {M} FROM messages m
    WHERE m.scope = ?1 AND m.seq < ?2
    ORDER BY m.seq DESC LIMIT ?3";
pub(crate) const HISTORY_BY_TIME: &str = "SELECT {M} FROM messages m
    WHERE m.scope = ?1 AND m.ts >= ?2 AND m.ts < ?3 AND +m.seq < ?4
    ORDER BY m.ts DESC, m.id DESC LIMIT ?5";
pub(crate) const HISTORY_BY_SENDER: &str = "SELECT {M} FROM messages m
    WHERE m.scope = ?1 AND m.sender = ?2 COLLATE NOCASE AND m.id < ?3
      AND m.ts >= ?4 AND m.ts < ?5
    ORDER BY m.id DESC LIMIT ?6";
pub(crate) const EVENTS_AFTER: &str = "SELECT {E} FROM events e
    WHERE e.scope = ?1 AND e.seq > ?2
    ORDER BY e.seq LIMIT ?3";
pub(crate) const LOG_AFTER_ID: &str = "SELECT {E} FROM events e
    WHERE e.id > ?1
    ORDER BY e.id LIMIT ?2";
pub(crate) const DM_BY_SEQ: &str = "SELECT {E} FROM events e
    WHERE e.scope = ?1 AND e.seq < ?2 AND e.kind = 'dm' AND (?3 IS NULL OR e.sender = ?3 COLLATE NOCASE)
    ORDER BY e.seq DESC LIMIT ?4";
pub(crate) const DM_BY_TIME: &str = "SELECT {E} FROM events e
    WHERE e.kind = 'dm' AND e.scope = ?1 AND e.ts >= ?2 AND e.ts < ?3 AND +e.seq < ?4
      AND (?5 IS NULL OR e.sender = ?5 COLLATE NOCASE)
    ORDER BY e.ts DESC, e.id DESC LIMIT ?6";
pub(crate) const REWIND_PAGE: &str = "SELECT {E} FROM events e
    WHERE e.kind = 'msg' AND e.scope = ?1 AND e.ts <= ?2
    ORDER BY e.ts DESC, e.id DESC LIMIT ?3";
pub(crate) const REWIND_CHANGES: &str = "SELECT {E} FROM events e
    WHERE e.target = ?1 AND e.ts <= ?2
    ORDER BY e.id";
const SEQ_OF_ID: &str = "SELECT seq FROM events WHERE id = ?1 AND scope = ?2";
const LAST_SEQ_BEFORE_ID: &str =
    "SELECT seq FROM events WHERE scope = ?1 AND id < ?2 ORDER BY seq DESC LIMIT 1";
const ID_AT_SEQ: &str = "SELECT id FROM events WHERE scope = ?1 AND seq >= ?2 ORDER BY seq LIMIT 1";

/// Expands the `{M}` / `{E}` column placeholders of a query constant.
pub(crate) fn sql(template: &str) -> String {
    template
        .replace("{M}", MESSAGE_COLUMNS)
        .replace("{E}", EVENT_COLUMNS)
}

/// Exclusive upper bounds of a page, as a seq and as an id (equivalent within one scope).
struct Bounds {
    seq: i64,
    id: i64,
}

impl StoreReader {
    /// Folded message events of a channel (PROTOCOL.md §5), oldest first; `more` says older
    /// ones exist (within the time window and author filter, if given).
    pub fn history(
        &self,
        channel: &str,
        query: &HistoryQuery,
    ) -> Result<Page<MessageEvent>, StoreError> {
        let scope = proto::channel_scope(channel);
        let bounds = self.bounds(&scope, query)?;
        let limit = i64::from(query.limit.min(proto::HISTORY_MAX_LIMIT));
        let since = query.since_ms.unwrap_or(i64::MIN);
        let until = query.until_ms.unwrap_or(i64::MAX);
        let mut statement;
        let rows = if let Some(from) = &query.from {
            statement = self.conn.prepare_cached(&sql(HISTORY_BY_SENDER))?;
            statement.query_map(
                params![scope, from, bounds.id, since, until, limit + 1],
                rows::message_from_row,
            )?
        } else if query.since_ms.is_some() || query.until_ms.is_some() {
            statement = self.conn.prepare_cached(&sql(HISTORY_BY_TIME))?;
            statement.query_map(
                params![scope, since, until, bounds.seq, limit + 1],
                rows::message_from_row,
            )?
        } else {
            statement = self.conn.prepare_cached(&sql(HISTORY_BY_SEQ))?;
            statement.query_map(
                params![scope, bounds.seq, limit + 1],
                rows::message_from_row,
            )?
        };
        let newest_first = rows.collect::<Result<Vec<_>, _>>()?;
        Ok(page_oldest_first(newest_first, limit))
    }

    /// Raw channel events (`msg`/`edit`/`delete`/`react`, exactly as committed) with
    /// seq > `after_seq`, oldest first; `more` says the limit cut them.
    pub fn history_after(
        &self,
        channel: &str,
        after_seq: i64,
        limit: u32,
    ) -> Result<Page<LoggedEvent>, StoreError> {
        self.scope_events_after(&proto::channel_scope(channel), after_seq, limit)
    }

    /// Committed events of `scope` (`#channel` or `@a:b`) with seq > `after_seq`, oldest
    /// first; `more` says the limit cut them.
    pub fn scope_events_after(
        &self,
        scope: &str,
        after_seq: i64,
        limit: u32,
    ) -> Result<Page<LoggedEvent>, StoreError> {
        let limit = i64::from(limit.min(proto::HISTORY_MAX_LIMIT));
        let mut statement = self.conn.prepare_cached(&sql(EVENTS_AFTER))?;
        let mut rows = statement
            .query_map(params![scope, after_seq, limit + 1], EventRow::from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let events = rows
            .iter()
            .map(EventRow::to_event)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page { events, more })
    }

    /// Committed events of every scope with id > `after_id`, in commit (id) order, at most
    /// `limit` (itself at most the history page limit).
    pub fn events_after_id(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let limit = i64::from(limit.min(proto::HISTORY_MAX_LIMIT));
        let mut statement = self.conn.prepare_cached(&sql(LOG_AFTER_ID))?;
        let rows = statement
            .query_map(params![after_id, limit], EventRow::from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.iter().map(EventRow::to_event).collect()
    }

    /// DMs between two users (`dm` events as committed, unfolded: `folded_dm_history` applies
    /// their edits, deletions and reactions), oldest first. Page backwards with
    /// `before_id` (DM frames carry ids, not seqs); `more` says older ones exist.
    pub fn dm_history(
        &self,
        user_a: &str,
        user_b: &str,
        query: &HistoryQuery,
    ) -> Result<Page<LoggedEvent>, StoreError> {
        let scope = proto::dm_scope(user_a, user_b);
        let bounds = self.bounds(&scope, query)?;
        let limit = i64::from(query.limit.min(proto::HISTORY_MAX_LIMIT));
        let from = query.from.as_deref();
        let mut statement;
        let rows = if query.since_ms.is_some() || query.until_ms.is_some() {
            let since = query.since_ms.unwrap_or(i64::MIN);
            let until = query.until_ms.unwrap_or(i64::MAX);
            statement = self.conn.prepare_cached(&sql(DM_BY_TIME))?;
            statement.query_map(
                params![scope, since, until, bounds.seq, from, limit + 1],
                EventRow::from_row,
            )?
        } else {
            statement = self.conn.prepare_cached(&sql(DM_BY_SEQ))?;
            statement.query_map(
                params![scope, bounds.seq, from, limit + 1],
                EventRow::from_row,
            )?
        };
        let newest_first = rows.collect::<Result<Vec<_>, _>>()?;
        let page = page_oldest_first(newest_first, limit);
        let events = page
            .events
            .iter()
            .map(EventRow::to_event)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            events,
            more: page.more,
        })
    }

    /// The last `limit` messages of a channel as they stood at `at_ms` (inclusive): messages
    /// posted later are absent, and edits, deletions and reactions after `at_ms` are not
    /// applied. Oldest first.
    pub fn rewind(
        &self,
        channel: &str,
        at_ms: i64,
        limit: u32,
    ) -> Result<Vec<MessageEvent>, StoreError> {
        let scope = proto::channel_scope(channel);
        let limit = i64::from(limit.min(proto::HISTORY_MAX_LIMIT));
        let mut statement = self.conn.prepare_cached(&sql(REWIND_PAGE))?;
        let originals = statement
            .query_map(params![scope, at_ms, limit], EventRow::from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        let mut changes_statement = self.conn.prepare_cached(&sql(REWIND_CHANGES))?;
        let mut messages = Vec::with_capacity(originals.len());
        for original in originals.iter().rev() {
            let mut message = original.to_message()?;
            let rows =
                changes_statement.query_map(params![original.id, at_ms], EventRow::from_row)?;
            for row in rows {
                if let Some((_, change)) = row?.to_event()?.change() {
                    fold::apply(&mut message, &change);
                }
            }
            messages.push(message);
        }
        Ok(messages)
    }

    /// The current (folded) state of one message of a channel.
    pub fn message(&self, channel: &str, id: i64) -> Result<Option<MessageEvent>, StoreError> {
        let query = format!("SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.id = ?1");
        let message = self
            .conn
            .prepare_cached(&query)?
            .query_row([id], rows::message_from_row)
            .optional()?;
        Ok(message.filter(|message| message.ch == channel))
    }

    /// Turns `before_seq` / `before_id` into both forms of the bound.
    fn bounds(&self, scope: &str, query: &HistoryQuery) -> Result<Bounds, StoreError> {
        let mut seq = query.before_seq.unwrap_or(i64::MAX);
        if let Some(before_id) = query.before_id {
            let id_seq: Option<i64> = self
                .conn
                .prepare_cached(SEQ_OF_ID)?
                .query_row(params![before_id, scope], |row| row.get(0))
                .optional()?;
            let id_seq = match id_seq {
                Some(id_seq) => id_seq,
                None => self.seq_bound_before_id(scope, before_id)?,
            };
            seq = seq.min(id_seq);
        }
        if seq == i64::MAX {
            return Ok(Bounds { seq, id: i64::MAX });
        }
        let id: Option<i64> = self
            .conn
            .prepare_cached(ID_AT_SEQ)?
            .query_row(params![scope, seq], |row| row.get(0))
            .optional()?;
        Ok(Bounds {
            seq,
            id: id.unwrap_or(i64::MAX),
        })
    }
}

impl StoreReader {
    /// An exclusive seq bound equivalent to `id < before_id` in `scope`, for an id that is not
    /// one of the scope's events (ids and seqs rise together within a scope).
    fn seq_bound_before_id(&self, scope: &str, before_id: i64) -> Result<i64, StoreError> {
        let last_before: Option<i64> = self
            .conn
            .prepare_cached(LAST_SEQ_BEFORE_ID)?
            .query_row(params![scope, before_id], |row| row.get(0))
            .optional()?;
        Ok(last_before.map_or(1, |seq| seq.saturating_add(1)))
    }
}

/// A page from rows fetched newest first with LIMIT `limit + 1`.
fn page_oldest_first<T>(mut newest_first: Vec<T>, limit: i64) -> Page<T> {
    let more = newest_first.len() as i64 > limit;
    newest_first.truncate(limit.max(0) as usize);
    newest_first.reverse();
    Page {
        events: newest_first,
        more,
    }
}

#[cfg(test)]
pub(crate) mod plan_tests {
    //! Every history/search/rewind query is an index range with a LIMIT: checked on the real
    //! schema with EXPLAIN QUERY PLAN (no full scan of a table, no full index scan).

    use super::*;

    /// A connection to a fresh database at the latest schema.
    pub(crate) fn latest_schema() -> (tempfile::TempDir, rusqlite::Connection) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("plan.db");
        crate::store::migrations::create_at_version(&path, crate::store::SCHEMA_VERSION)
            .expect("schema");
        let conn = rusqlite::Connection::open(&path).expect("open");
        (dir, conn)
    }

    /// The plan lines of `sql` (parameters bound to NULL; the plan does not depend on them).
    pub(crate) fn plan(conn: &rusqlite::Connection, sql: &str) -> Vec<String> {
        let mut statement = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("explain");
        let nulls = vec![rusqlite::types::Null; statement.parameter_count()];
        statement
            .query_map(rusqlite::params_from_iter(nulls), |row| {
                row.get::<_, String>(3)
            })
            .expect("plan rows")
            .collect::<Result<Vec<_>, _>>()
            .expect("plan")
    }

    /// Fails when a plan scans a table or a whole index.
    pub(crate) fn assert_index_ranges(name: &str, lines: &[String], allow_sort: bool) {
        // A bounded subquery (a LIMITed co-routine) may be scanned: it is not a table.
        let subqueries: Vec<&str> = lines
            .iter()
            .filter_map(|line| line.strip_prefix("CO-ROUTINE "))
            .collect();
        for line in lines {
            let scans_subquery = line
                .strip_prefix("SCAN ")
                .is_some_and(|name| subqueries.contains(&name));
            let scans_table =
                line.starts_with("SCAN") && !line.contains("VIRTUAL TABLE") && !scans_subquery;
            assert!(!scans_table, "{name}: full scan in plan {lines:?}");
            if !allow_sort {
                assert!(
                    !line.contains("TEMP B-TREE"),
                    "{name}: sorts all rows {lines:?}"
                );
            }
        }
        assert!(
            lines.iter().any(|line| line.starts_with("SEARCH")),
            "{name}: no index search in plan {lines:?}"
        );
    }

    #[test]
    fn history_catch_up_dm_and_rewind_queries_use_index_ranges() {
        let (_dir, conn) = latest_schema();
        let cases = [
            ("history by seq", HISTORY_BY_SEQ),
            ("history by time", HISTORY_BY_TIME),
            ("history by sender", HISTORY_BY_SENDER),
            ("catch-up", EVENTS_AFTER),
            ("log after id", LOG_AFTER_ID),
            ("dm by seq", DM_BY_SEQ),
            ("dm by time", DM_BY_TIME),
            ("rewind page", REWIND_PAGE),
            ("rewind changes", REWIND_CHANGES),
        ];
        for (name, template) in cases {
            let lines = plan(&conn, &sql(template));
            assert_index_ranges(name, &lines, false);
        }
        for (name, statement) in [("seq of id", SEQ_OF_ID), ("id at seq", ID_AT_SEQ)] {
            assert_index_ranges(name, &plan(&conn, statement), false);
        }
    }
}
