//! The in-memory registry of live server state (DESIGN.md §2): channels (mode, sealed-channel
//! parameters, members, subscribed connections, last dispatched `seq`, the folded ring), online
//! users (their connections and presence), and an index user → channels. Loaded from the store at
//! start, then kept in step by the handlers (join/leave/auth/disconnect) and the fan-out
//! dispatcher.
//!
//! Lock discipline (deadlock freedom): a channel's `inner` mutex may be taken while holding nothing
//! or other channel mutexes acquired in name order; while holding it, code may read the `users`
//! map and update `user_channels` (leaf locks). Nobody holds a DashMap guard while locking a
//! channel: guards are dropped after cloning the `Arc` out.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};

use dashmap::DashMap;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::live_governance::LiveGovernance;
use super::outbound::ConnHandle;
use super::presence_batch::ChannelPresence;
use super::ring::Ring;
use crate::model::UserName;
use crate::proto::{ChannelInfo, ChannelMode, KdfSpec, PresenceState};
use crate::store::{ChannelRecord, LoggedEvent};

/// Raw events buffered while a ring loads; beyond this the load is abandoned and retried.
const MAX_BUFFERED_WHILE_LOADING: usize = 10_000;

/// Live state of all channels and online users.
#[derive(Debug)]
pub struct Registry {
    channels: DashMap<String, Arc<ChannelEntry>>,
    users: DashMap<UserName, OnlineUser>,
    user_channels: DashMap<UserName, BTreeSet<String>>,
    connections: DashMap<u64, Arc<ConnHandle>>,
    ring_size: usize,
}

/// One channel. Immutable properties outside the mutex, the rest inside.
#[derive(Debug)]
pub struct ChannelEntry {
    pub name: String,
    pub mode: ChannelMode,
    pub salt: Option<String>,
    pub kdf: Option<KdfSpec>,
    pub kcv: Option<String>,
    inner: Mutex<ChannelInner>,
    /// Serializes lazy loads of the ring.
    pub ring_load: tokio::sync::Mutex<()>,
}

/// The mutable part of a channel.
#[derive(Debug)]
pub struct ChannelInner {
    /// Members as registered (a set that ignores case).
    members: BTreeSet<UserName>,
    subscribers: Vec<Arc<ConnHandle>>,
    /// The `seq` of the last channel event dispatched.
    pub last_seq: i64,
    pub ring: RingState,
    /// Owner, operators, mutes, topic and settings (kept in step by `governance`).
    pub gov: LiveGovernance,
    /// Single-frame presence subscribers and changes waiting for a `presences` frame.
    pub presence: ChannelPresence,
}

/// Whether a channel's folded ring is in memory yet.
#[derive(Debug)]
pub enum RingState {
    Unloaded,
    /// Being read from the store; events dispatched meanwhile are replayed onto it afterwards.
    Loading(Vec<LoggedEvent>),
    Loaded(Ring),
}

/// An online user: connections and presence. Removed when the last connection closes.
#[derive(Debug, Clone)]
pub struct OnlineUser {
    pub name: UserName,
    pub connections: Vec<Arc<ConnHandle>>,
    pub state: PresenceState,
    pub text: String,
}

impl Registry {
    pub fn new(ring_size: usize) -> Registry {
        Registry {
            channels: DashMap::new(),
            users: DashMap::new(),
            user_channels: DashMap::new(),
            connections: DashMap::new(),
            ring_size,
        }
    }

    pub fn ring_size(&self) -> usize {
        self.ring_size
    }

    /// Adds a channel from its stored record unless it is known already; returns the entry.
    pub fn insert_channel(&self, record: ChannelRecord) -> Arc<ChannelEntry> {
        if let Some(existing) = self.channel(&record.name) {
            return existing;
        }
        let members: BTreeSet<UserName> = record
            .members
            .iter()
            .filter_map(|member| match UserName::parse(member) {
                Ok(name) => Some(name),
                Err(_) => {
                    tracing::warn!(channel = %record.name, "skipping a stored member with an invalid name");
                    None
                }
            })
            .collect();
        let gov = LiveGovernance::from_record(&record);
        let entry = Arc::new(ChannelEntry {
            name: record.name.clone(),
            mode: record.mode,
            salt: record.salt,
            kdf: record.kdf,
            kcv: record.kcv,
            inner: Mutex::new(ChannelInner {
                members,
                subscribers: Vec::new(),
                last_seq: record.last_seq,
                ring: RingState::Unloaded,
                gov,
                presence: ChannelPresence::default(),
            }),
            ring_load: tokio::sync::Mutex::new(()),
        });
        let inserted = self
            .channels
            .entry(record.name.clone())
            .or_insert_with(|| entry.clone())
            .clone();
        if Arc::ptr_eq(&inserted, &entry) {
            let inner = inserted.lock();
            for member in &inner.members {
                self.index_member(member, &inserted.name, true);
            }
        }
        inserted
    }

