//! Integration tests of the crypto module and `chatify keygen`: every reference value of
//! `tests/data/vectors.json` (a copy of the design's vectors, computed by an independent
//! libsodium/argon2-cffi/blake3 implementation), chatify's own fixed format vectors
//! (`tests/data/own_vectors.json`), and the `keygen` command run as a real process.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chatify::crypto::{self, ChannelKeys, CryptoError, Identity, IdentitySecret, Key32};
use chatify::crypto::{KdfParams, KdfPolicy};
use chatify::proto::KdfSpec;
use serde_json::Value;

const REFERENCE: &str = include_str!("data/vectors.json");
const OWN: &str = include_str!("data/own_vectors.json");

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("test vectors are valid JSON")
}

fn field<'a>(value: &'a Value, name: &str) -> &'a str {
    value[name]
        .as_str()
        .unwrap_or_else(|| panic!("vector field {name} is a string"))
}

fn unhex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "even-length hex");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("test hex"))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn array32(text: &str) -> [u8; 32] {
    unhex(text).try_into().expect("32-byte vector")
}

fn key(text: &str) -> Key32 {
    Key32::from_bytes(array32(text))
}

fn kdf_params(vector: &Value) -> KdfParams {
    let spec: KdfSpec = serde_json::from_value(vector["kdf"].clone()).expect("kdf spec");
    KdfParams::from_spec(&spec).expect("argon2id spec")
}

/// Checks one channel vector: root, the three keys and the kcv.
fn check_channel_vector(vector: &Value, salt: &[u8], policy: KdfPolicy) {
    let params = kdf_params(vector);
    let passphrase = field(vector, "passphrase");
    let root = crypto::channel_root(passphrase, salt, &params, policy).expect("root");
    assert_eq!(
        hex(root.as_bytes()),
        field(vector, "root"),
        "root of {passphrase}"
    );
    let keys = crypto::derive_channel_keys(passphrase, salt, &params, policy).expect("keys");
    assert_eq!(hex(keys.message.as_bytes()), field(vector, "message_key"));
    assert_eq!(hex(keys.search.as_bytes()), field(vector, "search_key"));
    assert_eq!(hex(keys.check.as_bytes()), field(vector, "check_key"));
    assert_eq!(keys.kcv_b64(), field(vector, "kcv_b64"));
    let kcv = crypto::decode_kcv(field(vector, "kcv_b64")).expect("kcv");
    assert!(keys.check_kcv(&kcv));
    keys.require_kcv(&kcv).expect("kcv matches");
}

/// Checks one envelope vector: AAD, the exact sealed form for the given nonce, and opening it.
fn check_envelope_vector(vector: &Value, key: &Key32) {
    let (scope, sender, kind) = (
        field(vector, "scope"),
        field(vector, "sender"),
        field(vector, "kind"),
    );
    assert_eq!(crypto::aad(scope, sender, kind), field(vector, "aad_utf8"));
    let nonce: [u8; 24] = unhex(field(vector, "nonce"))
        .try_into()
        .expect("24-byte nonce");
    let plaintext = field(vector, "plaintext");
    let sealed = crypto::seal_with_nonce(key, &nonce, scope, sender, kind, plaintext);
    assert_eq!(sealed, field(vector, "c_b64"));
    let opened = crypto::open(key, scope, sender, kind, field(vector, "c_b64")).expect("open");
    assert_eq!(opened, plaintext);
}

#[test]
fn reference_channel_keys_and_kcv() {
    let vectors = json(REFERENCE);
    let channels = vectors["channel"].as_array().expect("channel vectors");
    assert_eq!(channels.len(), 2);
    for vector in channels {
        let salt = STANDARD.decode(field(vector, "salt_b64")).expect("salt");
        check_channel_vector(vector, &salt, KdfPolicy::EnforceFloor);
    }
}

#[test]
fn reference_envelopes() {
    let vectors = json(REFERENCE);
    let envelopes = vectors["envelope"].as_array().expect("envelope vectors");
    assert_eq!(envelopes.len(), 3);
    for vector in envelopes {
        check_envelope_vector(vector, &key(field(vector, "key")));
    }
}

