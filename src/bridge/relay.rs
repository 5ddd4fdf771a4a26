//! The relay: logs the bridge's chatify account in (through `client::session`, which reconnects
//! and replays by itself), joins every linked channel (unlocking sealed ones with their
//! passphrase), finds or creates the configured webhooks once, catches up on what chatify said
//! while the bridge was down, then runs the two directions (`to_discord`, `to_chatify`) and the
//! health line until shutdown, when the Discord message being relayed is finished and the
//! Discord queue is drained for a few seconds.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use zeroize::Zeroizing;

use super::backoff::Backoff;
use super::config::{BridgeConfig, ChannelLink, DiscordPoster};
use super::health::Health;
use super::idmap::{IdMap, IdMapError};
use super::outbound::DiscordOutbox;
use super::seam::{DiscordError, DiscordEvent, DiscordSide, PostAs, WebhookHandle};
use crate::client::conn::ClientError;
use crate::client::keys::{self, KeyError, KeyRing};
use crate::client::session::{Session, SessionEvents, SessionOptions};
use crate::proto::{ChannelMode, ClientFrame, CreateChannel, JoinFrame, ServerFrame};

/// How the bridge logs in to chatify.
#[derive(Clone)]
pub struct ChatifyLogin {
    /// Used when the saved session token (in `config_dir`) is missing or expired.
    pub password: Option<Zeroizing<String>>,
    /// Session token, identity key and cached channel keys of the bridge account.
    pub config_dir: PathBuf,
    /// Test-only: accept and create sealed channels with tiny Argon2 parameters.
    pub weak_kdf_for_tests: bool,
}

