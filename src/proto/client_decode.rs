//! The fast path of [`super::decode_client_frame`]: a frame that decodes is read straight from
//! its text, without a JSON tree. Its head (`t` and `rid`) is read first; the common frame types
//! are then read as their own struct, because serde reads an internally tagged enum
//! (`ClientFrame`, tagged by `t`) by copying every field into a buffer before it knows the type.
//! Anything that does not decode here is decoded again through the tree, which explains the error,
//! so both paths give one answer (`decode_tests` checks they agree).

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::client::ClientFrame;
use super::{CLIENT_TYPES, rid_within_limit};

/// The two fields a client frame is routed by, read straight from the text.
#[derive(Deserialize)]
struct ClientFrameHead<'a> {
    #[serde(borrow)]
    t: Cow<'a, str>,
    #[serde(default)]
    rid: Option<String>,
}

/// A frame that decodes, with its `rid`; `None` for anything else (including a repeated field,
/// which the tree would keep the last of).
pub(super) fn decode_well_formed_client_frame(text: &str) -> Option<(ClientFrame, Option<String>)> {
    // serde reads a struct from a JSON array too (`["ping"]`); a frame is an object.
    let json_whitespace: &[char] = &[' ', '\t', '\n', '\r'];
    if !text.trim_start_matches(json_whitespace).starts_with('{') {
        return None;
    }
    let head: ClientFrameHead<'_> = serde_json::from_str(text).ok()?;
    let rid_too_long = head
        .rid
        .as_deref()
        .is_some_and(|rid| !rid_within_limit(rid));
    if rid_too_long || !CLIENT_TYPES.contains(&head.t.as_ref()) {
        return None;
    }
    let frame = decode_client_frame_of_type(&head.t, text)?;
    Some((frame, head.rid))
}

/// The frame of type `t`: the frames a busy connection sends most, and the two that carry a
/// password, as their own struct (their `t` and `rid` are fields the struct ignores, as the
/// enum's variant does), the rest through the enum. The text is known to be one JSON object.
fn decode_client_frame_of_type(t: &str, text: &str) -> Option<ClientFrame> {
    fn read<T: DeserializeOwned>(text: &str, variant: fn(T) -> ClientFrame) -> Option<ClientFrame> {
        serde_json::from_str(text).ok().map(variant)
    }
    match t {
        "msg" => read(text, ClientFrame::Msg),
        "dm" => read(text, ClientFrame::Dm),
        "edit" => read(text, ClientFrame::Edit),
        "delete" => read(text, ClientFrame::Delete),
        "react" => read(text, ClientFrame::React),
        "typing" => read(text, ClientFrame::Typing),
        "status" => read(text, ClientFrame::Status),
        "mark" => read(text, ClientFrame::Mark),
        "history" => read(text, ClientFrame::History),
        "search" => read(text, ClientFrame::Search),
        "rewind" => read(text, ClientFrame::Rewind),
        "ping" => Some(ClientFrame::Ping {}),
        // Read as their own struct too, so a password goes straight into its `SecretString`
        // (zeroed when dropped) and is not first copied into serde's buffer of the fields.
        "auth" => read(text, ClientFrame::Auth),
        "password" => read(text, ClientFrame::Password),
        _ => serde_json::from_str::<ClientFrame>(text).ok(),
    }
}
