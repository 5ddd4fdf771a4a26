//! The default source of the one-shot queries: asks the server through the client library
//! (`client::session`), logging in with the saved session of `chatify connect` (a password only
//! when there is none), and decrypts sealed channels and DMs locally with the client's key ring
//! (cached channel keys; the passphrase is asked for only when no key is cached).

use crate::proto::{HistoryFrame, RewindFrame, SearchFrame};
use std::path::Path;
use std::time::Duration;

use anyhow::Context;

use super::output::{self, Record};
use super::{Fetched, Pager, Query, SourceArgs, Target, Window, secrets};
use crate::client::conn::ClientError;
use crate::client::events;
use crate::client::keys::{self, KeyError, KeyRing, PeerKeyStatus};
use crate::client::session::{Session, SessionEvents, SessionOptions, Welcome};
use crate::proto::{
    self, ChannelMode, ClientFrame, DmEvent, HISTORY_MAX_LIMIT, MessageEvent, SearchSort,
    ServerFrame,
};

/// Runs `query` through the server.
pub fn fetch(query: &Query, source: &SourceArgs) -> anyhow::Result<Fetched> {
    // One worker thread runs the connection's tasks, so the connection keeps answering the
    // server's pings while this thread waits at a passphrase prompt or runs Argon2.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(fetch_async(query, source));
    runtime.shutdown_timeout(Duration::from_millis(500));
    result
}

async fn fetch_async(query: &Query, source: &SourceArgs) -> anyhow::Result<Fetched> {
    let user = source.user.as_deref().context(
        "--user is needed to ask the server (or set CHATIFY_USER); \
         to read a database file directly, use --db PATH",
    )?;
    proto::validate_username(user).map_err(|error| anyhow::anyhow!("--user: {error}"))?;
    let config_dir = crate::paths::config_dir()?;
    let (session, _events) = login(source, user, &config_dir).await?;
    let mut remote = Remote {
        welcome: session.welcome(),
        session: &session,
        source,
        config_dir: &config_dir,
        fetched: Fetched::default(),
    };
    remote.fetched.me = remote.welcome.user.clone();
    let result = remote.run(query).await;
    let fetched = std::mem::take(&mut remote.fetched);
    session.close();
    result.map(|()| fetched)
}

async fn login(
    source: &SourceArgs,
    user: &str,
    config_dir: &Path,
) -> anyhow::Result<(Session, SessionEvents)> {
    let mut options = SessionOptions::new(source.server.clone(), user);
    options.config_dir = Some(config_dir.to_path_buf());
    options.reconnect = false;
    options.request_timeout = Duration::from_secs(source.timeout);
    options.security = source.transport.security(config_dir);
    let context = || format!("logging in to {} as {user}", source.server);
    let first = Session::connect(options.clone()).await;
    print_notices(&options);
    match first {
        Err(ClientError::PasswordNeeded(_)) => {
            options.password = Some(secrets::password(source.password_file.as_deref(), user)?);
            let second = Session::connect(options.clone()).await;
            print_notices(&options);
            second.with_context(context)
        }
        other => other.with_context(context),
    }
}

/// Certificates pinned on first use are announced on stderr (stdout may be JSON Lines).
fn print_notices(options: &SessionOptions) {
    for notice in options.security.take_notices() {
        eprintln!("{notice}");
    }
}

/// One query's state: the session, what the server said at login, and the output so far.
struct Remote<'a> {
    session: &'a Session,
    welcome: Welcome,
    source: &'a SourceArgs,
    config_dir: &'a Path,
    fetched: Fetched,
}

/// How to read a channel's messages: open, or sealed with a key ring holding its key (or not).
enum Access {
    Open,
    Sealed {
        ring: Box<KeyRing>,
        missing: Option<String>,
    },
}

