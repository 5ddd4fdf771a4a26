//! How the client trusts a wss:// server: a private CA (`--ca-file`), a self-signed certificate
//! pinned on first use, a changed certificate refused loudly, and plain ws:// refused to other
//! machines.

use chatify::client::conn::ClientError;
use chatify::proto::{ClientFrame, ServerFrame};
use chatify::tls::ServerTls;

use crate::{TestCa, TlsServer, WAIT, log_in, security};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss_with_a_private_ca_file_logs_in_and_another_ca_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = TestCa::new("chatify test CA");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    ca.issue(&cert, &key);
    let ca_file = ca.write_ca(dir.path(), "ca.pem");
    let tls = ServerTls::from_files(&cert, &key).expect("server certificate");
    let server = TlsServer::start(dir.path(), tls).await;

    let trusted = security(Some(&ca_file), None);
    let (alice, _events) = log_in(&server.url, "alice", true, &trusted)
        .await
        .expect("registers over wss with the private CA");
    let pong = alice
        .request(ClientFrame::Ping {})
        .await
        .expect("answers over TLS");
    assert!(matches!(pong, ServerFrame::Pong { .. }), "{pong:?}");
    alice.close();

    let other_ca = TestCa::new("someone else's CA").write_ca(dir.path(), "other-ca.pem");
    let refused = log_in(
        &server.url,
        "alice",
        false,
        &security(Some(&other_ca), None),
    )
    .await;
    match refused {
        Err(ClientError::Trust(reason)) => assert!(reason.contains("not trusted"), "{reason}"),
        other => panic!("expected a trust error, got {:?}", other.map(|_| ())),
    }
    // With a CA file, an unknown certificate is never pinned on first use either.
    let pins = dir.path().join("pins");
    let with_ca = chatify::tls::ConnectSecurity {
        pin_dir: Some(pins.clone()),
        ..security(Some(&other_ca), None)
    };
    assert!(log_in(&server.url, "alice", false, &with_ca).await.is_err());
    assert!(!pins.exists(), "nothing pinned when --ca-file is given");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_signed_certificate_is_pinned_on_first_use_and_a_changed_one_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (tls, created) =
        ServerTls::self_signed(&dir.path().join("chatify.db"), &[]).expect("self-signed");
    assert!(created);
    let served = tls.fingerprint();
    let server = TlsServer::start(dir.path(), tls).await;
    let home = tempfile::tempdir().expect("client config dir");
    let client = security(None, Some(home.path()));

    let (alice, _events) = log_in(&server.url, "alice", true, &client)
        .await
        .expect("first use is accepted");
    alice.close();
    let notices = client.take_notices();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].contains(&served), "{notices:?} names {served}");
    let server_key = server
        .url
        .trim_start_matches("wss://")
        .trim_end_matches('/');
    let pin = chatify::tls::pins::load_pin(home.path(), server_key).expect("pin readable");
    assert_eq!(pin.as_deref(), Some(served.as_str()));

    // The pinned certificate is accepted silently from then on.
    let (again, _events) = log_in(&server.url, "alice", false, &client)
        .await
        .expect("the pinned certificate is accepted");
    again.close();
    assert!(client.take_notices().is_empty());

    // The server's certificate is replaced (as an attacker in the middle would present another).
    crate::replace_self_signed(&dir.path().join("chatify.db"));
    server.tls.reload().expect("reload");
    let presented = server.tls.fingerprint();
    assert_ne!(presented, served);

    let refused = tokio::time::timeout(WAIT, log_in(&server.url, "alice", false, &client))
        .await
        .expect("answers in time");
    let Err(ClientError::Trust(warning)) = refused else {
        panic!("a changed certificate must be refused");
    };
    assert!(warning.contains("HAS CHANGED"), "{warning}");
    assert!(
        warning.contains(&served) && warning.contains(&presented),
        "{warning}"
    );
    let pin_file = chatify::tls::pins::pin_path(home.path(), server_key);
    assert!(
        warning.contains(&pin_file.display().to_string()),
        "{warning}"
    );
    let still = chatify::tls::pins::load_pin(home.path(), server_key).expect("pin readable");
    assert_eq!(
        still.as_deref(),
        Some(served.as_str()),
        "the pin is unchanged"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_pin_directory_an_unverifiable_certificate_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (tls, _) =
        ServerTls::self_signed(&dir.path().join("chatify.db"), &[]).expect("self-signed");
    let server = TlsServer::start(dir.path(), tls).await;
    let refused = log_in(&server.url, "alice", true, &security(None, None)).await;
    assert!(
        matches!(refused, Err(ClientError::Trust(_))),
        "{:?}",
        refused.map(|_| ())
    );
    server.stop().await;
}

#[tokio::test]
async fn plain_ws_to_another_machine_is_refused_before_any_credential_is_sent() {
    // chat.example never resolves; the refusal comes before any lookup or connection.
    let refused = log_in(
        "ws://chat.example:8765",
        "alice",
        false,
        &security(None, None),
    )
    .await;
    let Err(ClientError::Trust(reason)) = refused else {
        panic!("plain ws:// to another machine must be refused");
    };
    assert!(reason.contains("--allow-insecure"), "{reason}");
}
