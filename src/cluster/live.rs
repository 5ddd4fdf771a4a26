//! Presence, typing and voice across cluster nodes over core NATS (never stored;
//! docs/CLUSTER.md): [`LiveNode`] is the server's `LiveLink`. This node's changes (a user online,
//! a status, offline, a voice room entered or left) are numbered and published as JSON signals on
//! `<stream>.live`, with a heartbeat every `heartbeat` carrying the last number; typing goes on
//! the same subject unnumbered, and voice frames as raw bytes on `<stream>.voice` (node and
//! room in headers). Other nodes' signals update the `live_table` and are announced to this
//! node's connections (`presence::presence_from_other_node` and friends). A node that asks
//! (`sync`) gets this node's snapshot, in parts. Everything leaves through one bounded outbox:
//! when it is full a signal is dropped, and the gap makes the others ask for a snapshot.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::live_table::{Delta, Effect, Presence, RemoteTable, SnapshotPart};
use crate::model::UserName;
use crate::proto::PresenceState;
use crate::server::LiveLink;
use crate::server::server_state::ServerState;

/// Signals and voice frames waiting to be published, at most.
const OUTBOX_CAPACITY: usize = 4096;
/// Users (or voice memberships) per snapshot part.
const SNAPSHOT_PART: usize = 1000;

/// One message on `<stream>.live`.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
enum Signal {
    Beat {
        node: String,
        seq: u64,
        /// The sender's heartbeat interval.
        every_ms: u64,
    },
    Presence {
        node: String,
        seq: u64,
        u: String,
        state: PresenceState,
        text: String,
    },
    Voice {
        node: String,
        seq: u64,
        room: String,
        u: String,
        on: bool,
    },
    Typing {
        node: String,
        u: String,
        ch: Option<String>,
        to: Option<String>,
        on: bool,
    },
    Sync {
        node: String,
        target: String,
    },
    Snapshot {
        node: String,
        seq: u64,
        first: bool,
        last: bool,
        users: Vec<(String, PresenceState, String)>,
        voice: Vec<(String, String)>,
    },
}

/// What woke the follower.
enum Event {
    Signal(Option<async_nats::Message>),
    VoiceFrame(Option<async_nats::Message>),
    Beat,
}

enum Outgoing {
    Signal(Vec<u8>),
    VoiceFrame(String, Bytes),
}

/// This node's own live state, as the others are told it.
#[derive(Default)]
struct LocalState {
    seq: u64,
    users: std::collections::HashMap<UserName, Presence>,
    voice: BTreeSet<(String, UserName)>,
}

/// The cluster's `LiveLink`.
pub struct LiveNode {
    client: async_nats::Client,
    node: String,
    live_subject: String,
    voice_subject: String,
    heartbeat: Duration,
    outbox: mpsc::Sender<Outgoing>,
    outbox_rx: Mutex<Option<mpsc::Receiver<Outgoing>>>,
    local: Mutex<LocalState>,
    remote: Mutex<RemoteTable>,
    state: OnceLock<Weak<ServerState>>,
}

impl LiveNode {
    pub(crate) fn new(
        client: async_nats::Client,
        node: String,
        stream: &str,
        heartbeat: Duration,
    ) -> LiveNode {
        let (outbox, outbox_rx) = mpsc::channel(OUTBOX_CAPACITY);
        let prefix = stream.to_ascii_lowercase();
        LiveNode {
            client,
            node,
            live_subject: format!("{prefix}.live"),
            voice_subject: format!("{prefix}.voice"),
            heartbeat,
            outbox,
            outbox_rx: Mutex::new(Some(outbox_rx)),
            local: Mutex::default(),
            remote: Mutex::default(),
            state: OnceLock::new(),
        }
    }

    fn send(&self, signal: &Signal) {
        let Ok(payload) = serde_json::to_vec(signal) else {
            return;
        };
        if self.outbox.try_send(Outgoing::Signal(payload)).is_err() {
            tracing::debug!("live outbox full; a presence signal was dropped");
        }
    }

    /// Numbers and publishes one change of this node (under the lock: in order).
    fn local_change(&self, apply: impl FnOnce(&mut LocalState, u64) -> Signal) {
        let mut local = lock(&self.local);
        local.seq += 1;
        let seq = local.seq;
        let signal = apply(&mut local, seq);
        self.send(&signal);
    }

