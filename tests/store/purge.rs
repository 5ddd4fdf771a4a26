//! Issue 9 point 11 in the store: a deletion removes the message's words from the full-text
//! index with the text it was indexed with, so after any mix of edits, deletions, history
//! purges and a channel deletion the index is consistent (FTS5 `integrity-check`), finds every
//! live word and none of a deleted message's, and the log keeps a tombstone at its id. Run twice:
//! with every message indexed before the changes, and with none indexed yet (the writer indexes
//! in steps of its own, `fts_steps`; its idle steps are held off so the changes meet messages
//! above the index position).

use super::*;
use chatify::store::AdminOp;

pub(crate) fn fts_integrity_check(path: &Path) {
    let conn = rusqlite::Connection::open(path).expect("open");
    conn.execute(
        "INSERT INTO message_fts (message_fts, rank) VALUES ('integrity-check', 1)",
        [],
    )
    .expect("the full-text index is consistent");
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("integrity_check");
    assert_eq!(ok, "ok");
}

async fn hits(fx: &Fixture, channels: &[&str], words: &str) -> Vec<i64> {
    let channels: Vec<String> = channels.iter().map(|c| c.to_string()).collect();
    fx.search(channels, words, SearchOptions::default())
        .await
        .iter()
        .map(|m| m.id)
        .collect()
}

/// A writer that indexes only when a search asks (or the backlog reaches the threshold).
pub(crate) const NO_IDLE_STEPS: u64 = 3_600_000;

#[tokio::test]
async fn deletions_edits_and_purges_keep_the_full_text_index_exact() {
    deletions_edits_and_purges_scenario(true).await;
}

#[tokio::test]
async fn deletions_edits_and_purges_of_messages_not_indexed_yet_keep_the_index_exact() {
    deletions_edits_and_purges_scenario(false).await;
}

async fn deletions_edits_and_purges_scenario(indexed_before_changes: bool) {
    let fx = Fixture::with(|options| options.search_index_idle_ms = NO_IDLE_STEPS);
    fx.users(&["alice"]).await;
    fx.channel("ops", ChannelMode::Open, &["alice"]).await;
    fx.channel("gone", ChannelMode::Open, &["alice"]).await;
    let mut ids = Vec::new();
    for n in 0..30 {
        fx.set_time(T0 + n * 1_000);
        let text = format!("shared word{n} common");
        ids.push(fx.msg("ops", "alice", &text).await.id);
        fx.msg("gone", "alice", &text).await;
    }
    if indexed_before_changes {
        fx.store
            .bring_search_index_up_to_date()
            .await
            .expect("indexed");
    }
    fx.set_time(T0 + 40_000);
    for (n, id) in ids.iter().enumerate().filter(|(n, _)| n % 3 == 0) {
        let edit = edit_op("ops", "alice", *id, &format!("shared edited{n} common"));
        fx.append(edit).await.expect("edit");
    }
    for id in ids.iter().step_by(2) {
        fx.append(delete_op("ops", "alice", *id))
            .await
            .expect("delete");
    }
    let purge = AdminOp::PurgeHistory {
        channel: "ops".into(),
        before_ms: T0 + 5_000,
        max_messages: 100,
    };
    fx.store.administer(purge).await.expect("purge");
    let delete_channel = AdminOp::DeleteChannel {
        channel: "gone".into(),
    };
    fx.store
        .administer(delete_channel)
        .await
        .expect("delete channel");

    if !indexed_before_changes {
        let unindexed = fx
            .read(|r| r.search(&["ops".into()], "shared", &SearchOptions::default()))
            .await;
        assert!(unindexed.is_empty(), "nothing indexed yet: {unindexed:?}");
    }
    // Live: odd n from 5 on; every third of them edited.
    let live: Vec<usize> = (5..30).filter(|n| n % 2 == 1).collect();
    let mut found = hits(&fx, &["ops", "gone"], "shared common").await;
    found.sort_unstable();
    assert_eq!(found, live.iter().map(|n| ids[*n]).collect::<Vec<_>>());
    for (n, id) in ids.iter().enumerate() {
        let expected = if live.contains(&n) && n % 3 != 0 {
            vec![*id]
        } else {
            Vec::new()
        };
        assert_eq!(
            hits(&fx, &["ops"], &format!("word{n}")).await,
            expected,
            "word{n}"
        );
        let edited = if live.contains(&n) && n % 3 == 0 {
            vec![*id]
        } else {
            Vec::new()
        };
        assert_eq!(
            hits(&fx, &["ops"], &format!("edited{n}")).await,
            edited,
            "edited{n}"
        );
    }
    let page = fx.read(|r| r.history_after("ops", 0, 500)).await;
    // A deleted message that no purge took stays in the log as a tombstone at its id.
    for n in (5..30).filter(|n| n % 2 == 0) {
        let tombstone = page.events.iter().find(|event| event.id == ids[n]);
        assert!(
            tombstone.is_some_and(|event| matches!(event.body, EventBody::Purged { .. })),
            "message {n}: {tombstone:?}"
        );
    }
    assert!(
        page.events.iter().all(|event| match &event.body {
            EventBody::Msg { c, .. } | EventBody::Edit { c, .. } =>
                !c.contains("word") || live.iter().any(|n| c.contains(&format!("word{n} "))),
            _ => true,
        }),
        "no deleted text in the log: {:?}",
        page.events
    );
    fx.store.close();
    fts_integrity_check(&fx.path);
}

/// Deleting a channel that holds the newest events of the log never lets their ids be handed
/// out again (ids only ever rise: clients key messages, replies, edits and reactions by id), in
/// the same writer and after a restart (the operator deletes channels with the server stopped),
/// and a new message above the deleted ids is still indexed for search.
#[tokio::test]
async fn deleting_the_channel_with_the_newest_events_never_lets_their_ids_be_reused() {
    let mut fx = Fixture::with(|options| options.search_index_idle_ms = NO_IDLE_STEPS);
    fx.users(&["alice"]).await;
    fx.channel("a", ChannelMode::Open, &["alice"]).await;
    fx.channel("b", ChannelMode::Open, &["alice"]).await;
    fx.msg("a", "alice", "older words").await;
    fx.msg("b", "alice", "newest words one").await;
    let newest_ever = fx.msg("b", "alice", "newest words two").await.id;
    fx.store
        .bring_search_index_up_to_date()
        .await
        .expect("indexed");
    let delete_b = AdminOp::DeleteChannel {
        channel: "b".into(),
    };
    fx.store.administer(delete_b).await.expect("delete #b");
    let next = fx.msg("a", "alice", "after the deletion").await.id;
    assert!(
        next > newest_ever,
        "id {next} reuses an id up to {newest_ever}"
    );

    fx.channel("b", ChannelMode::Open, &["alice"]).await;
    let newest_ever = fx.msg("b", "alice", "again the newest").await.id;
    let delete_b = AdminOp::DeleteChannel {
        channel: "b".into(),
    };
    fx.store
        .administer(delete_b)
        .await
        .expect("delete #b again");
    fx.reopen();
    let after_restart = fx.msg("a", "alice", "fresh after restart").await.id;
    assert!(
        after_restart > newest_ever,
        "id {after_restart} reuses an id up to {newest_ever} after a restart"
    );
    assert_eq!(hits(&fx, &["a"], "fresh").await, vec![after_restart]);
    assert_eq!(hits(&fx, &["a"], "deletion").await, vec![next]);
    fx.store.close();
    fts_integrity_check(&fx.path);
}
