//! `--db` on end-to-end encrypted conversations: a sealed channel read with the passphrase (from
//! the environment or a file), without it, or with a wrong one, and searched by blind tokens;
//! DMs read with `--as` and the identity key, without it, or with the wrong person's key.

use std::path::{Path, PathBuf};

use chatify::client::keys;

use crate::db_fixture::DbFixture;
use crate::{PASSPHRASE, Run, now_ms, texts};

/// Sealed channel `vault` with an edited message and a second one.
async fn vault_fixture() -> DbFixture {
    let mut fixture = DbFixture::new(now_ms()).await;
    fixture.create_vault().await;
    let first = fixture.say_sealed("alice", "the vault code is 1234").await;
    fixture
        .edit_sealed("alice", first, "the vault code is 5678")
        .await;
    fixture.say_sealed("alice", "rotate the deploy keys").await;
    fixture
}

#[tokio::test]
#[cfg_attr(
    not(feature = "test-weak-kdf"),
    ignore = "its sealed channel has test-weak Argon2 parameters: needs --features test-weak-kdf"
)]
async fn db_sealed_channel_is_decrypted_with_the_passphrase() {
    let fixture = vault_fixture().await;
    let db = fixture.db();
    let passphrase_file = fixture.dir.path().join("passphrase.txt");
    std::fs::write(&passphrase_file, format!("{PASSPHRASE}\n")).expect("passphrase file");

    let by_env = fixture
        .cli()
        .args(["history", "#vault", "--json", "--db", db])
        .env("CHATIFY_PASSPHRASE", PASSPHRASE)
        .env(keys::WEAK_KDF_TEST_ENV, "1")
        .run()
        .await
        .json();
    assert_eq!(
        texts(&by_env),
        ["the vault code is 5678", "rotate the deploy keys"]
    );
    assert!(
        by_env
            .iter()
            .all(|r| r["sealed"] == true && r["undecryptable"].is_null())
    );
    assert!(by_env[0]["edited"].is_i64());

    let by_file = fixture
        .cli()
        .args(["history", "#vault", "--db", db, "--passphrase-file"])
        .arg_path(&passphrase_file)
        .env(keys::WEAK_KDF_TEST_ENV, "1")
        .run()
        .await;
    let out = by_file.assert_code(0).stdout();
    assert!(
        out.contains("🔒#vault <alice> the vault code is 5678 (edited)"),
        "{out}"
    );
}

#[tokio::test]
#[cfg_attr(
    not(feature = "test-weak-kdf"),
    ignore = "its sealed channel has test-weak Argon2 parameters: needs --features test-weak-kdf"
)]
async fn db_sealed_channel_is_shown_undecryptable_without_the_passphrase() {
    let fixture = vault_fixture().await;
    let db = fixture.db();

    // No passphrase and no terminal to ask on: shown as undecryptable, with a note.
    let without = fixture
        .cli()
        .args(["history", "#vault", "--json", "--db", db])
        .env(keys::WEAK_KDF_TEST_ENV, "1")
        .run()
        .await;
    let records = without.json();
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r["text"].is_null()));
    assert_eq!(records[0]["undecryptable"], "no key for #vault");
    assert!(
        without.stderr().contains("CHATIFY_PASSPHRASE"),
        "{}",
        without.stderr()
    );

    let wrong = fixture
        .cli()
        .args(["history", "#vault", "--db", db])
        .env("CHATIFY_PASSPHRASE", "not the passphrase")
        .env(keys::WEAK_KDF_TEST_ENV, "1")
        .run()
        .await;
    wrong.assert_code(2);
    assert!(
        wrong.stderr().contains("wrong passphrase"),
        "{}",
        wrong.stderr()
    );
}

