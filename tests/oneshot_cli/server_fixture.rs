//! The people of the server cases: [`ServerFixture`] (the shared running-server fixture,
//! `tests/common/server.rs`, with a config dir per person and the CLI run as that person) and
//! [`Person`] (registered through the client library with their key ring and session token
//! saved as `chatify connect` leaves them). Used by the `server_*` case modules.

use chatify::proto::{DmFrame, JoinFrame, MsgFrame};
use std::path::PathBuf;

use chatify::client::keys;
use chatify::proto;

use crate::common_server::{TestServer, test_config};
use crate::{CLI_TIMEOUT, Cli, PASSPHRASE};

/// `chatify::server::run` on 127.0.0.1:0 with a temp database, in this process.
pub(crate) struct ServerFixture {
    server: TestServer,
    pub(crate) url: String,
}

impl ServerFixture {
    pub(crate) async fn start() -> ServerFixture {
        let server = TestServer::start(test_config()).await;
        let url = server.url.clone();
        ServerFixture { server, url }
    }

    /// A config dir for a person (sessions, identity, cached keys).
    pub(crate) fn home(&self, name: &str) -> PathBuf {
        self.server.dir().join(format!("home-{name}"))
    }

    /// The server's temp directory (the people's homes are in it).
    pub(crate) fn dir(&self) -> &std::path::Path {
        self.server.dir()
    }

    /// The database file of the server.
    pub(crate) fn db(&self) -> PathBuf {
        self.server.db.clone()
    }

    /// The CLI as `user` (via CHATIFY_SERVER and CHATIFY_USER), with that person's config dir.
    pub(crate) fn cli_as(&self, user: &str) -> Cli {
        Cli::new(&self.home(user))
            .env("CHATIFY_SERVER", &self.url)
            .env("CHATIFY_USER", user)
            .env(keys::WEAK_KDF_TEST_ENV, "1")
    }

    pub(crate) async fn stop(self) {
        tokio::time::timeout(CLI_TIMEOUT, self.server.stop())
            .await
            .expect("server stops in time");
    }
}

/// A registered user connected through the client library, with the key ring and session
/// token saved in `server.home(name)` exactly as `chatify connect` leaves them.
pub(crate) struct Person {
    pub(crate) session: chatify::client::session::Session,
    pub(crate) ring: keys::KeyRing,
    _events: chatify::client::session::SessionEvents,
}

impl Person {
    pub(crate) async fn register(server: &ServerFixture, name: &str) -> Person {
        let home = server.home(name);
        let (ring, _) = keys::KeyRing::open(&home, &server.url, name, true).expect("key ring");
        let mut options = chatify::client::session::SessionOptions::new(server.url.clone(), name);
        options.password = Some(zeroize::Zeroizing::new(format!("{name}-password")));
        options.register = true;
        options.public_key = Some(ring.public_key_b64());
        options.config_dir = Some(home);
        options.reconnect = false;
        let (session, events) = chatify::client::session::Session::connect(options)
            .await
            .expect("register");
        Person {
            session,
            ring,
            _events: events,
        }
    }

    pub(crate) async fn request(&self, frame: proto::ClientFrame) -> proto::ServerFrame {
        self.session.request(frame).await.expect("request answered")
    }

    pub(crate) async fn say(&self, channel: &str, text: &str) -> i64 {
        let (c, enc, idx) = if self.ring.has_channel_key(channel) {
            let (c, idx) = self.ring.seal_channel(channel, "msg", text).expect("seal");
            (c, Some(proto::ENC_XC20P1.to_string()), Some(idx))
        } else {
            (text.to_string(), None, None)
        };
        let frame = proto::ClientFrame::Msg(MsgFrame {
            ch: channel.into(),
            c,
            enc,
            idx,
            reply_to: None,
            relayed_as: None,
        });
        match self.request(frame).await {
            proto::ServerFrame::Ack { id, .. } => id,
            other => panic!("expected an ack, got {other:?}"),
        }
    }

    /// Creates (or joins) sealed channel `channel` with [`PASSPHRASE`], caching its key.
    pub(crate) async fn join_sealed(&mut self, channel: &str) {
        let (create, _) = keys::new_sealed_channel(PASSPHRASE, true).expect("new channel");
        let joined = self
            .request(proto::ClientFrame::Join(JoinFrame {
                ch: channel.into(),
                create: Some(create),
            }))
            .await;
        let proto::ServerFrame::Joined {
            salt: Some(salt),
            kdf: Some(kdf),
            kcv: Some(kcv),
            ..
        } = joined
        else {
            panic!("expected a sealed joined, got {joined:?}");
        };
        let root = keys::derive_channel_root(
            channel,
            PASSPHRASE,
            &salt,
            &kdf,
            &kcv,
            self.ring.kdf_policy(),
        )
        .expect("derive");
        self.ring
            .install_channel_root(channel, &salt, &kcv, &root)
            .expect("cache key");
    }

    pub(crate) async fn dm(&mut self, peer: &Person, peer_name: &str, text: &str) {
        self.ring
            .learn_peer_key(peer_name, &peer.ring.public_key_b64())
            .expect("peer key");
        let c = self.ring.seal_dm(peer_name, text).expect("seal dm");
        let frame = proto::ClientFrame::Dm(DmFrame {
            to: peer_name.into(),
            c,
            enc: Some(proto::ENC_XC20P1.into()),
            reply_to: None,
        });
        assert!(matches!(
            self.request(frame).await,
            proto::ServerFrame::Ack { .. }
        ));
    }
}
