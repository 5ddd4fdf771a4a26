//! Gateway events to `DiscordEvent`s: new, edited and deleted messages with their author's
//! display name, reply target, attachment URLs, and the names of the users, roles and channels
//! their text mentions (roles and channels looked up once and cached, bounded).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serenity::all::{
    ChannelId, Context, EventHandler, GuildId, Http, Message, MessageId, MessageUpdateEvent, Ready,
    User,
};
use tokio::sync::mpsc;

use crate::bridge::seam::{DiscordEvent, DiscordMessage, MentionNames};

/// Most names kept in each lookup cache (cleared when full).
const MAX_CACHED_NAMES: usize = 2000;

/// The serenity event handler of the bridge.
pub struct GatewayHandler {
    events: mpsc::Sender<DiscordEvent>,
    http: Arc<Http>,
    role_names: Mutex<HashMap<u64, String>>,
    channel_names: Mutex<HashMap<u64, String>>,
}

impl GatewayHandler {
    pub fn new(events: mpsc::Sender<DiscordEvent>, http: Arc<Http>) -> GatewayHandler {
        GatewayHandler {
            events,
            http,
            role_names: Mutex::new(HashMap::new()),
            channel_names: Mutex::new(HashMap::new()),
        }
    }

    async fn emit(&self, event: DiscordEvent) {
        let _ = self.events.send(event).await;
    }

    /// Names of the roles mentioned, fetching the guild's roles when one is unknown.
    async fn role_names(&self, guild: Option<GuildId>, roles: &[u64]) -> Vec<(u64, String)> {
        let missing = {
            let cache = self.role_names.lock().unwrap_or_else(|p| p.into_inner());
            roles.iter().any(|id| !cache.contains_key(id))
        };
        if missing
            && let Some(guild) = guild
            && let Ok(all) = guild.roles(&self.http).await
        {
            let mut cache = self.role_names.lock().unwrap_or_else(|p| p.into_inner());
            if cache.len() + all.len() > MAX_CACHED_NAMES {
                cache.clear();
            }
            cache.extend(all.into_iter().map(|(id, role)| (id.get(), role.name)));
        }
        let cache = self.role_names.lock().unwrap_or_else(|p| p.into_inner());
        roles
            .iter()
            .filter_map(|id| cache.get(id).map(|name| (*id, name.clone())))
            .collect()
    }

    /// Names of the channels mentioned as `<#id>`.
    async fn channel_names(&self, content: &str) -> Vec<(u64, String)> {
        let mut names = Vec::new();
        for id in tagged_ids(content, "<#").into_iter().take(20) {
            let cached = self
                .channel_names
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&id)
                .cloned();
            let name = match cached {
                Some(name) => Some(name),
                None => {
                    let found = ChannelId::new(id).to_channel(&self.http).await.ok();
                    let name = found.and_then(|c| c.guild()).map(|c| c.name);
                    if let Some(name) = &name {
                        let mut cache =
                            self.channel_names.lock().unwrap_or_else(|p| p.into_inner());
                        if cache.len() >= MAX_CACHED_NAMES {
                            cache.clear();
                        }
                        cache.insert(id, name.clone());
                    }
                    name
                }
            };
            if let Some(name) = name {
                names.push((id, name));
            }
        }
        names
    }

    async fn names(
        &self,
        guild: Option<GuildId>,
        content: &str,
        users: &[User],
        roles: &[u64],
    ) -> MentionNames {
        MentionNames {
            users: users
                .iter()
                .map(|u| (u.id.get(), u.display_name().to_string()))
                .collect(),
            roles: self.role_names(guild, roles).await,
            channels: self.channel_names(content).await,
        }
    }
}

/// The ids in `<#123>`-style tags with the given opening.
fn tagged_ids(content: &str, opening: &str) -> Vec<u64> {
    content
        .split(opening)
        .skip(1)
        .filter_map(|rest| rest.split_once('>')?.0.parse().ok())
        .collect()
}

#[serenity::async_trait]
impl EventHandler for GatewayHandler {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        self.emit(DiscordEvent::Ready {
            bot_user_id: ready.user.id.get(),
        })
        .await;
    }

    async fn message(&self, _ctx: Context, message: Message) {
        let roles: Vec<u64> = message.mention_roles.iter().map(|r| r.get()).collect();
        let names = self
            .names(
                message.guild_id,
                &message.content,
                &message.mentions,
                &roles,
            )
            .await;
        let author_name = message
            .member
            .as_ref()
            .and_then(|m| m.nick.clone())
            .unwrap_or_else(|| message.author.display_name().to_string());
        let converted = DiscordMessage {
            channel: message.channel_id.get(),
            id: message.id.get(),
            author_id: message.author.id.get(),
            author_name,
            webhook_id: message.webhook_id.map(|w| w.get()),
            content: message.content.clone(),
            reply_to: message
                .message_reference
                .as_ref()
                .and_then(|r| r.message_id)
                .map(|id| id.get()),
            attachments: message.attachments.iter().map(|a| a.url.clone()).collect(),
            names,
        };
        self.emit(DiscordEvent::Created(converted)).await;
    }

    async fn message_update(
        &self,
        _ctx: Context,
        _old: Option<Message>,
        _new: Option<Message>,
        event: MessageUpdateEvent,
    ) {
        let Some(content) = event.content.clone() else {
            return; // an embed unfurl, not an edit
        };
        let users = event.mentions.clone().unwrap_or_default();
        let roles: Vec<u64> = event
            .mention_roles
            .iter()
            .flatten()
            .map(|r| r.get())
            .collect();
        let names = self.names(event.guild_id, &content, &users, &roles).await;
        let converted = DiscordMessage {
            channel: event.channel_id.get(),
            id: event.id.get(),
            author_id: event.author.as_ref().map_or(0, |a| a.id.get()),
            author_name: event
                .author
                .as_ref()
                .map(|a| a.display_name().to_string())
                .unwrap_or_default(),
            webhook_id: event.webhook_id.flatten().map(|w| w.get()),
            content,
            reply_to: None,
            attachments: event
                .attachments
                .iter()
                .flatten()
                .map(|a| a.url.clone())
                .collect(),
            names,
        };
        self.emit(DiscordEvent::Edited(converted)).await;
    }

    async fn message_delete(
        &self,
        _ctx: Context,
        channel_id: ChannelId,
        deleted_message_id: MessageId,
        _guild_id: Option<GuildId>,
    ) {
        self.emit(DiscordEvent::Deleted {
            channel: channel_id.get(),
            id: deleted_message_id.get(),
        })
        .await;
    }
}