    pub fn channel(&self, name: &str) -> Option<Arc<ChannelEntry>> {
        self.channels.get(name).map(|entry| entry.clone())
    }

    /// Every channel (for `list` and retention); guards are released before returning.
    pub fn all_channels(&self) -> Vec<Arc<ChannelEntry>> {
        self.channels
            .iter()
            .map(|entry| entry.value().clone())
            .collect()
    }

    /// Channels `user` is a member of, sorted by name (the order to lock several in).
    pub fn user_channels(&self, user: &UserName) -> Vec<Arc<ChannelEntry>> {
        let names: Vec<String> = self
            .user_channels
            .get(user)
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default();
        names.iter().filter_map(|name| self.channel(name)).collect()
    }

    /// How many channels `user` is a member of.
    pub fn membership_count(&self, user: &UserName) -> usize {
        self.user_channels.get(user).map_or(0, |set| set.len())
    }

    /// Adds `member` to a locked channel; false when already a member.
    pub fn add_member(
        &self,
        entry: &ChannelEntry,
        inner: &mut ChannelInner,
        member: &UserName,
    ) -> bool {
        if !inner.members.insert(member.clone()) {
            return false;
        }
        self.index_member(member, &entry.name, true);
        for conn in self.user_connections(member) {
            inner.subscribe(conn);
        }
        true
    }

    /// Removes `member` (and its connections) from a locked channel; false when not a member.
    pub fn remove_member(
        &self,
        entry: &ChannelEntry,
        inner: &mut ChannelInner,
        member: &UserName,
    ) -> bool {
        if !inner.members.remove(member) {
            return false;
        }
        self.index_member(member, &entry.name, false);
        inner.subscribers.retain(|conn| conn.user() != Some(member));
        let remaining = inner.subscribers.len();
        inner
            .presence
            .retain(remaining, |conn| conn.user() != Some(member));
        true
    }

    /// Registers an authenticated connection. Returns true when it is the user's first.
    pub fn add_connection(&self, user: &UserName, conn: &Arc<ConnHandle>) -> bool {
        let mut entry = self
            .users
            .entry(user.clone())
            .or_insert_with(|| OnlineUser {
                name: user.clone(),
                connections: Vec::new(),
                state: PresenceState::Online,
                text: String::new(),
            });
        let first = entry.connections.is_empty();
        entry.connections.push(conn.clone());
        first
    }

    /// Unregisters a connection. Returns true when it was the user's last.
    pub fn remove_connection(&self, user: &UserName, conn_id: u64) -> bool {
        let last = match self.users.get_mut(user) {
            Some(mut entry) => {
                entry.connections.retain(|c| c.id != conn_id);
                entry.connections.is_empty()
            }
            None => return false,
        };
        if last {
            self.users
                .remove_if(user, |_, entry| entry.connections.is_empty());
        }
        last
    }

    /// The connections of an online user (empty when offline).
    pub fn user_connections(&self, user: &UserName) -> Vec<Arc<ConnHandle>> {
        self.users
            .get(user)
            .map(|entry| entry.connections.clone())
            .unwrap_or_default()
    }

    /// An online user's presence (`None` when offline).
    /// How many users have at least one authenticated connection.
    pub fn online_user_count(&self) -> usize {
        self.users.len()
    }

    pub fn online_user(&self, user: &UserName) -> Option<OnlineUser> {
        self.users.get(user).map(|e| e.clone())
    }

    /// Sets an online user's presence; false when the user is offline.
    pub fn set_presence(&self, user: &UserName, state: PresenceState, text: &str) -> bool {
        match self.users.get_mut(user) {
            Some(mut entry) => {
                entry.state = state;
                entry.text = text.to_string();
                true
            }
            None => false,
        }
    }

    /// Tracks every open connection (authenticated or not) for shutdown.
    pub fn track_connection(&self, conn: &Arc<ConnHandle>) {
        self.connections.insert(conn.id, conn.clone());
    }

    pub fn untrack_connection(&self, conn_id: u64) {
        self.connections.remove(&conn_id);
    }

    /// Every open connection.
    pub fn all_connections(&self) -> Vec<Arc<ConnHandle>> {
        self.connections.iter().map(|c| c.value().clone()).collect()
    }

