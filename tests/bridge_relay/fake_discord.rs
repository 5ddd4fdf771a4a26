//! A fake Discord side for the bridge tests: records what the bridge posts, edits and deletes,
//! keeps webhooks across bridge restarts, echoes the bridge's own posts back as gateway events
//! (as real Discord does, so the loop guard is exercised), lets a test write as Discord users,
//! and can answer posts with 429 `retry_after`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use chatify::bridge::seam::{
    DiscordError, DiscordEvent, DiscordMessage, DiscordPost, DiscordSide, MentionNames, PostAs,
    WebhookHandle,
};
use tokio::sync::{Notify, mpsc};

/// The bot user's id on the fake Discord.
pub const BOT_ID: u64 = 4242;

/// A message as the fake Discord holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeMessage {
    pub id: u64,
    pub channel: u64,
    /// Webhook username, or `None` for the bot.
    pub username: Option<String>,
    pub content: String,
    pub reply_to: Option<u64>,
    pub deleted: bool,
    pub edits: u32,
}

#[derive(Default)]
struct FakeState {
    next_id: u64,
    /// (channel, name, handle, made by someone else).
    webhooks: Vec<(u64, String, WebhookHandle, bool)>,
    webhook_lookups: u32,
    webhooks_created: u32,
    /// Messages the bridge posted, by id.
    posted: BTreeMap<u64, FakeMessage>,
    /// Answer every `n`th post with 429.
    rate_limit_every: Option<(u32, Duration)>,
    post_calls: u32,
    rate_limited: u32,
    events: Option<mpsc::Sender<DiscordEvent>>,
}

/// The fake; shared (`Arc`) across bridge runs.
#[derive(Default)]
pub struct FakeDiscord {
    state: Mutex<FakeState>,
    changed: Notify,
}

impl FakeDiscord {
    pub fn new() -> FakeDiscord {
        let fake = FakeDiscord::default();
        fake.lock().next_id = 900_000_000_000_000_000;
        fake
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.state.lock().expect("fake state")
    }

    fn next_id(&self) -> u64 {
        let mut state = self.lock();
        state.next_id += 1;
        state.next_id
    }

    /// A new gateway connection for a bridge run: its event stream starts with `Ready`.
    pub fn connect(&self) -> mpsc::Receiver<DiscordEvent> {
        let (tx, rx) = mpsc::channel(4096);
        tx.try_send(DiscordEvent::Ready {
            bot_user_id: BOT_ID,
        })
        .expect("ready");
        self.lock().events = Some(tx);
        rx
    }

    fn emit(&self, event: DiscordEvent) {
        let sender = self.lock().events.clone();
        if let Some(sender) = sender {
            let _ = sender.try_send(event);
        }
    }

    /// Answers every `n`th post with 429 and `retry_after`.
    pub fn rate_limit_every(&self, n: u32, retry_after: Duration) {
        self.lock().rate_limit_every = Some((n, retry_after));
    }

    /// A Discord user writes a message; returns its id.
    pub fn user_says(
        &self,
        channel: u64,
        author: (u64, &str),
        content: &str,
        reply_to: Option<u64>,
    ) -> u64 {
        self.user_says_with(
            channel,
            author,
            content,
            reply_to,
            MentionNames::default(),
            vec![],
        )
    }

    pub fn user_says_with(
        &self,
        channel: u64,
        author: (u64, &str),
        content: &str,
        reply_to: Option<u64>,
        names: MentionNames,
        attachments: Vec<String>,
    ) -> u64 {
        let id = self.next_id();
        self.emit(DiscordEvent::Created(user_message(
            channel,
            id,
            author,
            content,
            reply_to,
            names,
            attachments,
        )));
        id
    }

    /// A Discord user edits their message.
    pub fn user_edits(&self, channel: u64, id: u64, author: (u64, &str), content: &str) {
        let message = user_message(
            channel,
            id,
            author,
            content,
            None,
            MentionNames::default(),
            vec![],
        );
        self.emit(DiscordEvent::Edited(message));
    }

    /// A Discord user deletes their message.
    pub fn user_deletes(&self, channel: u64, id: u64) {
        self.emit(DiscordEvent::Deleted { channel, id });
    }

