//! The schema as data — the SQL of every migration step, in order, never edited once released —
//! and the read-only probe that tells what a file is (absent, empty, chatify at version N, newer,
//! not SQLite, someone else's SQLite) without modifying it. Used by `migrations` (which applies
//! the steps) and by `Store::open` / `StoreReader::open` (which probe first).

use std::io::Read;
use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::error::StoreError;

/// Schema version 1: accounts, sessions, channels, memberships, read markers, the append-only
/// `events` log and the `messages` current-state table (folded messages, for fast history).
pub(crate) const V1_SQL: &str = r#"
CREATE TABLE schema_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE accounts (
    name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
    password_phc TEXT NOT NULL,
    pk TEXT,
    created_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE sessions (
    token_hash BLOB NOT NULL PRIMARY KEY,
    user TEXT NOT NULL COLLATE NOCASE,
    created_ms INTEGER NOT NULL,
    last_used_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_last_used ON sessions (last_used_ms);

CREATE TABLE channels (
    name TEXT NOT NULL PRIMARY KEY,
    mode TEXT NOT NULL CHECK (mode IN ('open', 'sealed')),
    salt TEXT,
    kdf TEXT,
    kcv TEXT,
    created_by TEXT NOT NULL,
    created_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE memberships (
    channel TEXT NOT NULL,
    user TEXT NOT NULL COLLATE NOCASE,
    joined_ms INTEGER NOT NULL,
    PRIMARY KEY (channel, user)
) WITHOUT ROWID;
CREATE INDEX memberships_user ON memberships (user, channel);

CREATE TABLE read_markers (
    user TEXT NOT NULL COLLATE NOCASE,
    scope TEXT NOT NULL,
    seq INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (user, scope)
) WITHOUT ROWID;

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    ts INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('msg', 'edit', 'delete', 'react', 'dm')),
    scope TEXT NOT NULL,
    seq INTEGER NOT NULL,
    sender TEXT NOT NULL,
    target INTEGER,
    payload TEXT NOT NULL,
    UNIQUE (scope, seq)
);
CREATE INDEX events_target ON events (target) WHERE target IS NOT NULL;
CREATE INDEX events_dm_ts ON events (scope, ts) WHERE kind = 'dm';

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    scope TEXT NOT NULL,
    seq INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    sender TEXT NOT NULL,
    c TEXT,
    enc TEXT,
    reply_to INTEGER,
    edited_ms INTEGER,
    deleted INTEGER NOT NULL DEFAULT 0,
    reacts TEXT,
    UNIQUE (scope, seq)
);
CREATE INDEX messages_scope_ts ON messages (scope, ts);
CREATE INDEX messages_scope_sender ON messages (scope, sender COLLATE NOCASE);

INSERT INTO schema_meta (key, value) VALUES ('schema_version', '1')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
"#;

