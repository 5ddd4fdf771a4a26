//! `cargo bench --bench sqlite`: the storage limit of the schema, and history at 10 M events.
//! (a) SQLite alone: the rows one open-channel message costs — one `events` row (schema v7: the
//! message's columns are in it) and one FTS5 row, with the statements the store's writer runs
//! (copied here; see `src/store/append.rs` and `fts_steps.rs`) prepared once — inserted by one
//! thread in transactions of 100 and 1,000 messages into a database created by `Store::open` (so
//! the schema and pragmas are the store's), with this process's CPU time per message. No channel,
//! ack or tokio overhead: the ceiling the writer can approach. `deferred` is the writer since
//! schema v7 (the row in the group's transaction, FTS5 rows in steps of 2,048 of their own); the
//! other parts (`CHATIFY_BENCH_SQLITE_PARTS`) split the cost. (b) A fast generator that fills a
//! channel to N events (default 10 M) by writing the same tables directly in large transactions
//! (FTS off unless `CHATIFY_BENCH_BULK_FTS=1`: history pages never read it), then 50-message
//! history pages at random positions through `Store::read`, as the server runs them.

mod common;

use std::path::Path;
use std::time::Instant;

use chatify::store::{AppendOp, HistoryQuery, Store, StoreOptions, StoreReader};
use common::{Samples, SplitMix64, Vocabulary, heading, ms, per_second, process_cpu, thousands};
use rusqlite::{Connection, params};

const CHANNEL: &str = "general";
const SENDER: &str = "bench";
const MESSAGE_BYTES: usize = 200;

/// The writer's statements for one open-channel `msg` (src/store/append.rs): since schema v7
/// one `events` row whose columns hold the message (the `messages` view), its id taken above
/// both the newest event and the high-water mark of deleted ones, as the writer takes it.
const INSERT_MESSAGE_EVENT: &str =
    "INSERT INTO events (id, ts, kind, scope, seq, sender, payload, c, enc, reply_to, sys)
     VALUES ((SELECT max(coalesce((SELECT max(id) FROM events), 0),
                         coalesce((SELECT CAST(value AS INTEGER) FROM schema_meta
                                   WHERE key = 'event_id_high_water'), 0)) + 1),
             ?1, 'msg', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
const INSERT_FTS: &str = "INSERT INTO message_fts (rowid, c, ch) VALUES (?1, ?2, ?3)";
/// The most messages one index step of the writer takes (`fts_steps`).
const FTS_STEP: usize = 2_048;

/// Schema v6's layout, for the before figure: the `messages` current-state table beside the
/// log (its own table, with v6's indexes), each message an `events` row with the text in its
/// payload plus a row here; v7's two partial indexes of `msg` rows are dropped, as v6 had none.
const TWO_ROW_SCHEMA: &str = "CREATE TABLE messages_v6 (
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
    sys TEXT,
    UNIQUE (scope, seq)
);
CREATE INDEX messages_v6_scope_ts ON messages_v6 (scope, ts);
CREATE INDEX messages_v6_scope_sender ON messages_v6 (scope, sender COLLATE NOCASE);
DROP INDEX events_msg_ts;
DROP INDEX events_msg_sender;";
const INSERT_EVENT_V6: &str = "INSERT INTO events (ts, kind, scope, seq, sender, target, payload)
     VALUES (?1, 'msg', ?2, ?3, ?4, NULL, ?5)";
const INSERT_MESSAGE_V6: &str =
    "INSERT INTO messages_v6 (id, scope, seq, ts, sender, c, enc, reply_to)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, NULL)";

/// Which rows one message costs in a run of (a): `CHATIFY_BENCH_SQLITE_PARTS`, a comma list of
/// `deferred` (the store's writer: the message's row, FTS5 rows in steps of their own), `full`
/// (the row and its FTS5 row in the same transaction), `row` (the row alone), `no-channel-token`
/// (full, with an empty FTS `ch` column) and `two-rows` (schema v6's layout: an `events` row and
/// a `messages` row, FTS5 in steps, for the before figure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Deferred,
    Full,
    Row,
    FullWithoutChannelToken,
    TwoRows,
}

