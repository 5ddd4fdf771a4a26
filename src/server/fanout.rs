//! The ordered fan-out dispatcher: ONE task consumes committed store events in commit order
//! (the store writer calls each append's `done` after commit and it lands here), folds channel
//! events into the registry's ring, serializes each broadcast once and queues it to every
//! subscribed connection with `try_send`, then acknowledges the sender. Because a single task does
//! this in commit order, every member sees a channel's events in `seq` order, and nothing is acked
//! or broadcast before it is durable. Also the small helpers that push a frame to a set of users.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::errors::Reject;
use super::outbound::ConnHandle;
use super::state::ServerState;
use crate::model::UserName;
use crate::proto::ServerFrame;
use crate::store::{Appended, StoreError};

/// One item of the dispatcher's inbox.
pub enum FanoutItem {
    /// An append finished (committed or failed); `origin` gets the `ack` or the `err`.
    Committed(Box<Committed>),
    /// Answered once everything queued before it has been dispatched.
    Barrier(oneshot::Sender<()>),
}

/// The outcome of one append and whom to answer.
pub struct Committed {
    pub result: Result<Appended, StoreError>,
    pub origin: Arc<ConnHandle>,
    pub rid: Option<String>,
}

/// Runs the dispatcher until its inbox closes.
pub async fn run_dispatcher(
    state: Arc<ServerState>,
    mut inbox: mpsc::UnboundedReceiver<FanoutItem>,
) {
    while let Some(item) = inbox.recv().await {
        match item {
            FanoutItem::Committed(committed) => {
                let Committed {
                    result,
                    origin,
                    rid,
                } = *committed;
                match result {
                    Ok(appended) => dispatch_committed(&state, appended, &origin, rid),
                    Err(error) => origin.send_frame(&Reject::from_store(error).to_frame(rid)),
                }
            }
            FanoutItem::Barrier(reply) => {
                let _ = reply.send(());
            }
        }
    }
}

/// Queues an append: the store commits it, then the dispatcher broadcasts and acks.
pub fn submit(
    state: &ServerState,
    op: crate::store::AppendOp,
    origin: &Arc<ConnHandle>,
    rid: Option<String>,
) {
    let inbox = state.fanout.clone();
    let origin = origin.clone();
    state.store.append(
        op,
        Box::new(move |result| {
            // The dispatcher only goes away when the server has stopped; nothing is left to tell.
            let _ = inbox.send(FanoutItem::Committed(Box::new(Committed {
                result,
                origin,
                rid,
            })));
        }),
    );
}

fn dispatch_committed(
    state: &ServerState,
    appended: Appended,
    origin: &ConnHandle,
    rid: Option<String>,
) {
    let text = Utf8Bytes::from(appended.frame.to_json());
    match &appended.frame {
        ServerFrame::Msg(m) => broadcast_channel_event(state, &m.ch, m.seq, &appended.frame, &text),
        ServerFrame::Edit(e) => {
            broadcast_channel_event(state, &e.ch, e.seq, &appended.frame, &text)
        }
        ServerFrame::Delete(d) => {
            broadcast_channel_event(state, &d.ch, d.seq, &appended.frame, &text)
        }
        ServerFrame::React(r) => {
            broadcast_channel_event(state, &r.ch, r.seq, &appended.frame, &text)
        }
        ServerFrame::Dm(dm) => {
            let users = [&dm.from, &dm.to].map(|name| UserName::parse(name));
            send_to_users(state, users.iter().flatten(), &text, None);
        }
        _ => tracing::error!("store returned an event that is not msg, edit, delete, react or dm"),
    }
    origin.send_frame(&ServerFrame::Ack {
        rid,
        id: appended.id,
        seq: appended.seq,
        ts: appended.ts,
    });
}

fn broadcast_channel_event(
    state: &ServerState,
    channel: &str,
    seq: i64,
    frame: &ServerFrame,
    text: &Utf8Bytes,
) {
    let Some(entry) = state.registry.channel(channel) else {
        tracing::error!(
            channel,
            "committed event for a channel the registry does not know"
        );
        return;
    };
    let mut inner = entry.lock();
    inner.apply_event(seq, frame);
    inner.broadcast(text, None);
}

/// Queues `text` to every connection of the given users (each user once), except connection
/// `except`.
pub fn send_to_users<'a>(
    state: &ServerState,
    users: impl IntoIterator<Item = &'a UserName>,
    text: &Utf8Bytes,
    except: Option<u64>,
) {
    let mut seen = std::collections::HashSet::new();
    for user in users {
        if !seen.insert(user) {
            continue;
        }
        for conn in state.registry.user_connections(user) {
            if Some(conn.id) != except {
                conn.send_text(text);
            }
        }
    }
}