/// Schema version 2: full-text search over open channels (FTS5, contentless with deletes) and
/// the blind-token index of sealed channels. Both are back-filled from the existing messages by
/// the step's hook (`migrations::backfill_v2`), which can take a while on a big database.
pub(crate) const V2_SQL: &str = r#"
CREATE VIRTUAL TABLE message_fts USING fts5 (
    c,
    ch,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE blind_tokens (
    scope TEXT NOT NULL,
    token TEXT NOT NULL,
    msg_id INTEGER NOT NULL,
    PRIMARY KEY (scope, token, msg_id)
) WITHOUT ROWID;
CREATE INDEX blind_tokens_msg ON blind_tokens (msg_id);

INSERT INTO schema_meta (key, value) VALUES ('schema_version', '2')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
"#;

/// Schema version 3: the addresses each account logged in from with its password (the login
/// throttle does not hold failures made elsewhere against them), at most 8 per account.
pub(crate) const V3_SQL: &str = r#"
CREATE TABLE login_addresses (
    user TEXT NOT NULL COLLATE NOCASE,
    address TEXT NOT NULL,
    last_ms INTEGER NOT NULL,
    PRIMARY KEY (user, address)
) WITHOUT ROWID;

INSERT INTO schema_meta (key, value) VALUES ('schema_version', '3')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
"#;

/// Schema version 4: governance. Server admins, disabled accounts, per-channel settings (topic,
/// invite-only, listed, moderated, retention), channel operators, invitations, bans and timed
/// mutes, the `sys` column of system lines (moderation events shown in history), and purge marks
/// (a purged scope's highest seq, so seqs never restart, and where its history now begins). Existing
/// sealed channels become invite-only and unlisted (the default for new sealed channels), and the
/// oldest account becomes the first server admin, as it would have on an empty server.
pub(crate) const V4_SQL: &str = r#"
ALTER TABLE accounts ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;

CREATE TABLE server_admins (
    user TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
    granted_by TEXT,
    granted_ms INTEGER NOT NULL
) WITHOUT ROWID;

ALTER TABLE channels ADD COLUMN topic TEXT NOT NULL DEFAULT '';
ALTER TABLE channels ADD COLUMN invite_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE channels ADD COLUMN listed INTEGER NOT NULL DEFAULT 1;
ALTER TABLE channels ADD COLUMN moderated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE channels ADD COLUMN retention_ms INTEGER;

CREATE TABLE channel_ops (
    channel TEXT NOT NULL,
    user TEXT NOT NULL COLLATE NOCASE,
    granted_by TEXT NOT NULL,
    granted_ms INTEGER NOT NULL,
    PRIMARY KEY (channel, user)
) WITHOUT ROWID;

CREATE TABLE channel_invites (
    channel TEXT NOT NULL,
    user TEXT NOT NULL COLLATE NOCASE,
    invited_by TEXT NOT NULL,
    invited_ms INTEGER NOT NULL,
    PRIMARY KEY (channel, user)
) WITHOUT ROWID;

CREATE TABLE channel_bans (
    channel TEXT NOT NULL,
    user TEXT NOT NULL COLLATE NOCASE,
    banned_by TEXT NOT NULL,
    banned_ms INTEGER NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (channel, user)
) WITHOUT ROWID;

CREATE TABLE channel_mutes (
    channel TEXT NOT NULL,
    user TEXT NOT NULL COLLATE NOCASE,
    muted_by TEXT NOT NULL,
    until_ms INTEGER NOT NULL,
    PRIMARY KEY (channel, user)
) WITHOUT ROWID;

ALTER TABLE messages ADD COLUMN sys TEXT;

CREATE TABLE purge_marks (
    scope TEXT NOT NULL PRIMARY KEY,
    last_seq INTEGER NOT NULL,
    purged_before_ms INTEGER NOT NULL
) WITHOUT ROWID;

UPDATE channels SET invite_only = 1, listed = 0 WHERE mode = 'sealed';
INSERT INTO server_admins (user, granted_by, granted_ms)
    SELECT name, NULL, created_ms FROM accounts ORDER BY created_ms, name LIMIT 1;

INSERT INTO schema_meta (key, value) VALUES ('schema_version', '4')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
"#;

/// Schema version 5: deleting a message deletes its words from the full-text index for real.
/// The v2 index (`contentless_delete`) only hid a deleted row behind a tombstone and kept its
/// words in the index pages until some later merge; this one is contentless without that option,
/// so a row is removed with FTS5's `delete` command given the text that was indexed, and its
/// `secure-delete` setting removes the words from the index pages at once. Re-built from the
/// live messages by the step's hook (`backfill::backfill_v5`).
pub(crate) const V5_SQL: &str = r#"
DROP TABLE message_fts;

CREATE VIRTUAL TABLE message_fts USING fts5 (
    c,
    ch,
    content = '',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO message_fts (message_fts, rank) VALUES ('secure-delete', 1);

INSERT INTO schema_meta (key, value) VALUES ('schema_version', '5')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
"#;

/// Schema version 6: the full-text index is kept in step off the ack path. The writer no longer
/// indexes an open-channel message inside its append; it indexes the messages after
/// `fts_progress.indexed_through` in large steps of their own (`fts_steps`), moving the position
/// in the same transaction as the rows. Everything at or below the position that belongs in the
/// index is there; nothing above it is. v5's back-fill indexed every live message, so the
/// position starts at the newest message.
pub(crate) const V6_SQL: &str = r#"
CREATE TABLE fts_progress (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_through INTEGER NOT NULL
);
INSERT INTO fts_progress (id, indexed_through)
    VALUES (1, (SELECT coalesce(max(id), 0) FROM messages));

INSERT INTO schema_meta (key, value) VALUES ('schema_version', '6')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
"#;

/// Schema version 7: one row per message. A channel message's current state (the text after
/// its edits, deleted, reactions, its system-line `sys`) moves from the `messages` table into
/// columns of its `msg` row in `events`, and `messages` becomes a view of those rows, so a new
/// message costs one row and four index entries instead of two rows and six. The log stays
/// complete: a `msg` row's payload keeps the original text (`c`, `enc`) once the message has been
/// edited; until then the text columns are the original. Unedited, live messages lose the copy
/// of their text in the payload here, as new rows never have it.
pub(crate) const V7_SQL: &str = r#"
ALTER TABLE events ADD COLUMN c TEXT;
ALTER TABLE events ADD COLUMN enc TEXT;
ALTER TABLE events ADD COLUMN reply_to INTEGER;
ALTER TABLE events ADD COLUMN edited_ms INTEGER;
ALTER TABLE events ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN reacts TEXT;
ALTER TABLE events ADD COLUMN sys TEXT;

UPDATE events SET c = m.c, enc = m.enc, reply_to = m.reply_to, edited_ms = m.edited_ms,
        deleted = m.deleted, reacts = m.reacts, sys = m.sys
    FROM messages m
    WHERE m.id = events.id AND events.kind = 'msg';
UPDATE events SET payload = json_remove(payload, '$.c', '$.enc', '$.reply_to', '$.sys')
    WHERE kind = 'msg' AND edited_ms IS NULL AND deleted = 0
      AND json_valid(payload) AND json_type(payload) = 'object';

DROP TABLE messages;

CREATE INDEX events_msg_ts ON events (scope, ts) WHERE kind = 'msg';
CREATE INDEX events_msg_sender ON events (scope, sender COLLATE NOCASE) WHERE kind = 'msg';

CREATE VIEW messages AS
    SELECT id, scope, seq, ts, sender, c, enc, reply_to, edited_ms, deleted, reacts, sys
    FROM events
    WHERE kind = 'msg';

INSERT INTO schema_meta (key, value) VALUES ('schema_version', '7')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
"#;

/// What a database path holds, found without modifying it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Probe {
    /// No file.
    Absent,
    /// A zero-length file, or an SQLite database with no tables at all.
    Empty,
    /// A chatify database at this schema version (not newer than supported).
    Version(u32),
}

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// Offset of `PRAGMA user_version` in the 100-byte database header (big-endian 32-bit).
const USER_VERSION_OFFSET: usize = 60;

/// Finds out what `path` is. Never writes: the header is read with plain file I/O, and only if
/// that is inconclusive is the file opened through SQLite, read-only and with no checkpoint on
/// close. A newer schema is `StoreError::NewerSchema`.
pub(crate) fn probe(path: &Path, supported: u32) -> Result<Probe, StoreError> {
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Probe::Absent),
        Err(error) => return Err(StoreError::io(format!("reading {}", path.display()), error)),
    };
    if metadata.is_dir() {
        return Err(StoreError::NotChatify(format!(
            "{} is a directory, not a chatify database; give the path of the database file",
            path.display()
        )));
    }
    if metadata.len() == 0 {
        return Ok(Probe::Empty);
    }
    let header_version = read_header_user_version(path)?;
    if header_version > supported {
        return Err(StoreError::NewerSchema {
            found: header_version,
            supported,
        });
    }
    probe_with_sqlite(path, supported)
}

