//! The key-bearing half of inbound dispatch: peers' announced keys (trust on first use, the
//! LOUD warning when a pinned key changes) and decryption of channel messages, edits and DMs
//! into a [`Body`] (an unreadable one says why instead of failing). Part of `client::events`;
//! also used by the one-shot tools through the re-exports there.

use crate::client::keys::{KeyRing, PeerKeyStatus};
use crate::client::render::{self, Body, RenderOptions};
use crate::proto::{DmEvent, EditEvent, MessageEvent};

/// A peer's key, from `ok.users` or a `key` frame: pinned on first use, LOUD warning on change.
pub fn on_key(keys: &mut KeyRing, options: &RenderOptions, user: &str, pk: &str) -> Vec<String> {
    match keys.learn_peer_key(user, pk) {
        Ok(PeerKeyStatus::Known) | Ok(PeerKeyStatus::Pinned { .. }) => Vec::new(),
        Ok(PeerKeyStatus::Changed { pinned, announced }) => vec![
            render::render_warning(
                options,
                &format!("{user}'s identity key CHANGED: pinned {pinned}, now {announced}."),
            ),
            render::render_warning(
                options,
                &format!(
                    "DMs with {user} are blocked until you verify the new fingerprint with them and run /trust {user}."
                ),
            ),
        ],
        Err(error) => vec![render::render_error(
            options,
            &format!("{user}'s key is unusable: {error}"),
        )],
    }
}

/// The readable body of a channel message (decrypting sealed ones).
pub fn decrypt_message(keys: &KeyRing, event: &MessageEvent) -> Body {
    if event.deleted {
        return Body::Deleted;
    }
    let Some(c) = &event.c else {
        return Body::Deleted;
    };
    if event.enc.is_none() {
        return Body::Text(c.clone());
    }
    // A folded message that was edited carries the edit's envelope, sealed as `edit:<id>`.
    let kind = if event.edited.is_some() {
        format!("edit:{}", event.id)
    } else {
        "msg".to_string()
    };
    match keys.open_channel(&event.ch, &event.u, &kind, c) {
        Ok(text) => Body::Text(text),
        Err(error) => Body::Unreadable(error.to_string()),
    }
}

pub(super) fn decrypt_edit(keys: &KeyRing, event: &EditEvent) -> Body {
    if event.enc.is_none() {
        return Body::Text(event.c.clone());
    }
    match keys.open_channel(&event.ch, &event.u, &format!("edit:{}", event.id), &event.c) {
        Ok(text) => Body::Text(text),
        Err(error) => Body::Unreadable(error.to_string()),
    }
}

/// The readable body of a DM.
pub fn decrypt_dm(keys: &mut KeyRing, event: &DmEvent) -> Body {
    match keys.open_dm(event) {
        Ok(text) => Body::Text(text),
        Err(error) => Body::Unreadable(error.to_string()),
    }
}
