//! The bridge's own small SQLite store (the one place outside `src/store/` with SQL, because it
//! is the bridge's state, not the server's): which Discord message each relayed chatify message
//! became and the reverse, so edits, deletions and replies still map after a restart; and per
//! chatify channel the last `seq` relayed to Discord, so a restarted bridge relays what it
//! missed. Bounded: past `capacity` links the oldest are forgotten. The file is 0600 and sits
//! beside the bridge's session token. Only ids, channel names and relayed author names are kept;
//! never message text.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};

/// Which side a linked message was written on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Discord,
    Chatify,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Discord => "discord",
            Origin::Chatify => "chatify",
        }
    }
}

/// One chatify message ↔ Discord message pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageLink {
    pub chatify_id: i64,
    pub chatify_channel: String,
    pub discord_channel: u64,
    pub discord_id: u64,
    pub origin: Origin,
    /// The relayed author (`name@discord`) of a Discord-origin message; the chatify author
    /// otherwise.
    pub author: String,
}

/// Errors of the id map.
#[derive(Debug, thiserror::Error)]
pub enum IdMapError {
    #[error("message-id map: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("message-id map file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS links (
    chatify_id INTEGER PRIMARY KEY,
    chatify_channel TEXT NOT NULL,
    discord_channel INTEGER NOT NULL,
    discord_id INTEGER NOT NULL UNIQUE,
    origin TEXT NOT NULL CHECK (origin IN ('discord', 'chatify')),
    author TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS identifies (
    at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS cursors (
    chatify_channel TEXT PRIMARY KEY,
    seq INTEGER NOT NULL
) WITHOUT ROWID;
";

/// How many inserts pass between two trims to `capacity`.
const TRIM_EVERY: u64 = 256;

/// The durable message-id map; cheap to clone.
#[derive(Clone)]
pub struct IdMap {
    inner: Arc<Mutex<MapInner>>,
}

struct MapInner {
    conn: Connection,
    capacity: u64,
    inserts: u64,
}

impl IdMap {
    /// Opens (creating, 0600) the map at `path`, keeping at most `capacity` links.
    pub fn open(path: &Path, capacity: u64) -> Result<IdMap, IdMapError> {
        create_private_file(path)?;
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        let map = IdMap {
            inner: Arc::new(Mutex::new(MapInner {
                conn,
                capacity: capacity.max(1),
                inserts: 0,
            })),
        };
        map.lock().trim()?;
        Ok(map)
    }

    fn lock(&self) -> MutexGuard<'_, MapInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a pair (replacing an older pair with either id).
    pub fn record(&self, link: &MessageLink) -> Result<(), IdMapError> {
        let mut inner = self.lock();
        inner.conn.execute(
            "INSERT OR REPLACE INTO links
                 (chatify_id, chatify_channel, discord_channel, discord_id, origin, author)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                link.chatify_id,
                link.chatify_channel,
                link.discord_channel as i64,
                link.discord_id as i64,
                link.origin.as_str(),
                link.author,
            ],
        )?;
        inner.inserts += 1;
        if inner.inserts.is_multiple_of(TRIM_EVERY) {
            inner.trim()?;
        }
        Ok(())
    }

    /// The pair of a chatify message.
    pub fn by_chatify(&self, chatify_id: i64) -> Result<Option<MessageLink>, IdMapError> {
        self.lookup("chatify_id = ?1", chatify_id)
    }

    /// The pair of a Discord message.
    pub fn by_discord(&self, discord_id: u64) -> Result<Option<MessageLink>, IdMapError> {
        self.lookup("discord_id = ?1", discord_id as i64)
    }

    fn lookup(&self, condition: &str, key: i64) -> Result<Option<MessageLink>, IdMapError> {
        let sql = format!(
            "SELECT chatify_id, chatify_channel, discord_channel, discord_id, origin, author
             FROM links WHERE {condition}"
        );
        let inner = self.lock();
        let mut statement = inner.conn.prepare_cached(&sql)?;
        let link = statement
            .query_row(params![key], |row| {
                Ok(MessageLink {
                    chatify_id: row.get(0)?,
                    chatify_channel: row.get(1)?,
                    discord_channel: row.get::<_, i64>(2)? as u64,
                    discord_id: row.get::<_, i64>(3)? as u64,
                    origin: if row.get::<_, String>(4)? == "discord" {
                        Origin::Discord
                    } else {
                        Origin::Chatify
                    },
                    author: row.get(5)?,
                })
            })
            .optional()?;
        Ok(link)
    }

    /// How many pairs are kept.
    pub fn len(&self) -> Result<u64, IdMapError> {
        let inner = self.lock();
        let count: i64 = inner
            .conn
            .query_row("SELECT count(*) FROM links", [], |row| row.get(0))?;
        Ok(count as u64)
    }

    /// Whether no pair is kept.
    pub fn is_empty(&self) -> Result<bool, IdMapError> {
        Ok(self.len()? == 0)
    }

    /// The last `seq` of `channel` relayed to Discord, if any.
    pub fn cursor(&self, channel: &str) -> Result<Option<i64>, IdMapError> {
        let inner = self.lock();
        let seq = inner
            .conn
            .query_row(
                "SELECT seq FROM cursors WHERE chatify_channel = ?1",
                params![channel],
                |row| row.get(0),
            )
            .optional()?;
        Ok(seq)
    }

    /// Moves `channel`'s cursor forward to `seq` (never back).
    pub fn advance_cursor(&self, channel: &str, seq: i64) -> Result<(), IdMapError> {
        let inner = self.lock();
        inner.conn.execute(
            "INSERT INTO cursors (chatify_channel, seq) VALUES (?1, ?2)
             ON CONFLICT (chatify_channel) DO UPDATE SET seq = max(seq, excluded.seq)",
            params![channel, seq],
        )?;
        Ok(())
    }
}

impl IdMap {
    /// Records a Discord gateway identify at `at_ms` (the last 100 are kept).
    pub fn record_identify(&self, at_ms: i64) -> Result<(), IdMapError> {
        let inner = self.lock();
        inner
            .conn
            .execute("INSERT INTO identifies (at_ms) VALUES (?1)", params![at_ms])?;
        inner.conn.execute(
            "DELETE FROM identifies WHERE rowid NOT IN
                 (SELECT rowid FROM identifies ORDER BY at_ms DESC LIMIT 100)",
            [],
        )?;
        Ok(())
    }

