//! The event appends run by the writer inside its transaction: `msg`, `edit`, `delete`,
//! `react` and `dm` (a DM's edits, deletions and reactions are `dm_changes`). Each validates its
//! target, takes its `ts`/`seq`, inserts one row into the append-only `events` log (a new
//! message is that one row: its current state is columns of it, the `messages` view), updates
//! the message's current state (through `model::fold`), keeps the blind tokens of sealed channels
//! current, and returns the committed [`LoggedEvent`]. An open channel's new message is indexed
//! for full-text search later, in a step of its own (`fts_steps`); an edit re-indexes a message
//! only once that step has indexed it. A deletion purges the message's text and its edits'
//! (`purge`). Used only by `commit_thread` (through `requests`).

use rusqlite::{Connection, OptionalExtension, params};

use super::commit_thread::CommitCounters;
use super::dm_changes::{DmChangeRequest, append_dm_change, registered_name};
use super::error::StoreError;
use super::events::{EventBody, EventKind, LoggedEvent};
use super::fts;
use super::fts_steps;
use super::purge;
use super::rows::{
    self, DELETE_PAYLOAD, DmPayload, EditPayload, MESSAGE_COLUMNS, MsgPayload, ReactPayload,
};
use super::types::AppendOp;
use crate::model::fold::{self, Change};
use crate::model::governance::SysEvent;
use crate::model::limits::{MAX_BLIND_TOKENS, MAX_DISTINCT_REACTIONS};
use crate::model::{MessageEvent, UserName};
use crate::proto::{self, ChannelMode};

/// Applies one append.
pub(crate) fn apply(
    conn: &Connection,
    state: &mut CommitCounters,
    op: AppendOp,
) -> Result<LoggedEvent, StoreError> {
    match op {
        AppendOp::Msg {
            channel,
            sender,
            c,
            enc,
            idx,
            reply_to,
        } => {
            let message = NewMessage {
                c,
                enc,
                reply_to,
                sys: None,
            };
            append_msg(conn, state, &channel, &sender, message, idx)
        }
        AppendOp::Edit {
            channel,
            sender,
            target,
            c,
            enc,
            idx,
        } => append_edit(
            conn,
            state,
            &channel,
            &sender,
            target,
            EditPayload {
                c,
                enc,
                idx,
                purged: false,
            },
        ),
        AppendOp::Delete {
            channel,
            sender,
            target,
        } => append_delete(conn, state, &channel, &sender, target),
        AppendOp::React {
            channel,
            sender,
            target,
            emoji,
            on,
        } => append_react(
            conn,
            state,
            &channel,
            &sender,
            target,
            ReactPayload { emoji, on },
        ),
        AppendOp::Dm {
            from,
            to,
            c,
            enc,
            reply_to,
        } => append_dm(
            conn,
            state,
            &from,
            &to,
            DmPayload {
                to: String::new(),
                c,
                enc,
                reply_to,
            },
        ),
        AppendOp::DmEdit {
            from,
            to,
            target,
            c,
            enc,
        } => {
            let request = DmChangeRequest::Edit { c, enc };
            append_dm_change(conn, state, &from, &to, target, request)
        }
        AppendOp::DmDelete { from, to, target } => {
            append_dm_change(conn, state, &from, &to, target, DmChangeRequest::Delete)
        }
        AppendOp::DmReact {
            from,
            to,
            target,
            emoji,
            on,
        } => {
            let request = DmChangeRequest::React { emoji, on };
            append_dm_change(conn, state, &from, &to, target, request)
        }
        AppendOp::Moderate(moderation) => {
            super::governance::apply_moderation(conn, state, moderation)
        }
    }
}

fn append_msg(
    conn: &Connection,
    state: &mut CommitCounters,
    channel: &str,
    sender: &str,
    message: NewMessage,
    idx: Vec<String>,
) -> Result<LoggedEvent, StoreError> {
    let mode = state.channel_mode(conn, channel)?;
    let tokens = match mode {
        ChannelMode::Sealed => dedupe_tokens(idx),
        ChannelMode::Open => Vec::new(),
    };
    let payload = MsgPayload {
        idx: (!tokens.is_empty()).then(|| tokens.clone()),
        ..MsgPayload::default()
    };
    let scope = proto::channel_scope(channel);
    let ts = state.next_ts();
    let seq = state.next_seq(conn, &scope)?;
    let row = MessageRow {
        ts,
        scope: &scope,
        seq,
        sender,
        payload: &rows::to_json(&payload),
        message: &message,
    };
    let id = insert_message_event(conn, &row)?;
    // An open channel's message is indexed for full-text search by a later step (`fts_steps`).
    if mode == ChannelMode::Sealed {
        tokens_insert(conn, &scope, id, &tokens)?;
    }
    let body = EventBody::Msg {
        channel: channel.to_string(),
        c: message.c,
        enc: message.enc,
        reply_to: message.reply_to,
    };
    Ok(logged(id, seq, ts, sender, body))
}

