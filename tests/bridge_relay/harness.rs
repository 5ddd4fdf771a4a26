//! Starting and stopping a bridge in-process against a test server and the fake Discord, with
//! its state (session token, identity, message-id map) in a temp dir kept across restarts.

use std::sync::Arc;

use chatify::bridge::config::parse_config;
use chatify::bridge::{BridgeError, ChatifyLogin, run_bridge};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use zeroize::Zeroizing;

use crate::common::*;
use crate::fake_discord::FakeDiscord;

/// The Discord channel linked to #general in the tests.
pub const GENERAL: u64 = 100;
/// The Discord channel linked to the sealed #ops.
pub const OPS: u64 = 200;
/// The bridge's chatify account.
pub const BRIDGE_USER: &str = "relay";

/// A server config that marks `relay` as a bridge account.
pub fn bridge_server_config() -> chatify::server::ServerConfig {
    chatify::server::ServerConfig {
        bridge_accounts: vec![BRIDGE_USER.into()],
        ..test_config()
    }
}

/// A config file linking #general (through the webhook `chatify`, or as the bot) to `GENERAL`.
pub fn general_config(url: &str, webhook: bool) -> String {
    let webhook = if webhook {
        "webhook = \"chatify\"\n"
    } else {
        ""
    };
    format!(
        "server = \"{url}\"\naccount = \"{BRIDGE_USER}\"\n\n[[link]]\ndiscord = {GENERAL}\nchatify = \"general\"\n{webhook}"
    )
}

/// A running bridge.
pub struct RunningBridge {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), BridgeError>>,
}

/// The bridge's state directory (kept across restarts).
pub struct BridgeHome {
    pub dir: tempfile::TempDir,
}

impl BridgeHome {
    pub fn new() -> BridgeHome {
        BridgeHome {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// Starts a bridge with `config_text`; returns once it has joined and caught up.
    pub async fn start(&self, config_text: &str, discord: &Arc<FakeDiscord>) -> RunningBridge {
        let config = parse_config(config_text, "test.toml", true).expect("valid config");
        let login = ChatifyLogin {
            password: Some(Zeroizing::new(password_of(BRIDGE_USER))),
            config_dir: self.dir.path().to_path_buf(),
            weak_kdf_for_tests: true,
        };
        let map_path = self.dir.path().join("bridge-map.db");
        let events = discord.connect();
        let (stop, stopped) = oneshot::channel::<()>();
        let (ready_tx, ready) = oneshot::channel();
        let discord = discord.clone();
        let task = tokio::spawn(async move {
            run_bridge(
                &config,
                login,
                map_path,
                discord,
                events,
                async move {
                    let _ = stopped.await;
                },
                Some(ready_tx),
            )
            .await
        });
        let mut task = task;
        tokio::select! {
            ready = ready => ready.expect("the bridge reports ready"),
            ended = &mut task => panic!("the bridge stopped before it was ready: {ended:?}"),
            _ = tokio::time::sleep(RECV_TIMEOUT) => panic!("the bridge was not ready in time"),
        }
        RunningBridge {
            stop: Some(stop),
            task,
        }
    }
}

impl RunningBridge {
    /// Stops the bridge the way SIGTERM does and waits for it to finish cleanly.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let result = tokio::time::timeout(RECV_TIMEOUT * 2, &mut self.task)
            .await
            .expect("the bridge stops in time")
            .expect("the bridge task does not panic");
        result.expect("the bridge stops without error");
    }
}

/// Registers the bridge account and `alice`; returns alice's client.
pub async fn accounts(server: &TestServer) -> Client {
    register(server, BRIDGE_USER).await.close().await;
    register(server, "alice").await
}

/// Reads frames until a `msg` in `ch` arrives.
pub async fn next_msg(client: &mut Client, ch: &str) -> serde_json::Value {
    client
        .recv_matching(|f| f["t"] == "msg" && f["ch"] == ch)
        .await
}
