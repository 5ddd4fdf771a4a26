//! `ServerConfig`: every knob of the server (registration, frame and queue limits, rate limits,
//! timeouts, the clock) with defaults matching PROTOCOL.md and DESIGN.md, and its one check,
//! [`ServerConfig::validate`], run by `server::run` before anything starts (nothing deeper in
//! the server adjusts a value it finds odd). Built by `chatify serve` from its flags, and
//! directly by the integration tests and benchmarks (which shorten timeouts, shrink queues or
//! inject a clock to provoke behaviour quickly).

use std::time::Duration;

use crate::clock::Clock;

/// A configuration value that makes no sense.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid server configuration: {field} {rule}")]
pub struct ConfigError {
    /// The `ServerConfig` field.
    pub field: &'static str,
    /// What it must be.
    pub rule: &'static str,
}

/// Whether new accounts may be created with `auth` + `register:true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Registration {
    #[default]
    Open,
    Closed,
}

/// Every knob of the server. `Default` gives the production defaults.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// `ok.server.name`.
    pub server_name: String,
    pub registration: Registration,
    /// Largest client-to-server message (bytes, reassembled); larger gets `too_large` + close 1009.
    pub max_frame: usize,
    /// Sustained rate-limited frames per second per connection; `0.0` disables the limit.
    pub rate_limit: f64,
    /// Burst allowance of the per-connection token bucket.
    pub rate_burst: u32,
    /// Cost units per second refilled into each connection's `reads` bucket (queries, `status`,
    /// `who`, voice; a 500-row `history` costs 510, a `ping` 1: see `frame_policy`); `0.0`
    /// disables it.
    pub read_rate: f64,
    /// Capacity of the `reads` bucket; at least `frame_policy::MAX_FRAME_COST`.
    pub read_burst: u32,
    /// Outbound text frames queued per connection before it is disconnected with 1013.
    pub queue_depth: usize,
    /// Bytes of outbound text frames queued per connection before it is disconnected with 1013
    /// (one frame larger than this is still accepted into an empty queue).
    pub queue_bytes: usize,
    /// Outbound voice frames queued per connection; overflow is dropped, never disconnects.
    pub voice_queue_depth: usize,
    /// Open WebSocket connections accepted at once; more get close 1013 right after the handshake.
    pub max_connections: usize,
    /// Open connections one account may hold; one more gets `err` `too_many_connections` at
    /// `auth` (after its credentials are checked).
    pub max_connections_per_account: usize,
    /// Open connections from one client address (IPv6: one /64); more get close 1013 right
    /// after the handshake.
    pub max_connections_per_address: usize,
    /// The server-wide budget of queued outbound text (every connection's queue, and frames its
    /// writer has not flushed yet); when full, the largest queues are closed with 1013 first. A
    /// handle, so a test or benchmark can read the accounting.
    pub outbound_budget: super::OutboundBudget,
    /// Time from TCP accept to a successful `auth`.
    pub auth_timeout: Duration,
    /// A connection that sends nothing (not even a pong) for this long is closed.
    pub idle_timeout: Duration,
    /// Interval of the server's WebSocket pings.
    pub ping_interval: Duration,
    /// Time given to a closing connection to flush its close frame and finish the handshake.
    pub close_grace: Duration,
    /// Largest server frame; a history page is trimmed (setting `more`) rather than exceed it.
    pub max_outbound_frame: usize,
    /// Recent folded messages kept per channel in memory for `joined.hist`.
    pub ring_size: usize,
    /// Simultaneous Argon2 computations (logins and registrations); others wait their turn.
    pub password_hash_concurrency: usize,
    /// Attempts from unknown addresses (and registrations) that may wait for an Argon2 turn;
    /// one more gets `rate_limited` at once. Logins from an address the account logged in from
    /// before, and password changes, wait in a lane of their own that goes first.
    pub password_hash_queue: usize,
    /// Registrations accepted per client address (IPv6: per /64) and hour; `0` never limits.
    pub registrations_per_address_per_hour: u32,
    /// WebSocket read buffer per connection (idle memory matters: tungstenite's default is 128 KiB).
    pub read_buffer_size: usize,
    /// Bytes of outgoing frames buffered before tungstenite writes them to the socket.
    pub write_buffer_size: usize,
    /// Serve wss://: every accepted socket completes a TLS handshake (within `auth_timeout`)
    /// with the certificate current at that moment; `None` serves plain ws://.
    pub tls: Option<crate::tls::ServerTls>,
    /// Committed events waiting for the fan-out dispatcher; when full, the store's writer
    /// thread waits (which in turn fills the store's bounded write queue).
    pub fanout_queue: usize,
    /// Where every `ts` the server sets and every session expiry come from. `chatify serve`
    /// gives the store the same clock.
    pub clock: Clock,
    /// Accounts that may relay others' messages with `as` (`name@network`), e.g. the Discord
    /// bridge's account. Compared case-insensitively.
    pub bridge_accounts: Vec<String>,
    /// Shortest time between two `presence` announcements of one user's `status` changes;
    /// changes in between are folded into one announcement of the latest state at its end.
    pub presence_interval: Duration,
    /// How long a channel collects presence changes before sending them in one `presences`
    /// frame to the clients that asked for it (`server::presence_batch`).
    pub presence_batch_window: Duration,
    /// Server-wide retention (`serve --retention`): messages older than this are purged in
    /// every channel (a channel's own `mode retention` may only shorten it). `None` keeps them.
    pub retention: Option<Duration>,
    /// How often the retention sweep runs (`server::retention`).
    pub retention_sweep: Duration,
}

