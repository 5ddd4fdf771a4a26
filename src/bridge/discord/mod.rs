//! The serenity adapter (feature `discord-bridge` only): [`SerenityDiscord`] implements the
//! relay's `DiscordSide` over Discord's HTTP API (webhooks found or created by name and cached,
//! posts that can never ping anyone, 429 and 5xx mapped for the outbound queue), and
//! [`run_gateway`] keeps one gateway connection up, turning its events into `DiscordEvent`s,
//! reconnecting with backoff and jitter under a persisted cap on identifies. Thin on purpose:
//! every decision is in the relay, which is tested without Discord.

mod events;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serenity::all::{
    ChannelId, CreateAllowedMentions, CreateMessage, CreateWebhook, EditMessage,
    EditWebhookMessage, ExecuteWebhook, GatewayIntents, Http, MessageId, Webhook,
};
use tokio::sync::{mpsc, watch};

use super::backoff::{Backoff, IdentifyBudget};
use super::idmap::IdMap;
use super::seam::{DiscordError, DiscordEvent, DiscordPost, DiscordSide, PostAs, WebhookHandle};

pub use events::GatewayHandler;

/// Most identifies per day this bridge allows itself (Discord's own limit is 1000).
pub const MAX_IDENTIFIES_PER_DAY: usize = 50;
/// Most channels whose guild id is remembered.
const MAX_GUILD_CACHE: usize = 1000;

/// Discord over serenity's HTTP client.
pub struct SerenityDiscord {
    http: Arc<Http>,
    webhooks: Mutex<HashMap<u64, Webhook>>,
    guild_of_channel: Mutex<HashMap<u64, u64>>,
}

impl SerenityDiscord {
    pub fn new(http: Arc<Http>) -> SerenityDiscord {
        SerenityDiscord {
            http,
            webhooks: Mutex::new(HashMap::new()),
            guild_of_channel: Mutex::new(HashMap::new()),
        }
    }

    fn webhook(&self, handle_id: u64) -> Result<Webhook, DiscordError> {
        self.webhooks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&handle_id)
            .cloned()
            .ok_or_else(|| DiscordError::Permanent("unknown webhook".into()))
    }

    /// The guild of a channel (for reply links in webhook posts), looked up once.
    async fn guild_of(&self, channel: u64) -> Option<u64> {
        if let Some(guild) = self.guild_of_channel.lock().ok()?.get(&channel) {
            return Some(*guild);
        }
        let found = ChannelId::new(channel).to_channel(&self.http).await.ok()?;
        let guild = found.guild()?.guild_id.get();
        let mut cache = self.guild_of_channel.lock().ok()?;
        if cache.len() < MAX_GUILD_CACHE {
            cache.insert(channel, guild);
        }
        Some(guild)
    }
}

/// Maps a serenity error for the outbound queue.
fn classify(error: serenity::Error) -> DiscordError {
    use serenity::http::HttpError;
    match &error {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(response)) => {
            let status = response.status_code.as_u16();
            let what = format!("{} {}", status, response.error.message);
            match status {
                429 => DiscordError::RateLimited(Duration::from_secs(1)),
                500..=599 => DiscordError::Transient(what),
                _ => DiscordError::Permanent(what),
            }
        }
        serenity::Error::Http(HttpError::Request(_)) | serenity::Error::Io(_) => {
            DiscordError::Transient(error.to_string())
        }
        _ => DiscordError::Permanent(error.to_string()),
    }
}

fn no_pings() -> CreateAllowedMentions {
    CreateAllowedMentions::new()
}

