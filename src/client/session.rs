//! The protocol client the REPL, the one-shot tools and the bridge use: connects, logs in (saved
//! session token, password, or registration), saves the token 0600, sends requests and awaits
//! their replies, and delivers a stream of [`SessionEvent`]s. After any disconnect it reconnects
//! by itself with exponential backoff and jitter, resumes with the session token, and replays
//! what it missed (`history` `after` the last seq per channel, and recent DMs) through the same
//! stream, so the consumer sees every channel event exactly once and in order.

use crate::proto::AuthFrame;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use zeroize::Zeroizing;

use super::conn::{self, ClientError, Connection};
use super::resume::SeqTracker;
use super::tokens;
use crate::proto::{ChannelInfo, ClientFrame, ServerFrame, ServerInfo, UserInfo};

/// How to connect and log in.
#[derive(Clone)]
pub struct SessionOptions {
    /// `ws://host:port` (a bare `host:port` means `ws://`).
    pub url: String,
    /// Other addresses of the same service (a cluster's other nodes), tried in order when `url`
    /// cannot be reached, at the first connect and at every reconnect. Saved session tokens stay
    /// filed under `url`.
    pub fallback_urls: Vec<String>,
    pub user: String,
    /// Used when no saved session works, and kept (zeroized on drop) to log in again if the
    /// session expires while reconnecting.
    pub password: Option<Zeroizing<String>>,
    /// Create the account (first connect only).
    pub register: bool,
    /// Our X25519 identity public key, base64, sent at every login.
    pub public_key: Option<String>,
    /// Where session tokens are saved (`<config dir>`); `None`: neither read nor saved.
    pub config_dir: Option<PathBuf>,
    /// How long a request waits for its reply.
    pub request_timeout: Duration,
    /// Reconnect after a disconnect (the REPL and bridge do; one-shot tools need not).
    pub reconnect: bool,
    /// TLS trust and the plain-`ws://` rule (`--ca-file`, `--allow-insecure`, certificate pins).
    pub security: crate::tls::ConnectSecurity,
}

impl SessionOptions {
    /// Options with the defaults: no password, 10 s timeout, reconnecting, tokens not saved.
    pub fn new(url: impl Into<String>, user: impl Into<String>) -> Self {
        SessionOptions {
            url: url.into(),
            fallback_urls: Vec::new(),
            user: user.into(),
            password: None,
            register: false,
            public_key: None,
            config_dir: None,
            request_timeout: Duration::from_secs(10),
            reconnect: true,
            security: crate::tls::ConnectSecurity::default(),
        }
    }
}

/// What the server told us at login (`ok`), without the session token.
#[derive(Debug, Clone, PartialEq)]
pub struct Welcome {
    /// Our username as registered.
    pub user: String,
    pub proto: u32,
    pub server: ServerInfo,
    pub users: Vec<UserInfo>,
    pub channels: Vec<ChannelInfo>,
}

/// What the session stream delivers.
#[derive(Debug)]
pub enum SessionEvent {
    /// A server frame that is not a reply: channel events (exactly once, in seq order), DMs,
    /// presence, typing, member, key, voice membership… `replayed` is true for events fetched
    /// after a reconnect.
    Frame { frame: ServerFrame, replayed: bool },
    /// A voice payload from another member of our voice room.
    Voice { from: String, payload: Vec<u8> },
    /// The connection dropped; reconnecting follows unless the session was closed.
    Disconnected { reason: String, code: Option<u16> },
    /// Waiting `delay` before reconnect attempt `attempt` (1, 2, …).
    Reconnecting { attempt: u32, delay: Duration },
    /// Logged in again; missed events follow as replayed frames, then [`SessionEvent::CaughtUp`].
    Reconnected(Welcome),
    /// The catch-up after a reconnect is complete.
    CaughtUp { replayed: usize },
    /// The session ended for good (closed, or the server refused to let us back in).
    Ended { reason: String },
}

/// A cloneable handle for requests; the events come from the paired [`SessionEvents`].
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

/// The event stream of a session.
pub struct SessionEvents {
    events: mpsc::Receiver<SessionEvent>,
}

