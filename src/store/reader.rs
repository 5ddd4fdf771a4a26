//! [`StoreReader`]: one read-only connection and the account, session, channel and membership
//! queries. The message queries live beside it (`history`: history, catch-up, DMs, rewind;
//! `search`: full-text and blind-token search) as further `impl StoreReader` blocks. The server uses
//! pooled readers through `Store::read`; the one-shot tools' `--db` mode opens one directly.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};

use super::SESSION_MAX_IDLE_MS;
use super::error::StoreError;
use super::migrations::SCHEMA_VERSION;
use super::schema::{self, Probe};
use super::types::{Account, ChannelGovernance, ChannelRecord, ReadMarker};
use crate::proto::{self, ChannelMode};

/// A read-only connection to a chatify database.
pub struct StoreReader {
    pub(crate) conn: Connection,
}

/// How much of the database file a reader maps into memory instead of copying pages in with
/// `pread` (SQLite's `mmap_size`). A ranked search reads the rows of ~2,000 candidates scattered
/// over the file; with `pread` a third of its CPU time went into the kernel's copies (issue 13,
/// fifth pass). Address space only: the pages are the kernel's file cache, shared by every
/// reader; the part of the file beyond this size is read as before.
const READER_MMAP_BYTES: i64 = 1 << 30;

const ACCOUNT_COLUMNS: &str = "a.name, a.password_phc, a.pk, a.created_ms, a.disabled";
const CHANNEL_COLUMNS: &str = "name, mode, salt, kdf, kcv, created_by, created_ms, topic, invite_only, listed, moderated, retention_ms";

impl StoreReader {
    /// Opens a database file read-only (never creates or modifies it). Refuses a newer schema
    /// (`NewerSchema`) and an older one (`NeedsMigration`).
    pub fn open(path: &Path) -> Result<StoreReader, StoreError> {
        match schema::probe(path, SCHEMA_VERSION)? {
            Probe::Absent | Probe::Empty => Err(StoreError::NoDatabase(path.to_path_buf())),
            Probe::Version(found) if found < SCHEMA_VERSION => Err(StoreError::NeedsMigration {
                found,
                target: SCHEMA_VERSION,
                path: path.to_path_buf(),
            }),
            Probe::Version(_) => StoreReader::open_pooled(path, 5_000),
        }
    }