#[test]
fn reference_dm_key_and_envelope() {
    let vectors = json(REFERENCE);
    let dm = &vectors["dm"];
    let alice = Identity::from_secret(IdentitySecret::from_bytes(array32(field(
        dm,
        "alice_secret",
    ))));
    let bob = Identity::from_secret(IdentitySecret::from_bytes(array32(field(dm, "bob_secret"))));
    assert_eq!(hex(&alice.public), field(dm, "alice_public"));
    assert_eq!(hex(&bob.public), field(dm, "bob_public"));
    let shared = x25519_dalek::x25519(array32(field(dm, "alice_secret")), bob.public);
    assert_eq!(hex(&shared), field(dm, "shared"));
    let alice_key = crypto::dm_key(&alice.secret, &alice.public, &bob.public).expect("dm key");
    let bob_key = crypto::dm_key(&bob.secret, &bob.public, &alice.public).expect("dm key");
    assert_eq!(hex(alice_key.as_bytes()), field(dm, "dm_key"));
    assert_eq!(hex(bob_key.as_bytes()), field(dm, "dm_key"));
    let envelope = &dm["envelope"];
    assert_eq!(
        field(envelope, "scope"),
        chatify::proto::dm_scope("bob", "alice")
    );
    check_envelope_vector(envelope, &alice_key);
}

#[test]
fn reference_blind_words_and_tokens() {
    let vectors = json(REFERENCE);
    let cases = vectors["blind"].as_array().expect("blind vectors");
    assert_eq!(cases.len(), 8);
    for case in cases {
        let text = field(case, "text");
        let search_key = key(field(case, "search_key"));
        let words: Vec<String> = serde_json::from_value(case["words"].clone()).expect("word list");
        let tokens: Vec<String> =
            serde_json::from_value(case["tokens"].clone()).expect("token list");
        assert_eq!(crypto::blind_words(text), words, "words of {text:?}");
        assert_eq!(
            crypto::blind_tokens(&search_key, text),
            tokens,
            "tokens of {text:?}"
        );
    }
}

#[test]
fn own_fixed_vectors_pin_the_formats() {
    let vectors = json(OWN);
    for vector in vectors["envelope"].as_array().expect("envelope vectors") {
        check_envelope_vector(vector, &key(field(vector, "key")));
    }
    let channel = &vectors["channel_weak_kdf"];
    let salt = unhex(field(channel, "salt"));
    check_channel_vector(channel, &salt, KdfPolicy::AllowWeakForTests);
    let weak = crypto::derive_channel_keys(
        field(channel, "passphrase"),
        &salt,
        &kdf_params(channel),
        KdfPolicy::EnforceFloor,
    );
    assert!(matches!(
        weak,
        Err(CryptoError::WeakKdf {
            m_kib: 64,
            t: 1,
            p: 1
        })
    ));
    let blind = &vectors["blind"];
    let search_key = key(field(blind, "search_key"));
    let tokens = blind["tokens"].as_object().expect("token map");
    assert_eq!(tokens.len(), 3);
    for (word, token) in tokens {
        assert_eq!(
            crypto::blind_token(&search_key, word),
            token.as_str().expect("token")
        );
    }
    let print = &vectors["fingerprint"];
    assert_eq!(
        crypto::fingerprint(&array32(field(print, "public"))),
        field(print, "fingerprint")
    );
    let password = &vectors["password"];
    assert!(crypto::verify_password(
        field(password, "password"),
        field(password, "phc")
    ));
    assert!(!crypto::verify_password("wrong", field(password, "phc")));
}

#[test]
fn wrong_channel_passphrase_is_reported_by_kcv_not_as_garbage() {
    let vectors = json(REFERENCE);
    let vector = &vectors["channel"][0];
    let salt = STANDARD.decode(field(vector, "salt_b64")).expect("salt");
    let wrong = crypto::derive_channel_keys(
        "incorrect horse battery staple",
        &salt,
        &kdf_params(vector),
        KdfPolicy::EnforceFloor,
    )
    .expect("derive");
    let kcv = crypto::decode_kcv(field(vector, "kcv_b64")).expect("kcv");
    assert!(matches!(
        wrong.require_kcv(&kcv),
        Err(CryptoError::WrongKey)
    ));
    let envelope = field(&vectors["envelope"][0], "c_b64");
    let opened = crypto::open(&wrong.message, "#ops", "alice", "msg", envelope);
    assert!(matches!(opened, Err(CryptoError::Tampered)));
    let right = ChannelKeys {
        message: key(field(vector, "message_key")),
        search: key(field(vector, "search_key")),
        check: key(field(vector, "check_key")),
    };
    right.require_kcv(&kcv).expect("right key");
}

