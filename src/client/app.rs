//! The client application behind the REPL: holds the session, the key ring and the chat state,
//! runs the inbound event loop (reconnect notices, replays, decryption, rendering into the line
//! queue) and executes parsed commands ([`App::handle_line`]) against the current place (a
//! channel or a DM). It never touches the terminal: passphrases come through the [`Prompter`]
//! the REPL provides, output goes to the [`LineQueue`] the REPL prints, and the REPL may hook a
//! prompt refresh ([`App::set_prompt_refresh`]) and send typing signals ([`App::send_typing`]). Used by `client::repl`; the integration tests drive it through
//! `chatify connect` in pipe mode.

use crate::proto::TypingFrame;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use zeroize::Zeroizing;

use super::command;
use super::events::{self, ChatState, LineQueue};
use super::keys::KeyRing;
use super::outbox::Outbox;
use super::render::{self, RenderOptions};
use super::session::{Session, SessionEvent, SessionEvents, Welcome};
use super::state::Place;
use super::typing::TypingSignal;
use crate::proto::{ChannelMode, ClientFrame, ServerFrame};

mod account;
mod catch_up;
mod channels;
mod commands;
mod dms;
mod ignore;
mod join_check;
mod moderation;
mod outbox_sender;
mod paging;
mod queries;

/// Where passphrases for sealed channels come from (the terminal, or lines of a pipe).
pub trait Prompter: Send + Sync {
    /// Asks for the passphrase of `#channel` (twice, to confirm, when creating it); `None` when
    /// the user gave none.
    fn passphrase<'a>(&'a self, channel: &'a str, confirm: bool) -> PromptFuture<'a>;
    /// A passphrase available without asking (`CHATIFY_PASSPHRASE`), used to unlock sealed
    /// channels at start-up.
    fn preset_passphrase(&self) -> Option<Zeroizing<String>>;
    /// Whether answers are the next input lines (pipe mode without a preset passphrase): then
    /// the line after a `/join` that found an open channel is held back, as it may be a
    /// passphrase typed for a channel expected to be sealed.
    fn reads_answers_from_input(&self) -> bool {
        false
    }
    /// Asks for an account password (`label` says which; twice when `confirm`); `None` when
    /// the user gave none. Pipe mode reads the next input line.
    fn password<'a>(&'a self, label: &'a str, confirm: bool) -> PromptFuture<'a>;
}

/// The future a [`Prompter`] returns.
pub type PromptFuture<'a> = Pin<Box<dyn Future<Output = Option<Zeroizing<String>>> + Send + 'a>>;

/// Whether the REPL goes on after a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// How many messages of the current channel to show at start-up and after a join.
const RECENT_ON_START: usize = 10;

/// The running client.
pub struct App {
    session: Session,
    state: Arc<Mutex<ChatState>>,
    keys: Arc<Mutex<KeyRing>>,
    lines: LineQueue,
    options: RenderOptions,
    prompter: Arc<dyn Prompter>,
    ended: tokio::sync::watch::Sender<bool>,
    /// Set once [`App::start`] has applied the login reply: the event loop waits for it, so a
    /// frame that arrives first (a DM, a key) meets the channels and keys of the welcome.
    welcomed: tokio::sync::watch::Sender<bool>,
    quitting: AtomicBool,
    prompt_refresh: OnceLock<Box<dyn Fn() + Send + Sync>>,
    /// Set by a `/join` in pipe mode that found an open channel: the next plain line is not
    /// sent (see [`Prompter::reads_answers_from_input`]).
    held_after_open_join: Mutex<Option<String>>,
    /// Stored events the user submitted, sent in order by the sender task.
    outbox: Outbox,
    /// Users whose lines are not shown (`/ignore`).
    ignored: Mutex<ignore::IgnoreList>,
    /// Where `/more` goes on: the place and the oldest message its last page showed.
    page_cursor: Mutex<Option<paging::PageCursor>>,
}

