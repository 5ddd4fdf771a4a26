//! Plain data the store API takes and returns: open options, append operations, account and
//! channel records, query options and pages (the committed events are in `events`). No SQL
//! here; the server, the one-shot tools and the tests build and read these.

use super::error::StoreError;
use crate::clock::Clock;
use crate::model::governance::ChannelSettings;
use crate::proto;

/// How hard commits are pushed to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=NORMAL` in WAL mode: survives a process crash (`kill -9`), not a power loss.
    #[default]
    Normal,
    /// `synchronous=FULL`: also survives an OS crash or power loss.
    Full,
}

/// Options of [`crate::store::Store::open`].
#[derive(Clone)]
pub struct StoreOptions {
    pub durability: Durability,
    /// Apply pending migrations at open; `false` refuses with `StoreError::NeedsMigration`.
    pub auto_migrate: bool,
    /// Before an automatic migration of a database that has data, write a backup beside it.
    pub backup_before_migrate: bool,
    /// Read-only connections in the pool.
    pub readers: usize,
    /// Bounded queue of requests to the writer thread.
    pub write_queue: usize,
    /// Largest number of requests committed in one transaction.
    pub batch_max: usize,
    /// How long a reader waits on a locked database before giving up, in milliseconds.
    pub busy_timeout_ms: u32,
    /// Where event `ts` come from (the system clock by default). The writer never lets `ts`
    /// decrease, whatever the clock says.
    pub clock: Clock,
    /// How long the writer's queue stays empty before it indexes new open-channel messages for
    /// full-text search, in milliseconds (default 20). The writer indexes in large steps of
    /// their own, off the ack path: now and then while it is idle, and at once when the backlog
    /// grows large; a search always brings the index up to date first (`Store::search`).
    pub search_index_idle_ms: u64,
}

impl std::fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreOptions")
            .field("durability", &self.durability)
            .field("auto_migrate", &self.auto_migrate)
            .field("backup_before_migrate", &self.backup_before_migrate)
            .field("readers", &self.readers)
            .field("write_queue", &self.write_queue)
            .field("batch_max", &self.batch_max)
            .field("busy_timeout_ms", &self.busy_timeout_ms)
            .field("clock", &self.clock)
            .field("search_index_idle_ms", &self.search_index_idle_ms)
            .finish()
    }
}

/// Counters of the writer thread (for benchmarks and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoreStats {
    /// Group-commit batches processed (one transaction each).
    pub transactions: u64,
    /// Requests processed (accepted or rejected).
    pub requests: u64,
}

impl StoreOptions {
    /// Refuses options that make no sense (an empty reader pool, write queue or batch) instead
    /// of silently adjusting them. `Store::open` calls it first.
    pub fn validate(&self) -> Result<(), StoreError> {
        let checks = [
            (self.readers, "readers"),
            (self.write_queue, "write_queue"),
            (self.batch_max, "batch_max"),
        ];
        for (value, name) in checks {
            if value == 0 {
                return Err(StoreError::InvalidOptions(format!(
                    "{name} must be at least 1"
                )));
            }
        }
        Ok(())
    }
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            durability: Durability::Normal,
            auto_migrate: true,
            backup_before_migrate: true,
            readers: 4,
            write_queue: 65_536,
            batch_max: 1024,
            busy_timeout_ms: 5_000,
            clock: Clock::system(),
            search_index_idle_ms: 20,
        }
    }
}

/// A durable event to append. Names are canonical: channels without `#`, users as registered.
/// Serializable: a cluster node replicates it through the shared log (`replication`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AppendOp {
    Msg {
        channel: String,
        sender: String,
        c: String,
        enc: Option<String>,
        /// Blind tokens of a sealed-channel message (ignored in open channels).
        idx: Vec<String>,
        reply_to: Option<i64>,
    },
    Edit {
        channel: String,
        sender: String,
        target: i64,
        c: String,
        enc: Option<String>,
        /// `Some` replaces the message's blind tokens; `None` keeps them.
        idx: Option<Vec<String>>,
    },
    Delete {
        channel: String,
        sender: String,
        target: i64,
    },
    React {
        channel: String,
        sender: String,
        target: i64,
        emoji: String,
        on: bool,
    },
    Dm {
        from: String,
        to: String,
        c: String,
        enc: String,
        /// A DM of the same conversation this one answers (not checked to exist).
        reply_to: Option<i64>,
    },
    /// `from` replaces the text of their DM `target` to `to` (a new envelope).
    DmEdit {
        from: String,
        to: String,
        target: i64,
        c: String,
        enc: String,
    },
    /// `from` deletes their DM `target` to `to`; its text is purged in the same write.
    DmDelete {
        from: String,
        to: String,
        target: i64,
    },
    /// `from` adds (`on`) or removes a reaction to DM `target` of their conversation with `to`.
    DmReact {
        from: String,
        to: String,
        target: i64,
        emoji: String,
        on: bool,
    },
    /// A moderation action in a channel: its change and its system line, in one transaction.
    Moderate(Moderation),
}

/// A moderation action by `actor` in `channel`. The server checks the actor's role first; the
/// store checks the target (registered, member, banned, …), applies the change, and appends the
/// system line (a `msg` event with `sys`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Moderation {
    pub channel: String,
    pub actor: String,
    pub action: ModerationAction,
}

