//! `ServerState`, shared by every task of one running server (behind an `Arc`): the store, the
//! configuration (with its clock), the event log, the registry, the fan-out dispatcher's inbox, the login throttle and the Argon2
//! permits. Also `ServerSession`, the per-connection context an authenticated frame is handled in.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{mpsc, watch};

use super::admin::metrics::{Health, MetricsSource, ServerMetrics};
use super::config::ServerConfig;
use super::connection_caps::{CapSlot, ConnectionCaps};
use super::fanout::FanoutItem;
use super::outbound::ConnHandle;
use super::password_gate::PasswordGate;
use super::ratelimit::{LoginThrottle, RegistrationThrottle, TokenBucket};
use super::registry::Registry;
use super::voice::VoiceRooms;
use crate::model::UserName;
use crate::store::{EventLog, Store};

/// State shared by all connections of one server.
pub struct ServerState {
    /// Accounts, channels and queries.
    pub store: Store,
    /// The durable event log (today the same SQLite store): appends and catch-up reads.
    pub log: Arc<dyn EventLog>,
    pub config: ServerConfig,
    pub registry: Registry,
    pub voice: VoiceRooms,
    /// The fan-out dispatcher's bounded inbox.
    pub fanout: mpsc::Sender<FanoutItem>,
    pub throttle: LoginThrottle,
    /// Open connections per account and per address.
    pub caps: Arc<ConnectionCaps>,
    pub registrations: RegistrationThrottle,
    /// Bounds simultaneous Argon2 computations and the attempts waiting for one.
    pub password_gate: PasswordGate,
    /// The open connections of each session, to close them when the session ends.
    pub live_sessions: super::sessions::LiveSessions,
    /// Counters and gauges for `/metrics`.
    pub metrics: ServerMetrics,
    /// What `/healthz` answers.
    pub health: watch::Sender<Health>,
    /// Extra `/metrics` series (the cluster log's); `None` on a single node.
    pub extra_metrics: Option<Arc<dyn MetricsSource>>,
    /// Presence, typing and voice shared with other cluster nodes; `None` on a single node.
    pub live_link: Option<Arc<dyn super::live_link::LiveLink>>,
    /// When each user's next `status` change may be announced.
    pub presence_gate: super::presence_gate::PresenceGate,
    next_connection_id: AtomicU64,
}

impl ServerState {
    pub fn new(
        store: Store,
        config: ServerConfig,
        fanout: mpsc::Sender<FanoutItem>,
    ) -> ServerState {
        let registry = Registry::new(config.ring_size);
        let password_gate =
            PasswordGate::new(config.password_hash_concurrency, config.password_hash_queue);
        let caps = Arc::new(ConnectionCaps::new(
            config.max_connections_per_account,
            config.max_connections_per_address,
        ));
        let throttle = LoginThrottle::new(config.clock.clone());
        let registrations = RegistrationThrottle::new(
            config.registrations_per_address_per_hour,
            config.clock.clone(),
        );
        ServerState {
            log: Arc::new(store.clone()),
            store,
            config,
            registry,
            voice: VoiceRooms::new(),
            fanout,
            throttle,
            registrations,
            caps,
            password_gate,
            live_sessions: Default::default(),
            metrics: ServerMetrics::default(),
            health: watch::Sender::new(Health::Ready),
            extra_metrics: None,
            live_link: None,
            presence_gate: Default::default(),
            next_connection_id: AtomicU64::new(1),
        }
    }

    /// Now, from the configured clock (every `ts` the server sets, session expiry).
    pub fn now_ms(&self) -> i64 {
        self.config.clock.now_ms()
    }

    pub fn next_connection_id(&self) -> u64 {
        self.next_connection_id.fetch_add(1, Ordering::Relaxed)
    }
}

/// The context of an authenticated connection.
pub struct ServerSession {
    pub state: Arc<ServerState>,
    pub conn: Arc<ConnHandle>,
    /// The user as registered.
    pub user: UserName,
    pub address: IpAddr,
    /// The `sends` bucket of `frame_policy` (one token per frame).
    pub bucket: TokenBucket,
    /// The `reads` bucket of `frame_policy` (charged by cost).
    pub reads: TokenBucket,
    /// The hash of the session token this connection logged in with.
    pub token_hash: [u8; 32],
    /// This connection's place under the account's connection cap.
    _account_slot: CapSlot,
}

impl ServerSession {
    pub fn new(
        state: Arc<ServerState>,
        conn: Arc<ConnHandle>,
        user: UserName,
        address: IpAddr,
        token_hash: [u8; 32],
        account_slot: CapSlot,
    ) -> ServerSession {
        let bucket = TokenBucket::new(state.config.rate_limit, state.config.rate_burst);
        let reads = TokenBucket::new(state.config.read_rate, state.config.read_burst);
        ServerSession {
            state,
            conn,
            user,
            address,
            bucket,
            reads,
            token_hash,
            _account_slot: account_slot,
        }
    }
}

/// Where a server is in its life; broadcast to every connection through a `watch` channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Running,
    /// Shutting down: connections stop reading frames while the store writer is flushed.
    Draining,
    /// Acks and broadcasts of the flush are queued: connections close with 1001.
    Closing,
}

/// Resolves once the server has reached `phase` (or is gone).
pub async fn reached(phase_rx: &mut tokio::sync::watch::Receiver<Phase>, phase: Phase) {
    loop {
        if *phase_rx.borrow_and_update() >= phase {
            return;
        }
        if phase_rx.changed().await.is_err() {
            return;
        }
    }
}