impl App {
    /// Builds the app for a logged-in session.
    pub fn new(
        session: Session,
        keys: KeyRing,
        lines: LineQueue,
        options: RenderOptions,
        prompter: Arc<dyn Prompter>,
    ) -> Arc<App> {
        let me = session.user();
        Arc::new(App {
            session,
            state: Arc::new(Mutex::new(ChatState::new(&me))),
            keys: Arc::new(Mutex::new(keys)),
            lines,
            options: RenderOptions { me, ..options },
            prompter,
            ended: tokio::sync::watch::Sender::new(false),
            welcomed: tokio::sync::watch::Sender::new(false),
            quitting: AtomicBool::new(false),
            prompt_refresh: OnceLock::new(),
            held_after_open_join: Mutex::new(None),
            outbox: Outbox::new(),
            ignored: Mutex::new(ignore::IgnoreList::default()),
            page_cursor: Mutex::new(None),
        })
    }

    /// Sets what to call when something shown only in the prompt changed (someone started or
    /// stopped typing). Only the first hook set is kept.
    pub fn set_prompt_refresh(&self, refresh: Box<dyn Fn() + Send + Sync>) {
        let _ = self.prompt_refresh.set(refresh);
    }

    /// Where plain text goes now.
    pub fn current_place(&self) -> Option<Place> {
        lock(&self.state).current.clone()
    }

    /// Sends one `typing` frame (no reply; nothing happens when not connected right now).
    pub fn send_typing(&self, signal: &TypingSignal) {
        let (ch, to) = match &signal.place {
            Place::Channel(channel) => (Some(channel.clone()), None),
            Place::Dm(peer) => (None, Some(peer.clone())),
        };
        let _ = self.session.send(&ClientFrame::Typing(TypingFrame {
            ch,
            to,
            on: signal.on,
        }));
    }

    /// Drops typing notes that ran out; refreshes the prompt when one did.
    pub fn expire_typing(&self) {
        let expired = lock(&self.state).typing.expire(std::time::Instant::now());
        if expired {
            self.refresh_prompt();
        }
    }

    fn refresh_prompt(&self) {
        if let Some(refresh) = self.prompt_refresh.get() {
            refresh();
        }
    }

    /// The chat state, shared with the REPL's prompt and completer.
    pub fn state(&self) -> Arc<Mutex<ChatState>> {
        self.state.clone()
    }

    /// Whether the session ended for good (the REPL should stop).
    pub fn has_ended(&self) -> bool {
        *self.ended.borrow()
    }

    /// Resolves once the session has ended for good.
    pub async fn ended(&self) {
        let mut watcher = self.ended.subscribe();
        // The Ref returned by wait_for is dropped before this function returns.
        let _ = watcher.wait_for(|ended| *ended).await;
    }

    /// Greets, unlocks what can be unlocked, picks the current channel and shows its latest lines.
    pub async fn start(self: &Arc<Self>, start_channel: Option<String>) {
        let welcome = self.session.welcome();
        self.notice(format!(
            "connected to {} as {} ({} {}); /help lists commands",
            self.session.url(),
            welcome.user,
            welcome.server.name,
            welcome.server.version
        ));
        self.apply_welcome(&welcome);
        self.welcomed.send_replace(true);
        self.outbox.set_ready();
        self.spawn_outbox_sender();
        self.unlock_from_cache_or_preset(&welcome).await;
        self.notice(self.channel_summary());
        self.catch_up_on_start().await;
        let target = start_channel.or_else(|| {
            let state = lock(&self.state);
            if state.channels.contains_key("general") {
                Some("general".to_string())
            } else {
                state.channels.keys().next().cloned()
            }
        });
        let Some(channel) = target else {
            return;
        };
        if lock(&self.state).channels.contains_key(&channel) {
            lock(&self.state).switch_to(&channel);
            let login_seq = welcome
                .channels
                .iter()
                .find(|info| info.ch == channel)
                .map_or(0, |info| info.seq);
            self.show_recent(&channel, RECENT_ON_START, login_seq).await;
            self.mark_seen(&Place::Channel(channel));
        } else {
            self.join(channel, false).await;
        }
    }

