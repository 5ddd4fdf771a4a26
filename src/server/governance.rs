//! Channel governance (docs/PROTOCOL.md §11): the moderation requests (`invite`, `kick`, `ban`,
//! `unban`, `mute`, `unmute`, `op`, `deop`, `topic`, `mode`) with their permission rules, the
//! operators' deletion of others' messages, the speaking rules every `msg`/`edit`/`react` goes
//! through (mutes, moderated channels), and what a committed system line changes in the live
//! registry (a kicked member's connections stop receiving at once). Ranks: server admin > owner >
//! operator > member; an action on an account needs a rank above the target's.

use std::sync::Arc;

use super::channel_handlers::member_frame;
use super::errors::Reject;
use super::fanout::submit;
use super::registry::ChannelEntry;
use super::server_state::{ServerSession, ServerState};
use crate::model::UserName;
use crate::model::governance::{ModAction, SysEvent};
use crate::proto::governance::{
    ChannelRole, InvitedNotice, MAX_MUTE_SECS, MAX_REASON_BYTES, MAX_TOPIC_BYTES,
};
use crate::proto::{ClientFrame, ErrorCode, ServerFrame, normalize_channel};
use crate::store::{AppendOp, EventBody, LoggedEvent, Moderation, ModerationAction};

/// How much an account may do in a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Outsider,
    Member,
    Op,
    Owner,
    Admin,
}

/// Routes the moderation frames; other frames are not its business (`internal`).
pub async fn route(
    session: &ServerSession,
    frame: ClientFrame,
    rid: Option<String>,
) -> Result<(), Reject> {
    let (ch, action) = match frame {
        ClientFrame::Invite(t) => (t.ch, ModerationAction::Invite { user: t.u }),
        ClientFrame::Kick(t) => {
            let reason = checked_reason(t.reason)?;
            (t.ch, ModerationAction::Kick { user: t.u, reason })
        }
        ClientFrame::Ban(t) => {
            let reason = checked_reason(t.reason)?;
            (t.ch, ModerationAction::Ban { user: t.u, reason })
        }
        ClientFrame::Unban(t) => (t.ch, ModerationAction::Unban { user: t.u }),
        ClientFrame::Mute(m) => {
            if m.secs == 0 || m.secs > MAX_MUTE_SECS {
                return Err(Reject::bad_frame(format!(
                    "secs must be 1 to {MAX_MUTE_SECS} (28 days); unmute ends a mute"
                )));
            }
            let reason = checked_reason(m.reason)?;
            let action = ModerationAction::Mute {
                user: m.u,
                secs: m.secs,
                reason,
            };
            (m.ch, action)
        }
        ClientFrame::Unmute(t) => (t.ch, ModerationAction::Unmute { user: t.u }),
        ClientFrame::Op(t) => (t.ch, ModerationAction::Op { user: t.u }),
        ClientFrame::Deop(t) => (t.ch, ModerationAction::Deop { user: t.u }),
        ClientFrame::Topic(t) => {
            if t.topic.len() > MAX_TOPIC_BYTES || t.topic.chars().any(char::is_control) {
                return Err(Reject::bad_frame(format!(
                    "a topic is at most {MAX_TOPIC_BYTES} bytes of printable text"
                )));
            }
            (t.ch, ModerationAction::Topic { topic: t.topic })
        }
        ClientFrame::Mode(m) => {
            if m.settings.is_empty() {
                return Err(Reject::bad_frame(
                    "mode needs at least one of invite_only, listed, moderated, retention",
                ));
            }
            (m.ch, ModerationAction::Settings(m.settings))
        }
        _ => return Err(Reject::internal()),
    };
    moderate(session, &ch, action, rid).await
}

