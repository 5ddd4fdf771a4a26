//! Queries: history pagination (before, since/until, from), raw catch-up, folding of edits,
//! deletions and reactions, rewind as of a past time, and DM history.

use super::*;

#[tokio::test]
async fn history_pages_backwards_by_seq_time_and_author() {
    let fx = Fixture::new();
    fx.users(&["alice", "Bob"]).await;
    for n in 1..=120 {
        fx.set_time(T0 + n * 1000);
        let sender = if n % 3 == 0 { "Bob" } else { "alice" };
        fx.msg("general", sender, &format!("m{n}")).await;
    }
    let page = fx.read(|r| r.history("general", &query(50))).await;
    assert_eq!(page.events.first().map(|e| e.seq), Some(71));
    assert_eq!(page.events.last().map(|e| e.seq), Some(120));
    assert!(page.more);
    let older = HistoryQuery {
        before_seq: Some(71),
        ..query(50)
    };
    let page = fx.read(move |r| r.history("general", &older)).await;
    assert_eq!(
        (page.events[0].seq, page.events[49].seq, page.more),
        (21, 70, true)
    );
    let oldest = HistoryQuery {
        before_seq: Some(21),
        ..query(50)
    };
    let page = fx.read(move |r| r.history("general", &oldest)).await;
    assert_eq!((page.events.len(), page.more), (20, false));
    assert_eq!(texts(&page.events)[0], "m1");

    // since inclusive, until exclusive; the newest `limit` inside the window.
    let window = HistoryQuery {
        since_ms: Some(T0 + 10_000),
        until_ms: Some(T0 + 20_000),
        ..query(5)
    };
    let page = fx.read(move |r| r.history("general", &window)).await;
    assert_eq!(texts(&page.events), ["m15", "m16", "m17", "m18", "m19"]);
    assert!(page.more);
    let whole_window = HistoryQuery {
        since_ms: Some(T0 + 10_000),
        until_ms: Some(T0 + 20_000),
        ..query(50)
    };
    let page = fx.read(move |r| r.history("general", &whole_window)).await;
    assert_eq!((page.events.len(), page.more), (10, false));

    let by_bob = HistoryQuery {
        from: Some("bob".into()),
        before_seq: Some(100),
        ..query(3)
    };
    let page = fx.read(move |r| r.history("general", &by_bob)).await;
    assert_eq!(texts(&page.events), ["m93", "m96", "m99"]);
    assert!(page.events.iter().all(|e| e.u == "Bob"));
    assert!(page.more);
    let empty = fx.read(|r| r.history("nowhere", &query(50))).await;
    assert_eq!((empty.events.len(), empty.more), (0, false));
}

#[tokio::test]
async fn catch_up_returns_raw_frames_exactly_as_broadcast() {
    let fx = Fixture::new();
    fx.users(&["alice", "bob"]).await;
    let mut broadcast = Vec::new();
    let hello = fx.msg("general", "alice", "hello").await;
    broadcast.push(hello.frame.clone());
    for op in [
        edit_op("general", "alice", hello.id, "hello, fixed"),
        react_op("general", "bob", hello.id, "👍", true),
        msg_op("general", "bob", "hi"),
        delete_op("general", "alice", hello.id),
    ] {
        broadcast.push(fx.append(op).await.expect("appended").frame);
    }
    let page = fx
        .read(|r| r.history_after("general", 0, 100))
        .await
        .map(event_frame);
    // The deleted message's text is purged (issue 9 point 11): its `msg` reads back as the
    // folded deleted message and its edit as a deletion, at the same ids and seqs.
    let mut expected = broadcast.clone();
    let (ServerFrame::Msg(original), ServerFrame::Edit(edited)) = (&broadcast[0], &broadcast[1])
    else {
        panic!("a msg and an edit frame");
    };
    expected[0] = ServerFrame::Msg(chatify::model::MessageEvent {
        c: None,
        deleted: true,
        ..original.clone()
    });
    expected[1] = ServerFrame::Delete(proto::DeleteEvent {
        ch: edited.ch.clone(),
        id: edited.id,
        seq: edited.seq,
        u: edited.u.clone(),
        ts: edited.ts,
    });
    assert_eq!(page.events, expected);
    assert!(!page.more);
    let tail = fx
        .read(|r| r.history_after("general", 3, 1))
        .await
        .map(event_frame);
    assert_eq!(tail.events, broadcast[3..4].to_vec());
    assert!(tail.more);
    let ServerFrame::Edit(edit) = &broadcast[1] else {
        panic!("an edit frame");
    };
    assert_eq!(
        (edit.id, edit.seq, edit.c.as_str()),
        (hello.id, 2, "hello, fixed")
    );
}