/// Why the bridge stopped.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error("logging in to chatify as {user}: {source}")]
    Login { user: String, source: ClientError },
    #[error("joining #{channel}: {reason}")]
    Join { channel: String, reason: String },
    #[error("the webhook of Discord channel {channel}: {source}")]
    Webhook { channel: u64, source: DiscordError },
    #[error("{0}")]
    Map(#[from] IdMapError),
    #[error("{0}")]
    Keys(#[from] KeyError),
    #[error("the chatify session ended: {0}")]
    SessionEnded(String),
}

/// One linked channel pair, resolved.
pub(super) struct LinkState {
    pub link: ChannelLink,
    pub sealed: bool,
    pub post_as: PostAs,
    /// The channel's last seq when the bridge joined.
    pub joined_seq: i64,
}

/// Everything both directions share.
pub(super) struct Relay {
    pub session: Session,
    pub keys: Mutex<KeyRing>,
    pub map: IdMap,
    pub links: Vec<LinkState>,
    pub outbox: DiscordOutbox,
    pub health: Arc<Health>,
    pub our_webhooks: HashSet<u64>,
    pub bot_user_id: AtomicU64,
    /// Highest chatify seq handled per channel (replays after reconnects are skipped).
    pub handled_seq: Mutex<HashMap<String, i64>>,
    pub stopping: watch::Receiver<bool>,
}

impl Relay {
    pub fn link_by_chatify(&self, channel: &str) -> Option<&LinkState> {
        self.links
            .iter()
            .find(|l| l.link.chatify_channel == channel)
    }

    pub fn link_by_discord(&self, channel: u64) -> Option<&LinkState> {
        self.links
            .iter()
            .find(|l| l.link.discord_channel == channel)
    }

    pub fn is_stopping(&self) -> bool {
        *self.stopping.borrow()
    }
}

/// Runs the bridge until `shutdown` resolves (Ok) or the chatify session ends for good (Err).
/// `discord_events` is what the Discord side reports; `map_path` is the message-id map;
/// `ready` is told once every channel is joined and caught up.
pub async fn run_bridge<D: DiscordSide>(
    config: &BridgeConfig,
    login: ChatifyLogin,
    map_path: PathBuf,
    discord: Arc<D>,
    discord_events: mpsc::Receiver<DiscordEvent>,
    shutdown: impl Future<Output = ()>,
    ready: Option<tokio::sync::oneshot::Sender<()>>,
) -> Result<(), BridgeError> {
    let map = IdMap::open(&map_path, config.map_capacity)?;
    let (mut keys, _) = KeyRing::open(
        &login.config_dir,
        &config.server,
        &config.account,
        login.weak_kdf_for_tests,
    )?;
    tokio::pin!(shutdown);
    let connected = tokio::select! {
        connected = connect_with_retry(config, &login, &keys) => connected?,
        _ = &mut shutdown => return Ok(()),
    };
    let (session, session_events) = connected;
    keys.set_me(&session.user());
    let mut links = Vec::new();
    let mut our_webhooks = HashSet::new();
    for link in &config.links {
        let (sealed, joined_seq) =
            join_link(&session, &mut keys, link, login.weak_kdf_for_tests).await?;
        let post_as = resolve_poster(discord.as_ref(), link).await?;
        if let PostAs::Webhook { webhook, .. } = &post_as {
            our_webhooks.insert(webhook.id);
        }
        links.push(LinkState {
            link: link.clone(),
            sealed,
            post_as,
            joined_seq,
        });
    }
    let health = Arc::new(Health::default());
    let channels: Vec<u64> = links.iter().map(|l| l.link.discord_channel).collect();
    let outbox = DiscordOutbox::start(
        &channels,
        discord.clone(),
        map.clone(),
        health.clone(),
        config.backlog,
    );
    let (stop_tx, stopping) = watch::channel(false);
    let relay = Arc::new(Relay {
        session: session.clone(),
        keys: Mutex::new(keys),
        map,
        links,
        outbox,
        health,
        our_webhooks,
        bot_user_id: AtomicU64::new(0),
        handled_seq: Mutex::new(HashMap::new()),
        stopping,
    });
    super::to_discord::catch_up(&relay).await;
    tracing::info!(links = relay.links.len(), "bridge running");
    if let Some(ready) = ready {
        let _ = ready.send(());
    }
    let mut to_chatify = tokio::spawn(super::to_chatify::run(relay.clone(), discord_events));
    let outcome = tokio::select! {
        ended = super::to_discord::run(relay.clone(), session_events) => Err(BridgeError::SessionEnded(ended)),
        _ = &mut to_chatify => Ok(()),
        () = log_health(relay.clone(), config.health_every) => Ok(()),
        _ = &mut shutdown => Ok(()),
    };
    let _ = stop_tx.send(true);
    finish_in_flight_discord_event(to_chatify).await;
    tracing::info!("bridge stopping: draining the Discord queue");
    relay.outbox.close(Duration::from_secs(10)).await;
    session.close();
    outcome
}

/// Lets the Discord event being relayed when the bridge stops finish, so a message chatify has
/// acknowledged always has its pair recorded (a later edit or deletion on Discord then reaches
/// chatify after a restart). Bounded: a server that never answers cannot hold the shutdown.
async fn finish_in_flight_discord_event(mut to_chatify: tokio::task::JoinHandle<()>) {
    if to_chatify.is_finished() {
        return;
    }
    if tokio::time::timeout(Duration::from_secs(5), &mut to_chatify)
        .await
        .is_err()
    {
        tracing::warn!("a Discord message was still being relayed after 5 s; stopping anyway");
        to_chatify.abort();
    }
}

/// Connects and logs in, retrying with backoff while the server is unreachable; a refused
/// login (no password, wrong password) is final.
async fn connect_with_retry(
    config: &BridgeConfig,
    login: &ChatifyLogin,
    keys: &KeyRing,
) -> Result<(Session, SessionEvents), BridgeError> {
    let mut options = SessionOptions::new(&config.server, &config.account);
    options.password = login.password.clone();
    options.config_dir = Some(login.config_dir.clone());
    options.public_key = Some(keys.public_key_b64());
    let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(60));
    loop {
        match Session::connect(options.clone()).await {
            Ok(connected) => return Ok(connected),
            Err(
                error @ (ClientError::Connect { .. }
                | ClientError::Timeout(_)
                | ClientError::Disconnected),
            ) => {
                let wait = backoff.next_delay();
                tracing::warn!(%error, ?wait, "chatify unreachable; retrying");
                tokio::time::sleep(wait).await;
            }
            Err(source) => {
                return Err(BridgeError::Login {
                    user: config.account.clone(),
                    source,
                });
            }
        }
    }
}

