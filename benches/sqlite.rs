//! `cargo bench --bench sqlite`: the storage limit of the schema, and history at 10 M events.
//! (a) SQLite alone: the rows one open-channel message costs — one `events` row, one `messages`
//! row, one FTS5 row, with the statements the store's writer runs (copied here; see
//! `src/store/append.rs`) prepared once — inserted by one thread in transactions of 100 and
//! 1,000 messages into a database created by `Store::open` (so the schema and pragmas are the
//! store's), with this process's CPU time per message. No channel, ack or tokio overhead: the
//! ceiling the writer can approach. (b) A fast generator that fills a channel to N events
//! (default 10 M) by writing the same tables directly in large transactions (FTS off unless
//! `CHATIFY_BENCH_BULK_FTS=1`: history pages never read it), then 50-message history pages at
//! random positions through `Store::read`, as the server runs them.

mod common;

use std::path::Path;
use std::time::Instant;

use chatify::store::{AppendOp, HistoryQuery, Store, StoreOptions, StoreReader};
use common::{Samples, SplitMix64, Vocabulary, heading, ms, per_second, process_cpu, thousands};
use rusqlite::{Connection, params};

const CHANNEL: &str = "general";
const SENDER: &str = "bench";
const MESSAGE_BYTES: usize = 200;

/// The writer's statements for one open-channel `msg` (src/store/append.rs).
const INSERT_EVENT: &str = "INSERT INTO events (ts, kind, scope, seq, sender, target, payload)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
const INSERT_MESSAGE: &str = "INSERT INTO messages (id, scope, seq, ts, sender, c, enc, reply_to)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
const INSERT_FTS: &str = "INSERT INTO message_fts (rowid, c, ch) VALUES (?1, ?2, ?3)";

/// A candidate one-row schema: the message's state beside its log row, one table, the
/// indexes the reads need (for the figure of what such a schema step would buy).
const ONE_ROW_SCHEMA: &str = "CREATE TABLE events_one_row (
    id INTEGER PRIMARY KEY,
    ts INTEGER NOT NULL,
    kind TEXT NOT NULL,
    scope TEXT NOT NULL,
    seq INTEGER NOT NULL,
    sender TEXT NOT NULL,
    target INTEGER,
    c TEXT,
    enc TEXT,
    reply_to INTEGER,
    edited_ms INTEGER,
    deleted INTEGER NOT NULL DEFAULT 0,
    reacts TEXT,
    UNIQUE (scope, seq)
);
CREATE INDEX events_one_row_target ON events_one_row (target) WHERE target IS NOT NULL;
CREATE INDEX events_one_row_scope_ts ON events_one_row (scope, ts);
CREATE INDEX events_one_row_scope_sender ON events_one_row (scope, sender COLLATE NOCASE)
    WHERE kind = 'msg';";
const INSERT_ONE_ROW: &str = "INSERT INTO events_one_row (ts, kind, scope, seq, sender, c)
     VALUES (?1, 'msg', ?2, ?3, ?4, ?5)";

/// Which rows one message costs in a run of (a): `CHATIFY_BENCH_SQLITE_PARTS`, a comma list of
/// `full` (the store's writer today: events + messages + FTS5), `events`, `events+messages`,
/// `no-channel-token` (full, with an empty FTS `ch` column) and `one-row` (the candidate
/// schema above + FTS5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Full,
    Events,
    EventsMessages,
    FullWithoutChannelToken,
    OneRow,
}

impl Variant {
    fn from_env() -> anyhow::Result<Vec<Variant>> {
        let list = std::env::var("CHATIFY_BENCH_SQLITE_PARTS").unwrap_or_else(|_| "full".into());
        list.split(',')
            .map(|name| match name.trim() {
                "full" => Ok(Variant::Full),
                "events" => Ok(Variant::Events),
                "events+messages" => Ok(Variant::EventsMessages),
                "no-channel-token" => Ok(Variant::FullWithoutChannelToken),
                "one-row" => Ok(Variant::OneRow),
                other => anyhow::bail!("CHATIFY_BENCH_SQLITE_PARTS: unknown part list entry {other:?}"),
            })
            .collect()
    }

