//! Tests of the key ring: channel keys with kcv and the on-disk cache, DMs between two rings,
//! trust on first use and the key-change refusal.

use super::*;

fn ring(dir: &Path, me: &str) -> KeyRing {
    let (ring, created) = KeyRing::open(dir, "ws://127.0.0.1:9", me, true).expect("key ring opens");
    assert!(created, "a fresh config dir gets a new identity key");
    ring
}

fn create_block(create: &CreateChannel) -> (String, KdfSpec, String) {
    (
        create.salt.clone().expect("salt"),
        create.kdf.clone().expect("kdf"),
        create.kcv.clone().expect("kcv"),
    )
}

#[test]
fn identity_is_created_once_and_kept_private() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = ring(dir.path(), "alice");
    let (again, created) =
        KeyRing::open(dir.path(), "ws://127.0.0.1:9", "alice", true).expect("reopens");
    assert!(!created);
    assert_eq!(first.public_key_b64(), again.public_key_b64());
    assert_eq!(first.my_fingerprint(), again.my_fingerprint());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(IDENTITY_FILE_NAME))
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn sealed_channel_round_trip_wrong_passphrase_and_cache() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut alice = ring(dir.path(), "alice");
    let (create, root) = new_sealed_channel("open sesame", true).expect("channel made");
    let (salt, kdf, kcv) = create_block(&create);
    alice
        .install_channel_root("ops", &salt, &kcv, &root)
        .expect("installed");
    let (envelope, idx) = alice
        .seal_channel("ops", "msg", "deploy failed again")
        .expect("sealed");
    assert!(!envelope.contains("deploy"));
    assert_eq!(idx.len(), 3, "one blind token per word");
    assert_eq!(
        alice.search_tokens("ops", "Deploy").expect("tokens")[0],
        idx[0]
    );

    let wrong = derive_channel_root(
        "ops",
        "open says me",
        &salt,
        &kdf,
        &kcv,
        KdfPolicy::AllowWeakForTests,
    );
    assert!(matches!(wrong, Err(KeyError::WrongPassphrase { channel }) if channel == "ops"));
    let weak_refused = derive_channel_root(
        "ops",
        "open sesame",
        &salt,
        &kdf,
        &kcv,
        KdfPolicy::EnforceFloor,
    );
    assert!(matches!(
        weak_refused,
        Err(KeyError::Crypto(CryptoError::WeakKdf { .. }))
    ));

    let other_dir = tempfile::tempdir().expect("temp dir");
    let mut bob = ring(other_dir.path(), "bob");
    assert!(!bob.load_cached_channel_key("ops", &salt, &kcv));
    assert!(matches!(
        bob.open_channel("ops", "alice", "msg", &envelope),
        Err(KeyError::NoChannelKey { .. })
    ));
    let root = derive_channel_root(
        "ops",
        "open sesame",
        &salt,
        &kdf,
        &kcv,
        KdfPolicy::AllowWeakForTests,
    )
    .expect("right passphrase");
    bob.install_channel_root("ops", &salt, &kcv, &root)
        .expect("installed");
    assert_eq!(
        bob.open_channel("ops", "alice", "msg", &envelope)
            .expect("opens"),
        "deploy failed again"
    );
    assert!(
        bob.open_channel("ops", "bob", "msg", &envelope).is_err(),
        "the sender is authenticated"
    );

    // A later run finds the cached key without the passphrase; a re-created channel does not.
    let (mut bob_later, _) =
        KeyRing::open(other_dir.path(), "ws://127.0.0.1:9", "bob", true).expect("reopens");
    assert!(!bob_later.load_cached_channel_key("ops", &salt, "AAAAAAAAAAAAAAAAAAAAAA=="));
    assert!(bob_later.load_cached_channel_key("ops", &salt, &kcv));
    assert_eq!(
        bob_later
            .open_channel("ops", "alice", "msg", &envelope)
            .expect("opens"),
        "deploy failed again"
    );
    let info = |ch: &str, kcv: &str| crate::proto::ChannelInfo {
        ch: ch.into(),
        mode: ChannelMode::Sealed,
        members: 2,
        seq: 1,
        salt: Some(salt.clone()),
        kdf: Some(kdf.clone()),
        kcv: Some(kcv.into()),
    };
    let (mut fresh, _) =
        KeyRing::open(other_dir.path(), "ws://127.0.0.1:9", "bob", true).expect("reopens");
    assert_eq!(
        fresh.unlock_cached(&[info("ops", &kcv), info("other", &kcv)]),
        vec!["other".to_string()]
    );
    assert!(fresh.has_channel_key("ops"));
    let (mut elsewhere, _) =
        KeyRing::open(other_dir.path(), "ws://other:1", "bob", true).expect("reopens");
    assert!(
        !elsewhere.load_cached_channel_key("ops", &salt, &kcv),
        "the cache is per server"
    );
}

