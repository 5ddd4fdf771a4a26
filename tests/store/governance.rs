//! Governance in the store (schema v3): the upgrade from version 2 with rows in it, moderation
//! actions committing their change and their system line together, bans and invitations checked
//! at join, the first account as admin, the operator's administration, and purges that delete
//! rows, full-text entries and blind tokens for real without ever restarting a channel's seq.

use super::*;
use chatify::model::governance::{ChannelSettings, ModAction};
use chatify::store::{AdminOp, Moderation, ModerationAction, SCHEMA_VERSION};

/// Rows as chatify at schema version 2 wrote them.
fn fill_v2(path: &Path) {
    let conn = rusqlite::Connection::open(path).expect("open v2 database");
    conn.execute_batch(
        r#"
        INSERT INTO accounts VALUES ('Zed', '$argon2id$z', NULL, 900), ('alice', '$argon2id$a', 'cGtB', 1000);
        INSERT INTO sessions VALUES (x'0202020202020202020202020202020202020202020202020202020202020202', 'alice', 1000, 1000);
        INSERT INTO channels VALUES ('general', 'open', NULL, NULL, NULL, 'Zed', 900),
            ('vault', 'sealed', 'c2FsdA==', '{"alg":"argon2id","m":65536,"t":3,"p":1}', 'a2N2', 'alice', 1000);
        INSERT INTO memberships VALUES ('general', 'alice', 1000), ('general', 'Zed', 900), ('vault', 'alice', 1000);
        INSERT INTO events VALUES
            (1, 2000, 'msg', '#general', 1, 'alice', NULL, '{"c":"kept through the upgrade"}'),
            (2, 2001, 'msg', '#vault', 1, 'alice', NULL, '{"c":"ZW5j","enc":"xc20p1","idx":["tok"]}');
        INSERT INTO messages (id, scope, seq, ts, sender, c, enc) VALUES
            (1, '#general', 1, 2000, 'alice', 'kept through the upgrade', NULL),
            (2, '#vault', 1, 2001, 'alice', 'ZW5j', 'xc20p1');
        INSERT INTO message_fts (rowid, c, ch) VALUES (1, 'kept through the upgrade', 'ch67656e6572616c');
        INSERT INTO blind_tokens VALUES ('#vault', 'tok', 2);
        "#,
    )
    .expect("v2 rows");
}

#[tokio::test]
async fn upgrading_a_v2_database_with_rows_adds_governance_and_keeps_data() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("v2.db");
    migrations::create_at_version(&path, 2).expect("v2 database");
    fill_v2(&path);
    let status = migrations::status(&path).expect("status");
    assert_eq!((status.current, status.target), (2, SCHEMA_VERSION));
    let store = Store::open(&path, StoreOptions::default()).expect("auto-migrates");
    let (general, vault, zed_admin, alice_admin, alice, hits, tokens) = store
        .read(|reader| {
            Ok((
                reader.channel("general")?.expect("general"),
                reader.channel("vault")?.expect("vault"),
                reader.is_admin("zed")?,
                reader.is_admin("alice")?,
                reader.account("alice")?.expect("alice"),
                reader.search(
                    &["general".to_string()],
                    "upgrade",
                    &SearchOptions::default(),
                )?,
                reader.search_blind("vault", &["tok".to_string()], &SearchOptions::default())?,
            ))
        })
        .await
        .expect("read");
    assert!(zed_admin && !alice_admin, "the oldest account is the admin");
    assert!(!alice.disabled);
    assert!(!general.governance.invite_only && general.governance.listed);
    assert!(vault.governance.invite_only && !vault.governance.listed);
    assert_eq!(vault.members, ["alice"]);
    assert_eq!(hits.len(), 1);
    assert_eq!(tokens.len(), 1);
    let page = store
        .read(|reader| reader.history("general", &query(10)))
        .await
        .expect("history");
    assert_eq!(texts(&page.events), ["kept through the upgrade"]);
    assert!(page.events[0].sys.is_none());
    store.close();
}

