//! Read markers (PROTOCOL.md §11, `mark` and `markers`): how far the user has read each channel
//! (by `seq`) and each DM conversation (by the id of the latest DM seen), kept in the store's
//! `read_markers` table so another device, or the next start, knows what is unread. A marker
//! never moves back. Channels need membership; a DM peer must exist.

use super::channel_handlers::member_channel;
use super::errors::Reject;
use super::query_handlers::existing_user;
use super::server_state::ServerSession;
use crate::proto::{self, MarkFrame, ServerFrame};

/// `mark`: moves one marker, replies `markers` with it.
pub async fn handle_mark(
    session: &ServerSession,
    request: MarkFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    let me = session.user.to_string();
    let (scope, value, marker) = match (request.ch, request.dm, request.seq, request.id) {
        (Some(ch), None, Some(seq), None) => {
            let channel = member_channel(session, &ch)?.name.clone();
            let marker = MarkFrame {
                ch: Some(channel.clone()),
                dm: None,
                seq: Some(seq),
                id: None,
            };
            (proto::channel_scope(&channel), seq, marker)
        }
        (None, Some(peer), None, Some(id)) => {
            let peer = existing_user(session, &peer).await?;
            let marker = MarkFrame {
                ch: None,
                dm: Some(peer.clone()),
                seq: None,
                id: Some(id),
            };
            (proto::dm_scope(&me, &peer), id, marker)
        }
        _ => return Err(Reject::bad_frame("mark takes ch with seq, or dm with id")),
    };
    if value < 0 {
        return Err(Reject::bad_frame("a read marker cannot be negative"));
    }
    let now = session.state.config.clock.now_ms();
    session
        .state
        .store
        .set_read_marker(&me, &scope, value, now)
        .await
        .map_err(Reject::from_store)?;
    session.conn.send_frame(&ServerFrame::Markers {
        markers: vec![marker],
        rid,
    });
    Ok(())
}

/// `markers`: every read marker of the user.
pub async fn handle_markers(session: &ServerSession, rid: Option<String>) -> Result<(), Reject> {
    let me = session.user.to_string();
    let lookup = me.clone();
    let stored = session
        .state
        .store
        .read(move |reader| reader.read_markers(&lookup))
        .await
        .map_err(Reject::from_store)?;
    let markers = stored
        .into_iter()
        .filter_map(|marker| wire_marker(&me, &marker.scope, marker.seq))
        .collect();
    session
        .conn
        .send_frame(&ServerFrame::Markers { markers, rid });
    Ok(())
}

/// `#general` → `ch`; `@alice:bob` → `dm` with the other name.
fn wire_marker(me: &str, scope: &str, value: i64) -> Option<MarkFrame> {
    if let Some(channel) = scope.strip_prefix('#') {
        return Some(MarkFrame {
            ch: Some(channel.to_string()),
            dm: None,
            seq: Some(value),
            id: None,
        });
    }
    let (a, b) = scope.strip_prefix('@')?.split_once(':')?;
    let peer = if a.eq_ignore_ascii_case(me) { b } else { a };
    Some(MarkFrame {
        ch: None,
        dm: Some(peer.to_string()),
        seq: None,
        id: Some(value),
    })
}
