//! Shared helpers of the server integration tests: the running-server fixture (`server`: the
//! in-process `TestServer` and the `chatify serve` process), a small WebSocket test client with
//! receive timeouts, and register/login helpers. Every receive waits at most `RECV_TIMEOUT`.

#![allow(dead_code)]

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

mod server;
pub use server::*;

/// Longest wait for any expected frame.
pub const RECV_TIMEOUT: Duration = Duration::from_secs(10);

/// Anything with a WebSocket URL to connect to: a `TestServer`, or a URL string.
pub trait ServerUrl {
    fn ws_url(&self) -> String;
}

impl ServerUrl for TestServer {
    fn ws_url(&self) -> String {
        self.url.clone()
    }
}

impl ServerUrl for String {
    fn ws_url(&self) -> String {
        self.clone()
    }
}

impl ServerUrl for &str {
    fn ws_url(&self) -> String {
        self.to_string()
    }
}

/// What a client received.
#[derive(Debug)]
pub enum Received {
    Text(Value),
    Binary(Vec<u8>),
    Close(Option<u16>),
    /// The socket ended without a close frame (or with an error).
    Ended(String),
}

/// A raw WebSocket test client.
pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub user: String,
    pub session: String,
    pub pk: String,
    /// The `ok` frame of this connection's authentication.
    pub ok: Value,
    /// Text frames read while waiting for a reply, handed out first by later receives.
    pub backlog: std::collections::VecDeque<Value>,
}

impl Client {
    pub async fn connect(server: &impl ServerUrl) -> Client {
        let (ws, _) = tokio::time::timeout(
            RECV_TIMEOUT,
            tokio_tungstenite::connect_async(server.ws_url()),
        )
        .await
        .expect("connect in time")
        .expect("websocket connect");
        Client {
            ws,
            user: String::new(),
            session: String::new(),
            pk: String::new(),
            ok: Value::Null,
            backlog: Default::default(),
        }
    }

    /// Connects with a small receive buffer (for slow-consumer tests).
    pub async fn connect_with_small_buffer(server: &TestServer) -> Client {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(4096).expect("set SO_RCVBUF");
        let stream = socket.connect(server.addr).await.expect("tcp connect");
        let (ws, _) =
            tokio_tungstenite::client_async(server.url.as_str(), MaybeTlsStream::Plain(stream))
                .await
                .expect("websocket handshake");
        Client {
            ws,
            user: String::new(),
            session: String::new(),
            pk: String::new(),
            ok: Value::Null,
            backlog: Default::default(),
        }
    }

    /// Connects from `from`, a loopback address other than 127.0.0.1 (all of 127/8 is loopback
    /// on Linux), as a client on another machine would.
    pub async fn connect_from(server: &TestServer, from: std::net::IpAddr) -> Client {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind(std::net::SocketAddr::new(from, 0))
            .expect("bind a loopback address");
        let stream = socket.connect(server.addr).await.expect("tcp connect");
        let (ws, _) =
            tokio_tungstenite::client_async(server.url.as_str(), MaybeTlsStream::Plain(stream))
                .await
                .expect("websocket handshake");
        Client {
            ws,
            user: String::new(),
            session: String::new(),
            pk: String::new(),
            ok: Value::Null,
            backlog: Default::default(),
        }
    }