fn moderation(channel: &str, actor: &str, action: ModerationAction) -> AppendOp {
    AppendOp::Moderate(Moderation {
        channel: channel.into(),
        actor: actor.into(),
        action,
    })
}

#[tokio::test]
async fn a_kick_removes_the_member_and_leaves_a_system_line_in_history() {
    let fx = Fixture::new();
    fx.users(&["alice", "bob"]).await;
    fx.channel("ops", ChannelMode::Open, &["alice", "bob"])
        .await;
    let kick = ModerationAction::Kick {
        user: "BOB".into(),
        reason: Some("spam".into()),
    };
    let appended = fx
        .append(moderation("ops", "alice", kick))
        .await
        .expect("kick");
    assert_eq!(appended.seq, Some(1));
    let ServerFrame::Msg(line) = &appended.frame else {
        panic!("a system line is a msg event");
    };
    let sys = line.sys.as_ref().expect("sys");
    assert_eq!(
        (sys.act, sys.target.as_deref()),
        (ModAction::Kick, Some("bob"))
    );
    assert_eq!(line.c.as_deref(), Some("kicked bob (spam)"));
    let (member, page, after) = fx
        .read(|reader| {
            Ok((
                reader.is_member("ops", "bob")?,
                reader.history("ops", &query(10))?,
                reader.history_after("ops", 0, 10)?,
            ))
        })
        .await;
    assert!(!member);
    assert_eq!(page.events[0].sys, line.sys);
    assert_eq!(page.events[0].u, "alice");
    assert_eq!(after.events.len(), 1, "the raw catch-up carries it too");
    let again = fx
        .append(moderation(
            "ops",
            "alice",
            ModerationAction::Kick {
                user: "bob".into(),
                reason: None,
            },
        ))
        .await;
    assert!(matches!(again, Err(StoreError::TargetNotMember)));
    // A system line cannot be edited, reacted to or deleted like a message.
    let edit = fx
        .append(edit_op("ops", "alice", line.id, "rewritten"))
        .await;
    assert!(matches!(edit, Err(StoreError::NoSuchMessage)));
}

#[tokio::test]
async fn a_ban_keeps_the_account_out_until_unbanned_and_invitations_admit_once() {
    let fx = Fixture::new();
    fx.users(&["alice", "bob", "carol"]).await;
    fx.channel("ops", ChannelMode::Open, &["alice", "bob"])
        .await;
    let ban = ModerationAction::Ban {
        user: "bob".into(),
        reason: None,
    };
    fx.append(moderation("ops", "alice", ban))
        .await
        .expect("ban");
    let rejoin = fx.store.add_member("ops", "bob", T0).await;
    assert!(matches!(rejoin, Err(StoreError::Banned)));
    let invite = fx
        .append(moderation(
            "ops",
            "alice",
            ModerationAction::Invite { user: "bob".into() },
        ))
        .await;
    assert!(matches!(invite, Err(StoreError::Banned)));
    fx.append(moderation(
        "ops",
        "alice",
        ModerationAction::Unban { user: "bob".into() },
    ))
    .await
    .expect("unban");
    fx.store
        .add_member("ops", "bob", T0)
        .await
        .expect("rejoins");
    fx.append(moderation(
        "ops",
        "alice",
        ModerationAction::Invite {
            user: "carol".into(),
        },
    ))
    .await
    .expect("invite");
    assert!(fx.read(|r| r.is_invited("ops", "carol")).await);
    fx.store
        .add_member("ops", "carol", T0)
        .await
        .expect("joins");
    assert!(
        fx.read(|r| r.is_invited("ops", "carol")).await,
        "kept for a rejoin"
    );
    let kick = ModerationAction::Kick {
        user: "carol".into(),
        reason: None,
    };
    fx.append(moderation("ops", "alice", kick))
        .await
        .expect("kick");
    assert!(
        !fx.read(|r| r.is_invited("ops", "carol")).await,
        "a kick ends it"
    );
}

