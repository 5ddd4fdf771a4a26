//! Unit tests of the outbox's bookkeeping: order, the bound, waiting while offline, and a line
//! in doubt settled by the replay (seen: not resent) or by the next generation (resent).

use super::*;
use crate::model::MessageEvent;
use crate::proto::{DmEvent, DmFrame, MsgFrame};

fn msg(channel: &str, text: &str) -> ClientFrame {
    ClientFrame::Msg(MsgFrame {
        ch: channel.into(),
        c: text.into(),
        enc: None,
        idx: None,
        reply_to: None,
        relayed_as: None,
    })
}

fn echo(channel: &str, user: &str, text: &str) -> ServerFrame {
    ServerFrame::Msg(MessageEvent {
        ch: channel.into(),
        id: 7,
        seq: 3,
        u: user.into(),
        c: Some(text.into()),
        ts: 0,
        enc: None,
        reply_to: None,
        edited: None,
        deleted: false,
        reacts: None,
        sys: None,
    })
}

fn sent(step: NextStep) -> OutboxItem {
    match step {
        NextStep::Send(item) => item,
        other => panic!("expected a send, got {other:?}"),
    }
}

#[test]
fn lines_queued_while_offline_go_out_in_order_one_at_a_time_once_ready() {
    let outbox = Outbox::new();
    assert_eq!(outbox.push(msg("general", "a"), "a".into()), Ok((0, false)));
    assert_eq!(outbox.push(msg("general", "b"), "b".into()), Ok((1, false)));
    assert!(matches!(outbox.next_step().0, NextStep::Wait));
    outbox.set_ready();
    let first = sent(outbox.next_step().0);
    assert_eq!(first.label, "a");
    // The head is in flight: the next line waits behind it.
    assert!(matches!(outbox.next_step().0, NextStep::Wait));
    assert_eq!(outbox.finish(first.number), None);
    let second = sent(outbox.next_step().0);
    assert_eq!(second.label, "b");
    assert_eq!(
        outbox.finish(second.number),
        Some(2),
        "both were queued offline"
    );
    assert_eq!(outbox.waiting(), 0);
}

#[test]
fn a_full_outbox_refuses_the_line_at_once() {
    let outbox = Outbox::new();
    for n in 0..OUTBOX_CAPACITY {
        outbox
            .push(msg("general", &n.to_string()), n.to_string())
            .expect("fits");
    }
    assert_eq!(
        outbox.push(msg("general", "one more"), "one more".into()),
        Err(OutboxFull {
            waiting: OUTBOX_CAPACITY
        })
    );
}

#[test]
fn a_line_in_doubt_that_the_replay_shows_is_not_sent_again() {
    let outbox = Outbox::new();
    outbox.set_ready();
    outbox
        .push(msg("general", "hello"), "hello".into())
        .unwrap();
    let item = sent(outbox.next_step().0);
    outbox.set_not_ready();
    outbox.mark_in_doubt(item.number);
    // Someone else's identical line does not count; ours, replayed, does.
    outbox.observe(&echo("general", "bob", "hello"), "alice");
    outbox.observe(&echo("general", "Alice", "hello"), "alice");
    outbox.set_ready();
    match outbox.next_step().0 {
        NextStep::Confirmed(done) => assert_eq!(done.number, item.number),
        other => panic!("expected the line confirmed, got {other:?}"),
    }
    assert_eq!(outbox.waiting(), 0);
}

#[test]
fn a_line_in_doubt_not_in_the_replay_is_resent_after_the_resume_only() {
    let outbox = Outbox::new();
    outbox.set_ready();
    outbox
        .push(msg("general", "hello"), "hello".into())
        .unwrap();
    let item = sent(outbox.next_step().0);
    outbox.mark_in_doubt(item.number);
    // Same generation: wait (the answer may still come as our own broadcast).
    assert!(matches!(outbox.next_step().0, NextStep::Wait));
    outbox.set_not_ready();
    outbox.set_ready();
    let again = sent(outbox.next_step().0);
    assert_eq!((again.number, again.attempts), (item.number, 2));
}

#[test]
fn a_dm_is_matched_by_peer_and_envelope() {
    let outbox = Outbox::new();
    outbox.set_ready();
    let frame = ClientFrame::Dm(DmFrame {
        to: "Bob".into(),
        c: "envelope".into(),
        enc: Some("xc20p1".into()),
        reply_to: None,
    });
    outbox.push(frame, "@bob".into()).unwrap();
    let item = sent(outbox.next_step().0);
    outbox.mark_in_doubt(item.number);
    let dm = |c: &str| {
        ServerFrame::Dm(DmEvent {
            id: 9,
            from: "alice".into(),
            to: "bob".into(),
            c: c.into(),
            enc: "xc20p1".into(),
            ts: 0,
            reply_to: None,
            edited: None,
            deleted: false,
            reacts: None,
        })
    };
    outbox.observe(&dm("another envelope"), "alice");
    assert!(matches!(outbox.next_step().0, NextStep::Wait));
    outbox.observe(&dm("envelope"), "alice");
    assert!(matches!(outbox.next_step().0, NextStep::Confirmed(_)));
}

#[test]
fn closing_hands_back_what_was_never_sent() {
    let outbox = Outbox::new();
    outbox.push(msg("general", "x"), "x".into()).unwrap();
    let left = outbox.close();
    assert_eq!(left.len(), 1);
    assert!(matches!(outbox.next_step().0, NextStep::Closed));
}
