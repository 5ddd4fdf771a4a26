//! Protocol v1 against a real server on 127.0.0.1:0 with a temp database, over real WebSockets.
//! One test binary; the cases live in `tests/server_protocol/` by area. Every error code of
//! PROTOCOL.md is provoked somewhere here except `internal`, which no client input can reach
//! (it answers a damaged database or a failed Argon2 computation).

mod common;

#[path = "server_protocol/argon2_admission.rs"]
mod argon2_admission;
#[path = "server_protocol/auth.rs"]
mod auth;
#[path = "server_protocol/channels.rs"]
mod channels;
#[path = "server_protocol/config.rs"]
mod config;
#[path = "server_protocol/deletion.rs"]
mod deletion;
#[path = "server_protocol/dm_changes.rs"]
mod dm_changes;
#[path = "server_protocol/edges.rs"]
mod edges;
#[path = "server_protocol/errors.rs"]
mod errors;
#[path = "server_protocol/frame_metering.rs"]
mod frame_metering;
#[path = "server_protocol/governance.rs"]
mod governance;
#[path = "server_protocol/hostile.rs"]
mod hostile;
#[path = "server_protocol/login_throttle.rs"]
mod login_throttle;
#[path = "server_protocol/memory_budget.rs"]
mod memory_budget;
#[path = "server_protocol/messages.rs"]
mod messages;
#[path = "server_protocol/presence.rs"]
mod presence;
#[path = "server_protocol/presence_batch.rs"]
mod presence_batch;
#[path = "server_protocol/queries.rs"]
mod queries;
#[path = "server_protocol/read_markers.rs"]
mod read_markers;
#[path = "server_protocol/relayed.rs"]
mod relayed;
#[path = "server_protocol/retention.rs"]
mod retention;
#[path = "server_protocol/sessions.rs"]
mod sessions;
#[path = "server_protocol/users.rs"]
mod users;
