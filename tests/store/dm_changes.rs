//! DM edits, deletions and reactions in the store: appended as events of the DM pair's scope,
//! checked at commit (a live DM of the same conversation; author-only edits and deletions),
//! folded into DM history by the one fold, and a deleted DM's text purged from every row.

use super::*;

fn dm_op(from: &str, to: &str, c: &str, reply_to: Option<i64>) -> AppendOp {
    AppendOp::Dm {
        from: from.into(),
        to: to.into(),
        c: c.into(),
        enc: proto::ENC_XC20P1.into(),
        reply_to,
    }
}

fn dm_edit(from: &str, to: &str, target: i64, c: &str) -> AppendOp {
    AppendOp::DmEdit {
        from: from.into(),
        to: to.into(),
        target,
        c: c.into(),
        enc: proto::ENC_XC20P1.into(),
    }
}

fn dm_react(from: &str, to: &str, target: i64, emoji: &str, on: bool) -> AppendOp {
    AppendOp::DmReact {
        from: from.into(),
        to: to.into(),
        target,
        emoji: emoji.into(),
        on,
    }
}

fn dm_delete(from: &str, to: &str, target: i64) -> AppendOp {
    AppendOp::DmDelete {
        from: from.into(),
        to: to.into(),
        target,
    }
}

/// Every `payload` of the `events` table, read straight from the file.
fn stored_payloads(path: &Path) -> String {
    let connection = rusqlite::Connection::open(path).expect("database opens");
    let mut statement = connection
        .prepare("SELECT payload FROM events")
        .expect("query");
    let payloads: Vec<String> = statement
        .query_map([], |row| row.get(0))
        .expect("rows")
        .map_while(Result::ok)
        .collect();
    payloads.join("\n")
}

#[tokio::test]
async fn dm_history_is_folded_and_a_deleted_dm_keeps_no_text() {
    let fx = Fixture::new();
    fx.users(&["alice", "Bob"]).await;
    let first = fx
        .append(dm_op("alice", "bob", "Zmlyc3Q=", None))
        .await
        .expect("dm");
    let second = fx
        .append(dm_op("Bob", "alice", "c2Vjb25k", Some(first.id)))
        .await
        .expect("reply");
    fx.set_time(T0 + 10);
    let edit = fx
        .append(dm_edit("alice", "BOB", first.id, "ZWRpdGVk"))
        .await
        .expect("edit");
    assert_eq!(edit.seq, None, "DM changes carry no seq");
    let ServerFrame::DmEdit(broadcast) = &edit.frame else {
        panic!("a dm_edit frame: {:?}", edit.frame);
    };
    assert_eq!((broadcast.id, broadcast.to.as_str()), (first.id, "Bob"));
    fx.append(dm_react("Bob", "alice", first.id, "👍", true))
        .await
        .expect("react");
    fx.append(dm_react("alice", "bob", first.id, "🎉", true))
        .await
        .expect("react");
    fx.append(dm_react("alice", "bob", first.id, "🎉", false))
        .await
        .expect("unreact");
    fx.append(dm_edit("Bob", "alice", second.id, "c2VjcmV0IGVkaXQ="))
        .await
        .expect("bob edits his own");
    fx.append(dm_delete("bob", "alice", second.id))
        .await
        .expect("delete");

    let page = fx
        .read(|r| r.folded_dm_history("alice", "bob", &query(10)))
        .await;
    assert_eq!(
        page.events.len(),
        2,
        "changes are folded, not listed: {page:?}"
    );
    let folded = &page.events[0];
    assert_eq!((folded.id, folded.c.as_str()), (first.id, "ZWRpdGVk"));
    assert_eq!(folded.edited, Some(T0 + 10));
    let reacts = folded.reacts.clone().expect("reactions");
    assert_eq!(
        reacts.into_iter().collect::<Vec<_>>(),
        [("👍".to_string(), vec!["Bob".to_string()])]
    );
    let tombstone = &page.events[1];
    assert!(tombstone.deleted && tombstone.c.is_empty() && tombstone.enc.is_empty());
    assert_eq!(
        (tombstone.reply_to, tombstone.edited),
        (Some(first.id), None)
    );
    let payloads = stored_payloads(&fx.path);
    for purged in ["c2Vjb25k", "c2VjcmV0IGVkaXQ="] {
        assert!(!payloads.contains(purged), "{purged} is still stored");
    }
    assert!(
        payloads.contains("ZWRpdGVk"),
        "control: a live DM keeps its edit"
    );
}

#[tokio::test]
async fn dm_changes_are_refused_outside_the_conversation_and_to_non_authors() {
    let fx = Fixture::new();
    fx.users(&["alice", "bob", "carol"]).await;
    fx.channel("general", ChannelMode::Open, &["alice", "bob"])
        .await;
    let to_bob = fx
        .append(dm_op("alice", "bob", "eA==", None))
        .await
        .expect("dm")
        .id;
    let to_carol = fx
        .append(dm_op("alice", "carol", "eA==", None))
        .await
        .expect("dm")
        .id;
    let in_channel = fx.msg("general", "alice", "open").await.id;
    let refusals = [
        (dm_edit("bob", "alice", to_bob, "eQ=="), "forbidden"),
        (dm_delete("bob", "alice", to_bob), "forbidden"),
        (
            dm_react("bob", "alice", to_carol, "👍", true),
            "no such message",
        ),
        (dm_edit("alice", "carol", to_bob, "eQ=="), "no such message"),
        (
            dm_react("bob", "alice", in_channel, "👍", true),
            "no such message",
        ),
        (
            dm_react("bob", "alice", 9_999, "👍", true),
            "no such message",
        ),
        (dm_delete("alice", "nobody", to_bob), "no such user"),
    ];
    for (op, expected) in refusals {
        let described = format!("{op:?}");
        let error = fx.append(op).await.expect_err("refused");
        let error = match error {
            StoreError::Forbidden => "forbidden",
            StoreError::NoSuchMessage => "no such message",
            StoreError::NoSuchUser => "no such user",
            other => panic!("{described}: unexpected {other:?}"),
        };
        assert_eq!(error, expected, "{described}");
    }
    fx.append(dm_delete("alice", "bob", to_bob))
        .await
        .expect("deleted");
    let again = fx
        .append(dm_react("bob", "alice", to_bob, "👍", true))
        .await;
    assert!(matches!(again, Err(StoreError::NoSuchMessage)), "{again:?}");
}