    /// Publishes this node's snapshot, in parts.
    fn send_snapshot(&self) {
        let local = lock(&self.local);
        let users: Vec<_> = local
            .users
            .iter()
            .map(|(user, (state, text))| (user.to_string(), *state, text.clone()))
            .collect();
        let voice: Vec<_> = local
            .voice
            .iter()
            .map(|(room, user)| (room.clone(), user.to_string()))
            .collect();
        let parts = users.len().max(voice.len()).div_ceil(SNAPSHOT_PART).max(1);
        let mut users = users.chunks(SNAPSHOT_PART);
        let mut voice = voice.chunks(SNAPSHOT_PART);
        for part in 0..parts {
            self.send(&Signal::Snapshot {
                node: self.node.clone(),
                seq: local.seq,
                first: part == 0,
                last: part + 1 == parts,
                users: users.next().map(<[_]>::to_vec).unwrap_or_default(),
                voice: voice.next().map(<[_]>::to_vec).unwrap_or_default(),
            });
        }
    }

    /// Applies another node's signal; returns what to announce here.
    fn receive(&self, signal: Signal, now: Instant) -> Vec<Effect> {
        let mut remote = lock(&self.remote);
        match signal {
            Signal::Beat {
                node,
                seq,
                every_ms,
            } => {
                let every = Duration::from_millis(every_ms.clamp(50, 60_000));
                if node != self.node && remote.beat(&node, seq, every, now) {
                    drop(remote);
                    let target = node;
                    self.send(&Signal::Sync {
                        node: self.node.clone(),
                        target,
                    });
                }
                Vec::new()
            }
            Signal::Presence {
                node,
                seq,
                u,
                state,
                text,
            } => match UserName::parse(&u) {
                Ok(user) => remote.delta(&node, seq, Delta::Presence(&user, state, &text), now),
                Err(_) => Vec::new(),
            },
            Signal::Voice {
                node,
                seq,
                room,
                u,
                on,
            } => match UserName::parse(&u) {
                Ok(user) => remote.delta(&node, seq, Delta::Voice(&room, &user, on), now),
                Err(_) => Vec::new(),
            },
            Signal::Sync { target, .. } => {
                if target == self.node {
                    drop(remote);
                    self.send_snapshot();
                }
                Vec::new()
            }
            Signal::Snapshot {
                node,
                seq,
                first,
                last,
                users,
                voice,
            } => {
                let part = SnapshotPart {
                    seq,
                    first,
                    last,
                    users: users
                        .into_iter()
                        .filter_map(|(u, state, text)| {
                            Some((UserName::parse(&u).ok()?, (state, text)))
                        })
                        .collect(),
                    voice: voice
                        .into_iter()
                        .filter_map(|(room, u)| Some((room, UserName::parse(&u).ok()?)))
                        .collect(),
                };
                remote.snapshot_part(&node, part, now)
            }
            Signal::Typing { .. } => Vec::new(),
        }
    }

    /// Follows the other nodes until the server is gone.
    async fn run(self: Arc<Self>) {
        let (live, voice) = match (
            self.client.subscribe(self.live_subject.clone()).await,
            self.client.subscribe(self.voice_subject.clone()).await,
        ) {
            (Ok(live), Ok(voice)) => (live, voice),
            (Err(error), _) | (_, Err(error)) => {
                tracing::error!(%error, "subscribing to the cluster's presence subjects failed");
                return;
            }
        };
        let (mut live, mut voice) = (live, voice);
        let mut beats = tokio::time::interval(self.heartbeat);
        beats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let event = tokio::select! {
                message = live.next() => Event::Signal(message),
                message = voice.next() => Event::VoiceFrame(message),
                _ = beats.tick() => Event::Beat,
            };
            // Not kept across the wait: a stopped server is not kept alive by this task.
            let Some(state) = self.state.get().and_then(Weak::upgrade) else {
                return;
            };
            match event {
                Event::Signal(Some(message)) => self.on_signal(&state, &message.payload),
                Event::VoiceFrame(Some(message)) => self.on_voice_frame(&state, &message),
                Event::Signal(None) | Event::VoiceFrame(None) => return,
                Event::Beat => {
                    let seq = lock(&self.local).seq;
                    let every_ms = u64::try_from(self.heartbeat.as_millis()).unwrap_or(u64::MAX);
                    let node = self.node.clone();
                    self.send(&Signal::Beat {
                        node,
                        seq,
                        every_ms,
                    });
                    let effects = lock(&self.remote).expire(self.heartbeat, Instant::now());
                    announce(&state, effects);
                }
            }
        }
    }

    fn on_signal(&self, state: &ServerState, payload: &[u8]) {
        let Ok(signal) = serde_json::from_slice::<Signal>(payload) else {
            tracing::debug!("ignoring a presence signal this build cannot read");
            return;
        };
        match signal {
            Signal::Typing { node, .. } if node == self.node => {}
            Signal::Typing { u, ch, to, on, .. } => {
                if let Ok(user) = UserName::parse(&u) {
                    crate::server::presence::typing_from_other_node(
                        state,
                        &user,
                        ch.as_deref(),
                        to.as_deref(),
                        on,
                    );
                }
            }
            Signal::Presence { ref node, .. }
            | Signal::Voice { ref node, .. }
            | Signal::Snapshot { ref node, .. }
                if *node == self.node => {}
            signal => {
                let effects = self.receive(signal, Instant::now());
                announce(state, effects);
            }
        }
    }

    fn on_voice_frame(&self, state: &ServerState, message: &async_nats::Message) {
        let Some(headers) = &message.headers else {
            return;
        };
        let from = headers.get("Chatify-Node").map(|v| v.as_str());
        let room = headers.get("Chatify-Room").map(|v| v.as_str());
        if let (Some(from), Some(room)) = (from, room)
            && from != self.node
        {
            crate::server::voice::frame_from_other_node(state, room, &message.payload);
        }
    }

    /// Publishes the outbox, in order, until the node is dropped.
    async fn publish(self: Arc<Self>, mut outbox: mpsc::Receiver<Outgoing>) {
        while let Some(outgoing) = outbox.recv().await {
            let sent = match outgoing {
                Outgoing::Signal(payload) => {
                    let subject = self.live_subject.clone();
                    self.client.publish(subject, payload.into()).await
                }
                Outgoing::VoiceFrame(room, frame) => {
                    let mut headers = async_nats::HeaderMap::new();
                    headers.insert("Chatify-Node", self.node.as_str());
                    headers.insert("Chatify-Room", room.as_str());
                    let subject = self.voice_subject.clone();
                    self.client
                        .publish_with_headers(subject, headers, frame)
                        .await
                }
            };
            if let Err(error) = sent {
                tracing::debug!(%error, "publishing a presence signal failed");
            }
        }
    }
}