// ---------------------------------------------------------------------------------------------
// `chatify keygen`, run as a real process with its own config dir.

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        Sandbox {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    fn default_key(&self) -> PathBuf {
        self.config_dir().join("identity.key")
    }

    fn keygen(&self, args: &[&str]) -> Output {
        self.keygen_with_env(args, &[])
    }

    fn keygen_with_env(&self, args: &[&str], env: &[(&str, &Path)]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_chatify"));
        command
            .arg("keygen")
            .args(args)
            .env("CHATIFY_CONFIG_DIR", self.config_dir())
            .env("CHATIFY_DATA_DIR", self.dir.path().join("data"))
            .env_remove("CHATIFY_KEY_FILE")
            .env("NO_COLOR", "1");
        for (name, value) in env {
            command.env(name, value);
        }
        command.output().expect("running chatify")
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The value after `label` on its line of `text`.
fn printed(text: &str, label: &str) -> String {
    text.lines()
        .find_map(|line| line.strip_prefix(label))
        .map(|rest| rest.trim().to_string())
        .unwrap_or_else(|| panic!("no {label:?} line in {text:?}"))
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
}

fn assert_prints_identity(output: &Output, path: &Path) -> String {
    assert!(output.status.success(), "stderr: {}", stderr(output));
    let text = stdout(output);
    let identity = Identity::load(path).expect("the key file loads");
    let public = printed(&text, "public key:");
    assert_eq!(public, identity.public_b64());
    assert_eq!(printed(&text, "fingerprint:"), identity.fingerprint());
    assert!(text.contains(&path.display().to_string()), "{text}");
    public
}

#[test]
fn keygen_creates_a_private_key_and_prints_it() {
    let sandbox = Sandbox::new();
    let output = sandbox.keygen(&[]);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let public = assert_prints_identity(&output, &sandbox.default_key());
    assert_eq!(
        crypto::decode_public_key(&public).map(|p| p.len()).ok(),
        Some(32)
    );
    #[cfg(unix)]
    {
        assert_eq!(mode_of(&sandbox.default_key()), 0o600);
        assert_eq!(mode_of(&sandbox.config_dir()), 0o700);
    }
}

#[test]
fn keygen_refuses_to_overwrite_without_force() {
    let sandbox = Sandbox::new();
    let first = sandbox.keygen(&[]);
    let public = assert_prints_identity(&first, &sandbox.default_key());
    let before = std::fs::read(sandbox.default_key()).expect("read key");

    let again = sandbox.keygen(&[]);
    assert_eq!(again.status.code(), Some(2));
    let message = stderr(&again);
    assert!(message.contains("already exists"), "{message}");
    assert!(message.contains("--force"), "{message}");
    assert_eq!(
        std::fs::read(sandbox.default_key()).expect("read key"),
        before
    );

    let shown = sandbox.keygen(&["--show"]);
    assert_eq!(shown.status.code(), Some(0));
    assert_eq!(
        assert_prints_identity(&shown, &sandbox.default_key()),
        public
    );
    assert_eq!(
        std::fs::read(sandbox.default_key()).expect("read key"),
        before
    );

    let forced = sandbox.keygen(&["--force"]);
    let replaced = assert_prints_identity(&forced, &sandbox.default_key());
    assert_ne!(replaced, public);
    #[cfg(unix)]
    assert_eq!(mode_of(&sandbox.default_key()), 0o600);
}

#[test]
fn keygen_show_without_a_key_fails_with_advice() {
    let sandbox = Sandbox::new();
    let output = sandbox.keygen(&["--show"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("no identity key"), "{message}");
    assert!(message.contains("chatify keygen"), "{message}");
    assert!(!sandbox.default_key().exists());
}

#[cfg(unix)]
#[test]
fn keygen_show_refuses_a_readable_key_file() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::new();
    assert!(sandbox.keygen(&[]).status.success());
    let path = sandbox.default_key();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let output = sandbox.keygen(&["--show"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("chmod 600"), "{message}");
    assert!(
        stdout(&output).is_empty(),
        "nothing printed from an insecure key"
    );
}

#[test]
fn keygen_key_flag_and_env_override_the_location() {
    let sandbox = Sandbox::new();
    let by_flag = sandbox.dir.path().join("elsewhere").join("flag.key");
    let flag_arg = by_flag.to_str().expect("utf-8 temp path");
    let output = sandbox.keygen(&["--key", flag_arg]);
    assert_prints_identity(&output, &by_flag);

    let by_env = sandbox.dir.path().join("env.key");
    let output = sandbox.keygen_with_env(&[], &[("CHATIFY_KEY_FILE", &by_env)]);
    assert_prints_identity(&output, &by_env);
    let shown = sandbox.keygen_with_env(&["--show"], &[("CHATIFY_KEY_FILE", &by_env)]);
    assert_prints_identity(&shown, &by_env);
    assert!(
        !sandbox.default_key().exists(),
        "the default location stays untouched"
    );
    #[cfg(unix)]
    {
        assert_eq!(mode_of(&by_flag), 0o600);
        assert_eq!(mode_of(&by_env), 0o600);
    }
}

#[test]
fn keygen_show_and_force_conflict() {
    let sandbox = Sandbox::new();
    let output = sandbox.keygen(&["--show", "--force"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!sandbox.default_key().exists());
}