    pub async fn send_json(&mut self, value: Value) {
        self.send_text(&value.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws
            .send(Message::text(text.to_string()))
            .await
            .expect("send text");
    }

    pub async fn send_binary(&mut self, payload: Vec<u8>) {
        self.ws
            .send(Message::binary(payload))
            .await
            .expect("send binary");
    }

    /// The next text, binary or close event (pings and pongs skipped), within `RECV_TIMEOUT`.
    pub async fn recv_any(&mut self) -> Received {
        self.recv_any_within(RECV_TIMEOUT)
            .await
            .expect("a frame within the timeout")
    }

    /// Like `recv_any`, but `None` when nothing arrives within `wait`.
    pub async fn recv_any_within(&mut self, wait: Duration) -> Option<Received> {
        if let Some(frame) = self.backlog.pop_front() {
            return Some(Received::Text(frame));
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let next = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()?;
            return Some(match next {
                Some(Ok(Message::Text(text))) => {
                    Received::Text(serde_json::from_str(text.as_str()).expect("server sends JSON"))
                }
                Some(Ok(Message::Binary(bytes))) => Received::Binary(bytes.to_vec()),
                Some(Ok(Message::Close(frame))) => {
                    Received::Close(frame.map(|f: CloseFrame| u16::from(f.code)))
                }
                Some(Ok(_)) => continue,
                Some(Err(error)) => Received::Ended(error.to_string()),
                None => Received::Ended("stream ended".into()),
            });
        }
    }

    /// Keeps reading (answering pings) for `wait`; returns everything received, stopping early
    /// when the connection closes or ends (a closed stream would otherwise "receive" its end
    /// over and over).
    pub async fn read_for(&mut self, wait: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut received = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.recv_any_within(left).await {
                // A closed or ended stream yields at once forever after: stop there, or the
                // loop would spin (a ready future never times out) and grow without bound.
                Some(event @ (Received::Close(_) | Received::Ended(_))) => {
                    received.push(event);
                    return received;
                }
                Some(event) => received.push(event),
                None => return received,
            }
        }
    }

    /// The next text frame; panics on anything else.
    pub async fn recv(&mut self) -> Value {
        match self.recv_any().await {
            Received::Text(value) => value,
            other => panic!("{}: expected a text frame, got {other:?}", self.user),
        }
    }

    /// Skips frames until one matching `wanted` arrives.
    pub async fn recv_matching(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let frame = self.recv().await;
            if wanted(&frame) {
                return frame;
            }
        }
    }

    /// Skips text frames until a binary frame arrives.
    pub async fn recv_binary(&mut self) -> Vec<u8> {
        loop {
            match self.recv_any().await {
                Received::Binary(bytes) => return bytes,
                Received::Text(_) => {}
                other => panic!("{}: expected a binary frame, got {other:?}", self.user),
            }
        }
    }

    /// Skips frames until one with `"t": t` arrives.
    pub async fn recv_until(&mut self, t: &str) -> Value {
        loop {
            let frame = self.recv().await;
            if frame["t"] == t {
                return frame;
            }
        }
    }

    /// The direct reply with `"rid": rid`; other frames read meanwhile stay in the backlog.
    pub async fn recv_rid(&mut self, rid: &str) -> Value {
        if let Some(at) = self.backlog.iter().position(|f| f["rid"] == rid)
            && let Some(frame) = self.backlog.remove(at)
        {
            return frame;
        }
        let mut skipped = std::mem::take(&mut self.backlog);
        loop {
            let frame = self.recv().await;
            if frame["rid"] == rid {
                self.backlog = skipped;
                return frame;
            }
            skipped.push_back(frame);
        }
    }

    /// Sends `frame` with `rid` and returns the direct reply.
    pub async fn request(&mut self, mut frame: Value, rid: &str) -> Value {
        frame["rid"] = json!(rid);
        self.send_json(frame).await;
        self.recv_rid(rid).await
    }

    /// Sends `frame` and expects `err` with `code` in reply; returns the error frame.
    pub async fn expect_err(&mut self, frame: Value, rid: &str, code: &str) -> Value {
        let reply = self.request(frame, rid).await;
        assert_eq!(
            reply["t"], "err",
            "{}: expected err {code}, got {reply}",
            self.user
        );
        assert_eq!(reply["code"], code, "{}: {reply}", self.user);
        reply
    }

    /// Round-trips a `ping`; returns every event received before the `pong`.
    pub async fn sync(&mut self) -> Vec<Received> {
        let rid = format!("sync-{}", rand_u64());
        self.send_json(json!({"t": "ping", "rid": rid})).await;
        let mut before = Vec::new();
        loop {
            match self.recv_any().await {
                Received::Text(frame) if frame["t"] == "pong" && frame["rid"] == rid.as_str() => {
                    return before;
                }
                Received::Close(code) => panic!("{}: closed ({code:?}) during sync", self.user),
                Received::Ended(why) => {
                    panic!("{}: connection ended during sync: {why}", self.user)
                }
                other => before.push(other),
            }
        }
    }

    /// Text frames received before a `ping` round trip completes.
    pub async fn sync_texts(&mut self) -> Vec<Value> {
        self.sync()
            .await
            .into_iter()
            .filter_map(|r| match r {
                Received::Text(v) => Some(v),
                _ => None,
            })
            .collect()
    }

    /// Closes the connection cleanly (close handshake).
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
        let _ = tokio::time::timeout(RECV_TIMEOUT, async {
            while self.ws.next().await.is_some() {}
        })
        .await;
    }

    /// Reads until a close frame arrives and returns its code (frames before it are skipped).
    pub async fn expect_close(&mut self) -> u16 {
        loop {
            match self.recv_any().await {
                Received::Close(Some(code)) => return code,
                Received::Close(None) => panic!("close frame without a code"),
                Received::Ended(why) => panic!(
                    "{}: connection ended without a close frame: {why}",
                    self.user
                ),
                _ => {}
            }
        }
    }

    /// Sends a chat message with `rid` and returns the ack.
    pub async fn say(&mut self, ch: &str, c: &str, rid: &str) -> Value {
        let ack = self
            .request(json!({"t": "msg", "ch": ch, "c": c}), rid)
            .await;
        assert_eq!(ack["t"], "ack", "{}: {ack}", self.user);
        ack
    }
}

