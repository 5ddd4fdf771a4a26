//! `serve --admin-listen ADDR`: a small HTTP/1.1 endpoint for load balancers and operators,
//! separate from the WebSocket listener. `GET /healthz` answers 200 `ready` or 503 with why not
//! (`catching-up`, `nats-down`, `shutting-down`); `GET /metrics` answers the Prometheus text
//! format (`metrics`). Hand-written on tokio and deliberately narrow: one request per
//! connection (`Connection: close`), a request head of at most 8 KiB read within 5 seconds, at
//! most 32 admin connections at once, GET and HEAD only. It never reads a body and never echoes
//! the request back.

pub mod metrics;

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use super::server_state::ServerState;

/// Largest request head accepted (request line and headers).
const MAX_REQUEST_HEAD: usize = 8 * 1024;
/// Time a client gets to send its request head and read the answer.
const REQUEST_DEADLINE: Duration = Duration::from_secs(5);
/// Admin connections served at once; more are closed at accept.
const MAX_ADMIN_CONNECTIONS: usize = 32;

/// Serves the admin endpoint until the task is aborted (the server does that when it stops).
pub async fn serve_admin(listener: TcpListener, state: Arc<ServerState>) {
    let slots = Arc::new(Semaphore::new(MAX_ADMIN_CONNECTIONS));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(REQUEST_DEADLINE, answer(stream, &state)).await;
            drop(slot);
        });
    }
}

/// Reads one request head and writes its answer.
async fn answer(mut stream: TcpStream, state: &ServerState) -> std::io::Result<()> {
    let head = match read_request_head(&mut stream).await? {
        Some(head) => head,
        None => {
            respond(&mut stream, 431, "text/plain", "request too large\n", true).await?;
            // Read what the client is still sending, so closing does not reset the connection
            // before it has read the answer.
            return discard_rest(&mut stream).await;
        }
    };
    let Some((method, path)) = request_target(&head) else {
        return respond(&mut stream, 400, "text/plain", "bad request\n", true).await;
    };
    let with_body = method != "HEAD";
    if method != "GET" && method != "HEAD" {
        return respond(&mut stream, 405, "text/plain", "GET or HEAD only\n", true).await;
    }
    match path.split('?').next().unwrap_or_default() {
        "/healthz" => {
            let health = *state.health.borrow();
            let body = format!("{}\n", health.word());
            respond(
                &mut stream,
                health.http_status(),
                "text/plain",
                &body,
                with_body,
            )
            .await
        }
        "/metrics" => {
            let body = metrics::render_metrics(state);
            let kind = "text/plain; version=0.0.4; charset=utf-8";
            respond(&mut stream, 200, kind, &body, with_body).await
        }
        _ => respond(&mut stream, 404, "text/plain", "not found\n", with_body).await,
    }
}

/// The bytes up to the blank line ending the head; `None` when it exceeds the bound.
async fn read_request_head(stream: &mut TcpStream) -> std::io::Result<Option<Vec<u8>>> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.extend_from_slice(&chunk[..read]);
        if head.windows(4).any(|window| window == b"\r\n\r\n")
            || head.windows(2).any(|window| window == b"\n\n")
        {
            return Ok(Some(head));
        }
        if head.len() > MAX_REQUEST_HEAD {
            return Ok(None);
        }
    }
}

/// Reads and drops at most 64 KiB more of the request (the caller's deadline bounds the time).
async fn discard_rest(stream: &mut TcpStream) -> std::io::Result<()> {
    let mut chunk = [0u8; 4096];
    let mut left = 64 * 1024usize;
    while left > 0 {
        match stream.read(&mut chunk).await? {
            0 => break,
            read => left = left.saturating_sub(read),
        }
    }
    Ok(())
}

/// The method and path of the request line (`GET /healthz HTTP/1.1`).
fn request_target(head: &[u8]) -> Option<(&str, &str)> {
    let line_end = head.iter().position(|&byte| byte == b'\n')?;
    let line = std::str::from_utf8(&head[..line_end]).ok()?.trim_end();
    let mut parts = line.split(' ');
    let (method, path, version) = (parts.next()?, parts.next()?, parts.next()?);
    (parts.next().is_none() && version.starts_with("HTTP/1.") && path.starts_with('/'))
        .then_some((method, path))
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &str,
    with_body: bool,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "Service Unavailable",
    };
    let mut response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if with_body {
        response.push_str(body);
    }
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests;
