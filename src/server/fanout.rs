//! The ordered fan-out dispatcher: ONE task consumes committed log events in commit order (the
//! event log calls each append's commit callback after commit, which waits for room in this
//! task's bounded inbox), folds channel events into the registry's ring, turns each into its
//! frame, serializes it once and queues it to every subscribed connection with `try_send`, then
//! acknowledges the sender. Because a single task does
//! this in commit order, every member sees a channel's events in `seq` order, and nothing is acked
//! or broadcast before it is durable. Also the small helpers that push a frame to a set of users.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::admin::metrics::ServerMetrics;
use super::errors::Reject;
use super::frames::{event_frame, moderated_delete_frame};
use super::outbound::ConnHandle;
use super::server_state::ServerState;
use crate::model::UserName;
use crate::proto::ServerFrame;
use crate::store::{AppendOp, EventBody, ForeignChange, LoggedEvent, StoreError};

/// One item of the dispatcher's inbox.
pub enum FanoutItem {
    /// An append finished (committed or failed); `origin` gets the `ack` or the `err`.
    Committed(Box<Committed>),
    /// Answered once everything queued before it has been dispatched.
    Barrier(oneshot::Sender<()>),
    /// A change another cluster node made, applied here: events are broadcast (nobody to
    /// ack); channels and memberships update the registry.
    Foreign(Box<ForeignChange>),
}

/// The outcome of one append and whom to answer.
pub struct Committed {
    pub result: Result<LoggedEvent, StoreError>,
    pub origin: Arc<ConnHandle>,
    pub rid: Option<String>,
}

/// Runs the dispatcher until its inbox closes. It never waits for the store (the store's
/// writer thread may be blocked on this inbox), only for the inbox.
pub async fn run_dispatcher(state: Arc<ServerState>, mut inbox: mpsc::Receiver<FanoutItem>) {
    while let Some(item) = inbox.recv().await {
        match item {
            FanoutItem::Committed(committed) => {
                let Committed {
                    result,
                    origin,
                    rid,
                } = *committed;
                match result {
                    Ok(event) => {
                        ServerMetrics::add(&state.metrics.events_committed, 1);
                        dispatch_committed(&state, event, &origin, rid)
                    }
                    Err(error) => {
                        ServerMetrics::add(&state.metrics.events_failed, 1);
                        origin.send_frame(&Reject::from_store(error).to_frame(rid))
                    }
                }
            }
            FanoutItem::Barrier(reply) => {
                let _ = reply.send(());
            }
            FanoutItem::Foreign(change) => apply_foreign_change(&state, *change),
        }
    }
}

/// Appends through the event log: it commits, then the dispatcher broadcasts and acks. A log
/// that cannot take the event now (queue full, closed) answers the sender with `err` at once.
pub fn submit(state: &ServerState, op: AppendOp, origin: &Arc<ConnHandle>, rid: Option<String>) {
    let inbox = state.fanout.clone();
    let committed_origin = origin.clone();
    let committed_rid = rid.clone();
    let accepted = state.log.append(
        op,
        Box::new(move |result| {
            let item = FanoutItem::Committed(Box::new(Committed {
                result,
                origin: committed_origin,
                rid: committed_rid,
            }));
            // On the log's own thread, in commit order: waits while the bounded inbox is full.
            // The dispatcher only goes away when the server has stopped; nothing is left to tell.
            let _ = inbox.blocking_send(item);
        }),
    );
    if let Err(error) = accepted {
        ServerMetrics::add(&state.metrics.events_failed, 1);
        origin.send_frame(&Reject::from_store(error).to_frame(rid));
    }
}

fn dispatch_committed(
    state: &ServerState,
    event: LoggedEvent,
    origin: &ConnHandle,
    rid: Option<String>,
) {
    let ack = ServerFrame::Ack {
        rid,
        id: event.id,
        seq: event.channel_seq(),
        ts: event.ts,
    };
    deliver_event(state, event);
    origin.send_frame(&ack);
}

/// Brings this node's live state up to date with another node's change.
fn apply_foreign_change(state: &ServerState, change: ForeignChange) {
    match change {
        ForeignChange::Event(event) => {
            ServerMetrics::add(&state.metrics.events_committed, 1);
            deliver_event(state, event);
        }
        ForeignChange::Channel(record) => {
            state.registry.insert_channel(record);
        }
        ForeignChange::Joined { channel, user } => update_membership(state, &channel, &user, true),
        ForeignChange::Left { channel, user } => update_membership(state, &channel, &user, false),
        ForeignChange::Administered { op, ts } => apply_foreign_admin(state, op, ts),
        ForeignChange::KeySet { user, pk, ts } => {
            if let Ok(user) = UserName::parse(&user) {
                super::presence::announce_key(state, &user, &pk, ts, None);
            }
        }
    }
}

