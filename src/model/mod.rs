//! The domain model shared by every side of chatify: validated names ([`UserName`],
//! [`ChannelName`]) and storage scopes ([`Scope`]) whose equality ignores ASCII case, every limit
//! in one table ([`limits`]), and the one fold of edits, deletions and reactions into a message
//! ([`fold`]). Pure data and rules, no I/O and no wire encoding: `proto` (the wire frames),
//! `store` (the event log), `server` (the live ring) and `client` (the timeline) all build on
//! it, so the store never needs the wire types to know what a name or a folded message is.

pub mod fold;
pub mod governance;
pub mod limits;
pub mod message;
mod names;

pub use fold::Change;
pub use message::{DmEvent, MessageEvent};
pub use names::{ChannelName, NameError, Scope, UserName};

#[cfg(test)]
mod tests;
