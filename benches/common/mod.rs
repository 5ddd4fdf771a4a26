//! Shared helpers of the benchmark programs (`benches/store.rs`, `benches/server/`,
//! `benches/sqlite.rs`, `benches/frames.rs`): sizes from `CHATIFY_BENCH_*` environment variables,
//! latency percentiles, a seeded PRNG and the synthetic message text (Zipf-distributed words, so
//! search has common and rare words), and CPU time from `/proc/PID/stat`. Plain
//! `std::time::Instant` timing; no harness.

#![allow(dead_code)]

use std::time::Duration;

/// A size or count from the environment variable `name`, or `default` when unset or unparsable.
pub fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(text) => match text.replace('_', "").parse::<usize>() {
            Ok(value) => value,
            Err(_) => {
                eprintln!("warning: {name}={text:?} is not a number; using {default}");
                default
            }
        },
        Err(_) => default,
    }
}

/// A comma-separated list of sizes from `name` (e.g. `1000,5000`), or `default` when unset or
/// when an item does not parse.
pub fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    let Ok(text) = std::env::var(name) else {
        return default.to_vec();
    };
    let parsed: Result<Vec<usize>, _> = text
        .split(',')
        .map(|item| item.trim().replace('_', "").parse::<usize>())
        .collect();
    match parsed {
        Ok(list) if !list.is_empty() => list,
        _ => {
            eprintln!("warning: {name}={text:?} is not a list of numbers; using {default:?}");
            default.to_vec()
        }
    }
}

/// Latency samples with percentiles (nearest-rank).
#[derive(Default)]
pub struct Samples {
    nanos: Vec<u64>,
}

impl Samples {
    pub fn with_capacity(capacity: usize) -> Samples {
        Samples {
            nanos: Vec::with_capacity(capacity),
        }
    }

    pub fn push(&mut self, sample: Duration) {
        self.nanos
            .push(u64::try_from(sample.as_nanos()).unwrap_or(u64::MAX));
    }

    pub fn push_nanos(&mut self, nanos: u64) {
        self.nanos.push(nanos);
    }

    pub fn extend(&mut self, other: Samples) {
        self.nanos.extend(other.nanos);
    }

    pub fn len(&self) -> usize {
        self.nanos.len()
    }

    /// The `p`-th percentile (0..=100), nearest rank; zero when empty.
    pub fn percentile(&mut self, p: f64) -> Duration {
        if self.nanos.is_empty() {
            return Duration::ZERO;
        }
        self.nanos.sort_unstable();
        let rank = ((p / 100.0) * self.nanos.len() as f64).ceil() as usize;
        let index = rank.clamp(1, self.nanos.len()) - 1;
        Duration::from_nanos(self.nanos[index])
    }

    /// "p50 1.23 ms  p95 … p99 … max …" for the printed report.
    pub fn summary(&mut self) -> String {
        format!(
            "n={}  p50 {}  p95 {}  p99 {}  max {}",
            self.len(),
            ms(self.percentile(50.0)),
            ms(self.percentile(95.0)),
            ms(self.percentile(99.0)),
            ms(self.percentile(100.0)),
        )
    }
}

/// A duration as milliseconds with three decimals.
pub fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1000.0)
}

/// A rate with thousands separators, e.g. "123,456/s".
pub fn per_second(count: u64, elapsed: Duration) -> String {
    let rate = count as f64 / elapsed.as_secs_f64().max(1e-9);
    format!("{}/s", thousands(rate.round() as u64))
}

pub fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// SplitMix64: a tiny seeded PRNG so every run generates the same data.
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `low..high` (`high > low`).
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low).max(1)
    }
}

/// Words of the synthetic chat text, drawn with a Zipf (s = 1) distribution over a fixed
/// vocabulary: the word of rank 1 is in almost every message, the word of rank 20,000 in about
/// one message in 7,000.
pub struct Vocabulary {
    cumulative: Vec<f64>,
}

pub const VOCABULARY_SIZE: usize = 20_000;

impl Vocabulary {
    pub fn new() -> Vocabulary {
        let mut total = 0.0;
        let cumulative = (1..=VOCABULARY_SIZE)
            .map(|rank| {
                total += 1.0 / rank as f64;
                total
            })
            .collect::<Vec<_>>();
        Vocabulary { cumulative }
    }

    /// The word of `rank` (1-based): pronounceable, alphabetic, distinct per rank.
    pub fn word(rank: usize) -> String {
        const SYLLABLES: [&str; 20] = [
            "ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "va", "ze", "bo", "di", "fu", "ga",
            "hi", "jo", "ke", "lu", "ma", "ne",
        ];
        let mut word = String::from("w");
        let mut n = rank;
        loop {
            word.push_str(SYLLABLES[n % SYLLABLES.len()]);
            n /= SYLLABLES.len();
            if n == 0 {
                return word;
            }
        }
    }

    /// A random rank (1-based).
    pub fn sample(&self, rng: &mut SplitMix64) -> usize {
        let total = self.cumulative[self.cumulative.len() - 1];
        let target = (rng.next_u64() as f64 / u64::MAX as f64) * total;
        self.cumulative
            .partition_point(|&c| c < target)
            .min(VOCABULARY_SIZE - 1)
            + 1
    }

    /// A message of about `bytes` bytes of space-separated words.
    pub fn message(&self, rng: &mut SplitMix64, bytes: usize) -> String {
        let mut text = String::with_capacity(bytes + 16);
        while text.len() < bytes {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&Vocabulary::word(self.sample(rng)));
        }
        text
    }
}

impl Default for Vocabulary {
    fn default() -> Self {
        Vocabulary::new()
    }
}

/// User + system CPU time consumed so far by process `pid` ("self" for this process), from
/// `/proc/PID/stat` (fields 14 and 15, in clock ticks). `None` off Linux or on a parse error.
pub fn process_cpu(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces; fields after it follow the last ')'.
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3, so field N is at index N - 3.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let ticks = clock_ticks_per_second();
    Some(Duration::from_secs_f64(
        (utime + stime) as f64 / ticks as f64,
    ))
}

/// Resident set size of process `pid` in KiB, from `/proc/PID/status` (`VmRSS`).
pub fn process_rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `getconf CLK_TCK` (100 on practically every Linux), read once.
fn clock_ticks_per_second() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .filter(|&ticks: &u64| ticks > 0)
            .unwrap_or(100)
    })
}

/// Prints a section heading.
pub fn heading(title: &str) {
    println!();
    println!("== {title}  [load average {}]", load_average());
}

/// The machine's 1, 5 and 15 minute load averages (`/proc/loadavg`), printed beside every
/// section: the figures move with the load of whatever else shares the cores.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".to_string())
}
