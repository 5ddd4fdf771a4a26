//! Presence, typing and key announcements (PROTOCOL.md §1, §6): `status` frames, the
//! online/offline transitions when a user's first connection opens or last one closes, `typing`
//! relays to a channel or DM peer, and `key` frames when a user's public key changes. Nothing here
//! is stored. Used by the dispatcher (status, typing), auth (online, key) and connection teardown.
//! On a cluster node, presence and typing also go to and come from the other nodes
//! (`live_link`; the `from_other_node` functions announce here only).
//! Presence for the clients that asked for `presences` is coalesced per channel by
//! `presence_batch`.

use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::errors::Reject;
use super::fanout::send_to_users;
use super::server_state::{ServerSession, ServerState};
use crate::model::UserName;
use crate::model::limits::MAX_STATUS_TEXT_CHARS;
use crate::proto::{PresenceState, ServerFrame, StatusFrame, TypingFrame};

/// `status`: sets the user's presence and tells everyone who shares a channel with them, at most
/// once per `presence_interval` (`presence_gate`).
pub fn handle_status(session: &ServerSession, status: StatusFrame) -> Result<(), Reject> {
    let StatusFrame { state, text } = status;
    if state == PresenceState::Offline {
        return Err(Reject::bad_frame(
            "state must be online, away or busy (offline is sent when you disconnect)",
        ));
    }
    if text.chars().count() > MAX_STATUS_TEXT_CHARS {
        return Err(Reject::bad_frame(
            "status text is limited to 256 characters",
        ));
    }
    session
        .state
        .registry
        .set_presence(&session.user, state, &text);
    super::presence_gate::announce_status_change(&session.state, &session.user, session.conn.id);
    Ok(())
}

/// Sends a `presence` frame about `user` to every user sharing a channel with them and to the
/// user's own connections other than `except`, and tells the other cluster nodes. Going offline
/// here while online on another node announces nothing on this node.
pub fn announce_presence(
    state: &ServerState,
    user: &UserName,
    presence: PresenceState,
    text: &str,
    except: Option<u64>,
) {
    if let Some(link) = super::live_link::link_of(state) {
        link.local_presence(user, presence, text);
        if presence == PresenceState::Offline && link.remote_presence(user).is_some() {
            return;
        }
    }
    announce_presence_here(state, user, presence, text, except);
}

/// Another cluster node's user changed presence: tells this node's connections, unless the user
/// is online here too (this node's own state is what its connections are told then).
pub fn presence_from_other_node(
    state: &ServerState,
    user: &UserName,
    presence: PresenceState,
    text: &str,
) {
    if state.registry.online_user(user).is_none() {
        announce_presence_here(state, user, presence, text, None);
    }
}

/// Another cluster node's user typing: relayed to this node's members of the channel or to the
/// peer's connections here.
pub fn typing_from_other_node(
    state: &ServerState,
    user: &UserName,
    channel: Option<&str>,
    peer: Option<&str>,
    on: bool,
) {
    let frame = ServerFrame::Typing {
        ch: channel.map(str::to_string),
        to: peer.map(str::to_string),
        u: user.to_string(),
        on,
    };
    let text = Utf8Bytes::from(frame.to_json());
    match (channel.and_then(|ch| state.registry.channel(ch)), peer) {
        (Some(entry), None) => entry.lock().broadcast_except_user(&text, user),
        (None, Some(peer)) => {
            if let Ok(peer) = UserName::parse(peer) {
                send_to_users(state, [&peer], &text, None);
            }
        }
        _ => {}
    }
}

/// A presence change to this node's connections only: subscribers of the user's channels that
/// asked for `presences` get it in their channel's next coalesced `presences` frame
/// (`presence_batch`); the others get a single-user `presence` frame at once, as do the user's
/// own connections other than `except`.
fn announce_presence_here(
    state: &ServerState,
    user: &UserName,
    presence: PresenceState,
    text: &str,
    except: Option<u64>,
) {
    let frame = ServerFrame::Presence {
        u: user.to_string(),
        state: presence,
        text: text.to_string(),
        ts: state.now_ms(),
    };
    let single = Utf8Bytes::from(frame.to_json());
    let channels = state.registry.user_channels(user);
    let mut seen = std::collections::HashSet::new();
    for entry in &channels {
        entry
            .lock()
            .presence
            .send_single_once_per_connection(&single, except, &mut seen);
    }
    for conn in state.registry.user_connections(user) {
        if Some(conn.id) != except && seen.insert(conn.id) {
            conn.send_text(&single);
        }
    }
    super::presence_batch::queue_presence_change(state, &channels, user, presence, text);
}

/// Sends a `key` frame announcing `user`'s new public key, stored at `ts`, to this node's
/// connections: the node the key was set on, and every cluster node applying it from the log.
pub fn announce_key(state: &ServerState, user: &UserName, pk: &str, ts: i64, except: Option<u64>) {
    let frame = ServerFrame::Key {
        u: user.to_string(),
        pk: pk.to_string(),
        ts,
    };
    let text = Utf8Bytes::from(frame.to_json());
    // The connections subscribed to the user's channels are exactly the online members' (a
    // login subscribes before it registers): walking them costs O(online connections), where
    // listing every member and looking each up cost O(members) lookups and name copies.
    let mut seen = std::collections::HashSet::new();
    for entry in state.registry.user_channels(user) {
        entry
            .lock()
            .send_once_per_connection(&text, except, &mut seen);
    }
    for conn in state.registry.user_connections(user) {
        if Some(conn.id) != except && seen.insert(conn.id) {
            conn.send_text(&text);
        }
    }
}

/// `typing`: relayed to the channel's members or the DM peer, never to the sender.
pub fn handle_typing(session: &ServerSession, typing: TypingFrame) -> Result<(), Reject> {
    let TypingFrame { ch, to, on } = typing;
    match (ch, to) {
        (Some(ch), None) => {
            let channel = super::channel_handlers::member_channel(session, &ch)?;
            let frame = ServerFrame::Typing {
                ch: Some(channel.name.clone()),
                to: None,
                u: session.user.to_string(),
                on,
            };
            let text = Utf8Bytes::from(frame.to_json());
            channel.lock().broadcast_except_user(&text, &session.user);
            if let Some(link) = super::live_link::link_of(&session.state) {
                link.local_typing(&session.user, Some(&channel.name), None, on);
            }
            Ok(())
        }
        (None, Some(to)) => {
            let to = UserName::parse(&to).map_err(|_| Reject::no_such_user())?;
            if to == session.user {
                return Ok(());
            }
            if let Some(link) = super::live_link::link_of(&session.state) {
                link.local_typing(&session.user, None, Some(to.as_str()), on);
            }
            let Some(peer) = session.state.registry.online_user(&to) else {
                return Ok(());
            };
            let frame = ServerFrame::Typing {
                ch: None,
                to: Some(peer.name.to_string()),
                u: session.user.to_string(),
                on,
            };
            let text = Utf8Bytes::from(frame.to_json());
            send_to_users(&session.state, [&peer.name], &text, None);
            Ok(())
        }
        _ => Err(Reject::bad_frame("typing takes exactly one of ch and to")),
    }
}

/// The presence fields of `ok.users` / `who.members` for a user: (online, state, text).
pub fn presence_of(state: &ServerState, user: &UserName) -> (bool, PresenceState, String) {
    if let Some(online) = state.registry.online_user(user) {
        return (true, online.state, online.text);
    }
    match super::live_link::link_of(state).and_then(|link| link.remote_presence(user)) {
        Some((presence, text)) => (true, presence, text),
        None => (false, PresenceState::Offline, String::new()),
    }
}
