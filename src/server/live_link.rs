//! [`LiveLink`]: the hook through which a server shares what is never stored — presence,
//! typing and voice — with the other nodes of a cluster (`serve --cluster`, docs/CLUSTER.md).
//! A single node has none. The server calls it when one of its own users' presence changes,
//! when one of them types or speaks, and asks it what other nodes' users are doing (their
//! presence for `who`/`ok.users`, their membership of a voice room). What arrives from other
//! nodes is handed back through the `from_other_node` functions of `presence` and `voice`,
//! which announce to this node's connections only (never back to the link).

use std::sync::{Arc, Weak};

use bytes::Bytes;

use super::server_state::ServerState;
use crate::model::UserName;
use crate::proto::PresenceState;

/// Shares a node's live, unstored state with the other nodes.
pub trait LiveLink: Send + Sync {
    /// Called once the server's state exists: from now on, other nodes' signals are applied to
    /// it (a `Weak`, so the link does not keep a stopped server alive).
    fn attach(&self, state: Weak<ServerState>);
    /// A user of this node came online, changed status, or went offline here.
    fn local_presence(&self, user: &UserName, presence: PresenceState, text: &str);
    /// A user of this node typing in channel `channel` or to `peer` (exactly one is set).
    fn local_typing(&self, user: &UserName, channel: Option<&str>, peer: Option<&str>, on: bool);
    /// A user of this node entered (`on`) or left voice room `room` entirely.
    fn local_voice_member(&self, room: &str, user: &UserName, on: bool);
    /// A voice frame spoken on this node, already prefixed with its sender's name.
    fn local_voice_frame(&self, room: &str, frame: &Bytes);
    /// A user's presence on another node (`None`: online on no other live node).
    fn remote_presence(&self, user: &UserName) -> Option<(PresenceState, String)>;
    /// The users in voice room `room` on other nodes.
    fn remote_voice_members(&self, room: &str) -> Vec<String>;
}

/// The link of a server, if it has one.
pub(crate) fn link_of(state: &ServerState) -> Option<&Arc<dyn LiveLink>> {
    state.live_link.as_ref()
}
