//! The data halves of schema steps 2 and 5: back-filling the full-text and blind-token indexes
//! from the messages a database already holds (step 2 creates both indexes, step 5 re-creates
//! the full-text one). Each runs inside its step's transaction as a rusqlite_migration hook and
//! reports progress in chunks. Each step's SQL is frozen with its version: later layouts get
//! their own steps. Used only by `migrations`.

use std::sync::mpsc::Sender;

use rusqlite::Transaction;
use rusqlite_migration::HookError;

use super::fts;
use super::migrations::MigrateProgress;
use super::rows::{EditPayload, MsgPayload};

/// Rows per back-fill chunk (and per progress report).
const BACKFILL_CHUNK: i64 = 1000;

/// v2 data step: index every live message — open channels into FTS5, sealed channels' current
/// blind tokens (the latest edit's `idx`, else the message's own) into `blind_tokens`.
/// The SQL here is frozen with v2; later layouts get their own steps.
pub(crate) fn backfill_v2(
    tx: &Transaction<'_>,
    sink: &Sender<MigrateProgress>,
) -> Result<(), HookError> {
    let mut sealed = std::collections::HashSet::new();
    {
        let mut statement = tx.prepare("SELECT name FROM channels WHERE mode = 'sealed'")?;
        for name in statement.query_map([], |row| row.get::<_, String>(0))? {
            sealed.insert(format!("#{}", name?));
        }
    }
    let mut fts_insert =
        tx.prepare("INSERT INTO message_fts (rowid, c, ch) VALUES (?1, ?2, ?3)")?;
    let mut token_insert = tx
        .prepare("INSERT OR IGNORE INTO blind_tokens (scope, token, msg_id) VALUES (?1, ?2, ?3)")?;
    let chunks = Chunks {
        version: 2,
        rows: "SELECT id, scope, c FROM messages WHERE deleted = 0 AND id > ?1
               ORDER BY id LIMIT ?2",
        count: "SELECT count(*) FROM messages WHERE deleted = 0",
    };
    chunks.walk(tx, sink, |id, scope, text| {
        if sealed.contains(scope) {
            for token in current_blind_tokens(tx, id)? {
                token_insert.execute(rusqlite::params![scope, token, id])?;
            }
        } else if let (Some(text), Some(channel)) = (text, scope.strip_prefix('#')) {
            fts_insert.execute(rusqlite::params![id, text, fts::channel_token(channel)])?;
        }
        Ok(())
    })
}

/// A back-fill's walk over `messages` in id order, [`BACKFILL_CHUNK`] rows at a time, with a
/// progress report after each chunk. `rows` selects `(id, scope or channel, c)` with id > ?1 in
/// id order, LIMIT ?2; `count` counts all of them.
struct Chunks {
    version: u32,
    rows: &'static str,
    count: &'static str,
}

impl Chunks {
    fn walk(
        &self,
        tx: &Transaction<'_>,
        sink: &Sender<MigrateProgress>,
        mut each: impl FnMut(i64, &str, Option<&str>) -> Result<(), HookError>,
    ) -> Result<(), HookError> {
        let total: i64 = tx.query_row(self.count, [], |row| row.get(0))?;
        let mut chunk = tx.prepare(self.rows)?;
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
            for (id, key, text) in &rows {
                each(*id, key, text.as_deref())?;
            }
            done += rows.len() as u64;
            let _ = sink.send(MigrateProgress::StepRows {
                version: self.version,
                done,
                total: u64::try_from(total).unwrap_or(0),
            });
        }
        Ok(())
    }
}

/// v5 data step: index every live open-channel message (not a system line) into the new
/// full-text index, with exactly the text and channel token the append path indexes, so the
/// `delete` command later given that text finds every word; then purge what deletions before
/// v5 left in the log. Frozen with v5.
pub(crate) fn backfill_v5(
    tx: &Transaction<'_>,
    sink: &Sender<MigrateProgress>,
) -> Result<(), HookError> {
    let mut fts_insert =
        tx.prepare("INSERT INTO message_fts (rowid, c, ch) VALUES (?1, ?2, ?3)")?;
    let chunks = Chunks {
        version: 5,
        rows: "SELECT m.id, ch.name, m.c FROM messages m JOIN channels ch ON ch.name = substr(m.scope, 2)
               WHERE ch.mode = 'open' AND m.deleted = 0 AND m.sys IS NULL AND m.c IS NOT NULL
                 AND m.id > ?1 ORDER BY m.id LIMIT ?2",
        count: "SELECT count(*) FROM messages m JOIN channels ch ON ch.name = substr(m.scope, 2)
                WHERE ch.mode = 'open' AND m.deleted = 0 AND m.sys IS NULL AND m.c IS NOT NULL",
    };
    chunks.walk(tx, sink, |id, channel, text| {
        if let Some(text) = text {
            fts_insert.execute(rusqlite::params![id, text, fts::channel_token(channel)])?;
        }
        Ok(())
    })?;
    purge_deleted_texts_v5(tx)
}

/// v5: messages deleted before this version kept their text in their `msg` and `edit` events;
/// purge it as a deletion does now (`purge::purge_deleted_message_text`). Frozen with v5.
fn purge_deleted_texts_v5(tx: &Transaction<'_>) -> Result<(), HookError> {
    tx.execute_batch(
        r#"
        UPDATE events SET payload = '{"c":"","purged":true}'
            WHERE kind = 'edit' AND target IN (SELECT id FROM messages WHERE deleted = 1);
        UPDATE events SET payload = CASE
                WHEN json_extract(payload, '$.reply_to') IS NULL THEN '{"c":"","purged":true}'
                ELSE json_object('c', '', 'reply_to', json_extract(payload, '$.reply_to'),
                                 'purged', json('true'))
            END
            WHERE kind = 'msg' AND id IN (SELECT id FROM messages WHERE deleted = 1);
        DELETE FROM blind_tokens WHERE msg_id IN (SELECT id FROM messages WHERE deleted = 1);
        "#,
    )?;
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