    /// The recorded identifies at or after `since_ms`.
    pub fn identifies_since(&self, since_ms: i64) -> Result<Vec<i64>, IdMapError> {
        let inner = self.lock();
        let mut statement = inner
            .conn
            .prepare_cached("SELECT at_ms FROM identifies WHERE at_ms >= ?1 ORDER BY at_ms")?;
        let times = statement
            .query_map(params![since_ms], |row| row.get(0))?
            .collect::<Result<Vec<i64>, _>>()?;
        Ok(times)
    }
}

impl MapInner {
    /// Forgets the oldest pairs beyond the capacity (chatify ids grow with time).
    fn trim(&mut self) -> Result<(), IdMapError> {
        self.conn.execute(
            "DELETE FROM links WHERE chatify_id < (
                 SELECT chatify_id FROM links ORDER BY chatify_id DESC LIMIT 1 OFFSET ?1 - 1)",
            params![self.capacity as i64],
        )?;
        Ok(())
    }
}

/// Creates `path` empty with mode 0600 when absent; tightens an existing file to 0600.
fn create_private_file(path: &Path) -> Result<(), IdMapError> {
    let file_error = |source| IdMapError::File {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(file_error)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(file_error)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(file_error)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(chatify_id: i64, discord_id: u64) -> MessageLink {
        MessageLink {
            chatify_id,
            chatify_channel: "general".into(),
            discord_channel: 77,
            discord_id,
            origin: Origin::Chatify,
            author: "alice".into(),
        }
    }

    #[test]
    fn pairs_and_cursors_survive_reopening_and_stay_bounded() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("bridge-map.db");
        {
            let map = IdMap::open(&path, 1000).expect("open");
            map.record(&link(5, u64::MAX - 3)).expect("record");
            map.advance_cursor("general", 9).expect("cursor");
            map.advance_cursor("general", 4).expect("never back");
        }
        let map = IdMap::open(&path, 1000).expect("reopen");
        assert_eq!(
            map.by_discord(u64::MAX - 3).expect("lookup"),
            Some(link(5, u64::MAX - 3))
        );
        assert_eq!(
            map.by_chatify(5).expect("lookup").map(|l| l.discord_id),
            Some(u64::MAX - 3)
        );
        assert_eq!(map.by_chatify(6).expect("lookup"), None);
        assert_eq!(map.cursor("general").expect("cursor"), Some(9));
        assert_eq!(map.cursor("ops").expect("cursor"), None);
        for id in 10..1210 {
            map.record(&link(id, id as u64 + 1000)).expect("record");
        }
        assert!(map.len().expect("len") <= 1000 + TRIM_EVERY);
        drop(map);
        let map = IdMap::open(&path, 1000).expect("reopen trims");
        assert_eq!(map.len().expect("len"), 1000);
        assert_eq!(
            map.by_chatify(5).expect("lookup"),
            None,
            "the oldest went first"
        );
        map.record_identify(1000).expect("identify");
        map.record_identify(5000).expect("identify");
        assert_eq!(map.identifies_since(2000).expect("identifies"), vec![5000]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
