//! `history --db`: the human timeline with its marks, the JSON Lines shape, filters by time,
//! author and limit, exit codes 0/1/2, paging through thousands of events, and a closed stdout
//! pipe.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::db_fixture::{DbFixture, small_conversation};
use crate::{CLI_TIMEOUT, MINUTE, now_ms, texts};

#[tokio::test]
async fn db_history_prints_the_timeline_with_marks() {
    let fixture = DbFixture::new(now_ms()).await;
    let [hello, doomed, fixed, reply] = small_conversation(&fixture).await;

    let run = fixture
        .cli()
        .args(["history", "#general", "--db", fixture.db()])
        .run()
        .await;
    run.assert_code(0);
    let out = run.stdout();
    assert!(
        out.contains(&format!("#general <alice> hello world [{hello}]")),
        "{out}"
    );
    assert!(
        out.contains(&format!("(message deleted) [{doomed}]")),
        "{out}"
    );
    assert!(
        out.contains(&format!("deploy failed on node 4 (edited) [{fixed}]")),
        "{out}"
    );
    assert!(out.contains("↪ bob: \"deploy failed on node 4\""), "{out}");
    assert!(
        out.contains(&format!("rolling back the deploy now 👍 1 [{reply}]")),
        "{out}"
    );
    assert!(
        out.lines().next().unwrap_or_default().starts_with("────"),
        "day separator first: {out}"
    );
    assert!(
        !out.contains('\u{1b}'),
        "no colour when not a terminal: {out:?}"
    );
}

/// Every JSON record has exactly the documented keys, and `ts_iso` is `ts` in UTC RFC 3339.
fn assert_stable_channel_record(record: &Value) {
    let expected_keys: BTreeSet<&str> = [
        "id",
        "seq",
        "ch",
        "u",
        "ts",
        "ts_iso",
        "text",
        "edited",
        "deleted",
        "reply_to",
        "reacts",
        "sealed",
        "undecryptable",
        "sys",
    ]
    .into();
    let keys: BTreeSet<&str> = record
        .as_object()
        .expect("object")
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(keys, expected_keys, "{record}");
    assert_eq!(record["ch"], "general");
    assert_eq!(record["sealed"], false);
    let ts = record["ts"].as_i64().expect("ts");
    let iso = chrono::DateTime::parse_from_rfc3339(record["ts_iso"].as_str().expect("iso"))
        .expect("RFC 3339");
    assert_eq!(iso.timestamp_millis(), ts);
    assert!(record["ts_iso"].as_str().expect("iso").ends_with('Z'));
}

#[tokio::test]
async fn db_history_prints_json_lines_with_stable_fields() {
    let fixture = DbFixture::new(now_ms()).await;
    let [hello, _doomed, fixed, _reply] = small_conversation(&fixture).await;

    let records = fixture
        .cli()
        .args(["history", "general", "--json", "--db", fixture.db()])
        .run()
        .await
        .json();
    assert_eq!(records.len(), 4);
    records.iter().for_each(assert_stable_channel_record);
    assert_eq!(
        texts(&records),
        [
            "hello world",
            "<null>",
            "deploy failed on node 4",
            "rolling back the deploy now"
        ]
    );
    assert_eq!(records[0]["id"], hello);
    assert_eq!(records[0]["u"], "alice");
    assert_eq!(records[0]["seq"], 1);
    assert_eq!(records[1]["deleted"], true);
    assert!(records[2]["edited"].is_i64());
    assert!(records[0]["edited"].is_null());
    assert_eq!(records[3]["reply_to"], fixed);
    assert_eq!(records[3]["reacts"], serde_json::json!({"👍": ["bob"]}));
    assert_eq!(records[0]["reacts"], serde_json::json!({}));
    let seqs: Vec<i64> = records
        .iter()
        .map(|r| r["seq"].as_i64().expect("seq"))
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "oldest first: {seqs:?}"
    );
}

