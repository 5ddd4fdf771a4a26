//! `serve --cluster` (feature `cluster`, docs/CLUSTER.md): one chatify node of several sharing
//! a NATS JetStream stream as their durable, totally ordered log. [`ClusterNode::start`]
//! connects, creates the stream if missing (with the configured replicas), makes the local
//! store a replica (`store::replication`: every write request is appended to the stream first)
//! and starts the materialiser (`materialiser`), which applies the stream in order to the
//! local SQLite index. The node accepts clients only once it has applied everything the
//! stream held at start ([`ClusterNode::caught_up`]); `/healthz` says `catching-up` until then
//! and `nats-down` while the NATS connection is lost. `publisher` appends writes; `live` (with
//! `live_table`) shares presence, typing and voice with the other nodes over core NATS; `seed`
//! imports a single-node database as the log's start and downloads it on a new node.

mod live;
mod live_table;
mod materialiser;
mod publisher;
pub mod seed;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use async_nats::jetstream;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::server::{Health, MetricsSource};
use crate::store::Store;
use crate::store::replication::{ApplyState, QueuedWrite};

/// Writes appended but not yet applied locally, at most (more: `Unavailable` at once).
const MAX_PENDING_WRITES: usize = 8192;

/// How to reach the NATS cluster and shape the stream.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// `nats://host:port` URLs of the NATS servers (any one is enough to start).
    pub urls: Vec<String>,
    /// A NATS `.creds` file (JWT and NKey seed).
    pub credentials: Option<PathBuf>,
    /// Extra PEM root certificates to trust for `tls://` NATS servers.
    pub tls_ca: Option<PathBuf>,
    /// Refuse a NATS connection without TLS.
    pub require_tls: bool,
    /// JetStream stream name.
    pub stream: String,
    /// Stream replicas when the stream is created (1 for a laptop, 3 for production).
    pub replicas: usize,
    /// This node's name in logs and in the stream's entries.
    pub node_name: String,
    /// How often this node tells the others it is alive (its users' presence expires elsewhere
    /// after three missed heartbeats).
    pub heartbeat: Duration,
}

/// The default `--cluster-heartbeat-ms`.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(1);

/// What the node's parts share.
pub(crate) struct Shared {
    jetstream: jetstream::Context,
    subject: String,
    stream: String,
    /// This process's identity in the stream (a node's own entries are answered locally).
    node: String,
    clock: Clock,
    next_nonce: AtomicU64,
    pending: std::sync::Mutex<HashMap<u64, Box<dyn QueuedWrite>>>,
    applied: watch::Sender<ApplyState>,
    status: Arc<NodeStatus>,
    /// Entries in the stream past the last one delivered to the materialiser.
    lag: AtomicU64,
    publish_failures: AtomicU64,
}

/// A running cluster node.
pub struct ClusterNode {
    shared: Arc<Shared>,
    /// The stream's last sequence when the node started: caught up once applied.
    target: u64,
    /// Presence, typing and voice shared with the other nodes.
    live: Arc<live::LiveNode>,
}

impl ClusterNode {
    /// Connects, prepares the stream and the store, and starts applying the stream.
    pub async fn start(
        options: &ClusterOptions,
        store: Store,
        clock: Clock,
    ) -> anyhow::Result<ClusterNode> {
        let status = Arc::new(NodeStatus {
            health: watch::Sender::new(Health::CatchingUp),
            caught_up: AtomicBool::new(false),
            nats_connected: AtomicBool::new(true),
        });
        let client = connect(options, status.clone()).await?;
        let jetstream = jetstream::new(client.clone());
        let subject = log_subject(options);
        let mut stream = jetstream
            .get_or_create_stream(log_stream_config(options))
            .await
            .context("creating the JetStream stream")?;
        let target = stream
            .info()
            .await
            .context("reading the stream")?
            .state
            .last_sequence;
        let node = format!("{}-{:016x}", options.node_name, rand::random::<u64>());
        let live = Arc::new(live::LiveNode::new(
            client,
            node.clone(),
            &options.stream,
            options.heartbeat,
        ));
        let shared = Arc::new(Shared {
            jetstream,
            subject,
            stream: options.stream.clone(),
            node,
            clock,
            next_nonce: AtomicU64::new(1),
            pending: Default::default(),
            applied: watch::Sender::new(ApplyState::Applied(0)),
            status,
            lag: AtomicU64::new(0),
            publish_failures: AtomicU64::new(0),
        });
        let replicator = Arc::new(publisher::Publisher(shared.clone()));
        let position = store
            .become_replica(replicator)
            .await
            .context("preparing the database as a cluster index")?;
        shared.applied.send_replace(ApplyState::Applied(position));
        // Runs as long as the runtime (the whole life of `serve`).
        tokio::spawn(materialiser::run(shared.clone(), store, position));
        Ok(ClusterNode {
            shared,
            target,
            live,
        })
    }

    /// Presence, typing and voice across the nodes (hand it to the server).
    pub fn live_link(&self) -> Arc<dyn crate::server::LiveLink> {
        Arc::new(live::LiveLinkHandle(self.live.clone()))
    }

    /// What `/healthz` should report (hand it to the server).
    pub fn health(&self) -> watch::Sender<Health> {
        self.shared.status.health.clone()
    }

