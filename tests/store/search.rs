//! Search: FTS5 over open channels (words, prefixes, phrases, ranking, channel lists, edits and
//! deletions) and blind-token search in sealed channels.

use super::*;

fn search_options(sort: SearchSort) -> SearchOptions {
    SearchOptions {
        sort,
        ..SearchOptions::default()
    }
}

pub(crate) async fn search_texts(
    fx: &Fixture,
    channels: &[&str],
    q: &str,
    sort: SearchSort,
) -> Vec<String> {
    let channels: Vec<String> = channels.iter().map(|c| c.to_string()).collect();
    let q = q.to_string();
    let found = fx.search(channels, &q, search_options(sort)).await;
    texts(&found)
}

#[tokio::test]
async fn full_text_search_matches_words_prefixes_and_phrases_in_given_channels() {
    let fx = Fixture::new();
    fx.users(&["alice", "bob"]).await;
    fx.channel("ops", ChannelMode::Open, &["alice"]).await;
    fx.channel("vault", ChannelMode::Sealed, &["alice"]).await;
    fx.msg("general", "alice", "the deploy failed again").await;
    fx.msg("general", "bob", "deployment went fine").await;
    fx.msg(
        "general",
        "bob",
        "failed to deploy: the build failed, failed, failed",
    )
    .await;
    fx.msg("ops", "alice", "ops deploy failed too").await;
    fx.msg("general", "alice", "Le café est prêt").await;
    let gone = fx
        .msg("general", "alice", "secret deploy failed plan")
        .await;
    fx.append(delete_op("general", "alice", gone.id))
        .await
        .expect("delete");
    let edited = fx.msg("general", "bob", "old wording").await;
    fx.append(edit_op(
        "general",
        "bob",
        edited.id,
        "new wording about rollback",
    ))
    .await
    .expect("edit");

    let newest = search_texts(&fx, &["general"], "deploy failed", SearchSort::Newest).await;
    assert_eq!(
        newest,
        [
            "failed to deploy: the build failed, failed, failed",
            "the deploy failed again"
        ]
    );
    let ranked = search_texts(&fx, &["general"], "failed deploy", SearchSort::Rank).await;
    assert_eq!(
        ranked[0], "failed to deploy: the build failed, failed, failed",
        "bm25 ranks more hits first"
    );
    assert_eq!(ranked.len(), 2);
    let phrase = search_texts(&fx, &["general"], "\"deploy failed\"", SearchSort::Newest).await;
    assert_eq!(phrase, ["the deploy failed again"]);
    let prefix = search_texts(&fx, &["general"], "deploy*", SearchSort::Newest).await;
    assert_eq!(prefix.len(), 3);
    assert!(prefix.contains(&"deployment went fine".to_string()));
    let both = search_texts(
        &fx,
        &["general", "ops"],
        "deploy failed",
        SearchSort::Newest,
    )
    .await;
    assert_eq!(both[0], "ops deploy failed too");
    assert_eq!(both.len(), 3);
    assert_eq!(
        search_texts(&fx, &["ops"], "deployment", SearchSort::Rank)
            .await
            .len(),
        0
    );
    assert_eq!(
        search_texts(&fx, &[], "deploy", SearchSort::Rank)
            .await
            .len(),
        0
    );
    // Unicode folding: case and diacritics.
    assert_eq!(
        search_texts(&fx, &["general"], "CAFE pret", SearchSort::Rank).await,
        ["Le café est prêt"]
    );
    // Deleted messages are gone from the index; edited ones are found by their new text only.
    assert!(
        search_texts(&fx, &["general"], "secret", SearchSort::Rank)
            .await
            .is_empty()
    );
    assert!(
        search_texts(&fx, &["general"], "old", SearchSort::Rank)
            .await
            .is_empty()
    );
    assert_eq!(
        search_texts(&fx, &["general"], "rollback", SearchSort::Rank).await,
        ["new wording about rollback"]
    );
    // FTS syntax in the input is text, never an SQL or FTS error.
    for hostile in [
        "NEAR(deploy failed)",
        "deploy OR x",
        "c:deploy",
        "\"",
        "(((",
        "*",
        "deploy\" OR \"x",
        "'; DROP TABLE events; --",
        "ch6765:x",
    ] {
        let hostile = hostile.to_string();
        let result = fx
            .store
            .read(move |r| {
                r.search(
                    &["general".to_string()],
                    &hostile,
                    &SearchOptions::default(),
                )
            })
            .await;
        assert!(result.is_ok(), "query {result:?} must not fail");
    }
    let short_prefix = fx
        .store
        .read(|r| r.search(&["general".to_string()], "d*", &SearchOptions::default()))
        .await;
    assert!(matches!(short_prefix, Err(StoreError::BadQuery(_))));
    // Author and time filters, and the limit.
    let filtered = SearchOptions {
        from: Some("BOB".into()),
        sort: SearchSort::Newest,
        limit: 1,
        ..SearchOptions::default()
    };
    let found = fx.search(vec!["general".into()], "deploy*", filtered).await;
    assert_eq!(
        texts(&found),
        ["failed to deploy: the build failed, failed, failed"]
    );
}

