//! Tests of the inbound dispatcher: state updates (unread, mentions, cache) and the lines
//! produced, driven by real frames and a real key ring in a temp dir.

use super::*;
use crate::client::render::Zone;
use crate::client::state::Place;
use crate::proto::{ChannelInfo, ChannelMode, ServerFrame};

const DAY1: i64 = 1_764_000_000_000; // 2025-11-24 16:00 UTC
const DAY2: i64 = DAY1 + 86_400_000;

struct Fixture {
    _dir: tempfile::TempDir,
    state: ChatState,
    keys: KeyRing,
    options: RenderOptions,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let (keys, _) = KeyRing::open(dir.path(), "ws://t", "carol", true).expect("key ring");
    let mut state = ChatState::new("carol");
    let general = ChannelInfo {
        ch: "general".into(),
        mode: ChannelMode::Open,
        members: 3,
        seq: 0,
        salt: None,
        kdf: None,
        kcv: None,
    };
    let random = ChannelInfo {
        ch: "random".into(),
        ..general.clone()
    };
    state.apply_welcome(&[general, random], &[]);
    state.switch_to("general");
    let options = RenderOptions {
        color: false,
        bell: false,
        me: "carol".into(),
        zone: Zone::Fixed(chrono::FixedOffset::east_opt(0).expect("offset")),
        seconds: false,
        links: false,
    };
    Fixture {
        _dir: dir,
        state,
        keys,
        options,
    }
}

fn msg(ch: &str, id: i64, u: &str, c: &str, ts: i64) -> MessageEvent {
    MessageEvent {
        ch: ch.into(),
        id,
        seq: id,
        u: u.into(),
        c: Some(c.into()),
        ts,
        enc: None,
        reply_to: None,
        edited: None,
        deleted: false,
        reacts: None,
        sys: None,
    }
}

impl Fixture {
    fn feed(&mut self, frame: ServerFrame) -> Vec<String> {
        handle_frame(&mut self.state, &mut self.keys, &self.options, frame)
    }
}

#[test]
fn messages_print_with_a_day_separator_once_per_day() {
    let mut f = fixture();
    let lines = f.feed(ServerFrame::Msg(msg("general", 1, "alice", "hi", DAY1)));
    assert_eq!(
        lines,
        vec![
            "──── Monday 24 November 2025 ────",
            "16:00 #general <alice> hi [1]"
        ]
    );
    let lines = f.feed(ServerFrame::Msg(msg(
        "general",
        2,
        "bob",
        "yo",
        DAY1 + 60_000,
    )));
    assert_eq!(lines, vec!["16:01 #general <bob> yo [2]"]);
    let lines = f.feed(ServerFrame::Msg(msg("general", 3, "bob", "next day", DAY2)));
    assert_eq!(lines.len(), 2);
    assert!(lines[0].contains("Tuesday 25 November 2025"));
}

#[test]
fn a_message_already_listed_is_not_shown_again_when_it_arrives_live() {
    let mut f = fixture();
    let event = msg("general", 1, "alice", "hi", DAY1);
    let listed = on_message(
        &mut f.state,
        &f.options,
        &event,
        Body::Text("hi".into()),
        false,
    );
    assert_eq!(listed.len(), 2);
    assert!(f.feed(ServerFrame::Msg(event)).is_empty());
}

#[test]
fn unread_counts_only_other_channels_and_others_messages() {
    let mut f = fixture();
    f.feed(ServerFrame::Msg(msg("random", 1, "alice", "a", DAY1)));
    f.feed(ServerFrame::Msg(msg("random", 2, "alice", "b", DAY1)));
    f.feed(ServerFrame::Msg(msg("random", 3, "carol", "mine", DAY1)));
    f.feed(ServerFrame::Msg(msg("general", 4, "alice", "here", DAY1)));
    assert_eq!(
        unread_summary(&f.state),
        vec![(Place::Channel("random".into()), 2)]
    );
    f.state.switch_to("random");
    assert!(unread_summary(&f.state).is_empty());
}

