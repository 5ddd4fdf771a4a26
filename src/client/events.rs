//! Inbound dispatch: each server event goes through a small handler that updates the client's
//! [`ChatState`] (channels, users and presence, a bounded cache of recent messages for reply
//! quotes and reactions, unread counts of channels and DMs, mentions, who is typing) and
//! returns the display lines, which land in the shared [`LineQueue`]. Decryption happens here too (through the key ring), so handlers
//! work on plaintext. Used by `client::app`; no terminal, no network.

use super::keys::KeyRing;
use super::render::{self, Body, MessageView, ReactionView, RenderOptions, Scope};
use super::state::{MENTIONS_KEPT, MessageRecord, Place, user_state};
use crate::proto::{
    DeleteEvent, DmEvent, EditEvent, MessageEvent, PresenceState, ReactEvent, ServerFrame,
};

mod decrypt;
mod dm_changes;
mod names;

pub use super::state::{ChatState, LineQueue, known_user_names, unread_summary};
pub use decrypt::{
    ChannelOpener, channel_body, channel_is_sealed, decrypt_dm, decrypt_dm_edit, decrypt_edit,
    decrypt_message, dm_body, on_key,
};
pub use names::{invalid_name_in, valid_channel_name};

/// Handles one server event: updates `state` and returns the lines to print.
pub fn handle_frame(
    state: &mut ChatState,
    keys: &mut KeyRing,
    options: &RenderOptions,
    frame: ServerFrame,
) -> Vec<String> {
    if let Some(problem) = invalid_name_in(&frame) {
        return vec![render::render_error(
            options,
            &format!("refused a frame from the server: {problem}"),
        )];
    }
    match frame {
        // Already on screen from a listing fetched while it was on its way: not twice.
        ServerFrame::Msg(event) if state.message(event.id).is_some() => Vec::new(),
        ServerFrame::Dm(event) if state.message(event.id).is_some() => Vec::new(),
        ServerFrame::Msg(event) if event.sys.is_some() => on_system_line(state, options, &event),
        ServerFrame::Msg(event) => {
            let sealed = channel_is_sealed(state, keys, &event.ch);
            let body = decrypt_message(Some(keys), sealed, &event);
            on_message(state, options, &event, body, true)
        }
        ServerFrame::Edit(event) => {
            let sealed = channel_is_sealed(state, keys, &event.ch);
            let body = decrypt_edit(Some(keys), sealed, &event);
            on_edit(state, options, &event, body)
        }
        ServerFrame::Delete(event) => on_delete(state, options, &event),
        ServerFrame::React(event) => on_react(state, options, &event),
        ServerFrame::Dm(event) => {
            let body = decrypt_dm(keys, &event);
            on_dm(state, options, &event, body, true)
        }
        ServerFrame::DmEdit(event) => {
            let body = decrypt_dm_edit(keys, &event);
            dm_changes::on_dm_edit(state, options, &event, body)
        }
        ServerFrame::DmDelete(event) => dm_changes::on_dm_delete(state, options, &event),
        ServerFrame::DmReact(event) => dm_changes::on_dm_react(state, options, &event),
        ServerFrame::Typing { ch, u, on, .. } => {
            on_typing(state, ch, &u, on);
            Vec::new()
        }
        ServerFrame::Member { ch, u, on, .. } => on_member(state, options, &ch, &u, on),
        ServerFrame::Presence {
            u,
            state: presence,
            text,
            ..
        } => on_presence(state, options, &u, presence, &text),
        ServerFrame::Presences { users, .. } => users
            .iter()
            .flat_map(|entry| on_presence(state, options, &entry.u, entry.state, &entry.text))
            .collect(),
        ServerFrame::Key { u, pk, .. } => on_key(keys, options, &u, &pk),
        ServerFrame::Vmember { room, u, on } => {
            let verb = if on { "joined" } else { "left" };
            vec![render::render_notice(
                options,
                &format!("{u} {verb} voice in #{room}"),
            )]
        }
        ServerFrame::Err { m, .. } => vec![render::render_error(options, &render::printable(&m))],
        ServerFrame::Left {
            ch, by: Some(by), ..
        } => on_removed(state, options, &ch, &by),
        ServerFrame::Invited(notice) => vec![render::render_notice(
            options,
            &format!(
                "{} invited you to #{}: /join #{}",
                render::printable(&notice.by),
                render::printable(&notice.ch),
                render::printable(&notice.ch)
            ),
        )],
        _ => Vec::new(),
    }
}

/// A system line (a moderation event), live or from a listing: shown as who did what, from the
/// structured `sys` (the server's `c` is only for clients that do not know `sys`).
pub fn on_system_line(
    state: &mut ChatState,
    options: &RenderOptions,
    event: &MessageEvent,
) -> Vec<String> {
    let Some(sys) = &event.sys else {
        return Vec::new();
    };
    let mut lines: Vec<String> = state.day_change(options, event.ts).into_iter().collect();
    lines.push(render::render_system_line(
        options,
        &event.ch,
        &event.u,
        &sys.describe(),
        event.ts,
        event.id,
    ));
    lines
}

