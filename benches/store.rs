//! `cargo bench --bench store`: the store's figures of DESIGN.md §8, measured through the public
//! `chatify::store` API on a fresh database under `CARGO_TARGET_TMPDIR` (a real disk, not tmpfs):
//! (a) durable ingest with acks from concurrent tokio tasks (closed loop and pipelined), with
//! group-commit batch sizes from `Store::stats`; (b) 50-message history pages at random
//! positions of an N-message channel; (c) open-channel full-text search (newest and rank) for
//! common and rare words. Sizes come from `CHATIFY_BENCH_*` variables (see `docs/BENCHMARKS.md`);
//! `CHATIFY_BENCH_DB` names a database file to keep and, when it already holds the messages, to
//! search again without ingesting (for A/B runs and profiles of search alone).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chatify::proto::SearchSort;
use chatify::store::{AppendOp, HistoryQuery, SearchOptions, Store, StoreOptions, StoreReader};
use common::{Samples, SplitMix64, Vocabulary, heading, ms, per_second, thousands};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

const CHANNEL: &str = "general";
const SENDER: &str = "bench";
const MESSAGE_BYTES: usize = 200;
/// Ranks of the single words searched for: from "in most messages" to "in a few hundred".
const QUERY_RANKS: [usize; 5] = [1, 10, 100, 1_000, 10_000];

struct Sizes {
    ingest_events: usize,
    senders: usize,
    window: usize,
    messages: usize,
    history_queries: usize,
    search_queries: usize,
}

impl Sizes {
    fn from_env() -> Sizes {
        Sizes {
            ingest_events: common::env_usize("CHATIFY_BENCH_EVENTS", 100_000),
            senders: common::env_usize("CHATIFY_BENCH_SENDERS", 10).max(1),
            window: common::env_usize("CHATIFY_BENCH_WINDOW", 32).max(1),
            messages: common::env_usize("CHATIFY_BENCH_MESSAGES", 1_000_000),
            history_queries: common::env_usize("CHATIFY_BENCH_HISTORY_QUERIES", 1_000).max(1),
            search_queries: common::env_usize("CHATIFY_BENCH_SEARCH_QUERIES", 50).max(1),
        }
    }
}