    fn describe(self) -> &'static str {
        match self {
            Variant::Full => "events + messages + FTS5",
            Variant::Events => "events only",
            Variant::EventsMessages => "events + messages",
            Variant::FullWithoutChannelToken => "events + messages + FTS5 (no ch)",
            Variant::OneRow => "one row + FTS5 (candidate)",
        }
    }

    fn messages_row(self) -> bool {
        matches!(
            self,
            Variant::Full | Variant::EventsMessages | Variant::FullWithoutChannelToken
        )
    }
}

fn main() -> anyhow::Result<()> {
    let rows = common::env_usize("CHATIFY_BENCH_SQLITE_ROWS", 100_000).max(1);
    let batches = common::env_list("CHATIFY_BENCH_SQLITE_BATCHES", &[100, 1_000]);
    let history_events = common::env_usize("CHATIFY_BENCH_HISTORY_EVENTS", 10_000_000);
    let history_queries = common::env_usize("CHATIFY_BENCH_HISTORY_QUERIES", 1_000).max(1);
    let with_fts = common::env_usize("CHATIFY_BENCH_BULK_FTS", 0) != 0;
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    println!(
        "chatify SQLite-alone benchmark (databases under {})",
        dir.path().display()
    );
    let vocabulary = Vocabulary::new();

    let variants = Variant::from_env()?;
    heading(&format!(
        "(a) SQLite alone: {} messages per run, one thread, synchronous=NORMAL",
        thousands(rows as u64)
    ));
    for &variant in &variants {
        for &batch in &batches {
            let db = dir.path().join(format!("sqlite-alone-{batch}.db"));
            let first_seq = prepare(&db)?;
            let conn = open_like_the_store(&db)?;
            if variant == Variant::OneRow {
                conn.execute_batch(ONE_ROW_SCHEMA)?;
            }
            let cpu_before = own_cpu();
            let started = Instant::now();
            insert_messages(&conn, &vocabulary, first_seq, rows, batch.max(1), variant)?;
            let elapsed = started.elapsed();
            let cpu = own_cpu().saturating_sub(cpu_before);
            println!(
                "{:<34} batches of {batch:>5}: {} = {:.1} µs CPU per message ({:.2} s wall)",
                variant.describe(),
                per_second(rows as u64, elapsed),
                cpu.as_secs_f64() * 1e6 / rows as f64,
                elapsed.as_secs_f64()
            );
            drop(conn);
            remove_database(&db);
        }
    }

    heading(&format!(
        "(b) history page of 50 in {} events (generated directly, batches of 50,000, FTS {})",
        thousands(history_events as u64),
        if with_fts { "on" } else { "off" }
    ));
    let db = dir.path().join("history-bulk.db");
    let first_seq = prepare(&db)?;
    let conn = open_like_the_store(&db)?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    let started = Instant::now();
    let missing = history_events.saturating_sub(first_seq as usize - 1);
    let variant = if with_fts {
        Variant::Full
    } else {
        Variant::EventsMessages
    };
    insert_messages(&conn, &vocabulary, first_seq, missing, 50_000, variant)?;
    drop(conn);
    println!(
        "generated {} events in {:.1} s ({}); file {} MiB",
        thousands(missing as u64),
        started.elapsed().as_secs_f64(),
        per_second(missing as u64, started.elapsed()),
        std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0) / (1024 * 1024)
    );
    history(&db, history_queries)?;
    remove_database(&db);
    Ok(())
}

/// Creates the database through `Store::open` and appends one message through the store (so
/// the channel and its counters exist); returns the next free seq.
fn prepare(db: &Path) -> anyhow::Result<i64> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let store = Store::open(db, StoreOptions::default())?;
    let seq = runtime.block_on(async {
        let phc = chatify::crypto::hash_password("bench-password-long-enough")?;
        store.create_account(SENDER, &phc, None, now_ms()).await?;
        let appended = store
            .append_wait(AppendOp::Msg {
                channel: CHANNEL.into(),
                sender: SENDER.into(),
                c: "first".into(),
                enc: None,
                idx: Vec::new(),
                reply_to: None,
            })
            .await?;
        anyhow::Ok(appended.seq)
    })?;
    store.close();
    Ok(seq + 1)
}

/// A connection configured as the store's writer configures its own (WAL, NORMAL, memory temp).
fn open_like_the_store(db: &Path) -> anyhow::Result<Connection> {
    let conn = Connection::open(db)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(conn)
}

