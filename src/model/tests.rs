//! Unit tests of the domain model: name newtypes (case-insensitive equality, hashing and order,
//! validation, serde round trips) and scopes.

use std::collections::{BTreeSet, HashSet};

use super::{ChannelName, NameError, Scope, UserName};

fn user(text: &str) -> UserName {
    UserName::parse(text).expect(text)
}

#[test]
fn user_names_are_equal_hashed_and_ordered_ignoring_case_but_keep_their_spelling() {
    assert_eq!(user("Alice"), user("aLICE"));
    assert_ne!(user("alice"), user("alicia"));
    let set: HashSet<UserName> = ["Alice", "ALICE", "alice", "bob"].map(user).into();
    assert_eq!(set.len(), 2);
    let mut sorted: BTreeSet<UserName> = ["carol", "Bob", "alice"].map(user).into();
    assert!(!sorted.insert(user("BOB")), "BOB is already there as Bob");
    let sorted: Vec<String> = sorted.into_iter().map(String::from).collect();
    assert_eq!(sorted, ["alice", "Bob", "carol"]);
    assert_eq!(user("Alice").as_str(), "Alice");
    assert_eq!(user("Alice").canonical(), "alice");
    assert!(user("Alice").is("ALICE"));
    assert!(!user("Alice").is("Alice "));
}

#[test]
fn user_names_are_validated() {
    for good in ["alice", "Bob_1", "a-b", &"x".repeat(32)] {
        assert!(UserName::parse(good).is_ok(), "{good}");
    }
    for bad in ["", "al ice", "ålice", &"x".repeat(33), "a.b", "a:b", "#a"] {
        assert_eq!(UserName::parse(bad).unwrap_err(), NameError::User, "{bad}");
    }
}

#[test]
fn channel_names_are_canonical_lowercase_without_the_hash() {
    assert_eq!(ChannelName::parse("#General").unwrap().as_str(), "general");
    assert_eq!(
        ChannelName::parse("GENERAL").unwrap(),
        ChannelName::parse("#general").unwrap()
    );
    for bad in ["#", "", "a b", "#café", &"c".repeat(33), "##x"] {
        assert_eq!(ChannelName::parse(bad).unwrap_err(), NameError::Channel);
    }
}

