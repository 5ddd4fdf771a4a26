//! Governance writes run by the writer inside its transaction: moderation actions (each changes
//! the channel's governance tables and appends a system line — a `msg` event with `sys` — in the
//! same transaction, so the action and its record in history commit together), and the
//! operator's account and channel administration (disable, password reset, delete, admin grants,
//! session revocation, channel deletion, history purges in batches). Used only by the commit thread's requests; the
//! matching reads are in `governance_reads`.

use rusqlite::{Connection, OptionalExtension, params};

use super::append::{self, MessageRow, NewMessage, insert_message_event, logged};
use super::commit_thread::CommitCounters;
use super::error::StoreError;
use super::events::{EventBody, LoggedEvent};
use super::rows::{self, MsgPayload};
use super::types::{Moderation, ModerationAction};
use crate::model::governance::{ChannelSettings, ModAction, SysEvent};
use crate::proto;

/// What the operator's administration does to the database. Each returns a count (rows or
/// sessions affected); see `Store::administer`. Serializable: on a cluster node it travels
/// through the shared log like every write (`store::replication`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AdminOp {
    /// Disables (and revokes every session of) or enables an account. Count: sessions revoked.
    SetDisabled { user: String, disabled: bool },
    /// Replaces the password hash and revokes every session. Count: sessions revoked.
    SetPassword { user: String, password_phc: String },
    /// Deletes an account with its sessions, memberships, roles and markers (its past messages
    /// stay in history under its name). Count: 1.
    DeleteAccount { user: String },
    /// Grants or revokes server admin. Count: 1 when it changed.
    SetAdmin {
        user: String,
        admin: bool,
        by: Option<String>,
    },
    /// Revokes every session of an account. Count: sessions revoked.
    RevokeSessions { user: String },
    /// Revokes one session by its short id (the first 8 hex digits of its token's hash).
    RevokeSession { id: String },
    /// Changes nothing stored: an admin's live `disconnect`, written so that on a cluster node
    /// it travels through the shared log and every node closes the account's connections when
    /// it applies it (the server does the closing). Count: 0.
    Disconnect { user: String },
    /// Deletes a channel with its whole history and indexes. Count: events deleted.
    DeleteChannel { channel: String },
    /// Deletes up to `max_messages` messages of a channel older than `before_ms`, with every
    /// event about them and their index entries. Count: messages deleted (repeat until < max).
    PurgeHistory {
        channel: String,
        before_ms: i64,
        max_messages: u32,
    },
    /// One batch of the retention sweep: deletes up to `max_messages` messages, over every
    /// channel, older than the channel's retention period (`mode retention`) or the server-wide
    /// `server_retention_ms`, whichever is shorter, judged by the commit thread's clock.
    /// Count: messages deleted (the sweep repeats while a batch comes back full).
    PurgeExpired {
        server_retention_ms: Option<i64>,
        max_messages: u32,
    },
}

/// Applies one moderation action and appends its system line.
pub(crate) fn apply_moderation(
    conn: &Connection,
    state: &mut CommitCounters,
    moderation: Moderation,
) -> Result<LoggedEvent, StoreError> {
    let Moderation {
        channel,
        actor,
        action,
    } = moderation;
    state.channel_mode(conn, &channel)?;
    if let ModerationAction::DeleteMessage { target } = action {
        return delete_message(conn, state, &channel, &actor, target);
    }
    let ts = state.next_ts();
    let sys = apply_action(conn, &channel, &actor, action, ts)?;
    insert_sys_line(conn, state, &channel, &actor, ts, sys)
}

