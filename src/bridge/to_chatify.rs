//! Discord → chatify: new, edited and deleted Discord messages in linked channels become
//! `msg`/`edit`/`delete` frames sent with `as` = `name@discord` (encrypted for sealed
//! channels), with replies kept as replies when the target is in the map. Each one is retried
//! until chatify acknowledges it (the server may be restarting), in the order Discord reported
//! them. The loop guard drops what the bridge itself posted (its webhooks, its bot user, and ids
//! the map says are chatify-origin).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::backoff::Backoff;
use super::idmap::{MessageLink, Origin};
use super::relay::{LinkState, Relay};
use super::seam::{DiscordEvent, DiscordMessage};
use super::text::{discord_to_chatify, relayed_author};
use crate::client::conn::ClientError;
use crate::proto::{
    ClientFrame, DeleteFrame, ENC_XC20P1, EditFrame, ErrorCode, MsgFrame, ServerFrame,
};

/// Handles Discord events until the bridge stops. Stopping is only noticed between events, so
/// a message being relayed when the stop comes is finished (its pair recorded after chatify's
/// ack) rather than cut off; the caller bounds how long that may take.
pub(super) async fn run(relay: Arc<Relay>, mut events: mpsc::Receiver<DiscordEvent>) {
    let mut stopping = relay.stopping.clone();
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            _ = stopping.wait_for(|stop| *stop) => return,
        };
        let Some(event) = event else { break };
        match event {
            DiscordEvent::Ready { bot_user_id } => {
                relay
                    .bot_user_id
                    .store(bot_user_id, std::sync::atomic::Ordering::Relaxed);
                tracing::info!("Discord ready");
            }
            DiscordEvent::Created(message) => relay_new(&relay, message).await,
            DiscordEvent::Edited(message) => relay_edit(&relay, message).await,
            DiscordEvent::Deleted { channel, id } => relay_delete(&relay, channel, id).await,
        }
    }
    // The Discord side ended: chatify → Discord goes on until the bridge stops.
    let _ = stopping.wait_for(|stop| *stop).await;
}

/// Whether the bridge itself wrote this Discord message (the loop guard).
fn posted_by_bridge(relay: &Relay, message: &DiscordMessage) -> bool {
    message
        .webhook_id
        .is_some_and(|id| relay.our_webhooks.contains(&id))
        || (message.author_id != 0 && message.author_id == relay.bot_user_id())
        || matches!(relay.map.by_discord(message.id), Ok(Some(link)) if link.origin == Origin::Chatify)
}

async fn relay_new(relay: &Relay, message: DiscordMessage) {
    let Some(state) = relay.link_by_discord(message.channel) else {
        return;
    };
    if posted_by_bridge(relay, &message) || matches!(relay.map.by_discord(message.id), Ok(Some(_)))
    {
        return;
    }
    let text = discord_to_chatify(&message);
    if text.is_empty() {
        return;
    }
    let author = relayed_author(&message.author_name, message.author_id);
    let reply_to = match message.reply_to {
        Some(target) => chatify_twin(relay, message.channel, target).await,
        None => None,
    };
    let Some((c, enc, idx)) = seal(relay, state, &author, "msg", text) else {
        return;
    };
    let frame = ClientFrame::Msg(MsgFrame {
        ch: state.link.chatify_channel.clone(),
        c,
        enc,
        idx,
        reply_to,
        relayed_as: Some(author.clone()),
    });
    if let Some(chatify_id) = send(relay, frame).await {
        relay.health.relayed_to_chatify();
        let link = MessageLink {
            chatify_id,
            chatify_channel: state.link.chatify_channel.clone(),
            discord_channel: message.channel,
            discord_id: message.id,
            origin: Origin::Discord,
            author,
        };
        if let Err(error) = relay.map.record(&link) {
            tracing::warn!(%error, "recording a message pair");
        }
    }
}