fn dm(id: i64, from: &str, to: &str) -> ServerFrame {
    ServerFrame::Dm(DmEvent {
        id,
        from: from.into(),
        to: to.into(),
        c: "bm90IGEgcmVhbCBlbnZlbG9wZQ==".into(),
        enc: "xc20p1".into(),
        ts: DAY1,
        reply_to: None,
        edited: None,
        deleted: false,
        reacts: None,
    })
}

#[test]
fn a_dm_can_be_the_current_place_and_leaving_it_returns_to_the_channel() {
    let mut f = fixture();
    f.state
        .users
        .insert("bob".into(), user_state("Bob", PresenceState::Online, ""));
    assert_eq!(f.state.switch_to_dm("BOB"), "Bob", "shown as registered");
    assert_eq!(f.state.current, Some(Place::Dm("bob".into())));
    assert_eq!(f.state.current_dm(), Some("Bob"));
    assert_eq!(f.state.current_channel(), None);
    assert_eq!(f.state.previous_channel.as_deref(), Some("general"));
    f.state.switch_to_dm("dave");
    assert_eq!(f.state.previous_channel.as_deref(), Some("general"), "kept");
    assert_eq!(f.state.leave_dm().as_deref(), Some("general"));
    assert_eq!(f.state.current, Some(Place::Channel("general".into())));
    f.state.switch_to("random");
    f.state.switch_to_dm("bob");
    f.state.channels.remove("random");
    assert_eq!(
        f.state.leave_dm().as_deref(),
        Some("general"),
        "a channel left meanwhile is not returned to"
    );
    assert!(known_user_names(&f.state).contains("Bob"));
    assert!(
        known_user_names(&f.state).contains("dave"),
        "DM peers complete too"
    );
    assert!(!known_user_names(&f.state).contains("carol"), "not myself");
}

#[test]
fn unread_counts_include_dms_except_the_current_one_and_listings() {
    let mut f = fixture();
    f.feed(dm(1, "bob", "carol"));
    f.feed(dm(2, "bob", "carol"));
    f.feed(dm(3, "carol", "bob"));
    f.feed(ServerFrame::Msg(msg("random", 4, "alice", "a", DAY1)));
    assert_eq!(
        unread_summary(&f.state),
        vec![
            (Place::Channel("random".into()), 1),
            (Place::Dm("bob".into()), 2)
        ]
    );
    f.state.switch_to_dm("Bob");
    f.feed(dm(5, "bob", "carol"));
    assert_eq!(
        unread_summary(&f.state),
        vec![(Place::Channel("random".into()), 1)],
        "read by switching, and nothing new counts while it is current"
    );
    f.state.leave_dm();
    let ServerFrame::Dm(listed) = dm(6, "bob", "carol") else {
        unreachable!("dm() builds a DM")
    };
    let lines = on_dm(
        &mut f.state,
        &f.options,
        &listed,
        Body::Text("old".into()),
        false,
    );
    assert_eq!(lines.len(), 1);
    assert!(!lines[0].contains('\u{7}'), "a listing never rings");
    assert_eq!(unread_summary(&f.state).len(), 1, "a listing is not unread");
}

#[test]
fn typing_frames_show_where_they_happen_and_a_message_ends_them() {
    let mut f = fixture();
    let general = Place::Channel("general".into());
    let with_bob = Place::Dm("bob".into());
    let typing = |ch: Option<&str>, to: Option<&str>, u: &str, on: bool| ServerFrame::Typing {
        ch: ch.map(str::to_string),
        to: to.map(str::to_string),
        u: u.into(),
        on,
    };
    assert!(
        f.feed(typing(Some("general"), None, "alice", true))
            .is_empty()
    );
    assert!(f.feed(typing(None, Some("carol"), "bob", true)).is_empty());
    let now = std::time::Instant::now();
    assert_eq!(f.state.typing.describe(&general, now), "alice is typing…");
    assert_eq!(f.state.typing.describe(&with_bob, now), "bob is typing…");
    f.feed(ServerFrame::Msg(msg("general", 1, "alice", "done", DAY1)));
    assert_eq!(f.state.typing.describe(&general, now), "");
    f.feed(typing(None, Some("carol"), "bob", false));
    assert_eq!(f.state.typing.describe(&with_bob, now), "");
    f.feed(typing(Some("general"), None, "carol", true));
    assert_eq!(f.state.typing.describe(&general, now), "", "never myself");
}