fn read_header_user_version(path: &Path) -> Result<u32, StoreError> {
    let mut header = [0u8; 100];
    let mut file = std::fs::File::open(path)
        .map_err(|error| StoreError::io(format!("opening {}", path.display()), error))?;
    let mut filled = 0;
    while filled < header.len() {
        let read = file
            .read(&mut header[filled..])
            .map_err(|error| StoreError::io(format!("reading {}", path.display()), error))?;
        if read == 0 {
            break;
        }
        filled += read;
    }
    if filled < header.len() || &header[..16] != SQLITE_MAGIC {
        return Err(not_sqlite(path));
    }
    let bytes: [u8; 4] = header[USER_VERSION_OFFSET..USER_VERSION_OFFSET + 4]
        .try_into()
        .expect("a 4-byte slice of a 100-byte array");
    // user_version is a signed 32-bit value; a negative one is certainly not chatify's.
    let value = i32::from_be_bytes(bytes);
    u32::try_from(value).map_err(|_| not_chatify(path))
}

fn probe_with_sqlite(path: &Path, supported: u32) -> Result<Probe, StoreError> {
    let conn = open_probe_connection(path)?;
    let user_version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|error| classify_open_error(path, error))?;
    let has_meta: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_meta')",
            [],
            |row| row.get(0),
        )
        .map_err(|error| classify_open_error(path, error))?;
    let user_version = u32::try_from(user_version).map_err(|_| not_chatify(path))?;
    if !has_meta {
        let tables: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
            [],
            |row| row.get(0),
        )?;
        if tables == 0 && user_version == 0 {
            return Ok(Probe::Empty);
        }
        if user_version > supported {
            return Err(StoreError::NewerSchema {
                found: user_version,
                supported,
            });
        }
        return Err(not_chatify(path));
    }
    let meta_version = read_meta_version(&conn, path)?;
    let found = meta_version.max(user_version);
    if found > supported {
        return Err(StoreError::NewerSchema { found, supported });
    }
    if meta_version != user_version {
        return Err(StoreError::Corrupt(format!(
            "{}: schema_meta says schema version {meta_version} but PRAGMA user_version says {user_version}; restore the database from a backup",
            path.display()
        )));
    }
    Ok(Probe::Version(found))
}

