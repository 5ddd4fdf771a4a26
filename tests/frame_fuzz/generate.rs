//! The seeded generator of the frame fuzz test: a SplitMix64 random source (so a failing case is
//! reproduced from its seed), hostile strings and numbers, random JSON values, structural
//! mutations of valid frames (fields dropped, added, retyped; `t` swapped; `rid` over the limit)
//! and byte-level damage of their text (bits flipped, bytes inserted or cut, deep nesting).

use serde_json::{Map, Value, json};

/// SplitMix64: small, fast and fully determined by its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with `percent` % probability.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }

    pub fn array32(&mut self) -> [u8; 32] {
        std::array::from_fn(|_| self.next_u64() as u8)
    }
}

/// Every field name the protocol uses, so random objects hit real fields with wrong values.
const FIELD_NAMES: &[&str] = &[
    "t",
    "rid",
    "u",
    "pw",
    "pk",
    "register",
    "session",
    "ch",
    "create",
    "mode",
    "salt",
    "kdf",
    "kcv",
    "alg",
    "m",
    "p",
    "c",
    "enc",
    "idx",
    "reply_to",
    "id",
    "emoji",
    "on",
    "to",
    "dm",
    "limit",
    "before",
    "since",
    "until",
    "after",
    "from",
    "q",
    "sort",
    "at",
    "state",
    "text",
    "room",
    "code",
    "seq",
    "ts",
    "proto",
    "server",
    "users",
    "channels",
    "name",
    "version",
    "max_frame",
    "members",
    "hist",
    "more",
    "events",
    "online",
    "deleted",
    "edited",
    "reacts",
];

/// Strings that have broken parsers before: empty, control and bidi characters, quotes,
/// escapes, multi-byte runs, enum names of the protocol, almost-valid names.
const HOSTILE_STRINGS: &[&str] = &[
    "",
    "general",
    "#General",
    "#",
    "@a:b",
    "xc20p1",
    "argon2id",
    "online",
    "away",
    "dnd",
    "offline",
    "open",
    "sealed",
    "rank",
    "newest",
    "bad_frame",
    "👍",
    "a\u{0}b",
    "\u{202e}evil",
    "line\nforged",
    "\\",
    "\"",
    "\u{feff}",
    "\u{200b}",
    "ünïcödé",
    "null",
    "9223372036854775808",
    "-1",
];

/// Client frame types, to swap `t` into a frame of another type.
pub const CLIENT_TYPES: &[&str] = &[
    "auth",
    "join",
    "leave",
    "msg",
    "edit",
    "delete",
    "react",
    "dm",
    "history",
    "search",
    "rewind",
    "typing",
    "status",
    "vjoin",
    "vleave",
    "ping",
    "who",
    "dm_edit",
    "dm_delete",
    "dm_react",
];

/// Server frame types, for the same purpose.
pub const SERVER_TYPES: &[&str] = &[
    "ok",
    "err",
    "ack",
    "joined",
    "left",
    "member",
    "msg",
    "edit",
    "delete",
    "react",
    "dm",
    "history",
    "search",
    "rewind",
    "typing",
    "presence",
    "key",
    "vjoined",
    "vleft",
    "vmember",
    "pong",
    "who",
    "dm_edit",
    "dm_delete",
    "dm_react",
];

/// A hostile, random or over-long string.
pub fn random_string(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 | 1 => rng.pick(HOSTILE_STRINGS).to_string(),
        2 => "x".repeat(rng.below(80)),
        3 => random_text(rng, 40),
        4 => {
            use base64::Engine;
            let len = rng.below(70);
            base64::engine::general_purpose::STANDARD.encode(rng.bytes(len))
        }
        _ => (0..rng.below(12))
            .map(|_| char::from(b'a' + rng.below(26) as u8))
            .collect(),
    }
}

/// Up to `max_chars` characters from every plane (surrogates skipped).
pub fn random_text(rng: &mut Rng, max_chars: usize) -> String {
    (0..rng.below(max_chars + 1))
        .map(|_| {
            let code = match rng.below(4) {
                0 => rng.below(0x80) as u32,
                1 => rng.below(0x800) as u32,
                2 => rng.below(0x10000) as u32,
                _ => rng.below(0x11_0000) as u32,
            };
            char::from_u32(code).unwrap_or('\u{fffd}')
        })
        .collect()
}

/// Numbers at and around every boundary a decoder might mishandle.
pub fn random_number(rng: &mut Rng) -> Value {
    match rng.below(12) {
        0 => json!(0),
        1 => json!(-1),
        2 => json!(i64::MAX),
        3 => json!(i64::MIN),
        4 => json!(u64::MAX),
        5 => json!(u32::MAX as u64 + 1),
        6 => json!(1.5),
        7 => json!(1e300),
        8 => json!(-0.0),
        9 => json!([63, 64, 65, 500, 501][rng.below(5)]),
        _ => json!(rng.next_u64() as i64 >> rng.below(64)),
    }
}