/// The server removed us from a channel (kick or ban): it is no longer ours.
fn on_removed(
    state: &mut ChatState,
    options: &RenderOptions,
    channel: &str,
    by: &str,
) -> Vec<String> {
    state.channels.remove(channel);
    if state.current_channel() == Some(channel) {
        state.current = state.channels.keys().next().cloned().map(Place::Channel);
    }
    vec![render::render_error(
        options,
        &format!(
            "{} removed you from #{}",
            render::printable(by),
            render::printable(channel)
        ),
    )]
}

/// A message (live, replayed or from a history page): remembers it, counts unread and
/// mentions, and renders it. `live` is false for listings (`/history`, `/search`), which
/// neither count as unread nor ring.
pub fn on_message(
    state: &mut ChatState,
    options: &RenderOptions,
    event: &MessageEvent,
    body: Body,
    live: bool,
) -> Vec<String> {
    if event.sys.is_some() {
        return on_system_line(state, options, event);
    }
    let scope = state.channel_scope(&event.ch);
    let body = if event.deleted { Body::Deleted } else { body };
    let reacts = event.reacts.clone().unwrap_or_default();
    let mut lines: Vec<String> = state.day_change(options, event.ts).into_iter().collect();
    let quote = event.reply_to.map(|id| state.quote(id));
    let view = MessageView {
        scope: &scope,
        id: event.id,
        author: &event.u,
        ts: event.ts,
        body: &body,
        edited: event.edited.is_some(),
        reply: quote.as_ref(),
        reacts: Some(&reacts),
    };
    let line = render::render_message(
        &RenderOptions {
            bell: options.bell && live,
            ..options.clone()
        },
        &view,
    );
    if live && !event.u.eq_ignore_ascii_case(&state.me) {
        let mention = match &body {
            Body::Text(text) if render::mentions(text, &state.me) => {
                let quiet = RenderOptions {
                    bell: false,
                    ..options.clone()
                };
                Some(render::render_message(&quiet, &view))
            }
            _ => None,
        };
        count_unread_and_mention(state, &event.ch, mention);
        state
            .typing
            .stop(&Place::Channel(event.ch.clone()), &event.u);
    }
    lines.push(line);
    state.remember(
        event.id,
        MessageRecord {
            scope,
            author: event.u.clone(),
            body,
            reacts,
        },
    );
    lines
}

/// A live message from someone else: unread when not in the current channel, and a mention
/// remembered for `/mentions`.
fn count_unread_and_mention(state: &mut ChatState, channel: &str, mention: Option<String>) {
    let mentioned = mention.is_some();
    if let Some(line) = mention {
        state.mentions.push_back(line);
        while state.mentions.len() > MENTIONS_KEPT {
            state.mentions.pop_front();
        }
    }
    if state.current_channel() != Some(channel)
        && let Some(entry) = state.channels.get_mut(channel)
    {
        entry.unread = entry.unread.saturating_add(1);
        if mentioned {
            entry.unseen_mentions = entry.unseen_mentions.saturating_add(1);
        }
    }
}

fn on_edit(
    state: &mut ChatState,
    options: &RenderOptions,
    event: &EditEvent,
    body: Body,
) -> Vec<String> {
    let scope = state.channel_scope(&event.ch);
    let change = Changed {
        scope: &scope,
        by: &event.u,
        id: event.id,
        ts: event.ts,
    };
    show_edit(state, options, &change, body)
}

fn on_delete(state: &mut ChatState, options: &RenderOptions, event: &DeleteEvent) -> Vec<String> {
    let scope = state.channel_scope(&event.ch);
    let change = Changed {
        scope: &scope,
        by: &event.u,
        id: event.id,
        ts: event.ts,
    };
    show_delete(state, options, &change)
}

fn on_react(state: &mut ChatState, options: &RenderOptions, event: &ReactEvent) -> Vec<String> {
    let scope = state.channel_scope(&event.ch);
    let change = Changed {
        scope: &scope,
        by: &event.u,
        id: event.id,
        ts: event.ts,
    };
    show_reaction(state, options, &change, &event.emoji, event.on)
}

/// Who changed which message of which place, and when: what an edit, a deletion or a reaction
/// (of a channel message or of a DM) shares.
pub(crate) struct Changed<'a> {
    pub scope: &'a Scope,
    pub by: &'a str,
    pub id: i64,
    pub ts: i64,
}

