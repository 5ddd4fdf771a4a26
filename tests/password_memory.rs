//! Issue 13's memory row: a server that verified passwords on several threads must not keep
//! their Argon2 working memory (19 MiB per hash) resident afterwards. glibc serves each thread
//! from an arena of its own and, once its mmap threshold has risen past 19 MiB, returns a freed
//! block to the top of that arena's heap, which `malloc_trim` does not give back, so every
//! blocking thread that ever hashed kept one block (0.8–1.5 GB after 1,000 logins before the
//! 4-at-a-time limit; +42–79 MiB after it). This file holds one test so that it runs in a process
//! of its own and the RSS it reads is its own.

use std::sync::Barrier;

use chatify::crypto::{hash_password, verify_password};

/// Resident set size of this process, in KiB (`VmRSS` of /proc/self/status).
fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("reading /proc/self/status");
    status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kib| kib.parse().ok())
        .expect("VmRSS in /proc/self/status")
}

#[test]
fn password_hashing_on_many_threads_does_not_keep_its_working_memory() {
    let phc = hash_password("correct horse battery").expect("hash");
    let before = resident_kib();
    // Rounds of four threads at once, each round on fresh threads (the blocking pool makes and
    // retires them), so the blocks land in several arenas; what stays resident is read after
    // each round. Before the fix about half of all runs kept a block within six rounds.
    for round in 1..=12 {
        let barrier = Barrier::new(4);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    barrier.wait();
                    assert!(verify_password("correct horse battery", &phc));
                    assert!(!verify_password("wrong horse battery", &phc));
                });
            }
        });
        let retained_kib = resident_kib().saturating_sub(before);
        // One Argon2 block is 19,456 KiB: keeping even one of them resident fails.
        assert!(
            retained_kib < 16 * 1024,
            "{retained_kib} KiB stayed resident after round {round} of eight Argon2 runs on four threads"
        );
    }
}
