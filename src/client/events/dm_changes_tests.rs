//! Tests of the live DM changes: alice's edit, sealed for bob as `edit:<id>`, decrypts on bob's
//! side and replaces the remembered DM; an envelope that does not open as that edit (the DM's
//! own envelope replayed, or garbage) is shown REJECTED; deletions and reactions fold into the
//! remembered DM. Real key rings in temp dirs.

use crate::client::events::{ChatState, handle_frame};
use crate::client::keys::KeyRing;
use crate::client::render::{Body, RenderOptions, Zone};
use crate::proto::{DmDeleteEvent, DmEditEvent, DmEvent, DmReactEvent, ServerFrame};

const TS: i64 = 1_764_000_000_000; // 2025-11-24 16:00 UTC

struct Pair {
    _dirs: (tempfile::TempDir, tempfile::TempDir),
    alice: KeyRing,
    bob: KeyRing,
    bob_state: ChatState,
    options: RenderOptions,
}

fn pair() -> Pair {
    let (alice_dir, bob_dir) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let (mut alice, _) = KeyRing::open(alice_dir.path(), "ws://t", "alice", true).expect("ring");
    let (mut bob, _) = KeyRing::open(bob_dir.path(), "ws://t", "bob", true).expect("ring");
    alice
        .learn_peer_key("bob", &bob.public_key_b64())
        .expect("learned");
    bob.learn_peer_key("alice", &alice.public_key_b64())
        .expect("learned");
    let options = RenderOptions {
        color: false,
        bell: false,
        me: "bob".into(),
        zone: Zone::Fixed(chrono::FixedOffset::east_opt(0).expect("offset")),
        seconds: false,
        links: false,
    };
    Pair {
        _dirs: (alice_dir, bob_dir),
        alice,
        bob,
        bob_state: ChatState::new("bob"),
        options,
    }
}

impl Pair {
    fn bob_sees(&mut self, frame: ServerFrame) -> Vec<String> {
        handle_frame(&mut self.bob_state, &mut self.bob, &self.options, frame)
    }

    /// alice's DM `id` to bob, sealed for real.
    fn dm_from_alice(&mut self, id: i64, text: &str) -> ServerFrame {
        ServerFrame::Dm(DmEvent {
            id,
            from: "alice".into(),
            to: "bob".into(),
            c: self.alice.seal_dm("bob", text).expect("sealed"),
            enc: "xc20p1".into(),
            ts: TS,
            reply_to: None,
            edited: None,
            deleted: false,
            reacts: None,
        })
    }

    fn edit_from_alice(&self, id: i64, c: String) -> ServerFrame {
        ServerFrame::DmEdit(DmEditEvent {
            id,
            from: "alice".into(),
            to: "bob".into(),
            c,
            enc: "xc20p1".into(),
            ts: TS + 1,
        })
    }
}

#[test]
fn a_dm_edit_decrypts_for_the_peer_and_replaces_the_remembered_text() {
    let mut p = pair();
    let dm = p.dm_from_alice(7, "see you at noon");
    assert_eq!(
        p.bob_sees(dm).last().expect("a line"),
        "16:00 🔒@alice <alice> see you at noon [7]"
    );
    let c = p
        .alice
        .seal_dm_as("bob", "edit:7", "see you at one")
        .expect("sealed");
    let lines = p.bob_sees(p.edit_from_alice(7, c));
    assert_eq!(
        lines,
        vec!["16:00 🔒@alice alice edited [7]: see you at one"]
    );
    let remembered = &p.bob_state.message(7).expect("remembered").body;
    assert_eq!(*remembered, Body::Text("see you at one".into()));
}

#[test]
fn a_dm_edit_whose_envelope_does_not_open_as_that_edit_is_rejected() {
    let mut p = pair();
    let dm = p.dm_from_alice(7, "the original");
    let ServerFrame::Dm(original) = dm.clone() else {
        unreachable!("a dm frame")
    };
    p.bob_sees(dm);
    // The DM's own envelope replayed as its edit (AAD kind `dm`, not `edit:7`).
    let replayed = p.bob_sees(p.edit_from_alice(7, original.c));
    assert!(replayed[0].contains("REJECTED"), "{replayed:?}");
    // The edit of another DM passed off as this one's.
    let other = p
        .alice
        .seal_dm_as("bob", "edit:8", "moved")
        .expect("sealed");
    let moved = p.bob_sees(p.edit_from_alice(7, other));
    assert!(moved[0].contains("REJECTED"), "{moved:?}");
    assert!(matches!(
        p.bob_state.message(7).expect("remembered").body,
        Body::Rejected { .. }
    ));
}

#[test]
fn dm_deletions_and_reactions_fold_into_the_remembered_dm() {
    let mut p = pair();
    let dm = p.dm_from_alice(7, "react to me");
    p.bob_sees(dm);
    let react = ServerFrame::DmReact(DmReactEvent {
        id: 7,
        from: "bob".into(),
        to: "alice".into(),
        emoji: "👍".into(),
        on: true,
        ts: TS + 1,
    });
    let lines = p.bob_sees(react);
    assert_eq!(
        lines,
        vec!["16:00 🔒@alice bob reacted 👍 to alice's \"react to me\" [7] · 👍 1"]
    );
    assert!(p.bob_state.my_reaction(7, "👍"));
    let delete = ServerFrame::DmDelete(DmDeleteEvent {
        id: 7,
        from: "alice".into(),
        to: "bob".into(),
        ts: TS + 2,
    });
    let lines = p.bob_sees(delete);
    assert_eq!(
        lines,
        vec!["16:00 🔒@alice alice deleted [7] (was: \"react to me\")"]
    );
    assert_eq!(
        p.bob_state.message(7).expect("remembered").body,
        Body::Deleted
    );
}