#[tokio::test]
async fn mutes_end_by_the_store_clock_and_settings_persist() {
    let fx = Fixture::new();
    fx.users(&["alice", "bob"]).await;
    fx.channel("ops", ChannelMode::Open, &["alice", "bob"])
        .await;
    let mute = ModerationAction::Mute {
        user: "bob".into(),
        secs: 60,
        reason: None,
    };
    let appended = fx
        .append(moderation("ops", "alice", mute))
        .await
        .expect("mute");
    let settings = ChannelSettings {
        invite_only: Some(true),
        moderated: Some(true),
        retention: Some(3600),
        ..ChannelSettings::default()
    };
    fx.append(moderation(
        "ops",
        "alice",
        ModerationAction::Settings(settings),
    ))
    .await
    .expect("mode");
    fx.append(moderation(
        "ops",
        "alice",
        ModerationAction::Topic {
            topic: "deploys".into(),
        },
    ))
    .await
    .expect("topic");
    fx.append(moderation(
        "ops",
        "alice",
        ModerationAction::Op { user: "bob".into() },
    ))
    .await
    .expect("op");
    let record = fx.read(|r| r.channel("ops")).await.expect("ops");
    let gov = record.governance;
    assert_eq!(gov.mutes, [("bob".to_string(), appended.ts + 60_000)]);
    assert_eq!(gov.ops, ["bob"]);
    assert_eq!(gov.topic, "deploys");
    assert!(gov.invite_only && gov.moderated && gov.listed);
    assert_eq!(gov.retention_ms, Some(3_600_000));
    fx.set_time(appended.ts + 61_000);
    let unmute = fx
        .append(moderation(
            "ops",
            "alice",
            ModerationAction::Unmute { user: "bob".into() },
        ))
        .await;
    assert!(
        matches!(unmute, Err(StoreError::Conflict(_))),
        "the mute has ended"
    );
}

#[tokio::test]
async fn the_first_account_is_admin_and_administration_works_on_accounts() {
    let fx = Fixture::new();
    fx.users(&["root", "bob"]).await;
    fx.store
        .create_session("bob", [7u8; 32], T0)
        .await
        .expect("session");
    assert!(fx.read(|r| r.is_admin("ROOT")).await);
    assert!(!fx.read(|r| r.is_admin("bob")).await);
    let revoked = fx
        .store
        .administer(AdminOp::SetDisabled {
            user: "bob".into(),
            disabled: true,
        })
        .await
        .expect("disable");
    assert_eq!(revoked, 1);
    let bob = fx.read(|r| r.account("bob")).await.expect("bob");
    assert!(bob.disabled);
    assert_eq!(fx.read(|r| r.session_user(&[7u8; 32], T0)).await, None);
    fx.store
        .administer(AdminOp::SetAdmin {
            user: "bob".into(),
            admin: true,
            by: Some("root".into()),
        })
        .await
        .expect("grant");
    let summaries = fx.read(|r| r.account_summaries()).await;
    assert_eq!(
        summaries
            .iter()
            .map(|a| (a.name.as_str(), a.admin, a.disabled))
            .collect::<Vec<_>>(),
        [("bob", true, true), ("root", true, false)]
    );
    fx.store
        .create_session("root", [9u8; 32], T0)
        .await
        .expect("session");
    let sessions = fx.read(|r| r.session_summaries(Some("root"))).await;
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].id, "09090909");
    let removed = fx
        .store
        .administer(AdminOp::RevokeSession {
            id: sessions[0].id.clone(),
        })
        .await
        .expect("revoke");
    assert_eq!(removed, 1);
    fx.store
        .administer(AdminOp::DeleteAccount { user: "bob".into() })
        .await
        .expect("delete");
    assert!(fx.read(|r| r.account("bob")).await.is_none());
    let missing = fx
        .store
        .administer(AdminOp::DeleteAccount { user: "bob".into() })
        .await;
    assert!(matches!(missing, Err(StoreError::NoSuchUser)));
}

