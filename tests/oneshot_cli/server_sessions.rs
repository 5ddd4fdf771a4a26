//! `chatify sessions`, `sessions --revoke`, `password` and `logout` through the binary against a
//! real server (issue 9 point 13): the sessions they end lose their live connections (the
//! client library reports the session ended instead of logging in again), and the saved token
//! is forgotten on logout.

use std::time::Duration;

use chatify::client::session::{Session, SessionEvent, SessionEvents, SessionOptions};

use crate::server_fixture::{Person, ServerFixture};

/// Another device of `name`: a password login with its own config dir.
async fn device(server: &ServerFixture, name: &str, label: &str) -> (Session, SessionEvents) {
    let mut options = SessionOptions::new(server.url.clone(), name);
    options.password = Some(zeroize::Zeroizing::new(format!("{name}-password")));
    options.config_dir = Some(server.home(label));
    options.reconnect = true;
    Session::connect(options).await.expect("device logs in")
}

/// Waits for the session to end for good; returns the reason.
async fn ended(events: &mut SessionEvents) -> String {
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(event) = events.next().await {
            if let SessionEvent::Ended { reason } = event {
                return reason;
            }
        }
        "the event stream ended".to_string()
    })
    .await
    .expect("the session ends in time")
}

async fn current_id(session: &Session) -> String {
    let list = session.sessions().await.expect("sessions");
    list.into_iter()
        .find(|s| s.current)
        .expect("the current one")
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_revoke_password_and_logout_end_sessions_through_the_cli() {
    let server = ServerFixture::start().await;
    let alice = Person::register(&server, "alice").await;
    let (laptop, mut laptop_events) = device(&server, "alice", "alice-laptop").await;

    let listed = server.cli_as("alice").args(["sessions"]).run().await;
    listed.assert_code(0);
    let lines = listed.lines();
    assert_eq!(lines.len(), 3, "a header and two sessions: {lines:?}");
    assert_eq!(
        lines.iter().filter(|l| l.ends_with("(this one)")).count(),
        1
    );

    let laptop_id = current_id(&laptop).await;
    assert!(listed.stdout().contains(&laptop_id));
    server
        .cli_as("alice")
        .args(["sessions", "--revoke", &laptop_id])
        .run()
        .await
        .assert_code(0);
    let reason = ended(&mut laptop_events).await;
    assert!(reason.contains("session was ended"), "{reason}");
    server
        .cli_as("alice")
        .args(["sessions", "--revoke", &laptop_id])
        .run()
        .await
        .assert_code(2);

    let (_tablet, mut tablet_events) = device(&server, "alice", "alice-tablet").await;
    let changed = server
        .cli_as("alice")
        .env("CHATIFY_PASSWORD", "alice-password")
        .env("CHATIFY_NEW_PASSWORD", "alice-new-password")
        .args(["password"])
        .run()
        .await;
    changed.assert_code(0);
    assert!(
        changed.stdout().contains("1 other session(s) ended"),
        "{}",
        changed.stdout()
    );
    assert!(
        ended(&mut tablet_events)
            .await
            .contains("session was ended")
    );

    let token_file =
        chatify::client::tokens::token_path(&server.home("alice"), &server.url, "alice");
    assert!(
        token_file.exists(),
        "alice's saved session before logging out"
    );
    let out = server.cli_as("alice").args(["logout"]).run().await;
    out.assert_code(0);
    assert!(out.stdout().contains("logged out"), "{}", out.stdout());
    assert!(!token_file.exists(), "the saved token is forgotten");
    let again = server.cli_as("alice").args(["logout"]).run().await;
    again.assert_code(0);
    assert!(
        again.stdout().contains("no saved session"),
        "{}",
        again.stdout()
    );
    // The logged-out token no longer logs in: without a password the CLI cannot continue.
    server
        .cli_as("alice")
        .args(["sessions"])
        .run()
        .await
        .assert_code(2);
    drop(alice);
    server.stop().await;
}