/// Checks the actor's rank against the action (and its target's rank), then submits it; the
/// dispatcher broadcasts the system line and applies it to the registry after commit.
async fn moderate(
    session: &ServerSession,
    ch: &str,
    action: ModerationAction,
    rid: Option<String>,
) -> Result<(), Reject> {
    let entry = visible_channel(session, ch).await?;
    let actor = rank_of(&session.state, &entry, &session.user).await?;
    if actor < Rank::Op {
        return Err(not_operator(&entry.name));
    }
    let target = match &action {
        ModerationAction::Kick { user, .. }
        | ModerationAction::Ban { user, .. }
        | ModerationAction::Mute { user, .. }
        | ModerationAction::Deop { user } => Some(user.clone()),
        _ => None,
    };
    if let Some(target) = target {
        let target = UserName::parse(&target).map_err(|_| Reject::no_such_user())?;
        if rank_of(&session.state, &entry, &target).await? >= actor {
            return Err(Reject::new(
                ErrorCode::Forbidden,
                format!(
                    "{target} has a rank equal to or above yours in #{}",
                    entry.name
                ),
            ));
        }
    }
    let op = AppendOp::Moderate(Moderation {
        channel: entry.name.clone(),
        actor: session.user.to_string(),
        action,
    });
    submit(&session.state, op, &session.conn, rid);
    Ok(())
}

/// `delete` of another member's message by an operator, owner or admin (a `delete` event plus
/// a system line); `None` when the sender is no moderator (the plain author-only delete).
pub async fn moderator_delete(
    session: &ServerSession,
    entry: &Arc<ChannelEntry>,
    target: i64,
) -> Result<Option<AppendOp>, Reject> {
    if rank_of(&session.state, entry, &session.user).await? < Rank::Op {
        return Ok(None);
    }
    Ok(Some(AppendOp::Moderate(Moderation {
        channel: entry.name.clone(),
        actor: session.user.to_string(),
        action: ModerationAction::DeleteMessage { target },
    })))
}

/// Whether the session's user may speak in a channel now: not muted, and an operator or the
/// owner if the channel is moderated. `muted` otherwise.
pub fn check_may_speak(session: &ServerSession, entry: &ChannelEntry) -> Result<(), Reject> {
    let now = session.state.now_ms();
    let inner = entry.lock();
    if let Some(until) = inner.muted_until(&session.user, now) {
        let seconds = (until - now + 999) / 1000;
        return Err(Reject::new(
            ErrorCode::Muted,
            format!(
                "you are muted in #{} for {seconds} more seconds",
                entry.name
            ),
        ));
    }
    if inner.gov.moderated && inner.role_of(&session.user) < Some(ChannelRole::Op) {
        return Err(Reject::new(
            ErrorCode::Muted,
            format!("#{} is moderated: only its operators may speak", entry.name),
        ));
    }
    Ok(())
}

/// A channel the session may act on: a member's, or any channel for a server admin. Anyone
/// else gets `not_member`, exactly as for a channel that does not exist.
async fn visible_channel(session: &ServerSession, ch: &str) -> Result<Arc<ChannelEntry>, Reject> {
    let name = normalize_channel(ch)?;
    let entry = session
        .state
        .registry
        .channel(&name)
        .ok_or_else(Reject::not_member)?;
    if !entry.lock().is_member(&session.user) && !is_admin(&session.state, &session.user).await? {
        return Err(Reject::not_member());
    }
    Ok(entry)
}

async fn rank_of(
    state: &ServerState,
    entry: &ChannelEntry,
    user: &UserName,
) -> Result<Rank, Reject> {
    if is_admin(state, user).await? {
        return Ok(Rank::Admin);
    }
    Ok(match entry.lock().role_of(user) {
        None => Rank::Outsider,
        Some(ChannelRole::Member) => Rank::Member,
        Some(ChannelRole::Op) => Rank::Op,
        Some(ChannelRole::Owner) => Rank::Owner,
    })
}

/// Whether `user` is a server admin (read from the store: grants by `chatify admin` apply at once).
pub async fn is_admin(state: &ServerState, user: &UserName) -> Result<bool, Reject> {
    let user = user.to_string();
    state
        .store
        .read(move |reader| reader.is_admin(&user))
        .await
        .map_err(Reject::from_store)
}