#[tokio::test]
async fn purges_delete_rows_and_index_entries_and_seqs_never_restart() {
    let mut fx = Fixture::new();
    fx.users(&["alice"]).await;
    fx.channel("ops", ChannelMode::Open, &["alice"]).await;
    fx.channel("vault", ChannelMode::Sealed, &["alice"]).await;
    let old = fx.msg("ops", "alice", "ancient secret").await;
    fx.append(edit_op("ops", "alice", old.id, "ancient secret edited"))
        .await
        .expect("edit");
    fx.append(sealed_msg("vault", "alice", &["blind1"]))
        .await
        .expect("sealed");
    fx.set_time(T0 + 10_000);
    fx.msg("ops", "alice", "recent news").await;
    for channel in ["ops", "vault"] {
        let mut purged = 0;
        loop {
            let batch = fx
                .store
                .administer(AdminOp::PurgeHistory {
                    channel: channel.into(),
                    before_ms: T0 + 5_000,
                    max_messages: 1,
                })
                .await
                .expect("purge");
            purged += batch;
            if batch < 1 {
                break;
            }
        }
        assert_eq!(purged, 1, "{channel}");
    }
    let (hits, blind, page, purged_from) = fx
        .read(|r| {
            Ok((
                r.search(&["ops".to_string()], "ancient", &SearchOptions::default())?,
                r.search_blind("vault", &["blind1".to_string()], &SearchOptions::default())?,
                r.history_after("ops", 0, 10)?,
                r.purged_before("vault")?,
            ))
        })
        .await;
    assert!(hits.is_empty() && blind.is_empty());
    assert_eq!(
        page.events.len(),
        1,
        "the edit of the purged message went with it"
    );
    assert_eq!(purged_from, Some(T0 + 5_000));
    fx.reopen();
    let next = fx
        .append(sealed_msg("vault", "alice", &[]))
        .await
        .expect("after purge");
    assert_eq!(
        next.seq,
        Some(2),
        "the seq continues after a purge and a restart"
    );
    let raw = rusqlite::Connection::open(&fx.path).expect("open");
    let left: i64 = raw
        .query_row(
            "SELECT count(*) FROM events WHERE payload LIKE '%ancient%'",
            [],
            |row| row.get(0),
        )
        .expect("count");
    assert_eq!(left, 0, "no event keeps the purged text");
}

#[tokio::test]
async fn a_sweep_is_asked_first_whether_anything_expired_and_the_newest_event_never_counts() {
    let fx = Fixture::new();
    fx.users(&["alice"]).await;
    fx.channel("ops", ChannelMode::Open, &["alice"]).await;
    let hour = Some(3_600_000);
    let expired_at = |now_ms: i64, server_ms: Option<i64>| {
        fx.read(move |r| r.has_expired_messages(server_ms, now_ms))
    };
    assert!(
        !expired_at(T0 + 10 * 3_600_000, hour).await,
        "no message yet"
    );
    fx.msg("ops", "alice", "old words").await;
    // The newest event of the log is never purged (its id would be reused), so a sweep that
    // could purge only it has nothing to do and must not write.
    assert!(
        !expired_at(T0 + 2 * 3_600_000, hour).await,
        "only the newest"
    );
    fx.set_time(T0 + 2 * 3_600_000);
    fx.msg("ops", "alice", "new words").await;
    assert!(!expired_at(T0 + 30 * 60_000, hour).await, "within the hour");
    assert!(
        !expired_at(T0 + 2 * 3_600_000, None).await,
        "no retention anywhere"
    );
    assert!(
        expired_at(T0 + 2 * 3_600_000, hour).await,
        "server-wide hour"
    );
    let purged = fx
        .store
        .administer(AdminOp::PurgeExpired {
            server_retention_ms: hour,
            max_messages: 500,
        })
        .await
        .expect("sweep");
    assert_eq!(purged, 1, "the question and the purge agree");
    assert!(!expired_at(T0 + 2 * 3_600_000, hour).await, "nothing left");
}
