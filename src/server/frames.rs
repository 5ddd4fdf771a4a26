//! Where the store's event types become wire frames: a committed [`LoggedEvent`] becomes the
//! `msg`/`edit`/`delete`/`react`/`dm` broadcast (and a DM's `dm_edit`/`dm_delete`/`dm_react`). (A folded message needs no mapping: the store
//! returns the model's `MessageEvent`, the message object of `history`, `search`, `rewind` and
//! `joined.hist`.) The store never sees a frame; this file is the one place that maps between
//! the two (the one-shot tools' `--db` mode uses it as well).
//! Conversions take their input by value, so no text is copied.

use crate::proto::{
    DeleteEvent, DmDeleteEvent, DmEditEvent, DmEvent, DmReactEvent, EditEvent, MessageEvent,
    ReactEvent, ServerFrame,
};
use crate::store::{EventBody, LoggedEvent};

/// The broadcast frame of a committed event.
pub fn event_frame(event: LoggedEvent) -> ServerFrame {
    let LoggedEvent {
        id,
        seq,
        ts,
        sender: u,
        body,
    } = event;
    match body {
        EventBody::Msg {
            channel,
            c,
            enc,
            reply_to,
        } => ServerFrame::Msg(MessageEvent {
            ch: channel,
            id,
            seq,
            u,
            c: Some(c),
            ts,
            enc,
            reply_to,
            edited: None,
            deleted: false,
            reacts: None,
            sys: None,
        }),
        // A deleted message read back from the log: the folded deleted message, no text.
        EventBody::Purged { channel, reply_to } => ServerFrame::Msg(MessageEvent {
            ch: channel,
            id,
            seq,
            u,
            c: None,
            ts,
            enc: None,
            reply_to,
            edited: None,
            deleted: true,
            reacts: None,
            sys: None,
        }),
        EventBody::Sys { channel, c, sys } => ServerFrame::Msg(MessageEvent {
            ch: channel,
            id,
            seq,
            u,
            c: Some(c),
            ts,
            enc: None,
            reply_to: None,
            edited: None,
            deleted: false,
            reacts: None,
            sys: Some(Box::new(sys)),
        }),
        EventBody::Edit {
            channel,
            target,
            c,
            enc,
        } => ServerFrame::Edit(EditEvent {
            ch: channel,
            id: target,
            seq,
            u,
            c,
            ts,
            enc,
        }),
        EventBody::Delete { channel, target } => ServerFrame::Delete(DeleteEvent {
            ch: channel,
            id: target,
            seq,
            u,
            ts,
        }),
        EventBody::React {
            channel,
            target,
            emoji,
            on,
        } => ServerFrame::React(ReactEvent {
            ch: channel,
            id: target,
            seq,
            u,
            emoji,
            on,
            ts,
        }),
        EventBody::Dm {
            to,
            c,
            enc,
            reply_to,
        } => ServerFrame::Dm(DmEvent {
            id,
            from: u,
            to,
            c,
            enc,
            ts,
            reply_to,
            edited: None,
            deleted: false,
            reacts: None,
        }),
        EventBody::DmEdit { to, target, c, enc } => ServerFrame::DmEdit(DmEditEvent {
            id: target,
            from: u,
            to,
            c,
            enc,
            ts,
        }),
        EventBody::DmDelete { to, target } => ServerFrame::DmDelete(DmDeleteEvent {
            id: target,
            from: u,
            to,
            ts,
        }),
        EventBody::DmReact {
            to,
            target,
            emoji,
            on,
        } => ServerFrame::DmReact(DmReactEvent {
            id: target,
            from: u,
            to,
            emoji,
            on,
            ts,
        }),
    }
}

/// The `delete` frame of a moderator's deletion, rebuilt from the system line committed right
/// after it (`LoggedEvent::moderated_delete`); `None` for any other event.
pub fn moderated_delete_frame(event: &LoggedEvent) -> Option<ServerFrame> {
    let (seq, target) = event.moderated_delete()?;
    Some(ServerFrame::Delete(DeleteEvent {
        ch: event.channel()?.to_string(),
        id: target,
        seq,
        u: event.sender.clone(),
        ts: event.ts,
    }))
}

/// The `dm` frame of a committed DM; `None` for a channel event.
pub fn dm_frame(event: LoggedEvent) -> Option<DmEvent> {
    match event_frame(event) {
        ServerFrame::Dm(dm) => Some(dm),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logged_edit_becomes_an_edit_frame_naming_its_target() {
        let event = LoggedEvent {
            id: 42,
            seq: 7,
            ts: 1_000,
            sender: "alice".into(),
            body: EventBody::Edit {
                channel: "general".into(),
                target: 40,
                c: "fixed".into(),
                enc: None,
            },
        };
        let ServerFrame::Edit(edit) = event_frame(event) else {
            panic!("an edit frame");
        };
        assert_eq!((edit.id, edit.seq, edit.ch.as_str()), (40, 7, "general"));
        assert_eq!(
            (edit.u.as_str(), edit.c.as_str(), edit.ts),
            ("alice", "fixed", 1_000)
        );
    }

    #[test]
    fn a_logged_dm_keeps_its_own_id_and_no_seq() {
        let event = LoggedEvent {
            id: 9,
            seq: 3,
            ts: 5,
            sender: "alice".into(),
            body: EventBody::Dm {
                to: "bob".into(),
                c: "sealed".into(),
                enc: "xc20p1".into(),
                reply_to: None,
            },
        };
        let dm = dm_frame(event).expect("a dm");
        assert_eq!(
            (dm.id, dm.from.as_str(), dm.to.as_str()),
            (9, "alice", "bob")
        );
    }
}