impl Variant {
    fn from_env() -> anyhow::Result<Vec<Variant>> {
        let list = std::env::var("CHATIFY_BENCH_SQLITE_PARTS")
            .unwrap_or_else(|_| "deferred,two-rows".into());
        list.split(',')
            .map(|name| match name.trim() {
                "deferred" => Ok(Variant::Deferred),
                "full" => Ok(Variant::Full),
                "row" => Ok(Variant::Row),
                "no-channel-token" => Ok(Variant::FullWithoutChannelToken),
                "two-rows" => Ok(Variant::TwoRows),
                other => {
                    anyhow::bail!("CHATIFY_BENCH_SQLITE_PARTS: unknown part list entry {other:?}")
                }
            })
            .collect()
    }

    fn describe(self) -> &'static str {
        match self {
            Variant::Deferred => "one row, FTS5 in steps of 2,048",
            Variant::Full => "one row + FTS5",
            Variant::Row => "one row only",
            Variant::FullWithoutChannelToken => "one row + FTS5 (no ch)",
            Variant::TwoRows => "v6: two rows, FTS5 in steps",
        }
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
            if variant == Variant::TwoRows {
                conn.execute_batch(TWO_ROW_SCHEMA)?;
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
        Variant::Row
    };
    insert_messages(&conn, &vocabulary, first_seq, missing, 50_000, variant)?;
    // Without FTS the generated messages are not searchable (history never reads the index):
    // say so to the store, or it would index the whole backlog when it opens the file.
    conn.execute(
        "UPDATE fts_progress SET indexed_through = (SELECT max(id) FROM events) WHERE id = 1",
        [],
    )?;
    // A server that has run for a while has its WAL checkpointed into the file; without this the
    // store's checkpointer would copy the generator's whole WAL back during the first queries.
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
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

/// A connection configured as the store's writer configures its own (WAL, NORMAL, memory temp,
/// `secure_delete` ON, `CHECK` constraints skipped; `CHATIFY_BENCH_SQLITE_CHECKS=1` evaluates
/// them, as the writer did before). `CHATIFY_BENCH_SQLITE_SECURE_DELETE=0` turns off both secure
/// deletions (the pragma and FTS5's `secure-delete` option), to measure what they cost.
fn open_like_the_store(db: &Path) -> anyhow::Result<Connection> {
    let conn = Connection::open(db)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    let checks = common::env_usize("CHATIFY_BENCH_SQLITE_CHECKS", 0) != 0;
    conn.pragma_update(None, "ignore_check_constraints", !checks)?;
    let secure = common::env_usize("CHATIFY_BENCH_SQLITE_SECURE_DELETE", 1) != 0;
    conn.pragma_update(None, "secure_delete", if secure { "ON" } else { "OFF" })?;
    conn.execute(
        "INSERT INTO message_fts (message_fts, rank) VALUES ('secure-delete', ?1)",
        [i64::from(secure)],
    )?;
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
    let mut pending: Vec<(i64, String)> = Vec::new();
    while left > 0 {
        let this_batch = left.min(batch);
        let tx = conn.unchecked_transaction()?;
        {
            let mut one_row = tx.prepare_cached(INSERT_MESSAGE_EVENT)?;
            let mut fts = tx.prepare_cached(INSERT_FTS)?;
            for _ in 0..this_batch {
                let c = vocabulary.message(&mut rng, MESSAGE_BYTES);
                ts += 1;
                let id = if variant == Variant::TwoRows {
                    insert_two_rows(&tx, ts, &scope, seq, &c)?
                } else {
                    one_row.execute(params![
                        ts,
                        scope,
                        seq,
                        SENDER,
                        "{}",
                        c,
                        None::<String>,
                        None::<i64>,
                        None::<String>
                    ])?;
                    tx.last_insert_rowid()
                };
                match variant {
                    Variant::Full => {
                        fts.execute(params![id, c, channel_token])?;
                    }
                    Variant::FullWithoutChannelToken => {
                        fts.execute(params![id, c, ""])?;
                    }
                    Variant::Deferred | Variant::TwoRows => pending.push((id, c)),
                    Variant::Row => {}
                }
                seq += 1;
            }
        }
        tx.commit()?;
        left -= this_batch;
        if pending.len() >= FTS_STEP || (left == 0 && !pending.is_empty()) {
            index_step(conn, &mut pending, &channel_token)?;
        }
    }
    Ok(())
}

/// Schema v6's two rows for one message: the `events` row with the text in its payload, then
/// the `messages` row (here `messages_v6`); returns the id.
fn insert_two_rows(
    tx: &Connection,
    ts: i64,
    scope: &str,
    seq: i64,
    c: &str,
) -> anyhow::Result<i64> {
    let payload = serde_json::json!({ "c": c }).to_string();
    tx.prepare_cached(INSERT_EVENT_V6)?
        .execute(params![ts, scope, seq, SENDER, payload])?;
    let id = tx.last_insert_rowid();
    tx.prepare_cached(INSERT_MESSAGE_V6)?
        .execute(params![id, scope, seq, ts, SENDER, c])?;
    Ok(id)
}

/// One index step of the writer (src/store/fts_steps.rs): the pending messages' FTS5 rows and
/// the index position, in a transaction of their own.
fn index_step(
    conn: &Connection,
    pending: &mut Vec<(i64, String)>,
    channel_token: &str,
) -> anyhow::Result<()> {
    let tx = conn.unchecked_transaction()?;
    {
        let mut fts = tx.prepare_cached(INSERT_FTS)?;
        for (id, c) in pending.iter() {
            fts.execute(params![id, c, channel_token])?;
        }
        let last = pending.last().map_or(0, |(id, _)| *id);
        tx.execute(
            "UPDATE fts_progress SET indexed_through = ?1 WHERE id = 1",
            [last],
        )?;
    }
    tx.commit()?;
    pending.clear();
    Ok(())
}

/// History pages of 50 before random seqs: two passes through `Store::read` (different
/// positions; the first also warms the store's reader connections) and one on a `StoreReader`
/// directly.
fn history(db: &Path, queries: usize) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let store = Store::open(db, StoreOptions::default())?;
    let total =
        runtime.block_on(store.read(|r| r.last_seq(&chatify::proto::channel_scope(CHANNEL))))?;
    let mut through_store = Vec::new();
    for seed in [42, 43] {
        let mut rng = SplitMix64::new(seed);
        let positions: Vec<i64> = (0..queries)
            .map(|_| rng.range(51, total.max(51) as u64 + 2) as i64)
            .collect();
        let mut samples = Samples::with_capacity(queries);
        runtime.block_on(async {
            for &before in &positions {
                let started = Instant::now();
                store
                    .read(move |reader| reader.history(CHANNEL, &history_query(before)))
                    .await?;
                samples.push(started.elapsed());
            }
            anyhow::Ok(())
        })?;
        let pass = if seed == 42 { "first" } else { "second" };
        println!(
            "Store::read + Reader::history ({pass} pass): {}",
            samples.summary()
        );
        through_store.push(samples);
    }
    store.close();
    let mut rng = SplitMix64::new(44);
    let reader = StoreReader::open(db)?;
    let mut direct = Samples::with_capacity(queries);
    for _ in 0..queries {
        let before = rng.range(51, total.max(51) as u64 + 2) as i64;
        let started = Instant::now();
        reader.history(CHANNEL, &history_query(before))?;
        direct.push(started.elapsed());
    }
    println!(
        "Reader::history alone (a third set of positions): {}",
        direct.summary()
    );
    println!(
        "(channel holds {} messages; p99 through the store: {} first pass, {} second)",
        thousands(total as u64),
        ms(through_store[0].percentile(99.0)),
        ms(through_store[1].percentile(99.0))
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
