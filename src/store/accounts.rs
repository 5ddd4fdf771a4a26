//! The non-event writes run by the writer inside its transaction: accounts, sessions (only a
//! hash of the token is ever stored), channels, memberships and read markers. Used only by
//! `writer`; the matching reads are in `reader`.

use rusqlite::{Connection, OptionalExtension, params};

use super::SESSION_MAX_IDLE_MS;
use super::error::StoreError;
use super::types::{Account, ChannelRecord, NewChannel};
use super::{governance, reader};

/// The channel every new account joins.
pub(crate) const GENERAL: &str = "general";

pub(crate) fn create_account(
    conn: &Connection,
    name: &str,
    password_phc: &str,
    pk: Option<&str>,
    now_ms: i64,
) -> Result<Account, StoreError> {
    if registered_name(conn, name)?.is_some() {
        return Err(StoreError::UserExists);
    }
    let first = governance::is_first_account(conn)?;
    conn.prepare_cached(
        "INSERT INTO accounts (name, password_phc, pk, created_ms) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![name, password_phc, pk, now_ms])?;
    conn.prepare_cached(
        "INSERT OR IGNORE INTO channels (name, mode, created_by, created_ms)
         VALUES (?1, 'open', ?2, ?3)",
    )?
    .execute(params![GENERAL, name, now_ms])?;
    conn.prepare_cached(
        "INSERT OR IGNORE INTO memberships (channel, user, joined_ms) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![GENERAL, name, now_ms])?;
    if first {
        governance::grant_admin(conn, name, None, now_ms)?;
    }
    Ok(Account {
        name: name.to_string(),
        password_phc: password_phc.to_string(),
        pk: pk.map(str::to_string),
        created_ms: now_ms,
        disabled: false,
    })
}

pub(crate) fn set_public_key(conn: &Connection, name: &str, pk: &str) -> Result<(), StoreError> {
    let changed = conn
        .prepare_cached("UPDATE accounts SET pk = ?2 WHERE name = ?1")?
        .execute(params![name, pk])?;
    if changed == 0 {
        return Err(StoreError::NoSuchUser);
    }
    Ok(())
}

pub(crate) fn create_session(
    conn: &Connection,
    user: &str,
    token_hash: &[u8; 32],
    now_ms: i64,
) -> Result<(), StoreError> {
    let user = registered_name(conn, user)?.ok_or(StoreError::NoSuchUser)?;
    conn.prepare_cached("DELETE FROM sessions WHERE last_used_ms < ?1")?
        .execute([now_ms.saturating_sub(SESSION_MAX_IDLE_MS)])?;
    conn.prepare_cached(
        "INSERT OR REPLACE INTO sessions (token_hash, user, created_ms, last_used_ms)
         VALUES (?1, ?2, ?3, ?3)",
    )?
    .execute(params![&token_hash[..], user, now_ms])?;
    Ok(())
}

pub(crate) fn touch_session(
    conn: &Connection,
    token_hash: &[u8; 32],
    now_ms: i64,
) -> Result<(), StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE sessions SET last_used_ms = max(last_used_ms, ?2) WHERE token_hash = ?1",
        )?
        .execute(params![&token_hash[..], now_ms])?;
    if changed == 0 {
        return Err(StoreError::NoSuchUser);
    }
    Ok(())
}

pub(crate) fn delete_session(conn: &Connection, token_hash: &[u8; 32]) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")?
        .execute([&token_hash[..]])?;
    Ok(())
}

/// Replaces an account's password hash and deletes every session of it but `keep`, in one
/// transaction; returns how many sessions were deleted.
pub(crate) fn change_password(
    conn: &Connection,
    user: &str,
    password_phc: &str,
    keep: &[u8; 32],
) -> Result<usize, StoreError> {
    let changed = conn
        .prepare_cached("UPDATE accounts SET password_phc = ?2 WHERE name = ?1")?
        .execute(params![user, password_phc])?;
    if changed == 0 {
        return Err(StoreError::NoSuchUser);
    }
    Ok(conn
        .prepare_cached("DELETE FROM sessions WHERE user = ?1 AND token_hash != ?2")?
        .execute(params![user, &keep[..]])?)
}