async fn relay_edit(relay: &Relay, message: DiscordMessage) {
    let Some(state) = relay.link_by_discord(message.channel) else {
        return;
    };
    if posted_by_bridge(relay, &message) {
        return;
    }
    let Some(link) = discord_origin(relay, message.id) else {
        return;
    };
    let text = discord_to_chatify(&message);
    if text.is_empty() {
        return;
    }
    let kind = format!("edit:{}", link.chatify_id);
    let Some((c, enc, idx)) = seal(relay, state, &link.author, &kind, text) else {
        return;
    };
    let frame = ClientFrame::Edit(EditFrame {
        ch: link.chatify_channel.clone(),
        id: link.chatify_id,
        c,
        enc,
        idx,
        relayed_as: Some(link.author.clone()),
    });
    if send(relay, frame).await.is_some() {
        relay.health.relayed_to_chatify();
    }
}

async fn relay_delete(relay: &Relay, channel: u64, id: u64) {
    if relay.link_by_discord(channel).is_none() {
        return;
    }
    let Some(link) = discord_origin(relay, id) else {
        return;
    };
    let frame = ClientFrame::Delete(DeleteFrame {
        ch: link.chatify_channel.clone(),
        id: link.chatify_id,
        relayed_as: Some(link.author.clone()),
    });
    if send(relay, frame).await.is_some() {
        relay.health.relayed_to_chatify();
    }
}

/// The chatify id of a Discord message; if unknown, after letting the channel's Discord queue
/// settle (the target may be a bridge post whose id is being recorded right now).
async fn chatify_twin(relay: &Relay, channel: u64, discord_id: u64) -> Option<i64> {
    let known = |relay: &Relay| relay.map.by_discord(discord_id).ok().flatten();
    if let Some(link) = known(relay) {
        return Some(link.chatify_id);
    }
    relay.outbox.settled(channel, Duration::from_secs(5)).await;
    known(relay).map(|link| link.chatify_id)
}

/// The pair of a Discord-origin message (edits and deletions of anything else are ignored).
fn discord_origin(relay: &Relay, discord_id: u64) -> Option<MessageLink> {
    match relay.map.by_discord(discord_id) {
        Ok(Some(link)) if link.origin == Origin::Discord => Some(link),
        Ok(_) => None,
        Err(error) => {
            tracing::warn!(%error, "reading the message-id map");
            None
        }
    }
}

type Sealed = (String, Option<String>, Option<Vec<String>>);

/// The `c`, `enc` and `idx` of a frame: plaintext in an open channel, sealed for `author`
/// (the `u` readers will see) in a sealed one.
fn seal(
    relay: &Relay,
    state: &LinkState,
    author: &str,
    kind: &str,
    text: String,
) -> Option<Sealed> {
    if !state.sealed {
        return Some((text, None, None));
    }
    let keys = relay.keys.lock().unwrap_or_else(|p| p.into_inner());
    match keys.seal_channel_as(&state.link.chatify_channel, author, kind, &text) {
        Ok((c, idx)) => Some((c, Some(ENC_XC20P1.to_string()), Some(idx))),
        Err(error) => {
            tracing::warn!(%error, "not relayed: cannot encrypt");
            relay.health.note_error(error.to_string());
            None
        }
    }
}

/// Sends a frame until chatify acknowledges it; returns the event id. Gives up (None) on a
/// refusal that retrying cannot fix, or when the bridge stops.
async fn send(relay: &Relay, frame: ClientFrame) -> Option<i64> {
    let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(30));
    loop {
        let error = match relay.session.request(frame.clone()).await {
            Ok(ServerFrame::Ack { id, .. }) => return Some(id),
            Ok(other) => ClientError::Unexpected(format!("{other:?}")),
            Err(error) => error,
        };
        let retry = match error.code() {
            Some(ErrorCode::RateLimited | ErrorCode::Unavailable | ErrorCode::Internal) => true,
            Some(_) => false,
            None => matches!(error, ClientError::Disconnected | ClientError::Timeout(_)),
        };
        relay.health.note_error(format!("chatify: {error}"));
        if !retry {
            tracing::warn!(%error, "chatify refused a relayed Discord message");
            return None;
        }
        if relay.is_stopping() {
            return None;
        }
        tokio::time::sleep(backoff.next_delay()).await;
    }
}