#[tokio::test]
async fn history_folds_edits_deletes_and_reactions() {
    let fx = Fixture::new();
    fx.users(&["alice", "bob", "carol"]).await;
    fx.channel("ops", ChannelMode::Open, &["alice", "bob"])
        .await;
    let a = fx.msg("general", "alice", "draft").await;
    let b = fx.msg("general", "bob", "second").await;
    let ops_msg = fx.msg("ops", "alice", "in ops").await;
    fx.set_time(T0 + 5_000);
    fx.append(edit_op("general", "alice", a.id, "better"))
        .await
        .expect("edit");
    fx.set_time(T0 + 6_000);
    fx.append(edit_op("general", "ALICE", a.id, "best"))
        .await
        .expect("edit by author, any case");
    for (user, emoji, on) in [
        ("bob", "👍", true),
        ("carol", "👍", true),
        ("bob", "🎉", true),
        ("bob", "🎉", false),
    ] {
        fx.append(react_op("general", user, a.id, emoji, on))
            .await
            .expect("react");
    }
    fx.append(react_op("general", "carol", b.id, "👀", true))
        .await
        .expect("react");
    fx.append(delete_op("general", "bob", b.id))
        .await
        .expect("delete");

    let rejected = [
        (edit_op("general", "bob", a.id, "not mine"), "forbidden"),
        (delete_op("general", "carol", a.id), "forbidden"),
        (
            edit_op("general", "bob", b.id, "deleted"),
            "no_such_message",
        ),
        (
            react_op("general", "alice", b.id, "👍", true),
            "no_such_message",
        ),
        (
            edit_op("general", "alice", 999_999, "unknown"),
            "no_such_message",
        ),
        (
            edit_op("general", "alice", ops_msg.id, "other channel"),
            "no_such_message",
        ),
        (
            react_op("general", "alice", ops_msg.id, "👍", true),
            "no_such_message",
        ),
    ];
    for (op, expected) in rejected {
        let outcome = match fx.append(op).await {
            Err(StoreError::Forbidden) => "forbidden",
            Err(StoreError::NoSuchMessage) => "no_such_message",
            other => panic!("unexpected outcome {other:?}"),
        };
        assert_eq!(outcome, expected);
    }

    let page = fx.read(|r| r.history("general", &query(50))).await;
    assert_eq!(page.events.len(), 2, "one object per message");
    let folded_a = &page.events[0];
    assert_eq!(folded_a.c.as_deref(), Some("best"));
    assert_eq!(folded_a.edited, Some(T0 + 6_000));
    assert_eq!((folded_a.ts, folded_a.seq, folded_a.id), (T0, 1, a.id));
    let reacts = folded_a.reacts.clone().expect("reactions");
    assert_eq!(reacts.len(), 1);
    assert_eq!(reacts["👍"], vec!["bob".to_string(), "carol".to_string()]);
    let folded_b = &page.events[1];
    assert!(folded_b.deleted);
    assert_eq!(
        (folded_b.id, folded_b.seq, folded_b.u.as_str()),
        (b.id, 2, "bob")
    );
    assert_eq!(
        (folded_b.c.clone(), folded_b.edited, folded_b.reacts.clone()),
        (None, None, None)
    );
    let json = serde_json::to_value(ServerFrame::Msg(folded_b.clone())).expect("json");
    assert_eq!(json.get("c"), None);
    assert_eq!(json["deleted"], true);
    // The channel's seqs went on counting edits, reactions and the delete; no rejected op took one.
    let last = fx
        .read(|r| r.channel("general"))
        .await
        .expect("general")
        .last_seq;
    assert_eq!(last, 2 + 2 + 4 + 1 + 1);
}

