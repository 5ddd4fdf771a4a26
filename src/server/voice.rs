//! Voice relay (PROTOCOL.md §7): rooms named like channels (membership required), `vjoin` /
//! `vleave` with `vjoined`/`vleft` replies and `vmember` announcements, and the binary relay that
//! prefixes each payload with the sender's name and hands it to every other connection in the room
//! through its lossy voice queue (a receiver that is behind loses voice frames, never its
//! connection). Nothing is stored. Used by the dispatcher, the read loop and connection teardown.
//! On a cluster node, rooms span the nodes: members and frames go to and come from the other
//! nodes (`live_link`; the `from_other_node` functions reach this node's connections only).

use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use dashmap::DashMap;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::errors::Reject;
use super::outbound::ConnHandle;
use super::server_state::{ServerSession, ServerState};
use crate::model::UserName;
use crate::proto::{ErrorCode, MAX_VOICE_PAYLOAD, ServerFrame, VjoinFrame};

/// Which connections are in which voice room.
#[derive(Debug, Default)]
pub struct VoiceRooms {
    rooms: DashMap<String, Vec<Arc<ConnHandle>>>,
    by_connection: DashMap<u64, String>,
}

impl VoiceRooms {
    pub fn new() -> VoiceRooms {
        VoiceRooms::default()
    }

    /// The room a connection is in.
    pub fn room_of(&self, conn_id: u64) -> Option<String> {
        self.by_connection.get(&conn_id).map(|r| r.clone())
    }

    /// Adds a connection; returns the distinct member names and whether its user is new there.
    fn enter(&self, room: &str, conn: &Arc<ConnHandle>) -> (Vec<String>, bool) {
        self.by_connection.insert(conn.id, room.to_string());
        let mut members = self.rooms.entry(room.to_string()).or_default();
        let user = conn.user();
        let user_new = !members.iter().any(|c| c.user() == user);
        if !members.iter().any(|c| c.id == conn.id) {
            members.push(conn.clone());
        }
        (distinct_users(&members), user_new)
    }

    /// Removes a connection; returns its room and whether its user has left the room entirely.
    fn exit(&self, conn: &ConnHandle) -> Option<(String, bool)> {
        let (_, room) = self.by_connection.remove(&conn.id)?;
        let user = conn.user();
        let mut user_gone = true;
        if let Some(mut members) = self.rooms.get_mut(&room) {
            members.retain(|c| c.id != conn.id);
            user_gone = !members.iter().any(|c| c.user() == user);
        }
        self.rooms.remove_if(&room, |_, members| members.is_empty());
        Some((room, user_gone))
    }

    /// Queues a serialized frame to every connection in `room` except `except`.
    fn announce(&self, room: &str, text: &Utf8Bytes, except: Option<u64>) {
        if let Some(members) = self.rooms.get(room) {
            for conn in members.iter().filter(|c| Some(c.id) != except) {
                conn.send_text(text);
            }
        }
    }
}

/// `vjoin`: enters the room (leaving any other), replies `vjoined`, announces `vmember`.
pub fn handle_vjoin(
    session: &ServerSession,
    vjoin: VjoinFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    let channel = super::channel_handlers::member_channel(session, &vjoin.room)?;
    let voice = &session.state.voice;
    match voice.room_of(session.conn.id) {
        Some(current) if current == channel.name => {}
        Some(_) => exit_and_announce(&session.state, &session.conn),
        None => {}
    }
    let (mut members, user_new) = voice.enter(&channel.name, &session.conn);
    if let Some(link) = super::live_link::link_of(&session.state) {
        for remote in link.remote_voice_members(&channel.name) {
            if !members.contains(&remote) {
                members.push(remote);
            }
        }
        if user_new {
            link.local_voice_member(&channel.name, &session.user, true);
        }
    }
    session.conn.send_frame(&ServerFrame::Vjoined {
        room: channel.name.clone(),
        members,
        rid,
    });
    if user_new {
        let text = vmember_frame(&channel.name, session.user.as_str(), true);
        voice.announce(&channel.name, &text, Some(session.conn.id));
    }
    Ok(())
}

