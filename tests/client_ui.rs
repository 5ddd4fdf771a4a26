//! The client's display and navigation commands through the real binary (issue 10):
//! `chatify connect` in pipe mode against a real `chatify serve`. `/ignore` hides a user's
//! messages, DMs and catch-up lines and survives a restart (kept in a 0600 state file);
//! `--links always` wraps http(s) URLs in OSC 8 hyperlinks whose target is exactly the URL shown
//! and never carries a sequence smuggled in by the sender; `--seconds` shows seconds; entering
//! a place that got messages meanwhile shows them under "new since you left"; `/more` pages
//! back through older messages. Every read has a timeout.

#[path = "client_e2e/pipe_client.rs"]
mod pipe_client;
#[path = "common/server.rs"]
mod server_fixture;

use pipe_client::{Client, Login};
use server_fixture::ServeProcess;

fn client_with(server: &ServeProcess, name: &str, extra: &[&str]) -> Client {
    let config = tempfile::tempdir().expect("config dir");
    Client::spawn_with_args(&server.url, name, Login::Register, config, extra)
}

#[test]
fn ignored_users_are_hidden_live_and_in_catch_up_and_the_list_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServeProcess::start(&dir.path().join("chat.db"));
    let mut alice = Client::start(&server, "alice");
    let mut bob = Client::start(&server, "bob");
    let mut carol = Client::start(&server, "carol");
    bob.send("/ignore CAROL");
    bob.expect("ignoring carol");
    carol.send("carol speaks in public");
    carol.expect("<carol> carol speaks in public");
    carol.send("/dm bob a private word from carol");
    carol.expect("a private word from carol");
    alice.send("alice speaks after carol");
    bob.expect("<alice> alice speaks after carol");
    let config = bob.quit();
    let state_files: Vec<_> = std::fs::read_dir(config.path().join("state"))
        .expect("the state dir exists")
        .map(|entry| entry.expect("entry").path())
        .collect();
    assert_eq!(state_files.len(), 1, "{state_files:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&state_files[0]).expect("state file");
        assert_eq!(mode.permissions().mode() & 0o777, 0o600);
    }

    carol.send("carol again while b is away");
    carol.expect("<carol> carol again while b is away");
    alice.send("alice while b is away");
    alice.expect("<alice> alice while b is away");
    let mut bob = Client::spawn(&server, "bob", Login::SavedSession, config);
    bob.expect("<alice> alice while b is away");
    bob.send("/ignore");
    let listed = bob.expect("ignored:");
    assert!(listed.contains("carol"), "{listed}");
    carol.send("carol after the restart");
    carol.expect("<carol> carol after the restart");
    alice.send("alice after the restart");
    bob.expect("<alice> alice after the restart");
    bob.send("/unignore carol");
    bob.expect("no longer ignoring carol");
    carol.send("carol is heard again");
    bob.expect("<carol> carol is heard again");
    assert_eq!(
        bob.transcript
            .iter()
            .filter(|line| line.contains("carol speaks")
                || line.contains("from carol")
                || line.contains("carol again")
                || line.contains("carol after"))
            .count(),
        0,
        "bob saw an ignored line:\n{}",
        bob.transcript.join("\n")
    );
}

/// Every OSC 8 link in `line` as (target, shown text).
fn hyperlinks(line: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find("\u{1b}]8;;") {
        let after = &rest[start + 5..];
        let Some(end) = after.find("\u{1b}\\") else {
            break;
        };
        let target = after[..end].to_string();
        let tail = &after[end + 2..];
        if target.is_empty() {
            rest = tail;
            continue;
        }
        let shown_end = tail
            .find("\u{1b}]8;;\u{1b}\\")
            .expect("every link is closed");
        found.push((target, tail[..shown_end].to_string()));
        rest = &tail[shown_end..];
    }
    found
}

#[test]
fn urls_become_hyperlinks_showing_their_target_and_a_crafted_url_cannot_inject_a_sequence() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServeProcess::start(&dir.path().join("chat.db"));
    let mut alice = Client::start(&server, "alice");
    let mut bob = client_with(&server, "bob", &["--links", "always"]);
    // A clipboard write and a title change smuggled into a URL, and a hand-made link whose
    // target differs from its text.
    alice.send(
        "see https://example.org/a?b=1&c=%20, https://evil.example/\u{1b}]52;c;cHduZWQ=\u{7}x \
         \u{1b}]8;;https://phish.example/\u{1b}\\https://bank.example/\u{1b}]8;;\u{1b}\\ \
         javascript:alert(1) file:///etc/passwd mailto:ops@example.org end",
    );
    let line = bob.expect("<alice> see");
    assert!(!line.contains("\u{1b}]52"), "{line:?}");
    assert!(!line.contains('\u{7}'), "{line:?}");
    let links = hyperlinks(&line);
    for (target, shown) in &links {
        assert_eq!(target, shown, "a link shows its own target: {line:?}");
        assert!(target.bytes().all(|b| b.is_ascii_graphic()), "{target:?}");
    }
    let targets: Vec<&str> = links.iter().map(|(target, _)| target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "https://example.org/a?b=1&c=%20",
            "https://evil.example/",
            "https://phish.example/",
            "https://bank.example/",
            "mailto:ops@example.org",
        ],
        "{line:?}"
    );

    // Without --links (a pipe, so auto is off) nothing is wrapped.
    alice.send("plain https://example.org/again");
    let line = alice.expect("<alice> plain");
    assert!(!line.contains('\u{1b}'), "{line:?}");
}

