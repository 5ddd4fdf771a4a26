//! Property test of everything that parses bytes from the other side (docs/TESTING.md): client
//! frames as the server decodes them, server frames as the client decodes them, and `xc20p1`
//! envelopes, key-check values and KDF parameters as the client opens them. Seeded generated
//! cases — valid frames damaged structurally and byte by byte, random JSON, absurd nesting,
//! forged envelopes — must never panic; what decodes must survive encode → decode unchanged; a
//! `rid` over 64 characters, KDF parameters over the ceilings and an envelope that was changed
//! in any way are never accepted.
//!
//! `CHATIFY_FUZZ_CASES` is the total number of cases over the four tests (CI: 50 000; the full
//! run is 1 000 000, in a release build), `CHATIFY_FUZZ_SEED` picks the seed; a failure names the seed and case.

#[path = "frame_fuzz/generate.rs"]
mod generate;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chatify::crypto::{self, CryptoError, KdfParams, Key32};
use chatify::proto::{
    self, ClientFrame, CreateChannel, JoinFrame, MAX_RID_LEN, decode_client_frame,
    decode_server_frame, encode_client_frame,
};
use generate::{CLIENT_TYPES, Rng, SERVER_TYPES, frame_text, random_frame, random_text};
use serde_json::{Value, json};

/// Total cases over the four tests when `CHATIFY_FUZZ_CASES` is not set.
const DEFAULT_TOTAL_CASES: u64 = 50_000;
/// Each test's share of the total, in percent (they add up to 100). Envelope cases cost the
/// most (four AEAD operations; the generic AEAD code is unoptimised in a debug build).
const CLIENT_SHARE: u64 = 45;
const SERVER_SHARE: u64 = 35;
const ENVELOPE_SHARE: u64 = 10;
const KEY_MATERIAL_SHARE: u64 = 10;
/// Longest `err.m` the decoder may produce from client input (it echoes parts of it).
const MAX_ERROR_MESSAGE_CHARS: usize = 512;

/// This test's number of cases and the seed, from the environment.
fn plan(share_percent: u64) -> (u64, u64) {
    let total = std::env::var("CHATIFY_FUZZ_CASES")
        .ok()
        .and_then(|value| value.parse::<u64>().ok())
        .unwrap_or(DEFAULT_TOTAL_CASES);
    let seed = std::env::var("CHATIFY_FUZZ_SEED")
        .ok()
        .and_then(|value| value.parse::<u64>().ok())
        .unwrap_or(0x00c4_a71f_7f00_2026);
    (total * share_percent / 100, seed)
}

/// Runs `case` `cases` times, each with its own seed, naming seed and case number on a panic.
/// `case` says whether its input was accepted; returns how many were.
fn run_cases(name: &str, share_percent: u64, case: impl Fn(&mut Rng) -> bool) -> (u64, u64) {
    let (cases, seed) = plan(share_percent);
    let started = std::time::Instant::now();
    let mut accepted = 0;
    for number in 0..cases {
        let case_seed = seed ^ number.wrapping_mul(0x2545_f491_4f6c_dd1d);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            case(&mut Rng::new(case_seed))
        }));
        match result {
            Ok(true) => accepted += 1,
            Ok(false) => {}
            Err(panic) => {
                eprintln!("{name}: case {number} failed (CHATIFY_FUZZ_SEED={seed})");
                std::panic::resume_unwind(panic);
            }
        }
    }
    eprintln!(
        "{name}: {cases} cases ({accepted} accepted), seed {seed}, {:.1} s",
        started.elapsed().as_secs_f64()
    );
    (cases, accepted)
}

/// The generator is useless if (almost) nothing it makes gets past the decoder.
fn assert_enough_accepted(name: &str, (cases, accepted): (u64, u64)) {
    assert!(
        accepted * 10 >= cases,
        "{name}: only {accepted} of {cases} decoded"
    );
}

