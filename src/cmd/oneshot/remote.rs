//! The default source of the one-shot queries: asks the server through the client library
//! (`client::session`), logging in with the saved session of `chatify connect` (a password only
//! when there is none), and decrypts sealed channels and DMs locally with the client's key ring
//! (cached channel keys; the passphrase is asked for only when no key is cached).

use std::path::Path;
use std::time::Duration;

use anyhow::Context;

use super::output::{self, Record};
use super::{Fetched, Query, SourceArgs, Target, Window, secrets};
use crate::client::events;
use crate::client::keys::{self, KeyError, KeyRing, PeerKeyStatus};
use crate::client::reading::{self, SearchTerms};
use crate::client::session::{Session, SessionEvents, Welcome};
use crate::proto::{self, ChannelMode, MessageEvent, SearchSort};

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
    let (session, _events) = login(source, user).await?;
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

async fn login(source: &SourceArgs, user: &str) -> anyhow::Result<(Session, SessionEvents)> {
    let account = crate::cmd::account::AccountArgs {
        server: source.server.clone(),
        user: Some(user.to_string()),
        password_file: source.password_file.clone(),
        timeout: source.timeout,
        transport: source.transport.clone(),
    };
    account.log_in_required().await
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
                let (kept, retained_from) = reading::rewind_retained(
                    self.session,
                    channel,
                    *at_ms,
                    from.as_deref(),
                    *limit,
                )
                .await
                .with_context(|| self.doing("rewinding"))?;
                self.fetched.records = records(&access, &kept);
                if let Some(from) = retained_from {
                    self.fetched
                        .notes
                        .push(super::retained_from_note(channel, from));
                }
            }
        }
        Ok(())
    }

    /// The context of a failed request: what was being done, and where.
    fn doing(&self, what: &str) -> String {
        format!("{what} (server {})", self.session.url())
    }

    fn open_ring(&self) -> anyhow::Result<KeyRing> {
        let (ring, _created) = KeyRing::open(
            self.config_dir,
            &self.session.url(),
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
        reading::channel_history(self.session, channel, window, limit)
            .await
            .with_context(|| self.doing("reading history"))
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
        let terms = match access {
            Access::Open => SearchTerms::Words {
                q: text.to_string(),
                sort: Some(sort),
            },
            Access::Sealed {
                missing: Some(_), ..
            } => anyhow::bail!(secrets::passphrase_hint(channel)),
            Access::Sealed { ring, .. } => {
                let tokens = ring.search_tokens(channel, text)?;
                anyhow::ensure!(!tokens.is_empty(), super::no_searchable_words());
                SearchTerms::BlindTokens(tokens)
            }
        };
        reading::search(self.session, channel, terms, window, Some(limit))
            .await
            .with_context(|| self.doing("searching"))
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
        let (events, more) = reading::dm_history(self.session, peer, window, limit)
            .await
            .with_context(|| self.doing("reading DM history"))?;
        let me = self.welcome.user.clone();
        self.fetched.records = events
            .iter()
            .map(|event| output::dm_record(event, &me, events::decrypt_dm(&mut ring, event)))
            .collect();
        self.note_more(more);
        Ok(())
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