fn not_operator(channel: &str) -> Reject {
    Reject::new(
        ErrorCode::Forbidden,
        format!("you are not an operator of #{channel}"),
    )
}

fn checked_reason(reason: Option<String>) -> Result<Option<String>, Reject> {
    match reason {
        Some(reason) if reason.len() > MAX_REASON_BYTES || reason.chars().any(char::is_control) => {
            Err(Reject::bad_frame(format!(
                "a reason is at most {MAX_REASON_BYTES} bytes of printable text"
            )))
        }
        Some(reason) if reason.trim().is_empty() => Ok(None),
        other => Ok(other),
    }
}

/// Applies a committed system line to the live registry. Called by the fan-out dispatcher
/// right after it broadcast the line (so a kicked member sees why, then stops receiving).
pub fn apply_committed(state: &ServerState, event: &LoggedEvent) {
    let EventBody::Sys { channel, sys, .. } = &event.body else {
        return;
    };
    let Some(entry) = state.registry.channel(channel) else {
        return;
    };
    let Ok(target) = sys.target.as_deref().map(UserName::parse).transpose() else {
        return;
    };
    match (sys.act, target) {
        (ModAction::Kick | ModAction::Ban, Some(target)) => {
            remove_member(state, &entry, &target, event)
        }
        (ModAction::Op, Some(target)) => {
            entry.lock().gov.ops.insert(target);
        }
        (ModAction::Deop, Some(target)) => {
            entry.lock().gov.ops.remove(&target);
        }
        (ModAction::Mute, Some(target)) => {
            entry
                .lock()
                .gov
                .mutes
                .insert(target, sys.until.unwrap_or(0));
        }
        (ModAction::Unmute, Some(target)) => {
            entry.lock().gov.mutes.remove(&target);
        }
        (ModAction::Topic, _) => entry.lock().gov.topic = sys.topic.clone().unwrap_or_default(),
        (ModAction::Mode, _) => apply_settings(&entry, sys),
        (ModAction::Invite, Some(target)) => {
            let notice = ServerFrame::Invited(InvitedNotice {
                ch: entry.name.clone(),
                by: event.sender.clone(),
                mode: entry.mode,
                ts: event.ts,
            });
            for conn in state.registry.user_connections(&target) {
                conn.send_frame(&notice);
            }
        }
        _ => {}
    }
}

fn apply_settings(entry: &ChannelEntry, sys: &SysEvent) {
    let settings = sys.settings.clone().unwrap_or_default();
    let gov = &mut entry.lock().gov;
    gov.invite_only = settings.invite_only.unwrap_or(gov.invite_only);
    gov.listed = settings.listed.unwrap_or(gov.listed);
    gov.moderated = settings.moderated.unwrap_or(gov.moderated);
    if let Some(secs) = settings.retention {
        gov.retention_ms =
            (secs > 0).then(|| i64::try_from(secs).unwrap_or(i64::MAX / 1000) * 1000);
    }
}

/// A kick or ban: the member and every connection of theirs leave the channel at once; they
/// get `left` with who removed them, the others a `member` off.
fn remove_member(
    state: &ServerState,
    entry: &ChannelEntry,
    target: &UserName,
    event: &LoggedEvent,
) {
    super::voice::leave_room_of_user(state, &entry.name, target);
    let mut inner = entry.lock();
    inner.gov.ops.remove(target);
    if !state.registry.remove_member(entry, &mut inner, target) {
        return;
    }
    inner.broadcast(
        &member_frame(&entry.name, target.as_str(), false, event.ts),
        None,
    );
    let left = ServerFrame::Left {
        ch: entry.name.clone(),
        by: Some(event.sender.clone()),
        rid: None,
    };
    for conn in state.registry.user_connections(target) {
        conn.send_frame(&left);
    }
}
