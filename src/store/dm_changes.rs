//! Edits, deletions and reactions of direct messages, run by the writer inside its transaction,
//! and the folding of a DM page for the reader. A DM change is an `edit`, `delete` or `react`
//! row of the conversation's scope (`@a:b`) whose `target` is the DM's id and whose payload
//! names the other party (`rows::DmChangePayload`). The target must be a live `dm` of that same
//! conversation (`NoSuchMessage` otherwise, also for a DM of another conversation or a channel
//! message); edits and deletions come from its author only (`Forbidden`); either party may react.
//! Deleting a DM purges its text for real in the same write: the `dm` row keeps no `c`/`enc`
//! and its edits keep no text. The DM's current state is always the `dm` row folded with its
//! change rows by `model::fold`, the one fold the channel messages use too.

use rusqlite::{Connection, OptionalExtension, params};

use super::append::{insert_event, logged};
use super::commit_thread::CommitCounters;
use super::error::StoreError;
use super::events::EventKind;
use super::events::{EventBody, LoggedEvent};
use super::reader::StoreReader;
use super::rows::{self, DmChangePayload, DmPayload, EVENT_COLUMNS, EventRow};
use super::types::{HistoryQuery, Page};
use crate::model::fold::{self, Change};
use crate::model::limits::MAX_DISTINCT_REACTIONS;
use crate::model::{DmEvent, UserName};
use crate::proto;

/// One DM change to append: what the sender asks, before it is checked.
pub(crate) enum DmChangeRequest {
    Edit { c: String, enc: String },
    Delete,
    React { emoji: String, on: bool },
}

/// The account name of `name` as registered; `NoSuchUser` when there is none.
pub(crate) fn registered_name(conn: &Connection, name: &str) -> Result<String, StoreError> {
    conn.prepare_cached("SELECT name FROM accounts WHERE name = ?1")?
        .query_row([name], |row| row.get(0))
        .optional()?
        .ok_or(StoreError::NoSuchUser)
}

/// Appends an edit, deletion or reaction by `from` to DM `target` of the conversation with
/// `to`, after checking the target, the author and the reaction limit.
pub(crate) fn append_dm_change(
    conn: &Connection,
    state: &mut CommitCounters,
    from: &str,
    to: &str,
    target: i64,
    request: DmChangeRequest,
) -> Result<LoggedEvent, StoreError> {
    let to = registered_name(conn, to)?;
    let scope = proto::dm_scope(from, &to);
    let dm = load_live_dm(conn, &scope, target)?;
    match &request {
        DmChangeRequest::Edit { .. } | DmChangeRequest::Delete => check_dm_author(&dm, from)?,
        DmChangeRequest::React { emoji, on } => check_reaction_room(&dm, emoji, *on)?,
    }
    let ts = state.next_ts();
    let seq = state.next_seq(conn, &scope)?;
    let (kind, payload, body) = match request {
        DmChangeRequest::Edit { c, enc } => (
            EventKind::Edit,
            DmChangePayload {
                to: to.clone(),
                c: c.clone(),
                enc: enc.clone(),
                ..DmChangePayload::default()
            },
            EventBody::DmEdit { to, target, c, enc },
        ),
        DmChangeRequest::Delete => {
            purge_dm_text(conn, &dm)?;
            let payload = DmChangePayload {
                to: to.clone(),
                ..DmChangePayload::default()
            };
            (
                EventKind::Delete,
                payload,
                EventBody::DmDelete { to, target },
            )
        }
        DmChangeRequest::React { emoji, on } => (
            EventKind::React,
            DmChangePayload {
                to: to.clone(),
                emoji: Some(emoji.clone()),
                on: Some(on),
                ..DmChangePayload::default()
            },
            EventBody::DmReact {
                to,
                target,
                emoji,
                on,
            },
        ),
    };
    let json = rows::to_json(&payload);
    let id = insert_event(conn, ts, kind, &scope, seq, from, Some(target), &json)?;
    Ok(logged(id, seq, ts, from, body))
}

