//! Table-driven tests of the command parser and the time expressions of `/rewind`.

use super::*;

fn ok(line: &str) -> Command {
    match parse_line(line) {
        Ok(command) => command,
        Err(error) => panic!("{line:?} should parse, got error {error}"),
    }
}

fn err(line: &str) -> String {
    match parse_line(line) {
        Ok(command) => panic!("{line:?} should be refused, got {command:?}"),
        Err(error) => error.message,
    }
}

#[test]
fn every_command_of_the_design_parses() {
    let cases: Vec<(&str, Command)> = vec![
        ("hello world", Command::Say("hello world".into())),
        ("  spaced  ", Command::Say("  spaced  ".into())),
        (
            "//etc/passwd is a path",
            Command::Say("/etc/passwd is a path".into()),
        ),
        ("", Command::Nothing),
        ("   ", Command::Nothing),
        (
            "/join #Ops",
            Command::Join {
                channel: "ops".into(),
                sealed: false,
            },
        ),
        (
            "/join ops --sealed",
            Command::Join {
                channel: "ops".into(),
                sealed: true,
            },
        ),
        (
            "/join --sealed #ops",
            Command::Join {
                channel: "ops".into(),
                sealed: true,
            },
        ),
        ("/leave", Command::Leave { channel: None }),
        (
            "/leave #ops",
            Command::Leave {
                channel: Some("ops".into()),
            },
        ),
        (
            "/switch #ops",
            Command::Switch {
                target: Target::Channel("ops".into()),
            },
        ),
        (
            "#ops",
            Command::Switch {
                target: Target::Channel("ops".into()),
            },
        ),
        (
            "/msg #ops deploy done",
            Command::Msg {
                target: Target::Channel("ops".into()),
                text: "deploy done".into(),
            },
        ),
        (
            "/msg bob hi  there",
            Command::Msg {
                target: Target::User("bob".into()),
                text: "hi  there".into(),
            },
        ),
        (
            "/dm bob psst",
            Command::Dm {
                user: "bob".into(),
                text: "psst".into(),
            },
        ),
        (
            "/dm @bob psst",
            Command::Dm {
                user: "bob".into(),
                text: "psst".into(),
            },
        ),
        (
            "/me waves",
            Command::Me {
                text: "waves".into(),
            },
        ),
        (
            "/reply 12 sure",
            Command::Reply {
                id: 12,
                text: "sure".into(),
            },
        ),
        (
            "/reply [12] sure",
            Command::Reply {
                id: 12,
                text: "sure".into(),
            },
        ),
        (
            "/edit 7 fixed text",
            Command::Edit {
                id: 7,
                text: "fixed text".into(),
            },
        ),
        ("/delete 7", Command::Delete { id: 7 }),
        (
            "/react 7 👍",
            Command::React {
                id: 7,
                emoji: "👍".into(),
            },
        ),
        ("/history", Command::History { count: None }),
        ("/history 100", Command::History { count: Some(100) }),
        (
            "/search deploy failed",
            Command::Search {
                words: "deploy failed".into(),
            },
        ),
        ("/rewind 1h", Command::Rewind { when: "1h".into() }),
        (
            "/rewind 2026-11-25 09:30",
            Command::Rewind {
                when: "2026-11-25 09:30".into(),
            },
        ),
        ("/who", Command::Who { channel: None }),
        (
            "/who #ops",
            Command::Who {
                channel: Some("ops".into()),
            },
        ),
        ("/users", Command::Users),
        ("/status", Command::Status { set: None }),
        (
            "/status busy on call",
            Command::Status {
                set: Some((PresenceState::Busy, "on call".into())),
            },
        ),
        (
            "/away lunch",
            Command::Away {
                text: Some("lunch".into()),
            },
        ),
        ("/away", Command::Away { text: None }),
        ("/back", Command::Away { text: None }),
        (
            "/voice join",
            Command::Voice {
                join: true,
                room: None,
            },
        ),
        (
            "/voice join #ops",
            Command::Voice {
                join: true,
                room: Some("ops".into()),
            },
        ),
        (
            "/voice leave",
            Command::Voice {
                join: false,
                room: None,
            },
        ),
        ("/fingerprint", Command::Fingerprint { user: None }),
        (
            "/fingerprint bob",
            Command::Fingerprint {
                user: Some("bob".into()),
            },
        ),
        ("/trust bob", Command::Trust { user: "bob".into() }),
        ("/unread", Command::Unread),
        ("/mentions", Command::Mentions),
        ("/help", Command::Help { topic: None }),
        (
            "/help /join",
            Command::Help {
                topic: Some("join".into()),
            },
        ),
        ("/quit", Command::Quit),
        ("/QUIT", Command::Quit),
    ];
    for (line, expected) in cases {
        assert_eq!(ok(line), expected, "parsing {line:?}");
    }
}

#[test]
fn a_user_alone_or_switch_to_a_user_makes_their_dm_current() {
    let bob = Command::Switch {
        target: Target::User("bob".into()),
    };
    for line in [
        "@bob",
        "  @bob  ",
        "/switch @bob",
        "/s @bob",
        "/dm bob",
        "/query @bob",
    ] {
        assert_eq!(ok(line), bob, "parsing {line:?}");
    }
    assert_eq!(
        ok("/switch ops"),
        Command::Switch {
            target: Target::Channel("ops".into())
        },
        "without @ a /switch target is a channel"
    );
    // A mention followed by words is plain text for the current place, not a switch.
    assert_eq!(
        ok("@bob are you there?"),
        Command::Say("@bob are you there?".into())
    );
    assert!(
        help_lines().iter().any(|line| line.contains("@user")),
        "the help explains @user"
    );
}