impl SessionEvents {
    /// The next event; `None` once the session has ended and everything was delivered.
    pub async fn next(&mut self) -> Option<SessionEvent> {
        self.events.recv().await
    }
}

struct Inner {
    options: SessionOptions,
    connection: watch::Sender<Option<Arc<Connection>>>,
    token: Mutex<Option<Zeroizing<String>>>,
    welcome: Mutex<Welcome>,
    tracker: Mutex<SeqTracker>,
    dm_peers: Mutex<std::collections::BTreeSet<String>>,
    shutdown: watch::Sender<bool>,
    /// When this session first logged in (client clock): DMs older than this were never missed.
    started_ms: i64,
    /// The address connected to now (`options.url` or one of its fallbacks).
    current_url: Mutex<String>,
}

/// How often the client checks that the server still answers.
const PING_EVERY: Duration = Duration::from_secs(30);
/// Longest wait between reconnect attempts: a server that is back is found within this (plus
/// the connect itself), while a client retrying a down server makes at most one TCP connect
/// attempt per second or two.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// Events handed from the supervisor to the consumer that may wait at once: a hand-off, not a
/// buffer (the connection's byte-bounded queue is the buffer). A consumer that stops taking
/// events stops the supervisor, then the reader, then the server's sends.
const SESSION_EVENT_CAPACITY: usize = 8;
/// Catch-up page size (the protocol maximum).
const CATCH_UP_PAGE: u32 = crate::proto::HISTORY_MAX_LIMIT;

impl Session {
    /// Connects and logs in: with the saved session token when there is one (and not
    /// registering), else with the password (registering if asked). Saves the new token.
    /// [`ClientError::PasswordNeeded`] means: ask for a password and call again.
    pub async fn connect(options: SessionOptions) -> Result<(Session, SessionEvents), ClientError> {
        let url = conn::normalize_url(&options.url)?;
        let fallback_urls = options
            .fallback_urls
            .iter()
            .map(|url| conn::normalize_url(url))
            .collect::<Result<Vec<_>, _>>()?;
        let options = SessionOptions {
            url,
            fallback_urls,
            ..options
        };
        let (connection, conn_events, current_url) = connect_first_reachable(&options).await?;
        let saved = match (&options.config_dir, options.register) {
            (Some(dir), false) => tokens::load_token(dir, &options.url, &options.user),
            _ => None,
        };
        let (welcome, token) = authenticate(&connection, &options, saved, options.register).await?;
        let (events_tx, events) = mpsc::channel(SESSION_EVENT_CAPACITY);
        let mut tracker = SeqTracker::new();
        tracker.plan_resume(&welcome.channels);
        let inner = Arc::new(Inner {
            options,
            connection: watch::Sender::new(Some(Arc::new(connection))),
            token: Mutex::new(Some(token)),
            welcome: Mutex::new(welcome),
            tracker: Mutex::new(tracker),
            dm_peers: Mutex::new(Default::default()),
            shutdown: watch::Sender::new(false),
            started_ms: chrono::Utc::now().timestamp_millis(),
            current_url: Mutex::new(current_url),
        });
        tokio::spawn(supervise(inner.clone(), conn_events, events_tx));
        Ok((Session { inner }, SessionEvents { events }))
    }

    /// What the server said at the latest login.
    pub fn welcome(&self) -> Welcome {
        lock(&self.inner.welcome).clone()
    }

    /// Our username as registered.
    pub fn user(&self) -> String {
        lock(&self.inner.welcome).user.clone()
    }

    /// The server URL connected to now (the first `--server`, or a fallback).
    pub fn url(&self) -> String {
        lock(&self.inner.current_url).clone()
    }

    /// The latest `seq` of `channel` this session has seen (delivered or listed).
    pub fn seen_seq(&self, channel: &str) -> Option<i64> {
        lock(&self.inner.tracker).last(channel)
    }

    /// Whether a connection is up right now.
    pub fn is_connected(&self) -> bool {
        self.inner.is_connected()
    }

    /// Sends a request and waits for its reply (with the session's timeout). While reconnecting
    /// it first waits for the connection to come back, within the same timeout.
    pub async fn request(&self, frame: ClientFrame) -> Result<ServerFrame, ClientError> {
        self.request_with_timeout(frame, self.inner.options.request_timeout)
            .await
    }