    fn index_member(&self, user: &UserName, channel: &str, member: bool) {
        if member {
            self.user_channels
                .entry(user.clone())
                .or_default()
                .insert(channel.to_string());
        } else {
            if let Some(mut set) = self.user_channels.get_mut(user) {
                set.remove(channel);
            }
            self.user_channels.remove_if(user, |_, set| set.is_empty());
        }
    }
}

impl ChannelEntry {
    /// Locks the mutable part. A poisoned lock is recovered: the state stays usable.
    pub fn lock(&self) -> MutexGuard<'_, ChannelInner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The `ok.channels` entry, from a locked inner.
    pub fn info(&self, inner: &ChannelInner) -> ChannelInfo {
        ChannelInfo {
            ch: self.name.clone(),
            mode: self.mode,
            members: u32::try_from(inner.members.len()).unwrap_or(u32::MAX),
            seq: inner.last_seq,
            salt: self.salt.clone(),
            kdf: self.kdf.clone(),
            kcv: self.kcv.clone(),
        }
    }
}

impl ChannelInner {
    pub fn is_member(&self, user: &UserName) -> bool {
        self.members.contains(user)
    }

    /// Members as registered, sorted case-insensitively.
    pub fn member_names(&self) -> Vec<String> {
        self.members.iter().map(|m| m.to_string()).collect()
    }

    pub fn member_count(&self) -> usize {
        self.members.len()
    }

    /// Subscribes a connection to the channel's broadcasts (idempotent).
    pub fn subscribe(&mut self, conn: Arc<ConnHandle>) {
        if !self.subscribers.iter().any(|c| c.id == conn.id) {
            self.presence.subscribed(&conn);
            self.subscribers.push(conn);
        }
    }

    pub fn unsubscribe(&mut self, conn_id: u64) {
        self.subscribers.retain(|c| c.id != conn_id);
        let remaining = self.subscribers.len();
        self.presence.retain(remaining, |c| c.id != conn_id);
    }

    /// The open subscribers that asked for `presences` frames.
    pub fn presence_batch_subscribers(&self) -> impl Iterator<Item = &Arc<ConnHandle>> {
        self.subscribers
            .iter()
            .filter(|conn| conn.wants_presence_batches() && !conn.is_closing())
    }

    /// Queues a serialized frame to every open subscriber not yet in `seen` (nor `except`) and
    /// adds them to `seen`, so a frame sent over several channels reaches each connection once.
    pub fn send_once_per_connection(
        &self,
        text: &Utf8Bytes,
        except: Option<u64>,
        seen: &mut std::collections::HashSet<u64>,
    ) {
        for conn in &self.subscribers {
            if Some(conn.id) != except && !conn.is_closing() && seen.insert(conn.id) {
                conn.send_text(text);
            }
        }
    }

    /// Queues a serialized frame to every subscriber except connection `except`; returns to
    /// how many connections.
    pub fn broadcast(&mut self, text: &Utf8Bytes, except: Option<u64>) -> usize {
        let mut saw_closed = false;
        let mut delivered = 0;
        let mut queued = 0;
        for conn in &self.subscribers {
            if Some(conn.id) == except {
                continue;
            }
            if conn.is_closing() {
                saw_closed = true;
                continue;
            }
            queued += usize::from(conn.send_text_uncharged(text));
            delivered += 1;
        }
        // One charge of the server-wide budget (every connection of a server shares it) for
        // all the copies queued.
        if let Some(conn) = self.subscribers.first()
            && queued > 0
        {
            conn.budget().charge(text.len() * queued);
        }
        if saw_closed {
            self.subscribers.retain(|c| !c.is_closing());
            let remaining = self.subscribers.len();
            self.presence.retain(remaining, |c| !c.is_closing());
        }
        delivered
    }

    /// Queues a serialized frame to every subscriber not belonging to `user`.
    pub fn broadcast_except_user(&self, text: &Utf8Bytes, user: &UserName) {
        for conn in &self.subscribers {
            if conn.user() != Some(user) {
                conn.send_text(text);
            }
        }
    }

    /// Records a committed channel event: advances `last_seq` and folds it into the ring.
    pub fn apply_event(&mut self, event: &LoggedEvent) {
        self.last_seq = self.last_seq.max(event.seq);
        match &mut self.ring {
            RingState::Unloaded => {}
            RingState::Loading(buffer) => {
                if buffer.len() >= MAX_BUFFERED_WHILE_LOADING {
                    self.ring = RingState::Unloaded;
                } else {
                    buffer.push(event.clone());
                }
            }
            RingState::Loaded(ring) => ring.apply(event),
        }
    }
}