    /// Parses and executes one input line.
    pub async fn handle_line(&self, line: &str) -> Flow {
        let held = lock(&self.held_after_open_join).take();
        match command::parse_line(line) {
            Ok(command::Command::Say(_)) if let Some(channel) = held => {
                self.error(format!(
                    "not sent: the line after /join #{channel} is held back because #{channel} \
                     is an open channel and the line may be a passphrase; send it again to post \
                     it, and join sealed channels with --sealed in scripts"
                ));
                Flow::Continue
            }
            Ok(command) => self.execute(command).await,
            Err(error) => {
                self.error(error.message);
                Flow::Continue
            }
        }
    }

    /// Consumes the session's events until it ends.
    /// Waits until the display-line queue has room (the pipe-mode input loop, before a line).
    pub async fn wait_for_output_room(&self) {
        self.lines.wait_for_room().await;
    }

    pub async fn run_events(self: Arc<Self>, mut events: SessionEvents) {
        let mut welcomed = self.welcomed.subscribe();
        // Frames wait in the session's queue until the welcome is applied (start, or the end).
        let mut ended = self.ended.subscribe();
        tokio::select! {
            _ = welcomed.wait_for(|done| *done) => {}
            _ = ended.wait_for(|done| *done) => {}
        }
        while let Some(event) = events.next().await {
            // A slow terminal or stdout stops the taking of events, down to the socket.
            self.lines.wait_for_room().await;
            match event {
                SessionEvent::Frame { frame, .. } => {
                    self.outbox.observe(&frame, &self.options.me);
                    self.on_frame(frame).await
                }
                SessionEvent::Voice { .. } => {}
                SessionEvent::Disconnected { reason, .. } => {
                    self.outbox.set_not_ready();
                    self.notice(format!("disconnected: {reason}"))
                }
                SessionEvent::Reconnecting { attempt: 1, .. } => self.notice("reconnecting…"),
                SessionEvent::Reconnecting { attempt, .. } if attempt % 15 == 0 => self.notice(
                    format!("still reconnecting… (attempt {attempt}; queued lines wait)"),
                ),
                SessionEvent::Reconnecting { .. } => {}
                SessionEvent::Reconnected(welcome) => {
                    self.apply_welcome(&welcome);
                    self.unlock_from_cache_or_preset(&welcome).await;
                    self.notice(format!("reconnected as {}; catching up", welcome.user));
                }
                SessionEvent::CaughtUp { replayed } => {
                    self.notice(format!("back in sync: {replayed} missed event(s) replayed"));
                    self.outbox.set_ready();
                }
                SessionEvent::Ended { reason } => {
                    if !self.quitting.load(Ordering::Acquire) {
                        self.error(format!("connection closed: {reason}"));
                    }
                    self.ended.send_replace(true);
                }
            }
        }
        self.ended.send_replace(true);
    }

    async fn on_frame(&self, frame: ServerFrame) {
        if ignore::frame_author(&frame).is_some_and(|user| self.is_ignored(user)) {
            return;
        }
        let frame = match frame {
            ServerFrame::Presences { mut users, ts } => {
                users.retain(|entry| !self.is_ignored(&entry.u));
                ServerFrame::Presences { users, ts }
            }
            other => other,
        };
        let typing = matches!(frame, ServerFrame::Typing { .. });
        if let ServerFrame::Dm(dm) = &frame {
            let peer = if dm.from.eq_ignore_ascii_case(&self.options.me) {
                &dm.to
            } else {
                &dm.from
            };
            if lock(&self.keys).peer_fingerprint(peer).is_none() {
                let peer = peer.clone();
                self.fetch_peer_key(&peer).await;
            }
        }
        let lines = {
            let mut state = lock(&self.state);
            let mut keys = lock(&self.keys);
            events::handle_frame(&mut state, &mut keys, &self.options, frame)
        };
        self.lines.extend(lines);
        if typing {
            self.refresh_prompt();
        }
    }

    fn apply_welcome(&self, welcome: &Welcome) {
        lock(&self.state).apply_welcome(&welcome.channels, &welcome.users);
        let mut warnings = Vec::new();
        let mut keys = lock(&self.keys);
        keys.set_me(&welcome.user);
        for user in &welcome.users {
            if let Some(pk) = &user.pk {
                warnings.extend(events::on_key(&mut keys, &self.options, &user.u, pk));
            }
        }
        drop(keys);
        self.lines.extend(warnings);
    }