impl StoreReader {
    /// DMs between two users as `dm_history` pages them, each folded with its edits,
    /// deletions and reactions (a deleted DM is a tombstone without text).
    pub fn folded_dm_history(
        &self,
        user_a: &str,
        user_b: &str,
        query: &HistoryQuery,
    ) -> Result<Page<DmEvent>, StoreError> {
        let page = self.dm_history(user_a, user_b, query)?;
        Ok(Page {
            events: fold_dm_page(&self.conn, &page.events)?,
            more: page.more,
        })
    }
}

/// The `dm` events of a page folded with their edits, deletions and reactions (oldest first,
/// as given); every other event is left out.
pub(crate) fn fold_dm_page(
    conn: &Connection,
    events: &[LoggedEvent],
) -> Result<Vec<DmEvent>, StoreError> {
    events
        .iter()
        .filter_map(LoggedEvent::to_dm)
        .map(|dm| fold_dm(conn, dm))
        .collect()
}

/// A DM with every change made to it applied, in log order.
fn fold_dm(conn: &Connection, dm: DmEvent) -> Result<DmEvent, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE e.target = ?1 AND e.scope = ?2 ORDER BY e.id"
    );
    let scope = proto::dm_scope(&dm.from, &dm.to);
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement
        .query_map(params![dm.id, scope], EventRow::from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    let mut changes: Vec<Change> = Vec::with_capacity(rows.len());
    for row in &rows {
        if let Some((_, change)) = row.to_event()?.change() {
            changes.push(change);
        }
    }
    Ok(fold::fold(dm, &changes))
}

/// The folded DM `target` of conversation `scope`; `NoSuchMessage` when it is no `dm` of that
/// conversation or is deleted.
fn load_live_dm(conn: &Connection, scope: &str, target: i64) -> Result<DmEvent, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE e.id = ?1 AND e.scope = ?2 AND e.kind = 'dm'"
    );
    let row = conn
        .prepare_cached(&sql)?
        .query_row(params![target, scope], EventRow::from_row)
        .optional()?
        .ok_or(StoreError::NoSuchMessage)?;
    let dm = row.to_event()?.to_dm().ok_or(StoreError::NoSuchMessage)?;
    let dm = fold_dm(conn, dm)?;
    if dm.deleted {
        return Err(StoreError::NoSuchMessage);
    }
    Ok(dm)
}

/// `Forbidden` unless `sender` wrote the DM.
fn check_dm_author(dm: &DmEvent, sender: &str) -> Result<(), StoreError> {
    match UserName::parse(&dm.from) {
        Ok(author) if author.is(sender) => Ok(()),
        _ => Err(StoreError::Forbidden),
    }
}

/// `TooManyReactions` when adding `emoji` would pass the distinct-emoji limit.
fn check_reaction_room(dm: &DmEvent, emoji: &str, on: bool) -> Result<(), StoreError> {
    let reacts = dm.reacts.as_ref();
    let new_emoji = on && !reacts.is_some_and(|map| map.contains_key(emoji));
    if new_emoji && reacts.map_or(0, |map| map.len()) >= MAX_DISTINCT_REACTIONS {
        return Err(StoreError::TooManyReactions {
            limit: MAX_DISTINCT_REACTIONS,
        });
    }
    Ok(())
}

/// Removes a DM's text from the log for real: the `dm` row keeps `to` and `reply_to`, its
/// edits keep only `to`.
fn purge_dm_text(conn: &Connection, dm: &DmEvent) -> Result<(), StoreError> {
    let purged_dm = DmPayload {
        to: dm.to.clone(),
        c: String::new(),
        enc: String::new(),
        reply_to: dm.reply_to,
    };
    conn.prepare_cached("UPDATE events SET payload = ?2 WHERE id = ?1 AND kind = 'dm'")?
        .execute(params![dm.id, rows::to_json(&purged_dm)])?;
    let purged_edit = DmChangePayload {
        to: dm.to.clone(),
        ..DmChangePayload::default()
    };
    conn.prepare_cached(
        "UPDATE events SET payload = ?3 WHERE target = ?1 AND scope = ?2 AND kind = 'edit'",
    )?
    .execute(params![
        dm.id,
        proto::dm_scope(&dm.from, &dm.to),
        rows::to_json(&purged_edit)
    ])?;
    Ok(())
}