#[test]
fn bad_lines_are_refused_with_a_usage_sentence() {
    let cases: Vec<(&str, &str)> = vec![
        ("/join", "usage: /join"),
        ("/join #a #b", "usage: /join"),
        ("/join #ops --secret", "unknown option --secret"),
        ("/join #no/such", "is not a channel name"),
        ("/dm", "usage: /dm"),
        ("/switch", "usage: /switch"),
        ("/switch @bob #ops", "usage: /switch"),
        ("/switch @b@d", "is not a username"),
        ("@b@d", "is not a username"),
        ("/dm b@d text", "is not a username"),
        ("/msg #ops", "usage: /msg"),
        ("/reply x hi", "the id is the number"),
        ("/reply 12", "usage: /reply"),
        ("/edit -3 text", "the id is the number"),
        ("/delete 3 4", "usage: /delete"),
        ("/react 3 two words", "one emoji"),
        ("/history zero", "positive number"),
        ("/history 0", "positive number"),
        ("/search", "usage: /search"),
        ("/rewind", "usage: /rewind"),
        ("/status sleeping", "unknown state"),
        ("/voice", "usage: /voice"),
        ("/trust", "usage: /trust"),
        ("/users now", "takes no arguments"),
        ("#ops extra words", ""),
    ];
    for (line, needle) in cases {
        if line.starts_with('#') {
            // A channel name followed by words is plain text, not a switch.
            assert_eq!(ok(line), Command::Say(line.into()));
            continue;
        }
        let message = err(line);
        assert!(
            message.contains(needle),
            "{line:?} gave {message:?}, wanted {needle:?}"
        );
    }
}

#[test]
fn unknown_commands_are_never_sent_and_get_a_suggestion() {
    let message = err("/jion #ops");
    assert!(message.contains("did you mean /join"), "{message}");
    assert!(message.contains("nothing was sent"), "{message}");
    let message = err("/jo #ops");
    assert!(
        message.contains("did you mean /join"),
        "a prefix suggests its command: {message}"
    );
    for typed in ["/nick bob", "/nock"] {
        let message = err(typed);
        assert!(!message.contains("/back"), "{typed}: {message}");
    }
    assert!(err("/nick bob").contains("fixed at registration"));
    let message = err("/frobnicate");
    assert!(message.contains("unknown command /frobnicate"), "{message}");
    assert!(!message.contains("did you mean"), "{message}");
}

#[test]
fn durations_and_times_parse() {
    let now = 1_764_000_000_000;
    let cases: Vec<(&str, i64)> = vec![
        ("now", now),
        ("30s", now - 30_000),
        ("30m", now - 1_800_000),
        ("1h", now - 3_600_000),
        ("1h30m", now - 5_400_000),
        ("2d", now - 172_800_000),
        ("1w", now - 604_800_000),
        ("2025-11-24T16:00:00Z", 1_764_000_000_000),
        ("2025-11-24T17:00:00+01:00", 1_764_000_000_000),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_when(text, now), Ok(expected), "parsing {text:?}");
    }
    for bad in ["", "yesterday", "1x", "h", "12", "2025-13-01 10:00"] {
        assert!(parse_when(bad, now).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn local_times_are_read_in_the_local_zone() {
    use chrono::TimeZone;
    let now = 1_764_000_000_000;
    let parsed = parse_when("2025-11-24 09:30", now).expect("local time parses");
    let expected = chrono::Local
        .with_ymd_and_hms(2025, 11, 24, 9, 30, 0)
        .earliest()
        .expect("a valid local time")
        .timestamp_millis();
    assert_eq!(parsed, expected);
    let today = parse_when("09:30", now).expect("clock time parses");
    let date = chrono::Local
        .timestamp_millis_opt(now)
        .single()
        .expect("valid")
        .date_naive();
    let moment = chrono::Local
        .timestamp_millis_opt(today)
        .single()
        .expect("valid");
    assert_eq!(moment.date_naive(), date);
}

#[test]
fn account_commands_parse_and_never_take_a_password_on_the_line() {
    assert_eq!(ok("/logout"), Command::Logout);
    assert_eq!(ok("/sessions"), Command::Sessions(SessionsAction::List));
    let revoke = SessionsAction::Revoke("0123abcd0123abcd".into());
    assert_eq!(
        ok("/sessions revoke 0123abcd0123abcd"),
        Command::Sessions(revoke)
    );
    assert!(parse_line("/sessions revoke").is_err());
    assert!(parse_line("/sessions drop x").is_err());
    assert_eq!(ok("/password"), Command::Password);
    assert!(parse_line("/password hunter22 newpass99").is_err());
    assert!(parse_line("/logout now").is_err());
}

#[test]
fn display_commands_parse() {
    assert_eq!(ok("/more"), Command::More);
    assert_eq!(ok("/history more"), Command::More);
    assert_eq!(ok("/clear"), Command::Clear);
    assert_eq!(ok("/ignore"), Command::Ignore { user: None });
    assert_eq!(
        ok("/ignore Carol"),
        Command::Ignore {
            user: Some("Carol".into())
        }
    );
    assert_eq!(
        ok("/unignore carol"),
        Command::Unignore {
            user: "carol".into()
        }
    );
    assert!(parse_line("/unignore").is_err());
    assert!(parse_line("/ignore carol dave").is_err());
    assert!(parse_line("/more 3").is_err());
}
