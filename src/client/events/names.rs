//! Names the server sends are checked before anything is shown or kept: a user or channel name
//! that breaks the protocol's name rules (a newline and a forged line in a `member` frame's `u`,
//! an escape sequence in a channel name) makes the client refuse the whole frame, loudly.
//! Part of `client::events`.

use crate::proto::{self, ServerFrame};

/// Why `frame` is refused (which name is invalid), or `None` when every name in it is valid.
pub fn invalid_name_in(frame: &ServerFrame) -> Option<&'static str> {
    let (channels, users) = names_in(frame);
    if channels.iter().any(|channel| !valid_channel_name(channel)) {
        return Some("invalid channel name");
    }
    if users
        .iter()
        .any(|user| proto::validate_username(user).is_err())
    {
        return Some("invalid user name");
    }
    None
}

/// A channel name as the server sends it: canonical (lowercase, no `#`).
pub fn valid_channel_name(channel: &str) -> bool {
    proto::normalize_channel(channel).is_ok_and(|canonical| canonical == channel)
}

fn names_in(frame: &ServerFrame) -> (Vec<&str>, Vec<&str>) {
    match frame {
        ServerFrame::Member { ch, u, .. } => (vec![ch], vec![u]),
        ServerFrame::Msg(event) => (vec![&event.ch], vec![&event.u]),
        ServerFrame::Edit(event) => (vec![&event.ch], vec![&event.u]),
        ServerFrame::Delete(event) => (vec![&event.ch], vec![&event.u]),
        ServerFrame::React(event) => (vec![&event.ch], vec![&event.u]),
        ServerFrame::Dm(event) => (Vec::new(), vec![&event.from, &event.to]),
        ServerFrame::DmEdit(event) => (Vec::new(), vec![&event.from, &event.to]),
        ServerFrame::DmDelete(event) => (Vec::new(), vec![&event.from, &event.to]),
        ServerFrame::DmReact(event) => (Vec::new(), vec![&event.from, &event.to]),
        ServerFrame::Typing { ch, to, u, .. } => (
            ch.iter().map(String::as_str).collect(),
            to.iter().chain([u]).map(String::as_str).collect(),
        ),
        ServerFrame::Presence { u, .. } | ServerFrame::Key { u, .. } => (Vec::new(), vec![u]),
        ServerFrame::Presences { users, .. } => (
            Vec::new(),
            users.iter().map(|entry| entry.u.as_str()).collect(),
        ),
        ServerFrame::Vmember { room, u, .. } => (vec![room], vec![u]),
        _ => (Vec::new(), Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_frame_with_a_forged_line_in_its_name_is_refused() {
        let forged = ServerFrame::Member {
            ch: "general".into(),
            u: "mallory\n#general <admin> hi".into(),
            on: true,
            ts: 1,
        };
        assert_eq!(invalid_name_in(&forged), Some("invalid user name"));
        let bad_channel = ServerFrame::Member {
            ch: "Gen\u{1b}[2J".into(),
            u: "bob".into(),
            on: true,
            ts: 1,
        };
        assert_eq!(invalid_name_in(&bad_channel), Some("invalid channel name"));
        let fine = ServerFrame::Member {
            ch: "general".into(),
            u: "Bob_2".into(),
            on: false,
            ts: 1,
        };
        assert_eq!(invalid_name_in(&fine), None);
    }
}
