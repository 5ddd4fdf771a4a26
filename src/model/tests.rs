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