fn append_edit(
    conn: &Connection,
    state: &mut CommitCounters,
    channel: &str,
    sender: &str,
    target: i64,
    mut payload: EditPayload,
) -> Result<LoggedEvent, StoreError> {
    let mut message = load_live_target(conn, channel, target)?;
    check_author(&message, sender)?;
    let mode = state.channel_mode(conn, channel)?;
    let new_tokens = match mode {
        ChannelMode::Sealed => payload.idx.take().map(dedupe_tokens),
        ChannelMode::Open => None,
    };
    payload.idx = new_tokens.clone();
    let scope = proto::channel_scope(channel);
    let ts = state.next_ts();
    let seq = state.next_seq(conn, &scope)?;
    let json = rows::to_json(&payload);
    let id = insert_event(
        conn,
        ts,
        EventKind::Edit,
        &scope,
        seq,
        sender,
        Some(target),
        &json,
    )?;
    let EditPayload { c, enc, .. } = payload;
    let indexed_text = message.c.clone().unwrap_or_default();
    keep_original_text(conn, &message)?;
    let change = Change::Edit {
        c: c.clone(),
        enc: enc.clone(),
        ts,
    };
    fold::apply(&mut message, &change);
    write_message_state(conn, &message)?;
    match (mode, new_tokens) {
        // Not indexed yet: the step indexes the current text when it gets there.
        (ChannelMode::Open, _) if !fts_steps::is_indexed(conn, target)? => {}
        (ChannelMode::Open, _) => {
            purge::forget_fts_row(conn, target, &indexed_text, channel)?;
            fts_insert(conn, target, &c, channel)?;
        }
        (ChannelMode::Sealed, Some(tokens)) => {
            tokens_delete(conn, target)?;
            tokens_insert(conn, &scope, target, &tokens)?;
        }
        (ChannelMode::Sealed, None) => {}
    }
    let body = EventBody::Edit {
        channel: channel.to_string(),
        target,
        c,
        enc,
    };
    Ok(logged(id, seq, ts, sender, body))
}

fn append_delete(
    conn: &Connection,
    state: &mut CommitCounters,
    channel: &str,
    sender: &str,
    target: i64,
) -> Result<LoggedEvent, StoreError> {
    delete_target(conn, state, channel, sender, target, false).map(|(event, _)| event)
}

/// An operator's deletion of any live message of the channel; also returns the author.
pub(crate) fn delete_as_moderator(
    conn: &Connection,
    state: &mut CommitCounters,
    channel: &str,
    actor: &str,
    target: i64,
) -> Result<(LoggedEvent, String), StoreError> {
    delete_target(conn, state, channel, actor, target, true)
}

fn delete_target(
    conn: &Connection,
    state: &mut CommitCounters,
    channel: &str,
    sender: &str,
    target: i64,
    as_moderator: bool,
) -> Result<(LoggedEvent, String), StoreError> {
    let mut message = load_live_target(conn, channel, target)?;
    if !as_moderator {
        check_author(&message, sender)?;
    }
    let author = message.u.clone();
    let scope = proto::channel_scope(channel);
    let ts = state.next_ts();
    let seq = state.next_seq(conn, &scope)?;
    let id = insert_event(
        conn,
        ts,
        EventKind::Delete,
        &scope,
        seq,
        sender,
        Some(target),
        DELETE_PAYLOAD,
    )?;
    // Before the row changes: the full-text index is told the text it indexed.
    purge::purge_deleted_message_text(conn, target)?;
    fold::apply(&mut message, &Change::Delete);
    write_message_state(conn, &message)?;
    let body = EventBody::Delete {
        channel: channel.to_string(),
        target,
    };
    Ok((logged(id, seq, ts, sender, body), author))
}

