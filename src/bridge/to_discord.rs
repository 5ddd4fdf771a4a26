//! chatify → Discord: every `msg`, `edit` and `delete` in a linked channel (live, or replayed
//! after a reconnect or a bridge restart) becomes an item on the channel's Discord queue, with
//! sealed messages decrypted first. The loop guard drops what came from Discord (authors
//! `name@discord`, or ids the map says are Discord-origin), and replays already handled are
//! skipped by `seq`.

use std::sync::Arc;

use super::idmap::Origin;
use super::outbound::OutboundItem;
use super::relay::{LinkState, Relay};
use super::seam::{DiscordPost, PostAs};
use super::text::{NETWORK, chatify_to_discord, webhook_username};
use crate::client::events::{decrypt_edit, decrypt_message};
use crate::client::render::Body;
use crate::client::session::{SessionEvent, SessionEvents};
use crate::proto::{ClientFrame, HistoryFrame, ServerFrame};

/// Most events fetched per channel when catching up after a bridge restart.
const CATCH_UP_LIMIT: usize = 5000;

/// Relays session events until the session ends; returns why it ended.
pub(super) async fn run(relay: Arc<Relay>, mut events: SessionEvents) -> String {
    while let Some(event) = events.next().await {
        match event {
            SessionEvent::Frame { frame, .. } => handle_frame(&relay, frame),
            SessionEvent::Disconnected { reason, .. } => {
                relay.health.note_error(format!("chatify: {reason}"));
                tracing::warn!(reason, "chatify connection lost; reconnecting");
            }
            SessionEvent::Reconnected(_) => tracing::info!("chatify reconnected"),
            SessionEvent::Ended { reason } => return reason,
            _ => {}
        }
    }
    "the session stream closed".into()
}

/// After a (re)start: relays what each linked channel got since its saved cursor (at most
/// `CATCH_UP_LIMIT` events); a channel seen for the first time starts from now.
pub(super) async fn catch_up(relay: &Relay) {
    for state in &relay.links {
        let channel = &state.link.chatify_channel;
        let cursor = match relay.map.cursor(channel) {
            Ok(cursor) => cursor,
            Err(error) => {
                tracing::warn!(%error, channel, "reading the relay cursor");
                continue;
            }
        };
        let Some(mut after) = cursor else {
            if let Err(error) = relay.map.advance_cursor(channel, state.joined_seq) {
                tracing::warn!(%error, channel, "saving the relay cursor");
            }
            continue;
        };
        let mut fetched = 0;
        while fetched < CATCH_UP_LIMIT {
            let request = ClientFrame::History(HistoryFrame {
                ch: Some(channel.clone()),
                dm: None,
                limit: Some(crate::proto::HISTORY_MAX_LIMIT),
                before: None,
                since: None,
                until: None,
                after: Some(after),
                from: None,
            });
            let Ok(ServerFrame::History { events, more, .. }) =
                relay.session.request(request).await
            else {
                tracing::warn!(channel, "catching up failed; relaying live events only");
                break;
            };
            fetched += events.len();
            for event in events {
                after = after.max(event_seq(&event).unwrap_or(after));
                handle_frame(relay, event);
            }
            if !more {
                break;
            }
        }
    }
}

fn event_seq(frame: &ServerFrame) -> Option<i64> {
    match frame {
        ServerFrame::Msg(m) => Some(m.seq),
        ServerFrame::Edit(e) => Some(e.seq),
        ServerFrame::Delete(d) => Some(d.seq),
        ServerFrame::React(r) => Some(r.seq),
        _ => None,
    }
}

/// Whether `seq` of `channel` is new (and marks it handled).
fn first_time(relay: &Relay, channel: &str, seq: i64) -> bool {
    let mut handled = relay.handled_seq.lock().unwrap_or_else(|p| p.into_inner());
    let last = handled.entry(channel.to_string()).or_insert(0);
    if seq <= *last {
        return false;
    }
    *last = seq;
    true
}

/// Whether an author is relayed from Discord (the loop guard).
fn from_discord(author: &str) -> bool {
    author
        .rsplit_once('@')
        .is_some_and(|(_, network)| network == NETWORK)
}