impl DiscordSide for SerenityDiscord {
    async fn find_or_create_webhook(
        &self,
        channel: u64,
        name: &str,
    ) -> Result<WebhookHandle, DiscordError> {
        let channel_id = ChannelId::new(channel);
        let existing = channel_id.webhooks(&self.http).await.map_err(classify)?;
        let found = existing
            .into_iter()
            .find(|w| w.name.as_deref() == Some(name) && w.token.is_some());
        let webhook = match found {
            Some(webhook) => webhook,
            None => {
                tracing::info!(channel, name, "creating the bridge webhook (once)");
                channel_id
                    .create_webhook(&self.http, CreateWebhook::new(name))
                    .await
                    .map_err(classify)?
            }
        };
        let id = webhook.id.get();
        self.webhooks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, webhook);
        Ok(WebhookHandle { id })
    }

    async fn post(&self, post: &DiscordPost) -> Result<u64, DiscordError> {
        match &post.post_as {
            PostAs::Webhook { webhook, username } => {
                let hook = self.webhook(webhook.id)?;
                let mut content = post.content.clone();
                if let Some(target) = post.reply_to
                    && let Some(guild) = self.guild_of(post.channel).await
                {
                    let link = format!(
                        "https://discord.com/channels/{guild}/{}/{target}",
                        post.channel
                    );
                    content = super::text::chatify_to_discord(
                        "",
                        &format!("-# ↪ {link}\n{content}"),
                        true,
                    );
                }
                let builder = ExecuteWebhook::new()
                    .content(content)
                    .username(username.clone())
                    .allowed_mentions(no_pings());
                let sent = hook
                    .execute(&self.http, true, builder)
                    .await
                    .map_err(classify)?;
                sent.map(|m| m.id.get()).ok_or_else(|| {
                    DiscordError::Transient("the webhook returned no message".into())
                })
            }
            PostAs::Bot => {
                let mut builder = CreateMessage::new()
                    .content(post.content.clone())
                    .allowed_mentions(no_pings());
                if let Some(target) = post.reply_to {
                    builder = builder
                        .reference_message((ChannelId::new(post.channel), MessageId::new(target)));
                }
                let sent = ChannelId::new(post.channel)
                    .send_message(&self.http, builder)
                    .await
                    .map_err(classify)?;
                Ok(sent.id.get())
            }
        }
    }

    async fn edit(
        &self,
        channel: u64,
        message: u64,
        post_as: &PostAs,
        content: &str,
    ) -> Result<(), DiscordError> {
        let message_id = MessageId::new(message);
        match post_as {
            PostAs::Webhook { webhook, .. } => {
                let builder = EditWebhookMessage::new()
                    .content(content)
                    .allowed_mentions(no_pings());
                self.webhook(webhook.id)?
                    .edit_message(&self.http, message_id, builder)
                    .await
                    .map_err(classify)?;
            }
            PostAs::Bot => {
                let builder = EditMessage::new()
                    .content(content)
                    .allowed_mentions(no_pings());
                ChannelId::new(channel)
                    .edit_message(&self.http, message_id, builder)
                    .await
                    .map_err(classify)?;
            }
        }
        Ok(())
    }

    async fn delete(
        &self,
        channel: u64,
        message: u64,
        post_as: &PostAs,
    ) -> Result<(), DiscordError> {
        let message_id = MessageId::new(message);
        match post_as {
            PostAs::Webhook { webhook, .. } => self
                .webhook(webhook.id)?
                .delete_message(&self.http, None, message_id)
                .await
                .map_err(classify),
            PostAs::Bot => ChannelId::new(channel)
                .delete_message(&self.http, message_id)
                .await
                .map_err(classify),
        }
    }
}

/// Why the gateway gave up.
#[derive(Debug, thiserror::Error)]
pub enum GatewayFailure {
    #[error(
        "Discord refused the bot token or its intents (enable the Message Content intent): {0}"
    )]
    Refused(String),
}

