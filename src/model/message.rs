//! The message as everyone shows it: [`MessageEvent`] is both the `msg` broadcast and the
//! folded message of `history`, `search`, `rewind` and `joined.hist` (PROTOCOL.md §5), and what
//! [`super::fold`] folds edits, deletions and reactions into. It is a model type that the wire
//! carries as is (`proto` re-exports it), so the store and the fold need no wire module.

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

/// `skip_serializing_if` for flags that are only sent when set.
pub(crate) fn is_false(value: &bool) -> bool {
    !*value
}