impl Remote<'_> {
    async fn run(&mut self, query: &Query) -> anyhow::Result<()> {
        match query {
            Query::History {
                target: Target::Channel(channel),
                window,
                limit,
            } => {
                let access = self.channel_access(channel).await?;
                let (events, more) = self.channel_history(channel, window, *limit).await?;
                self.fetched.records = records(&access, &events);
                self.note_more(more);
            }
            Query::History {
                target: Target::Dm(peer),
                window,
                limit,
            } => self.dm_history(peer, window, *limit).await?,
            Query::Search {
                channel,
                text,
                sort,
                window,
                limit,
            } => {
                let access = self.channel_access(channel).await?;
                let events = self
                    .search(&access, channel, text, *sort, window, *limit)
                    .await?;
                self.fetched.records = records(&access, &events);
            }
            Query::Rewind {
                channel,
                at_ms,
                from,
                limit,
            } => {
                let access = self.channel_access(channel).await?;
                let fetch_limit = if from.is_some() {
                    HISTORY_MAX_LIMIT
                } else {
                    *limit
                };
                let frame = ClientFrame::Rewind(RewindFrame {
                    ch: channel.clone(),
                    at: *at_ms,
                    limit: Some(fetch_limit),
                });
                let events = match self.ask(frame, "rewinding").await? {
                    ServerFrame::Rewind { events, .. } => ServerFrame::message_events(events),
                    other => return Err(unexpected(&other)),
                };
                let kept: Vec<MessageEvent> =
                    super::filter_from(events.iter(), from.as_deref(), *limit)
                        .cloned()
                        .collect();
                self.fetched.records = records(&access, &kept);
            }
        }
        Ok(())
    }

    async fn ask(&self, frame: ClientFrame, what: &str) -> anyhow::Result<ServerFrame> {
        self.session
            .request(frame)
            .await
            .with_context(|| format!("{what} (server {})", self.session.url()))
    }

    fn open_ring(&self) -> anyhow::Result<KeyRing> {
        let (ring, _created) = KeyRing::open(
            self.config_dir,
            self.session.url(),
            &self.welcome.user,
            keys::weak_kdf_for_tests_from_env(),
        )
        .context("opening your keys")?;
        Ok(ring)
    }

    /// Works out how to decrypt `channel`: its mode from the login reply; for a sealed channel
    /// the cached key, else one derived from the passphrase (then cached), else a note.
    async fn channel_access(&mut self, channel: &str) -> anyhow::Result<Access> {
        let info = self.welcome.channels.iter().find(|info| info.ch == channel);
        let Some(info) = info.filter(|info| info.mode == ChannelMode::Sealed) else {
            // Open, or not a member: the server's answer will say so.
            return Ok(Access::Open);
        };
        let (Some(salt), Some(kdf), Some(kcv)) = (&info.salt, &info.kdf, &info.kcv) else {
            anyhow::bail!("the server sent #{channel} as sealed but without its salt, kdf or kcv");
        };
        let mut ring = self.open_ring()?;
        if ring.load_cached_channel_key(channel, salt, kcv) {
            return Ok(Access::Sealed {
                ring: Box::new(ring),
                missing: None,
            });
        }
        let Some(passphrase) =
            secrets::passphrase(self.source.passphrase_file.as_deref(), channel)?
        else {
            self.fetched.notes.push(secrets::passphrase_hint(channel));
            return Ok(Access::Sealed {
                ring: Box::new(ring),
                missing: Some(secrets::missing_key_reason(channel)),
            });
        };
        let (name, salt_b64, kdf, kcv_b64, policy) = (
            channel.to_string(),
            salt.clone(),
            kdf.clone(),
            kcv.clone(),
            ring.kdf_policy(),
        );
        let root = tokio::task::spawn_blocking(move || {
            keys::derive_channel_root(&name, &passphrase, &salt_b64, &kdf, &kcv_b64, policy)
        })
        .await
        .context("deriving the channel key")??;
        ring.install_channel_root(channel, salt, kcv, &root)?;
        Ok(Access::Sealed {
            ring: Box::new(ring),
            missing: None,
        })
    }

    async fn channel_history(
        &self,
        channel: &str,
        window: &Window,
        limit: u32,
    ) -> anyhow::Result<(Vec<MessageEvent>, bool)> {
        let mut pager = Pager::new(limit);
        while let Some(want) = pager.want() {
            let frame = ClientFrame::History(HistoryFrame {
                ch: Some(channel.to_string()),
                dm: None,
                limit: Some(want),
                before: pager.oldest().map(|event: &MessageEvent| event.seq),
                since: window.since_ms,
                until: window.until_ms,
                after: None,
                from: window.from.clone(),
            });
            match self.ask(frame, "reading history").await? {
                ServerFrame::History { events, more, .. } => {
                    pager.add(ServerFrame::message_events(events), more)
                }
                other => return Err(unexpected(&other)),
            }
        }
        Ok(pager.finish())
    }

    async fn search(
        &self,
        access: &Access,
        channel: &str,
        text: &str,
        sort: SearchSort,
        window: &Window,
        limit: u32,
    ) -> anyhow::Result<Vec<MessageEvent>> {
        let (q, idx, sort) = match access {
            Access::Open => (Some(text.to_string()), None, Some(sort)),
            Access::Sealed {
                missing: Some(_), ..
            } => anyhow::bail!(secrets::passphrase_hint(channel)),
            Access::Sealed { ring, .. } => {
                let tokens = ring.search_tokens(channel, text)?;
                anyhow::ensure!(!tokens.is_empty(), super::no_searchable_words());
                (None, Some(tokens), None)
            }
        };
        let frame = ClientFrame::Search(SearchFrame {
            ch: Some(channel.to_string()),
            q,
            idx,
            limit: Some(limit),
            sort,
            since: window.since_ms,
            until: window.until_ms,
            from: window.from.clone(),
        });
        match self.ask(frame, "searching").await? {
            ServerFrame::Search { events, .. } => Ok(ServerFrame::message_events(events)),
            other => Err(unexpected(&other)),
        }
    }

    async fn dm_history(&mut self, peer: &str, window: &Window, limit: u32) -> anyhow::Result<()> {
        let mut ring = self.open_ring()?;
        let announced = self
            .welcome
            .users
            .iter()
            .find(|user| user.u.eq_ignore_ascii_case(peer))
            .and_then(|user| Some((user.u.clone(), user.pk.clone()?)));
        if let Some((name, pk)) = &announced {
            match ring.learn_peer_key(name, pk) {
                Ok(PeerKeyStatus::Changed { pinned, announced }) => self.fetched.notes.push(format!(
                    "WARNING: {name}'s key changed (pinned {pinned}, now {announced}); \
                     their DMs are not decrypted until you check it and /trust {name} in chatify connect"
                )),
                Ok(_) => {}
                Err(error) => self.fetched.notes.push(format!("{name}'s key: {error}")),
            }
        }
        let (events, more) = self.dm_pages(peer, window, limit).await?;
        let me = self.welcome.user.clone();
        self.fetched.records = events
            .iter()
            .map(|event| output::dm_record(event, &me, events::decrypt_dm(&mut ring, event)))
            .collect();
        self.note_more(more);
        Ok(())
    }

    /// DM pages, newest first. DM frames carry no seq, so a page ends where the next begins by
    /// time: `until` just after the oldest one held, dropping those already held (by id).
    async fn dm_pages(
        &mut self,
        peer: &str,
        window: &Window,
        limit: u32,
    ) -> anyhow::Result<(Vec<DmEvent>, bool)> {
        let mut pager: Pager<DmEvent> = Pager::new(limit);
        while let Some(want) = pager.want() {
            let (until, overlap, oldest_id) = match pager.oldest() {
                None => (window.until_ms, 0, i64::MAX),
                Some(oldest) => {
                    let overlap = pager.collected().iter().take_while(|e| e.ts == oldest.ts);
                    (
                        Some(oldest.ts.saturating_add(1)),
                        overlap.count(),
                        oldest.id,
                    )
                }
            };
            let overlap = u32::try_from(overlap).unwrap_or(u32::MAX);
            if overlap >= HISTORY_MAX_LIMIT {
                // More DMs in one millisecond than a page holds: cannot page further by time.
                pager.stop();
                break;
            }
            let ask = overlap.saturating_add(want).min(HISTORY_MAX_LIMIT);
            let frame = ClientFrame::History(HistoryFrame {
                ch: None,
                dm: Some(peer.to_string()),
                limit: Some(ask),
                before: None,
                since: window.since_ms,
                until,
                after: None,
                from: window.from.clone(),
            });
            match self.ask(frame, "reading DM history").await? {
                ServerFrame::History { events, more, .. } => {
                    let older: Vec<DmEvent> = ServerFrame::dm_events(events)
                        .into_iter()
                        .filter(|e| e.id < oldest_id)
                        .collect();
                    pager.add(older, more);
                }
                other => return Err(unexpected(&other)),
            }
        }
        Ok(pager.finish())
    }

    fn note_more(&mut self, more: bool) {
        if more {
            self.fetched.notes.push(super::older_exist_note());
        }
    }
}

fn records(access: &Access, events: &[MessageEvent]) -> Vec<Record> {
    events
        .iter()
        .map(|event| match access {
            Access::Open => {
                let body = events::decrypt_message(None, false, event);
                output::channel_record(event, false, body)
            }
            Access::Sealed { ring, missing } => {
                let body = events::channel_body(event, true, &|sender, kind, c| match missing {
                    Some(reason) => Err(KeyError::Unavailable(reason.clone())),
                    None => ring.open_channel(&event.ch, sender, kind, c),
                });
                output::channel_record(event, true, body)
            }
        })
        .collect()
}

fn unexpected(frame: &ServerFrame) -> anyhow::Error {
    let kind = serde_json::to_value(frame)
        .ok()
        .and_then(|value| value.get("t").and_then(|t| t.as_str()).map(str::to_string))
        .unwrap_or_default();
    anyhow::anyhow!("unexpected reply {kind:?} from the server")
}