    /// The node's `/metrics` series.
    pub fn metrics(&self) -> Arc<dyn MetricsSource> {
        self.shared.clone()
    }

    /// Resolves once everything the stream held at start is applied; an error if applying
    /// halted.
    pub fn caught_up(&self) -> impl std::future::Future<Output = anyhow::Result<()>> + use<> {
        let shared = self.shared.clone();
        let target = self.target;
        async move {
            let mut applied = shared.applied.subscribe();
            loop {
                match *applied.borrow_and_update() {
                    ApplyState::Applied(position) if position >= target => break,
                    ApplyState::Halted(position) => {
                        anyhow::bail!("applying stream entry {position} failed; stopping")
                    }
                    ApplyState::Applied(_) => {}
                }
                applied
                    .changed()
                    .await
                    .context("the materialiser stopped")?;
            }
            shared.status.caught_up.store(true, Ordering::Relaxed);
            shared.status.refresh();
            tracing::info!(position = target, "caught up with the cluster log");
            Ok(())
        }
    }
}

/// The log's subject.
fn log_subject(options: &ClusterOptions) -> String {
    format!("{}.log", options.stream.to_ascii_lowercase())
}

/// The log stream, as a node (or an import) creates it when missing.
fn log_stream_config(options: &ClusterOptions) -> jetstream::stream::Config {
    jetstream::stream::Config {
        name: options.stream.clone(),
        subjects: vec![log_subject(options)],
        num_replicas: options.replicas,
        storage: jetstream::stream::StorageType::File,
        duplicate_window: Duration::from_secs(120),
        ..Default::default()
    }
}

/// What `/healthz` is computed from.
struct NodeStatus {
    health: watch::Sender<Health>,
    caught_up: AtomicBool,
    nats_connected: AtomicBool,
}

impl NodeStatus {
    /// Ready only when caught up and connected; shutting down stays.
    fn refresh(&self) {
        let health = if !self.nats_connected.load(Ordering::Relaxed) {
            Health::NatsDown
        } else if !self.caught_up.load(Ordering::Relaxed) {
            Health::CatchingUp
        } else {
            Health::Ready
        };
        self.health.send_if_modified(|current| {
            let changed = *current != health && *current != Health::ShuttingDown;
            if changed {
                *current = health;
            }
            changed
        });
    }
}

impl MetricsSource for Shared {
    fn write_metrics(&self, out: &mut String) {
        use crate::server::admin::metrics::write_series;
        let applied = match *self.applied.borrow() {
            ApplyState::Applied(position) | ApplyState::Halted(position) => position,
        };
        let pending = self.pending.lock().map_or(0, |pending| pending.len());
        let series = [
            (
                "chatify_cluster_lag_entries",
                "gauge",
                "Stream entries not yet delivered to this node's materialiser.",
                self.lag.load(Ordering::Relaxed),
            ),
            (
                "chatify_cluster_applied_position",
                "gauge",
                "Stream sequence of the last entry applied to this node's index.",
                applied,
            ),
            (
                "chatify_cluster_pending_writes",
                "gauge",
                "This node's writes appended to the stream and not yet applied here.",
                pending as u64,
            ),
            (
                "chatify_cluster_publish_failures_total",
                "counter",
                "Writes the stream did not acknowledge (the client got an error).",
                self.publish_failures.load(Ordering::Relaxed),
            ),
            (
                "chatify_cluster_nats_connected",
                "gauge",
                "1 while connected to NATS.",
                u64::from(self.status.nats_connected.load(Ordering::Relaxed)),
            ),
        ];
        for (name, kind, help, value) in series {
            write_series(out, name, kind, help, value);
        }
    }
}

/// Connects to NATS with the options' credentials and TLS; connection events drive `/healthz`.
async fn connect(
    options: &ClusterOptions,
    status: Arc<NodeStatus>,
) -> anyhow::Result<async_nats::Client> {
    let mut connect = async_nats::ConnectOptions::new()
        .name(format!("chatify {}", options.node_name))
        .connection_timeout(Duration::from_secs(5));
    if let Some(path) = &options.credentials {
        connect = connect
            .credentials_file(path)
            .await
            .with_context(|| format!("reading NATS credentials {}", path.display()))?;
    }
    if let Some(path) = &options.tls_ca {
        connect = connect.add_root_certificates(path.clone());
    }
    if options.require_tls {
        connect = connect.require_tls(true);
    }
    connect = connect.event_callback(move |event| {
        let status = status.clone();
        async move {
            let up = match event {
                async_nats::Event::Connected => true,
                async_nats::Event::Disconnected => false,
                _ => return,
            };
            if up {
                tracing::info!(%event, "NATS connection");
            } else {
                tracing::warn!(%event, "NATS connection");
            }
            status.nats_connected.store(up, Ordering::Relaxed);
            status.refresh();
        }
    });
    let addresses: Vec<async_nats::ServerAddr> = options
        .urls
        .iter()
        .map(|url| url.parse().with_context(|| format!("NATS URL {url}")))
        .collect::<anyhow::Result<_>>()?;
    connect
        .connect(addresses)
        .await
        .context("connecting to NATS")
}
