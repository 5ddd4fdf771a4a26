//! A hostile or flooding server cannot grow the client's memory (issue 8, "bounded everywhere"):
//! a fake server in this test (tokio-tungstenite on 127.0.0.1:0) logs the real `chatify connect`
//! binary in (pipe mode) and then sends it `msg` frames as fast as it can while the test does not
//! read the client's stdout. The client must stop reading the socket (back-pressure) instead of
//! queueing: its peak resident memory (`VmHWM` in /proc/<pid>/status) stays far below what the
//! flood would take in queues. Then the test reads stdout: every message arrives exactly once
//! and in order (nothing lost on the way, also if the client had to drop the connection and
//! catch up by seq), and the client quits cleanly at end of input (no deadlock, no panic).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// Messages the server floods.
const FLOOD: u64 = 60_000;
/// Bytes of each message body: the flood is FLOOD × ~2.1 kB ≈ 126 MB on the wire.
const BODY_PADDING: usize = 2_000;
/// Peak resident memory the client may reach (an unbounded queue reaches several hundred MiB).
const RSS_CEILING_KIB: u64 = 120 * 1024;
/// Every wait of the test ends by this.
const WAIT: Duration = Duration::from_secs(120);

/// The shared state of the fake server: how far the flood has come (highest seq sent).
#[derive(Default)]
struct Flood {
    sent: AtomicU64,
}

fn message(seq: u64) -> Value {
    json!({
        "t": "msg", "ch": "general", "id": seq, "seq": seq, "u": "mallory",
        "c": body(seq), "ts": 1_764_000_000_000u64 + seq,
    })
}

fn body(seq: u64) -> String {
    format!("flood-{seq:06}-{}", "x".repeat(BODY_PADDING))
}

/// The reply to one client request: a login, a `history` page cut from the flood so far
/// (`after`: the catch-up of a resume), `pong`, else an `err` (the client copes).
fn reply(request: &Value, flood: &Flood) -> Value {
    let rid = request["rid"].clone();
    match request["t"].as_str() {
        Some("auth") => json!({
            "t": "ok", "u": request["u"], "session": "fake-session-token", "proto": 1,
            "server": {"name": "hostile", "version": "0.0.0", "max_frame": 65536},
            "users": [],
            "channels": [{"ch": "general", "mode": "open", "members": 2,
                          "seq": flood.sent.load(Ordering::Acquire)}],
            "rid": rid,
        }),
        Some("history") => {
            let sent = flood.sent.load(Ordering::Acquire);
            let events: Vec<Value> = match request["after"].as_u64() {
                Some(after) => (after + 1..=sent.min(after + 500)).map(message).collect(),
                None => Vec::new(),
            };
            let more = request["after"]
                .as_u64()
                .is_some_and(|after| after + 500 < sent);
            json!({"t": "history", "ch": "general", "events": events, "more": more, "rid": rid})
        }
        Some("ping") => json!({"t": "pong", "rid": rid}),
        _ => json!({"t": "err", "code": "bad_frame", "m": "not here", "rid": rid}),
    }
}

/// One connection: answers requests first, and after the login floods `msg` frames continuing
/// from the shared counter, as fast as the socket takes them.
async fn serve_connection(stream: tokio::net::TcpStream, flood: Arc<Flood>) {
    let Ok(socket) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut sink, mut source) = socket.split();
    let (replies, mut reply_queue) = tokio::sync::mpsc::unbounded_channel::<Value>();
    let answering = flood.clone();
    tokio::spawn(async move {
        while let Some(Ok(frame)) = source.next().await {
            let Message::Text(text) = frame else { continue };
            let Ok(request) = serde_json::from_str::<Value>(text.as_str()) else {
                continue;
            };
            if replies.send(reply(&request, &answering)).is_err() {
                break;
            }
        }
    });
    let mut logged_in = false;
    loop {
        let next = if logged_in && flood.sent.load(Ordering::Acquire) < FLOOD {
            match reply_queue.try_recv() {
                Ok(answer) => answer,
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => {
                    let seq = flood.sent.load(Ordering::Acquire) + 1;
                    let frame = message(seq).to_string();
                    if sink.send(Message::Text(frame.into())).await.is_err() {
                        return;
                    }
                    flood.sent.store(seq, Ordering::Release);
                    continue;
                }
                Err(_) => return,
            }
        } else {
            match reply_queue.recv().await {
                Some(answer) => answer,
                None => return,
            }
        };
        logged_in |= next["t"] == "ok";
        if sink
            .send(Message::Text(next.to_string().into()))
            .await
            .is_err()
        {
            return;
        }
    }
}

