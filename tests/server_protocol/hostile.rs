//! A hostile or buggy client against the real server: garbage and deeply nested JSON, values of
//! the wrong type and size (never echoed back at length), FTS5 syntax in search, unicode edge
//! cases, racing edits and deletions, and a client that never reads large replies (closed with
//! 1013 once its queue's byte budget is spent). After the abuse the connection still works and a
//! normal message is acked and persisted. Caps: distinct reactions per message, channels per
//! account, and joins counted against the rate limit.

use chatify::server::ServerConfig;
use serde_json::{Value, json};

use crate::common::*;

/// Sends raw text and returns the reply (every case here answers with exactly one frame).
async fn raw(client: &mut Client, text: &str) -> Value {
    client.send_text(text).await;
    client.recv().await
}

async fn assert_still_serving(client: &mut Client, text: &str) {
    let ack = client.say("general", text, "still-here").await;
    let page = client
        .request(json!({"t": "history", "ch": "general", "limit": 1}), "h")
        .await;
    assert_eq!(page["events"][0]["id"], ack["id"], "{page}");
    assert_eq!(page["events"][0]["c"], text, "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_before_and_after_auth_gets_errors_and_keeps_the_connection() {
    let server = TestServer::start(test_config()).await;
    let mut client = Client::connect(&server).await;
    let nested_deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    let object_deep = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "bad_frame"),
        ("null".into(), "bad_frame"),
        ("[1,2]".into(), "bad_frame"),
        ("{".into(), "bad_frame"),
        (nested_deep, "bad_frame"),
        (object_deep, "bad_frame"),
        (r#"{"t":1}"#.into(), "bad_frame"),
        (r#"{"t":"nope","rid":"r"}"#.into(), "unknown_type"),
        (r#"{"t":"ping","rid":"\ud800"}"#.into(), "bad_frame"),
        (r#"{"t":"ping","rid":7}"#.into(), "bad_frame"),
        (
            format!(r#"{{"t":"ping","rid":"{}"}}"#, "r".repeat(65)),
            "bad_frame",
        ),
        (r#"{"t":"ping","rid":"\u0000"}"#.into(), "not_authenticated"),
        (
            r#"{"t":"msg","ch":"general","c":"hi"}"#.into(),
            "not_authenticated",
        ),
        (r#"{"t":"auth","u":["x"]}"#.into(), "bad_frame"),
    ];
    for (text, code) in &cases {
        let reply = raw(&mut client, text).await;
        assert_eq!(
            reply["code"],
            *code,
            "{}: {reply}",
            &text[..text.len().min(40)]
        );
    }
    client.send_binary(vec![0, 1, 2]).await;
    assert_eq!(client.recv().await["code"], "not_authenticated");
    // The same connection still authenticates and then shrugs off more garbage.
    client
        .send_json(
            json!({"t": "auth", "u": "mallory", "pw": password_of("mallory"),
        "pk": random_pk(), "register": true}),
        )
        .await;
    assert_eq!(client.recv_until("ok").await["u"], "mallory");
    for (text, _) in &cases[..7] {
        assert_eq!(raw(&mut client, text).await["code"], "bad_frame");
    }
    let again = json!({"t": "auth", "u": "mallory", "pw": "x"});
    client.expect_err(again, "a", "bad_frame").await;
    assert_still_serving(&mut client, "after the garbage").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_values_of_the_wrong_type_are_not_echoed_back_at_length() {
    let server = TestServer::start(test_config()).await;
    let mut mallory = register(&server, "mallory").await;
    let long = "x".repeat(20_000);
    let cases = [
        json!({"t": "msg", "ch": "general", "c": "hi", "reply_to": long}),
        json!({"t": "status", "state": long}),
        json!({"t": "join", "ch": "x", "create": {"mode": long}}),
        json!({"t": "search", "q": "hi", "sort": long}),
        json!({"t": "react", "ch": "general", "id": 1, "emoji": "x", "on": long}),
    ];
    for (n, frame) in cases.into_iter().enumerate() {
        let reply = mallory.expect_err(frame, &n.to_string(), "bad_frame").await;
        let m = reply["m"].as_str().expect("m is a string");
        assert!(m.chars().count() <= 200, "case {n}: {} chars", m.len());
        assert!(m.contains("expected"), "case {n}: {m}");
    }
    assert_still_serving(&mut mallory, "after the long values").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fts5_syntax_in_search_is_only_ever_text() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    alice
        .say("general", "deploy failed c:foo NEAR (x) \"q\"", "m")
        .await;
    let queries = [
        "\"",
        "\"\"\"",
        "NEAR(deploy failed)",
        "*",
        "**",
        "^deploy",
        "c:foo",
        "ch:foo",
        "{c ch}: foo",
        "AND",
        "OR",
        "NOT deploy",
        "deploy NOT",
        "(deploy",
        ")",
        "'",
        "\u{0}",
        "-deploy",
        "+deploy",
        "near/3",
        "rowid:1",
        "deploy\"failed",
        "😀*",
        "c : foo",
    ];
    for (n, q) in queries.iter().enumerate() {
        for scope in [json!({"ch": "general"}), json!({})] {
            let mut frame = json!({"t": "search", "q": q});
            if let Some(ch) = scope.get("ch") {
                frame["ch"] = ch.clone();
            }
            let reply = alice.request(frame, &format!("s{n}")).await;
            assert_eq!(reply["t"], "search", "{q:?}: {reply}");
        }
    }
    for q in ["", "   ", "d*", "a*b*"] {
        let reply = alice
            .expect_err(json!({"t": "search", "q": q}), "bad", "bad_frame")
            .await;
        let m = reply["m"].as_str().unwrap_or_default().to_lowercase();
        assert!(
            !m.contains("fts") && !m.contains("sql") && !m.contains("syntax"),
            "{m}"
        );
    }
    let found = alice
        .request(
            json!({"t": "search", "ch": "general", "q": "c:foo NEAR"}),
            "f",
        )
        .await;
    assert_eq!(found["events"].as_array().map(Vec::len), Some(1), "{found}");
    // Leaving general, then searching everywhere: an empty result, not an error.
    alice
        .request(json!({"t": "leave", "ch": "general"}), "l")
        .await;
    let none = alice
        .request(json!({"t": "search", "q": "deploy"}), "n")
        .await;
    assert_eq!(none["events"], json!([]), "{none}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unicode_edge_cases_round_trip_or_are_refused_cleanly() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let text = "nul\u{0} rtl\u{202e}txt e\u{301}\u{301} 😀🏳️‍🌈 \u{feff}";
    let ack = alice.say("general", text, "m").await;
    let react = json!({"t": "react", "ch": "general", "id": ack["id"], "emoji": "🏳️‍🌈", "on": true});
    assert_eq!(alice.request(react, "r").await["t"], "ack");
    let page = alice
        .request(json!({"t": "history", "ch": "general"}), "h")
        .await;
    let last = &page["events"][0];
    assert_eq!(last["c"], text, "{page}");
    assert_eq!(last["reacts"]["🏳️‍🌈"], json!(["alice"]), "{page}");
    alice.sync().await;
    alice.backlog.clear();
    let lone = r#"{"t":"msg","ch":"general","c":"\udc00","rid":"x"}"#;
    assert_eq!(raw(&mut alice, lone).await["code"], "bad_frame");
    for ch in ["gen\u{0}", "Général", "#", "", "\u{202e}general"] {
        let frame = json!({"t": "join", "ch": ch});
        alice.expect_err(frame, "j", "bad_channel").await;
    }
    let nul_emoji =
        json!({"t": "react", "ch": "general", "id": ack["id"], "emoji": "\u{0}", "on": true});
    alice.expect_err(nul_emoji, "e", "bad_frame").await;
    let dm_self = json!({"t": "dm", "to": "ALICE", "c": "eA==", "enc": "xc20p1"});
    assert_eq!(alice.request(dm_self, "d").await["t"], "ack");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_edit_and_delete_then_everything_after_delete_is_no_such_message() {
    let server = TestServer::start(test_config()).await;
    let mut first = register(&server, "alice").await;
    let (mut second, _) = login(&server, "alice").await;
    let id = first.say("general", "target", "m").await["id"].clone();
    let edit = json!({"t": "edit", "ch": "general", "id": id, "c": "edited", "rid": "e"});
    let delete = json!({"t": "delete", "ch": "general", "id": id, "rid": "d"});
    first.send_json(edit).await;
    second.send_json(delete).await;
    let edited = first.recv_rid("e").await;
    let deleted = second.recv_rid("d").await;
    assert_eq!(deleted["t"], "ack", "{deleted}");
    assert!(
        edited["t"] == "ack" || edited["code"] == "no_such_message",
        "{edited}"
    );
    let after = [
        json!({"t": "edit", "ch": "general", "id": id, "c": "again"}),
        json!({"t": "delete", "ch": "general", "id": id}),
        json!({"t": "react", "ch": "general", "id": id, "emoji": "👍", "on": true}),
        json!({"t": "react", "ch": "general", "id": id, "emoji": "👍", "on": false}),
    ];
    for frame in after {
        first.expect_err(frame, "x", "no_such_message").await;
    }
    let page = first
        .request(json!({"t": "history", "ch": "general"}), "h")
        .await;
    let folded = &page["events"][0];
    assert_eq!(folded["deleted"], true, "{page}");
    assert!(folded.get("c").is_none(), "{page}");
    assert_still_serving(&mut second, "after the race").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_big_replies_is_closed_by_the_byte_budget() {
    let config = ServerConfig {
        queue_bytes: 512 * 1024,
        ..test_config()
    };
    let server = TestServer::start(config).await;
    let mut alice = register(&server, "alice").await;
    let body = "B".repeat(60_000);
    for n in 0..5 {
        alice.say("general", &body, &format!("m{n}")).await;
    }
    let mut reader = Client::connect_with_small_buffer(&server).await;
    reader
        .send_json(json!({"t": "auth", "u": "alice", "pw": password_of("alice")}))
        .await;
    // Each `joined` carries ~300 KB of hist; far fewer than queue_depth frames fill the budget.
    for _ in 0..200 {
        reader
            .send_json(json!({"t": "join", "ch": "general"}))
            .await;
    }
    assert_eq!(reader.expect_close().await, 1013);
    assert_still_serving(&mut alice, "the writer survived").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reactions_per_message_are_capped_but_existing_ones_still_count() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let target = alice.say("general", "react to me", "m").await["id"].clone();
    let limit = chatify::model::limits::MAX_DISTINCT_REACTIONS;
    for n in 0..limit {
        let react = json!({"t": "react", "ch": "general", "id": target, "emoji": format!("e{n}"), "on": true});
        assert_eq!(alice.request(react, &format!("r{n}")).await["t"], "ack");
    }
    let one_more = json!({"t": "react", "ch": "general", "id": target, "emoji": "new", "on": true});
    let refused = alice.expect_err(one_more, "over", "forbidden").await;
    assert!(
        refused["m"]
            .as_str()
            .unwrap_or_default()
            .contains("different reactions")
    );
    let again = json!({"t": "react", "ch": "general", "id": target, "emoji": "e0", "on": false});
    assert_eq!(alice.request(again, "off").await["t"], "ack");
    let now_fits = json!({"t": "react", "ch": "general", "id": target, "emoji": "new", "on": true});
    assert_eq!(alice.request(now_fits, "fits").await["t"], "ack");
    assert_still_serving(&mut alice, "after the reactions").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_account_cannot_join_more_than_the_channel_limit() {
    let server = TestServer::start(test_config()).await;
    let mut alice = register(&server, "alice").await;
    let limit = chatify::model::limits::MAX_CHANNELS_PER_USER;
    // `general` is one of them already.
    for n in 1..limit {
        let join = json!({"t": "join", "ch": format!("c{n}")});
        assert_eq!(alice.request(join, &format!("j{n}")).await["t"], "joined");
    }
    let over = json!({"t": "join", "ch": "one-too-many"});
    let refused = alice.expect_err(over, "over", "forbidden").await;
    assert!(
        refused["m"]
            .as_str()
            .unwrap_or_default()
            .contains("leave one first")
    );
    let rejoin = json!({"t": "join", "ch": "c1"});
    assert_eq!(
        alice.request(rejoin, "rejoin").await["t"],
        "joined",
        "re-joining is fine"
    );
    let leave = json!({"t": "leave", "ch": "c1"});
    assert_eq!(alice.request(leave, "leave").await["t"], "left");
    let now_fits = json!({"t": "join", "ch": "one-too-many"});
    assert_eq!(alice.request(now_fits, "fits").await["t"], "joined");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joins_count_against_the_rate_limit() {
    let config = ServerConfig {
        rate_limit: 1.0,
        rate_burst: 3,
        ..test_config()
    };
    let server = TestServer::start(config).await;
    let mut alice = register(&server, "alice").await;
    let mut refused = 0;
    for n in 0..6 {
        let join = json!({"t": "join", "ch": format!("burst{n}")});
        if alice.request(join, &format!("j{n}")).await["code"] == "rate_limited" {
            refused += 1;
        }
    }
    assert!(
        refused >= 2,
        "a burst of joins past the bucket is refused ({refused} refused)"
    );
}
