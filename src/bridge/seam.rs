//! The seam between the relay and Discord: the [`DiscordSide`] trait (post through a webhook or
//! as the bot, edit, delete, find-or-create a webhook by name) and the [`DiscordEvent`]s the
//! Discord side feeds in. The serenity adapter (`bridge::discord`, feature `discord-bridge`)
//! implements it for real; the tests implement it with a fake that records what was posted.

use std::future::Future;
use std::time::Duration;

/// A webhook the bridge posts through (the Discord side keeps its token; it never reaches the
/// relay or the logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookHandle {
    pub id: u64,
}

/// Who a post appears to come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostAs {
    /// Through the channel's webhook, with `username` shown as the poster.
    Webhook {
        webhook: WebhookHandle,
        username: String,
    },
    /// As the bot user (the text then starts with `**author**: `).
    Bot,
}

/// A message to post on Discord. The Discord side must not let it ping anyone (no allowed
/// mentions): chatify text is relayed, not obeyed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscordPost {
    pub channel: u64,
    pub post_as: PostAs,
    pub content: String,
    /// The Discord message this one replies to, when the chatify reply target is known.
    pub reply_to: Option<u64>,
}

/// Why a Discord call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscordError {
    /// HTTP 429: try again after this long.
    #[error("rate limited by Discord (retry after {0:?})")]
    RateLimited(Duration),
    /// Worth retrying later (network, 5xx).
    #[error("Discord unavailable: {0}")]
    Transient(String),
    /// Retrying cannot help (unknown message, missing permission, bad request).
    #[error("Discord refused: {0}")]
    Permanent(String),
}

/// What the bridge needs from Discord.
pub trait DiscordSide: Send + Sync + 'static {
    /// The channel's webhook named `name` that this bot can post through, created when there is
    /// none (so restarts reuse it instead of piling up webhooks).
    fn find_or_create_webhook(
        &self,
        channel: u64,
        name: &str,
    ) -> impl Future<Output = Result<WebhookHandle, DiscordError>> + Send;

    /// Posts a message; returns its Discord id.
    fn post(&self, post: &DiscordPost) -> impl Future<Output = Result<u64, DiscordError>> + Send;

    /// Replaces the text of a message the bridge posted (through `post_as`).
    fn edit(
        &self,
        channel: u64,
        message: u64,
        post_as: &PostAs,
        content: &str,
    ) -> impl Future<Output = Result<(), DiscordError>> + Send;

    /// Deletes a message the bridge posted (through `post_as`).
    fn delete(
        &self,
        channel: u64,
        message: u64,
        post_as: &PostAs,
    ) -> impl Future<Output = Result<(), DiscordError>> + Send;
}

/// Names the Discord side resolved for the ids a message's text mentions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MentionNames {
    pub users: Vec<(u64, String)>,
    pub roles: Vec<(u64, String)>,
    pub channels: Vec<(u64, String)>,
}

/// A message written on Discord (new, or the new state of an edited one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscordMessage {
    pub channel: u64,
    pub id: u64,
    pub author_id: u64,
    /// The author's display name.
    pub author_name: String,
    /// Set when a webhook posted it.
    pub webhook_id: Option<u64>,
    pub content: String,
    /// The message this one replies to.
    pub reply_to: Option<u64>,
    /// Attachment URLs.
    pub attachments: Vec<String>,
    pub names: MentionNames,
}

/// What the Discord side reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscordEvent {
    /// Connected (again) as this bot user.
    Ready {
        bot_user_id: u64,
    },
    Created(DiscordMessage),
    Edited(DiscordMessage),
    Deleted {
        channel: u64,
        id: u64,
    },
}