fn apply_action(
    conn: &Connection,
    channel: &str,
    actor: &str,
    action: ModerationAction,
    ts: i64,
) -> Result<SysEvent, StoreError> {
    let targeted = |act: ModAction, user: String, reason: Option<String>| SysEvent {
        target: Some(user),
        reason,
        ..SysEvent::new(act)
    };
    Ok(match action {
        ModerationAction::Invite { user } => {
            let user = registered(conn, &user)?;
            if is_banned(conn, channel, &user)? {
                return Err(StoreError::Banned);
            }
            if is_member(conn, channel, &user)? {
                return Err(StoreError::Conflict(format!("{user} is already a member")));
            }
            conn.prepare_cached(
                "INSERT OR REPLACE INTO channel_invites (channel, user, invited_by, invited_ms)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![channel, user, actor, ts])?;
            targeted(ModAction::Invite, user, None)
        }
        ModerationAction::Kick { user, reason } => {
            let user = registered(conn, &user)?;
            if !is_member(conn, channel, &user)? {
                return Err(StoreError::TargetNotMember);
            }
            remove_from_channel(conn, channel, &user)?;
            targeted(ModAction::Kick, user, reason)
        }
        ModerationAction::Ban { user, reason } => {
            let user = registered(conn, &user)?;
            if is_banned(conn, channel, &user)? {
                return Err(StoreError::Conflict(format!("{user} is already banned")));
            }
            conn.prepare_cached(
                "INSERT INTO channel_bans (channel, user, banned_by, banned_ms, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                channel,
                user,
                actor,
                ts,
                reason.as_deref().unwrap_or("")
            ])?;
            remove_from_channel(conn, channel, &user)?;
            targeted(ModAction::Ban, user, reason)
        }
        ModerationAction::Unban { user } => {
            let user = registered(conn, &user)?;
            let removed = conn
                .prepare_cached("DELETE FROM channel_bans WHERE channel = ?1 AND user = ?2")?
                .execute(params![channel, user])?;
            if removed == 0 {
                return Err(StoreError::Conflict(format!("{user} is not banned")));
            }
            targeted(ModAction::Unban, user, None)
        }
        ModerationAction::Mute { user, secs, reason } => {
            let user = registered(conn, &user)?;
            let until =
                ts.saturating_add(i64::try_from(secs).unwrap_or(i64::MAX).saturating_mul(1000));
            conn.prepare_cached(
                "INSERT OR REPLACE INTO channel_mutes (channel, user, muted_by, until_ms)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![channel, user, actor, until])?;
            SysEvent {
                until: Some(until),
                ..targeted(ModAction::Mute, user, reason)
            }
        }
        ModerationAction::Unmute { user } => {
            let user = registered(conn, &user)?;
            let active = conn
                .prepare_cached(
                    "DELETE FROM channel_mutes WHERE channel = ?1 AND user = ?2 AND until_ms > ?3",
                )?
                .execute(params![channel, user, ts])?;
            conn.prepare_cached("DELETE FROM channel_mutes WHERE channel = ?1 AND user = ?2")?
                .execute(params![channel, user])?;
            if active == 0 {
                return Err(StoreError::Conflict(format!("{user} is not muted")));
            }
            targeted(ModAction::Unmute, user, None)
        }
        ModerationAction::Op { user } => {
            let user = registered(conn, &user)?;
            if !is_member(conn, channel, &user)? {
                return Err(StoreError::TargetNotMember);
            }
            let added = conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO channel_ops (channel, user, granted_by, granted_ms)
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![channel, user, actor, ts])?;
            if added == 0 {
                return Err(StoreError::Conflict(format!(
                    "{user} is already an operator"
                )));
            }
            targeted(ModAction::Op, user, None)
        }
        ModerationAction::Deop { user } => {
            let user = registered(conn, &user)?;
            let removed = conn
                .prepare_cached("DELETE FROM channel_ops WHERE channel = ?1 AND user = ?2")?
                .execute(params![channel, user])?;
            if removed == 0 {
                return Err(StoreError::Conflict(format!("{user} is not an operator")));
            }
            targeted(ModAction::Deop, user, None)
        }
        ModerationAction::Topic { topic } => {
            conn.prepare_cached("UPDATE channels SET topic = ?2 WHERE name = ?1")?
                .execute(params![channel, topic])?;
            SysEvent {
                topic: Some(topic),
                ..SysEvent::new(ModAction::Topic)
            }
        }
        ModerationAction::Settings(settings) => {
            apply_settings(conn, channel, &settings)?;
            SysEvent {
                settings: Some(settings),
                ..SysEvent::new(ModAction::Mode)
            }
        }
        ModerationAction::DeleteMessage { .. } => {
            return Err(StoreError::BadQuery("a deletion is not a setting".into()));
        }
    })
}

fn apply_settings(
    conn: &Connection,
    channel: &str,
    settings: &ChannelSettings,
) -> Result<(), StoreError> {
    if settings.is_empty() {
        return Err(StoreError::Conflict("no setting to change".into()));
    }
    let flag = |column: &str, value: Option<bool>| -> Result<(), StoreError> {
        if let Some(value) = value {
            // `column` is one of three fixed names below, never input.
            let sql = format!("UPDATE channels SET {column} = ?2 WHERE name = ?1");
            conn.prepare_cached(&sql)?
                .execute(params![channel, value])?;
        }
        Ok(())
    };
    flag("invite_only", settings.invite_only)?;
    flag("listed", settings.listed)?;
    flag("moderated", settings.moderated)?;
    if let Some(secs) = settings.retention {
        let retention_ms =
            (secs > 0).then(|| i64::try_from(secs).unwrap_or(i64::MAX / 1000) * 1000);
        conn.prepare_cached("UPDATE channels SET retention_ms = ?2 WHERE name = ?1")?
            .execute(params![channel, retention_ms])?;
    }
    Ok(())
}