fn main() -> anyhow::Result<()> {
    let sizes = Sizes::from_env();
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let db = std::env::var_os("CHATIFY_BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("bench-store.db"));
    println!("chatify store benchmark (database {})", db.display());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let store = Store::open(&db, StoreOptions::default())?;
    let result = runtime.block_on(run(&store, &sizes));
    store.close();
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    println!();
    println!("database file: {} MiB", size / (1024 * 1024));
    result
}

async fn run(store: &Store, sizes: &Sizes) -> anyhow::Result<()> {
    let counts_file = store.path().with_extension("counts");
    let kept = store
        .read(|r| r.last_seq(&chatify::proto::channel_scope(CHANNEL)))
        .await?;
    if kept > 0 && kept as usize >= sizes.messages {
        println!(
            "reusing the {} messages already in #{CHANNEL} (no ingest)",
            thousands(kept as u64)
        );
        let counts = WordCounts::load(&counts_file);
        heading("(c) open-channel search (limit 50)");
        return search(store, &counts, kept, sizes.search_queries).await;
    }
    let phc = chatify::crypto::hash_password("bench-password-long-enough")?;
    store.create_account(SENDER, &phc, None, now_ms()).await?;
    let vocabulary = Arc::new(Vocabulary::new());
    let counts = Arc::new(WordCounts::default());

    heading(&format!(
        "(a) durable ingest with acks: {} tasks, {} events of ~{MESSAGE_BYTES} bytes",
        sizes.senders,
        thousands(sizes.ingest_events as u64)
    ));
    let feed = Arc::new(Feed::new(&vocabulary, &counts, 1));
    ingest(
        store,
        &feed,
        sizes.senders,
        1,
        sizes.ingest_events,
        "closed loop (1 in flight per task)",
    )
    .await?;
    let pipelined_label = format!("pipelined ({} in flight per task)", sizes.window);
    ingest(
        store,
        &feed,
        sizes.senders,
        sizes.window,
        sizes.ingest_events,
        &pipelined_label,
    )
    .await?;

    let already = 2 * sizes.ingest_events;
    let missing = sizes.messages.saturating_sub(already);
    heading(&format!(
        "filling the channel to {} messages ({} more, pipelined)",
        thousands(sizes.messages.max(already) as u64),
        thousands(missing as u64)
    ));
    ingest(
        store,
        &feed,
        sizes.senders,
        sizes.window.max(64),
        missing,
        "fill",
    )
    .await?;
    let total = store
        .read(|r| r.last_seq(&chatify::proto::channel_scope(CHANNEL)))
        .await?;
    println!(
        "channel #{CHANNEL} now holds {} messages",
        thousands(total as u64)
    );

    counts.save(&counts_file);

    heading("(b) history page of 50 at random positions");
    history(store, total, sizes.history_queries).await?;

    heading("(c) open-channel search (limit 50)");
    search(store, &counts, total, sizes.search_queries).await?;
    Ok(())
}

/// Message text for the senders (seeded per task) and counts of messages holding each query word.
struct Feed {
    vocabulary: Arc<Vocabulary>,
    counts: Arc<WordCounts>,
    seed: std::sync::atomic::AtomicU64,
}

#[derive(Default)]
struct WordCounts([std::sync::atomic::AtomicU64; QUERY_RANKS.len()]);

impl WordCounts {
    /// The counts saved beside a kept database (zeros when there are none).
    fn load(path: &std::path::Path) -> WordCounts {
        let counts = WordCounts::default();
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for (slot, value) in text.split_whitespace().enumerate().take(QUERY_RANKS.len()) {
            let value = value.parse().unwrap_or(0);
            counts.0[slot].store(value, std::sync::atomic::Ordering::Relaxed);
        }
        counts
    }

    fn save(&self, path: &std::path::Path) {
        let values: Vec<String> = self
            .0
            .iter()
            .map(|count| count.load(std::sync::atomic::Ordering::Relaxed).to_string())
            .collect();
        if let Err(error) = std::fs::write(path, values.join(" ")) {
            println!(
                "could not save the word counts to {}: {error}",
                path.display()
            );
        }
    }
}

impl Feed {
    fn new(vocabulary: &Arc<Vocabulary>, counts: &Arc<WordCounts>, seed: u64) -> Feed {
        Feed {
            vocabulary: vocabulary.clone(),
            counts: counts.clone(),
            seed: std::sync::atomic::AtomicU64::new(seed),
        }
    }

    fn next_seed(&self) -> u64 {
        self.seed.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    fn message(&self, rng: &mut SplitMix64, seen: &mut [u64; QUERY_RANKS.len()]) -> AppendOp {
        let c = self.vocabulary.message(rng, MESSAGE_BYTES);
        for (slot, rank) in QUERY_RANKS.iter().enumerate() {
            let word = Vocabulary::word(*rank);
            if c.split(' ').any(|w| w == word) {
                seen[slot] += 1;
            }
        }
        AppendOp::Msg {
            channel: CHANNEL.into(),
            sender: SENDER.into(),
            c,
            enc: None,
            idx: Vec::new(),
            reply_to: None,
        }
    }

    fn record(&self, seen: &[u64; QUERY_RANKS.len()]) {
        for (slot, count) in seen.iter().enumerate() {
            self.counts.0[slot].fetch_add(*count, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// Appends `events` from `tasks` concurrent tasks, each keeping `window` appends in flight, and
/// prints events/s and events per transaction.
async fn ingest(
    store: &Store,
    feed: &Arc<Feed>,
    tasks: usize,
    window: usize,
    events: usize,
    label: &str,
) -> anyhow::Result<()> {
    if events == 0 {
        println!("{label}: nothing to do");
        return Ok(());
    }
    let before = store.stats();
    let started = Instant::now();
    let mut handles = Vec::with_capacity(tasks);
    for task in 0..tasks {
        let share = events / tasks + usize::from(task < events % tasks);
        let store = store.clone();
        let feed = feed.clone();
        handles.push(tokio::spawn(send_share(store, feed, share, window)));
    }
    for handle in handles {
        handle.await??;
    }
    let elapsed = started.elapsed();
    let after = store.stats();
    let transactions = after.transactions - before.transactions;
    let requests = after.requests - before.requests;
    println!(
        "{label}: {} events in {:.2} s = {}  ({} transactions, {:.1} events per transaction)",
        thousands(events as u64),
        elapsed.as_secs_f64(),
        per_second(events as u64, elapsed),
        thousands(transactions),
        requests as f64 / transactions.max(1) as f64,
    );
    Ok(())
}

async fn send_share(
    store: Store,
    feed: Arc<Feed>,
    share: usize,
    window: usize,
) -> anyhow::Result<()> {
    let mut rng = SplitMix64::new(feed.next_seed());
    let mut seen = [0u64; QUERY_RANKS.len()];
    let mut in_flight = FuturesUnordered::new();
    for _ in 0..share {
        if in_flight.len() >= window
            && let Some(result) = in_flight.next().await
        {
            result?;
        }
        let op = feed.message(&mut rng, &mut seen);
        let store = store.clone();
        in_flight.push(async move { store.append_wait(op).await });
    }
    while let Some(result) = in_flight.next().await {
        result?;
    }
    feed.record(&seen);
    Ok(())
}

/// History pages of 50 before random seqs: through `Store::read` (the server's path: a pooled
/// reader on the blocking pool) and on a directly opened `StoreReader` (the query alone).
async fn history(store: &Store, total: i64, queries: usize) -> anyhow::Result<()> {
    let mut rng = SplitMix64::new(42);
    let positions: Vec<i64> = (0..queries)
        .map(|_| rng.range(51, total.max(51) as u64 + 2) as i64)
        .collect();
    let mut through_store = Samples::with_capacity(queries);
    let mut returned = 0usize;
    for &before in &positions {
        let started = Instant::now();
        let page = store
            .read(move |reader| reader.history(CHANNEL, &history_query(before)))
            .await?;
        through_store.push(started.elapsed());
        returned += page.events.len();
    }
    println!(
        "Store::read + StoreReader::history:  {}  ({:.1} events per page)",
        through_store.summary(),
        returned as f64 / queries as f64
    );
    let path = store.path().to_path_buf();
    let mut direct = tokio::task::spawn_blocking(move || -> anyhow::Result<Samples> {
        let reader = StoreReader::open(&path)?;
        let mut samples = Samples::with_capacity(positions.len());
        for &before in &positions {
            let started = Instant::now();
            reader.history(CHANNEL, &history_query(before))?;
            samples.push(started.elapsed());
        }
        Ok(samples)
    })
    .await??;
    println!("StoreReader::history alone:          {}", direct.summary());
    Ok(())
}

fn history_query(before: i64) -> HistoryQuery {
    HistoryQuery {
        limit: 50,
        before_seq: Some(before),
        ..HistoryQuery::default()
    }
}

/// Each query word (and one two-word query) searched `queries` times per sort order.
async fn search(
    store: &Store,
    counts: &WordCounts,
    total: i64,
    queries: usize,
) -> anyhow::Result<()> {
    let mut cases: Vec<(String, String)> = QUERY_RANKS
        .iter()
        .enumerate()
        .map(|(slot, rank)| {
            let matching = counts.0[slot].load(std::sync::atomic::Ordering::Relaxed);
            let share = 100.0 * matching as f64 / total.max(1) as f64;
            let note = format!(
                "rank {rank}, in {} messages ({share:.2} %)",
                thousands(matching)
            );
            (Vocabulary::word(*rank), note)
        })
        .collect();
    let pair = format!("{} {}", Vocabulary::word(1), Vocabulary::word(1_000));
    cases.push((pair, "rank 1 AND rank 1,000".into()));
    // `CHATIFY_BENCH_SEARCH_CASES` (1-based positions in the list above) and
    // `CHATIFY_BENCH_SEARCH_SORTS` (`newest`, `rank`) narrow the run, e.g. for a profile.
    if let Ok(wanted) = std::env::var("CHATIFY_BENCH_SEARCH_CASES") {
        let wanted: Vec<usize> = wanted
            .split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect();
        let mut position = 0;
        cases.retain(|_| {
            position += 1;
            wanted.contains(&position)
        });
    }
    let sorts =
        std::env::var("CHATIFY_BENCH_SEARCH_SORTS").unwrap_or_else(|_| "newest,rank".into());
    let sorts: Vec<SearchSort> = [("newest", SearchSort::Newest), ("rank", SearchSort::Rank)]
        .into_iter()
        .filter(|(name, _)| sorts.split(',').any(|s| s.trim() == *name))
        .map(|(_, sort)| sort)
        .collect();
    // The writer indexes in steps off the ack path: the queries below read the index directly.
    store.bring_search_index_up_to_date().await?;
    for sort in sorts {
        let mut all = Samples::with_capacity(cases.len() * queries);
        for (query, note) in &cases {
            let mut samples = Samples::with_capacity(queries);
            let mut hits = 0;
            for _ in 0..queries {
                let query = query.clone();
                let started = Instant::now();
                let found = store
                    .read(move |reader| {
                        reader.search(&[CHANNEL.to_string()], &query, &search_options(sort))
                    })
                    .await?;
                let elapsed = started.elapsed();
                samples.push(elapsed);
                all.push(elapsed);
                hits = found.len();
            }
            println!(
                "{sort:?} {query:>20} ({note}; {hits} returned): p50 {}  p95 {}",
                ms(samples.percentile(50.0)),
                ms(samples.percentile(95.0)),
            );
        }
        println!("{sort:?}, all queries: {}", all.summary());
    }
    Ok(())
}

fn search_options(sort: SearchSort) -> SearchOptions {
    SearchOptions {
        limit: 50,
        sort,
        ..SearchOptions::default()
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(Duration::ZERO.as_millis() as i64)
}
