//! Unit tests of `identity`: RFC 7748 X25519 vectors, DM keys, fingerprints, and the key file's
//! format and permission checks.

use super::*;

fn unhex32(text: &str) -> [u8; 32] {
    let bytes: Vec<u8> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("test hex"))
        .collect();
    bytes.try_into().expect("32-byte test vector")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const ALICE_SECRET: &str = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
const ALICE_PUBLIC: &str = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
const BOB_SECRET: &str = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
const BOB_PUBLIC: &str = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
const SHARED: &str = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

/// RFC 7748 §5.2: the two X25519 function vectors and the iterated vector (1 and 1000 rounds).
#[test]
fn rfc7748_section_5_2_vectors() {
    let cases = [
        (
            "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
            "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
        ),
        (
            "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
            "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
            "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
        ),
    ];
    for (scalar, u, expected) in cases {
        let out = x25519_dalek::x25519(unhex32(scalar), unhex32(u));
        assert_eq!(hex(&out), expected);
    }
    let mut k = [0u8; 32];
    k[0] = 9;
    let mut u = k;
    for round in 1..=1000 {
        let result = x25519_dalek::x25519(k, u);
        u = k;
        k = result;
        if round == 1 {
            assert_eq!(
                hex(&k),
                "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079"
            );
        }
    }
    assert_eq!(
        hex(&k),
        "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51"
    );
}

/// RFC 7748 §6.1: Alice's and Bob's key pairs and their shared secret.
#[test]
fn rfc7748_section_6_1_diffie_hellman() {
    let alice = Identity::from_secret(IdentitySecret::from_bytes(unhex32(ALICE_SECRET)));
    let bob = Identity::from_secret(IdentitySecret::from_bytes(unhex32(BOB_SECRET)));
    assert_eq!(hex(&alice.public), ALICE_PUBLIC);
    assert_eq!(hex(&bob.public), BOB_PUBLIC);
    let alice_shared = x25519_dalek::x25519(unhex32(ALICE_SECRET), bob.public);
    let bob_shared = x25519_dalek::x25519(unhex32(BOB_SECRET), alice.public);
    assert_eq!(hex(&alice_shared), SHARED);
    assert_eq!(hex(&bob_shared), SHARED);
}

#[test]
fn dm_key_is_symmetric_and_matches_reference() {
    let alice = Identity::from_secret(IdentitySecret::from_bytes(unhex32(ALICE_SECRET)));
    let bob = Identity::from_secret(IdentitySecret::from_bytes(unhex32(BOB_SECRET)));
    let from_alice = alice.dm_key(&bob.public).expect("contributory");
    let from_bob = bob.dm_key(&alice.public).expect("contributory");
    assert!(from_alice.ct_eq(&from_bob));
    assert_eq!(
        hex(from_alice.as_bytes()),
        "83ce161e3eb3e902b642ffb43fc1f34f33e2338b12f9ec0ed6df0b84fe503893"
    );
    let carol = Identity::generate();
    let other = alice.dm_key(&carol.public).expect("contributory");
    assert!(!other.ct_eq(&from_alice));
}

#[test]
fn dm_key_refuses_low_order_points() {
    let alice = Identity::generate();
    let mut one = [0u8; 32];
    one[0] = 1;
    let order_eight = unhex32("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
    for bad in [[0u8; 32], one, order_eight] {
        assert!(matches!(
            alice.dm_key(&bad),
            Err(CryptoError::NonContributory)
        ));
    }
}

#[test]
fn dm_key_refuses_mismatched_own_public_key() {
    let alice = Identity::generate();
    let bob = Identity::generate();
    let result = dm_key(&alice.secret, &bob.public, &bob.public);
    assert!(matches!(result, Err(CryptoError::BadPublicKey(_))));
}

#[test]
fn fingerprint_shape_and_distinctness() {
    let alice = Identity::generate();
    let bob = Identity::generate();
    let print = alice.fingerprint();
    assert_eq!(print.len(), 24, "{print}");
    let groups: Vec<&str> = print.split(' ').collect();
    assert_eq!(groups.len(), 5);
    assert!(
        groups
            .iter()
            .all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_hexdigit()))
    );
    assert_eq!(print, fingerprint(&alice.public));
    assert_ne!(print, bob.fingerprint());
}