    /// Learns one DM peer's key (`users` with `u`), for a peer who arrived after we logged in:
    /// one request for that user, not a `who` of every channel.
    pub(super) async fn fetch_peer_key(&self, peer: &str) {
        let request = ClientFrame::Users(crate::proto::UsersFrame {
            after: None,
            limit: None,
            u: Some(peer.to_string()),
        });
        if let Ok(ServerFrame::Users { users, .. }) = self.session.request(request).await {
            let mut warnings = Vec::new();
            let mut keys = lock(&self.keys);
            for user in users
                .iter()
                .filter(|user| !user.u.eq_ignore_ascii_case(&self.options.me))
            {
                if let Some(pk) = &user.pk {
                    warnings.extend(events::on_key(&mut keys, &self.options, &user.u, pk));
                }
            }
            drop(keys);
            self.lines.extend(warnings);
        }
    }

    /// Loads cached keys of sealed channels, or derives them from `CHATIFY_PASSPHRASE`.
    async fn unlock_from_cache_or_preset(&self, welcome: &Welcome) {
        for info in welcome
            .channels
            .iter()
            .filter(|info| info.mode == ChannelMode::Sealed)
        {
            let (Some(salt), Some(kdf), Some(kcv)) = (&info.salt, &info.kdf, &info.kcv) else {
                continue;
            };
            if lock(&self.keys).load_cached_channel_key(&info.ch, salt, kcv) {
                continue;
            }
            let unlocked = match self.prompter.preset_passphrase() {
                Some(passphrase) => self
                    .derive_and_install(&info.ch, passphrase, salt, kdf, kcv)
                    .await
                    .is_ok(),
                None => false,
            };
            if !unlocked {
                self.notice(format!(
                    "🔒#{} is locked: /join #{} to enter its passphrase",
                    info.ch, info.ch
                ));
            }
        }
    }

    fn channel_summary(&self) -> String {
        let state = lock(&self.state);
        let keys = lock(&self.keys);
        let names: Vec<String> = state
            .channels
            .iter()
            .map(|(name, channel)| match channel.mode {
                ChannelMode::Open => format!("#{name}"),
                ChannelMode::Sealed if keys.has_channel_key(name) => format!("🔒#{name}"),
                ChannelMode::Sealed => format!("🔒#{name} (locked)"),
            })
            .collect();
        if names.is_empty() {
            "you are in no channel: /join #general".to_string()
        } else {
            format!("channels: {}", names.join(", "))
        }
    }

    /// Shows an error line (the REPL's own refusals, e.g. a full command queue).
    pub fn report_error(&self, text: &str) {
        self.error(text);
    }

    /// Shows a notice line (the REPL's own, e.g. about a long paste).
    pub fn report_notice(&self, text: &str) {
        self.notice(text);
    }

    /// The most bytes one message can hold: the server's frame limit (from its welcome).
    pub fn message_limit(&self) -> usize {
        match self.session.welcome().server.max_frame {
            0 => crate::proto::DEFAULT_MAX_FRAME,
            max => max,
        }
    }

    fn notice(&self, text: impl AsRef<str>) {
        self.lines
            .push(render::render_notice(&self.options, text.as_ref()));
    }

    fn error(&self, text: impl AsRef<str>) {
        self.lines
            .push(render::render_error(&self.options, text.as_ref()));
    }

    /// The current channel for a command that needs one (`what` names it in the refusal when
    /// the current place is a DM, or there is none).
    fn current_channel(&self, what: &str) -> Option<String> {
        let current = lock(&self.state).current.clone();
        match current {
            Some(Place::Channel(channel)) => Some(channel),
            Some(Place::Dm(peer)) => {
                self.error(format!(
                    "{what}: channels only; you are in the DM with @{peer} (#channel goes back)"
                ));
                None
            }
            None => {
                self.error("no current channel: /join #channel first");
                None
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Holders never leave the state half-updated across a panic point that matters for display.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
