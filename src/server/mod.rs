//! The chatify server (`chatify serve`, PROTOCOL.md v1): accepts WebSocket connections, routes
//! client frames to the handlers, persists durable events through the store, and fans committed
//! events out in order. `run` is the single entry point — the `serve` command, the integration
//! tests and the benchmarks all drive it with their own listener, store, config and shutdown
//! signal (mini-redis style).
//!
//! Map: `connection` (per-socket read loop) and `socket_writer` (its sending task) · `dispatch`
//! (frame → handler) · `auth`, `channel_handlers`, `messages`, `query_handlers`, `presence`,
//! `voice`, `governance` (ranks, moderation, speaking rules), `directory` (`list`, live
//! `admin`) (handlers) · `live_governance` (a channel's roles and settings in the registry) ·
//! `retention` (the retention sweep) · `fanout` (the ordered commit → ring → broadcast → ack dispatcher, fed
//! through the store's `EventLog`) · `frames` (store events → wire frames) · `registry` + `ring`
//! (live channel state and the folded ring) · `outbound` (per-connection bounded queues) · `outbound_budget` (the server-wide budget of
//! those queues) · `connection_caps` (connections per account and per address) ·
//! `frame_policy` (which bucket each frame is charged to, at what cost) · `ratelimit` (token
//! buckets, login and registration throttles) · `password_gate` (Argon2 admission in two lanes) · `config` (with `validate`), `errors`,
//! `server_state`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, oneshot, watch};

pub mod admin;
pub mod auth;
pub mod channel_handlers;
pub mod config;
pub mod connection;
pub mod connection_caps;
pub mod directory;
pub mod dispatch;
pub mod dm_changes;
pub mod errors;
pub mod fanout;
pub mod frame_policy;
pub mod frames;
pub mod governance;
pub mod live_governance;
pub mod live_link;
pub mod messages;
pub mod outbound;
pub mod outbound_budget;
pub mod outbox;
pub mod password_gate;
pub mod presence;
pub mod presence_batch;
pub mod presence_gate;
pub mod query_handlers;
pub mod ratelimit;
pub mod read_markers;
pub mod registry;
pub mod retention;
pub mod ring;
pub mod server_state;
pub mod sessions;
pub mod socket_writer;
pub mod users;
pub mod voice;

pub use admin::metrics::{Health, MetricsSource};
pub use config::{ConfigError, Registration, ServerConfig};
pub use live_link::LiveLink;
pub use outbound_budget::OutboundBudget;

use admin::metrics::ServerMetrics;
use fanout::FanoutItem;
use outbound::{CLOSE_GOING_AWAY, CLOSE_TRY_AGAIN};
use server_state::{Phase, ServerState};

/// What a server runs with besides its WebSocket listener, store and configuration.
#[derive(Default)]
pub struct ServeExtras {
    /// `--admin-listen`: serve `/healthz` and `/metrics` here (`admin`).
    pub admin: Option<TcpListener>,
    /// What `/healthz` reports, when something besides the server sets it (the cluster node).
    pub health: Option<watch::Sender<Health>>,
    /// Extra `/metrics` series (the cluster node's).
    pub extra_metrics: Option<Arc<dyn MetricsSource>>,
    /// Presence, typing and voice shared with the other cluster nodes (`live_link`).
    pub live_link: Option<Arc<dyn LiveLink>>,
    /// Awaited (with `/healthz` up) before the registry is loaded and clients are accepted:
    /// a cluster node catching up from the shared log. An error stops the server.
    pub before_accepting:
        Option<std::pin::Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>>,
}

/// Serves `listener` until `shutdown` resolves, then shuts down gracefully: stops accepting,
/// stops reading client frames, flushes the store's writer (store.close()), delivers the
/// resulting acks and broadcasts, closes every socket with 1001, and returns. A configuration
/// that fails [`ServerConfig::validate`] is refused before anything starts.
pub async fn run(
    listener: TcpListener,
    store: crate::store::Store,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    run_with(listener, store, config, ServeExtras::default(), shutdown).await
}

