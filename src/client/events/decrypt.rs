//! The key-bearing half of inbound dispatch: peers' announced keys (trust on first use, the
//! LOUD warning when a pinned key changes) and decryption of channel messages, edits and DMs
//! (and DM edits) into a [`Body`] (an unreadable one says why instead of failing; one that claims to be
//! sealed but is not, or whose envelope does not open, is REJECTED loudly). Part of `client::events`;
//! also used by the one-shot tools through the re-exports there.

use crate::client::keys::{KeyError, KeyRing, PeerKeyStatus};
use crate::client::render::{self, Body, RenderOptions};
use crate::client::state::ChatState;
use crate::crypto::CryptoError;
use crate::proto::{ChannelMode, DmEditEvent, DmEvent, ENC_XC20P1, EditEvent, MessageEvent};

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

/// Whether the client holds a channel as sealed: the server said so (in `ok`, `joined`), or
/// we hold its key (which a server cannot take back by calling the channel open).
pub fn channel_is_sealed(state: &ChatState, keys: &KeyRing, channel: &str) -> bool {
    keys.has_channel_key(channel)
        || state
            .channels
            .get(channel)
            .is_some_and(|entry| entry.mode == ChannelMode::Sealed)
}

/// Opens one sealed channel text: (sender, kind, envelope) → plaintext, or why not.
pub type ChannelOpener<'a> = dyn Fn(&str, &str, &str) -> Result<String, KeyError> + 'a;

/// The readable body of a channel message through the client's key ring (`None`: no ring at
/// hand, an encrypted text is unreadable). See [`channel_body`].
pub fn decrypt_message(keys: Option<&KeyRing>, sealed: bool, event: &MessageEvent) -> Body {
    channel_body(event, sealed, &|sender, kind, c| match keys {
        Some(keys) => keys.open_channel(&event.ch, sender, kind, c),
        None => Err(KeyError::NoChannelKey {
            channel: event.ch.clone(),
        }),
    })
}

/// The readable body of a (folded) channel message: the one decision shared by the REPL and
/// the one-shot tools (live, `joined.hist`, history, search, rewind, `--db`). In a sealed
/// channel, text without an envelope is [`Body::Rejected`], never text; so is an envelope
/// that does not open.
pub fn channel_body(event: &MessageEvent, sealed: bool, open: &ChannelOpener<'_>) -> Body {
    if event.deleted {
        return Body::Deleted;
    }
    let Some(c) = &event.c else {
        return Body::Deleted;
    };
    // A folded message that was edited carries the edit's envelope, sealed as `edit:<id>`.
    let kind = if event.edited.is_some() {
        format!("edit:{}", event.id)
    } else {
        "msg".to_string()
    };
    let sealed_text = SealedText {
        channel: &event.ch,
        sender: &event.u,
        kind: &kind,
        c,
        enc: event.enc.as_deref(),
    };
    open_channel_text(sealed, &sealed_text, open)
}

/// The readable body of a live edit (same rules as [`decrypt_message`]).
pub fn decrypt_edit(keys: Option<&KeyRing>, sealed: bool, event: &EditEvent) -> Body {
    let kind = format!("edit:{}", event.id);
    let sealed_text = SealedText {
        channel: &event.ch,
        sender: &event.u,
        kind: &kind,
        c: &event.c,
        enc: event.enc.as_deref(),
    };
    open_channel_text(sealed, &sealed_text, &|sender, kind, c| match keys {
        Some(keys) => keys.open_channel(&event.ch, sender, kind, c),
        None => Err(KeyError::NoChannelKey {
            channel: event.ch.clone(),
        }),
    })
}

/// The readable body of a DM through the client's key ring. See [`dm_body`].
pub fn decrypt_dm(keys: &mut KeyRing, event: &DmEvent) -> Body {
    dm_body(event, &mut |event| keys.open_dm(event))
}

/// The readable body of a DM: every DM is sealed, so one that does not open is rejected
/// (unless the key is merely not at hand, which is said as such). Shared by the REPL and the
/// one-shot tools.
pub fn dm_body(
    event: &DmEvent,
    open: &mut dyn FnMut(&DmEvent) -> Result<String, KeyError>,
) -> Body {
    if event.deleted {
        return Body::Deleted;
    }
    if event.enc != ENC_XC20P1 {
        return rejected(format!("unknown envelope {:?}", event.enc), &event.c);
    }
    match open(event) {
        Ok(text) => Body::Text(text),
        Err(error) => unopened(error, &event.c),
    }
}

/// The readable body of a live DM edit: sealed like a DM, as `edit:<id>`; one that does not
/// open is rejected as loudly as a DM that does not.
pub fn decrypt_dm_edit(keys: &mut KeyRing, event: &DmEditEvent) -> Body {
    if event.enc != ENC_XC20P1 {
        return rejected(format!("unknown envelope {:?}", event.enc), &event.c);
    }
    let kind = format!("edit:{}", event.id);
    match keys.open_dm_text(&event.from, &event.to, &kind, &event.c) {
        Ok(text) => Body::Text(text),
        Err(error) => unopened(error, &event.c),
    }
}

/// One channel text as it came: where, by whom, what kind (`msg`, `edit:<id>`), and `enc`.
struct SealedText<'a> {
    channel: &'a str,
    sender: &'a str,
    kind: &'a str,
    c: &'a str,
    enc: Option<&'a str>,
}

fn open_channel_text(sealed: bool, text: &SealedText<'_>, open: &ChannelOpener<'_>) -> Body {
    match text.enc {
        None if sealed => rejected(format!("no envelope in sealed #{}", text.channel), text.c),
        None => Body::Text(text.c.to_string()),
        Some(enc) if enc != ENC_XC20P1 => rejected(format!("unknown envelope {enc:?}"), text.c),
        Some(_) => match open(text.sender, text.kind, text.c) {
            Ok(opened) => Body::Text(opened),
            Err(error) => unopened(error, text.c),
        },
    }
}

/// An envelope that did not open: tampered or malformed is rejected; a key we lack is
/// only unreadable (the reason says which key).
fn unopened(error: KeyError, raw: &str) -> Body {
    match error {
        KeyError::Crypto(CryptoError::Tampered | CryptoError::BadFormat(_)) => {
            rejected(format!("the envelope does not open: {error}"), raw)
        }
        other => Body::Unreadable(other.to_string()),
    }
}

fn rejected(reason: String, raw: &str) -> Body {
    Body::Rejected {
        reason,
        raw: raw.to_string(),
    }
}
