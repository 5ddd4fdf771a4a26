//! Tests of the timeline renderer: exact plain-text lines, and colour only when asked for.

use super::*;

fn plain(me: &str) -> RenderOptions {
    RenderOptions {
        color: false,
        bell: false,
        me: me.to_string(),
        zone: Zone::Fixed(chrono::FixedOffset::east_opt(0).expect("zero offset is valid")),
        seconds: false,
        links: false,
    }
}

fn coloured(me: &str) -> RenderOptions {
    RenderOptions {
        color: true,
        bell: true,
        ..plain(me)
    }
}

// 2025-11-24 16:00:00 UTC, a Monday.
const TS: i64 = 1_764_000_000_000;

fn general() -> Scope {
    Scope::Channel {
        name: "general".into(),
        sealed: false,
    }
}

fn view<'a>(scope: &'a Scope, author: &'a str, body: &'a Body) -> MessageView<'a> {
    MessageView {
        scope,
        id: 1235,
        author,
        ts: TS,
        body,
        edited: false,
        reply: None,
        reacts: None,
    }
}

#[test]
fn messages_render_as_plain_lines() {
    let general = general();
    let ops = Scope::Channel {
        name: "ops".into(),
        sealed: true,
    };
    let dm = Scope::Dm { peer: "bob".into() };
    let hello = Body::Text("hello there".into());
    let action = Body::Text("/me waves".into());
    let deleted = Body::Deleted;
    let unreadable = Body::Unreadable("no key for #ops".into());
    let quote = ReplyQuote {
        id: 1200,
        author: Some("bob".into()),
        snippet: Some("one two three four five six seven".into()),
    };
    let mut reacts = BTreeMap::new();
    reacts.insert(
        "👍".to_string(),
        vec!["bob".to_string(), "carol".to_string()],
    );
    reacts.insert("🎉".to_string(), vec!["dave".to_string()]);
    let options = plain("carol");
    let cases: Vec<(MessageView<'_>, &str)> = vec![
        (
            view(&general, "alice", &hello),
            "16:00 #general <alice> hello there [1235]",
        ),
        (
            view(&ops, "alice", &hello),
            "16:00 🔒#ops <alice> hello there [1235]",
        ),
        (
            view(&dm, "bob", &hello),
            "16:00 🔒@bob <bob> hello there [1235]",
        ),
        (
            view(&general, "alice", &action),
            "16:00 #general * alice waves [1235]",
        ),
        (
            view(&general, "alice", &deleted),
            "16:00 #general <alice> (message deleted) [1235]",
        ),
        (
            view(&ops, "alice", &unreadable),
            "16:00 🔒#ops <alice> (encrypted: no key for #ops) [1235]",
        ),
        (
            MessageView {
                edited: true,
                ..view(&general, "alice", &hello)
            },
            "16:00 #general <alice> hello there (edited) [1235]",
        ),
        (
            MessageView {
                edited: true,
                ..view(&general, "alice", &deleted)
            },
            "16:00 #general <alice> (message deleted) [1235]",
        ),
        (
            MessageView {
                reply: Some(&quote),
                ..view(&general, "alice", &hello)
            },
            "16:00 #general <alice> ↪ bob: \"one two three four five six…\" hello there [1235]",
        ),
        (
            MessageView {
                reacts: Some(&reacts),
                ..view(&general, "alice", &hello)
            },
            "16:00 #general <alice> hello there 🎉 1 👍 2 [1235]",
        ),
    ];
    for (message, expected) in cases {
        assert_eq!(render_message(&options, &message), expected);
    }
}

#[test]
fn mentions_are_marked_and_ring_only_with_bell_and_not_for_my_own_lines() {
    let general = general();
    let body = Body::Text("ping @Carol, deploy?".into());
    let line = render_message(&plain("carol"), &view(&general, "alice", &body));
    assert_eq!(
        line,
        "16:00 #general <alice> >> ping @Carol, deploy? [1235]"
    );
    let line = render_message(&plain("carol"), &view(&general, "carol", &body));
    assert_eq!(line, "16:00 #general <carol> ping @Carol, deploy? [1235]");
    let line = render_message(&coloured("carol"), &view(&general, "alice", &body));
    assert!(
        line.ends_with('\u{7}'),
        "a mention rings the bell: {line:?}"
    );
    assert!(line.contains("\u{1b}["), "colour codes present: {line:?}");
    let quiet = Body::Text("caroline is here".into());
    let line = render_message(&coloured("carol"), &view(&general, "alice", &quiet));
    assert!(!line.ends_with('\u{7}'), "no bell without a mention");
}