/// An operator deletes a message: the `delete` event, then (for someone else's) the system
/// line. Reports the line; the `delete` is the event just before it
/// (`LoggedEvent::moderated_delete`). Their own message is a plain `delete`.
fn delete_message(
    conn: &Connection,
    state: &mut CommitCounters,
    channel: &str,
    actor: &str,
    target: i64,
) -> Result<LoggedEvent, StoreError> {
    let (deleted, author) = append::delete_as_moderator(conn, state, channel, actor, target)?;
    if author.eq_ignore_ascii_case(actor) {
        return Ok(deleted);
    }
    let sys = SysEvent {
        target: Some(author),
        msg: Some(target),
        ..SysEvent::new(ModAction::Delete)
    };
    insert_sys_line(conn, state, channel, actor, deleted.ts, sys)
}

/// Appends a system line: a `msg` row by `actor` with its `sys` column set (never indexed for
/// search).
fn insert_sys_line(
    conn: &Connection,
    state: &mut CommitCounters,
    channel: &str,
    actor: &str,
    ts: i64,
    sys: SysEvent,
) -> Result<LoggedEvent, StoreError> {
    let scope = proto::channel_scope(channel);
    let seq = state.next_seq(conn, &scope)?;
    let message = NewMessage {
        c: sys.describe(),
        enc: None,
        reply_to: None,
        sys: Some(sys.clone()),
    };
    let row = MessageRow {
        ts,
        scope: &scope,
        seq,
        sender: actor,
        payload: &rows::to_json(&MsgPayload::default()),
        message: &message,
    };
    let id = insert_message_event(conn, &row)?;
    let c = message.c;
    let body = EventBody::Sys {
        channel: channel.to_string(),
        c,
        sys,
    };
    Ok(logged(id, seq, ts, actor, body))
}

/// Removes a member with their operator status and any pending invitation.
fn remove_from_channel(conn: &Connection, channel: &str, user: &str) -> Result<(), StoreError> {
    for sql in [
        "DELETE FROM memberships WHERE channel = ?1 AND user = ?2",
        "DELETE FROM channel_ops WHERE channel = ?1 AND user = ?2",
        "DELETE FROM channel_invites WHERE channel = ?1 AND user = ?2",
    ] {
        conn.prepare_cached(sql)?.execute(params![channel, user])?;
    }
    Ok(())
}

/// `Banned` refuses a banned account. Called by `add_member`. (An invitation is kept: it lets
/// the account rejoin after leaving, until a kick or ban removes it.)
pub(crate) fn admit_member(conn: &Connection, channel: &str, user: &str) -> Result<(), StoreError> {
    if is_banned(conn, channel, user)? {
        return Err(StoreError::Banned);
    }
    Ok(())
}

/// The first account of an empty server becomes its first admin. Called by `create_account`
/// before the account is inserted.
pub(crate) fn is_first_account(conn: &Connection) -> Result<bool, StoreError> {
    let any: Option<i64> = conn
        .prepare_cached("SELECT 1 FROM accounts LIMIT 1")?
        .query_row([], |row| row.get(0))
        .optional()?;
    Ok(any.is_none())
}

pub(crate) fn grant_admin(
    conn: &Connection,
    user: &str,
    by: Option<&str>,
    now_ms: i64,
) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached(
            "INSERT OR IGNORE INTO server_admins (user, granted_by, granted_ms) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![user, by, now_ms])?)
}

fn is_banned(conn: &Connection, channel: &str, user: &str) -> Result<bool, StoreError> {
    exists(
        conn,
        "SELECT 1 FROM channel_bans WHERE channel = ?1 AND user = ?2",
        channel,
        user,
    )
}

fn is_member(conn: &Connection, channel: &str, user: &str) -> Result<bool, StoreError> {
    exists(
        conn,
        "SELECT 1 FROM memberships WHERE channel = ?1 AND user = ?2",
        channel,
        user,
    )
}

fn exists(conn: &Connection, sql: &str, channel: &str, user: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row(params![channel, user], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The account's name as registered; `NoSuchUser` if there is none.
pub(crate) fn registered(conn: &Connection, name: &str) -> Result<String, StoreError> {
    conn.prepare_cached("SELECT name FROM accounts WHERE name = ?1")?
        .query_row([name], |row| row.get(0))
        .optional()?
        .ok_or(StoreError::NoSuchUser)
}

#[path = "governance_admin.rs"]
pub(super) mod admin;
pub(crate) use admin::administer;
