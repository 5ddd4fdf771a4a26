//! Issue 9 point 11 in the store: a deletion removes the message's words from the full-text
//! index with the text it was indexed with, so after any mix of edits, deletions, history
//! purges and a channel deletion the index is consistent (FTS5 `integrity-check`), finds every
//! live word and none of a deleted message's, and the log keeps a tombstone at its id.

use super::*;
use chatify::store::AdminOp;

fn fts_integrity_check(path: &Path) {
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
    let words = words.to_string();
    fx.read(move |r| r.search(&channels, &words, &SearchOptions::default()))
        .await
        .iter()
        .map(|m| m.id)
        .collect()
}

#[tokio::test]
async fn deletions_edits_and_purges_keep_the_full_text_index_exact() {
    let fx = Fixture::new();
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