/// Inserts `count` messages from seq `first_seq` on, `batch` per transaction, the way the writer
/// does (payload serialised per message, statements prepared once).
fn insert_messages(
    conn: &Connection,
    vocabulary: &Vocabulary,
    first_seq: i64,
    count: usize,
    batch: usize,
    variant: Variant,
) -> anyhow::Result<()> {
    let scope = chatify::proto::channel_scope(CHANNEL);
    let channel_token = channel_token(CHANNEL);
    let mut rng = SplitMix64::new(7);
    let mut ts = now_ms();
    let mut seq = first_seq;
    let mut left = count;
    while left > 0 {
        let this_batch = left.min(batch);
        let tx = conn.unchecked_transaction()?;
        {
            let mut event = tx.prepare_cached(INSERT_EVENT)?;
            let mut message = tx.prepare_cached(INSERT_MESSAGE)?;
            let mut fts = tx.prepare_cached(INSERT_FTS)?;
            let mut one_row = match variant {
                Variant::OneRow => Some(tx.prepare_cached(INSERT_ONE_ROW)?),
                _ => None,
            };
            for _ in 0..this_batch {
                let c = vocabulary.message(&mut rng, MESSAGE_BYTES);
                ts += 1;
                let id = if let Some(one_row) = one_row.as_mut() {
                    one_row.execute(params![ts, scope, seq, SENDER, c])?;
                    tx.last_insert_rowid()
                } else {
                    let payload = serde_json::json!({ "c": c }).to_string();
                    event.execute(params![ts, "msg", scope, seq, SENDER, None::<i64>, payload])?;
                    tx.last_insert_rowid()
                };
                if variant.messages_row() {
                    message.execute(params![
                        id,
                        scope,
                        seq,
                        ts,
                        SENDER,
                        c,
                        None::<String>,
                        None::<i64>
                    ])?;
                }
                match variant {
                    Variant::Full | Variant::OneRow => {
                        fts.execute(params![id, c, channel_token])?;
                    }
                    Variant::FullWithoutChannelToken => {
                        fts.execute(params![id, c, ""])?;
                    }
                    Variant::Events | Variant::EventsMessages => {}
                }
                seq += 1;
            }
        }
        tx.commit()?;
        left -= this_batch;
    }
    Ok(())
}

/// History pages of 50 before random seqs, through `Store::read` and on a `StoreReader` directly.
fn history(db: &Path, queries: usize) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let store = Store::open(db, StoreOptions::default())?;
    let total =
        runtime.block_on(store.read(|r| r.last_seq(&chatify::proto::channel_scope(CHANNEL))))?;
    let mut rng = SplitMix64::new(42);
    let positions: Vec<i64> = (0..queries)
        .map(|_| rng.range(51, total.max(51) as u64 + 2) as i64)
        .collect();
    let mut through_store = Samples::with_capacity(queries);
    runtime.block_on(async {
        for &before in &positions {
            let started = Instant::now();
            store
                .read(move |reader| reader.history(CHANNEL, &history_query(before)))
                .await?;
            through_store.push(started.elapsed());
        }
        anyhow::Ok(())
    })?;
    store.close();
    println!(
        "Store::read + Reader::history:  {}",
        through_store.summary()
    );
    let reader = StoreReader::open(db)?;
    let mut direct = Samples::with_capacity(queries);
    for &before in &positions {
        let started = Instant::now();
        reader.history(CHANNEL, &history_query(before))?;
        direct.push(started.elapsed());
    }
    println!("Reader::history alone:          {}", direct.summary());
    println!(
        "(channel holds {} messages; p99 through the store: {})",
        thousands(total as u64),
        ms(through_store.percentile(99.0))
    );
    Ok(())
}

fn history_query(before: i64) -> HistoryQuery {
    HistoryQuery {
        limit: 50,
        before_seq: Some(before),
        ..HistoryQuery::default()
    }
}

/// The FTS `ch` token of a channel: `ch` + the name in hex (as src/store/fts.rs stores it).
fn channel_token(channel: &str) -> String {
    let mut token = String::from("ch");
    for byte in channel.bytes() {
        token.push_str(&format!("{byte:02x}"));
    }
    token
}

fn remove_database(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut path = db.as_os_str().to_owned();
        path.push(suffix);
        let _ = std::fs::remove_file(path);
    }
}

fn own_cpu() -> std::time::Duration {
    process_cpu("self").unwrap_or_default()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
