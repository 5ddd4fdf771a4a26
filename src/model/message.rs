//! The message as everyone shows it: [`MessageEvent`] is both the `msg` broadcast and the
//! folded message of `history`, `search`, `rewind` and `joined.hist` (PROTOCOL.md §5), and
//! [`DmEvent`] is the `dm` broadcast and the folded DM of a DM `history`; both are what
//! [`super::fold`] folds edits, deletions and reactions into. They are model types that the wire
//! carries as is (`proto` re-exports them), so the store and the fold need no wire module.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A message event: the `msg` broadcast, and the folded form used by `history`, `search`,
/// `rewind` and `joined.hist` (which may add `edited`, `deleted`, `reacts` and drop `c`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageEvent {
    pub ch: String,
    pub id: i64,
    pub seq: i64,
    pub u: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c: Option<String>,
    pub ts: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited: Option<i64>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deleted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reacts: Option<BTreeMap<String, Vec<String>>>,
    /// Added: present on a system line (a moderation event); `u` is who acted, `c` says it in
    /// words for clients that do not know `sys` (docs/PROTOCOL.md §11.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sys: Option<Box<super::governance::SysEvent>>,
}

/// A direct message: the `dm` broadcast, and the folded form of a DM `history` (which may add
/// `edited`, `deleted` and `reacts`; a deleted DM has neither `c` nor `enc`). `c` is always an
/// envelope: the server never sees DM plaintext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmEvent {
    pub id: i64,
    pub from: String,
    pub to: String,
    /// The envelope of the text (of the latest edit); empty, and not sent, once deleted.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub c: String,
    /// The envelope format (`xc20p1`); empty, and not sent, once deleted.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub enc: String,
    pub ts: i64,
    /// Added: the id of the DM of the same conversation this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<i64>,
    /// Added (folded DMs): the `ts` of the latest edit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited: Option<i64>,
    /// Added (folded DMs): the author deleted it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deleted: bool,
    /// Added (folded DMs): who reacted with which emoji.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reacts: Option<BTreeMap<String, Vec<String>>>,
}

/// How an action (`/me waves`) is marked: inside the message text, CTCP style
/// (`\u{1}ACTION waves\u{1}`), so that in a sealed channel or a DM the flag is encrypted with
/// the text and the server cannot tell an action from a message. No one types a `\u{1}`, and
/// clients that do not know the mark show it as `ACTION waves` (control characters stripped).
const ACTION_OPENING: &str = "\u{1}ACTION ";
const ACTION_CLOSING: char = '\u{1}';

/// The text to send (and seal) for the action `text` (`/me text`).
pub fn action_body(text: &str) -> String {
    format!("{ACTION_OPENING}{text}{ACTION_CLOSING}")
}

/// What an action says (`waves` for `/me waves`), or `None` for an ordinary message. Also
/// reads the plain `/me ` prefix that clients before the mark sent.
pub fn action_text(body: &str) -> Option<&str> {
    match body.strip_prefix(ACTION_OPENING) {
        Some(rest) => Some(rest.strip_suffix(ACTION_CLOSING).unwrap_or(rest)),
        None => body.strip_prefix("/me "),
    }
}

/// `skip_serializing_if` for flags that are only sent when set.
pub(crate) fn is_false(value: &bool) -> bool {
    !*value
}
