//! The store's error type, [`StoreError`]: one typed enum that the server, the one-shot tools
//! and `chatify migrate` branch on (schema problems, op-level rejections, storage failures).
//! Messages are short, human and never contain SQL text or message bodies.

use std::path::PathBuf;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database was written by a newer chatify. The file has not been touched.
    #[error(
        "database schema version {found} is newer than this chatify supports ({supported}); upgrade chatify"
    )]
    NewerSchema { found: u32, supported: u32 },
    /// The database needs a schema migration and automatic migration is off.
    #[error(
        "database schema version {found} is older than this chatify uses ({target}); run `chatify migrate --db {}` (it writes a backup first)",
        path.display()
    )]
    NeedsMigration {
        found: u32,
        target: u32,
        path: PathBuf,
    },
    /// The file exists but is not a chatify database (not SQLite, or another program's SQLite).
    #[error("{0}")]
    NotChatify(String),
    /// The file is a chatify database but its contents are damaged or inconsistent.
    #[error("{0}")]
    Corrupt(String),
    /// No database file at the path (read-only opens never create one).
    #[error("no chatify database at {}; check --db, or start `chatify serve` once to create it", .0.display())]
    NoDatabase(PathBuf),
    /// `create_account`: the name is taken (compared case-insensitively).
    #[error("user already exists")]
    UserExists,
    /// The named user does not exist.
    #[error("no such user")]
    NoSuchUser,
    /// The named channel does not exist.
    #[error("no such channel")]
    NoSuchChannel,
    /// The target message is unknown, deleted, or in another channel.
    #[error("no such message")]
    NoSuchMessage,
    /// The sender may not do this (edit/delete of someone else's message).
    #[error("only the author may do that")]
    Forbidden,
    /// A new reaction on a message that already carries the most distinct emoji allowed.
    #[error("a message carries at most {limit} different reactions")]
    TooManyReactions { limit: usize },
    /// Governance: the account is banned from the channel (it cannot join or be invited).
    #[error("banned from the channel")]
    Banned,
    /// Governance: the account acted on is not a member of the channel.
    #[error("not a member of the channel")]
    TargetNotMember,
    /// Governance: the action changes nothing (already invited, not banned, …); says why.
    #[error("{0}")]
    Conflict(String),
    /// A search query that cannot be run (too many terms, a too-short prefix, …).
    #[error("{0}")]
    BadQuery(String),
    /// `StoreOptions` that make no sense (checked once, at open).
    #[error("invalid store options: {0}")]
    InvalidOptions(String),
    /// Storage is failing or shut down (writer gone, queue full, disk full, I/O).
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A migration step failed; the database was left at the last completed step.
    #[error("migration to schema version {version} failed: {reason}")]
    MigrationFailed { version: u32, reason: String },
    /// File-system error (creating directories, writing a backup).
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// An SQLite error not covered above.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl StoreError {
    /// True for rejections of one operation (the store itself is fine).
    pub fn is_rejection(&self) -> bool {
        matches!(
            self,
            StoreError::UserExists
                | StoreError::NoSuchUser
                | StoreError::NoSuchChannel
                | StoreError::NoSuchMessage
                | StoreError::Forbidden
                | StoreError::TooManyReactions { .. }
                | StoreError::BadQuery(_)
                | StoreError::Banned
                | StoreError::TargetNotMember
                | StoreError::Conflict(_)
        )
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        StoreError::Io {
            context: context.into(),
            source,
        }
    }
}
