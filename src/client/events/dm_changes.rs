//! The live changes of direct messages: `dm_edit` (decrypted like a DM, as `edit:<id>`; an
//! envelope that does not open is shown REJECTED), `dm_delete` and `dm_react`. Each is shown in
//! the DM conversation with the other party and folded into the remembered DM exactly as a
//! channel message's change is (`events::show_edit` and friends). Part of `client::events`.

use super::{Changed, ChatState, show_delete, show_edit, show_reaction};
use crate::client::render::{Body, RenderOptions, Scope};
use crate::proto::{DmDeleteEvent, DmEditEvent, DmReactEvent};

/// The conversation a DM change belongs to: named by whichever party is not us.
fn conversation(state: &ChatState, from: &str, to: &str) -> Scope {
    let peer = if from.eq_ignore_ascii_case(&state.me) {
        to
    } else {
        from
    };
    Scope::Dm {
        peer: peer.to_string(),
    }
}

/// `dm_edit`: the author's new text (already decrypted into `body`).
pub fn on_dm_edit(
    state: &mut ChatState,
    options: &RenderOptions,
    event: &DmEditEvent,
    body: Body,
) -> Vec<String> {
    let scope = conversation(state, &event.from, &event.to);
    let change = Changed {
        scope: &scope,
        by: &event.from,
        id: event.id,
        ts: event.ts,
    };
    show_edit(state, options, &change, body)
}

/// `dm_delete`: the author deleted the DM.
pub fn on_dm_delete(
    state: &mut ChatState,
    options: &RenderOptions,
    event: &DmDeleteEvent,
) -> Vec<String> {
    let scope = conversation(state, &event.from, &event.to);
    let change = Changed {
        scope: &scope,
        by: &event.from,
        id: event.id,
        ts: event.ts,
    };
    show_delete(state, options, &change)
}

/// `dm_react`: either party's reaction added or taken back.
pub fn on_dm_react(
    state: &mut ChatState,
    options: &RenderOptions,
    event: &DmReactEvent,
) -> Vec<String> {
    let scope = conversation(state, &event.from, &event.to);
    let change = Changed {
        scope: &scope,
        by: &event.from,
        id: event.id,
        ts: event.ts,
    };
    show_reaction(state, options, &change, &event.emoji, event.on)
}

#[cfg(test)]
#[path = "dm_changes_tests.rs"]
mod tests;