impl ServerConfig {
    /// Whether `user` is one of the bridge accounts.
    pub fn is_bridge_account(&self, user: &str) -> bool {
        self.bridge_accounts
            .iter()
            .any(|bridge| bridge.eq_ignore_ascii_case(user))
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            server_name: "chatify".to_string(),
            registration: Registration::Open,
            max_frame: crate::proto::DEFAULT_MAX_FRAME,
            rate_limit: 10.0,
            rate_burst: 30,
            read_rate: 2_000.0,
            read_burst: 20_000,
            queue_depth: 1024,
            queue_bytes: 2 * crate::proto::CLIENT_MAX_INBOUND_FRAME,
            voice_queue_depth: 64,
            max_connections: 20_000,
            max_connections_per_account: 32,
            max_connections_per_address: 1_024,
            outbound_budget: super::OutboundBudget::default(),
            auth_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            ping_interval: Duration::from_secs(20),
            close_grace: Duration::from_secs(5),
            max_outbound_frame: crate::proto::CLIENT_MAX_INBOUND_FRAME,
            ring_size: crate::proto::JOIN_HISTORY,
            password_hash_concurrency: 4,
            password_hash_queue: 64,
            registrations_per_address_per_hour: 10,
            read_buffer_size: 4 * 1024,
            write_buffer_size: 8 * 1024,
            tls: None,
            fanout_queue: 8 * 1024,
            clock: Clock::system(),
            bridge_accounts: Vec::new(),
            presence_interval: Duration::from_secs(1),
            presence_batch_window: Duration::from_millis(250),
            retention: None,
            retention_sweep: Duration::from_secs(60),
        }
    }
}

impl ServerConfig {
    /// Checks every value once; `server::run` refuses to start with the first problem found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |field, rule| Err(ConfigError { field, rule });
        let at_least_one = [
            (self.rate_burst as usize, "rate_burst"),
            (self.queue_bytes, "queue_bytes"),
            (self.voice_queue_depth, "voice_queue_depth"),
            (self.max_connections, "max_connections"),
            (
                self.max_connections_per_account,
                "max_connections_per_account",
            ),
            (
                self.max_connections_per_address,
                "max_connections_per_address",
            ),
            (self.password_hash_concurrency, "password_hash_concurrency"),
            (self.password_hash_queue, "password_hash_queue"),
            (self.read_buffer_size, "read_buffer_size"),
            (self.fanout_queue, "fanout_queue"),
        ];
        for (value, field) in at_least_one {
            if value == 0 {
                return fail(field, "must be at least 1");
            }
        }
        if self.queue_depth < 8 {
            return fail("queue_depth", "must be at least 8");
        }
        if self.outbound_budget.limit() < self.queue_bytes {
            return fail(
                "outbound_budget",
                "must hold at least one connection's queue_bytes",
            );
        }
        if self.max_frame < 1024 {
            return fail("max_frame", "must be at least 1024 bytes");
        }
        if self.max_outbound_frame < 1024 {
            return fail("max_outbound_frame", "must be at least 1024 bytes");
        }
        if !self.rate_limit.is_finite() || self.rate_limit < 0.0 {
            return fail("rate_limit", "must be a finite number, 0 or more");
        }
        if !self.read_rate.is_finite() || self.read_rate < 0.0 {
            return fail("read_rate", "must be a finite number, 0 or more");
        }
        if self.read_burst < super::frame_policy::MAX_FRAME_COST {
            return fail(
                "read_burst",
                "must be at least 550 (the cost of a 500-row search)",
            );
        }
        let timeouts = [
            (self.auth_timeout, "auth_timeout"),
            (self.idle_timeout, "idle_timeout"),
            (self.ping_interval, "ping_interval"),
            (self.retention_sweep, "retention_sweep"),
        ];
        for (value, field) in timeouts {
            if value.is_zero() {
                return fail(field, "must be longer than zero");
            }
        }
        let bad_bridge_account = self
            .bridge_accounts
            .iter()
            .any(|name| crate::model::UserName::parse(name).is_err());
        if bad_bridge_account {
            return fail("bridge_accounts", "must be valid account names");
        }
        if self
            .retention
            .is_some_and(|period| period < Duration::from_secs(60))
        {
            return fail("retention", "must be at least one minute");
        }
        Ok(())
    }

    /// The tungstenite configuration for accepted connections.
    pub fn websocket_config(&self) -> tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
        tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .read_buffer_size(self.read_buffer_size)
            .write_buffer_size(self.write_buffer_size)
            .max_message_size(Some(self.max_frame))
            .max_frame_size(Some(self.max_frame))
    }
}