#[tokio::test]
#[cfg_attr(
    not(feature = "test-weak-kdf"),
    ignore = "its sealed channel has test-weak Argon2 parameters: needs --features test-weak-kdf"
)]
async fn db_sealed_search_uses_blind_tokens_of_the_query_words() {
    let fixture = vault_fixture().await;
    let db = fixture.db();
    let search = |words: &'static str| {
        fixture
            .cli()
            .args(["search", "#vault", words, "--json", "--db", db])
            .env("CHATIFY_PASSPHRASE", PASSPHRASE)
            .env(keys::WEAK_KDF_TEST_ENV, "1")
            .run()
    };

    // The old text no longer matches.
    assert_eq!(
        texts(&search("VAULT code").await.json()),
        ["the vault code is 5678"]
    );
    assert_eq!(
        texts(&search("deploy").await.json()),
        ["rotate the deploy keys"]
    );
    search("1234").await.assert_code(1);
    let none = search("a").await;
    none.assert_code(2);
    assert!(
        none.stderr().contains("no searchable words"),
        "{}",
        none.stderr()
    );
    let locked = fixture
        .cli()
        .args(["search", "#vault", "deploy", "--db", db])
        .run()
        .await;
    locked.assert_code(2);
    assert!(
        locked.stderr().contains("no key for #vault"),
        "{}",
        locked.stderr()
    );
}

/// Two DMs between alice and bob; alice's identity key saved to `alice.key`.
async fn dm_fixture() -> (DbFixture, PathBuf) {
    let fixture = DbFixture::new(now_ms()).await;
    fixture.dm("alice", "bob", "psst, bob").await;
    fixture.dm("bob", "alice", "yes alice?").await;
    let key_file = fixture.dir.path().join("alice.key");
    fixture.alice.save(&key_file).expect("save key");
    (fixture, key_file)
}

/// `history @bob --json --as alice --db … --key <key_file>`.
async fn dm_history_with_key(fixture: &DbFixture, key_file: &Path) -> Run {
    fixture
        .cli()
        .args([
            "history",
            "@bob",
            "--json",
            "--as",
            "alice",
            "--db",
            fixture.db(),
            "--key",
        ])
        .arg_path(key_file)
        .run()
        .await
}

#[tokio::test]
async fn db_dms_are_decrypted_with_the_identity_key() {
    let (fixture, key_file) = dm_fixture().await;
    let db = fixture.db();

    let records = dm_history_with_key(&fixture, &key_file).await.json();
    assert_eq!(texts(&records), ["psst, bob", "yes alice?"]);
    for record in &records {
        assert_eq!(record["dm"], "bob");
        assert!(record.get("ch").is_none());
        assert!(record["seq"].is_null());
        assert_eq!(record["sealed"], true);
    }
    assert_eq!(records[1]["u"], "bob");

    // The key through CHATIFY_KEY_FILE, and a human timeline.
    let human = fixture
        .cli()
        .args(["history", "@bob", "--as", "alice", "--db", db])
        .env("CHATIFY_KEY_FILE", &key_file)
        .run()
        .await;
    assert!(
        human
            .assert_code(0)
            .stdout()
            .contains("🔒@bob <bob> >> yes alice?"),
        "{}",
        human.stdout()
    );
}

#[tokio::test]
async fn db_dms_need_as_and_the_identity_key() {
    let (fixture, _key_file) = dm_fixture().await;
    let db = fixture.db();

    let no_as = fixture
        .cli()
        .args(["history", "@bob", "--db", db])
        .run()
        .await;
    no_as.assert_code(2);
    assert!(no_as.stderr().contains("--as"), "{}", no_as.stderr());

    // Without the key file: printed as undecryptable, with a clear note.
    let keyless = fixture
        .cli()
        .args(["history", "@bob", "--json", "--as", "alice", "--db", db])
        .run()
        .await;
    let records = keyless.json();
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r["text"].is_null()));
    assert!(
        keyless.stderr().contains("no identity key for alice"),
        "{}",
        keyless.stderr()
    );

    // bob's key is not alice's.
    let bob_key = fixture.dir.path().join("bob.key");
    fixture.bob.save(&bob_key).expect("save key");
    let mismatched = dm_history_with_key(&fixture, &bob_key).await;
    assert!(mismatched.json().iter().all(|r| r["text"].is_null()));
    assert!(
        mismatched.stderr().contains("is not alice's"),
        "{}",
        mismatched.stderr()
    );
}