pub(crate) fn create_channel(
    conn: &Connection,
    channel: &NewChannel,
) -> Result<ChannelRecord, StoreError> {
    let kdf = channel
        .kdf
        .as_ref()
        .map(|kdf| serde_json::to_string(kdf).expect("a KDF spec always serializes"));
    // Sealed channels are invite-only and unlisted by default (docs/PROTOCOL.md §11).
    let sealed = channel.mode == crate::proto::ChannelMode::Sealed;
    conn.prepare_cached(
        "INSERT OR IGNORE INTO channels
             (name, mode, salt, kdf, kcv, created_by, created_ms, invite_only, listed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        channel.name,
        channel.mode.as_str(),
        channel.salt,
        kdf,
        channel.kcv,
        channel.creator,
        channel.now_ms,
        sealed,
        !sealed,
    ])?;
    reader::load_channel(conn, &channel.name)?.ok_or(StoreError::NoSuchChannel)
}

pub(crate) fn add_member(
    conn: &Connection,
    channel: &str,
    user: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    let exists: Option<i64> = conn
        .prepare_cached("SELECT 1 FROM channels WHERE name = ?1")?
        .query_row([channel], |row| row.get(0))
        .optional()?;
    if exists.is_none() {
        return Err(StoreError::NoSuchChannel);
    }
    let user = registered_name(conn, user)?.ok_or(StoreError::NoSuchUser)?;
    governance::admit_member(conn, channel, &user)?;
    conn.prepare_cached(
        "INSERT OR IGNORE INTO memberships (channel, user, joined_ms) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![channel, user, now_ms])?;
    Ok(())
}

pub(crate) fn remove_member(
    conn: &Connection,
    channel: &str,
    user: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM memberships WHERE channel = ?1 AND user = ?2")?
        .execute(params![channel, user])?;
    Ok(())
}

pub(crate) fn set_read_marker(
    conn: &Connection,
    user: &str,
    scope: &str,
    seq: i64,
    now_ms: i64,
) -> Result<(), StoreError> {
    let user = registered_name(conn, user)?.ok_or(StoreError::NoSuchUser)?;
    conn.prepare_cached(
        "INSERT INTO read_markers (user, scope, seq, updated_ms) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (user, scope) DO UPDATE
         SET seq = max(seq, excluded.seq), updated_ms = excluded.updated_ms",
    )?
    .execute(params![user, scope, seq, now_ms])?;
    Ok(())
}

/// The name as registered, looked up case-insensitively.
fn registered_name(conn: &Connection, name: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT name FROM accounts WHERE name = ?1")?
        .query_row([name], |row| row.get(0))
        .optional()?)
}

/// Login addresses kept per account (the newest by last successful login).
pub(crate) const LOGIN_ADDRESSES_PER_ACCOUNT: i64 = 8;

/// Remembers that `user` logged in with its password from `address` at `now_ms`, keeping only
/// the account's newest [`LOGIN_ADDRESSES_PER_ACCOUNT`].
pub(crate) fn remember_login_address(
    conn: &Connection,
    user: &str,
    address: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO login_addresses (user, address, last_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT (user, address) DO UPDATE SET last_ms = max(last_ms, excluded.last_ms)",
    )?
    .execute(params![user, address, now_ms])?;
    conn.prepare_cached(
        "DELETE FROM login_addresses WHERE user = ?1 AND address NOT IN (
             SELECT address FROM login_addresses WHERE user = ?1
             ORDER BY last_ms DESC, address LIMIT ?2)",
    )?
    .execute(params![user, LOGIN_ADDRESSES_PER_ACCOUNT])?;
    Ok(())
}
