//! The chatify client: the protocol client library (connection, authentication, reconnect and
//! gap-free resume), the key ring (identity, sealed-channel and DM keys, trust on first use),
//! the command parser, the inbound event handlers and the timeline renderer, and the REPL shell.
//! Used by `chatify connect`, the one-shot `history`/`search`/`rewind` commands, the Discord
//! bridge and the integration tests. Only `repl` touches the terminal.

pub mod app;
pub mod command;
pub mod conn;
pub mod events;
pub mod keys;
pub mod render;
pub mod repl;
pub mod resume;
pub mod session;
pub mod state;
pub mod tokens;
pub mod when;