#[tokio::test]
async fn blind_search_follows_current_tokens() {
    let fx = Fixture::new();
    fx.users(&["alice", "bob"]).await;
    fx.channel("vault", ChannelMode::Sealed, &["alice", "bob"])
        .await;
    fx.channel("other", ChannelMode::Sealed, &["alice"]).await;
    let one = fx
        .append(sealed_msg("vault", "alice", &["tA", "tB", "tA"]))
        .await
        .expect("msg");
    let two = fx
        .append(sealed_msg("vault", "bob", &["tB", "tC"]))
        .await
        .expect("msg");
    fx.append(sealed_msg("other", "alice", &["tA", "tB"]))
        .await
        .expect("msg");
    let blind = |tokens: &[&str]| {
        let tokens: Vec<String> = tokens.iter().map(|t| t.to_string()).collect();
        let store = fx.store.clone();
        async move {
            let found = store
                .read(move |r| r.search_blind("vault", &tokens, &SearchOptions::default()))
                .await
                .expect("blind search");
            found.iter().map(|m| m.id).collect::<Vec<i64>>()
        }
    };
    assert_eq!(blind(&["tB"]).await, [two.id, one.id], "newest first");
    assert_eq!(blind(&["tA", "tB"]).await, [one.id]);
    assert_eq!(blind(&["tA", "tC"]).await, Vec::<i64>::new());
    assert_eq!(blind(&[]).await, Vec::<i64>::new());
    // An edit with idx replaces the tokens; one without keeps them.
    let edit = |target: i64, idx: Option<Vec<String>>| AppendOp::Edit {
        channel: "vault".into(),
        sender: "alice".into(),
        target,
        c: "bmV3".into(),
        enc: Some(proto::ENC_XC20P1.into()),
        idx,
    };
    fx.append(edit(one.id, None))
        .await
        .expect("edit keeps tokens");
    assert_eq!(blind(&["tA"]).await, [one.id]);
    fx.append(edit(one.id, Some(vec!["tZ".into()])))
        .await
        .expect("edit replaces tokens");
    assert_eq!(blind(&["tA"]).await, Vec::<i64>::new());
    assert_eq!(blind(&["tZ"]).await, [one.id]);
    let found = fx
        .read(|r| r.search_blind("vault", &["tZ".to_string()], &SearchOptions::default()))
        .await;
    assert_eq!(found[0].c.as_deref(), Some("bmV3"));
    assert_eq!(found[0].enc.as_deref(), Some(proto::ENC_XC20P1));
    fx.append(delete_op("vault", "bob", two.id))
        .await
        .expect("delete");
    assert_eq!(blind(&["tB"]).await, Vec::<i64>::new());
    // idx is stored for search but never broadcast or returned.
    let raw = fx
        .read(|r| r.history_after("vault", 0, 10))
        .await
        .map(event_frame);
    let json = serde_json::to_string(&raw.events).expect("json");
    assert!(!json.contains("idx") && !json.contains("tZ"));
}

