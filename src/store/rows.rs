//! How events and messages are laid out in rows: the JSON payload of each event kind, the
//! column list of the `messages` view (a `msg` row's current-state columns), and the conversions
//! from rows to the store's own event types. Shared by the writer (which stores and reports
//! commits) and the reader (which queries and folds), so an event read back from the log is
//! exactly the event that was committed.

use std::collections::BTreeMap;

use rusqlite::Row;
use serde::{Deserialize, Serialize};

use super::error::StoreError;
use super::events::{EventBody, LoggedEvent};
use crate::model::MessageEvent;
use crate::model::governance::SysEvent;

/// Payload of a `msg` event. `idx` (blind tokens) is stored but never broadcast. Since schema
/// v7 the message's text, `enc`, `reply_to` and `sys` are columns of its row (its current state,
/// the `messages` view); the payload holds the original `c` and `enc` only once the message has
/// been edited (the columns then hold the edited text). Rows written before v7 may still carry
/// all four here; where present they are the original.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct MsgPayload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idx: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<i64>,
    /// A system line (moderation event); see `governance`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sys: Option<SysEvent>,
    /// The message was deleted and its text purged (`purge`): `c` is empty, `enc`/`idx` absent.
    #[serde(default, skip_serializing_if = "is_false")]
    pub purged: bool,
}

/// Payload of an `edit` event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EditPayload {
    pub c: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idx: Option<Vec<String>>,
    /// The edited message was deleted and this text purged (`purge`): `c` is empty.
    #[serde(default, skip_serializing_if = "is_false")]
    pub purged: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Payload of a `react` event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ReactPayload {
    pub emoji: String,
    pub on: bool,
}

/// Payload of a `dm` event (the sender is the row's `sender`). A deleted DM's payload keeps
/// `to` and `reply_to` only: its text is purged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DmPayload {
    pub to: String,
    #[serde(default)]
    pub c: String,
    #[serde(default)]
    pub enc: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<i64>,
}

/// Payload of an `edit`, `delete` or `react` event in a DM scope (`@a:b`): `to` is the other
/// party as registered; `c`/`enc` for an edit (purged when the DM is deleted), `emoji`/`on`
/// for a reaction.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct DmChangePayload {
    pub to: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub c: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub enc: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<bool>,
}

/// Payload of a `delete` event: nothing beyond the row's columns.
pub(crate) const DELETE_PAYLOAD: &str = "{}";

/// Columns of `messages` read by [`message_from_row`], in order.
pub(crate) const MESSAGE_COLUMNS: &str = "m.id, m.scope, m.seq, m.ts, m.sender, m.c, m.enc, m.reply_to, m.edited_ms, m.deleted, m.reacts, m.sys";

/// Columns of `events` read by [`EventRow::from_row`], in order.
pub(crate) const EVENT_COLUMNS: &str = "e.id, e.ts, e.kind, e.scope, e.seq, e.sender, e.target, e.payload, e.c, e.enc, e.reply_to, e.sys";

/// One row of `events`.
#[derive(Debug, Clone)]
pub(crate) struct EventRow {
    pub id: i64,
    pub ts: i64,
    pub kind: String,
    pub scope: String,
    pub seq: i64,
    pub sender: String,
    pub target: Option<i64>,
    pub payload: String,
    /// A `msg` row's message columns (its current state); NULL for every other kind.
    pub message_c: Option<String>,
    pub message_enc: Option<String>,
    pub message_reply_to: Option<i64>,
    pub message_sys: Option<String>,
}

impl EventRow {
    pub fn from_row(row: &Row<'_>) -> rusqlite::Result<EventRow> {
        Ok(EventRow {
            id: row.get(0)?,
            ts: row.get(1)?,
            kind: row.get(2)?,
            scope: row.get(3)?,
            seq: row.get(4)?,
            sender: row.get(5)?,
            target: row.get(6)?,
            payload: row.get(7)?,
            message_c: row.get(8)?,
            message_enc: row.get(9)?,
            message_reply_to: row.get(10)?,
            message_sys: row.get(11)?,
        })
    }

    /// The logged event this row holds.
    pub fn to_event(&self) -> Result<LoggedEvent, StoreError> {
        let channel = || channel_of_scope(&self.scope).to_string();
        let target = || self.target.ok_or_else(|| corrupt_event(self.id));
        let in_dm = self.scope.starts_with('@');
        let body = match self.kind.as_str() {
            "edit" | "delete" | "react" if in_dm => self.dm_change_body(target()?)?,
            "msg" => self.msg_body(channel())?,
            "edit" => {
                let payload: EditPayload = parse_payload(self)?;
                if payload.purged {
                    // An edit of a message deleted since: it reads as that deletion (no text).
                    EventBody::Delete {
                        channel: channel(),
                        target: target()?,
                    }
                } else {
                    EventBody::Edit {
                        channel: channel(),
                        target: target()?,
                        c: payload.c,
                        enc: payload.enc,
                    }
                }
            }
            "delete" => EventBody::Delete {
                channel: channel(),
                target: target()?,
            },
            "react" => {
                let payload: ReactPayload = parse_payload(self)?;
                EventBody::React {
                    channel: channel(),
                    target: target()?,
                    emoji: payload.emoji,
                    on: payload.on,
                }
            }
            "dm" => {
                let payload: DmPayload = parse_payload(self)?;
                EventBody::Dm {
                    to: payload.to,
                    c: payload.c,
                    enc: payload.enc,
                    reply_to: payload.reply_to,
                }
            }
            _ => return Err(corrupt_event(self.id)),
        };
        Ok(LoggedEvent {
            id: self.id,
            seq: self.seq,
            ts: self.ts,
            sender: self.sender.clone(),
            body,
        })
    }