/// Whether `line` starts with `HH:MM:SS ` (or `HH:MM ` when `seconds` is false).
fn starts_with_time(line: &str, seconds: bool) -> bool {
    let pattern: &[u8] = if seconds { b"00:00:00 " } else { b"00:00 " };
    line.len() > pattern.len()
        && line.bytes().zip(pattern).all(|(byte, want)| match want {
            b'0' => byte.is_ascii_digit(),
            other => byte == *other,
        })
}

#[test]
fn seconds_are_shown_on_request() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServeProcess::start(&dir.path().join("chat.db"));
    let mut alice = Client::start(&server, "alice");
    let mut bob = client_with(&server, "bob", &["--seconds"]);
    alice.send("what time is it");
    let with_seconds = bob.expect("<alice> what time is it");
    assert!(starts_with_time(&with_seconds, true), "{with_seconds}");
    let without = alice.expect("<alice> what time is it");
    assert!(starts_with_time(&without, false), "{without}");
    assert!(!starts_with_time(&without, true), "{without}");
}

#[test]
fn entering_a_channel_or_dm_that_got_messages_shows_them_under_new_since_you_left() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServeProcess::start(&dir.path().join("chat.db"));
    let mut alice = Client::start(&server, "alice");
    let mut bob = Client::start(&server, "bob");
    for who in [&mut alice, &mut bob] {
        who.send("/join #random");
        who.expect("joined #random");
        who.send("#general");
        who.expect("now talking in #general");
    }
    alice.send("/msg #random first while bob looks at general");
    alice.send("/msg #random second while bob looks at general");
    alice.send("/dm bob psst");
    bob.expect("second while bob looks at general");
    bob.expect("psst");

    bob.send("#random");
    bob.expect("now talking in #random");
    bob.expect("── new since you left: #random (2) ──");
    bob.expect("first while bob looks at general");
    bob.expect("second while bob looks at general");
    bob.send("#general");
    bob.expect("now talking in #general");
    bob.send("@alice");
    bob.expect("now talking with");
    bob.expect("── new since you left: 🔒@alice (1) ──");
    bob.expect("psst");
    // Nothing new the second time.
    bob.send("#random");
    bob.expect("now talking in #random");
    bob.send("/status");
    bob.expect("current channel #random");
    assert_eq!(
        bob.count("new since you left: #random"),
        1,
        "{}",
        bob.transcript.join("\n")
    );
}

#[test]
fn more_pages_back_through_older_messages_until_the_beginning() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServeProcess::start(&dir.path().join("chat.db"));
    let mut alice = Client::start(&server, "alice");
    for n in 1..=30 {
        alice.send(&format!("note {n:02}"));
    }
    alice.expect("<alice> note 30");
    let mut bob = Client::start(&server, "bob");
    bob.send("/history 5");
    bob.expect("last 5 message(s) of #general");
    bob.expect("<alice> note 30");
    bob.send("/more");
    bob.expect("a page of 20 message(s) of #general");
    let page = lines_until(&mut bob, "older messages exist");
    let notes: Vec<&String> = page.iter().filter(|line| line.contains("note ")).collect();
    assert_eq!(notes.len(), 20, "{page:#?}");
    assert!(notes[0].contains("note 06"), "{page:#?}");
    assert!(notes[19].contains("note 25"), "{page:#?}");
    bob.send("/history more");
    let page = lines_until(&mut bob, "the beginning of #general");
    let notes: Vec<&String> = page.iter().filter(|line| line.contains("note ")).collect();
    assert_eq!(notes.len(), 5, "{page:#?}");
    assert!(
        notes[0].contains("note 01") && notes[4].contains("note 05"),
        "{page:#?}"
    );
    bob.send("/clear");
    bob.expect("/clear clears the terminal in interactive mode");
}

/// The lines printed up to the one containing `needle` (which is left out).
fn lines_until(client: &mut Client, needle: &str) -> Vec<String> {
    let before = client.transcript.len();
    client.expect(needle);
    let seen = &client.transcript[before..];
    seen[..seen.len() - 1].to_vec()
}