/// What a [`Moderation`] does.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ModerationAction {
    /// Lets `user` join an invite-only channel (and rejoin after leaving) until kicked or
    /// banned. Refused for a banned user or a member.
    Invite {
        user: String,
    },
    /// Removes a member; they may rejoin unless the channel is invite-only.
    Kick {
        user: String,
        reason: Option<String>,
    },
    /// Removes a member (if one) and keeps them out: no join, no invitation, until unbanned.
    Ban {
        user: String,
        reason: Option<String>,
    },
    Unban {
        user: String,
    },
    /// `user` may not speak in the channel for `secs` seconds from the event's `ts`.
    Mute {
        user: String,
        secs: u64,
        reason: Option<String>,
    },
    Unmute {
        user: String,
    },
    /// Makes a member an operator.
    Op {
        user: String,
    },
    Deop {
        user: String,
    },
    Topic {
        topic: String,
    },
    Settings(ChannelSettings),
    /// Deletes another member's message: a `delete` event by the actor, then the system line
    /// (the append reports the line; see `EventBody::Sys`).
    DeleteMessage {
        target: i64,
    },
}

/// One stored session of an account (PROTOCOL.md `sessions`): its token hash and times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub token_hash: [u8; 32],
    pub created_ms: i64,
    pub last_used_ms: i64,
}

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// As registered (case preserved).
    pub name: String,
    /// Argon2id PHC string.
    pub password_phc: String,
    /// Base64 X25519 identity public key.
    pub pk: Option<String>,
    pub created_ms: i64,
    /// Disabled by a server admin: cannot log in, has no sessions.
    pub disabled: bool,
}

/// A channel to create.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewChannel {
    pub name: String,
    pub mode: proto::ChannelMode,
    pub salt: Option<String>,
    pub kdf: Option<proto::KdfSpec>,
    pub kcv: Option<String>,
    pub creator: String,
    pub now_ms: i64,
}

/// A channel with its members and last seq.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelRecord {
    pub name: String,
    pub mode: proto::ChannelMode,
    pub salt: Option<String>,
    pub kdf: Option<proto::KdfSpec>,
    pub kcv: Option<String>,
    pub created_by: String,
    pub created_ms: i64,
    /// The highest seq of the channel (0 when it has no events).
    pub last_seq: i64,
    /// Member names as registered, in order of joining.
    pub members: Vec<String>,
    /// Topic, settings, operators and mutes.
    pub governance: ChannelGovernance,
}

/// A channel's governance state (schema v3). The owner is `ChannelRecord::created_by`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChannelGovernance {
    pub topic: String,
    pub invite_only: bool,
    pub listed: bool,
    pub moderated: bool,
    /// Messages older than this are purged; `None` keeps them (unless the server has a default).
    pub retention_ms: Option<i64>,
    /// Operators, as registered.
    pub ops: Vec<String>,
    /// Mutes that have not ended: (user as registered, until ms).
    pub mutes: Vec<(String, i64)>,
}

/// One account as `chatify admin users` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSummary {
    pub name: String,
    pub created_ms: i64,
    pub admin: bool,
    pub disabled: bool,
    pub sessions: u32,
    pub channels: u32,
}

/// One saved session as `chatify admin sessions` lists it: never the token, only a short id
/// (the first 8 hex digits of the token's hash) to name it for revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSummary {
    pub id: String,
    pub user: String,
    pub created_ms: i64,
    pub last_used_ms: i64,
}

/// One channel as `chatify admin channels` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSummary {
    pub name: String,
    pub mode: proto::ChannelMode,
    pub owner: String,
    pub members: u32,
    pub messages: u64,
    pub topic: String,
    pub invite_only: bool,
    pub listed: bool,
}

/// A read marker: the last seq a user has read in a scope (`#channel` or `@a:b`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadMarker {
    pub scope: String,
    pub seq: i64,
    pub updated_ms: i64,
}

/// Options of a history query. The page is the newest `limit` matching events, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryQuery {
    pub limit: u32,
    /// Channel events with a seq below this (exclusive).
    pub before_seq: Option<i64>,
    /// Events with an id below this (exclusive): the paging key of DM history (DM frames carry
    /// ids, not seqs); also accepted for channels.
    pub before_id: Option<i64>,
    /// Inclusive lower time bound, ms.
    pub since_ms: Option<i64>,
    /// Exclusive upper time bound, ms.
    pub until_ms: Option<i64>,
    /// Only events by this user (case-insensitive).
    pub from: Option<String>,
}

impl Default for HistoryQuery {
    fn default() -> Self {
        HistoryQuery {
            limit: proto::HISTORY_DEFAULT_LIMIT,
            before_seq: None,
            before_id: None,
            since_ms: None,
            until_ms: None,
            from: None,
        }
    }
}

/// Options of a search. Results are at most `limit`, best (or newest) first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchOptions {
    pub limit: u32,
    /// `Rank` (bm25, ties newest first) or `Newest`. Blind search is always newest first.
    pub sort: proto::SearchSort,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub from: Option<String>,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            limit: proto::SEARCH_DEFAULT_LIMIT,
            sort: proto::SearchSort::Rank,
            since_ms: None,
            until_ms: None,
            from: None,
        }
    }
}

/// One page of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub events: Vec<T>,
    /// More (older, or later for `history_after`) events exist beyond this page.
    pub more: bool,
}

impl<T> Page<T> {
    /// The same page with every event converted (e.g. into a wire frame).
    pub fn map<U>(self, convert: impl FnMut(T) -> U) -> Page<U> {
        Page {
            events: self.events.into_iter().map(convert).collect(),
            more: self.more,
        }
    }
}
