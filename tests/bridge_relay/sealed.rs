//! A sealed channel: the bridge holds its passphrase, creates it when absent, decrypts what
//! chatify members write before posting to Discord, and encrypts what Discord users write (bound
//! to their relayed name) so members can read it and the server never sees plaintext.

use std::sync::Arc;

use chatify::client::keys::{KeyRing, derive_channel_root};
use chatify::crypto::KdfPolicy;
use chatify::proto::KdfSpec;
use serde_json::json;

use crate::common::*;
use crate::fake_discord::FakeDiscord;
use crate::harness::*;

const PASSPHRASE: &str = "ops team only, please";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sealed_channel_is_decrypted_for_discord_and_encrypted_for_chatify() {
    let server = TestServer::start(bridge_server_config()).await;
    let mut alice = accounts(&server).await;
    let discord = Arc::new(FakeDiscord::new());
    let home = BridgeHome::new();
    let config = format!(
        "server = \"{}\"\naccount = \"{BRIDGE_USER}\"\n[[link]]\ndiscord = {OPS}\nchatify = \"ops\"\npassphrase = \"{PASSPHRASE}\"\n",
        server.url
    );
    let bridge = home.start(&config, &discord).await;

    // Sealed channels are invite-only: the bridge's account, their owner, invites alice.
    let (mut owner, _) = login(&server, BRIDGE_USER).await;
    let invited = owner
        .request(json!({"t": "invite", "ch": "ops", "u": "alice"}), "i")
        .await;
    assert_eq!(invited["t"], "ack", "{invited}");

    // Alice joins the channel the bridge created and derives its key from the passphrase.
    let joined = alice.request(json!({"t": "join", "ch": "ops"}), "j").await;
    assert_eq!(joined["mode"], "sealed", "{joined}");
    let kdf: KdfSpec = serde_json::from_value(joined["kdf"].clone()).expect("kdf");
    let (salt, kcv) = (
        joined["salt"].as_str().expect("salt"),
        joined["kcv"].as_str().expect("kcv"),
    );
    let root = derive_channel_root(
        "ops",
        PASSPHRASE,
        salt,
        &kdf,
        kcv,
        KdfPolicy::AllowWeakForTests,
    )
    .expect("the passphrase opens the channel");
    let ring_dir = tempfile::tempdir().expect("temp dir");
    let (mut ring, _) = KeyRing::open(ring_dir.path(), &server.url, "alice", true).expect("ring");
    ring.set_me("alice");
    ring.install_channel_root("ops", salt, kcv, &root)
        .expect("install");

    let (c, idx) = ring
        .seal_channel("ops", "msg", "the vault code is 1234")
        .expect("seal");
    let frame = json!({"t": "msg", "ch": "ops", "c": c, "enc": "xc20p1", "idx": idx});
    assert_eq!(alice.request(frame, "m").await["t"], "ack");
    let posted = discord
        .wait_until("the decrypted post", |p| p.len() == 1)
        .await;
    assert_eq!(posted[0].channel, OPS);
    assert_eq!(posted[0].content, "**alice**: the vault code is 1234");

    discord.user_says(OPS, (77, "Dana"), "noted, thanks", None);
    let relayed = alice
        .recv_matching(|f| f["t"] == "msg" && f["ch"] == "ops" && f["u"] == "Dana@discord")
        .await;
    assert_eq!(relayed["enc"], "xc20p1");
    let sealed = relayed["c"].as_str().expect("c");
    assert!(!sealed.contains("noted"), "the server sees ciphertext only");
    let opened = ring
        .open_channel("ops", "Dana@discord", "msg", sealed)
        .expect("alice can read it");
    assert_eq!(opened, "noted, thanks");
    bridge.stop().await;
    assert_eq!(
        discord.posted().len(),
        1,
        "Dana's message did not echo back"
    );
}