/// A read-only connection for probing. Without WAL content beside the file, the main file is
/// the whole database: open it `immutable` (no locks, no `-wal`/`-shm` files created). With WAL
/// content, read through it (read-only: it cannot checkpoint into the main file).
fn open_probe_connection(path: &Path) -> Result<Connection, StoreError> {
    let mut wal = path.as_os_str().to_os_string();
    wal.push("-wal");
    let wal_has_content = std::fs::metadata(&wal).is_ok_and(|metadata| metadata.len() > 0);
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let opened = if wal_has_content {
        Connection::open_with_flags(path, flags)
    } else {
        let uri = format!("file:{}?immutable=1", uri_path(path));
        Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
    };
    let conn = opened.map_err(|error| classify_open_error(path, error))?;
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        true,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

fn read_meta_version(conn: &Connection, path: &Path) -> Result<u32, StoreError> {
    let value: Option<String> = conn
        .query_row(
            "SELECT value FROM schema_meta WHERE key = 'schema_version'",
            [],
            |row| row.get(0),
        )
        .optional()?;
    let value = value.ok_or_else(|| {
        StoreError::Corrupt(format!(
            "{}: schema_meta has no schema_version row; restore the database from a backup",
            path.display()
        ))
    })?;
    value.trim().parse::<u32>().map_err(|_| {
        StoreError::Corrupt(format!(
            "{}: schema_meta has an unreadable schema_version; restore the database from a backup",
            path.display()
        ))
    })
}

/// The path part of a `file:` URI: every byte but unreserved ones and `/` percent-encoded.
fn uri_path(path: &Path) -> String {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().replace('\\', "/").into_bytes();
    let mut encoded = String::with_capacity(bytes.len());
    for byte in bytes {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'/' | b'-' | b'_' | b'.' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Maps an error met while opening/reading a database file to a clear error.
pub(crate) fn classify_open_error(path: &Path, error: rusqlite::Error) -> StoreError {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => not_sqlite(path),
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => StoreError::Corrupt(format!(
            "{} is damaged (SQLite reports corruption); restore it from a backup",
            path.display()
        )),
        Some(rusqlite::ErrorCode::CannotOpen) => StoreError::Unavailable(format!(
            "cannot open {}; check that the path and its directory are readable",
            path.display()
        )),
        _ => StoreError::Sqlite(error),
    }
}

fn not_sqlite(path: &Path) -> StoreError {
    StoreError::NotChatify(format!(
        "{} is not an SQLite database, so not a chatify database; point --db at chatify's database file (or move this file away to start a new one)",
        path.display()
    ))
}

fn not_chatify(path: &Path) -> StoreError {
    StoreError::NotChatify(format!(
        "{} is an SQLite database of another program, not chatify's (it has no schema_meta table); point --db at chatify's database file",
        path.display()
    ))
}