#[test]
fn dms_decrypt_on_both_sides_and_key_changes_are_refused_until_trusted() {
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let mut alice = ring(dir_a.path(), "alice");
    let mut bob = ring(dir_b.path(), "bob");
    let bob_pk = bob.public_key_b64();
    assert!(matches!(
        alice.learn_peer_key("bob", &bob_pk).expect("learned"),
        PeerKeyStatus::Pinned { .. }
    ));
    assert_eq!(
        alice.learn_peer_key("Bob", &bob_pk).expect("learned"),
        PeerKeyStatus::Known
    );
    bob.learn_peer_key("alice", &alice.public_key_b64())
        .expect("learned");

    let c = alice.seal_dm("bob", "psst").expect("sealed");
    let dm = DmEvent {
        id: 1,
        from: "alice".into(),
        to: "bob".into(),
        c,
        enc: "xc20p1".into(),
        ts: 0,
        reply_to: None,
        edited: None,
        deleted: false,
        reacts: None,
    };
    assert_eq!(bob.open_dm(&dm).expect("bob reads it"), "psst");
    assert_eq!(alice.open_dm(&dm).expect("alice reads her own"), "psst");

    let impostor = Identity::generate().public_b64();
    let status = alice.learn_peer_key("bob", &impostor).expect("learned");
    assert!(
        matches!(status, PeerKeyStatus::Changed { .. }),
        "{status:?}"
    );
    assert!(matches!(
        alice.seal_dm("bob", "x"),
        Err(KeyError::UntrustedKey { .. })
    ));
    let (_, trusted) = alice.peer_fingerprint("bob").expect("known");
    assert!(!trusted);
    alice.trust_peer("bob").expect("trusted");
    assert!(alice.seal_dm("bob", "x").is_ok());
    assert!(matches!(
        alice.seal_dm("carol", "x"),
        Err(KeyError::NoPeerKey { .. })
    ));
}

#[test]
fn pins_are_per_server_and_the_store_is_private() {
    let dir = tempfile::tempdir().expect("dir");
    let bob_here = Identity::generate().public_b64();
    let bob_elsewhere = Identity::generate().public_b64();
    let mut alice = ring(dir.path(), "alice");
    assert!(matches!(
        alice.learn_peer_key("bob", &bob_here).expect("learned"),
        PeerKeyStatus::Pinned { .. }
    ));
    // Another server's bob is another person: pinned afresh, no warning.
    let (mut other, _) =
        KeyRing::open(dir.path(), "ws://example.net:8765", "alice", true).expect("opens");
    assert!(matches!(
        other
            .learn_peer_key("bob", &bob_elsewhere)
            .expect("learned"),
        PeerKeyStatus::Pinned { .. }
    ));
    // And the first server still remembers its own pin.
    let (mut again, _) =
        KeyRing::open(dir.path(), "ws://127.0.0.1:9/", "alice", true).expect("opens");
    assert_eq!(
        again.learn_peer_key("bob", &bob_here).expect("learned"),
        PeerKeyStatus::Known
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let file = trust_file(dir.path(), "ws://127.0.0.1:9");
        let file_mode = std::fs::metadata(&file)
            .expect("saved")
            .permissions()
            .mode();
        let dir_mode = std::fs::metadata(dir.path().join(TRUST_DIR))
            .expect("dir")
            .permissions()
            .mode();
        assert_eq!((file_mode & 0o777, dir_mode & 0o777), (0o600, 0o700));
    }
}