#[tokio::test]
async fn db_history_filters_by_time_author_and_limit() {
    let fixture = DbFixture::new(now_ms()).await;
    small_conversation(&fixture).await;
    let db = fixture.db();
    let history = |extra: &[&str]| {
        let mut args = vec!["history", "#general", "--json", "--db", db];
        args.extend_from_slice(extra);
        fixture.cli().args(args).run()
    };

    let last_hour = history(&["--since", "1h"]).await.json();
    assert_eq!(texts(&last_hour), ["rolling back the deploy now"]);
    let window = history(&["--since", "150m", "--until", "1h"]).await.json();
    assert_eq!(texts(&window), ["deploy failed on node 4"]);
    let older = history(&["--until", "150m"]).await.json();
    assert_eq!(older.len(), 2, "hello and the deleted one");

    // RFC 3339 and local wall-clock forms (the CLI runs with TZ=UTC).
    let cut = chrono::DateTime::from_timestamp_millis(now_ms() - 150 * MINUTE).expect("time");
    let rfc = cut.to_rfc3339();
    assert_eq!(history(&["--since", &rfc]).await.json().len(), 2);
    let wall = cut.format("%Y-%m-%d %H:%M").to_string();
    assert_eq!(history(&["--since", &wall]).await.json().len(), 2);

    let bobs = history(&["--from", "BOB"]).await.json();
    assert_eq!(bobs.len(), 2);
    assert!(bobs.iter().all(|r| r["u"] == "bob"));

    let limited = history(&["--limit", "2"]).await;
    let records = limited.json();
    assert_eq!(
        texts(&records),
        ["deploy failed on node 4", "rolling back the deploy now"]
    );
    assert!(
        limited.stderr().contains("older messages exist"),
        "{}",
        limited.stderr()
    );
    let short = fixture
        .cli()
        .args(["history", "#general", "-n", "1", "--db", db])
        .run()
        .await;
    assert_eq!(
        short.assert_code(0).lines().len(),
        2,
        "separator and one message"
    );
}

#[tokio::test]
async fn db_exit_code_1_means_nothing_was_found() {
    let fixture = DbFixture::new(now_ms()).await;
    small_conversation(&fixture).await;
    let db = fixture.db();

    let nothing = fixture
        .cli()
        .args(["history", "#general", "--from", "carol", "--db", db])
        .run()
        .await;
    nothing.assert_code(1);
    assert_eq!(nothing.stdout(), "");
    assert!(
        nothing.stderr().contains("no messages"),
        "{}",
        nothing.stderr()
    );
    let nothing_json = fixture
        .cli()
        .args(["history", "#general", "--since", "1m", "--json", "--db", db])
        .run()
        .await;
    nothing_json.assert_code(1);
    assert_eq!(nothing_json.stdout(), "");
    fixture
        .cli()
        .args(["search", "#general", "zebra", "--db", db])
        .run()
        .await
        .assert_code(1);
}

/// Invocations that must fail with exit 2: bad names, times, limits, missing flags and files.
fn exit_2_cases<'a>(db: &'a str, missing: &'a str) -> Vec<Vec<&'a str>> {
    vec![
        vec!["history", "#no such", "--db", db],
        vec!["history", "#nochannel", "--db", db],
        vec!["history", "#general", "--since", "yesterday", "--db", db],
        vec![
            "history", "#general", "--since", "1h", "--until", "2h", "--db", db,
        ],
        vec!["history", "#general", "--limit", "0", "--db", db],
        vec!["history", "#general", "--as", "alice"],
        vec!["history", "#general", "--db", missing],
        vec!["search", "@bob", "hi", "--db", db],
        vec!["rewind", "#general", "--db", db],
        vec!["rewind", "#general", "--at", "soon", "--db", db],
        vec!["history", "#general"],
    ]
}

#[tokio::test]
async fn db_exit_code_2_means_an_error_explained_on_stderr() {
    let fixture = DbFixture::new(now_ms()).await;
    small_conversation(&fixture).await;
    let db = fixture.db();
    let missing_dir = fixture.dir.path().join("nope.db");
    let missing = missing_dir.to_str().expect("path");

    for args in exit_2_cases(db, missing) {
        let run = fixture.cli().args(&args).run().await;
        assert_eq!(run.code(), 2, "{args:?}: {}", run.stderr());
        assert_eq!(run.stdout(), "", "{args:?}");
        assert!(!run.stderr().is_empty(), "{args:?} explains itself");
        assert!(
            !run.stderr().contains("panicked"),
            "{args:?}: {}",
            run.stderr()
        );
    }
    // `chatify history #general` unquoted: the shell passes `chatify history --db …` only.
    let commented = fixture.cli().args(["history", "--db", db]).run().await;
    assert_eq!(commented.code(), 2);
    assert!(
        commented.stderr().contains("'#general' in quotes"),
        "{}",
        commented.stderr()
    );
    let no_user = fixture.cli().args(["history", "#general"]).run().await;
    assert!(no_user.stderr().contains("--user"), "{}", no_user.stderr());
    let missing_run = fixture
        .cli()
        .args(["history", "#general", "--db", missing])
        .run()
        .await;
    assert!(
        missing_run.stderr().contains("no chatify database"),
        "{}",
        missing_run.stderr()
    );
    assert!(!missing_dir.exists(), "a read never creates a database");
}

