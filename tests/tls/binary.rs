//! The binary: `serve --tls-cert/--tls-key` reloading on SIGHUP without dropping connections,
//! `serve --tls-self-signed` printing its fingerprint, and the one-shot tools refusing a changed
//! certificate and plain ws:// to another machine.

use std::path::Path;
use std::process::Stdio;

use chatify::proto::{ClientFrame, ServerFrame};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, Command};

use crate::{TestCa, WAIT, log_in, presented_fingerprint, security};

/// `chatify serve` on 127.0.0.1:0 with `args`; its stderr lines are read as they come.
struct Serve {
    child: Child,
    lines: Lines<BufReader<ChildStderr>>,
    url: String,
}

impl Serve {
    async fn spawn(dir: &Path, args: &[&str]) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chatify"))
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(dir.join("chatify.db"))
            .args(args)
            .env("CHATIFY_DATA_DIR", dir)
            .env_remove("CHATIFY_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn chatify serve");
        let stderr = child.stderr.take().expect("stderr");
        let mut serve = Serve {
            child,
            lines: BufReader::new(stderr).lines(),
            url: String::new(),
        };
        let line = serve.line_containing("listening on wss://").await;
        let at = line.find("wss://").expect("url");
        serve.url = line[at..].trim().to_string();
        serve
    }

    /// Reads stderr until a line contains `needle`; returns that line.
    async fn line_containing(&mut self, needle: &str) -> String {
        let mut seen = Vec::new();
        tokio::time::timeout(WAIT, async {
            while let Ok(Some(line)) = self.lines.next_line().await {
                if line.contains(needle) {
                    return line;
                }
                seen.push(line);
            }
            panic!("serve ended before printing {needle:?}: {seen:?}");
        })
        .await
        .unwrap_or_else(|_| panic!("serve printed {needle:?} in time"))
    }

    fn signal(&self, name: &str) {
        let pid = self.child.id().expect("pid").to_string();
        let status = std::process::Command::new("kill")
            .args([name, &pid])
            .status()
            .expect("run kill");
        assert!(status.success());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_certificate_for_new_handshakes_and_keeps_open_connections() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = TestCa::new("chatify test CA");
    let ca_file = ca.write_ca(dir.path(), "ca.pem");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let first = ca.issue(&cert, &key);
    let (cert_arg, key_arg) = (cert.to_str().expect("utf-8"), key.to_str().expect("utf-8"));
    let mut serve = Serve::spawn(dir.path(), &["--tls-cert", cert_arg, "--tls-key", key_arg]).await;
    assert_eq!(presented_fingerprint(&serve.url, &ca_file).await, first);
    let trusted = security(Some(&ca_file), None);
    let (alice, _events) = log_in(&serve.url, "alice", true, &trusted)
        .await
        .expect("registers over wss");

    let second = ca.issue(&cert, &key);
    assert_ne!(first, second);
    serve.signal("-HUP");
    let reloaded = serve.line_containing("reloaded the TLS certificate").await;
    assert!(reloaded.contains(&second), "{reloaded}");

    // The open connection survived the reload and still answers.
    let pong = alice
        .request(ClientFrame::Ping {})
        .await
        .expect("still open");
    assert!(matches!(pong, ServerFrame::Pong { .. }), "{pong:?}");
    assert!(alice.is_connected());
    // The next handshake gets the new certificate.
    assert_eq!(presented_fingerprint(&serve.url, &ca_file).await, second);
    let (bob, _events) = log_in(&serve.url, "bob", true, &trusted)
        .await
        .expect("a new connection works with the new certificate");
    bob.close();
    alice.close();
    serve.signal("-TERM");
    let status = tokio::time::timeout(WAIT, serve.child.wait())
        .await
        .expect("serve exits")
        .expect("wait");
    assert!(status.success(), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_pins_a_self_signed_server_and_refuses_it_after_a_change() {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("home");
    let mut serve = Serve::spawn(dir.path(), &["--tls-self-signed"]).await;
    let fingerprint = std::fs::read_to_string(
        chatify::tls::server::self_signed_paths(&dir.path().join("chatify.db")).0,
    )
    .map(|pem| {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let der = CertificateDer::from_pem_slice(pem.as_bytes()).expect("PEM");
        chatify::tls::certificate_fingerprint(&der)
    })
    .expect("certificate beside the database");

    let url = serve.url.clone();
    let history = |home: &Path| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_chatify"));
        command
            .args(["history", "#general", "--server", &url, "--user", "alice"])
            .env("CHATIFY_CONFIG_DIR", home)
            .env("CHATIFY_PASSWORD", crate::PASSWORD)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    };
    // Register alice first through the library, pinning into the same config dir.
    let client = security(None, Some(&home));
    let (alice, _events) = log_in(&serve.url, "alice", true, &client)
        .await
        .expect("registers");
    alice.close();
    assert!(client.take_notices()[0].contains(&fingerprint));
    let ok = tokio::time::timeout(WAIT, history(&home).output())
        .await
        .expect("in time")
        .expect("runs");
    assert_eq!(ok.status.code(), Some(1), "{ok:?}"); // pinned: connects; nothing in #general

    // Another home never saw this server: the CLI pins on first use and says so on stderr.
    let fresh_home = dir.path().join("fresh");
    let first = tokio::time::timeout(WAIT, history(&fresh_home).output())
        .await
        .expect("in time")
        .expect("runs");
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(
        stderr.contains("pinned it on first use") && stderr.contains(&fingerprint),
        "{stderr}"
    );

    // The server's certificate is replaced (SIGHUP reloads it): the CLI refuses loudly, exit 2.
    crate::replace_self_signed(&dir.path().join("chatify.db"));
    serve.signal("-HUP");
    serve.line_containing("reloaded the TLS certificate").await;
    let refused = tokio::time::timeout(WAIT, history(&home).output())
        .await
        .expect("in time")
        .expect("runs");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("HAS CHANGED") && stderr.contains(&fingerprint),
        "{stderr}"
    );
    serve.signal("-TERM");
    let _ = tokio::time::timeout(WAIT, serve.child.wait()).await;
}

#[tokio::test]
async fn the_cli_refuses_plain_ws_to_another_machine_unless_told() {
    let home = tempfile::tempdir().expect("config dir");
    // chat.example never resolves; the refusal comes before any lookup or connection.
    let output = Command::new(env!("CARGO_BIN_EXE_chatify"))
        .args([
            "history",
            "#general",
            "--server",
            "ws://chat.example:8765",
            "--user",
            "alice",
        ])
        .env("CHATIFY_CONFIG_DIR", home.path())
        .env("CHATIFY_PASSWORD", crate::PASSWORD)
        .stdin(Stdio::null())
        .output();
    let output = tokio::time::timeout(WAIT, output)
        .await
        .expect("in time")
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("refusing to send a password or session token"),
        "{stderr}"
    );
}

#[test]
fn serve_warns_when_it_listens_beyond_loopback_without_tls() {
    let line = chatify::cmd::serve::plaintext_listen_warning("0.0.0.0:8765".parse().expect("addr"));
    assert!(line.is_some_and(|line| line.contains("without TLS")));
    let line =
        chatify::cmd::serve::plaintext_listen_warning("192.0.2.7:8765".parse().expect("addr"));
    assert!(line.is_some());
    let loopback =
        chatify::cmd::serve::plaintext_listen_warning("127.0.0.1:8765".parse().expect("addr"));
    assert!(loopback.is_none());
}
