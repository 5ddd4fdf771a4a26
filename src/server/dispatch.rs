//! Routes one decoded client frame of an authenticated connection to its handler, applies the
//! per-connection rate limit to `msg`/`dm`/`edit`/`delete`/`react`/`typing` (and `join`, which
//! may create a channel), and turns a handler's
//! `Reject` into an `err` frame echoing the request's `rid`. Called by the connection read loop.

use super::errors::Reject;
use super::state::{Session, now_ms};
use super::{channels, messages, presence, queries, voice};
use crate::proto::{ClientFrame, ErrorCode, ServerFrame};

/// Handles one frame; every outcome (reply, broadcast, error) is queued on the connection.
pub async fn dispatch(session: &mut Session, frame: ClientFrame, rid: Option<String>) {
    if is_rate_limited(&frame) && !session.bucket.try_take() {
        let reject = Reject::new(
            ErrorCode::RateLimited,
            "you are sending too fast; this frame was dropped",
        );
        session.conn.send_frame(&reject.to_frame(rid));
        return;
    }
    if let Err(reject) = route(session, frame, rid.clone()).await {
        session.conn.send_frame(&reject.to_frame(rid));
    }
}

fn is_rate_limited(frame: &ClientFrame) -> bool {
    matches!(
        frame,
        ClientFrame::Msg { .. }
            | ClientFrame::Dm { .. }
            | ClientFrame::Edit { .. }
            | ClientFrame::Delete { .. }
            | ClientFrame::React { .. }
            | ClientFrame::Typing { .. }
            | ClientFrame::Join { .. }
    )
}

async fn route(session: &Session, frame: ClientFrame, rid: Option<String>) -> Result<(), Reject> {
    match frame {
        ClientFrame::Auth { .. } => Err(Reject::bad_frame(
            "this connection is already authenticated",
        )),
        ClientFrame::Join { ch, create } => channels::handle_join(session, ch, create, rid).await,
        ClientFrame::Leave { ch } => channels::handle_leave(session, ch, rid).await,
        ClientFrame::Who { ch } => channels::handle_who(session, ch, rid).await,
        ClientFrame::Msg {
            ch,
            c,
            enc,
            idx,
            reply_to,
        } => {
            let message = messages::NewMessage {
                ch,
                c,
                enc,
                idx,
                reply_to,
            };
            messages::handle_msg(session, message, rid)
        }
        ClientFrame::Edit {
            ch,
            id,
            c,
            enc,
            idx,
        } => {
            let edit = messages::EditRequest {
                ch,
                id,
                c,
                enc,
                idx,
            };
            messages::handle_edit(session, edit, rid)
        }
        ClientFrame::Delete { ch, id } => messages::handle_delete(session, ch, id, rid),
        ClientFrame::React { ch, id, emoji, on } => {
            messages::handle_react(session, ch, id, emoji, on, rid)
        }
        ClientFrame::Dm { to, c, enc } => messages::handle_dm(session, to, c, enc, rid).await,
        ClientFrame::History { .. } | ClientFrame::Search { .. } | ClientFrame::Rewind { .. } => {
            route_query(session, frame, rid).await
        }
        ClientFrame::Typing { ch, to, on } => presence::handle_typing(session, ch, to, on),
        ClientFrame::Status { state, text } => presence::handle_status(session, state, text),
        ClientFrame::Vjoin { room } => voice::handle_vjoin(session, room, rid),
        ClientFrame::Vleave {} => voice::handle_vleave(session, rid),
        ClientFrame::Ping {} => {
            session
                .conn
                .send_frame(&ServerFrame::Pong { rid, ts: now_ms() });
            Ok(())
        }
    }
}

async fn route_query(
    session: &Session,
    frame: ClientFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    match frame {
        ClientFrame::History {
            ch,
            dm,
            limit,
            before,
            since,
            until,
            after,
            from,
        } => {
            let request = queries::HistoryRequest {
                ch,
                dm,
                limit,
                before,
                since,
                until,
                after,
                from,
            };
            queries::handle_history(session, request, rid).await
        }
        ClientFrame::Search {
            ch,
            q,
            idx,
            limit,
            sort,
            since,
            until,
            from,
        } => {
            let request = queries::SearchRequest {
                ch,
                q,
                idx,
                limit,
                sort,
                since,
                until,
                from,
            };
            queries::handle_search(session, request, rid).await
        }
        ClientFrame::Rewind { ch, at, limit } => {
            queries::handle_rewind(session, ch, at, limit, rid).await
        }
        _ => Err(Reject::internal()),
    }
}
