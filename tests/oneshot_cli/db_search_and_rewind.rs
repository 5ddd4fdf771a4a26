//! `search --db` (words, prefixes, phrases, sort orders, author/time/limit filters, edited and
//! deleted text) and `rewind --db` (the channel as it stood at relative, RFC 3339 and wall-clock
//! times, with limits and an author filter).

use chatify::store::AppendOp;

use crate::db_fixture::{DbFixture, small_conversation};
use crate::{HOUR, MINUTE, now_ms, texts};

#[tokio::test]
async fn db_search_supports_words_prefixes_phrases_sort_and_filters() {
    let fixture = DbFixture::new(now_ms()).await;
    small_conversation(&fixture).await;
    fixture.set_time(now_ms() - 10 * MINUTE);
    fixture
        .say("general", "carol_is_not_here", "deploy failed again")
        .await;
    let db = fixture.db();
    let search = |args: &[&str]| {
        let mut all = vec!["search", "#general"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--json", "--db", db]);
        fixture.cli().args(all).run()
    };

    let words = search(&["deploy", "failed"]).await.json();
    assert_eq!(words.len(), 2);
    let newest = search(&["deploy failed", "--sort", "newest"]).await.json();
    assert_eq!(
        texts(&newest),
        ["deploy failed again", "deploy failed on node 4"]
    );
    let prefix = search(&["roll*"]).await.json();
    assert_eq!(texts(&prefix), ["rolling back the deploy now"]);
    let phrase = search(&["\"failed on node\""]).await.json();
    assert_eq!(texts(&phrase), ["deploy failed on node 4"]);
    search(&["\"node failed\""]).await.assert_code(1);
    let by_bob = search(&["deploy", "--from", "bob"]).await.json();
    assert_eq!(texts(&by_bob), ["deploy failed on node 4"]);
    let recent = search(&["deploy", "--since", "1h", "--sort", "newest"])
        .await
        .json();
    assert_eq!(
        texts(&recent),
        ["deploy failed again", "rolling back the deploy now"]
    );
    let old = search(&["deploy", "--until", "1h"]).await.json();
    assert_eq!(texts(&old), ["deploy failed on node 4"]);
    let one = search(&["deploy", "--limit", "1", "--sort", "newest"])
        .await
        .json();
    assert_eq!(texts(&one), ["deploy failed again"]);
    // The edited-away text is not found; the deleted message is never found.
    search(&["node 3"]).await.assert_code(1);
    search(&["doomed"]).await.assert_code(1);
    search(&["deploy", "--limit", "501"]).await.assert_code(2);
    let ranked = fixture
        .cli()
        .args(["search", "#general", "deploy", "--sort", "rank", "--db", db])
        .run()
        .await;
    assert!(
        ranked
            .assert_code(0)
            .stdout()
            .contains("<bob> deploy failed on node 4")
    );
}

/// Two messages at `now - 3h`; at `now - 1h` the first is edited, the second deleted and a third
/// one said.
async fn rewritten_channel(fixture: &DbFixture, now: i64) {
    fixture.set_time(now - 3 * HOUR);
    let first = fixture.say("general", "alice", "original words").await;
    let second = fixture.say("general", "bob", "still here then").await;
    fixture.set_time(now - HOUR);
    fixture
        .append(AppendOp::Edit {
            channel: "general".into(),
            sender: "alice".into(),
            target: first,
            c: "rewritten words".into(),
            enc: None,
            idx: None,
        })
        .await;
    fixture
        .append(AppendOp::Delete {
            channel: "general".into(),
            sender: "bob".into(),
            target: second,
        })
        .await;
    fixture.say("general", "alice", "a later message").await;
}

#[tokio::test]
async fn db_rewind_shows_the_channel_as_it_stood() {
    let fixture = DbFixture::new(now_ms()).await;
    let now = now_ms();
    rewritten_channel(&fixture, now).await;
    let db = fixture.db();
    let rewind = |args: &[&str]| {
        let mut all = vec!["rewind", "#general"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--db", db]);
        fixture.cli().args(all).run()
    };

    let then = rewind(&["--at", "2h", "--json"]).await.json();
    // The second message was deleted later: its text is gone for good (issue 9 point 11), so
    // it shows deleted at every time.
    assert_eq!(texts(&then), ["original words", "<null>"]);
    assert!(then.iter().all(|r| r["edited"].is_null()));
    assert_eq!(
        then.iter()
            .map(|r| r["deleted"].clone())
            .collect::<Vec<_>>(),
        [serde_json::json!(false), serde_json::json!(true)]
    );
    let at = chrono::DateTime::from_timestamp_millis(now - 2 * HOUR).expect("time");
    let rfc = rewind(&["--at", &at.to_rfc3339(), "--json"]).await.json();
    assert_eq!(texts(&rfc), texts(&then));
    let wall = at.format("%Y-%m-%d %H:%M").to_string();
    let human = rewind(&["--at", &wall]).await;
    let out = human.assert_code(0).stdout();
    assert!(out.starts_with("-- #general as it stood at"), "{out}");
    assert!(out.contains("<alice> original words"), "{out}");
    assert!(!out.contains("later"), "{out}");

    let current = rewind(&["--at", "now", "--json"]).await.json();
    assert_eq!(
        texts(&current),
        ["rewritten words", "<null>", "a later message"]
    );
    let one = rewind(&["--at", "now", "--limit", "1", "--json"])
        .await
        .json();
    assert_eq!(texts(&one), ["a later message"]);
    let bobs = rewind(&["--at", "2h", "--from", "bob", "--json"])
        .await
        .json();
    assert_eq!(texts(&bobs), ["<null>"], "bob's message, deleted since");
    rewind(&["--at", "4h"]).await.assert_code(1);
    rewind(&["--at", "now", "--limit", "501"])
        .await
        .assert_code(2);
}