/// Keeps a gateway connection up until `stop` turns true: events go to `events`; after a
/// disconnect it waits with backoff and jitter, and never identifies more than
/// [`MAX_IDENTIFIES_PER_DAY`] times in 24 hours (counted across restarts through `map`).
/// A refused token or intent is final.
pub async fn run_gateway(
    token: String,
    http: Arc<Http>,
    map: IdMap,
    events: mpsc::Sender<DiscordEvent>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), GatewayFailure> {
    let day = Duration::from_secs(24 * 3600);
    let now = chrono::Utc::now().timestamp_millis();
    let earlier = map
        .identifies_since(now - day.as_millis() as i64)
        .unwrap_or_default();
    let mut budget = IdentifyBudget::new(MAX_IDENTIFIES_PER_DAY, day, &earlier);
    let mut backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(300));
    let intents =
        GatewayIntents::GUILDS | GatewayIntents::GUILD_MESSAGES | GatewayIntents::MESSAGE_CONTENT;
    loop {
        let now = chrono::Utc::now().timestamp_millis();
        let wait = budget.wait_before_identify(now);
        if !wait.is_zero() {
            tracing::warn!(?wait, "Discord identify cap reached; waiting");
            if stopped_during(&mut stop, wait).await {
                return Ok(());
            }
            continue;
        }
        budget.record_identify(now);
        if let Err(error) = map.record_identify(now) {
            tracing::warn!(%error, "recording a Discord identify");
        }
        let handler = GatewayHandler::new(events.clone(), http.clone());
        let built = serenity::Client::builder(&token, intents)
            .event_handler(handler)
            .await;
        let mut client = match built {
            Ok(client) => client,
            Err(error) => return Err(GatewayFailure::Refused(error.to_string())),
        };
        let shards = client.shard_manager.clone();
        let started = std::time::Instant::now();
        tokio::select! {
            result = client.start() => match result {
                Err(serenity::Error::Gateway(
                    serenity::gateway::GatewayError::InvalidAuthentication
                    | serenity::gateway::GatewayError::InvalidGatewayIntents
                    | serenity::gateway::GatewayError::DisallowedGatewayIntents,
                )) => return Err(GatewayFailure::Refused("invalid token or intents".into())),
                Err(error) => tracing::warn!(%error, "Discord gateway stopped"),
                Ok(()) => tracing::warn!("Discord gateway closed"),
            },
            () = stopped(&mut stop) => {
                shards.shutdown_all().await;
                return Ok(());
            }
        }
        if started.elapsed() > Duration::from_secs(600) {
            backoff.reset();
        }
        if stopped_during(&mut stop, backoff.next_delay()).await {
            return Ok(());
        }
    }
}

/// Sleeps `wait`; true when `stop` turned true meanwhile.
async fn stopped_during(stop: &mut watch::Receiver<bool>, wait: Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(wait) => false,
        () = stopped(stop) => true,
    }
}

/// Resolves once `stop` is true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// Why the Discord bridge stopped.
#[derive(Debug, thiserror::Error)]
pub enum DiscordBridgeError {
    #[error(transparent)]
    Relay(#[from] super::BridgeError),
    #[error(transparent)]
    Gateway(#[from] GatewayFailure),
    #[error(transparent)]
    Map(#[from] super::idmap::IdMapError),
}

/// Runs the bridge against real Discord until `shutdown` resolves: the gateway in the
/// background, the relay in the foreground. A refused token or intent stops both.
pub async fn run_discord_bridge(
    config: &super::config::BridgeConfig,
    token: String,
    login: super::ChatifyLogin,
    map_path: std::path::PathBuf,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), DiscordBridgeError> {
    let http = Arc::new(Http::new(&token));
    let discord = Arc::new(SerenityDiscord::new(http.clone()));
    let map = IdMap::open(&map_path, config.map_capacity)?;
    let (events_tx, events) = mpsc::channel(1024);
    let (stop_tx, stop) = watch::channel(false);
    let gateway = tokio::spawn(run_gateway(token, http, map, events_tx, stop));
    let (failed_tx, failed) = tokio::sync::oneshot::channel::<GatewayFailure>();
    let watcher = tokio::spawn(async move {
        if let Ok(Err(failure)) = gateway.await {
            let _ = failed_tx.send(failure);
        }
    });
    let mut gateway_failure = None;
    let stop_relay = async {
        tokio::select! {
            () = shutdown => {}
            failure = failed => gateway_failure = failure.ok(),
        }
    };
    let relayed = super::run_bridge(
        config,
        login,
        map_path.clone(),
        discord,
        events,
        stop_relay,
        None,
    )
    .await;
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(10), watcher).await;
    if let Some(failure) = gateway_failure {
        return Err(failure.into());
    }
    Ok(relayed?)
}
