//! A malicious server for the client trust tests: a few dozen lines of tokio-tungstenite on
//! 127.0.0.1:0 that logs every client in, answers requests from a script the test gives
//! (`joined`, `history`, `search`, `rewind`, `who` replies), pushes any frame the test wants,
//! and hands every frame the client sent back to the test.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

pub const WAIT: Duration = Duration::from_secs(15);

/// What the fake server says: the `ok` lists, and the reply to each request type.
#[derive(Clone, Default)]
pub struct Script {
    /// `ok.channels` entries.
    pub channels: Vec<Value>,
    /// `ok.users` entries.
    pub users: Vec<Value>,
    /// Replies by request type (`"join"`, `"history"`, …), without `rid` (added here).
    pub replies: Vec<(&'static str, Value)>,
    /// Frames pushed right after `ok`.
    pub after_ok: Vec<Value>,
}

/// A running fake server: its URL, what the client sent, and a way to push frames.
pub struct FakeServer {
    pub url: String,
    from_client: Receiver<Value>,
    push: tokio::sync::mpsc::UnboundedSender<Value>,
    pub seen: Vec<Value>,
}

impl FakeServer {
    /// Binds 127.0.0.1:0 first, then serves connections on a thread of its own.
    pub fn start(script: Script) -> FakeServer {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let url = format!("ws://{}", listener.local_addr().expect("address"));
        let (to_test, from_client) = channel();
        let (push, pushed) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || runtime.block_on(serve(listener, script, to_test, pushed)));
        FakeServer {
            url,
            from_client,
            push,
            seen: Vec::new(),
        }
    }

    /// Sends `frame` to the connected client.
    pub fn push(&self, frame: Value) {
        let _ = self.push.send(frame);
    }

    /// Waits for a client frame of type `t`; panics with what was seen if none comes.
    pub fn expect_frame(&mut self, t: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.from_client.recv_timeout(left) {
                Ok(frame) => {
                    self.seen.push(frame.clone());
                    if frame["t"] == t {
                        return frame;
                    }
                }
                Err(_) => panic!("the client never sent {t:?}; it sent {:?}", self.seen),
            }
        }
    }

    /// Everything the client sent so far (after draining what is queued).
    pub fn all_seen(&mut self) -> &[Value] {
        while let Ok(frame) = self.from_client.try_recv() {
            self.seen.push(frame);
        }
        &self.seen
    }
}

async fn serve(
    listener: TcpListener,
    script: Script,
    to_test: Sender<Value>,
    mut pushed: tokio::sync::mpsc::UnboundedReceiver<Value>,
) {
    while let Ok((stream, _)) = listener.accept().await {
        let Ok(socket) = tokio_tungstenite::accept_async(stream).await else {
            continue;
        };
        let (mut sink, mut stream) = socket.split();
        loop {
            tokio::select! {
                incoming = stream.next() => {
                    let Some(Ok(message)) = incoming else { break };
                    let Message::Text(text) = message else { continue };
                    let Ok(frame) = serde_json::from_str::<Value>(text.as_str()) else { continue };
                    let _ = to_test.send(frame.clone());
                    for reply in answer(&script, &frame) {
                        let _ = sink.send(Message::text(reply.to_string())).await;
                    }
                }
                frame = pushed.recv() => {
                    let Some(frame) = frame else { return };
                    let _ = sink.send(Message::text(frame.to_string())).await;
                }
            }
        }
    }
}

/// The replies to one client frame: the scripted reply to its type, else `ok` (plus `after_ok`)
/// to `auth`, an empty listing to a query, a plain `ack` to anything else that has a `rid`.
fn answer(script: &Script, frame: &Value) -> Vec<Value> {
    let rid = frame.get("rid").cloned().unwrap_or(Value::Null);
    let t = frame["t"].as_str().unwrap_or_default();
    if let Some((_, reply)) = script.replies.iter().find(|(kind, _)| *kind == t) {
        let mut reply = reply.clone();
        reply["rid"] = rid;
        return vec![reply];
    }
    if t == "auth" {
        let mut replies = vec![json!({
            "t": "ok", "u": frame["u"], "session": "fake-session-token-0123456789abcdefghijklmnop",
            "proto": 1, "server": {"name": "chatify", "version": "0.1.0", "max_frame": 65536},
            "users": script.users, "channels": script.channels, "rid": rid,
        })];
        replies.extend(script.after_ok.iter().cloned());
        return replies;
    }
    let empty = match t {
        "history" => json!({"t": "history", "ch": frame["ch"], "events": [], "more": false}),
        "who" => json!({"t": "who", "ch": frame["ch"], "members": []}),
        "leave" => json!({"t": "left", "ch": frame["ch"]}),
        "ping" => json!({"t": "pong", "ts": 1}),
        _ if rid.is_null() => return Vec::new(),
        _ => json!({"t": "ack", "id": 1, "ts": 1}),
    };
    let mut empty = empty;
    empty["rid"] = rid;
    vec![empty]
}

/// A sealed channel's `ok.channels` entry / `joined` fields with weak (test) KDF parameters.
pub fn sealed_channel_info(ch: &str) -> Value {
    json!({
        "ch": ch, "mode": "sealed", "members": 2, "seq": 1,
        "salt": "AAAAAAAAAAAAAAAAAAAAAA==",
        "kdf": {"alg": "argon2id", "m": 64, "t": 1, "p": 1},
        "kcv": "AAAAAAAAAAAAAAAAAAAAAA==",
    })
}

/// An open channel's `ok.channels` entry.
pub fn open_channel_info(ch: &str) -> Value {
    json!({"ch": ch, "mode": "open", "members": 2, "seq": 1})
}
