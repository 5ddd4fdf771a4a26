//! The data half of schema step 2: back-filling the new full-text and blind-token indexes from
//! the messages a version-1 database already holds. Runs inside the step's transaction as a
//! rusqlite_migration hook and reports progress in chunks. Its SQL is frozen with version 2:
//! later layouts get their own steps. Used only by `migrations`.

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