#[test]
fn names_round_trip_through_serde_and_deserializing_validates() {
    let name: UserName = serde_json::from_str(r#""Bob""#).unwrap();
    assert_eq!(name.as_str(), "Bob");
    assert_eq!(serde_json::to_string(&name).unwrap(), r#""Bob""#);
    assert!(serde_json::from_str::<UserName>(r#""bad name""#).is_err());
    assert!(serde_json::from_str::<UserName>("7").is_err());

    let channel: ChannelName = serde_json::from_str(r##""#Ops""##).unwrap();
    assert_eq!(serde_json::to_string(&channel).unwrap(), r#""ops""#);
    assert!(serde_json::from_str::<ChannelName>(r#""no way""#).is_err());

    let scope: Scope = serde_json::from_str(r#""@bob:alice""#).unwrap();
    assert_eq!(serde_json::to_string(&scope).unwrap(), r#""@alice:bob""#);
    assert!(serde_json::from_str::<Scope>(r#""general""#).is_err());
}

#[test]
fn scopes_spell_channels_and_sorted_lowercase_dm_pairs() {
    let channel = Scope::Channel(ChannelName::parse("ops").unwrap());
    assert_eq!(channel.to_string(), "#ops");
    let dm = Scope::dm(&user("Bob"), &user("alice"));
    assert_eq!(dm.to_string(), "@alice:bob");
    assert_eq!(dm, Scope::dm(&user("ALICE"), &user("bob")));
    assert_eq!(Scope::parse("@alice:bob").unwrap(), dm);
    assert_eq!(Scope::parse("#ops").unwrap(), channel);
    for bad in ["ops", "#Ops", "@alice", "@alice:", "@a b:c", "#"] {
        assert_eq!(Scope::parse(bad).unwrap_err(), NameError::Scope, "{bad}");
    }
}

mod fold {
    use crate::model::fold::{Change, fold};
    use crate::model::message::MessageEvent;

    fn message() -> MessageEvent {
        MessageEvent {
            ch: "general".into(),
            id: 10,
            seq: 3,
            u: "alice".into(),
            c: Some("hello".into()),
            ts: 1_000,
            enc: None,
            reply_to: Some(7),
            edited: None,
            deleted: false,
            reacts: None,
            sys: None,
        }
    }

    fn react(user: &str, emoji: &str, on: bool) -> Change {
        Change::React {
            user: user.into(),
            emoji: emoji.into(),
            on,
        }
    }

    #[test]
    fn latest_edit_wins_and_sets_edited() {
        let edits = [
            Change::Edit {
                c: "one".into(),
                enc: None,
                ts: 2_000,
            },
            Change::Edit {
                c: "two".into(),
                enc: None,
                ts: 3_000,
            },
        ];
        let folded = fold(message(), &edits);
        assert_eq!(folded.c.as_deref(), Some("two"));
        assert_eq!(folded.edited, Some(3_000));
        assert_eq!(folded.ts, 1_000);
    }

    #[test]
    fn delete_keeps_identity_and_drops_content() {
        let changes = [
            react("bob", "👍", true),
            Change::Edit {
                c: "x".into(),
                enc: None,
                ts: 2_000,
            },
            Change::Delete,
            react("carol", "🎉", true),
            Change::Edit {
                c: "revived?".into(),
                enc: None,
                ts: 4_000,
            },
        ];
        let folded = fold(message(), &changes);
        assert!(folded.deleted);
        assert_eq!(
            (folded.id, folded.seq, folded.u.as_str(), folded.ts),
            (10, 3, "alice", 1_000)
        );
        assert_eq!(folded.c, None);
        assert_eq!(folded.enc, None);
        assert_eq!(folded.edited, None);
        assert_eq!(folded.reacts, None);
        assert_eq!(folded.reply_to, Some(7));
    }

    #[test]
    fn reactions_keep_order_dedupe_and_vanish_when_empty() {
        let changes = [
            react("bob", "👍", true),
            react("carol", "👍", true),
            react("Bob", "👍", true),
            react("dave", "🎉", true),
            react("bob", "👍", false),
            react("dave", "🎉", false),
            react("erin", "🤷", false),
        ];
        let folded = fold(message(), &changes);
        let reacts = folded.reacts.expect("one emoji left");
        assert_eq!(reacts.len(), 1);
        assert_eq!(reacts["👍"], vec!["carol".to_string()]);

        let cleared = fold(
            message(),
            &[react("bob", "👍", true), react("bob", "👍", false)],
        );
        assert_eq!(cleared.reacts, None);
    }

    #[test]
    fn broadcast_frames_fold_exactly_like_the_stored_changes() {
        use crate::proto::{DeleteEvent, EditEvent, ReactEvent, ServerFrame};
        let react = |seq: i64, u: &str, on: bool| {
            ServerFrame::React(ReactEvent {
                ch: "general".into(),
                id: 10,
                seq,
                u: u.into(),
                emoji: "👍".into(),
                on,
                ts: 1_000 + seq,
            })
        };
        let frames = [
            react(4, "bob", true),
            ServerFrame::Edit(EditEvent {
                ch: "general".into(),
                id: 10,
                seq: 5,
                u: "alice".into(),
                c: "fixed".into(),
                ts: 2_000,
                enc: None,
            }),
            react(6, "Carol", true),
            react(7, "BOB", false),
        ];
        let mut from_frames = message();
        for frame in &frames {
            let (target, change) = frame.change().expect("a change");
            assert_eq!(target, 10);
            crate::model::fold::apply(&mut from_frames, &change);
        }
        let changes = [
            react_change("bob", "👍", true),
            Change::Edit {
                c: "fixed".into(),
                enc: None,
                ts: 2_000,
            },
            react_change("Carol", "👍", true),
            react_change("BOB", "👍", false),
        ];
        assert_eq!(from_frames, fold(message(), &changes));
        assert_eq!(from_frames.c.as_deref(), Some("fixed"));
        let reacts = from_frames.reacts.clone().expect("carol's reaction");
        assert_eq!(reacts["👍"], vec!["Carol".to_string()]);

        let delete = ServerFrame::Delete(DeleteEvent {
            ch: "general".into(),
            id: 10,
            seq: 8,
            u: "alice".into(),
            ts: 3_000,
        });
        assert_eq!(delete.change(), Some((10, Change::Delete)));
        assert_eq!(ServerFrame::Pong { rid: None, ts: 1 }.change(), None);
    }

    #[test]
    fn a_reaction_map_alone_folds_like_a_message_s() {
        let mut reacts = std::collections::BTreeMap::new();
        crate::model::fold::apply_reaction(&mut reacts, "bob", "👍", true);
        crate::model::fold::apply_reaction(&mut reacts, "carol", "👍", true);
        crate::model::fold::apply_reaction(&mut reacts, "BOB", "👍", true);
        assert_eq!(reacts["👍"], vec!["bob".to_string(), "carol".to_string()]);
        crate::model::fold::apply_reaction(&mut reacts, "Bob", "👍", false);
        crate::model::fold::apply_reaction(&mut reacts, "carol", "👍", false);
        assert!(reacts.is_empty(), "an emoji without users disappears");
    }

    fn react_change(user: &str, emoji: &str, on: bool) -> Change {
        Change::React {
            user: user.into(),
            emoji: emoji.into(),
            on,
        }
    }

    #[test]
    fn a_dm_folds_exactly_like_a_channel_message() {
        let dm = crate::model::DmEvent {
            id: 10,
            from: "alice".into(),
            to: "bob".into(),
            c: "hello".into(),
            enc: "xc20p1".into(),
            ts: 1_000,
            reply_to: Some(7),
            edited: None,
            deleted: false,
            reacts: None,
        };
        let changes = [
            react("bob", "👍", true),
            Change::Edit {
                c: "two".into(),
                enc: Some("xc20p1".into()),
                ts: 3_000,
            },
        ];
        let (folded_dm, folded_message) = (fold(dm.clone(), &changes), fold(message(), &changes));
        assert_eq!(Some(folded_dm.c.as_str()), folded_message.c.as_deref());
        assert_eq!(folded_dm.edited, folded_message.edited);
        assert_eq!(folded_dm.reacts, folded_message.reacts);
        let deleted = fold(folded_dm, &[Change::Delete, react("carol", "🎉", true)]);
        assert!(deleted.deleted && deleted.c.is_empty() && deleted.enc.is_empty());
        assert_eq!((deleted.edited, &deleted.reacts), (None, &None));
        assert_eq!(
            (deleted.id, deleted.reply_to, deleted.ts),
            (10, Some(7), 1_000)
        );
        let wire = serde_json::to_value(&deleted).expect("serializes");
        assert!(
            wire.get("c").is_none() && wire.get("enc").is_none(),
            "{wire}"
        );
    }

    #[test]
    fn an_action_is_marked_inside_the_text() {
        use crate::model::message::{action_body, action_text};
        let body = action_body("waves");
        assert_eq!(action_text(&body), Some("waves"));
        assert_eq!(
            action_text("/me nods"),
            Some("nods"),
            "what older clients sent"
        );
        assert_eq!(action_text("waves"), None);
        assert_eq!(
            action_text("ACTION waves"),
            None,
            "typed words are no action"
        );
    }
}