fn handle_frame(relay: &Relay, frame: ServerFrame) {
    let (channel, seq) = match &frame {
        ServerFrame::Msg(m) => (m.ch.clone(), m.seq),
        ServerFrame::Edit(e) => (e.ch.clone(), e.seq),
        ServerFrame::Delete(d) => (d.ch.clone(), d.seq),
        _ => return,
    };
    let Some(state) = relay.link_by_chatify(&channel) else {
        return;
    };
    if !first_time(relay, &channel, seq) {
        return;
    }
    if let Some(item) = outbound_item(relay, state, frame) {
        relay.outbox.enqueue(state.link.discord_channel, item);
    } else if let Err(error) = relay.map.advance_cursor(&channel, seq) {
        tracing::warn!(%error, "saving the relay cursor");
    }
}

/// The Discord work for one chatify event, or `None` when it is not relayed.
fn outbound_item(relay: &Relay, state: &LinkState, frame: ServerFrame) -> Option<OutboundItem> {
    let through_webhook = matches!(state.post_as, PostAs::Webhook { .. });
    match frame {
        ServerFrame::Msg(message) => {
            if from_discord(&message.u) || message.deleted || came_from_discord(relay, message.id) {
                return None;
            }
            let text = readable(
                relay,
                decrypt_message(Some(&lock_keys(relay)), state.sealed, &message),
                &message.ch,
            )?;
            let reply_to = message
                .reply_to
                .and_then(|id| relay.map.by_chatify(id).ok().flatten())
                .map(|link| link.discord_id);
            Some(OutboundItem::Post {
                chatify_channel: message.ch.clone(),
                chatify_id: message.id,
                seq: message.seq,
                author: message.u.clone(),
                post: DiscordPost {
                    channel: state.link.discord_channel,
                    post_as: poster_for(&state.post_as, &message.u),
                    content: chatify_to_discord(&message.u, &text, through_webhook),
                    reply_to,
                },
            })
        }
        ServerFrame::Edit(edit) => {
            if from_discord(&edit.u) {
                return None;
            }
            let text = readable(
                relay,
                decrypt_edit(Some(&lock_keys(relay)), state.sealed, &edit),
                &edit.ch,
            )?;
            Some(OutboundItem::Edit {
                chatify_channel: edit.ch.clone(),
                target: edit.id,
                seq: edit.seq,
                post_as: poster_for(&state.post_as, &edit.u),
                content: chatify_to_discord(&edit.u, &text, through_webhook),
            })
        }
        ServerFrame::Delete(delete) => {
            if from_discord(&delete.u) {
                return None;
            }
            Some(OutboundItem::Delete {
                chatify_channel: delete.ch.clone(),
                target: delete.id,
                seq: delete.seq,
                post_as: state.post_as.clone(),
            })
        }
        _ => None,
    }
}

fn came_from_discord(relay: &Relay, chatify_id: i64) -> bool {
    matches!(relay.map.by_chatify(chatify_id), Ok(Some(link)) if link.origin == Origin::Discord)
}

fn readable(relay: &Relay, body: Body, channel: &str) -> Option<String> {
    match body {
        Body::Text(text) => Some(text),
        Body::Deleted => None,
        Body::Unreadable(why) | Body::Rejected { reason: why, .. } => {
            tracing::warn!(channel, why, "not relayed: cannot decrypt");
            relay
                .health
                .note_error(format!("cannot decrypt in #{channel}"));
            None
        }
    }
}

/// The poster of one message: the webhook shows the chatify author's name.
fn poster_for(post_as: &PostAs, author: &str) -> PostAs {
    match post_as {
        PostAs::Webhook { webhook, .. } => PostAs::Webhook {
            webhook: *webhook,
            username: webhook_username(author),
        },
        PostAs::Bot => PostAs::Bot,
    }
}

fn lock_keys(relay: &Relay) -> std::sync::MutexGuard<'_, crate::client::keys::KeyRing> {
    relay.keys.lock().unwrap_or_else(|p| p.into_inner())
}