/// [`run`] with the [`ServeExtras`] (the admin endpoint).
pub async fn run_with(
    listener: TcpListener,
    store: crate::store::Store,
    config: ServerConfig,
    extras: ServeExtras,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    config.validate()?;
    let (fanout_tx, fanout_rx) = mpsc::channel(config.fanout_queue);
    store.set_foreign_event_sink(foreign_event_sink(fanout_tx.clone()));
    let mut state = ServerState::new(store, config, fanout_tx);
    if let Some(health) = extras.health {
        state.health = health;
    }
    state.extra_metrics = extras.extra_metrics;
    state.live_link = extras.live_link;
    let state = Arc::new(state);
    if let Some(link) = &state.live_link {
        link.attach(Arc::downgrade(&state));
    }
    let admin = extras
        .admin
        .map(|admin| tokio::spawn(admin::serve_admin(admin, state.clone())));
    // Before catching up: events applied meanwhile flow through it (into an empty registry).
    let dispatcher = tokio::spawn(fanout::run_dispatcher(state.clone(), fanout_rx));
    if let Some(catch_up) = extras.before_accepting
        && let Err(error) = catch_up.await
    {
        if let Some(admin) = admin {
            admin.abort();
        }
        dispatcher.abort();
        return Err(error);
    }
    load_registry(&state).await?;
    let sweeps = tokio::spawn(retention::run_sweeps(state.clone()));
    let (phase_tx, phase_rx) = watch::channel(Phase::Running);
    let (alive_tx, mut alive_rx) = mpsc::channel::<()>(1);
    let slots = Arc::new(Semaphore::new(state.config.max_connections));
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            biased;
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, address) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Usually out of file descriptors: back off instead of spinning.
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        ServerMetrics::add(&state.metrics.connections_accepted, 1);
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            spawn_refusal(
                &state,
                stream,
                "server is at its connection limit; try again later",
            );
            continue;
        };
        let Some(address_slot) = state.caps.enter_address(address.ip()) else {
            spawn_refusal(&state, stream, "too many connections from your address");
            continue;
        };
        let state = state.clone();
        let phase = phase_rx.clone();
        let alive = alive_tx.clone();
        ServerMetrics::add(&state.metrics.connections_open, 1);
        tokio::spawn(async move {
            match state.config.tls.clone() {
                Some(tls) => {
                    let deadline = state.config.auth_timeout;
                    if let Some(stream) = tls_handshake(&tls, stream, deadline).await {
                        connection::serve_connection(state.clone(), stream, address, phase).await;
                    }
                }
                None => connection::serve_connection(state.clone(), stream, address, phase).await,
            }
            ServerMetrics::sub(&state.metrics.connections_open, 1);
            drop(address_slot);
            drop(slot);
            drop(alive);
        });
    }
    drop(listener);
    sweeps.abort();
    tracing::info!("shutting down");
    state.health.send_replace(Health::ShuttingDown);
    let _ = phase_tx.send(Phase::Draining);
    drain(&state).await;
    let _ = phase_tx.send(Phase::Closing);
    for conn in state.registry.all_connections() {
        conn.request_close(CLOSE_GOING_AWAY, true);
    }
    drop(alive_tx);
    let wait = state.config.close_grace * 4;
    if tokio::time::timeout(wait, alive_rx.recv()).await.is_err() {
        tracing::warn!("some connections did not close in time");
    }
    dispatcher.abort();
    if let Some(admin) = admin {
        admin.abort();
    }
    Ok(())
}

/// Hands events another cluster node committed (applied by this node's store) to the fan-out
/// dispatcher. Runs on the store's writer thread, like a commit callback.
fn foreign_event_sink(inbox: mpsc::Sender<FanoutItem>) -> crate::store::ForeignEventSink {
    Arc::new(move |event| {
        let _ = inbox.blocking_send(FanoutItem::Foreign(Box::new(event)));
    })
}

/// Loads every channel (metadata, members, last seq) into the registry.
async fn load_registry(state: &ServerState) -> anyhow::Result<()> {
    let channels = state
        .store
        .read(|reader| reader.channels())
        .await
        .context("loading channels")?;
    for record in channels {
        state.registry.insert_channel(record);
    }
    Ok(())
}

/// Flushes the store writer and waits until the dispatcher has queued every resulting ack and
/// broadcast.
async fn drain(state: &Arc<ServerState>) {
    let store = state.store.clone();
    if tokio::task::spawn_blocking(move || store.close())
        .await
        .is_err()
    {
        tracing::error!("closing the store failed");
    }
    let (done_tx, done_rx) = oneshot::channel();
    if state
        .fanout
        .send(FanoutItem::Barrier(done_tx))
        .await
        .is_ok()
    {
        let _ = done_rx.await;
    }
}

/// The TLS server handshake with the certificate current now, within `deadline`. The stream is
/// boxed so an idle connection's task stays small.
async fn tls_handshake(
    tls: &crate::tls::ServerTls,
    stream: TcpStream,
    deadline: Duration,
) -> Option<Box<tokio_rustls::server::TlsStream<TcpStream>>> {
    let address = stream.peer_addr().ok();
    let handshake = Box::pin(tls.acceptor().accept(stream));
    match tokio::time::timeout(deadline, handshake).await {
        Ok(Ok(stream)) => Some(Box::new(stream)),
        Ok(Err(error)) => {
            tracing::debug!(?address, %error, "TLS handshake failed");
            None
        }
        Err(_) => None,
    }
}

/// Refuses an accepted socket in the background: (TLS and) WebSocket handshake, then close 1013.
fn spawn_refusal(state: &ServerState, stream: TcpStream, reason: &'static str) {
    ServerMetrics::add(&state.metrics.connections_refused, 1);
    let (tls, grace) = (state.config.tls.clone(), state.config.close_grace);
    tokio::spawn(async move {
        match tls {
            Some(tls) => {
                if let Some(stream) = tls_handshake(&tls, stream, grace).await {
                    refuse_connection(stream, grace, reason).await;
                }
            }
            None => refuse_connection(stream, grace, reason).await,
        }
    });
}

/// Over a connection limit: complete the handshake and close with 1013 ("try again later").
async fn refuse_connection<S>(stream: S, grace: Duration, reason: &'static str)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let refuse = async {
        let mut ws = tokio_tungstenite::accept_async(stream).await.ok()?;
        let frame = tokio_tungstenite::tungstenite::protocol::CloseFrame {
            code: CLOSE_TRY_AGAIN.into(),
            reason: reason.into(),
        };
        ws.close(Some(frame)).await.ok()
    };
    let _ = tokio::time::timeout(grace, refuse).await;
}