fn append_react(
    conn: &Connection,
    state: &mut CommitCounters,
    channel: &str,
    sender: &str,
    target: i64,
    payload: ReactPayload,
) -> Result<LoggedEvent, StoreError> {
    let mut message = load_live_target(conn, channel, target)?;
    let reacts = message.reacts.as_ref();
    let new_emoji = payload.on && !reacts.is_some_and(|map| map.contains_key(&payload.emoji));
    if new_emoji && reacts.map_or(0, |map| map.len()) >= MAX_DISTINCT_REACTIONS {
        return Err(StoreError::TooManyReactions {
            limit: MAX_DISTINCT_REACTIONS,
        });
    }
    let scope = proto::channel_scope(channel);
    let ts = state.next_ts();
    let seq = state.next_seq(conn, &scope)?;
    let json = rows::to_json(&payload);
    let id = insert_event(
        conn,
        ts,
        EventKind::React,
        &scope,
        seq,
        sender,
        Some(target),
        &json,
    )?;
    let ReactPayload { emoji, on } = payload;
    let change = Change::React {
        user: sender.to_string(),
        emoji: emoji.clone(),
        on,
    };
    fold::apply(&mut message, &change);
    write_message_state(conn, &message)?;
    let body = EventBody::React {
        channel: channel.to_string(),
        target,
        emoji,
        on,
    };
    Ok(logged(id, seq, ts, sender, body))
}

/// Appends a DM from `from` to `to` (`payload.to` is replaced by `to` as registered).
fn append_dm(
    conn: &Connection,
    state: &mut CommitCounters,
    from: &str,
    to: &str,
    mut payload: DmPayload,
) -> Result<LoggedEvent, StoreError> {
    payload.to = registered_name(conn, to)?;
    let scope = proto::dm_scope(from, &payload.to);
    let ts = state.next_ts();
    let seq = state.next_seq(conn, &scope)?;
    let id = insert_event(
        conn,
        ts,
        EventKind::Dm,
        &scope,
        seq,
        from,
        None,
        &rows::to_json(&payload),
    )?;
    let body = EventBody::Dm {
        to: payload.to,
        c: payload.c,
        enc: payload.enc,
        reply_to: payload.reply_to,
    };
    Ok(logged(id, seq, ts, from, body))
}

pub(crate) fn logged(id: i64, seq: i64, ts: i64, sender: &str, body: EventBody) -> LoggedEvent {
    LoggedEvent {
        id,
        seq,
        ts,
        sender: sender.to_string(),
        body,
    }
}

/// `Forbidden` unless `sender` wrote `message`. Accounts compare as [`UserName`]s (ignoring
/// ASCII case); a relayed author (`name@network`, which is no user name) is compared the same way
/// as text.
fn check_author(message: &MessageEvent, sender: &str) -> Result<(), StoreError> {
    let same = match UserName::parse(&message.u) {
        Ok(author) => author.is(sender),
        Err(_) => message.u.eq_ignore_ascii_case(sender),
    };
    if same {
        Ok(())
    } else {
        Err(StoreError::Forbidden)
    }
}

/// The current state of a message of `channel` that is not deleted; else `NoSuchMessage`.
fn load_live_target(
    conn: &Connection,
    channel: &str,
    target: i64,
) -> Result<MessageEvent, StoreError> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.id = ?1");
    let message = conn
        .prepare_cached(&sql)?
        .query_row([target], rows::message_from_row)
        .optional()?;
    match message {
        Some(message) if message.ch == channel && !message.deleted && message.sys.is_none() => {
            Ok(message)
        }
        _ => Err(StoreError::NoSuchMessage),
    }
}

/// Before the first edit of `message` (its current state, as loaded) changes its row's text:
/// copies the original text and `enc` into its `msg` payload, so the log keeps what was said.
fn keep_original_text(conn: &Connection, message: &MessageEvent) -> Result<(), StoreError> {
    let text: String = conn
        .prepare_cached("SELECT payload FROM events WHERE id = ?1 AND kind = 'msg'")?
        .query_row([message.id], |row| row.get(0))?;
    let mut payload: MsgPayload =
        serde_json::from_str(&text).map_err(|_| rows::corrupt_event(message.id))?;
    if payload.c.is_some() {
        return Ok(());
    }
    payload.c = Some(message.c.clone().unwrap_or_default());
    payload.enc = message.enc.clone();
    conn.prepare_cached("UPDATE events SET payload = ?2 WHERE id = ?1")?
        .execute(params![message.id, rows::to_json(&payload)])?;
    Ok(())
}