fn client_templates() -> Vec<Value> {
    let pk = STANDARD.encode([7u8; 32]);
    let kdf = json!({"alg": "argon2id", "m": 65536, "t": 3, "p": 1});
    let create = json!({"mode": "sealed", "salt": STANDARD.encode([1u8; 16]), "kdf": kdf,
        "kcv": STANDARD.encode([2u8; 16])});
    vec![
        json!({"t": "auth", "u": "alice", "pw": "correct horse", "pk": pk, "register": true}),
        json!({"t": "auth", "u": "alice", "session": "c2Vzc2lvbg"}),
        json!({"t": "join", "ch": "#ops", "create": create}),
        json!({"t": "join", "ch": "general"}),
        json!({"t": "leave", "ch": "general"}),
        json!({"t": "msg", "ch": "general", "c": "hi", "reply_to": 3}),
        json!({"t": "msg", "ch": "ops", "c": "AAAA", "enc": "xc20p1", "idx": ["dG9r"]}),
        json!({"t": "edit", "ch": "general", "id": 4, "c": "fixed"}),
        json!({"t": "delete", "ch": "general", "id": 4}),
        json!({"t": "react", "ch": "general", "id": 4, "emoji": "👍", "on": true}),
        json!({"t": "dm", "to": "bob", "c": "AAAA", "enc": "xc20p1", "reply_to": 3}),
        json!({"t": "dm_edit", "to": "bob", "id": 9, "c": "AAAA", "enc": "xc20p1"}),
        json!({"t": "dm_delete", "to": "bob", "id": 9}),
        json!({"t": "dm_react", "to": "alice", "id": 9, "emoji": "👍", "on": true}),
        json!({"t": "history", "ch": "general", "limit": 50, "before": 42, "from": "bob"}),
        json!({"t": "history", "ch": "general", "after": 41, "limit": 500}),
        json!({"t": "history", "dm": "bob", "since": 1, "until": 2}),
        json!({"t": "search", "ch": "general", "q": "deploy", "sort": "rank", "limit": 30}),
        json!({"t": "search", "ch": "ops", "idx": ["dG9r"], "since": 0, "until": 9}),
        json!({"t": "rewind", "ch": "general", "at": 1_795_632_472_432_i64, "limit": 9}),
        json!({"t": "typing", "ch": "general", "on": true}),
        json!({"t": "typing", "to": "bob", "on": false}),
        json!({"t": "status", "state": "away", "text": "lunch"}),
        json!({"t": "vjoin", "room": "standup"}),
        json!({"t": "vleave"}),
        json!({"t": "ping"}),
        json!({"t": "who", "ch": "general"}),
    ]
}

fn server_templates() -> Vec<Value> {
    let kdf = json!({"alg": "argon2id", "m": 65536, "t": 3, "p": 1});
    let msg = json!({"t": "msg", "ch": "general", "id": 7, "seq": 3, "u": "alice", "c": "hi",
        "ts": 5, "reply_to": 2, "edited": 6, "reacts": {"👍": ["bob"]}});
    let deleted = json!({"t": "msg", "ch": "general", "id": 8, "seq": 4, "u": "bob", "ts": 5,
        "deleted": true});
    let dm = json!({"t": "dm", "id": 9, "from": "alice", "to": "bob", "c": "AAAA",
        "enc": "xc20p1", "ts": 5});
    let user = json!({"u": "bob", "pk": null, "online": true, "state": "busy", "text": "busy"});
    let channel = json!({"ch": "ops", "mode": "sealed", "members": 2, "seq": 9,
        "salt": STANDARD.encode([1u8; 16]), "kdf": kdf, "kcv": STANDARD.encode([2u8; 16])});
    vec![
        json!({"t": "ok", "u": "alice", "session": "s", "proto": 1, "server": {"name": "chatify",
            "version": "0.1.0", "max_frame": 65536}, "users": [user], "channels": [channel],
            "rid": "a"}),
        json!({"t": "err", "code": "rate_limited", "m": "slow down", "rid": "x"}),
        json!({"t": "ack", "rid": "c1", "id": 1235, "seq": 42, "ts": 5}),
        json!({"t": "joined", "ch": "ops", "mode": "sealed", "salt": "AAAA", "kdf": kdf,
            "kcv": "AAAA", "members": ["alice"], "seq": 4, "hist": [msg], "rid": "j"}),
        json!({"t": "left", "ch": "ops"}),
        json!({"t": "member", "ch": "ops", "u": "bob", "on": true, "ts": 5}),
        msg.clone(),
        deleted.clone(),
        json!({"t": "edit", "ch": "general", "id": 7, "seq": 5, "u": "alice", "c": "x", "ts": 6}),
        json!({"t": "delete", "ch": "general", "id": 7, "seq": 6, "u": "alice", "ts": 7}),
        json!({"t": "react", "ch": "general", "id": 7, "seq": 7, "u": "bob", "emoji": "👍",
            "on": true, "ts": 8}),
        dm.clone(),
        json!({"t": "dm_edit", "id": 9, "from": "alice", "to": "bob", "c": "AAAA",
            "enc": "xc20p1", "ts": 6}),
        json!({"t": "dm_delete", "id": 9, "from": "alice", "to": "bob", "ts": 7}),
        json!({"t": "dm_react", "id": 9, "from": "bob", "to": "alice", "emoji": "👍",
            "on": true, "ts": 8}),
        json!({"t": "dm", "id": 10, "from": "bob", "to": "alice", "ts": 5, "reply_to": 9,
            "deleted": true}),
        json!({"t": "history", "ch": "general", "events": [msg, deleted], "more": true}),
        json!({"t": "history", "dm": "bob", "events": [dm], "more": false}),
        json!({"t": "search", "ch": "general", "events": [msg]}),
        json!({"t": "rewind", "ch": "general", "at": 5, "events": [msg]}),
        json!({"t": "typing", "ch": "general", "u": "bob", "on": true}),
        json!({"t": "presence", "u": "bob", "state": "away", "text": "", "ts": 5}),
        json!({"t": "key", "u": "bob", "pk": STANDARD.encode([3u8; 32]), "ts": 5}),
        json!({"t": "vjoined", "room": "standup", "members": ["bob"], "rid": "v"}),
        json!({"t": "vleft", "room": "standup"}),
        json!({"t": "vmember", "room": "standup", "u": "bob", "on": false}),
        json!({"t": "pong", "rid": "p", "ts": 5}),
        json!({"t": "who", "ch": "general", "members": [user]}),
    ]
}