/// An edit: the remembered message takes the new body; the line says who edited what.
pub(crate) fn show_edit(
    state: &mut ChatState,
    options: &RenderOptions,
    change: &Changed<'_>,
    body: Body,
) -> Vec<String> {
    if let Some(record) = state.message_mut(change.id) {
        record.body = body.clone();
    }
    vec![render::render_edit(
        options,
        change.scope,
        change.by,
        change.id,
        &body,
        change.ts,
    )]
}

/// A deletion: the remembered message becomes deleted; the line quotes what it was.
pub(crate) fn show_delete(
    state: &mut ChatState,
    options: &RenderOptions,
    change: &Changed<'_>,
) -> Vec<String> {
    let was = state.message_mut(change.id).map(|record| {
        let was = match &record.body {
            Body::Text(text) => Some(text.clone()),
            _ => None,
        };
        record.body = Body::Deleted;
        was
    });
    vec![render::render_delete(
        options,
        change.scope,
        change.by,
        change.id,
        was.flatten().as_deref(),
        change.ts,
    )]
}

/// A reaction added (`on`) or taken back, folded into the remembered message.
pub(crate) fn show_reaction(
    state: &mut ChatState,
    options: &RenderOptions,
    change: &Changed<'_>,
    emoji: &str,
    on: bool,
) -> Vec<String> {
    let after = state.apply_reaction(change.id, emoji, change.by, on);
    let target = state.quote(change.id);
    let view = ReactionView {
        scope: change.scope,
        reactor: change.by,
        emoji,
        on,
        target: &target,
        after: &after,
        ts: change.ts,
    };
    vec![render::render_reaction(options, &view)]
}

/// A DM, live or from a listing (`/history` in a DM): remembered and rendered (mentions are
/// implicit: it is to you). A live one from the peer rings and counts as unread unless its
/// conversation is current; a listing does neither.
pub fn on_dm(
    state: &mut ChatState,
    options: &RenderOptions,
    event: &DmEvent,
    body: Body,
    live: bool,
) -> Vec<String> {
    let from_me = event.from.eq_ignore_ascii_case(&state.me);
    let peer = if from_me { &event.to } else { &event.from };
    if live {
        state.count_dm(peer, from_me);
        state.typing.stop(&Place::Dm(peer.clone()), &event.from);
    }
    state.note_dm_id(peer, event.id);
    let scope = Scope::Dm { peer: peer.clone() };
    let mut lines: Vec<String> = state.day_change(options, event.ts).into_iter().collect();
    let reacts = event.reacts.clone().unwrap_or_default();
    let quote = event.reply_to.map(|id| state.quote(id));
    let view = MessageView {
        scope: &scope,
        id: event.id,
        author: &event.from,
        ts: event.ts,
        body: &body,
        edited: event.edited.is_some(),
        reply: quote.as_ref(),
        reacts: Some(&reacts),
    };
    let options = &RenderOptions {
        bell: options.bell && live,
        ..options.clone()
    };
    let mut line = render::render_message(options, &view);
    if options.bell && !from_me && !line.ends_with('\u{7}') {
        line.push('\u{7}');
    }
    lines.push(line);
    state.remember(
        event.id,
        MessageRecord {
            scope,
            author: event.from.clone(),
            body,
            reacts,
        },
    );
    lines
}

/// A `typing` frame: in a channel, or (with `to`, which is us) in the DM with its sender.
fn on_typing(state: &mut ChatState, channel: Option<String>, user: &str, on: bool) {
    if user.eq_ignore_ascii_case(&state.me) {
        return;
    }
    let place = match channel {
        Some(channel) => Place::Channel(channel),
        None => Place::Dm(user.to_string()),
    };
    state
        .typing
        .note(place, user, on, std::time::Instant::now());
}

fn on_member(
    state: &mut ChatState,
    options: &RenderOptions,
    channel: &str,
    user: &str,
    on: bool,
) -> Vec<String> {
    // Known by name at once (a new account's `online` may come later, in a `presences` frame).
    let key = user.to_ascii_lowercase();
    if on && !state.users.contains_key(&key) {
        state
            .users
            .insert(key, user_state(user, PresenceState::Offline, ""));
    }
    let verb = if on { "joined" } else { "left" };
    vec![render::render_notice(
        options,
        &format!("{user} {verb} #{channel}"),
    )]
}

fn on_presence(
    state: &mut ChatState,
    options: &RenderOptions,
    user: &str,
    presence: PresenceState,
    text: &str,
) -> Vec<String> {
    let key = user.to_ascii_lowercase();
    let changed = state
        .users
        .get(&key)
        .is_none_or(|known| known.state != presence || known.text != text);
    state.users.insert(key, user_state(user, presence, text));
    if !changed || user.eq_ignore_ascii_case(&state.me) {
        return Vec::new();
    }
    let detail = if text.is_empty() {
        String::new()
    } else {
        format!(": {}", render::printable(text))
    };
    vec![render::render_notice(
        options,
        &format!("{user} is {}{detail}", presence.as_str()),
    )]
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
