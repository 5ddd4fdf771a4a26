//! What one cluster node knows of the live, unstored state of the others (docs/CLUSTER.md,
//! "Presence, typing and voice"): per node, its online users with their presence and its voice
//! rooms' members, when it was last heard from, and the number of its last change. Each node
//! numbers its changes; a gap (a lost message on core NATS), a node never heard of or a
//! heartbeat announcing a different number makes the node ask that one for a snapshot. A node
//! silent for three heartbeats is dropped with everything it held. Every change returns the
//! [`Effect`]s to announce on this node: what this node's connections see changes only when a
//! user's presence (or voice membership) across all other nodes changes. Pure data: `live`
//! does the NATS side; tests in `live_table/tests.rs`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use tokio::time::Instant;

use crate::model::UserName;
use crate::proto::PresenceState;

/// Other nodes tracked at most (more are ignored until one expires).
pub(crate) const MAX_REMOTE_NODES: usize = 64;
/// Users (and voice memberships) tracked per other node at most.
pub(crate) const MAX_REMOTE_ENTRIES: usize = 250_000;
/// Heartbeats a node may miss before its users are taken offline.
pub(crate) const MISSED_BEATS: u32 = 3;

/// A user's presence: state and status text.
pub(crate) type Presence = (PresenceState, String);
/// A node's users and voice memberships (room, user).
type NodeState = (HashMap<UserName, Presence>, BTreeSet<(String, UserName)>);

/// What this node should announce to its own connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Effect {
    /// A user's presence on the other nodes changed (offline: on none of them now).
    Presence(UserName, PresenceState, String),
    /// A user of another node entered (`true`) or left a voice room.
    VoiceMember(String, UserName, bool),
}

/// One other node's state.
#[derive(Debug)]
pub(crate) struct RemoteNode {
    last_seen: Instant,
    /// The node's heartbeat interval, as its heartbeats say (`None`: none heard yet).
    heartbeat: Option<Duration>,
    /// The number of the node's last change this node applied.
    seq: u64,
    /// False until a snapshot arrived, and again after a gap.
    pub(crate) synced: bool,
    users: HashMap<UserName, Presence>,
    voice: BTreeSet<(String, UserName)>,
    /// A snapshot arriving in parts.
    incoming: Option<NodeState>,
}

/// Every other node's state, by node id (ordered: a user online on two nodes shows the state
/// of the first by id, the same on every observer).
#[derive(Debug, Default)]
pub(crate) struct RemoteTable {
    nodes: BTreeMap<String, RemoteNode>,
}

/// One change a node announced, numbered `seq` by it.
pub(crate) enum Delta<'a> {
    Presence(&'a UserName, PresenceState, &'a str),
    Voice(&'a str, &'a UserName, bool),
}

impl RemoteTable {
    /// Notes that `node` was heard from; `None` when it is new and the table is full.
    fn heard(&mut self, node: &str, now: Instant) -> Option<&mut RemoteNode> {
        if !self.nodes.contains_key(node) {
            if self.nodes.len() >= MAX_REMOTE_NODES {
                return None;
            }
            let fresh = RemoteNode {
                last_seen: now,
                heartbeat: None,
                seq: 0,
                synced: false,
                users: HashMap::new(),
                voice: BTreeSet::new(),
                incoming: None,
            };
            self.nodes.insert(node.to_string(), fresh);
        }
        let entry = self.nodes.get_mut(node)?;
        entry.last_seen = now;
        Some(entry)
    }

    /// A heartbeat (the node beats every `every`): true when this node should ask `node` for
    /// a snapshot.
    pub(crate) fn beat(&mut self, node: &str, seq: u64, every: Duration, now: Instant) -> bool {
        let Some(entry) = self.heard(node, now) else {
            return false;
        };
        entry.heartbeat = Some(every);
        !entry.synced || entry.seq != seq
    }

    /// Applies one numbered change of `node`.
    pub(crate) fn delta(
        &mut self,
        node: &str,
        seq: u64,
        delta: Delta,
        now: Instant,
    ) -> Vec<Effect> {
        let (user, room) = match &delta {
            Delta::Presence(user, ..) => (*user, None),
            Delta::Voice(room, user, _) => (*user, Some(*room)),
        };
        let before = self.observed(user, room);
        let Some(entry) = self.heard(node, now) else {
            return Vec::new();
        };
        if seq != entry.seq.wrapping_add(1) {
            entry.synced = false;
        }
        entry.seq = seq;
        match delta {
            Delta::Presence(user, PresenceState::Offline, _) => {
                entry.users.remove(user);
            }
            Delta::Presence(user, state, text) => {
                if entry.users.len() < MAX_REMOTE_ENTRIES || entry.users.contains_key(user) {
                    entry.users.insert(user.clone(), (state, text.to_string()));
                }
            }
            Delta::Voice(room, user, true) => {
                if entry.voice.len() < MAX_REMOTE_ENTRIES {
                    entry.voice.insert((room.to_string(), user.clone()));
                }
            }
            Delta::Voice(room, user, false) => {
                entry.voice.remove(&(room.to_string(), user.clone()));
            }
        }
        let after = self.observed(user, room);
        effect_of(user, room, before, after).into_iter().collect()
    }