/// A random JSON value at most `depth` levels deep.
pub fn random_value(rng: &mut Rng, depth: usize) -> Value {
    let kinds = if depth == 0 { 4 } else { 6 };
    match rng.below(kinds) {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(50)),
        2 => random_number(rng),
        3 => Value::String(random_string(rng)),
        4 => Value::Array(
            (0..rng.below(4))
                .map(|_| random_value(rng, depth - 1))
                .collect(),
        ),
        _ => {
            let mut map = Map::new();
            for _ in 0..rng.below(4) {
                map.insert(
                    rng.pick(FIELD_NAMES).to_string(),
                    random_value(rng, depth - 1),
                );
            }
            Value::Object(map)
        }
    }
}

/// A value like `value` but damaged: replaced, retyped, or (inside objects and arrays) with
/// members dropped, added and mutated.
pub fn mutate(rng: &mut Rng, value: &Value, depth: usize) -> Value {
    match rng.below(10) {
        0 => return random_value(rng, depth.min(3)),
        1 => {
            return match value {
                Value::String(_) => Value::String(random_string(rng)),
                Value::Number(_) => random_number(rng),
                Value::Bool(b) => Value::Bool(!b),
                _ => random_value(rng, 1),
            };
        }
        _ => {}
    }
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, child) in map {
                match rng.below(10) {
                    0 => {}
                    1 | 2 => {
                        out.insert(key.clone(), mutate(rng, child, depth.saturating_sub(1)));
                    }
                    _ => {
                        out.insert(key.clone(), child.clone());
                    }
                }
            }
            if rng.chance(20) {
                out.insert(
                    rng.pick(FIELD_NAMES).to_string(),
                    random_value(rng, depth.min(2)),
                );
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let mut out: Vec<Value> = items
                .iter()
                .map(|item| {
                    if rng.chance(20) {
                        mutate(rng, item, depth.saturating_sub(1))
                    } else {
                        item.clone()
                    }
                })
                .collect();
            if rng.chance(10) {
                out.pop();
            }
            if rng.chance(10) {
                out.push(random_value(rng, depth.min(2)));
            }
            Value::Array(out)
        }
        other => other.clone(),
    }
}

/// A frame from `templates`, often damaged, with `t` sometimes swapped and `rid` sometimes set
/// (valid, just over the 64-character limit, or not a string).
pub fn random_frame(rng: &mut Rng, templates: &[Value], types: &[&str]) -> Value {
    let mut frame = rng.pick(templates).clone();
    if rng.chance(70) {
        frame = mutate(rng, &frame, 4);
    }
    if let Value::Object(map) = &mut frame {
        if rng.chance(10) {
            let t = if rng.chance(70) {
                rng.pick(types).to_string()
            } else {
                random_string(rng)
            };
            map.insert("t".into(), Value::String(t));
        }
        if rng.chance(40) {
            map.insert("rid".into(), random_rid(rng));
        }
    }
    frame
}

fn random_rid(rng: &mut Rng) -> Value {
    match rng.below(5) {
        0 => json!("r1"),
        1 => json!("é".repeat(60 + rng.below(10))),
        2 => json!("r".repeat(60 + rng.below(10))),
        3 => random_number(rng),
        _ => Value::String(random_string(rng)),
    }
}

/// The frame's text, sometimes damaged at the byte level (and then read as lossy UTF-8, as a
/// WebSocket text frame must be UTF-8), sometimes nested far beyond any sane depth.
pub fn frame_text(rng: &mut Rng, frame: &Value) -> String {
    let text = frame.to_string();
    match rng.below(10) {
        0..=6 => text,
        7 => {
            let depth = 1 + rng.below(4000);
            let open = if rng.chance(50) { "[" } else { "{\"a\":" };
            let close = if open == "[" { "]" } else { "}" };
            format!(
                "{{\"t\":\"msg\",\"ch\":{}1{}}}",
                open.repeat(depth),
                close.repeat(depth)
            )
        }
        _ => {
            let mut bytes = text.into_bytes();
            for _ in 0..1 + rng.below(4) {
                damage_bytes(rng, &mut bytes);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
    }
}

fn damage_bytes(rng: &mut Rng, bytes: &mut Vec<u8>) {
    if bytes.is_empty() {
        bytes.push(b'{');
        return;
    }
    let at = rng.below(bytes.len());
    match rng.below(5) {
        0 => bytes[at] ^= 1 << rng.below(8),
        1 => bytes.insert(at, *rng.pick(b"{}[]\",:\\0-e.tu\x00\xff")),
        2 => {
            let end = (at + 1 + rng.below(8)).min(bytes.len());
            bytes.drain(at..end);
        }
        3 => bytes.truncate(at),
        _ => {
            let end = (at + 1 + rng.below(16)).min(bytes.len());
            let slice = bytes[at..end].to_vec();
            bytes.splice(at..at, slice);
        }
    }
}