#[tokio::test]
async fn rewind_shows_messages_as_they_stood() {
    let fx = Fixture::new();
    fx.users(&["alice", "bob"]).await;
    let first = fx.msg("general", "alice", "original").await;
    fx.set_time(T0 + 500);
    let doomed = fx.msg("general", "bob", "doomed").await;
    fx.set_time(T0 + 2_000);
    fx.append(edit_op("general", "alice", first.id, "edited"))
        .await
        .expect("edit");
    fx.set_time(T0 + 2_500);
    fx.append(react_op("general", "bob", first.id, "👍", true))
        .await
        .expect("react");
    fx.set_time(T0 + 3_000);
    fx.append(delete_op("general", "bob", doomed.id))
        .await
        .expect("delete");
    fx.set_time(T0 + 4_000);
    fx.msg("general", "bob", "later").await;

    let at = |ms: i64| {
        let fx_store = fx.store.clone();
        async move {
            fx_store
                .read(move |r| r.rewind("general", ms, 50))
                .await
                .expect("rewind")
        }
    };
    assert!(at(T0 - 1).await.is_empty());
    let before_edit = at(T0 + 1_999).await;
    // A deleted message's text is gone for good (issue 9 point 11): rewinding to before its
    // deletion shows it deleted too.
    assert_eq!(texts(&before_edit), ["original", "<deleted>"]);
    assert_eq!(before_edit[0].edited, None);
    assert!(before_edit[1].deleted);
    let at_edit = at(T0 + 2_000).await;
    assert_eq!(
        (texts(&at_edit), at_edit[0].edited),
        (
            vec!["edited".to_string(), "<deleted>".into()],
            Some(T0 + 2_000)
        )
    );
    assert_eq!(at_edit[0].reacts, None);
    let reacted = at(T0 + 2_999).await;
    assert_eq!(
        reacted[0].reacts.as_ref().map(|r| r["👍"].clone()),
        Some(vec!["bob".to_string()])
    );
    let deleted = at(T0 + 3_500).await;
    assert_eq!(texts(&deleted), ["edited", "<deleted>"]);
    assert!(deleted[1].deleted);
    let now = at(T0 + 4_000).await;
    assert_eq!(texts(&now), ["edited", "<deleted>", "later"]);
    let current = fx.read(|r| r.history("general", &query(50))).await;
    assert_eq!(now, current.events, "rewind to now equals folded history");
    let last_one = fx
        .store
        .read(|r| r.rewind("general", T0 + 4_000, 1))
        .await
        .expect("rewind");
    assert_eq!(texts(&last_one), ["later"]);
}

