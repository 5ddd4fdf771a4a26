//! The operator's administration writes (`chatify admin`, the live `admin` frame, retention):
//! disabling accounts, password resets, account and channel deletion, admin grants, session
//! revocation and history purges. Purges delete for real: the message rows, every event about
//! them (edits carry old text), their full-text rows and their blind tokens (`purge`). Used by the commit thread's `Administer` request.

use rusqlite::{Connection, params};

use super::{AdminOp, grant_admin, registered};
use crate::store::commit_thread;
use crate::store::error::StoreError;
use crate::store::purge;

/// Applies one administration op; returns its count (see [`AdminOp`]).
pub(crate) fn administer(conn: &Connection, op: AdminOp, now_ms: i64) -> Result<u64, StoreError> {
    match op {
        AdminOp::SetDisabled { user, disabled } => {
            let user = registered(conn, &user)?;
            conn.prepare_cached("UPDATE accounts SET disabled = ?2 WHERE name = ?1")?
                .execute(params![user, disabled])?;
            if disabled {
                revoke_sessions(conn, &user)
            } else {
                Ok(0)
            }
        }
        AdminOp::SetPassword { user, password_phc } => {
            let user = registered(conn, &user)?;
            conn.prepare_cached("UPDATE accounts SET password_phc = ?2 WHERE name = ?1")?
                .execute(params![user, password_phc])?;
            revoke_sessions(conn, &user)
        }
        AdminOp::DeleteAccount { user } => {
            let user = registered(conn, &user)?;
            delete_account(conn, &user)?;
            Ok(1)
        }
        AdminOp::SetAdmin { user, admin, by } => {
            let user = registered(conn, &user)?;
            let changed = if admin {
                grant_admin(conn, &user, by.as_deref(), now_ms)?
            } else {
                conn.prepare_cached("DELETE FROM server_admins WHERE user = ?1")?
                    .execute([&user])?
            };
            Ok(changed as u64)
        }
        AdminOp::RevokeSessions { user } => {
            let user = registered(conn, &user)?;
            revoke_sessions(conn, &user)
        }
        AdminOp::RevokeSession { id } => {
            if id.len() < 8 || !id.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(StoreError::BadQuery(
                    "a session id is at least 8 hex digits, as `chatify admin sessions` shows"
                        .into(),
                ));
            }
            let pattern = format!("{}%", id.to_ascii_uppercase());
            let removed = conn
                .prepare_cached("DELETE FROM sessions WHERE hex(token_hash) LIKE ?1")?
                .execute([pattern])?;
            Ok(removed as u64)
        }
        AdminOp::Disconnect { .. } => Ok(0),
        AdminOp::DeleteChannel { channel } => delete_channel(conn, &channel),
        AdminOp::PurgeHistory {
            channel,
            before_ms,
            max_messages,
        } => purge_history(conn, &channel, before_ms, max_messages),
        AdminOp::PurgeExpired {
            server_retention_ms,
            max_messages,
        } => purge_expired(conn, server_retention_ms, max_messages, now_ms),
    }
}

/// One retention batch over every channel with a retention period (see `AdminOp::PurgeExpired`).
fn purge_expired(
    conn: &Connection,
    server_retention_ms: Option<i64>,
    max_messages: u32,
    now_ms: i64,
) -> Result<u64, StoreError> {
    let channels: Vec<(String, Option<i64>)> = conn
        .prepare_cached("SELECT name, retention_ms FROM channels ORDER BY name")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut purged = 0u64;
    for (channel, retention_ms) in channels {
        let Some(retention) =
            crate::model::governance::effective_retention_ms(retention_ms, server_retention_ms)
        else {
            continue;
        };
        let budget = u64::from(max_messages).saturating_sub(purged);
        if budget == 0 {
            break;
        }
        let before_ms = now_ms.saturating_sub(retention.max(0));
        purged += purge_history(conn, &channel, before_ms, budget as u32)?;
    }
    Ok(purged)
}

fn revoke_sessions(conn: &Connection, user: &str) -> Result<u64, StoreError> {
    let removed = conn
        .prepare_cached("DELETE FROM sessions WHERE user = ?1")?
        .execute([user])?;
    Ok(removed as u64)
}

fn delete_account(conn: &Connection, user: &str) -> Result<(), StoreError> {
    for sql in [
        "DELETE FROM sessions WHERE user = ?1",
        "DELETE FROM memberships WHERE user = ?1",
        "DELETE FROM read_markers WHERE user = ?1",
        "DELETE FROM server_admins WHERE user = ?1",
        "DELETE FROM channel_ops WHERE user = ?1",
        "DELETE FROM channel_invites WHERE user = ?1",
        "DELETE FROM channel_mutes WHERE user = ?1",
        "DELETE FROM accounts WHERE name = ?1",
    ] {
        conn.prepare_cached(sql)?.execute([user])?;
    }
    Ok(())
}

