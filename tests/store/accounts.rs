//! Accounts, sessions (30-day idle expiry), channels, memberships and read markers.

use super::*;

#[tokio::test]
async fn accounts_and_sessions_with_expiry() {
    let fx = Fixture::new();
    let account = fx
        .store
        .create_account("Alice", "$argon2id$phc", None, T0)
        .await
        .expect("created");
    assert_eq!(account.name, "Alice");
    let taken = fx
        .store
        .create_account("alice", "$argon2id$x", None, T0)
        .await;
    assert!(matches!(taken, Err(StoreError::UserExists)));
    let found = fx
        .read(|r| r.account("ALICE"))
        .await
        .expect("case-insensitive");
    assert_eq!(
        (
            found.name.as_str(),
            found.password_phc.as_str(),
            found.pk.clone()
        ),
        ("Alice", "$argon2id$phc", None)
    );
    fx.store
        .set_public_key("alice", "cGs=")
        .await
        .expect("pk set");
    assert_eq!(
        fx.read(|r| r.account("alice"))
            .await
            .and_then(|a| a.pk)
            .as_deref(),
        Some("cGs=")
    );
    assert!(matches!(
        fx.store.set_public_key("nobody", "x").await,
        Err(StoreError::NoSuchUser)
    ));
    assert_eq!(fx.read(|r| r.user_channels("alice")).await, ["general"]);

    let token = *blake3::hash(b"token").as_bytes();
    let day = 24 * 60 * 60 * 1000;
    fx.store
        .create_session("alice", token, T0)
        .await
        .expect("session");
    assert!(matches!(
        fx.store.create_session("nobody", token, T0).await,
        Err(StoreError::NoSuchUser)
    ));
    let user = fx
        .read(move |r| r.session_user(&token, T0 + 29 * day))
        .await;
    assert_eq!(user.as_deref(), Some("Alice"));
    fx.store
        .touch_session(token, T0 + 29 * day)
        .await
        .expect("touch");
    let user = fx
        .read(move |r| r.session_user(&token, T0 + 58 * day))
        .await;
    assert_eq!(
        user.as_deref(),
        Some("Alice"),
        "use restarts the 30-day clock"
    );
    assert_eq!(
        fx.read(move |r| r.session_user(&token, T0 + 60 * day))
            .await,
        None
    );
    let unknown = *blake3::hash(b"other").as_bytes();
    assert_eq!(fx.read(move |r| r.session_user(&unknown, T0)).await, None);
    assert!(matches!(
        fx.store.touch_session(unknown, T0).await,
        Err(StoreError::NoSuchUser)
    ));
    fx.store.delete_session(token).await.expect("logout");
    assert_eq!(
        fx.read(move |r| r.session_user(&token, T0 + 29 * day))
            .await,
        None
    );
}

#[tokio::test]
async fn channels_and_memberships() {
    let fx = Fixture::new();
    fx.users(&["alice", "bob", "carol"]).await;
    fx.channel("vault", ChannelMode::Sealed, &["alice", "bob"])
        .await;
    let again = fx
        .store
        .create_channel(NewChannel {
            name: "vault".into(),
            mode: ChannelMode::Open,
            salt: None,
            kdf: None,
            kcv: None,
            creator: "carol".into(),
            now_ms: T0 + 1,
        })
        .await
        .expect("existing channel");
    assert_eq!(
        again.mode,
        ChannelMode::Sealed,
        "create of an existing channel is ignored"
    );
    assert_eq!(again.created_by, "alice");
    assert_eq!(again.kdf.as_ref().map(|k| k.m), Some(65536));
    assert!(again.salt.is_some() && again.kcv.is_some());
    assert_eq!(again.members, ["alice", "bob"]);
    fx.store
        .add_member("vault", "alice", T0)
        .await
        .expect("idempotent join");
    assert!(matches!(
        fx.store.add_member("nowhere", "alice", T0).await,
        Err(StoreError::NoSuchChannel)
    ));
    assert!(matches!(
        fx.store.add_member("vault", "nobody", T0).await,
        Err(StoreError::NoSuchUser)
    ));
    fx.store
        .remove_member("general", "carol")
        .await
        .expect("leave");
    let sharing = fx.read(|r| r.users_sharing_channels("carol")).await;
    assert!(sharing.is_empty());
    let sharing: Vec<String> = fx
        .read(|r| r.users_sharing_channels("Alice"))
        .await
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(sharing, ["bob"]);
    assert!(fx.read(|r| r.is_member("vault", "BOB")).await);
    assert!(!fx.read(|r| r.is_member("vault", "carol")).await);
    fx.msg("general", "alice", "x").await;
    let all = fx.read(|r| r.channels()).await;
    let names: Vec<(&str, i64, usize)> = all
        .iter()
        .map(|c| (c.name.as_str(), c.last_seq, c.members.len()))
        .collect();
    assert_eq!(names, [("general", 1, 2), ("vault", 0, 2)]);
    fx.store
        .set_read_marker("alice", "#general", 5, T0)
        .await
        .expect("marker");
    fx.store
        .set_read_marker("alice", "#general", 3, T0 + 1)
        .await
        .expect("marker never moves back");
    let markers = fx.read(|r| r.read_markers("ALICE")).await;
    assert_eq!(markers.len(), 1);
    assert_eq!((markers[0].scope.as_str(), markers[0].seq), ("#general", 5));
}