#[tokio::test]
async fn direct_messages_have_their_own_scope_and_history() {
    let fx = Fixture::new();
    fx.users(&["alice", "Bob", "carol"]).await;
    let mut sent = Vec::new();
    for n in 0..5 {
        fx.set_time(T0 + n * 1000);
        let (from, to) = if n % 2 == 0 {
            ("alice", "bob")
        } else {
            ("Bob", "alice")
        };
        let op = AppendOp::Dm {
            from: from.into(),
            to: to.into(),
            c: format!("Y2lwaGVy{n}"),
            enc: proto::ENC_XC20P1.into(),
            reply_to: None,
        };
        let appended = fx.append(op).await.expect("dm");
        assert_eq!(appended.seq, None);
        let ServerFrame::Dm(dm) = appended.frame else {
            panic!("a dm frame");
        };
        sent.push(dm);
    }
    assert_eq!(sent[0].to, "Bob", "the recipient as registered");
    let to_carol = fx
        .append(AppendOp::Dm {
            from: "alice".into(),
            to: "carol".into(),
            c: "eA==".into(),
            enc: proto::ENC_XC20P1.into(),
            reply_to: None,
        })
        .await
        .expect("dm to carol");
    let unknown = fx
        .append(AppendOp::Dm {
            from: "alice".into(),
            to: "nobody".into(),
            c: "eA==".into(),
            enc: proto::ENC_XC20P1.into(),
            reply_to: None,
        })
        .await;
    assert!(matches!(unknown, Err(StoreError::NoSuchUser)));
    let page = fx
        .read(|r| r.dm_history("BOB", "alice", &query(3)))
        .await
        .map(dm);
    assert_eq!(page.events, sent[2..].to_vec());
    assert!(page.more);
    let before = sent[2].id;
    let older = HistoryQuery {
        before_id: Some(before),
        ..query(3)
    };
    let page = fx
        .read(move |r| r.dm_history("alice", "bob", &older))
        .await
        .map(dm);
    assert_eq!((page.events, page.more), (sent[..2].to_vec(), false));
    // A `before` id that is not one of this pair's DMs bounds the page the same way.
    for (before, expected, more) in [
        (to_carol.id, &sent[2..], true),
        (i64::MAX, &sent[2..], true),
        (sent[2].id, &sent[..2], false),
        (0, &sent[..0], false),
        (i64::MIN, &sent[..0], false),
    ] {
        let older = HistoryQuery {
            before_id: Some(before),
            ..query(3)
        };
        let page = fx
            .read(move |r| r.dm_history("alice", "bob", &older))
            .await
            .map(dm);
        assert_eq!(
            (page.events, page.more),
            (expected.to_vec(), more),
            "{before}"
        );
    }
    let window = HistoryQuery {
        since_ms: Some(T0 + 1000),
        until_ms: Some(T0 + 3000),
        ..query(10)
    };
    let page = fx
        .read(move |r| r.dm_history("alice", "bob", &window))
        .await
        .map(dm);
    assert_eq!(page.events, sent[1..3].to_vec());
    let from_bob = HistoryQuery {
        from: Some("bob".into()),
        ..query(10)
    };
    let page = fx
        .read(move |r| r.dm_history("alice", "bob", &from_bob))
        .await
        .map(dm);
    assert_eq!(page.events, vec![sent[1].clone(), sent[3].clone()]);
    assert_eq!(fx.read(|r| r.last_seq("@alice:bob")).await, 5);
    assert_eq!(
        fx.read(|r| r.last_seq("#general")).await,
        0,
        "DMs take no channel seq"
    );
}

#[tokio::test]
async fn edits_of_a_sealed_message_keep_its_first_envelope_in_the_log() {
    let mut fx = Fixture::new();
    fx.users(&["alice"]).await;
    fx.channel("vault", ChannelMode::Sealed, &["alice"]).await;
    let first = fx
        .append(sealed_msg("vault", "alice", &["t1"]))
        .await
        .expect("msg");
    for (text, token) in [("c2Vjb25k", "t2"), ("dGhpcmQ=", "t3")] {
        fx.append(AppendOp::Edit {
            channel: "vault".into(),
            sender: "alice".into(),
            target: first.id,
            c: text.into(),
            enc: Some(proto::ENC_XC20P1.into()),
            idx: Some(vec![token.into()]),
        })
        .await
        .expect("edit");
    }
    // Twice: as committed, and as read back from the file by a reopened store.
    for reopened in [false, true] {
        if reopened {
            fx.reopen();
        }
        let (log, page) = fx
            .read(|r| {
                Ok((
                    r.history_after("vault", 0, 10)?,
                    r.history("vault", &query(10))?,
                ))
            })
            .await;
        let bodies: Vec<(String, Option<String>)> = log
            .events
            .iter()
            .map(|event| match &event.body {
                EventBody::Msg { c, enc, .. } | EventBody::Edit { c, enc, .. } => {
                    (c.clone(), enc.clone())
                }
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        let xc20p1 = Some(proto::ENC_XC20P1.to_string());
        assert_eq!(
            bodies,
            [
                ("ZW52ZWxvcGU=".to_string(), xc20p1.clone()),
                ("c2Vjb25k".to_string(), xc20p1.clone()),
                ("dGhpcmQ=".to_string(), xc20p1.clone()),
            ],
            "reopened: {reopened}"
        );
        assert_eq!(texts(&page.events), ["dGhpcmQ="]);
        assert_eq!(page.events[0].enc, xc20p1);
        assert!(page.events[0].edited.is_some());
    }
}
