//! Both directions through a webhook and as the bot: authors, replies, mentions and
//! attachments, and the loop guard (nothing the bridge posted comes back through it).

use std::sync::Arc;

use chatify::bridge::seam::MentionNames;
use serde_json::json;

use crate::common::*;
use crate::fake_discord::FakeDiscord;
use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_and_replies_cross_both_ways_through_the_webhook() {
    let server = TestServer::start(bridge_server_config()).await;
    let mut alice = accounts(&server).await;
    let discord = Arc::new(FakeDiscord::new());
    let home = BridgeHome::new();
    let bridge = home
        .start(&general_config(&server.url, true), &discord)
        .await;

    let hello = alice.say("general", "hello discord", "a1").await["id"].clone();
    let posted = discord.wait_until("alice's post", |p| p.len() == 1).await;
    assert_eq!(posted[0].channel, GENERAL);
    assert_eq!(posted[0].username.as_deref(), Some("alice"));
    assert_eq!(posted[0].content, "hello discord");
    let hello_on_discord = posted[0].id;

    let names = MentionNames {
        users: vec![(7, "Ann".into())],
        roles: vec![(8, "mods".into())],
        channels: vec![(GENERAL, "general".into())],
    };
    let bob_on_discord = discord.user_says_with(
        GENERAL,
        (55, "Bob Smith"),
        "hi <@7> and <@&8> in <#100> <:wave:123>",
        Some(hello_on_discord),
        names,
        vec!["https://cdn.example/cat.png".into()],
    );
    let relayed = next_msg(&mut alice, "general").await;
    let relayed = if relayed["u"] == "alice" {
        next_msg(&mut alice, "general").await
    } else {
        relayed
    };
    assert_eq!(relayed["u"], "Bob_Smith@discord");
    assert_eq!(
        relayed["c"],
        "hi @Ann and @mods in #general :wave:\nhttps://cdn.example/cat.png"
    );
    assert_eq!(relayed["reply_to"], hello, "a Discord reply stays a reply");

    let frame = json!({"t": "msg", "ch": "general", "c": "welcome bob", "reply_to": relayed["id"]});
    assert_eq!(alice.request(frame, "a2").await["t"], "ack");
    let posted = discord.wait_until("alice's reply", |p| p.len() == 2).await;
    assert_eq!(posted[1].content, "welcome bob");
    assert_eq!(
        posted[1].reply_to,
        Some(bob_on_discord),
        "a chatify reply stays a reply"
    );

    bridge.stop().await;
    assert_eq!(
        discord.posted().len(),
        2,
        "Bob's message did not go back to Discord"
    );
    let history = alice
        .request(json!({"t": "history", "ch": "general"}), "h")
        .await;
    assert_eq!(
        texts(&history["events"]),
        vec![
            "hello discord",
            "hi @Ann and @mods in #general :wave:\nhttps://cdn.example/cat.png",
            "welcome bob"
        ],
        "nothing the bridge posted on Discord came back into chatify"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn as_the_bot_the_author_leads_the_text_and_nothing_echoes() {
    let server = TestServer::start(bridge_server_config()).await;
    let mut alice = accounts(&server).await;
    let discord = Arc::new(FakeDiscord::new());
    let home = BridgeHome::new();
    let bridge = home
        .start(&general_config(&server.url, false), &discord)
        .await;

    let said = alice.say("general", "from chatify", "a1").await["id"].clone();
    let posted = discord.wait_until("the bot post", |p| p.len() == 1).await;
    assert_eq!(posted[0].username, None);
    assert_eq!(posted[0].content, "**alice**: from chatify");
    let id = posted[0].id;
    alice
        .request(
            json!({"t": "edit", "ch": "general", "id": said, "c": "edited"}),
            "e",
        )
        .await;
    discord
        .wait_until("the edit", |p| p[0].content == "**alice**: edited")
        .await;
    discord.user_says(GENERAL, (56, "carol"), "from discord", None);
    let relayed = alice
        .recv_matching(|f| f["t"] == "msg" && f["u"] == "carol@discord")
        .await;
    assert_eq!(relayed["c"], "from discord");
    bridge.stop().await;
    let posted = discord.posted();
    assert_eq!(
        posted.len(),
        1,
        "only alice's message was posted: {posted:?}"
    );
    assert_eq!(posted[0].id, id);
    let history = alice
        .request(json!({"t": "history", "ch": "general"}), "h")
        .await;
    assert_eq!(texts(&history["events"]), vec!["edited", "from discord"]);
}