    /// The body of a `msg` row: the original text is the payload's once the message was edited
    /// (or the row predates schema v7), else the row's text columns.
    fn msg_body(&self, channel: String) -> Result<EventBody, StoreError> {
        let payload: MsgPayload = parse_payload(self)?;
        let reply_to = payload.reply_to.or(self.message_reply_to);
        if payload.purged {
            return Ok(EventBody::Purged { channel, reply_to });
        }
        let (c, enc) = match payload.c {
            Some(c) => (c, payload.enc),
            None => (
                self.message_c.clone().unwrap_or_default(),
                self.message_enc.clone(),
            ),
        };
        let sys = match (payload.sys, &self.message_sys) {
            (Some(sys), _) => Some(sys),
            (None, Some(text)) => {
                Some(serde_json::from_str::<SysEvent>(text).map_err(|_| corrupt_event(self.id))?)
            }
            (None, None) => None,
        };
        Ok(match sys {
            Some(sys) => EventBody::Sys { channel, c, sys },
            None => EventBody::Msg {
                channel,
                c,
                enc,
                reply_to,
            },
        })
    }

    /// The body of an `edit`, `delete` or `react` row of a DM scope.
    fn dm_change_body(&self, target: i64) -> Result<EventBody, StoreError> {
        let payload: DmChangePayload = parse_payload(self)?;
        let to = payload.to;
        Ok(match (self.kind.as_str(), payload.emoji, payload.on) {
            ("edit", _, _) => EventBody::DmEdit {
                to,
                target,
                c: payload.c,
                enc: payload.enc,
            },
            ("react", Some(emoji), Some(on)) => EventBody::DmReact {
                to,
                target,
                emoji,
                on,
            },
            ("delete", _, _) => EventBody::DmDelete { to, target },
            _ => return Err(corrupt_event(self.id)),
        })
    }

    /// The original (unfolded) message of a `msg` event.
    pub fn to_message(&self) -> Result<MessageEvent, StoreError> {
        self.to_event()?
            .to_message()
            .ok_or_else(|| corrupt_event(self.id))
    }
}

/// Reads a row of the `messages` view selected with [`MESSAGE_COLUMNS`] as a folded message event.
pub(crate) fn message_from_row(row: &Row<'_>) -> rusqlite::Result<MessageEvent> {
    let scope: String = row.get(1)?;
    let reacts: Option<String> = row.get(10)?;
    let reacts = match reacts {
        Some(text) => Some(decode_reacts(&text).map_err(|error| {
            rusqlite::Error::FromSqlConversionFailure(10, rusqlite::types::Type::Text, error.into())
        })?),
        None => None,
    };
    let sys: Option<String> = row.get(11)?;
    let sys = match sys {
        Some(text) => Some(serde_json::from_str::<SysEvent>(&text).map_err(|error| {
            rusqlite::Error::FromSqlConversionFailure(11, rusqlite::types::Type::Text, error.into())
        })?),
        None => None,
    };
    Ok(MessageEvent {
        ch: channel_of_scope(&scope).to_string(),
        id: row.get(0)?,
        seq: row.get(2)?,
        ts: row.get(3)?,
        u: row.get(4)?,
        c: row.get(5)?,
        enc: row.get(6)?,
        reply_to: row.get(7)?,
        edited: row.get(8)?,
        deleted: row.get::<_, i64>(9)? != 0,
        reacts,
        sys: sys.map(Box::new),
    })
}

/// JSON text of a reactions map, `None` when there are none.
pub(crate) fn encode_reacts(reacts: &Option<BTreeMap<String, Vec<String>>>) -> Option<String> {
    reacts.as_ref().map(|map| {
        serde_json::to_string(map).expect("a map of strings to string lists always serializes")
    })
}

fn decode_reacts(text: &str) -> Result<BTreeMap<String, Vec<String>>, serde_json::Error> {
    serde_json::from_str(text)
}

/// The channel name of a `#name` scope (DM scopes are returned unchanged).
pub(crate) fn channel_of_scope(scope: &str) -> &str {
    scope.strip_prefix('#').unwrap_or(scope)
}

/// JSON text of a payload.
pub(crate) fn to_json<T: Serialize>(payload: &T) -> String {
    serde_json::to_string(payload).expect("payload structs of strings and numbers always serialize")
}

fn parse_payload<T: for<'de> Deserialize<'de>>(row: &EventRow) -> Result<T, StoreError> {
    serde_json::from_str(&row.payload).map_err(|_| corrupt_event(row.id))
}

/// The error for an event row that does not read back (a damaged or foreign database).
pub(crate) fn corrupt_event(id: i64) -> StoreError {
    StoreError::Corrupt(format!(
        "event {id} in the database is malformed; restore the database from a backup"
    ))
}