    /// [`Session::request`] with an explicit timeout.
    pub async fn request_with_timeout(
        &self,
        frame: ClientFrame,
        timeout: Duration,
    ) -> Result<ServerFrame, ClientError> {
        let started = tokio::time::Instant::now();
        let connection = self.live_connection(timeout).await?;
        let left = timeout.saturating_sub(started.elapsed());
        let reply = connection.request(&frame, left).await?;
        self.inner.note_reply(&reply);
        Ok(reply)
    }

    /// Sends a frame that has no reply (`typing`, `status`); fails when not connected.
    pub fn send(&self, frame: &ClientFrame) -> Result<(), ClientError> {
        self.current_connection()?.send(frame)
    }

    /// Sends a voice payload to our voice room.
    pub fn send_voice(&self, payload: Vec<u8>) -> Result<(), ClientError> {
        self.current_connection()?.send_voice(payload)
    }

    /// Ends the session: closes the connection and stops reconnecting.
    pub fn close(&self) {
        self.inner.shutdown.send_replace(true);
        if let Some(connection) = self.inner.connection.send_replace(None) {
            connection.close();
        }
    }

    fn current_connection(&self) -> Result<Arc<Connection>, ClientError> {
        self.inner
            .connection
            .borrow()
            .clone()
            .filter(|connection| !connection.is_closed())
            .ok_or(ClientError::Disconnected)
    }

    async fn live_connection(&self, timeout: Duration) -> Result<Arc<Connection>, ClientError> {
        if *self.inner.shutdown.borrow() {
            return Err(ClientError::Disconnected);
        }
        let mut watcher = self.inner.connection.subscribe();
        let wait = watcher.wait_for(|slot| slot.as_ref().is_some_and(|c| !c.is_closed()));
        match tokio::time::timeout(timeout, wait).await {
            Ok(Ok(slot)) => slot.clone().ok_or(ClientError::Disconnected),
            Ok(Err(_)) => Err(ClientError::Disconnected),
            Err(_) => Err(ClientError::Timeout(timeout)),
        }
    }
}