/// Joins a linked channel (creating it when absent: sealed when a passphrase is configured)
/// and unlocks a sealed one. Returns whether it is sealed, and its last seq.
async fn join_link(
    session: &Session,
    keys: &mut KeyRing,
    link: &ChannelLink,
    weak_kdf: bool,
) -> Result<(bool, i64), BridgeError> {
    let channel = link.chatify_channel.clone();
    let join_error = |reason: String| BridgeError::Join {
        channel: channel.clone(),
        reason,
    };
    let (create, created_root) = match &link.passphrase {
        Some(passphrase) => {
            let passphrase = passphrase.clone();
            let made = tokio::task::spawn_blocking(move || {
                keys::new_sealed_channel(&passphrase, weak_kdf)
            })
            .await
            .map_err(|e| join_error(e.to_string()))??;
            (Some(made.0), Some(made.1))
        }
        None => (None::<CreateChannel>, None),
    };
    let create_kcv = create.as_ref().and_then(|c| c.kcv.clone());
    let frame = ClientFrame::Join(JoinFrame {
        ch: channel.clone(),
        create,
    });
    let reply = session
        .request(frame)
        .await
        .map_err(|e| join_error(e.to_string()))?;
    let ServerFrame::Joined {
        mode,
        salt,
        kdf,
        kcv,
        seq,
        ..
    } = reply
    else {
        return Err(join_error(format!("unexpected reply {reply:?}")));
    };
    if mode == ChannelMode::Open {
        if link.passphrase.is_some() {
            tracing::warn!(
                channel,
                "#{channel} is open: its configured passphrase is not used"
            );
        }
        return Ok((false, seq));
    }
    let (Some(salt), Some(kdf), Some(kcv)) = (salt, kdf, kcv) else {
        return Err(join_error(
            "the sealed channel has no key parameters".into(),
        ));
    };
    if keys.load_cached_channel_key(&channel, &salt, &kcv) {
        return Ok((true, seq));
    }
    let root = match (created_root, create_kcv) {
        (Some(root), Some(made)) if made == kcv => root,
        _ => {
            let Some(passphrase) = link.passphrase.clone() else {
                return Err(join_error(format!(
                    "#{channel} is sealed: configure its passphrase (line {})",
                    link.line
                )));
            };
            let (name, policy) = (channel.clone(), keys.kdf_policy());
            let (salt, kcv) = (salt.clone(), kcv.clone());
            tokio::task::spawn_blocking(move || {
                keys::derive_channel_root(&name, &passphrase, &salt, &kdf, &kcv, policy)
            })
            .await
            .map_err(|e| join_error(e.to_string()))??
        }
    };
    keys.install_channel_root(&channel, &salt, &kcv, &root)?;
    Ok((true, seq))
}

/// The configured poster of a link: the bot, or the webhook found (or created once) by name.
async fn resolve_poster<D: DiscordSide>(
    discord: &D,
    link: &ChannelLink,
) -> Result<PostAs, BridgeError> {
    let DiscordPoster::Webhook(name) = &link.poster else {
        return Ok(PostAs::Bot);
    };
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    loop {
        match discord
            .find_or_create_webhook(link.discord_channel, name)
            .await
        {
            Ok(webhook) => return Ok(webhook_post_as(webhook)),
            Err(DiscordError::RateLimited(wait)) => tokio::time::sleep(wait).await,
            Err(DiscordError::Transient(why)) => {
                tracing::warn!(
                    channel = link.discord_channel,
                    why,
                    "finding the webhook; retrying"
                );
                tokio::time::sleep(backoff.next_delay()).await;
            }
            Err(source) => {
                return Err(BridgeError::Webhook {
                    channel: link.discord_channel,
                    source,
                });
            }
        }
    }
}

fn webhook_post_as(webhook: WebhookHandle) -> PostAs {
    PostAs::Webhook {
        webhook,
        username: String::new(),
    }
}

/// Logs the health line every `every`.
async fn log_health(relay: Arc<Relay>, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let line = relay.health.snapshot().line(relay.outbox.depth());
        tracing::info!("{line}");
    }
}

impl Relay {
    pub fn bot_user_id(&self) -> u64 {
        self.bot_user_id.load(Ordering::Relaxed)
    }
}