    /// One part of `node`'s snapshot; the last part replaces what was known of it.
    pub(crate) fn snapshot_part(
        &mut self,
        node: &str,
        part: SnapshotPart,
        now: Instant,
    ) -> Vec<Effect> {
        let Some(entry) = self.heard(node, now) else {
            return Vec::new();
        };
        let (users, voice) = entry.incoming.get_or_insert_with(Default::default);
        if part.first {
            users.clear();
            voice.clear();
        }
        for (user, presence) in part.users {
            if users.len() < MAX_REMOTE_ENTRIES {
                users.insert(user, presence);
            }
        }
        for member in part.voice {
            if voice.len() < MAX_REMOTE_ENTRIES {
                voice.insert(member);
            }
        }
        if !part.last {
            return Vec::new();
        }
        let (users, voice) = entry.incoming.take().unwrap_or_default();
        entry.seq = part.seq;
        entry.synced = true;
        self.replace(node, users, voice)
    }

    /// Drops the nodes not heard from for `MISSED_BEATS` of their heartbeats (`heartbeat`, this
    /// node's, for one whose heartbeat was not heard yet).
    pub(crate) fn expire(&mut self, heartbeat: Duration, now: Instant) -> Vec<Effect> {
        let silent: Vec<String> = self
            .nodes
            .iter()
            .filter(|(_, entry)| {
                let every = entry.heartbeat.unwrap_or(heartbeat);
                now.duration_since(entry.last_seen) > every * MISSED_BEATS
            })
            .map(|(node, _)| node.clone())
            .collect();
        let mut effects = Vec::new();
        for node in silent {
            tracing::warn!(%node, "a cluster node went silent; its users are offline");
            effects.extend(self.replace(&node, HashMap::new(), BTreeSet::new()));
            self.nodes.remove(&node);
        }
        effects
    }

    /// A user's presence on the other nodes.
    pub(crate) fn presence(&self, user: &UserName) -> Option<Presence> {
        self.nodes
            .values()
            .find_map(|entry| entry.users.get(user).cloned())
    }

    /// The users in `room` on the other nodes.
    pub(crate) fn voice_members(&self, room: &str) -> Vec<String> {
        let mut names = BTreeSet::new();
        for entry in self.nodes.values() {
            for (_, user) in entry.voice.iter().filter(|(r, _)| r == room) {
                names.insert(user.to_string());
            }
        }
        names.into_iter().collect()
    }

    /// What this node shows of `user`: presence, or voice membership of `room`.
    fn observed(&self, user: &UserName, room: Option<&str>) -> Observed {
        match room {
            None => Observed::Presence(self.presence(user)),
            Some(room) => {
                let key = (room.to_string(), user.clone());
                Observed::Voice(self.nodes.values().any(|entry| entry.voice.contains(&key)))
            }
        }
    }

    /// Replaces `node`'s users and voice rooms, returning what changed for this node.
    fn replace(
        &mut self,
        node: &str,
        users: HashMap<UserName, Presence>,
        voice: BTreeSet<(String, UserName)>,
    ) -> Vec<Effect> {
        let Some(entry) = self.nodes.get(node) else {
            return Vec::new();
        };
        let mut touched: Vec<(UserName, Option<String>)> = Vec::new();
        let old_users = entry.users.keys().chain(users.keys());
        touched.extend(old_users.map(|user| (user.clone(), None)));
        let old_voice = entry.voice.iter().chain(voice.iter());
        touched.extend(old_voice.map(|(room, user)| (user.clone(), Some(room.clone()))));
        touched.sort();
        touched.dedup();
        let before: Vec<Observed> = touched
            .iter()
            .map(|(user, room)| self.observed(user, room.as_deref()))
            .collect();
        if let Some(entry) = self.nodes.get_mut(node) {
            entry.users = users;
            entry.voice = voice;
        }
        touched
            .iter()
            .zip(before)
            .filter_map(|((user, room), before)| {
                let after = self.observed(user, room.as_deref());
                effect_of(user, room.as_deref(), before, after)
            })
            .collect()
    }
}

/// A part of a node's snapshot.
pub(crate) struct SnapshotPart {
    pub seq: u64,
    pub first: bool,
    pub last: bool,
    pub users: Vec<(UserName, Presence)>,
    pub voice: Vec<(String, UserName)>,
}

#[derive(Debug, PartialEq, Eq)]
enum Observed {
    Presence(Option<Presence>),
    Voice(bool),
}

fn effect_of(
    user: &UserName,
    room: Option<&str>,
    before: Observed,
    after: Observed,
) -> Option<Effect> {
    if before == after {
        return None;
    }
    match (after, room) {
        (Observed::Presence(Some((state, text))), _) => {
            Some(Effect::Presence(user.clone(), state, text))
        }
        (Observed::Presence(None), _) => Some(Effect::Presence(
            user.clone(),
            PresenceState::Offline,
            String::new(),
        )),
        (Observed::Voice(on), Some(room)) => {
            Some(Effect::VoiceMember(room.to_string(), user.clone(), on))
        }
        (Observed::Voice(_), None) => None,
    }
}

#[cfg(test)]
mod tests;