/// Tells this node's connections what changed on the other nodes.
fn announce(state: &ServerState, effects: Vec<Effect>) {
    for effect in effects {
        match effect {
            Effect::Presence(user, presence, text) => {
                crate::server::presence::presence_from_other_node(state, &user, presence, &text);
            }
            Effect::VoiceMember(room, user, on) => {
                crate::server::voice::member_from_other_node(state, &room, user.as_str(), on);
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The server-facing side, `Arc`-wrapped so `attach` can start the tasks.
pub struct LiveLinkHandle(pub(crate) Arc<LiveNode>);

impl LiveLink for LiveLinkHandle {
    fn attach(&self, state: Weak<ServerState>) {
        let node = &self.0;
        if node.state.set(state).is_err() {
            return;
        }
        if let Some(outbox) = lock(&node.outbox_rx).take() {
            tokio::spawn(node.clone().publish(outbox));
        }
        tokio::spawn(node.clone().run());
    }

    fn local_presence(&self, user: &UserName, presence: PresenceState, text: &str) {
        self.0.local_change(|local, seq| {
            if presence == PresenceState::Offline {
                local.users.remove(user);
            } else {
                local
                    .users
                    .insert(user.clone(), (presence, text.to_string()));
            }
            Signal::Presence {
                node: self.0.node.clone(),
                seq,
                u: user.to_string(),
                state: presence,
                text: text.to_string(),
            }
        });
    }

    fn local_typing(&self, user: &UserName, channel: Option<&str>, peer: Option<&str>, on: bool) {
        self.0.send(&Signal::Typing {
            node: self.0.node.clone(),
            u: user.to_string(),
            ch: channel.map(str::to_string),
            to: peer.map(str::to_string),
            on,
        });
    }

    fn local_voice_member(&self, room: &str, user: &UserName, on: bool) {
        self.0.local_change(|local, seq| {
            let key = (room.to_string(), user.clone());
            if on {
                local.voice.insert(key);
            } else {
                local.voice.remove(&key);
            }
            Signal::Voice {
                node: self.0.node.clone(),
                seq,
                room: room.to_string(),
                u: user.to_string(),
                on,
            }
        });
    }

    fn local_voice_frame(&self, room: &str, frame: &Bytes) {
        let outgoing = Outgoing::VoiceFrame(room.to_string(), frame.clone());
        // Voice is lossy anyway: a full outbox drops the frame.
        let _ = self.0.outbox.try_send(outgoing);
    }

    fn remote_presence(&self, user: &UserName) -> Option<(PresenceState, String)> {
        lock(&self.0.remote).presence(user)
    }

    fn remote_voice_members(&self, room: &str) -> Vec<String> {
        lock(&self.0.remote).voice_members(room)
    }
}
