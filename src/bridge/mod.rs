//! The two-way Discord bridge (features `bridge-relay` and `discord-bridge`): a chatify client
//! (through `client::session`) that relays between linked Discord and chatify channels.
//!
//! Map: `config` (the config file) · `seam` (the [`seam::DiscordSide`] trait and Discord events:
//! everything the relay needs from Discord) · `relay` (login, joins, webhooks, run and shutdown)
//! · `to_discord` / `to_chatify` (the two directions, each with its loop guard) · `outbound`
//! (per-channel Discord queues honouring 429s, bounded backlog) · `idmap` (the durable
//! message-id map and relay cursors, the bridge's own SQLite file) · `text` (mentions, emoji,
//! names) · `backoff` (reconnect pacing, identify cap) · `health` (counters, log line) ·
//! `discord` (the serenity adapter, feature `discord-bridge` only).

pub mod backoff;
pub mod config;
#[cfg(feature = "discord-bridge")]
pub mod discord;
pub mod health;
pub mod idmap;
pub mod outbound;
pub mod relay;
pub mod seam;
pub mod text;
mod to_chatify;
mod to_discord;

pub use relay::{BridgeError, ChatifyLogin, run_bridge};