/// A fresh random X25519-sized public key, standard base64.
pub fn random_pk() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes[..]);
    STANDARD.encode(bytes)
}

pub fn rand_u64() -> u64 {
    let mut bytes = [0u8; 8];
    rand::fill(&mut bytes[..]);
    u64::from_le_bytes(bytes)
}

/// The password the helpers use for `user`.
pub fn password_of(user: &str) -> String {
    format!("pw-of-{user}-long-enough")
}

/// Registers `user` on a new connection and returns it after `ok`.
pub async fn register(server: &impl ServerUrl, user: &str) -> Client {
    let mut client = Client::connect(server).await;
    let pk = random_pk();
    let ok = client
        .request(
            json!({"t": "auth", "u": user, "pw": password_of(user), "pk": pk, "register": true}),
            "reg",
        )
        .await;
    assert_eq!(ok["t"], "ok", "registering {user}: {ok}");
    client.user = user.to_string();
    client.session = ok["session"].as_str().unwrap_or_default().to_string();
    client.pk = pk;
    client.ok = ok;
    client
}

/// Logs `user` in with the password on a new connection; returns the client and the `ok` frame.
pub async fn login(server: &impl ServerUrl, user: &str) -> (Client, Value) {
    let mut client = Client::connect(server).await;
    let ok = client
        .request(
            json!({"t": "auth", "u": user, "pw": password_of(user)}),
            "login",
        )
        .await;
    assert_eq!(ok["t"], "ok", "login {user}: {ok}");
    client.user = user.to_string();
    client.session = ok["session"].as_str().unwrap_or_default().to_string();
    client.ok = ok.clone();
    (client, ok)
}

/// Resumes `user`'s session on a new connection; returns the client and the `ok` frame.
pub async fn resume(server: &impl ServerUrl, user: &str, session: &str) -> (Client, Value) {
    let mut client = Client::connect(server).await;
    let ok = client
        .request(
            json!({"t": "auth", "u": user, "session": session}),
            "resume",
        )
        .await;
    client.user = user.to_string();
    client.session = session.to_string();
    client.ok = ok.clone();
    (client, ok)
}

/// `seq` values of a list of events.
pub fn seqs(events: &Value) -> Vec<i64> {
    events
        .as_array()
        .map(|list| list.iter().filter_map(|e| e["seq"].as_i64()).collect())
        .unwrap_or_default()
}

/// `c` values of a list of events (`"<deleted>"` for deleted ones).
pub fn texts(events: &Value) -> Vec<String> {
    events
        .as_array()
        .map(|list| {
            list.iter()
                .map(|e| {
                    e["c"]
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| "<deleted>".into())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until the wall clock has passed `ts` (ms), so the next server timestamp is later.
pub async fn after_ms(ts: i64) {
    loop {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        if now > ts {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The named fields of a frame as a JSON object (absent fields are left out), for compact asserts.
pub fn pick(frame: &Value, fields: &[&str]) -> Value {
    let mut picked = serde_json::Map::new();
    for field in fields {
        if let Some(value) = frame.get(*field) {
            picked.insert((*field).to_string(), value.clone());
        }
    }
    Value::Object(picked)
}
