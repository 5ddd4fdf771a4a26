//! A minimal HTTP/1.1 client for the admin endpoint (`/healthz`, `/metrics`): one raw request
//! per connection, the whole answer read until the server closes, within a timeout. Included
//! with `#[path]` by the test crates that need it.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longest wait for one HTTP answer.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// An HTTP answer: status code and body.
#[derive(Debug)]
pub struct HttpAnswer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

/// Sends `request` (raw bytes) to `addr` and reads the answer until the server closes.
pub async fn http_raw(addr: SocketAddr, request: &[u8]) -> HttpAnswer {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.expect("connect to admin");
        stream.write_all(request).await.expect("send request");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.expect("read answer");
        answer
    };
    let answer = tokio::time::timeout(HTTP_TIMEOUT, exchange)
        .await
        .expect("admin endpoint answers within 10 s");
    let text = String::from_utf8(answer).expect("answer is UTF-8");
    let (head, body) = text
        .split_once("\r\n\r\n")
        .expect("head ends with a blank line");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status line has a code");
    HttpAnswer {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

/// `GET path`.
pub async fn http_get(addr: SocketAddr, path: &str) -> HttpAnswer {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    http_raw(addr, request.as_bytes()).await
}

/// The value of the un-labelled sample `name` in a Prometheus text body.
pub fn metric(body: &str, name: &str) -> Option<f64> {
    body.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.split_once(' ')?;
            (series == name).then(|| value.parse().ok())?
        })
}