#[test]
fn every_template_is_a_valid_frame() {
    for template in client_templates() {
        let text = template.to_string();
        assert!(decode_client_frame(&text).is_ok(), "{text}");
    }
    for template in server_templates() {
        let text = template.to_string();
        assert!(decode_server_frame(&text).is_ok(), "{text}");
    }
}

/// The checks on one client frame text: no panic, a bounded error, or a frame that re-encodes
/// to itself with its `rid` within the limit and its KDF parameters within the ceilings.
fn check_client_frame_text(text: &str) -> bool {
    match decode_client_frame(text) {
        Err(error) => {
            assert!(!error.message.is_empty(), "{text}");
            assert!(
                error.message.chars().count() <= MAX_ERROR_MESSAGE_CHARS,
                "err.m echoes too much: {}",
                error.message
            );
            if let Some(rid) = &error.rid {
                assert!(rid.chars().count() <= MAX_RID_LEN, "{text}");
            }
            false
        }
        Ok((frame, rid)) => {
            if let Some(rid) = &rid {
                assert!(rid.chars().count() <= MAX_RID_LEN, "accepted rid: {text}");
            }
            let again = encode_client_frame(&frame, rid.as_deref());
            let decoded = decode_client_frame(&again).expect("a re-encoded frame decodes");
            assert_eq!(decoded, (frame.clone(), rid), "round trip of {text}");
            if let ClientFrame::Join(JoinFrame {
                create:
                    Some(CreateChannel {
                        kdf: Some(spec), ..
                    }),
                ..
            }) = &frame
            {
                check_kdf_ceilings(spec);
            }
            true
        }
    }
}

/// `KdfParams::from_spec` never accepts parameters over the documented ceilings.
fn check_kdf_ceilings(spec: &proto::KdfSpec) {
    if let Ok(params) = KdfParams::from_spec(spec) {
        assert!(
            params.m_kib <= 1024 * 1024 && params.t <= 64 && params.p <= 64 && params.p >= 1,
            "accepted KDF parameters {spec:?}"
        );
    }
}

#[test]
fn client_frames_never_panic_the_decoder_and_round_trip() {
    let templates = client_templates();
    let counts = run_cases("client frames", CLIENT_SHARE, |rng| {
        let frame = random_frame(rng, &templates, CLIENT_TYPES);
        check_client_frame_text(&frame_text(rng, &frame))
    });
    assert_enough_accepted("client frames", counts);
}

#[test]
fn server_frames_never_panic_the_decoder_and_round_trip() {
    let templates = server_templates();
    let counts = run_cases("server frames", SERVER_SHARE, |rng| {
        let frame = random_frame(rng, &templates, SERVER_TYPES);
        let text = frame_text(rng, &frame);
        if let Ok(decoded) = decode_server_frame(&text) {
            let again = decoded.to_json();
            let twice = decode_server_frame(&again).expect("a re-encoded frame decodes");
            assert_eq!(twice, decoded, "round trip of {text}");
            assert_eq!(twice.to_json(), again, "encoding is stable for {text}");
            return true;
        }
        false
    });
    assert_enough_accepted("server frames", counts);
}

