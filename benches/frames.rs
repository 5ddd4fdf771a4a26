//! The cost of decoding one client frame (`proto::decode_client_frame`), the first thing the
//! server does with every frame it reads: a well-formed frame of each common kind, and frames
//! that are refused (which take the slower path that explains the error). One thread, so the
//! wall-clock time per decode is its CPU time; prints the median of five rounds.
//!
//! ```sh
//! cargo bench --bench frames
//! CHATIFY_BENCH_DECODES=50000 cargo bench --bench frames   # fewer decodes per round
//! ```

use std::hint::black_box;
use std::time::Instant;

use chatify::proto::decode_client_frame;

mod common;

const FRAMES: &[(&str, &str)] = &[
    (
        "msg, open channel, 200 bytes of text",
        r#"{"t":"msg","ch":"general","c":"the quick brown fox jumps over the lazy dog while the build runs; nobody reads the logs until something breaks, and then everybody reads them at once, looking for the one line that matters","rid":"r-1234"}"#,
    ),
    (
        "msg, sealed channel, ciphertext and 12 blind tokens",
        r#"{"t":"msg","ch":"ops","c":"eHNhbHNhMjBwb2x5MTMwNSBjaXBoZXJ0ZXh0IG9mIGEgdHlwaWNhbCBjaGF0IGxpbmUgb2YgYWJvdXQgYSBodW5kcmVkIGJ5dGVzIGluIGJhc2U2NA","enc":"xc20p1","idx":["a1b2c3d4e5f6","b2c3d4e5f6a1","c3d4e5f6a1b2","d4e5f6a1b2c3","e5f6a1b2c3d4","f6a1b2c3d4e5","a1b2c3d4e5f7","b2c3d4e5f6a2","c3d4e5f6a1b3","d4e5f6a1b2c4","e5f6a1b2c3d5","f6a1b2c3d4e6"],"rid":"r-1235"}"#,
    ),
    (
        "history page request",
        r#"{"t":"history","ch":"general","after":123456,"limit":100,"rid":"h-1"}"#,
    ),
    ("ping", r#"{"t":"ping","rid":"p-1"}"#),
    (
        "refused: unknown frame type",
        r#"{"t":"nosuchframe","ch":"general","rid":"x-1"}"#,
    ),
    (
        "refused: msg with a number for text",
        r#"{"t":"msg","ch":"general","c":7,"rid":"x-2"}"#,
    ),
];

fn main() {
    let decodes = common::env_usize("CHATIFY_BENCH_DECODES", 200_000).max(1);
    println!("decode_client_frame: median of 5 rounds of {decodes} decodes, one thread");
    for (name, text) in FRAMES {
        let mut rounds: Vec<f64> = (0..5).map(|_| nanos_per_decode(text, decodes)).collect();
        rounds.sort_by(f64::total_cmp);
        println!(
            "  {name:<52} {:>5} bytes  {:>7.0} ns per decode",
            text.len(),
            rounds[2]
        );
    }
}

fn nanos_per_decode(text: &str, decodes: usize) -> f64 {
    let started = Instant::now();
    for _ in 0..decodes {
        let _ = black_box(decode_client_frame(black_box(text)));
    }
    started.elapsed().as_nanos() as f64 / decodes as f64
}
