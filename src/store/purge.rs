//! Purging a message's text for real (issue 9 point 11), inside the writer's transaction: its
//! words leave the full-text index (FTS5 `delete` with the indexed text, the index kept in
//! `secure-delete` mode, so the words leave the index pages too) and its blind tokens are
//! deleted ([`forget_indexed_text`]); a deleted message's `msg` event and every `edit` event about
//! it are rewritten without their text ([`purge_deleted_message_text`]), so the `after`
//! catch-up and `rewind` read a tombstone where the text was while ids and seqs stay as they
//! were. With `PRAGMA secure_delete` (set on every connection, `files::configure`) the old bytes
//! are zeroed in the file as well. Used by `append` (deletion, edits) and `governance_admin`
//! (history purges, channel deletion); a deletion of any other kind of message calls
//! [`purge_deleted_message_text`] too.

use rusqlite::{Connection, OptionalExtension, params};

use super::error::StoreError;
use super::fts;
use super::fts_steps;
use super::rows::{self, EditPayload, MsgPayload};

/// The payload of an `edit` event whose message was deleted: no text, marked purged.
fn purged_edit_payload() -> String {
    rows::to_json(&EditPayload {
        c: String::new(),
        enc: None,
        idx: None,
        purged: true,
    })
}

/// Purges the text of message `id` (a channel message about to be marked deleted; call it
/// before its row's message columns change, since the full-text `delete` needs the indexed text):
/// forgets its index entries, rewrites its `msg` event as a purged tombstone (keeping its
/// `reply_to`) and every `edit` event about it without text. The `delete` event itself is the
/// caller's. Ids, seqs and ts are untouched, so the log keeps its order and has no gap.
pub(crate) fn purge_deleted_message_text(conn: &Connection, id: i64) -> Result<(), StoreError> {
    forget_indexed_text(conn, id)?;
    let payload: Option<String> = conn
        .prepare_cached("SELECT payload FROM events WHERE id = ?1 AND kind = 'msg'")?
        .query_row([id], |row| row.get(0))
        .optional()?;
    if let Some(payload) = payload {
        let original: MsgPayload =
            serde_json::from_str(&payload).map_err(|_| rows::corrupt_event(id))?;
        let purged = MsgPayload {
            reply_to: original.reply_to,
            purged: true,
            ..MsgPayload::default()
        };
        conn.prepare_cached("UPDATE events SET payload = ?2 WHERE id = ?1")?
            .execute(params![id, rows::to_json(&purged)])?;
    }
    conn.prepare_cached("UPDATE events SET payload = ?2 WHERE target = ?1 AND kind = 'edit'")?
        .execute(params![id, purged_edit_payload()])?;
    Ok(())
}

/// Removes what the search indexes hold of message `id`: its words from the full-text index
/// when it is indexed there (a live message of an open channel that is not a system line, at or
/// below the index position of `fts_steps`, with the text it was indexed with, which is its
/// current `c`) and its blind tokens. A message above the position was never indexed: FTS5 is
/// not told anything about it (a `delete` of words never indexed would corrupt the index).
pub(crate) fn forget_indexed_text(conn: &Connection, id: i64) -> Result<(), StoreError> {
    if !fts_steps::is_indexed(conn, id)? {
        return forget_blind_tokens(conn, id);
    }
    let indexed: Option<(String, String)> = conn
        .prepare_cached(
            "SELECT ch.name, m.c FROM messages m JOIN channels ch ON ch.name = substr(m.scope, 2)
             WHERE m.id = ?1 AND ch.mode = 'open' AND m.deleted = 0 AND m.sys IS NULL
               AND m.c IS NOT NULL",
        )?
        .query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    if let Some((channel, text)) = indexed {
        forget_fts_row(conn, id, &text, &channel)?;
    }
    forget_blind_tokens(conn, id)
}

fn forget_blind_tokens(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM blind_tokens WHERE msg_id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Removes row `id`, indexed with `text` in `channel`, from the full-text index. The index is
/// contentless, so FTS5 is told the words to remove; `text` must be what was indexed.
pub(crate) fn forget_fts_row(
    conn: &Connection,
    id: i64,
    text: &str,
    channel: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO message_fts (message_fts, rowid, c, ch) VALUES ('delete', ?1, ?2, ?3)",
    )?
    .execute(params![id, text, fts::channel_token(channel)])?;
    Ok(())
}