const SCOPES: &[&str] = &["#general", "#ops", "@alice:bob", "@a:b", "#"];
const SENDERS: &[&str] = &["alice", "bob", "Mallory", "a"];
const KINDS: &[&str] = &["msg", "dm", "edit:1", "edit:2"];

#[test]
fn envelopes_open_only_exactly_as_sealed() {
    run_cases("envelopes", ENVELOPE_SHARE, |rng| {
        let key = Key32::from_bytes(rng.array32());
        let (scope, sender, kind) = (*rng.pick(SCOPES), *rng.pick(SENDERS), *rng.pick(KINDS));
        let plaintext = random_text(rng, 120);
        let sealed = crypto::seal(&key, scope, sender, kind, &plaintext);
        let opened = crypto::open(&key, scope, sender, kind, &sealed).expect("opens as sealed");
        assert_eq!(opened, plaintext);
        let forged = forge_envelope(rng, &sealed);
        if forged != sealed {
            let result = crypto::open(&key, scope, sender, kind, &forged);
            assert!(result.is_err(), "a changed envelope opened: {forged}");
        }
        let (other_scope, other_sender, other_kind) =
            (*rng.pick(SCOPES), *rng.pick(SENDERS), *rng.pick(KINDS));
        let same_context = (other_scope, other_sender.to_ascii_lowercase(), other_kind)
            == (scope, sender.to_ascii_lowercase(), kind);
        let result = crypto::open(&key, other_scope, other_sender, other_kind, &sealed);
        assert_eq!(result.is_ok(), same_context, "opened in another context");
        let other_key = Key32::from_bytes(rng.array32());
        assert!(matches!(
            crypto::open(&other_key, scope, sender, kind, &sealed),
            Err(CryptoError::Tampered)
        ));
        true
    });
}

/// An envelope changed one way: a bit flipped, bytes cut or added, its text edited, or garbage.
fn forge_envelope(rng: &mut Rng, sealed: &str) -> String {
    let mut bytes = STANDARD.decode(sealed).expect("own envelope is base64");
    match rng.below(5) {
        0 => {
            let at = rng.below(bytes.len());
            bytes[at] ^= 1 << rng.below(8);
            STANDARD.encode(bytes)
        }
        1 => {
            bytes.truncate(rng.below(bytes.len()));
            STANDARD.encode(bytes)
        }
        2 => {
            let extra = 1 + rng.below(8);
            bytes.extend(rng.bytes(extra));
            STANDARD.encode(bytes)
        }
        3 => {
            let mut text: Vec<char> = sealed.chars().collect();
            let at = rng.below(text.len());
            text[at] = *rng.pick(&['A', 'z', '+', '/', '=', ' ', '-', '_', 'é']);
            text.into_iter().collect()
        }
        _ => generate::random_string(rng),
    }
}

#[test]
fn key_check_values_and_kdf_parameters_are_bounded() {
    run_cases("kcv and kdf", KEY_MATERIAL_SHARE, |rng| {
        let kcv = if rng.chance(50) {
            let len = rng.below(24);
            STANDARD.encode(rng.bytes(len))
        } else {
            generate::random_string(rng)
        };
        let kcv_accepted = crypto::decode_kcv(&kcv).is_ok();
        if kcv_accepted {
            assert_eq!(
                STANDARD.decode(&kcv).map(|b| b.len()).ok(),
                Some(16),
                "{kcv}"
            );
        }
        let number = |rng: &mut Rng| match rng.below(3) {
            0 => rng.next_u64() as u32,
            1 => rng.below(70) as u32,
            _ => (1 << rng.below(32)) as u32,
        };
        let spec = proto::KdfSpec {
            alg: if rng.chance(90) {
                "argon2id".into()
            } else {
                generate::random_string(rng)
            },
            m: number(rng),
            t: number(rng),
            p: number(rng),
        };
        check_kdf_ceilings(&spec);
        kcv_accepted
    });
    let lanes_overflowing_the_memory_check = proto::KdfSpec {
        alg: "argon2id".into(),
        m: 65536,
        t: 3,
        p: u32::MAX,
    };
    assert!(KdfParams::from_spec(&lanes_overflowing_the_memory_check).is_err());
}
