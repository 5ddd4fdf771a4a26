//! `serve --admin-listen`: `/healthz` and `/metrics` over real HTTP on 127.0.0.1:0, in process
//! (through `server::run_with`) and through the `chatify serve` binary.

mod common;
#[path = "common/http.rs"]
mod http;

use std::net::SocketAddr;

use chatify::server::ServeExtras;
use common::*;
use http::*;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A server with its admin endpoint: (WebSocket URL, admin address, stop, task).
struct AdminServer {
    url: String,
    admin: SocketAddr,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    _dir: tempfile::TempDir,
}

async fn start_admin_server() -> AdminServer {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open_store(&dir.path().join("chatify.db"));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let admin_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind admin");
    let url = format!("ws://{}/", listener.local_addr().expect("addr"));
    let admin = admin_listener.local_addr().expect("admin addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let extras = ServeExtras {
        admin: Some(admin_listener),
        ..Default::default()
    };
    let task = tokio::spawn(chatify::server::run_with(
        listener,
        store,
        test_config(),
        extras,
        async move {
            let _ = stopped.await;
        },
    ));
    AdminServer {
        url,
        admin,
        stop,
        task,
        _dir: dir,
    }
}

#[tokio::test]
async fn healthz_says_ready_with_200_on_a_running_node() {
    let server = start_admin_server().await;
    let answer = http_get(server.admin, "/healthz").await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body, "ready\n");
    assert!(answer.head.contains("Connection: close"), "{}", answer.head);
    let head_only = http_raw(server.admin, b"HEAD /healthz HTTP/1.1\r\n\r\n").await;
    assert_eq!((head_only.status, head_only.body.as_str()), (200, ""));
    let _ = server.stop.send(());
    server.task.await.expect("joins").expect("runs");
}

#[tokio::test]
async fn metrics_count_connections_committed_events_and_deliveries() {
    let server = start_admin_server().await;
    let before = http_get(server.admin, "/metrics").await;
    assert_eq!(before.status, 200);
    assert!(
        before.head.contains("text/plain; version=0.0.4"),
        "{}",
        before.head
    );
    assert_eq!(
        metric(&before.body, "chatify_events_committed_total"),
        Some(0.0)
    );

    let mut alice = register(&server.url, "alice").await;
    let mut bob = register(&server.url, "bob").await;
    alice.say("general", "one", "m1").await;
    alice.say("general", "two", "m2").await;
    bob.recv_matching(|frame| frame["t"] == "msg" && frame["c"] == "two")
        .await;

    let body = http_get(server.admin, "/metrics").await.body;
    assert_eq!(
        metric(&body, "chatify_connections_open"),
        Some(2.0),
        "{body}"
    );
    assert_eq!(metric(&body, "chatify_users_online"), Some(2.0));
    assert_eq!(metric(&body, "chatify_events_committed_total"), Some(2.0));
    // Both members of #general are subscribed: two deliveries per message.
    assert_eq!(metric(&body, "chatify_fanout_deliveries_total"), Some(4.0));
    assert_eq!(metric(&body, "chatify_ready"), Some(1.0));
    let requests = metric(&body, "chatify_store_requests_total").expect("requests");
    let transactions = metric(&body, "chatify_store_transactions_total").expect("txs");
    assert!(
        requests >= 2.0 && transactions >= 1.0 && transactions <= requests,
        "{body}"
    );
    assert_is_prometheus_text(&body);

    alice.close().await;
    bob.close().await;
    let _ = server.stop.send(());
    server.task.await.expect("joins").expect("runs");
}

/// Every sample has a `# TYPE` line before it and a numeric value.
fn assert_is_prometheus_text(body: &str) {
    let mut typed = std::collections::HashSet::new();
    for line in body.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("name and type");
            assert!(["counter", "gauge"].contains(&kind), "{line}");
            typed.insert(name.to_string());
        } else if !line.starts_with("# HELP ") {
            let (name, value) = line.split_once(' ').expect("name value");
            assert!(typed.contains(name), "{name} has no TYPE line");
            value.parse::<f64>().expect("numeric value");
        }
    }
}

#[tokio::test]
async fn other_paths_methods_and_oversized_requests_are_refused() {
    let server = start_admin_server().await;
    assert_eq!(http_get(server.admin, "/").await.status, 404);
    assert_eq!(http_get(server.admin, "/healthz/../etc").await.status, 404);
    let post = http_raw(
        server.admin,
        b"POST /healthz HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    )
    .await;
    assert_eq!(post.status, 405);
    assert_eq!(
        http_raw(server.admin, b"hello there\r\n\r\n").await.status,
        400
    );
    let mut huge = b"GET /metrics HTTP/1.1\r\n".to_vec();
    huge.extend(std::iter::repeat_n(b'x', 16 * 1024));
    huge.extend_from_slice(b"\r\n\r\n");
    assert_eq!(http_raw(server.admin, &huge).await.status, 431);
    // Still serving after all that.
    assert_eq!(http_get(server.admin, "/healthz").await.status, 200);
    let _ = server.stop.send(());
    server.task.await.expect("joins").expect("runs");
}

#[tokio::test]
async fn the_serve_binary_serves_admin_listen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("chatify.db");
    let flags = ["--admin-listen", "127.0.0.1:0"];
    let server = spawn_serve_with_flags(&db, dir.path(), &flags).await;
    let log = server.log_text();
    let admin: SocketAddr = log
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("no admin address in the log: {log}"));
    let health = http_get(admin, "/healthz").await;
    assert_eq!((health.status, health.body.as_str()), (200, "ready\n"));
    let metrics = http_get(admin, "/metrics").await;
    assert_eq!(metric(&metrics.body, "chatify_connections_open"), Some(0.0));
    server.kill_9().await;
}