#[test]
fn mentions_are_collected_but_not_my_own() {
    let mut f = fixture();
    f.feed(ServerFrame::Msg(msg(
        "general",
        1,
        "alice",
        "carol: ready?",
        DAY1,
    )));
    f.feed(ServerFrame::Msg(msg(
        "general",
        2,
        "carol",
        "carol is me",
        DAY1,
    )));
    f.feed(ServerFrame::Msg(msg("general", 3, "bob", "nobody", DAY1)));
    assert_eq!(f.state.mentions.len(), 1);
    assert!(f.state.mentions[0].contains("carol: ready?"));
}

#[test]
fn replies_edits_deletes_and_reactions_use_the_cache() {
    let mut f = fixture();
    f.feed(ServerFrame::Msg(msg(
        "general",
        1,
        "alice",
        "shall we deploy today",
        DAY1,
    )));
    let mut reply = msg("general", 2, "bob", "yes", DAY1);
    reply.reply_to = Some(1);
    let lines = f.feed(ServerFrame::Msg(reply));
    assert_eq!(
        lines,
        vec!["16:00 #general <bob> ↪ alice: \"shall we deploy today\" yes [2]"]
    );
    let react = ReactEvent {
        ch: "general".into(),
        id: 1,
        seq: 3,
        u: "carol".into(),
        emoji: "👍".into(),
        on: true,
        ts: DAY1,
    };
    let lines = f.feed(ServerFrame::React(react.clone()));
    assert_eq!(
        lines,
        vec!["16:00 #general carol reacted 👍 to alice's \"shall we deploy today\" [1] · 👍 1"]
    );
    assert!(f.state.my_reaction(1, "👍"));
    f.feed(ServerFrame::React(ReactEvent {
        on: false,
        seq: 4,
        ..react
    }));
    assert!(!f.state.my_reaction(1, "👍"));
    let edit = EditEvent {
        ch: "general".into(),
        id: 1,
        seq: 5,
        u: "alice".into(),
        c: "deploy tomorrow".into(),
        ts: DAY1,
        enc: None,
    };
    assert_eq!(
        f.feed(ServerFrame::Edit(edit)),
        vec!["16:00 #general alice edited [1]: deploy tomorrow"]
    );
    let delete = DeleteEvent {
        ch: "general".into(),
        id: 1,
        seq: 6,
        u: "alice".into(),
        ts: DAY1,
    };
    assert_eq!(
        f.feed(ServerFrame::Delete(delete)),
        vec!["16:00 #general alice deleted [1] (was: \"deploy tomorrow\")"]
    );
    assert_eq!(f.state.channel_of(1).as_deref(), Some("general"));
}

#[test]
fn sealed_messages_decrypt_or_say_why_not() {
    let mut f = fixture();
    let (create, root) =
        crate::client::keys::new_sealed_channel("pass phrase", true).expect("made");
    f.state.add_channel(
        "ops",
        ChannelMode::Sealed,
        &create.salt,
        &create.kdf,
        &create.kcv,
    );
    let mut locked = msg("ops", 1, "alice", "AAAA", DAY1);
    locked.enc = Some("xc20p1".into());
    let lines = f.feed(ServerFrame::Msg(locked));
    assert!(
        lines[1].contains("🔒#ops <alice> (encrypted: no key for #ops"),
        "{lines:?}"
    );
    f.keys
        .install_channel_root(
            "ops",
            create.salt.as_deref().unwrap_or_default(),
            create.kcv.as_deref().unwrap_or_default(),
            &root,
        )
        .expect("installed");
    f.keys.set_me("alice");
    let (c, _) = f
        .keys
        .seal_channel("ops", "msg", "secret plan")
        .expect("sealed");
    let mut sealed = msg("ops", 2, "alice", &c, DAY1);
    sealed.enc = Some("xc20p1".into());
    assert_eq!(
        f.feed(ServerFrame::Msg(sealed)),
        vec!["16:00 🔒#ops <alice> secret plan [2]"]
    );
}

