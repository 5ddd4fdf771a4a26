//! Dialing a server: parses the `ws://`/`wss://` URL, refuses plain `ws://` to another machine
//! (credentials follow at once) unless allowed, opens the TCP connection, runs the TLS
//! handshake for `wss://` (`crate::tls::client`: system roots, `--ca-file`, or a pin), then the
//! WebSocket handshake. Used by `conn::connect` only.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::http::Uri;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::conn::ClientError;
use crate::tls::ConnectSecurity;
use crate::tls::client::TrustError;

/// A byte stream under the WebSocket: plain TCP or TLS over TCP.
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Transport for T {}

/// The WebSocket of a live connection.
pub type Socket = WebSocketStream<Box<dyn Transport>>;

/// Host, port and scheme of a server URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAddress {
    /// As written (an IPv6 address keeps its brackets).
    pub host: String,
    pub port: u16,
    pub secure: bool,
}

/// Reads `ws://host[:port]/…` or `wss://…` (ports default to 80 and 443).
pub fn server_address(url: &str) -> Result<ServerAddress, ClientError> {
    let bad = || ClientError::BadUrl(url.to_string());
    let uri: Uri = url.parse().map_err(|_| bad())?;
    let secure = match uri.scheme_str() {
        Some("wss") => true,
        Some("ws") => false,
        _ => return Err(bad()),
    };
    let host = uri.host().filter(|host| !host.is_empty()).ok_or_else(bad)?;
    let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
    Ok(ServerAddress {
        host: host.to_string(),
        port,
        secure,
    })
}

/// Connects to `url` (already normalized) with `security`, within the caller's timeout.
pub async fn dial(
    url: &str,
    security: &ConnectSecurity,
    config: WebSocketConfig,
) -> Result<Socket, ClientError> {
    let address = server_address(url)?;
    security
        .check_plaintext(address.secure, &address.host)
        .map_err(trust_error)?;
    let connect_error = |reason: String| ClientError::Connect {
        url: url.to_string(),
        reason,
    };
    let bare_host = address.host.trim_start_matches('[').trim_end_matches(']');
    let tcp = TcpStream::connect((bare_host, address.port))
        .await
        .map_err(|error| connect_error(error.to_string()))?;
    let _ = tcp.set_nodelay(true);
    let transport: Box<dyn Transport> = if address.secure {
        let tls = security
            .client_tls(&address.host, address.port)
            .map_err(trust_error)?;
        Box::new(tls.handshake(tcp).await.map_err(trust_error)?)
    } else {
        Box::new(tcp)
    };
    let (socket, _response) =
        tokio_tungstenite::client_async_with_config(url, transport, Some(config))
            .await
            .map_err(|error| connect_error(super::conn::describe_ws_error(&error)))?;
    Ok(socket)
}

fn trust_error(error: TrustError) -> ClientError {
    ClientError::Trust(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_default_their_ports_by_scheme() {
        let plain = server_address("ws://chat.example").expect("parses");
        assert_eq!((plain.port, plain.secure), (80, false));
        let secure = server_address("wss://chat.example:8765/").expect("parses");
        assert_eq!(
            (secure.host.as_str(), secure.port, secure.secure),
            ("chat.example", 8765, true)
        );
        let v6 = server_address("wss://[::1]:9").expect("parses");
        assert_eq!(v6.host, "[::1]");
        assert!(server_address("http://chat.example").is_err());
    }
}