#[test]
fn public_key_encoding_roundtrips_and_rejects_garbage() {
    let alice = Identity::generate();
    let b64 = alice.public_b64();
    assert_eq!(b64.len(), 44);
    assert_eq!(
        decode_public_key(&format!(" {b64}\n")).ok(),
        Some(alice.public)
    );
    for bad in [
        "",
        "AAAA",
        "not base64 at all!",
        &STANDARD.encode([0u8; 33]),
    ] {
        assert!(matches!(
            decode_public_key(bad),
            Err(CryptoError::BadPublicKey(_))
        ));
    }
}

#[test]
fn secrets_never_debug_printed() {
    let alice = Identity::from_secret(IdentitySecret::from_bytes(unhex32(ALICE_SECRET)));
    let shown = format!("{alice:?}");
    assert!(shown.contains("<redacted>"), "{shown}");
    assert!(!shown.contains("119, 7, 109"), "{shown}");
    assert!(!shown.contains("77076d0a"), "{shown}");
}

#[test]
fn key_file_roundtrip_with_mode_0600() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nested").join("identity.key");
    let alice = Identity::generate();
    alice.save(&path).expect("save");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains(&format!("public: {}", alice.public_b64())));
    let loaded = Identity::load(&path).expect("load");
    assert_eq!(loaded.public, alice.public);
    assert_eq!(loaded.secret.public_key(), alice.public);
}

#[cfg(unix)]
#[test]
fn key_file_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("identity.key");
    Identity::generate().save(&path).expect("save");
    for mode in [0o644, 0o640, 0o604, 0o620, 0o660] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        let error = Identity::load(&path).expect_err("insecure mode must be refused");
        assert!(
            matches!(error, CryptoError::InsecureKeyFile { mode: m, .. } if m == mode),
            "{error}"
        );
        assert!(error.to_string().contains("chmod 600"), "{error}");
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).expect("chmod");
    assert!(Identity::load(&path).is_ok());
}

#[test]
fn missing_and_malformed_key_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("absent.key");
    assert!(matches!(
        Identity::load(&missing),
        Err(CryptoError::NoKeyFile { .. })
    ));
    let other_public = Identity::generate().public_b64();
    let real = Identity::generate();
    let secret = STANDARD.encode(real.secret.0.as_bytes());
    let cases = [
        String::new(),
        "hello\n".to_string(),
        "secret: AAAA\n".to_string(),
        "secret: !!!\n".to_string(),
        format!("secret: {secret}\npublic: {other_public}\n"),
        "x".repeat(5000),
    ];
    for (index, contents) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{index}.key"));
        crate::paths::write_private_file(&path, contents.as_bytes()).expect("write");
        assert!(
            matches!(Identity::load(&path), Err(CryptoError::KeyFile { .. })),
            "case {index}"
        );
    }
    let path = dir.path().join("no_public_line.key");
    crate::paths::write_private_file(&path, format!("secret: {secret}\n").as_bytes())
        .expect("write");
    assert_eq!(Identity::load(&path).expect("load").public, real.public);
    assert!(matches!(
        Identity::load(dir.path()),
        Err(CryptoError::KeyFile { .. })
    ));
}

#[test]
fn load_or_generate_creates_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("identity.key");
    let (first, created) = Identity::load_or_generate(&path).expect("create");
    assert!(created);
    let (second, created_again) = Identity::load_or_generate(&path).expect("load");
    assert!(!created_again);
    assert_eq!(first.public, second.public);
}