/// `vleave`: leaves the current room, replies `vleft`, announces `vmember` off.
pub fn handle_vleave(session: &ServerSession, rid: Option<String>) -> Result<(), Reject> {
    let Some(room) = session.state.voice.room_of(session.conn.id) else {
        return Err(Reject::new(
            ErrorCode::NotMember,
            "you are not in a voice room",
        ));
    };
    exit_and_announce(&session.state, &session.conn);
    session.conn.send_frame(&ServerFrame::Vleft { room, rid });
    Ok(())
}

/// A binary frame from `conn`: relayed as `[n][name][payload]` to the others in its room.
pub fn relay(state: &ServerState, conn: &ConnHandle, payload: &[u8]) -> Result<(), Reject> {
    if payload.len() > MAX_VOICE_PAYLOAD {
        return Err(Reject::new(
            ErrorCode::TooLarge,
            "a voice frame carries at most 4096 bytes",
        ));
    }
    let Some(room) = state.voice.room_of(conn.id) else {
        return Ok(());
    };
    let name = conn.user().map_or(&[][..], |user| user.as_str().as_bytes());
    let Ok(name_len) = u8::try_from(name.len()) else {
        return Ok(());
    };
    let mut frame = BytesMut::with_capacity(1 + name.len() + payload.len());
    frame.put_u8(name_len);
    frame.put_slice(name);
    frame.put_slice(payload);
    let frame: Bytes = frame.freeze();
    if let Some(link) = super::live_link::link_of(state) {
        link.local_voice_frame(&room, &frame);
    }
    if let Some(members) = state.voice.rooms.get(&room) {
        for other in members.iter().filter(|c| c.id != conn.id) {
            other.send_voice(&frame);
        }
    }
    Ok(())
}

/// A voice frame spoken in `room` on another cluster node (already prefixed with its sender's
/// name): to every connection in the room here.
pub fn frame_from_other_node(state: &ServerState, room: &str, frame: &Bytes) {
    if let Some(members) = state.voice.rooms.get(room) {
        for conn in members.iter() {
            conn.send_voice(frame);
        }
    }
}

/// A user of another cluster node entered or left `room`: `vmember` to the room here.
pub fn member_from_other_node(state: &ServerState, room: &str, user: &str, on: bool) {
    state
        .voice
        .announce(room, &vmember_frame(room, user, on), None);
}

/// Teardown: takes a closing connection out of its room.
pub fn leave_on_disconnect(state: &ServerState, conn: &ConnHandle) {
    exit_and_announce(state, conn);
}

/// After `leave` of a channel: the user's connections leave that channel's voice room.
pub fn leave_room_of_user(state: &ServerState, room: &str, user: &UserName) {
    for conn in state.registry.user_connections(user) {
        if state.voice.room_of(conn.id).as_deref() == Some(room) {
            exit_and_announce(state, &conn);
            conn.send_frame(&ServerFrame::Vleft {
                room: room.to_string(),
                rid: None,
            });
        }
    }
}

fn exit_and_announce(state: &ServerState, conn: &ConnHandle) {
    if let Some((room, true)) = state.voice.exit(conn) {
        if let (Some(link), Some(user)) = (super::live_link::link_of(state), conn.user()) {
            link.local_voice_member(&room, user, false);
        }
        let user = conn.user().map_or("", UserName::as_str);
        let text = vmember_frame(&room, user, false);
        state.voice.announce(&room, &text, None);
    }
}

fn vmember_frame(room: &str, user: &str, on: bool) -> Utf8Bytes {
    let frame = ServerFrame::Vmember {
        room: room.to_string(),
        u: user.to_string(),
        on,
    };
    Utf8Bytes::from(frame.to_json())
}

fn distinct_users(members: &[Arc<ConnHandle>]) -> Vec<String> {
    let mut names: Vec<&UserName> = Vec::new();
    for conn in members {
        if let Some(user) = conn.user()
            && !names.contains(&user)
        {
            names.push(user);
        }
    }
    names.into_iter().map(UserName::to_string).collect()
}
