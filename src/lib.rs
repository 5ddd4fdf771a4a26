//! chatify: a terminal-first, self-hosted chat system. This library holds everything the
//! `chatify` binary does — the wire protocol, crypto, the SQLite event store, the server, the
//! client and the subcommands — so that the binary, the integration tests and the benchmarks
//! all drive the same code. See ARCHITECTURE.md for the map.

#[cfg(feature = "bridge-relay")]
pub mod bridge;
pub mod cli;
pub mod cli_docs;
pub mod client;
pub mod clock;
#[cfg(feature = "cluster")]
pub mod cluster;
pub mod cmd;
pub mod crypto;
pub mod model;
pub mod paths;
pub mod proto;
pub mod server;
pub mod store;
pub mod timespec;
pub mod tls;