    /// Waits (at most 20 s) until `done` holds for the posted messages; returns them in id order.
    pub async fn wait_until(
        &self,
        what: &str,
        done: impl Fn(&[FakeMessage]) -> bool,
    ) -> Vec<FakeMessage> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let notified = self.changed.notified();
            let posted: Vec<FakeMessage> = self.lock().posted.values().cloned().collect();
            if done(&posted) {
                return posted;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("fake Discord: timed out waiting for {what}; posted: {posted:#?}");
            }
        }
    }

    /// What the bridge has posted so far, in id order.
    pub fn posted(&self) -> Vec<FakeMessage> {
        self.lock().posted.values().cloned().collect()
    }

    /// (webhooks existing, lookups, created).
    pub fn webhook_counts(&self) -> (usize, u32, u32) {
        let state = self.lock();
        (
            state.webhooks.len(),
            state.webhook_lookups,
            state.webhooks_created,
        )
    }

    pub fn rate_limited_count(&self) -> u32 {
        self.lock().rate_limited
    }

    /// Adds a webhook someone else made (the bridge must leave it alone).
    pub fn add_foreign_webhook(&self, channel: u64, name: &str) {
        let id = self.next_id();
        let handle = WebhookHandle { id };
        self.lock()
            .webhooks
            .push((channel, name.to_string(), handle, true));
    }

    fn changed(&self) {
        self.changed.notify_waiters();
    }

    fn echo_of(&self, message: &FakeMessage, post_as: &PostAs) -> DiscordMessage {
        let (author_id, webhook_id, author_name) = match post_as {
            PostAs::Webhook { webhook, username } => {
                (webhook.id, Some(webhook.id), username.clone())
            }
            PostAs::Bot => (BOT_ID, None, "chatify-bridge".into()),
        };
        DiscordMessage {
            channel: message.channel,
            id: message.id,
            author_id,
            author_name,
            webhook_id,
            content: message.content.clone(),
            reply_to: message.reply_to,
            attachments: vec![],
            names: MentionNames::default(),
        }
    }
}

fn user_message(
    channel: u64,
    id: u64,
    author: (u64, &str),
    content: &str,
    reply_to: Option<u64>,
    names: MentionNames,
    attachments: Vec<String>,
) -> DiscordMessage {
    DiscordMessage {
        channel,
        id,
        author_id: author.0,
        author_name: author.1.to_string(),
        webhook_id: None,
        content: content.to_string(),
        reply_to,
        attachments,
        names,
    }
}

impl DiscordSide for FakeDiscord {
    async fn find_or_create_webhook(
        &self,
        channel: u64,
        name: &str,
    ) -> Result<WebhookHandle, DiscordError> {
        let id = self.next_id();
        let mut state = self.lock();
        state.webhook_lookups += 1;
        let found = state
            .webhooks
            .iter()
            .find(|(ch, n, _, foreign)| *ch == channel && n == name && !foreign)
            .map(|(_, _, handle, _)| *handle);
        if let Some(handle) = found {
            return Ok(handle);
        }
        let handle = WebhookHandle { id };
        state
            .webhooks
            .push((channel, name.to_string(), handle, false));
        state.webhooks_created += 1;
        Ok(handle)
    }

    async fn post(&self, post: &DiscordPost) -> Result<u64, DiscordError> {
        {
            let mut state = self.lock();
            state.post_calls += 1;
            if let Some((every, wait)) = state.rate_limit_every
                && state.post_calls.is_multiple_of(every)
            {
                state.rate_limited += 1;
                return Err(DiscordError::RateLimited(wait));
            }
        }
        let id = self.next_id();
        let message = FakeMessage {
            id,
            channel: post.channel,
            username: match &post.post_as {
                PostAs::Webhook { username, .. } => Some(username.clone()),
                PostAs::Bot => None,
            },
            content: post.content.clone(),
            reply_to: post.reply_to,
            deleted: false,
            edits: 0,
        };
        self.lock().posted.insert(id, message.clone());
        // Discord's gateway reports the bridge's own post, often before the HTTP reply.
        self.emit(DiscordEvent::Created(self.echo_of(&message, &post.post_as)));
        self.changed();
        Ok(id)
    }

    async fn edit(
        &self,
        channel: u64,
        message: u64,
        post_as: &PostAs,
        content: &str,
    ) -> Result<(), DiscordError> {
        let edited = {
            let mut state = self.lock();
            let Some(found) = state
                .posted
                .get_mut(&message)
                .filter(|m| m.channel == channel)
            else {
                return Err(DiscordError::Permanent("Unknown Message".into()));
            };
            found.content = content.to_string();
            found.edits += 1;
            found.clone()
        };
        self.emit(DiscordEvent::Edited(self.echo_of(&edited, post_as)));
        self.changed();
        Ok(())
    }

    async fn delete(
        &self,
        channel: u64,
        message: u64,
        _post_as: &PostAs,
    ) -> Result<(), DiscordError> {
        {
            let mut state = self.lock();
            let Some(found) = state
                .posted
                .get_mut(&message)
                .filter(|m| m.channel == channel)
            else {
                return Err(DiscordError::Permanent("Unknown Message".into()));
            };
            found.deleted = true;
        }
        self.emit(DiscordEvent::Deleted {
            channel,
            id: message,
        });
        self.changed();
        Ok(())
    }
}