/// `history` over 5000 events: a limit above the protocol page, everything, and a filter.
async fn assert_history_pages_deep(fixture: &DbFixture) {
    let db = fixture.db();
    let run = fixture
        .cli()
        .args([
            "history", "#general", "--limit", "1200", "--json", "--db", db,
        ])
        .run()
        .await;
    let records = run.json();
    assert_eq!(records.len(), 1200);
    let seqs: Vec<i64> = records
        .iter()
        .map(|r| r["seq"].as_i64().expect("seq"))
        .collect();
    assert_eq!(
        seqs,
        (3801..=5000).collect::<Vec<_>>(),
        "gap-free, oldest first, newest last"
    );
    assert!(run.stderr().contains("older messages exist"));

    let all = fixture
        .cli()
        .args([
            "history", "#general", "--limit", "100000", "--json", "--db", db,
        ])
        .run()
        .await;
    assert_eq!(all.json().len(), 5000);
    assert_eq!(all.stderr(), "", "nothing older: no note");

    let bobs = fixture
        .cli()
        .args([
            "history", "#general", "--from", "bob", "-n", "700", "--json", "--db", db,
        ])
        .run()
        .await
        .json();
    assert_eq!(bobs.len(), 700);
    assert!(bobs.iter().all(|r| r["u"] == "bob"));
}

/// `search` and `rewind` over the same 5000 events.
async fn assert_search_and_rewind_reach_deep(fixture: &DbFixture) {
    let db = fixture.db();
    let found = fixture
        .cli()
        .args(["search", "#general", "number 4321", "--json", "--db", db])
        .run()
        .await
        .json();
    assert_eq!(
        texts(&found)[0],
        "filler message number 4321 about deploys and rollbacks"
    );
    let rewound = fixture
        .cli()
        .args([
            "rewind", "#general", "--at", "now", "-n", "500", "--json", "--db", db,
        ])
        .run()
        .await
        .json();
    assert_eq!(rewound.len(), 500);
    assert_eq!(rewound[499]["seq"], 5000);
}

#[tokio::test]
async fn db_history_pages_through_a_database_thousands_of_events_deep() {
    let fixture = DbFixture::new(now_ms()).await;
    fixture.fill("general", 5000).await;
    assert_history_pages_deep(&fixture).await;
    assert_search_and_rewind_reach_deep(&fixture).await;
}

#[tokio::test]
async fn a_closed_stdout_pipe_ends_quietly_with_status_0() {
    use tokio::io::AsyncBufReadExt;
    let fixture = DbFixture::new(now_ms()).await;
    fixture.fill("general", 3000).await;
    for json in [false, true] {
        let mut cli = fixture.cli().args([
            "history",
            "#general",
            "--limit",
            "3000",
            "--db",
            fixture.db(),
        ]);
        if json {
            cli = cli.args(["--json"]);
        }
        let mut child = cli.command.spawn().expect("spawn");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let first = tokio::time::timeout(CLI_TIMEOUT, lines.next_line())
            .await
            .expect("a line in time")
            .expect("read")
            .expect("one line");
        assert!(!first.is_empty());
        drop(lines); // closes the pipe with ~200 KiB still to write
        let output = tokio::time::timeout(CLI_TIMEOUT, child.wait_with_output())
            .await
            .expect("exits in time")
            .expect("wait");
        assert_eq!(output.status.code(), Some(0), "json={json}");
        assert_eq!(String::from_utf8_lossy(&output.stderr), "", "json={json}");
    }
}
