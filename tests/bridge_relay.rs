//! The Discord bridge's relay against a real chatify server on 127.0.0.1:0, with a fake Discord
//! side (`bridge_relay/fake_discord.rs`) that drives messages in and records what the bridge
//! posts. Cases by area in `tests/bridge_relay/`. Needs the `bridge-relay` feature (part of
//! `--all-features`); no serenity, no network beyond loopback.

mod common;

#[path = "bridge_relay/fake_discord.rs"]
mod fake_discord;
#[path = "bridge_relay/harness.rs"]
mod harness;

#[path = "bridge_relay/directions.rs"]
mod directions;
#[path = "bridge_relay/durability.rs"]
mod durability;
#[path = "bridge_relay/sealed.rs"]
mod sealed;