#[test]
fn mention_detection_uses_whole_words() {
    let cases = [
        ("hi carol", "carol", true),
        ("@CAROL look", "carol", true),
        ("carol's turn", "carol", true),
        ("caroline", "carol", false),
        ("x-carol-y", "carol", false),
        ("anything", "", false),
    ];
    for (text, me, expected) in cases {
        assert_eq!(mentions(text, me), expected, "{text:?} mentions {me:?}");
    }
}

#[test]
fn edits_deletes_reactions_and_notices() {
    let options = plain("carol");
    let general = general();
    assert_eq!(
        render_edit(
            &options,
            &general,
            "alice",
            1235,
            &Body::Text("fixed".into()),
            TS
        ),
        "16:00 #general alice edited [1235]: fixed"
    );
    assert_eq!(
        render_delete(
            &options,
            &general,
            "alice",
            1235,
            Some("a b c d e f g h"),
            TS
        ),
        "16:00 #general alice deleted [1235] (was: \"a b c d e f…\")"
    );
    assert_eq!(
        render_delete(&options, &general, "alice", 1235, None, TS),
        "16:00 #general alice deleted [1235]"
    );
    let target = ReplyQuote {
        id: 1235,
        author: Some("alice".into()),
        snippet: Some("hello there".into()),
    };
    let mut after = BTreeMap::new();
    after.insert("👍".to_string(), vec!["bob".to_string()]);
    let reaction = ReactionView {
        scope: &general,
        reactor: "bob",
        emoji: "👍",
        on: true,
        target: &target,
        after: &after,
        ts: TS,
    };
    assert_eq!(
        render_reaction(&options, &reaction),
        "16:00 #general bob reacted 👍 to alice's \"hello there\" [1235] · 👍 1"
    );
    let empty = BTreeMap::new();
    let unknown = ReplyQuote {
        id: 9,
        author: None,
        snippet: None,
    };
    let taken_back = ReactionView {
        on: false,
        target: &unknown,
        after: &empty,
        ..reaction
    };
    assert_eq!(
        render_reaction(&options, &taken_back),
        "16:00 #general bob took back 👍 from a message [9]"
    );
    assert_eq!(
        render_notice(&options, "alice joined #ops"),
        "-- alice joined #ops"
    );
    assert_eq!(
        render_error(&options, "wrong passphrase"),
        "!! wrong passphrase"
    );
    assert_eq!(
        render_warning(&options, "bob's key changed"),
        "!!! WARNING: bob's key changed"
    );
}

#[test]
fn day_separators_and_zones() {
    let utc = plain("x");
    let day = day_of(&utc, TS);
    assert_eq!(
        render_day_separator(&utc, day),
        "──── Monday 24 November 2025 ────"
    );
    let tokyo = RenderOptions {
        zone: Zone::Fixed(chrono::FixedOffset::east_opt(9 * 3600).expect("valid offset")),
        ..plain("x")
    };
    assert_eq!(format_time(&tokyo, TS), "01:00");
    assert_eq!(
        render_day_separator(&tokyo, day_of(&tokyo, TS)),
        "──── Tuesday 25 November 2025 ────"
    );
}

#[test]
fn nick_colours_are_stable_and_case_insensitive() {
    assert_eq!(nick_color("alice"), nick_color("ALICE"));
    assert_eq!(nick_color("bob"), nick_color("bob"));
    let distinct: std::collections::BTreeSet<String> =
        ["alice", "bob", "carol", "dave", "erin", "frank"]
            .iter()
            .map(|nick| format!("{:?}", nick_color(nick)))
            .collect();
    assert!(distinct.len() > 1, "different names get different colours");
    assert_ne!(
        format!("{:?}", nick_color("alice")),
        format!("{:?}", nick_color("bob")),
        "the two names of the README's session are told apart"
    );
    let options = coloured("x");
    assert_ne!(paint_nick(&options, "alice"), "alice");
    assert_eq!(paint_nick(&plain("x"), "alice"), "alice");
}

#[test]
fn multi_line_messages_are_indented() {
    let general = general();
    let body = Body::Text("first\nsecond".into());
    assert_eq!(
        render_message(&plain("x"), &view(&general, "alice", &body)),
        "16:00 #general <alice> first\n      second [1235]"
    );
}

#[test]
fn snippets_cut_at_words() {
    assert_eq!(snippet("a b c", 6), "a b c");
    assert_eq!(snippet("  a   b  ", 6), "a b");
    assert_eq!(snippet("1 2 3 4 5 6 7", 6), "1 2 3 4 5 6…");
}