fn delete_channel(conn: &Connection, channel: &str) -> Result<u64, StoreError> {
    let scope = crate::proto::channel_scope(channel);
    // The index entries first, while the channel row still says how they were indexed.
    let ids: Vec<i64> = conn
        .prepare_cached("SELECT id FROM messages WHERE scope = ?1")?
        .query_map([&scope], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    for id in ids {
        purge::forget_indexed_text(conn, id)?;
    }
    let known = conn
        .prepare_cached("DELETE FROM channels WHERE name = ?1")?
        .execute([channel])?;
    if known == 0 {
        return Err(StoreError::NoSuchChannel);
    }
    for sql in [
        "DELETE FROM blind_tokens WHERE scope = ?1",
        "DELETE FROM read_markers WHERE scope = ?1",
        "DELETE FROM purge_marks WHERE scope = ?1",
    ] {
        conn.prepare_cached(sql)?.execute([&scope])?;
    }
    for sql in [
        "DELETE FROM memberships WHERE channel = ?1",
        "DELETE FROM channel_ops WHERE channel = ?1",
        "DELETE FROM channel_invites WHERE channel = ?1",
        "DELETE FROM channel_bans WHERE channel = ?1",
        "DELETE FROM channel_mutes WHERE channel = ?1",
    ] {
        conn.prepare_cached(sql)?.execute([channel])?;
    }
    // The newest events may be the channel's: their ids must never be handed out again.
    commit_thread::remember_event_id_high_water(conn)?;
    let events = conn
        .prepare_cached("DELETE FROM events WHERE scope = ?1")?
        .execute([&scope])?;
    Ok(events as u64)
}

/// The messages of scope `?1` older than `?2` (Unix ms) that a purge may delete: all but the
/// one the newest event of the log is (or is about), whose id SQLite would otherwise reuse.
/// Shared by the purge and by `StoreReader::has_expired_messages`, so the
/// sweep's question and its answer never disagree.
pub(in crate::store) const PURGEABLE_MESSAGES: &str = "FROM messages m
     WHERE m.scope = ?1 AND m.ts < ?2
       AND NOT EXISTS (SELECT 1 FROM events e
                       WHERE e.id = (SELECT max(id) FROM events)
                         AND (e.id = m.id OR e.target = m.id))";

/// One batch of a purge: the oldest `max_messages` messages before `before_ms`. The newest
/// event of the whole log is never deleted (nor the message it is about), so SQLite never hands
/// its id out again: event ids keep rising (the `EventLog` contract); the next sweep after any
/// newer event takes it.
fn purge_history(
    conn: &Connection,
    channel: &str,
    before_ms: i64,
    max_messages: u32,
) -> Result<u64, StoreError> {
    let scope = crate::proto::channel_scope(channel);
    let rows: Vec<(i64, i64)> = conn
        .prepare_cached(&format!(
            "SELECT m.id, m.ts {PURGEABLE_MESSAGES} ORDER BY m.ts, m.id LIMIT ?3"
        ))?
        .query_map(params![scope, before_ms, max_messages], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    // A full batch may leave older messages for the next one: history then begins after the
    // newest message deleted so far, not yet at `before_ms`.
    let begins_ms = match rows.last() {
        Some((_, ts)) if rows.len() as u64 == u64::from(max_messages) => (ts + 1).min(before_ms),
        _ => before_ms,
    };
    if !ids.is_empty() {
        conn.prepare_cached(
            "INSERT INTO purge_marks (scope, last_seq, purged_before_ms)
             VALUES (?1, (SELECT coalesce(max(seq), 0) FROM events WHERE scope = ?1), ?2)
             ON CONFLICT (scope) DO UPDATE SET
                 last_seq = max(last_seq, excluded.last_seq),
                 purged_before_ms = max(purged_before_ms, excluded.purged_before_ms)",
        )?
        .execute(params![scope, begins_ms])?;
    } else {
        // Nothing (more) to delete: a purged history now begins at `before_ms`.
        conn.prepare_cached(
            "UPDATE purge_marks SET purged_before_ms = max(purged_before_ms, ?2) WHERE scope = ?1",
        )?
        .execute(params![scope, before_ms])?;
    }
    for id in &ids {
        purge::forget_indexed_text(conn, *id)?;
        for sql in [
            "DELETE FROM events WHERE target = ?1",
            "DELETE FROM events WHERE id = ?1",
        ] {
            conn.prepare_cached(sql)?.execute([id])?;
        }
    }
    Ok(ids.len() as u64)
}