impl Inner {
    /// Keeps seq tracking in step with replies that change membership.
    fn note_reply(&self, reply: &ServerFrame) {
        let mut tracker = lock(&self.tracker);
        match reply {
            ServerFrame::Joined { ch, seq, hist, .. } => {
                tracker.set_at_least(ch, *seq);
                hist.iter().for_each(|message| tracker.note_id(message.id));
            }
            ServerFrame::Left { ch, .. } => tracker.forget(ch),
            ServerFrame::Ack { id, .. } => tracker.note_id(*id),
            ServerFrame::History { events, .. } | ServerFrame::Rewind { events, .. } => {
                for event in events {
                    match event {
                        ServerFrame::Msg(message) => tracker.note_id(message.id),
                        ServerFrame::Dm(dm) => tracker.note_id(dm.id),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    /// Whether the current connection is up (it is `None` or closed while reconnecting).
    fn is_connected(&self) -> bool {
        self.connection
            .borrow()
            .as_ref()
            .is_some_and(|connection| !connection.is_closed())
    }

    fn is_shut_down(&self) -> bool {
        *self.shutdown.borrow()
    }
}

/// Logs in on `connection`: saved token first, then the password. Returns the welcome (with
/// every user page fetched, see [`fetch_more_users`]) and the (new) token, which is saved when a
/// config dir is set.
/// Every address to try, in order: the main one, then the fallbacks.
fn all_urls(options: &SessionOptions) -> Vec<String> {
    std::iter::once(options.url.clone())
        .chain(options.fallback_urls.iter().cloned())
        .collect()
}

/// Connects to the first address that answers (a refused or unreachable one moves on to the
/// next; a TLS trust failure stops).
async fn connect_first_reachable(
    options: &SessionOptions,
) -> Result<(Connection, conn::ConnEvents, String), ClientError> {
    let mut last_error = None;
    for url in all_urls(options) {
        match conn::connect(&url, &options.security, options.request_timeout).await {
            Ok((connection, events)) => return Ok((connection, events, url)),
            Err(error @ ClientError::Connect { .. }) => last_error = Some(error),
            Err(error) => return Err(error),
        }
    }
    Err(last_error.unwrap_or(ClientError::Disconnected))
}

async fn authenticate(
    connection: &Connection,
    options: &SessionOptions,
    token: Option<Zeroizing<String>>,
    register: bool,
) -> Result<(Welcome, Zeroizing<String>), ClientError> {
    let (mut welcome, token, users_more) =
        authenticate_once(connection, options, token, register).await?;
    if users_more {
        fetch_more_users(connection, options, &mut welcome.users).await?;
    }
    Ok((welcome, token))
}

/// Pages of users the server sends after `ok` when it said `users_more` (added to v1): the
/// `ok` frame lists only the first users, so its size does not grow with the server.
const MAX_USER_PAGES: usize = 1_000;

async fn fetch_more_users(
    connection: &Connection,
    options: &SessionOptions,
    users: &mut Vec<crate::proto::UserInfo>,
) -> Result<(), ClientError> {
    for _ in 0..MAX_USER_PAGES {
        let frame = ClientFrame::Users(crate::proto::UsersFrame {
            after: users.last().map(|user| user.u.clone()),
            limit: None,
            u: None,
        });
        match connection.request(&frame, options.request_timeout).await? {
            ServerFrame::Users {
                users: page, more, ..
            } => {
                let progressed = !page.is_empty();
                users.extend(page);
                if !more || !progressed {
                    return Ok(());
                }
            }
            _ => return Err(ClientError::Unexpected("no users page".into())),
        }
    }
    Ok(())
}

async fn authenticate_once(
    connection: &Connection,
    options: &SessionOptions,
    token: Option<Zeroizing<String>>,
    register: bool,
) -> Result<(Welcome, Zeroizing<String>, bool), ClientError> {
    if let Some(token) = token.filter(|_| !register) {
        let frame = ClientFrame::Auth(AuthFrame {
            u: options.user.clone(),
            pw: None,
            pk: options.public_key.clone(),
            register: false,
            session: Some(crate::proto::SecretString::new(token.as_str())),
            presences: true,
        });
        match connection.request(&frame, options.request_timeout).await {
            Ok(reply) => return accept_welcome(reply, options),
            Err(ClientError::Server {
                code: crate::proto::ErrorCode::AuthFailed,
                ..
            }) => {
                if let Some(dir) = &options.config_dir {
                    tokens::forget_token(dir, &options.url, &options.user);
                }
            }
            Err(other) => return Err(other),
        }
    }
    let Some(password) = &options.password else {
        return Err(ClientError::PasswordNeeded(options.user.clone()));
    };
    let frame = ClientFrame::Auth(AuthFrame {
        u: options.user.clone(),
        pw: Some(crate::proto::SecretString::new(password.as_str())),
        pk: options.public_key.clone(),
        register,
        session: None,
        presences: true,
    });
    let reply = connection.request(&frame, options.request_timeout).await?;
    accept_welcome(reply, options)
}

fn accept_welcome(
    reply: ServerFrame,
    options: &SessionOptions,
) -> Result<(Welcome, Zeroizing<String>, bool), ClientError> {
    let ServerFrame::Ok {
        u,
        session,
        proto,
        server,
        users,
        users_more,
        channels,
        ..
    } = reply
    else {
        return Err(ClientError::Unexpected("no ok after auth".into()));
    };
    if crate::proto::validate_username(&u).is_err() {
        return Err(ClientError::Unexpected(
            "the server's ok names us with an invalid user name".into(),
        ));
    }
    // Entries with names that break the name rules never reach the state or the screen.
    let mut users = users;
    users.retain(|user| crate::proto::validate_username(&user.u).is_ok());
    let mut channels = channels;
    channels.retain(|info| crate::client::events::valid_channel_name(&info.ch));
    let token = Zeroizing::new(session.into_inner());
    if let Some(dir) = &options.config_dir {
        tokens::save_token(dir, &options.url, &options.user, &token)?;
    }
    Ok((
        Welcome {
            user: u,
            proto,
            server,
            users,
            channels,
        },
        token,
        users_more,
    ))
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded values stay consistent even if a holder panicked between statements.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

mod account;
mod supervisor;
use supervisor::supervise;