/// What another node's administration op changes live here: a purge leaves the loaded rings, an
/// account disabled, deleted, stripped of its sessions or disconnected loses its connections
/// here too.
fn apply_foreign_admin(state: &ServerState, op: crate::store::AdminOp, ts: i64) {
    use crate::store::AdminOp;
    let user = match op {
        AdminOp::PurgeExpired {
            server_retention_ms,
            ..
        } => {
            super::retention::forget_in_rings(state, server_retention_ms, ts);
            return;
        }
        AdminOp::SetDisabled {
            user,
            disabled: true,
        }
        | AdminOp::SetPassword { user, .. }
        | AdminOp::DeleteAccount { user }
        | AdminOp::RevokeSessions { user }
        | AdminOp::Disconnect { user } => user,
        _ => return,
    };
    if let Ok(user) = UserName::parse(&user) {
        super::directory::close_connections_of(state, &user, "ended by a server admin");
    }
}

/// Adds or removes a member of a channel this node's registry knows (one it does not know is
/// loaded from the store, members included, when first needed) and sends the `member` frame to
/// this node's connections, as the node the user joined or left on did to its own.
fn update_membership(state: &ServerState, channel: &str, user: &str, joined: bool) {
    let (Some(entry), Some(user)) = (state.registry.channel(channel), UserName::parse(user).ok())
    else {
        return;
    };
    if !joined {
        super::voice::leave_room_of_user(state, &entry.name, &user);
    }
    let mut inner = entry.lock();
    let changed = if joined {
        state.registry.add_member(&entry, &mut inner, &user)
    } else {
        state.registry.remove_member(&entry, &mut inner, &user)
    };
    if !changed {
        return;
    }
    let member =
        super::channel_handlers::member_frame(&entry.name, user.as_str(), joined, state.now_ms());
    inner.broadcast(&member, None);
    if !joined {
        // The user's connections here are no longer subscribed; tell them too.
        for conn in state.registry.user_connections(&user) {
            conn.send_text(&member);
        }
        return;
    }
    drop(inner);
    presence_after_first_membership(state, &user);
}

/// Another node's user who just became a member of their first channel here: presence travels
/// over core NATS and memberships through the log, so a presence their node announced before
/// this node applied the membership (a brand-new account coming online) reached nobody here.
/// Announced now to the members of that channel, as a single node does after registration.
fn presence_after_first_membership(state: &ServerState, user: &UserName) {
    if state.registry.membership_count(user) != 1 {
        return;
    }
    let Some(link) = super::live_link::link_of(state) else {
        return;
    };
    if let Some((presence, text)) = link.remote_presence(user) {
        super::presence::presence_from_other_node(state, user, presence, &text);
    }
}

/// Delivers a committed event to this node's connections: a DM (or a change of one) to both
/// users, a channel event
/// through the channel's ring.
fn deliver_event(state: &ServerState, event: LoggedEvent) {
    match event.dm_peer() {
        Some(to) => {
            let users = [event.sender.as_str(), to].map(UserName::parse);
            let text = Utf8Bytes::from(event_frame(event).to_json());
            let delivered = send_to_users(state, users.iter().flatten(), &text, None);
            ServerMetrics::add(&state.metrics.fanout_deliveries, delivered as u64);
        }
        None => broadcast_channel_event(state, event),
    }
}

/// Folds a committed channel event into the ring and broadcasts it, under the channel's lock
/// (so a `join` sees the event either in its `hist` or as a broadcast, never both or neither).
/// A system line then updates the registry (`governance::apply_committed`): a kicked member
/// has seen the line and stops receiving from here on.
fn broadcast_channel_event(state: &ServerState, event: LoggedEvent) {
    let Some(entry) = event
        .channel()
        .and_then(|name| state.registry.channel(name))
    else {
        // On a cluster node, a channel created on another node that nobody here has joined
        // yet; its ring is loaded from the store on the first join.
        tracing::debug!("committed event for a channel the registry does not know");
        return;
    };
    let mut inner = entry.lock();
    if let Some(delete) = moderated_delete_frame(&event) {
        // A moderator's deletion: its `delete` event committed just before this system line.
        let _ = inner.broadcast(&Utf8Bytes::from(delete.to_json()), None);
    }
    inner.apply_event(&event);
    let system_line = matches!(event.body, EventBody::Sys { .. }).then(|| event.clone());
    let text = Utf8Bytes::from(event_frame(event).to_json());
    let delivered = inner.broadcast(&text, None);
    ServerMetrics::add(&state.metrics.fanout_deliveries, delivered as u64);
    drop(inner);
    if let Some(line) = system_line {
        super::governance::apply_committed(state, &line);
    }
}

/// Queues `text` to every connection of the given users (each user once), except connection
/// `except`; returns to how many connections.
pub fn send_to_users<'a>(
    state: &ServerState,
    users: impl IntoIterator<Item = &'a UserName>,
    text: &Utf8Bytes,
    except: Option<u64>,
) -> usize {
    let mut seen = std::collections::HashSet::new();
    let mut delivered = 0;
    for user in users {
        if !seen.insert(user) {
            continue;
        }
        for conn in state.registry.user_connections(user) {
            if Some(conn.id) != except {
                conn.send_text(text);
                delivered += 1;
            }
        }
    }
    delivered
}