/// Writes a message's folded state into the columns of its `msg` row (the `messages` view).
fn write_message_state(conn: &Connection, message: &MessageEvent) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE events SET c = ?2, enc = ?3, edited_ms = ?4, deleted = ?5, reacts = ?6
         WHERE id = ?1 AND kind = 'msg'",
    )?
    .execute(params![
        message.id,
        message.c,
        message.enc,
        message.edited,
        message.deleted,
        rows::encode_reacts(&message.reacts),
    ])?;
    Ok(())
}

/// The id of the next event: one above both the newest event and the highest id ever deleted
/// from the end of the log (`EVENT_ID_HIGH_WATER`), so ids only ever rise.
macro_rules! next_event_id_sql {
    () => {
        "(SELECT max(coalesce((SELECT max(id) FROM events), 0),
                     coalesce((SELECT CAST(value AS INTEGER) FROM schema_meta
                               WHERE key = 'event_id_high_water'), 0)) + 1)"
    };
}

/// Inserts one event that is not a message (`edit`, `delete`, `react`, `dm`) with the next id.
#[allow(clippy::too_many_arguments)]
pub(crate) fn insert_event(
    conn: &Connection,
    ts: i64,
    kind: EventKind,
    scope: &str,
    seq: i64,
    sender: &str,
    target: Option<i64>,
    payload: &str,
) -> Result<i64, StoreError> {
    conn.prepare_cached(concat!(
        "INSERT INTO events (id, ts, kind, scope, seq, sender, target, payload) VALUES (",
        next_event_id_sql!(),
        ", ?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    ))?
    .execute(params![
        ts,
        kind.as_str(),
        scope,
        seq,
        sender,
        target,
        payload
    ])?;
    Ok(conn.last_insert_rowid())
}

/// What a new channel message (or system line) says: the columns of its `msg` row.
pub(crate) struct NewMessage {
    pub c: String,
    pub enc: Option<String>,
    pub reply_to: Option<i64>,
    /// A system line's moderation event.
    pub sys: Option<SysEvent>,
}

/// One `msg` row to insert: the log's columns, its payload, and the message's columns.
pub(crate) struct MessageRow<'a> {
    pub ts: i64,
    pub scope: &'a str,
    pub seq: i64,
    pub sender: &'a str,
    pub payload: &'a str,
    pub message: &'a NewMessage,
}

/// Inserts a channel message's one row with the next id: its `msg` event, whose message columns
/// are the `messages` view's current state.
pub(crate) fn insert_message_event(
    conn: &Connection,
    row: &MessageRow<'_>,
) -> Result<i64, StoreError> {
    let sys = row.message.sys.as_ref().map(rows::to_json);
    conn.prepare_cached(concat!(
        "INSERT INTO events (id, ts, kind, scope, seq, sender, payload, c, enc, reply_to, sys)
         VALUES (",
        next_event_id_sql!(),
        ", ?1, ?10, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    ))?
    .execute(params![
        row.ts,
        row.scope,
        row.seq,
        row.sender,
        row.payload,
        row.message.c,
        row.message.enc,
        row.message.reply_to,
        sys,
        EventKind::Msg.as_str()
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Indexes an open-channel message for full-text search (`fts_steps`, and an edit of a message
/// already indexed).
pub(crate) fn fts_insert(
    conn: &Connection,
    id: i64,
    text: &str,
    channel: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT INTO message_fts (rowid, c, ch) VALUES (?1, ?2, ?3)")?
        .execute(params![id, text, fts::channel_token(channel)])?;
    Ok(())
}

/// Indexes a sealed-channel message's blind tokens.
pub(crate) fn tokens_insert(
    conn: &Connection,
    scope: &str,
    id: i64,
    tokens: &[String],
) -> Result<(), StoreError> {
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO blind_tokens (scope, token, msg_id) VALUES (?1, ?2, ?3)",
    )?;
    for token in tokens {
        insert.execute(params![scope, token, id])?;
    }
    Ok(())
}

fn tokens_delete(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM blind_tokens WHERE msg_id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Distinct non-empty tokens in first-seen order, at most [`MAX_BLIND_TOKENS`].
pub(crate) fn dedupe_tokens(tokens: Vec<String>) -> Vec<String> {
    let mut kept: Vec<String> = Vec::with_capacity(tokens.len().min(MAX_BLIND_TOKENS));
    for token in tokens {
        if kept.len() == MAX_BLIND_TOKENS {
            break;
        }
        if !token.is_empty() && !kept.contains(&token) {
            kept.push(token);
        }
    }
    kept
}