    /// Opens a read-only connection without probing (the store has already checked the file).
    pub(crate) fn open_pooled(
        path: &Path,
        busy_timeout_ms: u32,
    ) -> Result<StoreReader, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|error| schema::classify_open_error(path, error))?;
        conn.busy_timeout(Duration::from_millis(u64::from(busy_timeout_ms)))?;
        conn.set_prepared_statement_cache_capacity(64);
        conn.pragma_update(None, "mmap_size", READER_MMAP_BYTES)?;
        Ok(StoreReader { conn })
    }

    /// The schema version recorded in the database.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))?;
        u32::try_from(version).map_err(|_| StoreError::Corrupt("negative user_version".into()))
    }

    /// An account by name, compared case-insensitively.
    pub fn account(&self, name: &str) -> Result<Option<Account>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.name = ?1");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([name], account_from_row)
            .optional()?)
    }

    /// Whether `user` logged in with its password from `address` (one of its newest 8).
    pub fn is_login_address(&self, user: &str, address: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM login_addresses WHERE user = ?1 AND address = ?2")?
            .query_row([user, address], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// The user of a session, or `None` if the token is unknown or unused for over 30 days.
    pub fn session_user(
        &self,
        token_hash: &[u8; 32],
        now_ms: i64,
    ) -> Result<Option<String>, StoreError> {
        let row: Option<(String, i64)> = self
            .conn
            .prepare_cached("SELECT user, last_used_ms FROM sessions WHERE token_hash = ?1")?
            .query_row([&token_hash[..]], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        Ok(row.and_then(|(user, last_used)| {
            (now_ms.saturating_sub(last_used) <= SESSION_MAX_IDLE_MS).then_some(user)
        }))
    }

    /// The sessions of `user` that have not expired by `now_ms`, most recently used first.
    pub fn user_sessions(
        &self,
        user: &str,
        now_ms: i64,
    ) -> Result<Vec<super::SessionRecord>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT token_hash, created_ms, last_used_ms FROM sessions
             WHERE user = ?1 AND last_used_ms >= ?2 ORDER BY last_used_ms DESC, created_ms DESC",
        )?;
        let oldest = now_ms.saturating_sub(SESSION_MAX_IDLE_MS);
        let rows = statement.query_map(rusqlite::params![user, oldest], |row| {
            let hash: Vec<u8> = row.get(0)?;
            Ok((hash, row.get(1)?, row.get(2)?))
        })?;
        let mut sessions = Vec::new();
        for row in rows {
            let (hash, created_ms, last_used_ms) = row?;
            if let Ok(token_hash) = <[u8; 32]>::try_from(hash.as_slice()) {
                sessions.push(super::SessionRecord {
                    token_hash,
                    created_ms,
                    last_used_ms,
                });
            }
        }
        Ok(sessions)
    }

    /// Every channel with its members and last seq (for server start).
    pub fn channels(&self) -> Result<Vec<ChannelRecord>, StoreError> {
        let mut members: HashMap<String, Vec<String>> = HashMap::new();
        let mut statement = self.conn.prepare_cached(
            "SELECT channel, user FROM memberships ORDER BY channel, joined_ms, user",
        )?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        for row in rows {
            let (channel, user): (String, String) = row?;
            members.entry(channel).or_default().push(user);
        }
        let sql = format!("SELECT {CHANNEL_COLUMNS} FROM channels ORDER BY name");
        let mut statement = self.conn.prepare_cached(&sql)?;
        let mut channels = statement
            .query_map([], channel_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        for channel in &mut channels {
            channel.members = members.remove(&channel.name).unwrap_or_default();
            channel.last_seq = last_seq(&self.conn, &proto::channel_scope(&channel.name))?;
            super::governance_reads::load_roles(&self.conn, channel)?;
        }
        Ok(channels)
    }

    /// One channel with its members and last seq.
    pub fn channel(&self, name: &str) -> Result<Option<ChannelRecord>, StoreError> {
        load_channel(&self.conn, name)
    }

    /// The channels `user` is a member of, by name.
    pub fn user_channels(&self, user: &str) -> Result<Vec<String>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT channel FROM memberships WHERE user = ?1 ORDER BY channel")?;
        let channels = statement
            .query_map([user], |row| row.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(channels)
    }

    /// Whether `user` is a member of `channel`.
    pub fn is_member(&self, channel: &str, user: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM memberships WHERE channel = ?1 AND user = ?2")?
            .query_row([channel, user], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Every other user who shares at least one channel with `user`, by name.
    pub fn users_sharing_channels(&self, user: &str) -> Result<Vec<Account>, StoreError> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a
             WHERE a.name IN (
                 SELECT theirs.user FROM memberships mine
                 JOIN memberships theirs ON theirs.channel = mine.channel
                 WHERE mine.user = ?1)
               AND a.name <> ?1
             ORDER BY a.name"
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let accounts = statement
            .query_map([user], account_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(accounts)
    }

    /// One page of [`StoreReader::users_sharing_channels`]: at most `limit` accounts named after
    /// `after` (exclusive, case-insensitive order), and whether more follow. Walks accounts in
    /// name order and probes memberships by index, so a page costs O(limit), not O(members).
    pub fn users_sharing_channels_page(
        &self,
        user: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Account>, bool), StoreError> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a
             WHERE a.name > ?2 AND a.name <> ?1
               AND EXISTS (
                 SELECT 1 FROM memberships theirs
                 JOIN memberships mine ON mine.channel = theirs.channel AND mine.user = ?1
                 WHERE theirs.user = a.name)
             ORDER BY a.name LIMIT ?3"
        );
        let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
        let mut statement = self.conn.prepare_cached(&sql)?;
        let mut accounts = statement
            .query_map(params![user, after.unwrap_or(""), fetch], account_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        let more = accounts.len() > limit;
        accounts.truncate(limit);
        Ok((accounts, more))
    }

    /// `name` (any case) if it shares a channel with `user` (the one-user form of
    /// [`Self::users_sharing_channels_page`]: how a client learns one DM peer's key).
    pub fn user_sharing_channels(
        &self,
        user: &str,
        name: &str,
    ) -> Result<Option<Account>, StoreError> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a
             WHERE a.name = ?2 COLLATE NOCASE AND a.name <> ?1
               AND EXISTS (
                 SELECT 1 FROM memberships theirs
                 JOIN memberships mine ON mine.channel = theirs.channel AND mine.user = ?1
                 WHERE theirs.user = a.name)"
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![user, name], account_from_row)
            .optional()?)
    }

    /// The read markers of `user`, by scope.
    pub fn read_markers(&self, user: &str) -> Result<Vec<ReadMarker>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT scope, seq, updated_ms FROM read_markers WHERE user = ?1 ORDER BY scope",
        )?;
        let markers = statement
            .query_map([user], |row| {
                Ok(ReadMarker {
                    scope: row.get(0)?,
                    seq: row.get(1)?,
                    updated_ms: row.get(2)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(markers)
    }

    /// The highest seq of a scope (`#channel` or `@a:b`), 0 if it has no events.
    pub fn last_seq(&self, scope: &str) -> Result<i64, StoreError> {
        last_seq(&self.conn, scope)
    }
}

/// One channel with members and last seq; shared with the writer (`create_channel`).
pub(crate) fn load_channel(
    conn: &Connection,
    name: &str,
) -> Result<Option<ChannelRecord>, StoreError> {
    let sql = format!("SELECT {CHANNEL_COLUMNS} FROM channels WHERE name = ?1");
    let Some(mut channel) = conn
        .prepare_cached(&sql)?
        .query_row([name], channel_from_row)
        .optional()?
    else {
        return Ok(None);
    };
    let mut statement = conn.prepare_cached(
        "SELECT user FROM memberships WHERE channel = ?1 ORDER BY joined_ms, user",
    )?;
    channel.members = statement
        .query_map([name], |row| row.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    channel.last_seq = last_seq(conn, &proto::channel_scope(name))?;
    super::governance_reads::load_roles(conn, &mut channel)?;
    Ok(Some(channel))
}

fn last_seq(conn: &Connection, scope: &str) -> Result<i64, StoreError> {
    let seq: Option<i64> = conn
        .prepare_cached(super::commit_thread::LAST_SEQ_SQL)?
        .query_row([scope], |row| row.get(0))?;
    Ok(seq.unwrap_or(0))
}

fn account_from_row(row: &Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        name: row.get(0)?,
        password_phc: row.get(1)?,
        pk: row.get(2)?,
        created_ms: row.get(3)?,
        disabled: row.get::<_, i64>(4)? != 0,
    })
}

fn channel_from_row(row: &Row<'_>) -> rusqlite::Result<ChannelRecord> {
    let mode: String = row.get(1)?;
    let mode = match mode.as_str() {
        "sealed" => ChannelMode::Sealed,
        _ => ChannelMode::Open,
    };
    let kdf: Option<String> = row.get(3)?;
    let kdf = match kdf {
        Some(text) => Some(
            serde_json::from_str::<proto::KdfSpec>(&text).map_err(|error| {
                rusqlite::Error::FromSqlConversionFailure(
                    3,
                    rusqlite::types::Type::Text,
                    error.into(),
                )
            })?,
        ),
        None => None,
    };
    Ok(ChannelRecord {
        name: row.get(0)?,
        mode,
        salt: row.get(2)?,
        kdf,
        kcv: row.get(4)?,
        created_by: row.get(5)?,
        created_ms: row.get(6)?,
        last_seq: 0,
        members: Vec::new(),
        governance: ChannelGovernance {
            topic: row.get(7)?,
            invite_only: row.get::<_, i64>(8)? != 0,
            listed: row.get::<_, i64>(9)? != 0,
            moderated: row.get::<_, i64>(10)? != 0,
            retention_ms: row.get(11)?,
            ops: Vec::new(),
            mutes: Vec::new(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_are_read_only_and_check_the_schema() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("r.db");
        assert!(matches!(
            StoreReader::open(&path),
            Err(StoreError::NoDatabase(_))
        ));
        crate::store::migrations::create_at_version(&path, 1).expect("v1");
        assert!(matches!(
            StoreReader::open(&path),
            Err(StoreError::NeedsMigration {
                found: 1,
                target: SCHEMA_VERSION,
                ..
            })
        ));
        let latest = dir.path().join("latest.db");
        crate::store::migrations::create_at_version(&latest, SCHEMA_VERSION).expect("latest");
        let reader = StoreReader::open(&latest).expect("open");
        assert_eq!(reader.schema_version().expect("version"), SCHEMA_VERSION);
        let write = reader.conn.execute(
            "INSERT INTO accounts (name, password_phc, created_ms) VALUES ('x', 'y', 0)",
            [],
        );
        assert_eq!(
            write.err().and_then(|error| error.sqlite_error_code()),
            Some(rusqlite::ErrorCode::ReadOnly)
        );
        let mapped: i64 = reader
            .conn
            .query_row("PRAGMA mmap_size", [], |row| row.get(0))
            .expect("mmap_size");
        assert_eq!(mapped, READER_MMAP_BYTES, "readers map the file");
    }
}
