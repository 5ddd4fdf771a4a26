use super::*;

fn user(name: &str) -> UserName {
    UserName::parse(name).expect("valid name")
}

fn online(name: &str) -> Effect {
    Effect::Presence(user(name), PresenceState::Online, String::new())
}

fn offline(name: &str) -> Effect {
    Effect::Presence(user(name), PresenceState::Offline, String::new())
}

#[test]
fn a_silent_node_takes_its_users_offline_after_three_missed_heartbeats() {
    let beat = Duration::from_secs(1);
    let start = Instant::now();
    let mut table = RemoteTable::default();
    let alice = user("alice");
    let effects = table.delta(
        "a",
        1,
        Delta::Presence(&alice, PresenceState::Online, ""),
        start,
    );
    assert_eq!(effects, vec![online("alice")]);
    assert_eq!(table.expire(beat, start + beat * 3), Vec::new());
    assert_eq!(table.expire(beat, start + beat * 4), vec![offline("alice")]);
    assert_eq!(table.presence(&alice), None);
}

#[test]
fn a_user_online_on_two_nodes_stays_online_when_one_of_them_dies() {
    let beat = Duration::from_secs(1);
    let start = Instant::now();
    let mut table = RemoteTable::default();
    let bob = user("bob");
    table.delta(
        "a",
        1,
        Delta::Presence(&bob, PresenceState::Online, ""),
        start,
    );
    let later = start + beat * 2;
    let effects = table.delta(
        "b",
        1,
        Delta::Presence(&bob, PresenceState::Online, ""),
        later,
    );
    assert_eq!(effects, Vec::new(), "already online: nothing to announce");
    assert!(
        table.beat("b", 1, beat, later + beat * 2),
        "b never sent a snapshot"
    );
    assert_eq!(table.expire(beat, later + beat * 2), Vec::new());
    assert!(table.presence(&bob).is_some());
}

#[test]
fn a_gap_or_an_unknown_node_asks_for_a_snapshot_which_replaces_the_node() {
    let now = Instant::now();
    let mut table = RemoteTable::default();
    assert!(
        table.beat("a", 0, Duration::from_secs(1), now),
        "never synced"
    );
    let carol = user("carol");
    let dave = user("dave");
    table.delta(
        "a",
        1,
        Delta::Presence(&carol, PresenceState::Away, "lunch"),
        now,
    );
    let part = SnapshotPart {
        seq: 3,
        first: true,
        last: true,
        users: vec![(dave.clone(), (PresenceState::Busy, String::new()))],
        voice: vec![("general".into(), dave.clone())],
    };
    let mut effects = table.snapshot_part("a", part, now);
    effects.sort_by_key(|effect| format!("{effect:?}"));
    assert_eq!(
        effects,
        vec![
            offline("carol"),
            Effect::Presence(dave.clone(), PresenceState::Busy, String::new()),
            Effect::VoiceMember("general".into(), dave.clone(), true),
        ]
    );
    assert!(
        !table.beat("a", 3, Duration::from_secs(1), now),
        "in step after the snapshot"
    );
    assert_eq!(table.voice_members("general"), vec!["dave".to_string()]);
    table.delta("a", 5, Delta::Voice("general", &dave, false), now);
    assert!(
        table.beat("a", 5, Duration::from_secs(1), now),
        "change 4 was lost: ask again"
    );
    assert!(table.voice_members("general").is_empty());
}

#[test]
fn a_node_is_expired_by_its_own_heartbeat_interval() {
    let start = Instant::now();
    let mut table = RemoteTable::default();
    let erin = user("erin");
    table.beat("slow", 0, Duration::from_secs(5), start);
    table.delta(
        "slow",
        1,
        Delta::Presence(&erin, PresenceState::Online, ""),
        start,
    );
    let fast = Duration::from_millis(200);
    assert_eq!(
        table.expire(fast, start + Duration::from_secs(10)),
        Vec::new()
    );
    assert_eq!(
        table.expire(fast, start + Duration::from_secs(16)),
        vec![offline("erin")]
    );
}

#[test]
fn the_number_of_nodes_tracked_is_bounded() {
    let now = Instant::now();
    let mut table = RemoteTable::default();
    for node in 0..MAX_REMOTE_NODES + 5 {
        table.beat(&format!("n{node}"), 0, Duration::from_secs(1), now);
    }
    assert_eq!(table.nodes.len(), MAX_REMOTE_NODES);
}