#[test]
fn hostile_text_never_reaches_the_terminal_as_control_sequences() {
    let general = general();
    let hostile = Body::Text("\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\rfake <admin> line".into());
    let nick = "eve\u{1b}[8m";
    let plain_line = render_message(&plain("alice"), &view(&general, nick, &hostile));
    assert!(!plain_line.contains('\u{1b}'), "{plain_line:?}");
    assert!(!plain_line.contains('\r') && !plain_line.contains('\u{7}'));
    assert!(plain_line.contains("fake <admin> line"), "{plain_line:?}");
    let coloured_line = render_message(&coloured("alice"), &view(&general, nick, &hostile));
    // Only the renderer's own colour sequences remain.
    assert_eq!(terminal_safe(&coloured_line), coloured_line);
    assert!(!coloured_line.contains("\u{1b}]") && !coloured_line.contains("\u{1b}[2J"));
    let mut reacts = BTreeMap::new();
    reacts.insert("\u{1b}[31m👍".to_string(), vec!["bob".to_string()]);
    assert!(!reaction_summary(&reacts).contains('\u{1b}'));
    assert!(!snippet("a\u{1b}[2J b", 3).contains('\u{1b}'));
}

#[test]
fn urls_become_osc8_links_only_when_asked_and_only_for_web_and_mail_schemes() {
    let linked = RenderOptions {
        links: true,
        ..plain("x")
    };
    let scope = general();
    let body = Body::Text("docs at https://example.org/a_b. or ftp://x javascript:y".into());
    let line = render_message(&linked, &view(&scope, "alice", &body));
    let link = "\u{1b}]8;;https://example.org/a_b\u{1b}\\https://example.org/a_b\u{1b}]8;;\u{1b}\\";
    assert!(
        line.contains(&format!("docs at {link}. or ftp://x javascript:y")),
        "{line:?}"
    );
    assert_eq!(terminal_safe(&line), line);
    let unlinked = render_message(&plain("x"), &view(&scope, "alice", &body));
    assert!(!unlinked.contains('\u{1b}'), "{unlinked:?}");
    assert_eq!(
        linkify("xhttps://a.example HTTPS://B.example"),
        format!(
            "xhttps://a.example \u{1b}]8;;HTTPS://B.example\u{1b}\\HTTPS://B.example\u{1b}]8;;\u{1b}\\"
        )
    );
    assert_eq!(linkify("https:// mailto:"), "https:// mailto:");
}

#[test]
fn a_crafted_url_or_a_forged_link_never_carries_a_sequence_to_the_terminal() {
    let linked = RenderOptions {
        links: true,
        ..plain("x")
    };
    let scope = general();
    let body = Body::Text("https://a.example/\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}\\tail".into());
    let line = render_message(&linked, &view(&scope, "alice", &body));
    assert!(
        line.contains(
            "\u{1b}]8;;https://a.example/\u{1b}\\https://a.example/\u{1b}]8;;\u{1b}\\\u{FFFD}]52"
        ),
        "{line:?}"
    );
    assert!(!line.contains('\u{7}'), "{line:?}");
    // Links that a hostile server could put straight into a display line are not let through.
    for forged in [
        "\u{1b}]8;;javascript:alert(1)\u{1b}\\x",
        "\u{1b}]8;id=1;https://a.example\u{1b}\\x",
        "\u{1b}]8;;https://a.example/\u{7}\u{1b}\\x",
        "\u{1b}]8;;https://a.example/ é\u{1b}\\x",
        "\u{1b}]8;;https://a.example/",
    ] {
        assert!(terminal_safe(forged).starts_with('\u{FFFD}'), "{forged:?}");
    }
    // A link left open is closed at the end of its line.
    assert_eq!(
        terminal_safe("\u{1b}]8;;https://a.example\u{1b}\\rest"),
        "\u{1b}]8;;https://a.example\u{1b}\\rest\u{1b}]8;;\u{1b}\\"
    );
}

#[test]
fn seconds_widen_the_time_and_the_continuation_indent_with_it() {
    let seconds = RenderOptions {
        seconds: true,
        ..plain("x")
    };
    assert_eq!(format_time(&seconds, TS + 7_000), "16:00:07");
    assert_eq!(format_time(&plain("x"), TS + 7_000), "16:00");
    let scope = general();
    let body = Body::Text("one\ntwo".into());
    let line = render_message(&seconds, &view(&scope, "alice", &body));
    assert!(line.contains("one\n         two"), "{line:?}");
}