/// Ranked search first looks among the newest hits of the words in any channel (8,000 of them)
/// and lets FTS5 restrict the channels only when those hold too few of the channel's: both
/// ways must find the same messages.
#[tokio::test]
async fn ranked_search_finds_a_channels_matches_behind_many_newer_ones_elsewhere() {
    let fx = Fixture::new();
    fx.users(&["alice"]).await;
    fx.channel("ops", ChannelMode::Open, &["alice"]).await;
    fx.msg("general", "alice", "deploy one in general").await;
    fx.msg("general", "alice", "deploy two deploy in general")
        .await;
    const ELSEWHERE: usize = 8_200;
    for start in (0..ELSEWHERE).step_by(400) {
        let appends = (start..(start + 400).min(ELSEWHERE)).map(|n| {
            fx.store
                .append_wait(msg_op("ops", "alice", &format!("deploy {n} in ops")))
        });
        for appended in futures_util::future::join_all(appends).await {
            appended.expect("appended");
        }
    }
    fx.msg("general", "alice", "a newer deploy").await;

    let ranked = search_texts(&fx, &["general"], "deploy", SearchSort::Rank).await;
    let mut sorted = ranked.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec![
            "a newer deploy",
            "deploy one in general",
            "deploy two deploy in general"
        ],
        "every match of general and nothing of ops: {ranked:?}"
    );
    assert_eq!(ranked[0], "deploy two deploy in general", "best first");
    let both = search_texts(&fx, &["general", "ops"], "deploy", SearchSort::Rank).await;
    assert_eq!(both.len(), 30, "a full page from the newest hits");
}

/// An AND of a common and a rare word walks the rare word alone and checks the common one on
/// each candidate: on the text where it is ASCII, by FTS5 where it is not (FTS5 folds
/// diacritics, so "Cömmon" is "common" to it). Ranked search must find exactly what newest-first
/// search (FTS5's own AND) finds, prefixes and phrases included.
#[tokio::test]
async fn ranked_and_of_a_common_and_a_rare_word_finds_exactly_the_fts5_matches() {
    let fx = Fixture::new();
    fx.users(&["alice"]).await;
    let appends = (0..600).map(|n| {
        fx.store
            .append_wait(msg_op("general", "alice", &format!("common filler {n}")))
    });
    for appended in futures_util::future::join_all(appends).await {
        appended.expect("appended");
    }
    for text in [
        "common rare",
        "rare only",
        "rare ÜBER common",
        "rare über",
        "RARE Cömmon folded",
        "rare commonplace",
        "rare-common joined",
        "a common thing, then rare",
        "rarely common",
    ] {
        fx.msg("general", "alice", text).await;
    }
    for query in [
        "common rare",
        "rare common",
        "comm* rare",
        "\"common rare\" rare",
    ] {
        let mut newest = search_texts(&fx, &["general"], query, SearchSort::Newest).await;
        let mut ranked = search_texts(&fx, &["general"], query, SearchSort::Rank).await;
        newest.sort();
        ranked.sort();
        assert_eq!(ranked, newest, "{query}");
    }
    let mut ranked = search_texts(&fx, &["general"], "common rare", SearchSort::Rank).await;
    ranked.sort();
    assert_eq!(
        ranked,
        [
            "RARE Cömmon folded",
            "a common thing, then rare",
            "common rare",
            "rare ÜBER common",
            "rare-common joined"
        ]
    );
    let prefix = search_texts(&fx, &["general"], "comm* rare", SearchSort::Rank).await;
    assert_eq!(prefix.len(), 6, "commonplace too: {prefix:?}");
}
