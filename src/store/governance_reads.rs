//! Governance queries (schema v3), as further `impl Reader` blocks: server admins, bans and
//! invitations (checked when someone joins or is invited), a channel's operators and mutes
//! (loaded with the channel), where a purged channel's history begins, and the operator's
//! listings of accounts, sessions and channels for `chatify admin`.

use rusqlite::{Connection, OptionalExtension, params};

use super::error::StoreError;
use super::reader::StoreReader;
use super::types::{AccountSummary, ChannelRecord, ChannelSummary, SessionSummary};
use crate::proto::{self, ChannelMode};

impl StoreReader {
    /// Whether `user` is a server admin.
    pub fn is_admin(&self, user: &str) -> Result<bool, StoreError> {
        exists(
            &self.conn,
            "SELECT 1 FROM server_admins WHERE user = ?1",
            &[user],
        )
    }

    /// Whether `user` is banned from `channel`.
    pub fn is_banned(&self, channel: &str, user: &str) -> Result<bool, StoreError> {
        exists(
            &self.conn,
            "SELECT 1 FROM channel_bans WHERE channel = ?1 AND user = ?2",
            &[channel, user],
        )
    }

    /// Whether `user` holds an unused invitation to `channel`.
    pub fn is_invited(&self, channel: &str, user: &str) -> Result<bool, StoreError> {
        exists(
            &self.conn,
            "SELECT 1 FROM channel_invites WHERE channel = ?1 AND user = ?2",
            &[channel, user],
        )
    }

    /// The accounts banned from `channel`, by name.
    pub fn channel_bans(&self, channel: &str) -> Result<Vec<String>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT user FROM channel_bans WHERE channel = ?1 ORDER BY user")?;
        let names = statement
            .query_map([channel], |row| row.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(names)
    }

    /// Whether a retention sweep at `now_ms` would purge anything: some channel whose retention
    /// (its own or `server_retention_ms`, the shorter) has a message a purge may delete. Asked
    /// before each sweep so an idle one writes nothing (on a cluster node, nothing to the log).
    pub fn has_expired_messages(
        &self,
        server_retention_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let channels: Vec<(String, Option<i64>)> = self
            .conn
            .prepare_cached("SELECT name, retention_ms FROM channels ORDER BY name")?
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let sql = format!(
            "SELECT EXISTS (SELECT 1 {})",
            super::governance::admin::PURGEABLE_MESSAGES
        );
        for (channel, retention_ms) in channels {
            let Some(retention) =
                crate::model::governance::effective_retention_ms(retention_ms, server_retention_ms)
            else {
                continue;
            };
            let before_ms = now_ms.saturating_sub(retention.max(0));
            let expired: bool = self
                .conn
                .prepare_cached(&sql)?
                .query_row(params![proto::channel_scope(&channel), before_ms], |row| {
                    row.get(0)
                })?;
            if expired {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Where a channel's history begins after purges (Unix ms), `None` if never purged.
    pub fn purged_before(&self, channel: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT purged_before_ms FROM purge_marks WHERE scope = ?1")?
            .query_row([proto::channel_scope(channel)], |row| row.get(0))
            .optional()?)
    }

    /// Every account with its roles and counts, by name.
    pub fn account_summaries(&self) -> Result<Vec<AccountSummary>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT a.name, a.created_ms, a.disabled,
                    EXISTS (SELECT 1 FROM server_admins s WHERE s.user = a.name),
                    (SELECT count(*) FROM sessions s WHERE s.user = a.name),
                    (SELECT count(*) FROM memberships m WHERE m.user = a.name)
             FROM accounts a ORDER BY a.name",
        )?;
        let accounts = statement
            .query_map([], |row| {
                Ok(AccountSummary {
                    name: row.get(0)?,
                    created_ms: row.get(1)?,
                    disabled: row.get::<_, i64>(2)? != 0,
                    admin: row.get::<_, i64>(3)? != 0,
                    sessions: row.get(4)?,
                    channels: row.get(5)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(accounts)
    }

    /// Saved sessions (never their tokens), newest use first; only `user`'s when given.
    pub fn session_summaries(&self, user: Option<&str>) -> Result<Vec<SessionSummary>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT lower(substr(hex(token_hash), 1, 8)), user, created_ms, last_used_ms
             FROM sessions WHERE ?1 IS NULL OR user = ?1
             ORDER BY last_used_ms DESC, user",
        )?;
        let sessions = statement
            .query_map(params![user], |row| {
                Ok(SessionSummary {
                    id: row.get(0)?,
                    user: row.get(1)?,
                    created_ms: row.get(2)?,
                    last_used_ms: row.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(sessions)
    }

    /// Every channel with its owner, counts and settings, by name.
    pub fn channel_summaries(&self) -> Result<Vec<ChannelSummary>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT c.name, c.mode, c.created_by, c.topic, c.invite_only, c.listed,
                    (SELECT count(*) FROM memberships m WHERE m.channel = c.name),
                    (SELECT count(*) FROM messages g WHERE g.scope = '#' || c.name)
             FROM channels c ORDER BY c.name",
        )?;
        let channels = statement
            .query_map([], |row| {
                let mode: String = row.get(1)?;
                Ok(ChannelSummary {
                    name: row.get(0)?,
                    mode: if mode == "sealed" {
                        ChannelMode::Sealed
                    } else {
                        ChannelMode::Open
                    },
                    owner: row.get(2)?,
                    topic: row.get(3)?,
                    invite_only: row.get::<_, i64>(4)? != 0,
                    listed: row.get::<_, i64>(5)? != 0,
                    members: row.get(6)?,
                    messages: u64::try_from(row.get::<_, i64>(7)?).unwrap_or(0),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(channels)
    }
}

/// Fills a channel record's operators and mutes.
pub(crate) fn load_roles(conn: &Connection, channel: &mut ChannelRecord) -> Result<(), StoreError> {
    let mut statement =
        conn.prepare_cached("SELECT user FROM channel_ops WHERE channel = ?1 ORDER BY user")?;
    channel.governance.ops = statement
        .query_map([&channel.name], |row| row.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    let mut statement = conn.prepare_cached(
        "SELECT user, until_ms FROM channel_mutes WHERE channel = ?1 ORDER BY user",
    )?;
    channel.governance.mutes = statement
        .query_map([&channel.name], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<Vec<(String, i64)>, _>>()?;
    Ok(())
}

fn exists(conn: &Connection, sql: &str, values: &[&str]) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row(rusqlite::params_from_iter(values), |_| Ok(()))
        .optional()?
        .is_some())
}