#[test]
fn presence_and_key_changes_are_announced() {
    let mut f = fixture();
    let presence = ServerFrame::Presence {
        u: "bob".into(),
        state: PresenceState::Away,
        text: "lunch".into(),
        ts: DAY1,
    };
    assert_eq!(f.feed(presence.clone()), vec!["-- bob is away: lunch"]);
    assert!(
        f.feed(presence).is_empty(),
        "no repeat when nothing changed"
    );
    let first = crate::crypto::Identity::generate().public_b64();
    assert!(
        f.feed(ServerFrame::Key {
            u: "bob".into(),
            pk: first,
            ts: DAY1
        })
        .is_empty()
    );
    let second = crate::crypto::Identity::generate().public_b64();
    let lines = f.feed(ServerFrame::Key {
        u: "bob".into(),
        pk: second,
        ts: DAY1,
    });
    assert!(
        lines[0].starts_with("!!! WARNING: bob's identity key CHANGED"),
        "{lines:?}"
    );
    assert!(lines[1].contains("/trust bob"));
    let member = ServerFrame::Member {
        ch: "general".into(),
        u: "dave".into(),
        on: true,
        ts: DAY1,
    };
    assert_eq!(f.feed(member), vec!["-- dave joined #general"]);
}

#[test]
fn the_mention_indicator_counts_unseen_mentions_elsewhere_and_clears_when_looked_at() {
    let mut f = fixture();
    f.feed(ServerFrame::Msg(msg(
        "general",
        1,
        "alice",
        "carol, here",
        DAY1,
    )));
    assert_eq!(
        f.state.unseen_mentions(),
        0,
        "seen live in the current channel"
    );
    f.feed(ServerFrame::Msg(msg(
        "random",
        2,
        "alice",
        "@carol look",
        DAY1,
    )));
    f.feed(ServerFrame::Msg(msg("random", 3, "bob", "carol?", DAY1)));
    assert_eq!(f.state.unseen_mentions(), 2);
    assert_eq!(
        f.state.mentions.len(),
        3,
        "/mentions still lists all of them"
    );
    f.state.switch_to("random");
    assert_eq!(f.state.unseen_mentions(), 0);
    f.state.switch_to("general");
    f.feed(ServerFrame::Msg(msg("random", 4, "bob", "carol!", DAY1)));
    assert_eq!(f.state.unseen_mentions(), 1);
    f.state.mark_mentions_seen();
    assert_eq!(f.state.unseen_mentions(), 0);
    assert_eq!(f.state.mentions.len(), 4);
}

#[test]
fn hostile_presence_texts_and_errors_print_without_control_sequences() {
    let mut f = fixture();
    let lines = f.feed(ServerFrame::Presence {
        u: "alice".into(),
        state: PresenceState::Away,
        text: "\u{1b}]52;c;ZXZpbA==\u{7}".into(),
        ts: DAY1,
    });
    assert_eq!(lines.len(), 1);
    assert!(
        !lines[0].contains('\u{1b}') && !lines[0].contains('\u{7}'),
        "{lines:?}"
    );
}

#[test]
fn a_presences_frame_announces_each_changed_user_but_not_oneself() {
    let mut f = fixture();
    let entry = |u: &str, state: PresenceState, text: &str| crate::proto::PresenceEntry {
        u: u.into(),
        state,
        text: text.into(),
    };
    let batch = ServerFrame::Presences {
        users: vec![
            entry("bob", PresenceState::Away, "lunch"),
            entry("carol", PresenceState::Online, ""),
            entry("dave", PresenceState::Online, ""),
        ],
        ts: DAY1,
    };
    assert_eq!(
        f.feed(batch.clone()),
        vec!["-- bob is away: lunch", "-- dave is online"],
        "one line per other user, none for carol herself"
    );
    assert!(f.feed(batch).is_empty(), "no repeat when nothing changed");
    let bad = ServerFrame::Presences {
        users: vec![entry("bad name", PresenceState::Online, "")],
        ts: DAY1,
    };
    assert!(
        invalid_name_in(&bad).is_some(),
        "a listed name is validated like a presence frame's"
    );
}
