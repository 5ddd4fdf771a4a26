//! What `/metrics` and `/healthz` report: [`ServerMetrics`] (the counters and gauges the server
//! keeps as it runs: connections, committed events, fan-out deliveries), [`Health`] (ready,
//! catching up, NATS down, shutting down; set by the server and, with `--cluster`, by the
//! cluster log), and [`render_metrics`], the Prometheus text exposition (format 0.0.4) of them
//! plus the queue depths and writer batch counters read at scrape time. Extra series (the
//! cluster log's lag) come from a [`MetricsSource`].

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::server::server_state::ServerState;

/// Counters and gauges updated as the server runs (relaxed atomics: a scrape is a snapshot).
#[derive(Debug, Default)]
pub struct ServerMetrics {
    /// WebSocket connections open now (accepted, not yet finished).
    pub connections_open: AtomicU64,
    /// Connections accepted since start (including refused ones over the limit).
    pub connections_accepted: AtomicU64,
    /// Connections refused with 1013 because the server was at its connection limit.
    pub connections_refused: AtomicU64,
    /// Durable events committed through the log and dispatched.
    pub events_committed: AtomicU64,
    /// Appends the log refused or rejected (an `err` went back instead of an `ack`).
    pub events_failed: AtomicU64,
    /// Committed events queued to a subscriber connection (one per recipient).
    pub fanout_deliveries: AtomicU64,
}

impl ServerMetrics {
    pub fn add(counter: &AtomicU64, amount: u64) {
        counter.fetch_add(amount, Ordering::Relaxed);
    }

    pub fn sub(counter: &AtomicU64, amount: u64) {
        counter.fetch_sub(amount, Ordering::Relaxed);
    }

    fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Whether the node should get traffic, as `/healthz` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Accepting and serving clients: 200.
    Ready,
    /// Applying the shared log before accepting clients (`--cluster`): 503.
    CatchingUp,
    /// The NATS cluster cannot be reached, so nothing durable can be acknowledged: 503.
    NatsDown,
    /// Draining for shutdown: 503, so a balancer moves new clients elsewhere.
    ShuttingDown,
}

impl Health {
    /// The HTTP status a load balancer acts on: 200 only when ready.
    pub fn http_status(self) -> u16 {
        match self {
            Health::Ready => 200,
            _ => 503,
        }
    }

    /// The one-word body of `/healthz`.
    pub fn word(self) -> &'static str {
        match self {
            Health::Ready => "ready",
            Health::CatchingUp => "catching-up",
            Health::NatsDown => "nats-down",
            Health::ShuttingDown => "shutting-down",
        }
    }

    fn gauge(self) -> u8 {
        match self {
            Health::Ready => 1,
            _ => 0,
        }
    }
}

/// Series a pluggable part of the server adds to `/metrics` (the cluster log's lag).
pub trait MetricsSource: Send + Sync {
    /// Appends complete series (`# HELP`, `# TYPE` and sample lines) to `out`.
    fn write_metrics(&self, out: &mut String);
}

/// One series with its help and type lines.
pub fn write_series(out: &mut String, name: &str, kind: &str, help: &str, value: u64) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    let _ = writeln!(out, "{name} {value}");
}

/// The whole `/metrics` body.
pub fn render_metrics(state: &ServerState) -> String {
    let metrics = &state.metrics;
    let mut out = String::with_capacity(2048);
    let counters = [
        (
            "chatify_connections_accepted_total",
            "WebSocket connections accepted since start.",
            &metrics.connections_accepted,
        ),
        (
            "chatify_connections_refused_total",
            "Connections refused at the connection limit (close 1013).",
            &metrics.connections_refused,
        ),
        (
            "chatify_events_committed_total",
            "Durable events committed and dispatched (rate() gives events/s).",
            &metrics.events_committed,
        ),
        (
            "chatify_events_failed_total",
            "Appends refused or rejected by the log.",
            &metrics.events_failed,
        ),
        (
            "chatify_fanout_deliveries_total",
            "Committed events queued to subscriber connections, one per recipient.",
            &metrics.fanout_deliveries,
        ),
    ];
    for (name, help, counter) in counters {
        write_series(&mut out, name, "counter", help, ServerMetrics::get(counter));
    }
    let health = *state.health.borrow();
    let gauges = [
        (
            "chatify_connections_open",
            "WebSocket connections open now.",
            ServerMetrics::get(&metrics.connections_open),
        ),
        (
            "chatify_users_online",
            "Users with at least one authenticated connection on this node.",
            state.registry.online_user_count() as u64,
        ),
        (
            "chatify_fanout_queue_depth",
            "Committed events waiting for the fan-out dispatcher.",
            fanout_queue_depth(state),
        ),
        (
            "chatify_store_write_queue_depth",
            "Write requests waiting for the store's writer thread.",
            state.store.pending_writes() as u64,
        ),
        (
            "chatify_ready",
            "1 when /healthz answers ready, else 0.",
            u64::from(health.gauge()),
        ),
    ];
    for (name, help, value) in gauges {
        write_series(&mut out, name, "gauge", help, value);
    }
    write_writer_batches(&mut out, state);
    if let Some(source) = &state.extra_metrics {
        source.write_metrics(&mut out);
    }
    out
}

/// The writer's group-commit counters: requests / transactions is the mean batch size.
fn write_writer_batches(out: &mut String, state: &ServerState) {
    let stats = state.store.stats();
    write_series(
        out,
        "chatify_store_transactions_total",
        "counter",
        "Group-commit transactions of the store's writer (one per batch).",
        stats.transactions,
    );
    write_series(
        out,
        "chatify_store_requests_total",
        "counter",
        "Write requests the store's writer processed; divided by transactions: the batch size.",
        stats.requests,
    );
}

fn fanout_queue_depth(state: &ServerState) -> u64 {
    let free = state.fanout.capacity();
    state.config.fanout_queue.saturating_sub(free) as u64
}
