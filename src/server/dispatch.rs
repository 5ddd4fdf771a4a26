//! Routes one decoded client frame (or binary voice frame) of an authenticated connection to its
//! handler after charging it to its per-connection bucket as `frame_policy` says (a frame the
//! bucket cannot pay for gets `rate_limited` and is dropped), and turns a handler's `Reject` into
//! an `err` frame echoing the request's `rid`. Called by the connection read loop.

use super::errors::Reject;
use super::frame_policy::{FramePolicy, Meter, frame_policy, voice_policy};
use super::server_state::ServerSession;
use super::{
    channel_handlers, directory, dm_changes, governance, messages, presence, query_handlers,
    sessions, voice,
};
use crate::proto::{ClientFrame, ErrorCode, ServerFrame};

/// Handles one frame; every outcome (reply, broadcast, error) is queued on the connection.
pub async fn dispatch(session: &mut ServerSession, frame: ClientFrame, rid: Option<String>) {
    if let Err(reject) = charge(session, frame_policy(&frame)) {
        session.conn.send_frame(&reject.to_frame(rid));
        return;
    }
    if let Err(reject) = route(session, frame, rid.clone()).await {
        session.conn.send_frame(&reject.to_frame(rid));
    }
}

/// Relays one binary voice frame, charged to the `reads` bucket by its size.
pub fn dispatch_voice(session: &mut ServerSession, payload: &[u8]) {
    let result = charge(session, voice_policy(payload.len()))
        .and_then(|()| super::voice::relay(&session.state, &session.conn, payload));
    if let Err(reject) = result {
        session.conn.send_frame(&reject.to_frame(None));
    }
}

/// Takes the frame's cost from its bucket; `rate_limited` when the bucket cannot pay.
fn charge(session: &mut ServerSession, policy: FramePolicy) -> Result<(), Reject> {
    let paid = match policy.meter {
        Meter::Sends => session.bucket.try_take_cost(policy.cost),
        Meter::Reads => session.reads.try_take_cost(policy.cost),
        Meter::Free => true,
    };
    if paid {
        Ok(())
    } else {
        Err(Reject::new(
            ErrorCode::RateLimited,
            "you are sending too fast; this frame was dropped",
        ))
    }
}

async fn route(
    session: &ServerSession,
    frame: ClientFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    match frame {
        ClientFrame::Auth(_) => Err(Reject::bad_frame(
            "this connection is already authenticated",
        )),
        ClientFrame::Join(join) => channel_handlers::handle_join(session, join, rid).await,
        ClientFrame::Leave(leave) => channel_handlers::handle_leave(session, leave, rid).await,
        ClientFrame::Who(who) => channel_handlers::handle_who(session, who, rid).await,
        ClientFrame::Users(request) => super::users::handle_users(session, request, rid).await,
        ClientFrame::Msg(message) => messages::handle_msg(session, message, rid),
        ClientFrame::Edit(edit) => messages::handle_edit(session, edit, rid),
        ClientFrame::Delete(delete) => messages::handle_delete(session, delete, rid).await,
        ClientFrame::React(react) => messages::handle_react(session, react, rid),
        ClientFrame::Dm(dm) => messages::handle_dm(session, dm, rid).await,
        ClientFrame::DmEdit(edit) => dm_changes::handle_dm_edit(session, edit, rid).await,
        ClientFrame::DmDelete(delete) => dm_changes::handle_dm_delete(session, delete, rid).await,
        ClientFrame::DmReact(react) => dm_changes::handle_dm_react(session, react, rid).await,
        ClientFrame::History(history) => {
            query_handlers::handle_history(session, history, rid).await
        }
        ClientFrame::Search(search) => query_handlers::handle_search(session, search, rid).await,
        ClientFrame::Rewind(rewind) => query_handlers::handle_rewind(session, rewind, rid).await,
        ClientFrame::Typing(typing) => presence::handle_typing(session, typing),
        ClientFrame::Status(status) => presence::handle_status(session, status),
        ClientFrame::Vjoin(vjoin) => voice::handle_vjoin(session, vjoin, rid),
        ClientFrame::Logout {} => sessions::handle_logout(session, rid).await,
        ClientFrame::Sessions {} => sessions::handle_sessions(session, rid).await,
        ClientFrame::Revoke(revoke) => sessions::handle_revoke(session, revoke.id, rid).await,
        ClientFrame::Password(change) => {
            sessions::handle_password(session, change.pw, change.new_pw, rid).await
        }
        ClientFrame::Vleave {} => voice::handle_vleave(session, rid),
        ClientFrame::Mark(mark) => super::read_markers::handle_mark(session, mark, rid).await,
        ClientFrame::Markers {} => super::read_markers::handle_markers(session, rid).await,
        ClientFrame::Info(info) => channel_handlers::handle_info(session, info, rid).await,
        ClientFrame::Invite(_)
        | ClientFrame::Kick(_)
        | ClientFrame::Ban(_)
        | ClientFrame::Unban(_)
        | ClientFrame::Mute(_)
        | ClientFrame::Unmute(_)
        | ClientFrame::Op(_)
        | ClientFrame::Deop(_)
        | ClientFrame::Topic(_)
        | ClientFrame::Mode(_) => governance::route(session, frame, rid).await,
        ClientFrame::List(request) => {
            directory::handle_list(session, request, rid);
            Ok(())
        }
        ClientFrame::Admin(request) => directory::handle_admin(session, request, rid).await,
        ClientFrame::Ping {} => {
            session.conn.send_frame(&ServerFrame::Pong {
                rid,
                ts: session.state.now_ms(),
            });
            Ok(())
        }
    }
}