/// Starts the fake server on a thread of its own; returns its address and flood counter.
fn start_hostile_server() -> (String, Arc<Flood>) {
    let flood = Arc::new(Flood::default());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let listener = runtime
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let url = format!("ws://{}", listener.local_addr().expect("address"));
    let shared = flood.clone();
    std::thread::spawn(move || {
        runtime.block_on(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve_connection(stream, shared.clone()));
            }
        });
    });
    (url, flood)
}

fn peak_rss_kib(child: &Child) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).expect("status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status")
}

/// Waits until the flood is complete or has stopped advancing for a while (the client stopped
/// reading): then the client holds whatever it is going to hold.
fn wait_for_flood_to_finish_or_stall(flood: &Flood) -> u64 {
    let started = Instant::now();
    let mut last = (flood.sent.load(Ordering::Acquire), Instant::now());
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let sent = flood.sent.load(Ordering::Acquire);
        if sent >= FLOOD || started.elapsed() > WAIT {
            return sent;
        }
        if sent != last.0 {
            last = (sent, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(3) {
            return sent;
        }
    }
}

#[test]
fn a_flooding_server_cannot_grow_the_client_and_loses_nothing() {
    let (url, flood) = start_hostile_server();
    let config = tempfile::tempdir().expect("config dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_chatify"))
        .args([
            "connect",
            "--server",
            &url,
            "--user",
            "victim",
            "--register",
        ])
        .env("CHATIFY_CONFIG_DIR", config.path())
        .env("CHATIFY_PASSWORD", "victim-password")
        .env("CHATIFY_TEST_WEAK_KDF", "1")
        .env("NO_COLOR", "1")
        .env_remove("CHATIFY_LINKS")
        .env_remove("CHATIFY_CHANNEL")
        .env_remove("CHATIFY_KEY_FILE")
        .env_remove("CHATIFY_PASSPHRASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chatify connect starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");

    // Nobody reads stdout while the server floods.
    let sent_unread = wait_for_flood_to_finish_or_stall(&flood);
    let peak = peak_rss_kib(&child);
    eprintln!("peak resident {peak} KiB with {sent_unread} of {FLOOD} frames sent, output unread");
    assert!(
        peak < RSS_CEILING_KIB,
        "the client grew to {peak} KiB (ceiling {RSS_CEILING_KIB} KiB) while {sent_unread} of \
         {FLOOD} flood frames were sent and its output was not read"
    );

    // Now read everything: each message exactly once, in order.
    let (lines_tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + WAIT;
    let mut next = 1;
    while next <= FLOOD {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines.recv_timeout(left).unwrap_or_else(|_| {
            panic!("message {next} of {FLOOD} never shown (the client lost or held it)")
        });
        let Some(at) = line.find("flood-") else {
            continue;
        };
        let seq: u64 = line[at + 6..at + 12].parse().expect("a seq");
        assert_eq!(
            seq, next,
            "messages shown out of order or twice: {line:.80}"
        );
        next += 1;
    }
    assert!(peak_rss_kib(&child) < RSS_CEILING_KIB, "bounded to the end");
    drop(stdin.flush());
    drop(stdin);
    let exit = wait_for_exit(&mut child);
    assert!(
        exit.success(),
        "the client quits cleanly at end of input: {exit}"
    );
}

fn wait_for_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the client did not quit at end of input (deadlock?)");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
